"""The drill console: a FastAPI application served by uvicorn (127.0.0.1 by default).

Three roles behind per-drill access codes (made at the first start and printed once; only
their SHA-256 is stored): the controller sees the MSEL, the countdown to the next inject,
releases injects on time or by hand, inserts contingency injects, pauses and resumes; the
player view shows only the cards released so far (the server never sends an unreleased
inject to it); evaluators record observed times against the evaluator sheet. Every action
is committed to SQLite at once (:mod:`sim.drill.console.store`), and so is every request
the console refuses (a wrong access code, a role asking for another role's view or action,
an action refused with its reason) in the audit table, as ``refused ...``: the review lists
them, since a player reaching for the controller's view is a breach of the double blind.
"""

from __future__ import annotations

import datetime as dt
import errno
import ipaddress
import json
import math
import re
import signal
import socket
import ssl
import sys
import time
from pathlib import Path

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sim.core.errors import UserError
from sim.drill.console.clock import (
    DrillClock,
    clock_minute,
    minutes_after,
    startex_of,
    window_end_min,
)
from sim.drill.console.pages import login_page, role_page
from sim.drill.console.store import Store
from sim.drill.package import contingency_text, player_view, released_card

COOKIE = "drill_session"
NO_ROLE = "-"  # the audit's role of a request without a valid session
UNAUDITED = frozenset({"/favicon.ico"})  # what a browser asks for by itself
OBSERVE_AHEAD_MIN = 1.0  # a clock time typed this far ahead of the drill clock is still "now" (rounding to the minute)
BUREAU = {"zh": "市应急管理局（导调组模拟）", "en": "municipal emergency bureau (control)"}


