"""Checkpoints of finished replications: signed JSON, re-validated on load, never unpickled.

A checkpoint is ``<run dir>/replications/rep_NNNNN.json``: a header line and a payload line.

- **Nothing in it can execute.** The payload is JSON (numbers, strings, lists); DataFrames are
  stored as columns with an allowed dtype each and rebuilt from those values. ``pickle`` is
  never used on a file from a run folder.
- **Integrity is bound to this installation and this run's config.** The header holds an
  HMAC-SHA256 of the payload under a secret key kept *outside* the run folder
  (``$DISTRICT_SIM_KEY``, else ``~/.config/district-sim/key``, made on first use with mode
  0600); the payload holds the config fingerprint and the replication number. A checkpoint
  edited by hand, copied from another config or written by someone without the key is
  refused in one line, as is any file in ``replications/`` that is not a checkpoint.
- **Contents are re-validated** after the MAC check: exact keys, types, dtypes, lengths.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import re
import secrets
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from sim.core.errors import CheckpointError, OutputError
from sim.core.paths import KEY_ENV, key_file
from sim.run.experiment import RepResult
from sim.run.outputs import atomic_write, refuse_links

FORMAT = "district-sim-checkpoint"
VERSION = 1
# ASSUMPTION: one replication's tables and event log stay far below 512 MB; a bigger file in
# replications/ is not ours and is refused before it is read.
MAX_BYTES = 512 * 2**20
DTYPES = frozenset({"float64", "int64", "bool", "object", "str", "string"})
_NAME = re.compile(r"^rep_(\d{5,})\.json$")
_TMP = re.compile(r"^\.rep_\d{5,}\.json\..*\.tmp$")  # left by a kill during atomic_write
_KEYS = {"fingerprint", "rep", "kpis", "tables", "events", "n_events", "error"}
_DOMAIN = b"district-sim checkpoint v1\0"


def load_key() -> bytes:
    """The HMAC key: ``$DISTRICT_SIM_KEY``, else the key file (created on first use)."""
    env = os.environ.get(KEY_ENV, "")
    if env:
        if len(env) < 16:
            raise OutputError(f"{KEY_ENV}: a key of at least 16 characters is needed")
        return env.encode("utf-8")
    path = key_file()
    try:
        if path.is_symlink():
            raise OutputError(f"{path}: the checkpoint key file must not be a symbolic link")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        key = path.read_bytes().strip()
    except FileExistsError:  # another process made it first
        key = path.read_bytes().strip()
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot read or create the checkpoint key ({exc.strerror}); "
            f"set {KEY_ENV} instead"
        ) from None
    if len(key) < 32:
        raise OutputError(f"{path}: checkpoint key too short (remove the file to make a new one)")
    return key


def _mac(key: bytes, payload: bytes) -> str:
    return hmac.new(key, _DOMAIN + payload, hashlib.sha256).hexdigest()


# ------------------------------------------------------------------------------ encoding
def _scalar(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None  # JSON has no NaN; None comes back as NaN in float and str columns
    return v


def encode_frame(df: pd.DataFrame) -> dict:
    """A DataFrame as JSON-ready columns (values exact: Python floats round-trip in JSON)."""
    cols = [str(c) for c in df.columns]
    if cols != list(df.columns):
        raise ValueError("checkpoint: table column names must be strings")
    dtypes = [str(d) for d in df.dtypes]
    bad = [d for d in dtypes if d not in DTYPES]
    if bad:
        raise ValueError(f"checkpoint: cannot store a column of dtype {bad[0]}")
    data = [[_scalar(v) for v in df[c].tolist()] for c in df.columns]
    return {"columns": cols, "dtypes": dtypes, "data": data}


def decode_frame(obj: Any, where: str) -> pd.DataFrame:
    """Rebuild a DataFrame from :func:`encode_frame` output, checking every part."""
    if not isinstance(obj, dict) or set(obj) != {"columns", "dtypes", "data"}:
        raise CheckpointError(f"{where}: malformed table")
    cols, dtypes, data = obj["columns"], obj["dtypes"], obj["data"]
    if not (isinstance(cols, list) and isinstance(dtypes, list) and isinstance(data, list)):
        raise CheckpointError(f"{where}: malformed table")
    if not len(cols) == len(dtypes) == len(data) or len(set(cols)) != len(cols):
        raise CheckpointError(f"{where}: malformed table")
    if not all(isinstance(c, str) for c in cols) or not all(d in DTYPES for d in dtypes):
        raise CheckpointError(f"{where}: unexpected column name or dtype")
    n = len(data[0]) if data else 0
    series = {}
    for c, d, values in zip(cols, dtypes, data, strict=True):
        if not isinstance(values, list) or len(values) != n:
            raise CheckpointError(f"{where}.{c}: malformed column")
        if not all(v is None or isinstance(v, str | int | float | bool) for v in values):
            raise CheckpointError(f"{where}.{c}: a cell that is not a plain value")
        try:
            if d == "float64":
                values = [math.nan if v is None else v for v in values]
            series[c] = pd.Series(values, dtype=d)
        except (TypeError, ValueError, OverflowError):
            raise CheckpointError(f"{where}.{c}: values do not fit dtype {d}") from None
    return pd.DataFrame(series, columns=cols)


def encode(res: RepResult, fingerprint: str) -> bytes:
    """The payload line of a checkpoint."""
    body = {
        "fingerprint": fingerprint,
        "rep": int(res.rep),
        "kpis": {str(k): _scalar(float(v)) for k, v in res.kpis.items()},
        "tables": {name: encode_frame(t) for name, t in res.tables.items()},
        "events": None if res.events is None else encode_frame(res.events),
        "n_events": int(res.n_events),
        "error": str(res.error),
    }
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def decode(payload: bytes, fingerprint: str, rep: int, where: str) -> RepResult:
    """A :class:`RepResult` from a payload whose MAC has been checked; contents re-validated."""
    body = _body(payload, fingerprint, rep, where)
    kpis = body["kpis"]
    if not isinstance(kpis, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) or v is None for v in kpis.values()
    ):
        raise CheckpointError(f"{where}: KPIs must be numbers")
    tables = body["tables"]
    if not isinstance(tables, dict):
        raise CheckpointError(f"{where}: malformed tables")
    n_events, error = body["n_events"], body["error"]
    if not isinstance(n_events, int) or isinstance(n_events, bool) or n_events < 0:
        raise CheckpointError(f"{where}: malformed event count")
    if not isinstance(error, str):
        raise CheckpointError(f"{where}: malformed error")
    return RepResult(
        rep=rep,
        kpis={k: math.nan if v is None else float(v) for k, v in kpis.items()},
        tables={k: decode_frame(t, f"{where}:{k}") for k, t in tables.items()},
        events=None if body["events"] is None else decode_frame(body["events"], where),
        n_events=n_events,
        error=error,
    )


def _body(payload: bytes, fingerprint: str, rep: int, where: str) -> dict:
    """The parsed payload, checked to be this config's checkpoint of replication ``rep``."""
    try:
        body = json.loads(payload.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise CheckpointError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(body, dict) or set(body) != _KEYS:
        raise CheckpointError(f"{where}: unexpected contents")
    if body["fingerprint"] != fingerprint:
        raise CheckpointError(
            f"{where}: made with a different config (checkpoints are reused only by the same "
            "config and seed); start a new run folder"
        )
    if body["rep"] != rep or isinstance(body["rep"], bool):
        raise CheckpointError(f"{where}: holds replication {body['rep']!r}, not {rep}")
    return body


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


# ------------------------------------------------------------------------------ folder
class Checkpoints:
    """Finished replications in ``<run dir>/replications/`` (signed JSON, see module doc)."""

    def __init__(
        self, folder: Path, fingerprint: str, root: Path | None = None, key: bytes | None = None
    ) -> None:
        self.folder = Path(folder)
        self.root = Path(root) if root is not None else self.folder.parent
        self.fingerprint = fingerprint
        self._key = key
        self._warned = False

    @property
    def key(self) -> bytes:
        if self._key is None:
            try:
                self._key = load_key()
            except OutputError as exc:  # e.g. a read-only home: run, but not resumable
                self._key = secrets.token_bytes(32)
                if not self._warned:
                    print(f"warning: checkpoints cannot be resumed later: {exc}", file=sys.stderr)
                    self._warned = True
        return self._key

    def _path(self, rep: int) -> Path:
        return self.folder / f"rep_{rep:05d}.json"

    def existing(self) -> dict[int, RepResult]:
        """Successful checkpointed replications; CheckpointError for anything unexpected."""
        out: dict[int, RepResult] = {}
        for p, rep in self._entries():
            res = decode(self._payload(p), self.fingerprint, rep, str(p))
            if not res.error:
                out[res.rep] = res
        return out

    def check(self) -> int:
        """Refuse (CheckpointError, one line) what :meth:`existing` would refuse: a foreign
        entry, a bad signature, another config's checkpoint; without rebuilding the tables.
        For the pre-flight check of a resumed run, before Hydra touches the run folder.
        Returns the number of checkpoints."""
        entries = self._entries()
        for p, rep in entries:
            _body(self._payload(p), self.fingerprint, rep, str(p))
        return len(entries)

    def _entries(self) -> list[tuple[Path, int]]:
        """(path, replication) of every checkpoint in the folder; anything else refused."""
        if not self.folder.exists() and not self.folder.is_symlink():
            return []
        refuse_links(self.folder, self.root)
        if not self.folder.is_dir():
            raise CheckpointError(f"{self.folder}: is not a folder")
        out = []
        for p in sorted(self.folder.iterdir()):
            if _TMP.match(p.name) and p.is_file() and not p.is_symlink():
                continue  # an unfinished write: never read
            m = _NAME.match(p.name)
            if p.suffix == ".pkl":
                raise CheckpointError(
                    f"{p}: a pickled checkpoint (older version); pickles are never loaded, "
                    "start a new run folder"
                )
            if not m or p.is_symlink() or not p.is_file():
                raise CheckpointError(
                    f"{p}: unexpected entry in the checkpoint folder; refusing to resume "
                    "(remove it or start a new run folder)"
                )
            out.append((p, int(m.group(1))))
        return out

    def _payload(self, p: Path) -> bytes:
        """The payload of checkpoint ``p`` once its signature is checked."""
        try:
            if p.stat().st_size > MAX_BYTES:
                raise CheckpointError(f"{p}: larger than {MAX_BYTES // 2**20} MB; not a checkpoint")
            data = p.read_bytes()
        except OSError as exc:
            raise CheckpointError(f"{p}: {exc.strerror}") from None
        header, _, payload = data.partition(b"\n")
        try:
            head = json.loads(header.decode("utf-8"))
            ok = head.get("format") == FORMAT and head.get("version") == VERSION
            mac = head.get("mac") if ok else None
        except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
            mac = None
        if not isinstance(mac, str):
            raise CheckpointError(f"{p}: not a checkpoint of this tool (no signed header)")
        if not hmac.compare_digest(mac, _mac(self.key, payload)):
            raise CheckpointError(
                f"{p}: signature does not match (altered, or written with another key); refusing it"
            )
        return payload

    def save(self, res: RepResult) -> None:
        """Write one replication's checkpoint atomically (links in the run folder refused)."""
        payload = encode(res, self.fingerprint)
        head = {"format": FORMAT, "version": VERSION, "mac": _mac(self.key, payload)}
        atomic_write(self._path(res.rep), json.dumps(head).encode() + b"\n" + payload, self.root)
