"""Drill console and after-action review in a real browser (issue 16).

Playwright drives Debian's chromium (/usr/bin/chromium, installed by .ci/run); Playwright's
own browser download is never used. Without chromium these tests skip with a message.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from html import escape
from pathlib import Path

import pytest

from sim.cli import compose_config
from sim.drill.mode import make_package
from sim.drill.msel import fill_times
from sim.drill.seal import seal

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASS = "console test passphrase"
# an earthquake drill whose injects fall within 2.5 drill hours: 15 s at 600x (long enough
# for a road closure's contingency to fall due before ENDEX: later ones are dropped)
BASE = [
    "experiment=drill",
    "district=beibei",
    "scenario=earthquake",
    "experiment.drill.window_h=2.5",
    "experiment.drill.max_injects=8",
    "experiment.drill.benchmark_replications=3",
    "experiment.executor=serial",
    "experiment.drill.not_before=2090-01-01",  # a past not_before is refused
]
SHOTS = (
    Path(os.environ.get("DRILL_SCREENSHOTS", "")) if os.environ.get("DRILL_SCREENSHOTS") else None
)

playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
if not Path(CHROMIUM).exists():
    pytest.skip(
        "chromium not installed (apt-get install chromium): browser tests skipped",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> tuple[dict, Path]:
    # (secret seed 1: its first inject, a road closure, has one contingency due before ENDEX
    # and one after, as the tests below need; a seed is one drawn drill, and the earthquake's
    # draws changed when each town came to draw on its own stream)
    pkg = make_package(compose_config, BASE, 1, "drill-browser")
    assert len(pkg["msel"]) >= 4
    assert max(i["t_min"] for i in pkg["msel"]) - pkg["clock"]["startex_t_min"] <= 150
    path = tmp_path_factory.mktemp("drill") / "drill-browser.sealed"
    seal(pkg, PASS, path, {"drill_id": "drill-browser", "district": "beibei"})
    return pkg, path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python -m sim.drill serve`` in a subprocess on a free loopback port."""

    def __init__(self, sealed: Path, db: Path, speed: float = 60.0) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sim.drill",
                "serve",
                str(sealed),
                "--port",
                str(self.port),
                "--speed",
                str(speed),
                "--db",
                str(db),
            ],
            cwd=ROOT,
            env={**os.environ, "DRILL_PASSPHRASE": PASS},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.codes: dict[str, str] = {}
        deadline = time.time() + 30
        for line in self.proc.stdout:
            if line.startswith("access code "):
                role, code = line.removeprefix("access code ").split(": ")
                self.codes[role] = code.strip()
            if line.startswith("drill console:"):
                break
            assert time.time() < deadline, "server did not start"
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("server did not listen")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def login(browser, url: str, code: str):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(url + "/")
    page.fill("input[name=code]", code)
    page.click("button[type=submit]")
    return page