class Console:
    """The drill's state: package, store and clock, and what each role may see."""

    def __init__(self, pkg: dict, store: Store, speed: float) -> None:
        self.pkg = pkg
        self.store = store
        t0 = float(pkg["clock"]["startex_t_min"])
        self.startex = startex_of(pkg)
        self.inj = {i["seq"]: i for i in pkg["msel"]}
        self.cards = {c["seq"]: c for c in pkg["player_cards"]}
        self.rows = {r["id"]: r for r in pkg["evaluator"]}
        sched = [(float(i["t_min"]) - t0, i["seq"]) for i in pkg["msel"]]
        self.clock = DrillClock(store, sched, self.release_inject, speed, window_end_min(pkg))

    def audit(self, role: str, what: str) -> None:
        """Record ``what`` for ``role`` in the audit table with the drill clock at that moment
        (the review shows each record's drill time beside its real time)."""
        state = "ended" if self.clock.ended() else self.clock.state()
        self.store.audit(role, what, self.clock.now(), state)

    def at(self, drill_min: float) -> dt.datetime:
        """The clock time of drill minute ``drill_min``."""
        return self.startex + dt.timedelta(minutes=drill_min)

    def clock_text(self, drill_min: float) -> str:
        return self.at(drill_min).strftime("%Y-%m-%d %H:%M")

    def drill_min_of(self, text: str) -> float | None:
        """Drill minute of an observed clock time ('HH:MM' or 'YYYY-MM-DD HH:MM'); None if bad.

        HH:MM is the latest such clock time not after the drill clock (plus the minute
        ``OBSERVE_AHEAD_MIN`` allowed for rounding): an action is typed after it was seen,
        so a time later than the clock is the day before (an entry typed more than 12 h
        late is still that day's, not the next). A time with a time-zone offset is refused
        (HTTP 400): the drill's clock times have none."""
        text = text.strip()
        if not text.isascii():  # (int() reads other scripts' digits too: '١٢:٠٠')
            return None
        limit = self.startex + dt.timedelta(minutes=self.clock.now() + OBSERVE_AHEAD_MIN)
        try:
            if len(text) <= 5:
                h, m = (int(x) for x in text.split(":"))
                when = dt.datetime.combine(limit.date(), dt.time(h, m))
                if when > limit:
                    when -= dt.timedelta(days=1)
            else:
                when = dt.datetime.fromisoformat(text)
        except (ValueError, OverflowError):
            return None
        if when.tzinfo is not None:
            raise HTTPException(
                400,
                f"observed time {text!r}: no time-zone offset, please; type the drill's own "
                "clock time (HH:MM or YYYY-MM-DD HH:MM)",
            )
        return (when - self.startex).total_seconds() / 60.0

    def inject_release(self, seq: int) -> dict | None:
        """The release record of inject ``seq`` (None: not released yet)."""
        for r in self.store.released():
            if r["kind"] == "inject" and r["seq"] == seq:
                return r
        return None

    def inject_released_min(self, seq: int) -> float | None:
        """Drill minute at which inject ``seq`` was released (None: not yet)."""
        r = self.inject_release(seq)
        return None if r is None else float(r["drill_min"])

    def read_as_yesterday(self, text: str) -> bool:
        """Whether ``text`` is an HH:MM that :meth:`drill_min_of` read as the day before
        (that time today is still to come on the drill clock)."""
        text = text.strip()
        if not text.isascii() or len(text) > 5 or ":" not in text:
            return False
        limit = self.startex + dt.timedelta(minutes=self.clock.now() + OBSERVE_AHEAD_MIN)
        try:
            h, m = (int(x) for x in text.split(":"))
            return dt.datetime.combine(limit.date(), dt.time(h, m)) > limit
        except ValueError:
            return False

    def observation_problem(self, row: dict, when: float | None, typed: str = "") -> str:
        """Why an observation of evaluator ``row`` at drill minute ``when`` cannot be right
        ("" if it can): its inject not released yet, a time before the release, a time
        still to come on the drill clock, or after ENDEX. Times are compared by the clock
        minute an evaluator types: an action seen in the minute of its release (released at
        18:15:06, typed 18:15) is after it, one a minute earlier is not."""
        released = self.inject_released_min(int(row["seq"]))
        if released is None:
            return f"inject {row['seq']} has not been released: nothing to observe yet"
        if when is None:
            return ""
        if minutes_after(self.startex, released, when) < 0:
            if self.read_as_yesterday(typed):
                # (typed 21:30 at 20:00: read as yesterday's 21:30, before the release - the
                # message said only that, as if the evaluator had typed yesterday's time)
                return (
                    f"observed {typed.strip()} is later than the drill clock "
                    f"({self.clock_text(self.clock.now())}): a time still to come is no "
                    f"observation (HH:MM is read as the latest such time not after the drill "
                    f"clock, {self.clock_text(when)}, before inject {row['seq']} was released "
                    f"at {self.clock_text(released)})"
                )
            return (
                f"observed {self.clock_text(when)} is before inject {row['seq']} was released "
                f"({self.clock_text(released)})"
            )
        now = self.clock.now()
        if self.clock.ended():  # the clock stands at ENDEX
            if clock_minute(self.startex, when) > clock_minute(self.startex, now):
                return (
                    f"observed {self.clock_text(when)} is after ENDEX ({self.clock_text(now)}): "
                    "an action not done by ENDEX is reviewed as not observed"
                )
            return ""
        if when > now + OBSERVE_AHEAD_MIN:
            return f"observed {self.clock_text(when)} is still to come (drill clock {self.clock_text(now)})"
        return ""

    def observed_min(self, row_id: str) -> float | None:
        """The observed drill minute that counts for evaluator row ``row_id``: its last
        entry with a time (None: none yet)."""
        timed = [
            o["observed_min"]
            for o in self.store.observations()
            if o["row_id"] == row_id and o["observed_min"] is not None
        ]
        return float(timed[-1]) if timed else None

    def observe(self, row_id: str, text: str, who: str, notes: str) -> dict:
        """Record an evaluator's entry for ``row_id``: a clock time typed (HH:MM or
        YYYY-MM-DD HH:MM), a number of people (people standards), or nothing. Nothing means
        "now" only for a row not yet observed while the drill runs; on a row already observed,
        or after ENDEX, it is a note, which never changes the observed time (without a note
        it is refused). HTTPException 400/409 with the reason otherwise."""
        row = self.rows[row_id]
        self.refuse_before_startex("observation")
        std = row.get("standard") or {}
        # a quantity: people covered (ASCII digits only: '²'.isdigit() is True, int('²') fails)
        if std.get("kind") == "people" and re.fullmatch(r"[0-9]{1,9}", text):
            if self.clock.ended():  # (like a time after ENDEX: not what was seen by then)
                raise HTTPException(
                    409,
                    "the drill has ended (ENDEX): no number of people after it; a count "
                    "not given by ENDEX is reviewed as not observed (write a note)",
                )
            problem = self.observation_problem(row, None)
            if problem:
                raise HTTPException(409, problem)
            oid = self.store.observe(row_id, None, f"{int(text)} people", who, notes)
            return {"id": oid, "people": int(text)}
        if not text:
            seen = self.observed_min(row_id)
            if seen is not None or self.clock.ended():
                why = (
                    f"{row_id} was observed at {self.clock_text(seen)}"
                    if seen is not None
                    else "the drill has ended (ENDEX)"
                )
                if not notes.strip():
                    raise HTTPException(
                        409,
                        f"{why}: an empty time is not 'now' here; type the clock time "
                        "observed (to correct it), or write a note",
                    )
                problem = self.observation_problem(row, None)
                if problem:
                    raise HTTPException(409, problem)
                return {"id": self.store.observe(row_id, None, "", who, notes), "note": True}
        when = self.clock.now() if not text else self.drill_min_of(text)
        if when is None:
            raise HTTPException(400, "observed time: use HH:MM or YYYY-MM-DD HH:MM")
        problem = self.observation_problem(row, when, text)
        if problem:
            raise HTTPException(409, problem)
        oid = self.store.observe(row_id, when, text or self.clock_text(when), who, notes)
        return {"id": oid, "observed_min": when}

    # ------------------------------------------------------------------ actions
    def refuse_before_startex(self, what: str) -> None:
        """HTTP 409 before STARTEX (clock ``ready``): a release would stamp its card with the
        drill's secret date and time, and an observation would count from drill minute 0."""
        if self.clock.state() == "ready":
            raise HTTPException(409, f"the drill has not started (STARTEX): no {what} before it")

    def refuse_after_endex(self, what: str) -> None:
        """HTTP 409 once the drill has ended (declared, or the window over): no ``what``."""
        if self.clock.ended():
            raise HTTPException(409, f"the drill has ended (ENDEX): no {what} after it")

    def release_inject(self, seq: int, drill_min: float, how: str) -> bool:
        """Release inject ``seq`` at ``drill_min``: its card is numbered in order of release
        and carries the release's clock, in its header and in its text."""
        at = self.at(drill_min)
        return self.store.release(
            seq,
            "inject",
            None,
            drill_min,
            how,
            lambda n: released_card(self.cards[seq], n, at, f"MSEL {seq}"),
        )

    def release_by_hand(self, seq: int) -> bool:
        """The controller releases inject ``seq`` now (early or late), never before STARTEX
        nor after ENDEX."""
        self.refuse_before_startex("inject released")
        self.refuse_after_endex("inject released")
        return self.release_inject(seq, self.clock.now(), "manual")

    def release_contingency(self, seq: int, k: int) -> bool:
        """Release contingency ``k`` of inject ``seq``: its trigger counts from that inject's
        release, so not before it, and never after ENDEX."""
        c = self.inj[seq]["contingency"][k]
        if c.get("when") == "dropped":
            raise HTTPException(400, "this contingency was dropped: it falls after ENDEX")
        if "player" not in c:
            raise HTTPException(400, "this contingency releases another inject: release it")
        self.refuse_before_startex("contingency")
        self.refuse_after_endex("contingency")
        rel = self.inject_release(seq)
        if rel is None:
            raise HTTPException(
                409,
                f"inject {seq} has not been released: its contingency counts from its release",
            )
        now = self.clock.now()
        # it names only the players' own card of the inject and when it came
        text = contingency_text(
            c, rel["card"].get("card", ""), self.at(float(rel["drill_min"])).strftime("%H:%M")
        )
        base = {
            "seq": seq,
            "from": BUREAU,
            "to": self.inj[seq]["to"],
            "method": {"zh": "电话", "en": "phone call"},
            **text,
        }
        at = self.at(now)
        return self.store.release(
            seq,
            "contingency",
            k,
            now,
            "manual",
            lambda n: released_card(base, n, at, f"C{seq}.{k + 1}"),
        )

    # ------------------------------------------------------------------ views
    def state(self, role: str) -> dict:
        now = self.clock.now()
        out = {
            "role": role,
            "drill_id": self.pkg["drill_id"],
            "district": self.pkg["district"],
            "state": self.clock.state(),
            "speed": self.clock.speed,
            "drill_min": round(now, 2),
            "clock": self.clock_text(now),
        }
        rel = self.store.released()
        if role == "player":  # the cards as handed over: no MSEL number, nor how they came
            if out["state"] == "ready":  # before STARTEX the drill's date and time are secret
                out["clock"] = "--"  # (and so are a card's: nothing is released before it)
                rel = []
            out["cards"] = [player_view(r["card"]) for r in rel]
            return out
        out["cards"] = [r["card"] | {"how": r["how"], "kind": r["kind"]} for r in rel]
        done = {r["seq"] for r in rel if r["kind"] == "inject"}
        t0 = float(self.pkg["clock"]["startex_t_min"])
        if role == "controller":
            nxt = [i for i in self.pkg["msel"] if i["seq"] not in done]
            out["msel"] = [i | {"released": i["seq"] in done} for i in self.pkg["msel"]]
            out["next"] = None
            if nxt:
                n = nxt[0]
                out["next"] = {"seq": n["seq"], "in_min": round(float(n["t_min"]) - t0 - now, 2)}
            out["contingencies_released"] = [
                [r["seq"], r["contingency"]] for r in rel if r["kind"] == "contingency"
            ]
        if role == "evaluator":
            rows = [r for r in self.pkg["evaluator"] if r["seq"] in done]
            at = {r["seq"]: float(r["drill_min"]) for r in rel if r["kind"] == "inject"}
            out["rows"] = [
                {
                    k: r[k]
                    for k in (
                        "id",
                        "seq",
                        "action",
                        "who",
                        "plan_source",
                        "benchmark_text",
                    )
                }
                | {
                    "people": (r.get("standard") or {}).get("kind") == "people",
                    # when its inject was actually released (the sheet's clock is the MSEL's
                    # schedule): what an observation counts from
                    "clock": self.clock_text(at[r["seq"]]),
                }
                for r in rows
            ]
            out["observations"] = self.store.observations()
        return out


