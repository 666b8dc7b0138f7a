"""Durable drill records in SQLite: every release, observation and clock change is committed
as it happens (WAL journal, synchronous=FULL), so a crash or a closed tab loses nothing and
the console restarts where it stopped."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from sim.core.errors import UserError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS codes (role TEXT PRIMARY KEY, code_sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, role TEXT NOT NULL, created REAL);
CREATE TABLE IF NOT EXISTS clock (
  id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL, anchor_min REAL NOT NULL,
  anchor_wall REAL NOT NULL, speed REAL NOT NULL);
CREATE TABLE IF NOT EXISTS released (
  id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL, kind TEXT NOT NULL,
  contingency INTEGER, drill_min REAL NOT NULL, wall REAL NOT NULL, how TEXT NOT NULL,
  card TEXT NOT NULL, UNIQUE (seq, kind, contingency));
CREATE TABLE IF NOT EXISTS observations (
  id INTEGER PRIMARY KEY AUTOINCREMENT, row_id TEXT NOT NULL, observed_min REAL,
  observed_text TEXT NOT NULL, evaluator TEXT NOT NULL, notes TEXT NOT NULL, wall REAL NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, wall REAL NOT NULL, role TEXT NOT NULL, what TEXT NOT NULL,
  drill_min REAL, clock_state TEXT);
"""
# columns added to a table after its first release: (table, column, SQL type). A drill file
# made by an earlier console gains them when it is opened (its old rows hold NULL there).
ADDED_COLUMNS = (("audit", "drill_min", "REAL"), ("audit", "clock_state", "TEXT"))
ROLES = ("controller", "player", "evaluator")
SIDE_FILES = ("-wal", "-shm", "-journal")  # what SQLite writes beside the file