def shot(page, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def shared_server(package, tmp_path_factory):
    srv = Server(package[1], tmp_path_factory.mktemp("db") / "d.sqlite")
    yield srv
    srv.stop()


def test_wrong_access_code_is_refused(browser, shared_server):
    srv = shared_server
    page = login(browser, srv.url, "not-a-code")
    assert "access code refused" in page.content()
    assert page.url.endswith("/login")
    for view in ("/player", "/controller", "/evaluator"):
        page.goto(srv.url + view)
        assert "enter your access code" in page.content()
    assert page.request.get(srv.url + "/api/state").status == 403
    player = login(browser, srv.url, srv.codes["player"])
    assert player.url.endswith("/player")
    assert player.request.get(srv.url + "/api/state").ok
    player.goto(srv.url + "/controller")  # a player's code does not open the controller view
    assert "enter your access code" in player.content()
    assert player.request.post(srv.url + "/api/release/1").status == 403


def test_controller_releases_an_inject_and_the_player_sees_only_that(
    browser, package, shared_server
):
    pkg, srv = package[0], shared_server
    ctl = login(browser, srv.url, srv.codes["controller"])
    ply = login(browser, srv.url, srv.codes["player"])
    ctl.wait_for_selector("button[data-release]")
    ply.wait_for_selector("text=waiting for the control team")
    last = pkg["msel"][-1]
    # before STARTEX nothing is released (its card would show the secret date and time)
    button = ctl.locator(f"button[data-release='{last['seq']}']")
    button.wait_for()
    assert button.is_disabled() and "not started" in button.get_attribute("title")
    r = ctl.request.post(f"{srv.url}/api/release/{last['seq']}")
    assert r.status == 409 and "has not started (STARTEX)" in r.json()["detail"]
    # the first inject (drill minute 0) is released by the clock at STARTEX
    assert ctl.request.post(f"{srv.url}/api/clock/start").ok
    assert ctl.request.post(f"{srv.url}/api/clock/pause").ok
    ply.wait_for_selector(".card", timeout=5000)
    out = {c["seq"] for c in ctl.request.get(srv.url + "/api/state").json()["cards"]}
    assert pkg["msel"][0]["seq"] in out and last["seq"] not in out  # (those due at minute 0)
    # a contingency counts from its inject's release: greyed out, refused
    later = [
        i
        for i in pkg["msel"][:-1]
        if i["seq"] not in out and any("player" in x for x in i["contingency"])
    ]
    for inj in later[:1]:
        k = next(i for i, x in enumerate(inj["contingency"]) if "player" in x)
        # (a locator: the page redraws its table every second, an element handle goes stale)
        button = ctl.locator(f"button[data-contingency='{inj['seq']}.{k}']")
        sel = f"button[data-contingency='{inj['seq']}.{k}']"
        ctl.wait_for_function(  # (the page polls the state every second)
            f"(document.querySelector(\"{sel}\")?.title||'').includes('not released')"
        )
        assert button.is_disabled()
        ctl.evaluate(f"post('/api/contingency/{inj['seq']}/{k}')")
        ctl.wait_for_selector(f"#msg:has-text('inject {inj['seq']} has not been released')")
    ctl.click(f"button[data-release='{last['seq']}']")
    n = len(out) + 1
    ply.wait_for_function(f"document.querySelectorAll('.card').length=={n}", timeout=5000)
    ply.wait_for_selector(".card", timeout=5000)
    shot(ctl, "controller")
    shot(ply, "player_one_card")
    html = ply.content()
    got = ply.request.get(srv.url + "/api/state").json()
    state = json.dumps(got, ensure_ascii=False)
    card = got["cards"][-1]  # released last: card n, at the time it was released
    template = next(c for c in pkg["player_cards"] if c["seq"] == last["seq"])
    assert [c["card"] for c in got["cards"]] == list(range(1, n + 1)) and "seq" not in card
    assert "how" not in card
    assert card["en"] == fill_times(template["en"], dt.datetime.fromisoformat(card["clock"]))
    assert escape(card["en"]) in html
    gone = [i for i in pkg["msel"] if i["seq"] in out or i is last]
    shown = {i["inject"][lang] for i in gone for lang in ("zh", "en")}
    for inj in pkg["msel"]:  # never released: not on the page, not in the data
        for lang in ("zh", "en"):
            if inj["inject"][lang] not in shown:
                assert inj["inject"][lang] not in html
                assert inj["inject"][lang] not in state
    for inj in pkg["msel"]:
        assert inj["synopsis"]["en"] not in html + state
        assert all(a["en"] not in html + state for a in inj["expected"])
    assert len(ply.query_selector_all(".card")) == n


def test_an_evaluators_entry_survives_a_server_restart(browser, package, tmp_path):
    pkg, sealed = package
    db = tmp_path / "d.sqlite"
    srv = Server(sealed, db)
    codes = dict(srv.codes)
    try:
        ctl = login(browser, srv.url, codes["controller"])
        # inject 1 (drill minute 0) is released at STARTEX
        assert ctl.request.post(f"{srv.url}/api/clock/start").ok
        assert ctl.request.post(f"{srv.url}/api/clock/pause").ok
        ev = login(browser, srv.url, codes["evaluator"])
        row = pkg["evaluator"][0]["id"]
        ev.wait_for_selector(f"#row-{row}")
        ev.fill("#who", "专家甲")
        # observations that cannot be right are refused, with the reason on the page
        out = {c["seq"] for c in ctl.request.get(srv.url + "/api/state").json()["cards"]}
        unreleased = next(r for r in pkg["evaluator"] if r["seq"] not in out)
        api = srv.url + "/api/observe"
        r = ev.request.post(api, data={"row_id": unreleased["id"], "observed": ""})
        assert r.status == 409 and "has not been released" in r.json()["detail"]
        later = ev.request.post(api, data={"row_id": row, "observed": "2099-01-01 00:00"})
        assert later.status == 409 and "still to come" in later.json()["detail"]
        ev.fill(f"#t-{row}", "2000-01-01 00:00")
        ev.click(f"#row-{row} button")
        ev.wait_for_selector("text=is before inject")
        ev.fill(f"#t-{row}", "")  # blank: the drill clock's time now
        ev.fill(f"#n-{row}", "observed from the duty desk")
        ev.click(f"#row-{row} button")
        ev.wait_for_selector("text=observed from the duty desk")
        observed = ev.inner_text(f"#row-{row} .observed")
    finally:
        srv.stop()  # the evaluator never pressed anything else: the record is already on disk
    srv = Server(sealed, db)
    try:
        assert srv.codes == {}  # codes are made once per drill and kept (hashed)
        ev = login(browser, srv.url, codes["evaluator"])
        ev.wait_for_selector("text=observed from the duty desk")
        assert observed.split()[0] in ev.content() and "专家甲" in ev.content()
        shot(ev, "evaluator_after_restart")
    finally:
        srv.stop()


def test_a_drill_runs_end_to_end_at_600x_and_is_reviewed(browser, package, tmp_path):
    pkg, sealed = package
    db = tmp_path / "d.sqlite"
    srv = Server(sealed, db, speed=600)
    try:
        ctl = login(browser, srv.url, srv.codes["controller"])
        ply = login(browser, srv.url, srv.codes["player"])
        ev = login(browser, srv.url, srv.codes["evaluator"])
        ctl.wait_for_selector("text=STARTEX")
        t0 = time.time()
        ctl.click("text=STARTEX")
        first = pkg["evaluator"][0]["id"]
        ev.wait_for_selector(f"#row-{first}", timeout=5000)
        ev.fill("#who", "evaluator B")
        ev.click(f"#row-{first} button")  # empty time = now
        ev.wait_for_selector(f"#row-{first} .observed")
        c = pkg["msel"][0]["contingency"]
        k = next(i for i, x in enumerate(c) if "player" in x)
        assert ctl.request.post(f"{srv.url}/api/contingency/1/{k}").ok
        ply.wait_for_selector("text=Municipal emergency bureau", timeout=5000)
        dropped = next(i for i, x in enumerate(c) if x["when"] == "dropped")  # due after ENDEX
        assert ctl.request.post(f"{srv.url}/api/contingency/1/{dropped}").status == 400
        deadline = t0 + 40
        while time.time() < deadline:
            s = ctl.request.get(srv.url + "/api/state").json()
            if s["state"] == "ended":
                break
            time.sleep(0.5)
        assert s["state"] == "ended", s
        assert time.time() - t0 < 40
        r = ctl.request.post(f"{srv.url}/api/release/1")  # nothing by hand after ENDEX
        assert r.status == 409 and "ENDEX" in r.json()["detail"]
        ctl.wait_for_function(
            "[...document.querySelectorAll('button[data-contingency]')].every(b=>b.disabled)"
        )
        last = pkg["evaluator"][-1]["id"]
        ev.wait_for_selector(f"#row-{last}", timeout=5000)
        ev.click(f"#row-{last} button")  # an empty time after ENDEX is not "now"
        ev.wait_for_selector("#msg:has-text('the drill has ended (ENDEX)')")
        ev.fill(f"#n-{last}", "not seen by ENDEX")  # a note is kept, with no time
        ev.click(f"#row-{last} button")
        ev.wait_for_selector(f"#row-{last} .observed")
        ply.reload()
        ply.wait_for_selector(".card")
        assert len(ply.query_selector_all(".card")) == len(pkg["msel"]) + 1
        shot(ply, "player_end")
        shot(ctl, "controller_end")
        released = {c["seq"]: c for c in s["cards"] if c["kind"] == "inject"}
        assert set(released) == {i["seq"] for i in pkg["msel"]}
        assert all(c["how"] == "clock" for c in released.values())
        assert [c["card"] for c in s["cards"]] == list(range(1, len(s["cards"]) + 1))
        prompt = next(c for c in s["cards"] if c["kind"] == "contingency")
        assert prompt["ref"] == f"C1.{k + 1}" and "on card 1 (received " in prompt["en"]
    finally:
        srv.stop()
    out = tmp_path / "review"
    r = subprocess.run(
        [sys.executable, "-m", "sim.drill", "review", str(db), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    html = (out / "review.html").read_text(encoding="utf-8")
    assert "After-action review" in html and "Gaps and likely causes" in html
    assert html.count("<svg") >= 1 and "not observed" in html
    assert "Contingency injects released" in html and "C1." in html
    for text in (c[k]["en"], prompt["en"]):  # its trigger and the text the players got
        assert escape(text) in html
    assert "not seen by ENDEX" in html
    assert "ENDEX: not declared" not in html and "ENDEX: " in html  # the clock ended itself
    assert "the drill window ran out" in html
    # the console's log: the three logins, STARTEX, and the refusals met on the way (the
    # dropped contingency, the release after ENDEX)
    assert "Console log" in html and html.count("<td>login</td>") == 3
    assert "refused POST /api/release/1 (409: the drill has ended (ENDEX)" in html
    assert f"refused POST /api/contingency/1/{dropped} (400: " in html
    from openpyxl import load_workbook

    ws = load_workbook(out / "review.xlsx")["review"]
    assert ws.max_row == 1 + len(pkg["evaluator"])
    pct = [ws.cell(i, 11).value for i in range(2, ws.max_row + 1)]
    assert any(p is not None for p in pct)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((out / "review.html").as_uri())
    shot(page, "review")


def test_a_restart_says_when_it_keeps_the_drills_first_speed(
    package, tmp_path, monkeypatch, capsys
):
    """The speed is the drill's (its releases were paced by it): a different --speed at a
    restart is ignored, and now said so (drill review: it was silent)."""
    from sim.drill.console.server import open_console

    monkeypatch.setenv("DRILL_PASSPHRASE", PASS)
    db = tmp_path / "d.sqlite"
    console, _ = open_console(package[1], db, 60.0, "DRILL_PASSPHRASE", None)
    assert console.clock.speed == 60.0
    console.clock.start()  # the speed is fixed at STARTEX
    console.clock.pause()
    capsys.readouterr()
    again, _ = open_console(package[1], db, 600.0, "DRILL_PASSPHRASE", None)
    assert again.clock.speed == 60.0
    err = capsys.readouterr().err
    assert "runs at speed 60" in err and "--speed 600 is ignored" in err
    open_console(package[1], db, None, "DRILL_PASSPHRASE", None)  # no --speed: nothing to say
    assert capsys.readouterr().err == ""


def test_the_clock_speed_is_fixed_at_startex_not_at_the_first_serve(
    package, tmp_path, monkeypatch, capsys
):
    """Reviewer: the first serve locked the speed even if it never reached STARTEX (or never
    bound its port). Before STARTEX a new --speed applies, without a note."""
    from sim.drill.console.server import open_console

    monkeypatch.setenv("DRILL_PASSPHRASE", PASS)
    db = tmp_path / "d.sqlite"
    first, _ = open_console(package[1], db, 600.0, "DRILL_PASSPHRASE", None)
    first.store.close()
    capsys.readouterr()
    again, _ = open_console(package[1], db, 1.0, "DRILL_PASSPHRASE", None)
    assert again.clock.speed == 1.0 and again.clock.state() == "ready"
    assert capsys.readouterr().err == ""
    again.store.close()
    kept, _ = open_console(package[1], db, None, "DRILL_PASSPHRASE", None)  # no --speed
    assert kept.clock.speed == 1.0


def test_a_console_stopped_with_sigterm_leaves_every_record_in_the_sqlite_file(package, tmp_path):
    """Reviewer: a console stopped with SIGTERM left its records only in the -wal; the
    documented archiving (stop, copy the .sqlite, hash it) copied a partial file. SIGTERM
    stops it as Ctrl-C does, and closing checkpoints the WAL into the file."""
    import signal
    import sqlite3
    import urllib.parse
    import urllib.request

    db = tmp_path / "d.sqlite"
    srv = Server(package[1], db)
    form = urllib.parse.urlencode({"code": srv.codes["controller"]}).encode()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    opener.open(srv.url + "/login", data=form, timeout=10).read()
    opener.open(urllib.request.Request(srv.url + "/api/clock/start", b"", method="POST")).read()
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=15) == 0
    # the digest printed at the stop is the review's, of the file alone
    digest = srv.proc.stdout.read().split("records closed: digest ")[1].split()[0]
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "archive" / "copy.sqlite"  # the .sqlite alone, as archived
    copy.parent.mkdir()
    shutil.copyfile(db, copy)
    con = sqlite3.connect(f"file:{copy}?mode=ro&immutable=1", uri=True)
    what = [r[0] for r in con.execute("SELECT what FROM audit ORDER BY id")]
    assert what == ["login", "clock start"]
    assert con.execute("SELECT state FROM clock").fetchone()[0] == "running"
    con.close()
    from sim.drill.console.store import Store

    assert Store(copy, readonly=True).digest() == digest


@pytest.mark.parametrize(
    "args, problem",
    [
        (["--port", "99999"], "--port=99999: must be from 1 to 65535"),
        (["--port", "0"], "--port=0: must be from 1 to 65535"),
        (["--host", "no such host.invalid"], "--host='no such host.invalid': not an address"),
        (["--host", "192.0.2.1"], "--host=192.0.2.1 --port="),  # not this machine's
        (["--port", "in-use"], "is in use"),
    ],
)
def test_a_bad_port_or_host_is_one_line_before_anything_is_unsealed(
    package, tmp_path, args, problem
):
    """Reviewer: --port 99999 was an OverflowError traceback (rc 1) after unsealing and
    printing the access codes; a port in use or a bad --host gave uvicorn's rc 3."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    args = [str(taken.getsockname()[1]) if a == "in-use" else a for a in args]
    db = tmp_path / "d.sqlite"
    try:
        r = subprocess.run(
            [sys.executable, "-m", "sim.drill", "serve", str(package[1]), "--db", str(db), *args],
            cwd=ROOT,
            env={**os.environ, "DRILL_PASSPHRASE": PASS},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        taken.close()
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, r.stderr
    assert problem in r.stderr and "Traceback" not in r.stderr
    assert "access code" not in r.stdout and not db.exists()


def test_serve_refuses_a_package_that_is_not_the_one_its_records_hold(
    package, tmp_path, capsys, monkeypatch
):
    """Reviewer: serve accepted a re-sealed package whose SHA-256 differed from the one in the
    records (the console played the new cards, the review scored the stored package)."""
    from sim.drill.__main__ import main
    from sim.drill.console.server import open_console

    monkeypatch.setenv("DRILL_PASSPHRASE", PASS)
    db = tmp_path / "d.sqlite"
    pkg, sealed = package
    console, _ = open_console(sealed, db, 60.0, "DRILL_PASSPHRASE", None)
    console.store.close()
    resealed = tmp_path / "drill-browser.sealed"  # the same drill id, sealed again
    seal(pkg, PASS, resealed, {"drill_id": "drill-browser", "district": "beibei"})
    kept = db.read_bytes()
    capsys.readouterr()
    rc = main(["serve", str(resealed), "--db", str(db), "--port", str(_free_port())])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "is not the package these records" in err, err
    assert db.read_bytes() == kept
    assert not resealed.with_name(resealed.name + ".openings.jsonl").exists()


def test_an_evaluators_unsaved_entry_survives_someone_else_recording(browser, package, tmp_path):
    """Reviewer: an evaluator's typed time and note (not yet recorded) were wiped whenever
    anyone recorded anything (the table was rebuilt with innerHTML). They are kept, and so
    is the cursor; the row recorded is cleared."""
    pkg, sealed = package
    srv = Server(sealed, tmp_path / "d.sqlite")
    try:
        ctl = login(browser, srv.url, srv.codes["controller"])
        assert ctl.request.post(f"{srv.url}/api/clock/start").ok
        assert ctl.request.post(f"{srv.url}/api/clock/pause").ok
        out = {c["seq"] for c in ctl.request.get(srv.url + "/api/state").json()["cards"]}
        rows = [r["id"] for r in pkg["evaluator"] if r["seq"] in out]
        assert len(rows) >= 2
        mine, other = rows[0], rows[1]
        ev = login(browser, srv.url, srv.codes["evaluator"])
        ev.wait_for_selector(f"#row-{other}")
        ev.fill(f"#t-{mine}", "12:34")
        ev.fill(f"#n-{mine}", "half typed")
        ev.focus(f"#n-{mine}")
        other_ev = login(browser, srv.url, srv.codes["evaluator"])
        r = other_ev.request.post(
            srv.url + "/api/observe", data={"row_id": other, "notes": "x", "observed": ""}
        )
        assert r.ok, r.text()
        ev.wait_for_selector(f"#row-{other} .observed", timeout=5000)
        assert ev.input_value(f"#t-{mine}") == "12:34"
        assert ev.input_value(f"#n-{mine}") == "half typed"
        assert ev.evaluate("document.activeElement.id") == f"n-{mine}"
        ev.fill(f"#t-{mine}", "")
        ev.click(f"#row-{mine} button")  # recorded (empty time = now): its fields are cleared
        ev.wait_for_selector(f"#row-{mine} .observed", timeout=5000)
        assert ev.input_value(f"#n-{mine}") == ""
    finally:
        srv.stop()


def test_serve_over_tls_on_all_addresses_and_refuse_plain_http_there(package, tmp_path):
    """Reviewer: ``--host 0.0.0.0`` served plain HTTP with no Secure cookie. Over TLS
    (``--ssl-certfile/--ssl-keyfile``, a throwaway self-signed certificate) the console is
    HTTPS and its session cookie Secure; plain HTTP on 0.0.0.0 is refused in one line before
    anything is unsealed, unless --insecure-lan."""
    import ssl
    import urllib.error
    import urllib.request

    from test_drill_review import _self_signed

    certfile, keyfile = _self_signed(tmp_path)
    env = {**os.environ, "DRILL_PASSPHRASE": PASS}
    db = tmp_path / "d.sqlite"
    port = _free_port()
    base = [sys.executable, "-m", "sim.drill", "serve", str(package[1]), "--db", str(db)]
    plain = subprocess.run(
        [*base, "--host", "0.0.0.0", "--port", str(port)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert plain.returncode == 2 and plain.stderr.count("\n") == 1, plain.stderr
    assert plain.stderr.startswith("error: --host=0.0.0.0: listens beyond this machine")
    assert "access code" not in plain.stdout and not db.exists()
    tls = ["--ssl-certfile", str(certfile), "--ssl-keyfile", str(keyfile)]
    proc = subprocess.Popen(
        [*base, "--host", "0.0.0.0", "--port", str(port), *tls],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        lines, codes = [], {}
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("access code "):
                role, code = line.removeprefix("access code ").split(": ")
                codes[role] = code.strip()
            if line.startswith("drill console:"):
                break
        assert lines[-1].startswith(f"drill console: https://0.0.0.0:{port}/"), lines
        assert not any(ln.startswith("warning") for ln in lines), lines
        ctx = ssl.create_default_context(cafile=str(certfile))
        url = f"https://127.0.0.1:{port}"
        deadline = time.time() + 20
        while True:
            try:
                page = urllib.request.urlopen(url + "/", context=ctx, timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.time() < deadline, "the TLS console did not answer"
                time.sleep(0.2)
        assert "访问码".encode() in page

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx), NoRedirect())
        login = urllib.request.Request(
            url + "/login", f"code={codes['controller']}".encode(), method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as resp:  # (the 303 not followed)
            opener.open(login, timeout=5)
        assert resp.value.code == 303
        resp.value.close()  # (an open TLS connection would hold the console's shutdown)
        cookie = resp.value.headers["set-cookie"].lower()
        assert "drill_session=" in cookie and "; secure" in cookie and "httponly" in cookie
        with pytest.raises((urllib.error.URLError, ConnectionError)):  # no plain HTTP there
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
    finally:
        proc.terminate()
        proc.wait(timeout=45)