def create_app(console: Console, secure_cookie: bool = False) -> FastAPI:
    """The web application of one drill (``secure_cookie``: served over TLS, the session
    cookie is marked ``Secure``, so that a browser never sends it over plain HTTP)."""
    app = FastAPI(
        title=f"drill console {console.pkg['drill_id']}",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    def role_of(request: Request) -> str | None:
        return console.store.session_role(request.cookies.get(COOKIE))

    def need(request: Request, *roles: str) -> str:
        role = role_of(request)
        if role is None or role not in roles:
            raise HTTPException(403, "not allowed for this access code")
        return role

    def refused(request: Request, status: int, detail: str) -> None:
        """Audit a refused request: ``refused <METHOD> <path> (<status>: <reason>)``."""
        if request.url.path in UNAUDITED:
            return
        what = f"refused {request.method} {request.url.path[:200]} ({status}: {detail[:300]})"
        console.audit(role_of(request) or NO_ROLE, what)

    @app.exception_handler(StarletteHTTPException)
    async def audit_refusal(request: Request, exc: StarletteHTTPException):
        refused(request, exc.status_code, str(exc.detail))
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def audit_invalid(request: Request, exc: RequestValidationError):
        refused(request, 422, "malformed request")
        return await request_validation_exception_handler(request, exc)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request):
        role = role_of(request)
        if role:
            return RedirectResponse(f"/{role}", status_code=303)
        return HTMLResponse(login_page(console.pkg, ""))

    @app.post("/login")
    def login(request: Request, code: str = Form(...)):
        role = console.store.role_for_code(code)
        if role is None:
            refused(request, 403, "access code refused")
            time.sleep(0.5)  # slow down guessing
            return HTMLResponse(login_page(console.pkg, "访问码错误 · access code refused"), 403)
        console.audit(role, "login")
        resp = RedirectResponse(f"/{role}", status_code=303)
        resp.set_cookie(
            COOKIE,
            console.store.new_session(role),
            httponly=True,
            samesite="strict",
            secure=secure_cookie,
        )
        return resp

    @app.get("/logout")
    def logout(request: Request):
        role = console.store.end_session(request.cookies.get(COOKIE))
        if role is not None:
            console.audit(role, "logout")
        resp = RedirectResponse("/", status_code=303)
        resp.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=secure_cookie)
        return resp

    for view in ("controller", "player", "evaluator"):

        def page(request: Request, view: str = view):
            role = role_of(request)
            if role != view:
                if role is not None:  # (without a session it is just the login form)
                    refused(request, 403, f"the {view} view, with a {role} access code")
                return HTMLResponse(
                    login_page(console.pkg, "请先输入访问码 · enter your access code"), 403
                )
            return HTMLResponse(role_page(console.pkg, view))

        app.add_api_route(f"/{view}", page, methods=["GET"], response_class=HTMLResponse)

    @app.get("/api/state")
    def state(request: Request):
        return JSONResponse(console.state(need(request, "controller", "player", "evaluator")))

    @app.post("/api/clock/{action}")
    def clock(action: str, request: Request):
        role = need(request, "controller")
        act = {
            "start": console.clock.start,
            "pause": console.clock.pause,
            "resume": console.clock.resume,
            "end": console.clock.end,
        }.get(action)
        if act is None:
            raise HTTPException(404, "unknown clock action")
        if action != "end":  # (ENDEX again keeps the first: nothing to refuse)
            # after ENDEX the drill clock stands: a start, pause or resume there was logged
            # as a clock action (200, state "ended") and shown in the review
            console.refuse_after_endex(f"clock {action}")
        act()
        console.audit(role, f"clock {action}")
        return {"state": console.clock.state()}

    @app.post("/api/release/{seq}")
    def release(seq: int, request: Request):
        role = need(request, "controller")
        if seq not in console.inj:
            raise HTTPException(404, "no such inject")
        ok = console.release_by_hand(seq)
        console.audit(role, f"release {seq}")
        return {"released": ok}

    @app.post("/api/contingency/{seq}/{k}")
    def contingency(seq: int, k: int, request: Request):
        role = need(request, "controller")
        if seq not in console.inj or not 0 <= k < len(console.inj[seq]["contingency"]):
            raise HTTPException(404, "no such contingency inject")
        ok = console.release_contingency(seq, k)
        console.audit(role, f"contingency {seq}.{k}")
        return {"released": ok}

    @app.post("/api/observe")
    async def observe(request: Request):
        role = need(request, "evaluator")
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise HTTPException(400, "observation: send a JSON object")
        row = str(body.get("row_id", ""))
        if row not in console.rows:
            raise HTTPException(404, "no such evaluator row")
        text = str(body.get("observed", "")).strip()[:40]
        who, notes = str(body.get("evaluator", ""))[:60], str(body.get("notes", ""))[:2000]
        out = console.observe(row, text, who, notes)
        console.audit(role, f"{'note' if out.get('note') else 'observe'} {row}")
        return out

    return app