TABLES = tuple(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", SCHEMA))  # what a drill's file holds
# what the records digest covers (Store.digest), in its order: everything the review reads;
# not the access codes' hashes nor the login sessions, which it does not
DIGESTED = (
    ("meta", "key"),
    ("clock", "id"),
    ("released", "id"),
    ("observations", "id"),
    ("audit", "id"),
)


def private(path: Path) -> None:
    """Create ``path`` (if absent) readable and writable by its owner only, never through
    a link, and make an existing one so: before SQLite opens it, which would create it
    with the umask's mode (0644)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode("utf-8")).hexdigest()


class Store:
    """The drill's SQLite file. Thread-safe (one connection, one lock).

    ``readonly=True`` (the review) opens an existing file read-only: nothing is created,
    no table added, the journal mode left as it is; a file without the drill's tables is
    refused in one line. The console's file is created readable by its owner only (0600):
    it holds the package and the secret seed in the clear (SQLite gives its ``-wal`` and
    ``-shm`` the file's own permissions)."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self.lock = threading.RLock()
        self.readonly = readonly
        for f in (self.path, *(self.path.with_name(self.path.name + x) for x in SIDE_FILES)):
            if f.is_symlink():  # SQLite would write through it (the file, its journal)
                raise UserError(f"{f}: is a symbolic link; refusing to follow it")
        if readonly:
            self._open_readonly()
            return
        try:
            private(self.path)
            for x in SIDE_FILES:  # (left by an earlier console: made private too)
                side = self.path.with_name(self.path.name + x)
                if side.exists():
                    private(side)
        except OSError as exc:
            raise UserError(f"{self.path}: cannot be created ({exc.strerror or exc})") from None
        try:
            self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
            for table, col, typ in ADDED_COLUMNS:
                have = {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}
                if col not in have:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {col} {typ}")
        except sqlite3.Error as exc:
            raise UserError(f"{self.path}: not a drill's records ({exc})") from None

    def _open_readonly(self) -> None:
        # without a -wal beside it no console has the file open (a WAL connection keeps
        # one) and every record is in the file: read it as immutable, which makes no
        # -wal/-shm beside it; with one (a console running, or one that crashed), read-only
        # through the WAL it left
        wal = self.path.with_name(self.path.name + "-wal").exists()
        uri = "file:" + urllib.parse.quote(str(self.path.resolve()))
        uri += "?mode=ro" if wal else "?mode=ro&immutable=1"
        try:
            self.db = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
            tables = {
                r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        except sqlite3.Error as exc:
            raise UserError(f"{self.path}: not a drill's records ({exc})") from None
        missing = sorted(set(TABLES) - tables)
        if missing:
            self.db.close()
            raise UserError(f"{self.path}: not a drill's records (no table {', '.join(missing)})")

    def close(self) -> None:
        """Close the file; the console's writes are checkpointed into it first (WAL
        truncated), so that the .sqlite file alone holds every record (copy it and hash it
        at ENDEX: docs/drills.md). Closing twice is harmless."""
        with self.lock:
            if getattr(self, "db", None) is None:
                return
            if not self.readonly:
                # (another connection still reading: the WAL stays, nothing is lost)
                with contextlib.suppress(sqlite3.Error):
                    self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.db.close()
            self.db = None

    def digest(self) -> str:
        """SHA-256 of what a review reads (package and meta, clock, releases, observations,
        audit log), row by row in a canonical JSON: unlike the file's own hash it does not
        change when SQLite rewrites its pages, and it changes when any record does. The
        console prints it when it stops; the review prints it again (docs/drills.md)."""
        h = hashlib.sha256()
        with self.lock:
            for table, order in DIGESTED:
                rows = self.db.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
                line = json.dumps([table, rows], ensure_ascii=False, separators=(",", ":"))
                h.update(line.encode("utf-8") + b"\n")
        return h.hexdigest()

    # ------------------------------------------------------------------ meta, package
    def meta(self, key: str) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def package(self) -> dict | None:
        raw = self.meta("package")
        return None if raw is None else json.loads(raw)

    # ------------------------------------------------------------------ access codes
    def ensure_codes(self) -> dict[str, str] | None:
        """Make the three access codes at the first start (returned once), else None."""
        with self.lock:
            if self.db.execute("SELECT COUNT(*) FROM codes").fetchone()[0] == len(ROLES):
                return None
            codes = {r: secrets.token_urlsafe(6) for r in ROLES}
            for r, c in codes.items():
                self.db.execute("INSERT OR REPLACE INTO codes VALUES (?, ?)", (r, code_hash(c)))
            return codes

    def role_for_code(self, code: str) -> str | None:
        h = code_hash(code)
        with self.lock:
            rows = self.db.execute("SELECT role, code_sha256 FROM codes").fetchall()
        for role, stored in rows:
            if secrets.compare_digest(stored, h):
                return role
        return None

    def new_session(self, role: str) -> str:
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.db.execute("INSERT INTO sessions VALUES (?, ?, ?)", (token, role, time.time()))
        return token

    def session_role(self, token: str | None) -> str | None:
        if not token:
            return None
        with self.lock:
            row = self.db.execute("SELECT role FROM sessions WHERE token=?", (token,)).fetchone()
        return None if row is None else row[0]

    def end_session(self, token: str | None) -> str | None:
        """Forget session ``token`` (logout): a copy of its cookie no longer opens a page.
        The role it had, or None if it was no session."""
        role = self.session_role(token)
        if role is not None:
            with self.lock:
                self.db.execute("DELETE FROM sessions WHERE token=?", (token,))
        return role

    # ------------------------------------------------------------------ clock
    def clock(self) -> tuple[str, float, float, float] | None:
        with self.lock:
            return self.db.execute(
                "SELECT state, anchor_min, anchor_wall, speed FROM clock WHERE id=1"
            ).fetchone()

    def set_clock(self, state: str, anchor_min: float, anchor_wall: float, speed: float) -> None:
        with self.lock:
            self.db.execute(
                "INSERT OR REPLACE INTO clock VALUES (1, ?, ?, ?, ?)",
                (state, anchor_min, anchor_wall, speed),
            )

    def end_clock(self, drill_min: float, wall: float, speed: float, by: str) -> None:
        """Record ENDEX at ``drill_min`` and who ended the drill (``by``: ``controller``,
        or ``window`` when the clock reached the end of the window), in one transaction."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.set_clock("ended", drill_min, wall, speed)
                self.set_meta("endex_by", by)
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def endex(self) -> tuple[float, float, str] | None:
        """(drill minute, wall time, who ended it) of ENDEX; None while the drill has not
        ended. Who: ``controller`` or ``window`` (the clock reached the end of the window);
        records made before it was kept tell it by the audit's ``clock end``."""
        c = self.clock()
        if c is None or c[0] != "ended":
            return None
        by = self.meta("endex_by")
        if by is None:
            with self.lock:
                pressed = self.db.execute(
                    "SELECT 1 FROM audit WHERE role='controller' AND what='clock end' LIMIT 1"
                ).fetchone()
            by = "controller" if pressed else "window"
        return float(c[1]), float(c[2]), by

    # ------------------------------------------------------------------ releases
    def release(
        self,
        seq: int,
        kind: str,
        contingency: int | None,
        drill_min: float,
        how: str,
        card: dict | Callable[[int], dict],
    ) -> bool:
        """Record a release; False if it was released before. ``card`` may be a function of
        the player's card number (1 + the releases recorded so far: cards are numbered in
        order of release), called under the store's lock."""
        with self.lock:
            if callable(card):
                card = card(1 + self.db.execute("SELECT COUNT(*) FROM released").fetchone()[0])
            cur = self.db.execute(
                "INSERT OR IGNORE INTO released (seq, kind, contingency, drill_min, wall, how, card)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    seq,
                    kind,
                    -1 if contingency is None else contingency,
                    drill_min,
                    time.time(),
                    how,
                    json.dumps(card, ensure_ascii=False),
                ),
            )
            return cur.rowcount == 1

    def released(self) -> list[dict]:
        with self.lock:
            rows = self.db.execute(
                "SELECT seq, kind, contingency, drill_min, wall, how, card FROM released ORDER BY id"
            ).fetchall()
        return [
            {
                "seq": s,
                "kind": k,
                "contingency": None if c == -1 else c,
                "drill_min": m,
                "wall": w,
                "how": h,
                "card": json.loads(card),
            }
            for s, k, c, m, w, h, card in rows
        ]

    # ------------------------------------------------------------------ observations
    def observe(
        self, row_id: str, observed_min: float | None, text: str, evaluator: str, notes: str
    ) -> int:
        with self.lock:
            cur = self.db.execute(
                "INSERT INTO observations (row_id, observed_min, observed_text, evaluator, notes,"
                " wall) VALUES (?, ?, ?, ?, ?, ?)",
                (row_id, observed_min, text, evaluator, notes, time.time()),
            )
            return int(cur.lastrowid)

    def observations(self) -> list[dict]:
        with self.lock:
            rows = self.db.execute(
                "SELECT id, row_id, observed_min, observed_text, evaluator, notes, wall "
                "FROM observations ORDER BY id"
            ).fetchall()
        keys = ("id", "row_id", "observed_min", "observed_text", "evaluator", "notes", "wall")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def audit_log(self) -> list[dict]:
        """Every audited action and refused request, in order: ``wall`` (epoch s), ``role``
        (``-`` without a session), ``what``, and the drill clock then: ``drill_min`` and
        ``clock_state`` (ready, running, paused or ended; None in records of a console that
        did not keep them)."""
        with self.lock:
            have = {r[1] for r in self.db.execute("PRAGMA table_info(audit)")}
            cols = [c if c in have else f"NULL AS {c}" for c in ("drill_min", "clock_state")]
            rows = self.db.execute(
                f"SELECT wall, role, what, {', '.join(cols)} FROM audit ORDER BY id"
            ).fetchall()
        keys = ("wall", "role", "what", "drill_min", "clock_state")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def audit(
        self, role: str, what: str, drill_min: float | None = None, clock_state: str | None = None
    ) -> None:
        """Record ``what`` done (or refused) for ``role``, now, at drill minute ``drill_min``
        of a clock in ``clock_state``."""
        with self.lock:
            self.db.execute(
                "INSERT INTO audit (wall, role, what, drill_min, clock_state)"
                " VALUES (?, ?, ?, ?, ?)",
                (time.time(), role, what, drill_min, clock_state),
            )