def check_speed(speed: float | None) -> None:
    """Refuse a clock speed that is not a finite number > 0 (``--speed nan``, ``inf``, 0),
    in one line, before anything is unsealed or written (the access codes among it)."""
    if speed is not None and not (math.isfinite(speed) and speed > 0):
        raise UserError(f"--speed={speed:g}: must be a finite number > 0")


def open_console(
    sealed: Path, db: Path | None, speed: float | None, passphrase_env: str, sha256: str | None
) -> tuple[Console, dict[str, str] | None]:
    """Unseal (recorded), open or create the drill's SQLite file, set up the clock."""
    from sim.drill.mode import load_sealed
    from sim.drill.seal import passphrase_for, record_opening

    check_speed(speed)
    passphrase, _ = passphrase_for(passphrase_env, new=False)
    pkg, digest = load_sealed(Path(sealed), passphrase, sha256)
    db = Path(db) if db else Path(sealed).with_name(f"{pkg['drill_id']}.sqlite")
    store = Store(db)
    known = store.meta("drill_id")
    if known is not None and known != pkg["drill_id"]:
        raise UserError(f"{db}: belongs to drill {known}, not {pkg['drill_id']}")
    kept_sha = store.meta("sha256")
    if known is not None and kept_sha is not None and kept_sha != digest:
        # (a re-sealed package: the console would play its cards, the review score the
        # package the records hold)
        raise UserError(
            f"{sealed}: SHA-256 {digest} is not the package these records were started with "
            f"({kept_sha}, in {db}); serve that package, or give a new --db"
        )
    if known is None:
        store.set_meta("drill_id", pkg["drill_id"])
        store.set_meta("package", json.dumps(pkg, ensure_ascii=False))
        store.set_meta("sha256", digest)
    record_opening(Path(sealed), digest, db)
    codes = store.ensure_codes()
    kept = store.clock()
    if kept is not None and kept[0] == "ready" and speed is not None:
        # the speed is fixed at STARTEX: a console that never started (or never listened)
        # paced nothing yet, so a new --speed applies
        store.set_clock("ready", 0.0, time.time(), float(speed))
        kept = None
    if kept is not None and speed is not None and float(speed) != kept[3]:
        print(  # the drill keeps its pace: its scheduled releases were timed at that speed
            f"note: this drill's clock runs at speed {kept[3]:g} (set at its STARTEX); "
            f"--speed {speed:g} is ignored (a new --db starts a drill afresh)",
            file=sys.stderr,
        )
    console = Console(pkg, store, 1.0 if speed is None else speed)
    console.clock.resume_thread()  # a restart continues a running drill
    return console, codes


def check_port(port: int) -> None:
    """Refuse a port outside 1..65535 in one line (``--port 99999`` was an OverflowError
    traceback after the package was unsealed and the access codes printed)."""
    if not 1 <= port <= 65535:
        raise UserError(f"--port={port}: must be from 1 to 65535")


def bind(host: str, port: int) -> socket.socket:
    """The console's listening socket, bound before anything is unsealed or written: a bad
    ``--host`` or a port in use is one line (it was uvicorn's exit status 3 after the
    access codes were printed)."""
    check_port(port)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise UserError(f"--host={host!r}: not an address of this machine ({exc})") from None
    family, kind, proto, _, addr = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        why = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
        raise UserError(f"--host={host} --port={port}: {why}") from None
    sock.set_inheritable(True)
    return sock


def check_tls(certfile: Path | None, keyfile: Path | None) -> bool:
    """Whether the console is served over TLS (``--ssl-certfile``, with ``--ssl-keyfile``
    unless the certificate file holds the key too). The pair is loaded once here, so that a
    missing file, a key that does not match or an encrypted key is one line before anything
    is unsealed (uvicorn's own error came after the access codes were printed)."""
    if keyfile is not None and certfile is None:
        raise UserError("--ssl-keyfile: give the certificate too (--ssl-certfile)")
    if certfile is None:
        return False
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:  # (password b"": an encrypted key is refused, never asked for on the terminal)
        ctx.load_cert_chain(certfile, keyfile, password=lambda: b"")
    except (OSError, ssl.SSLError) as exc:
        why = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)
        raise UserError(
            f"--ssl-certfile={certfile}: cannot be used with its key (--ssl-keyfile="
            f"{keyfile or certfile}): {why} (a PEM certificate and its unencrypted key)"
        ) from None
    return True


def is_loopback(sock: socket.socket) -> bool:
    """Whether ``sock`` is bound to a loopback address (127.0.0.1, ::1): reachable from this
    machine only."""
    try:
        return ipaddress.ip_address(sock.getsockname()[0]).is_loopback
    except ValueError:
        return False


def check_transport(sock: socket.socket, host: str, tls: bool, insecure_lan: bool) -> str:
    """Refuse plain HTTP beyond this machine: a console bound to a non-loopback address
    without TLS sends the access codes and the session cookies over the network in the
    clear, so it needs ``--insecure-lan`` (then the warning returned is printed) or
    ``--ssl-certfile``. Returns the warning to print ('' for none)."""
    if tls or is_loopback(sock):
        return ""
    if not insecure_lan:
        raise UserError(
            f"--host={host}: listens beyond this machine over plain HTTP (access codes and "
            "session cookies would cross the network in the clear); serve over TLS with "
            "--ssl-certfile/--ssl-keyfile, or accept it with --insecure-lan"
        )
    return (
        f"warning: --insecure-lan: the console on {host} is plain HTTP; access codes and "
        "session cookies cross the network in the clear (use --ssl-certfile/--ssl-keyfile)"
    )


class _Stopped(Exception):
    """SIGTERM: stop the console as Ctrl-C does (the records closed, checkpointed)."""


def _on_sigterm(signum, frame) -> None:
    raise _Stopped


def serve(
    sealed: Path,
    host: str,
    port: int,
    speed: float | None,
    db: Path | None,
    passphrase_env: str,
    sha256: str | None,
    ssl_certfile: Path | None = None,
    ssl_keyfile: Path | None = None,
    insecure_lan: bool = False,
) -> None:
    """``python -m sim.drill serve``: run the console until interrupted (Ctrl-C or SIGTERM:
    either closes the records, so that the .sqlite file alone holds every one). Over TLS
    with ``ssl_certfile`` (and ``ssl_keyfile``), its session cookie then ``Secure``; plain
    HTTP beyond this machine only with ``insecure_lan`` (:func:`check_transport`)."""
    import uvicorn

    check_speed(speed)
    tls = check_tls(ssl_certfile, ssl_keyfile)
    sock = bind(host, port)
    try:
        warning = check_transport(sock, host, tls, insecure_lan)
        console, codes = open_console(sealed, db, speed, passphrase_env, sha256)
    except BaseException:
        sock.close()
        raise
    if warning:
        print(warning, file=sys.stderr, flush=True)
    try:
        print(f"drill {console.pkg['drill_id']}: records in {console.store.path}", flush=True)
        if codes:
            for role, code in codes.items():
                print(f"access code {role}: {code}", flush=True)
        else:
            print("access codes: as printed at the first start of this drill", flush=True)
        print(
            f"drill console: {'https' if tls else 'http'}://{host}:{port}/  (clock "
            f"{console.clock.state()}, speed {console.clock.speed:g}x)",
            flush=True,
        )
        # uvicorn shuts down gracefully on SIGTERM, then raises it again once its own
        # handler is gone: by default that killed the process before the records were closed
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            tls_files = (
                {"ssl_certfile": str(ssl_certfile), "ssl_keyfile": ssl_keyfile and str(ssl_keyfile)}
                if tls
                else {}
            )
            server = uvicorn.Server(
                uvicorn.Config(
                    create_app(console, secure_cookie=tls),
                    log_level="warning",
                    lifespan="off",
                    **tls_files,
                )
            )
            server.run(sockets=[sock])
        except (KeyboardInterrupt, _Stopped):
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
    finally:
        console.clock.stop()
        digest = console.store.digest()
        console.store.close()
        sock.close()
        print(
            f"records closed: digest {digest} (write it in the exercise log; the review "
            "prints the digest of the records it reads)",
            flush=True,
        )
