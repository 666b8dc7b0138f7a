"""Drill clock restarts and the after-action review's placement of observed times."""

from __future__ import annotations

import time

import pytest

from sim.drill.console.clock import DrillClock
from sim.drill.console.store import Store
from sim.drill.measures import percentile_of, quantile
from sim.drill.review import review_rows


def test_percentile_of_known_sample():
    sample = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, None]  # None = never
    assert percentile_of(sample, 55.0) == 50.0
    assert percentile_of(sample, 50.0) == 45.0  # mid-rank for a tie
    assert percentile_of(sample, 1e9) == 90.0  # still faster than 'never'
    assert quantile([1.0, 2.0, float("inf")], 0.9) == float("inf")


def _pkg() -> dict:
    std24 = {"kind": "limit", "limit_min": 1440.0, "source": "002 L180"}
    rows = [
        {
            "id": "1A",
            "seq": 1,
            "action": {"zh": "派出", "en": "send"},
            "who": "town",
            "plan_source": "003 L31",
            "measure": "first_arrival",
            "place": {"node": "a"},
            "benchmark_key": "first_arrival/",
            "benchmark_text": {"zh": "", "en": ""},
            "standard": None,
            "sim_min": 30.0,
        },
        {
            "id": "2A",
            "seq": 2,
            "action": {"zh": "物资", "en": "relief"},
            "who": "relief",
            "plan_source": "002 L180",
            "measure": "needs_met",
            "place": {"node": "b"},
            "benchmark_key": "",
            "benchmark_text": {"zh": "", "en": ""},
            "standard": std24,
            "sim_min": 600.0,
        },
        {
            "id": "3A",
            "seq": 3,
            "action": {"zh": "x", "en": "x"},
            "who": "",
            "plan_source": "",
            "measure": "",
            "place": {"node": "c"},
            "benchmark_key": "",
            "benchmark_text": {"zh": "", "en": ""},
            "standard": None,
            "sim_min": None,
        },
    ]
    rows.append(
        {
            **rows[0],
            "id": "1B",
            "measure": "isolation",
            "benchmark_key": "",
            "standard": {"kind": "people", "min_people": 200.0, "source": "000 L241"},
        }
    )
    msel = [
        {
            "seq": i,
            "t_min": 100.0 + 10 * i,
            "kind": "incident",
            "expected": [],
            "inject": {"zh": "", "en": ""},
            "synopsis": {"zh": "", "en": ""},
        }
        for i in (1, 2, 3)
    ]
    bench = {
        "first_arrival/": {"sample": [10.0 * k for k in range(1, 11)], "median": 50.0, "p90": 90.0}
    }
    return {
        "clock": {"start": "2027-06-01T14:00", "startex_t_min": 110.0, "window_h": 1.0},
        "msel": msel,
        "evaluator": rows,
        "benchmarks": bench,
        "scenario": {"source": ""},
        "simulation": {},
    }


def test_review_places_observed_times_and_judges_standards():
    pkg = _pkg()
    released = [
        {"seq": 1, "kind": "inject", "drill_min": 0.0, "how": "clock"},
        {"seq": 2, "kind": "inject", "drill_min": 10.0, "how": "manual"},
    ]
    obs = [
        {"row_id": "1A", "observed_min": 95.0, "observed_text": "x", "notes": ""},
        {"row_id": "1A", "observed_min": 55.0, "observed_text": "y", "notes": "corrected"},
        {"row_id": "2A", "observed_min": 10.0 + 1500.0, "observed_text": "z", "notes": ""},
    ]
    rows = {r["id"]: r for r in review_rows(pkg, released, obs)}
    assert rows["1A"]["elapsed_min"] == 55.0  # the last entry counts
    assert rows["1A"]["percentile"] == 50.0 and rows["1A"]["status"] == "ok"
    assert rows["2A"]["verdict"] == "not met" and rows["2A"]["status"] == "outside standard"
    assert rows["3A"]["status"] == "not released"
    assert rows["1B"]["status"] == "not observed"
    obs.append({"row_id": "1B", "observed_min": None, "observed_text": "150 people", "notes": ""})
    rows = {r["id"]: r for r in review_rows(pkg, released, obs)}
    assert rows["1B"]["verdict"] == "not met" and rows["1B"]["status"] == "outside standard"
    obs.append({"row_id": "1B", "observed_min": None, "observed_text": "240 people", "notes": ""})
    assert {r["id"]: r for r in review_rows(pkg, released, obs)}["1B"]["status"] == "ok"
    obs[1]["observed_min"] = 95.0
    assert review_rows(pkg, released, obs)[0]["status"] == "slower than P90"


def test_an_observation_in_the_minute_of_its_release_is_after_it():
    """The console and the review compare by the clock minute an evaluator types: released
    at 15:50:06 and typed 15:50 is 0 minutes after, typed 15:49 is before (refused by the
    console, negative in the review); STARTEX need not fall on a whole minute."""
    import datetime as dt

    from sim.drill.console.clock import clock_minute, minutes_after

    startex = dt.datetime(2027, 6, 1, 15, 50, 6)  # a release at drill minute 0: 15:50:06
    typed = {"15:49": -1.1, "15:50": -0.1, "15:51": 0.9}  # drill minutes of the typed times
    assert minutes_after(startex, 0.0, typed["15:50"]) == 0.0
    assert minutes_after(startex, 0.0, typed["15:49"]) == pytest.approx(-1.1)
    assert minutes_after(startex, 0.0, typed["15:51"]) == pytest.approx(0.9)
    assert clock_minute(startex, 0.9) == dt.datetime(2027, 6, 1, 15, 51)
    pkg = _pkg()
    pkg["clock"]["start"] = "2027-06-01T14:00:06"  # STARTEX (T+110) at 15:50:06
    released = [{"seq": 1, "kind": "inject", "drill_min": 0.0, "how": "clock"}]
    obs = [{"row_id": "1A", "observed_min": -0.1, "observed_text": "15:50", "notes": ""}]
    assert {r["id"]: r for r in review_rows(pkg, released, obs)}["1A"]["elapsed_min"] == 0.0


def test_clock_continues_after_a_restart_and_catches_up(tmp_path):
    store = Store(tmp_path / "d.sqlite")
    got: list[tuple[int, str]] = []

    def release(seq, m, how):
        if store.release(seq, "inject", None, m, how, {"seq": seq}):
            got.append((seq, how))

    sched = [(0.0, 1), (1.0, 2), (60.0, 3)]
    clock = DrillClock(store, sched, release, speed=600.0, end_min=120.0)  # 0.1 s per minute
    clock.start()
    time.sleep(0.6)
    clock.pause()
    held = clock.now()
    time.sleep(0.3)
    assert clock.state() == "paused" and clock.now() == held  # a paused clock stands still
    clock.resume()
    time.sleep(0.1)
    assert clock.now() > held
    clock.stop()  # the console dies here
    assert [s for s, _ in got] == [1, 2]
    store.set_clock("running", 70.0, time.time(), 600.0)  # it was down while #3 fell due
    again = DrillClock(store, sched, release, speed=600.0, end_min=120.0)
    again.resume_thread()
    time.sleep(0.5)
    assert (3, "catch-up") in got and len(got) == 3
    deadline = time.time() + 10
    while again.state() != "ended" and time.time() < deadline:
        time.sleep(0.1)
    assert again.state() == "ended"
    again.pause()  # pausing an ended drill changes nothing
    assert again.state() == "ended"


def _beibei_msel(rows: list[tuple], startex_t: float):
    """An MSEL builder on a hand-made Beibei log ``rows`` and the drill clock (STARTEX at
    scenario minute ``startex_t``): the builder, the log as a frame, the clock."""
    import pandas as pd

    from sim.cli import compose_config
    from sim.drill.measures import measure_rows
    from sim.drill.msel import DrillClock, MselBuilder
    from sim.drill.names import Namer
    from sim.run.app import prepare

    conf, net = prepare(compose_config(["district=beibei"]))
    ev = pd.DataFrame(rows, columns=["t", "event", "entity", "node", "ref", "qty", "info"])
    clock = DrillClock(pd.Timestamp("2027-06-01 14:00").to_pydatetime(), startex_t)
    return MselBuilder(ev, Namer(net, conf), measure_rows(ev)), ev, clock


def test_mutual_aid_inject_says_why_aid_was_asked():
    """The aid request's inject said "no team available" whatever the reason; a request for a
    team that would come too late (or a place no team can reach) now says so."""
    rows = [
        (40.0, "incident", "ls-0001", "jindaoxia_zhen", "landslide", 3.0, "landslide_burial"),
        (40.0, "dispatch", "district_team", "beiwenquan_jiedao", "ls-0001", 0.0, "district"),
        (40.0, "aid_request", "municipal_air", "ext_airbase_longxing", "late", 1.0, "regional"),
        (50.0, "aid_request", "hechuan", "ext_hechuan", "waiting", 2.0, "regional"),
    ]
    b, ev, clock = _beibei_msel(rows, 40.0)
    aid = [b.inject(r, clock) for _, r in ev[ev.event == "aid_request"].iterrows()]
    assert "after the trapped people's survival window" in aid[0]["inject"]["en"]
    assert "生存时限之后" in aid[0]["inject"]["zh"]
    assert "1 rescue requests have no team available" in aid[1]["inject"]["en"]


def test_msel_writes_injects_from_a_known_log():
    """A hand-made log: names from the network, one stock-out inject per depot, the 45-min
    standard only on severe-convection warnings, every kind kept when injects are capped."""
    rows = [
        (10.0, "warning", "storm", "", "severe convection", 45.0, "17 towns"),
        (12.0, "warning", "flood", "", "river flood 嘉陵江 Jialing", 600.0, "6 towns"),
        (
            20.0,
            "road_close",
            "tiansheng_jiedao--chaoyang_jiedao",
            "tiansheng_jiedao",
            "storm debris/slip",
            300.0,
            "",
        ),
        *[
            (30.0 + i, "isolated", t, t, "", 1000.0, "")
            for i, t in enumerate(["jingguan_zhen", "liuyin_zhen", "sansheng_zhen", "dawan_zhen"])
        ],
        (40.0, "incident", "storm-0001", "xiema_jiedao", "storm", 5.0, "rescue"),
        (40.0, "dispatch", "town_teams_003", "xiema_jiedao", "storm-0001", 0.0, "town"),
        (55.0, "arrive", "town_teams_003", "xiema_jiedao", "storm-0001", 0.0, "town"),
        (60.0, "relief_stockout", "district", "depot_district", "s1", 0.0, "tent"),
        (60.0, "relief_stockout", "district", "depot_district", "s1", 0.0, "quilt"),
        (90.0, "relief_stockout", "district", "depot_district", "s2", 0.0, "tent"),
    ]
    b, _, clock = _beibei_msel(rows, 10.0)
    chosen = b.select(window_min=600.0, max_injects=6)
    assert set(chosen.event) == {"warning", "road_close", "isolated", "incident", "relief_stockout"}
    inj = [b.inject(r, clock) for _, r in b.select(600.0, 40).iterrows()]
    kinds = [i["kind"] for i in inj]
    assert kinds.count("relief_stockout") == 1
    stock = next(i for i in inj if i["kind"] == "relief_stockout")
    assert "帐篷、棉被" in stock["inject"]["zh"] and "tents, quilts" in stock["inject"]["en"]
    road = next(i for i in inj if i["kind"] == "road_close")
    assert "G212" in road["inject"]["zh"] and "天生街道" in road["inject"]["zh"]
    warn = [i for i in inj if i["kind"] == "warning"]
    assert warn[0]["expected"][0]["standard"] == {"kind": "lead", "lead_min": 45.0}
    assert warn[1]["expected"][0]["standard"] is None and "嘉陵江" in warn[1]["inject"]["zh"]
    fire = next(i for i in inj if i["kind"] == "incident")
    assert "歇马街道" in fire["inject"]["zh"] and fire["expected"][1]["sim_min"] == 15.0
    assert inj[0]["clock"] == "2027-06-01 14:10" and inj[0]["scenario_time"] == "T+00:00"


def _drill_pkg() -> dict:
    """``_pkg`` with what the review page and the console need: clock, names, contingencies."""
    pkg = _pkg()
    pkg["clock"] |= {"start": "2027-06-01T14:00", "startex": "2027-06-01 15:50", "window_h": 1.0}
    pkg |= {
        "drill_id": "drill-test",
        "district": {"name": "beibei", "zh": "北碚区", "en": "Beibei"},
        "scenario": {"source": "", "label_zh": "暴雨", "label_en": "storm", "drawn": True},
        "focus": {"zh": "", "en": ""},
        "simulation": {"benchmark_replications": 3},
    }
    for inj in pkg["msel"]:
        inj["to"] = {"zh": "区应急指挥中心", "en": "district EOC"}
        inj["contingency"] = [
            {
                "for": "A",
                "when": "slower",
                "after_min": 30.0,
                "zh": f"若30分钟内未完成（{inj['seq']}）",
                "en": f"If not done within 30 min (inject {inj['seq']})",
                "player": {"zh": f"请报告进展 {inj['seq']}", "en": f"Report progress {inj['seq']}"},
            },
            {"for": "A", "when": "dropped", "after_min": None, "zh": "不设", "en": "none"},
        ]
    pkg["player_cards"] = [
        {"card": i, "seq": i, "clock": "", "zh": f"卡{i}", "en": f"card {i}"} for i in (1, 2, 3)
    ]
    return pkg


def _review_page(tmp_path, endex_by: str | None) -> tuple[str, object]:
    """Run a drill on the records (release, observe with notes, a contingency) and review it;
    ENDEX at drill minute 52.5 by ``endex_by`` (``controller``, ``window``; None: running)."""
    import json

    from openpyxl import load_workbook

    from sim.drill.review import review

    pkg = _drill_pkg()
    store = Store(tmp_path / "d.sqlite")
    store.set_meta("package", json.dumps(pkg, ensure_ascii=False))
    store.release(1, "inject", None, 0.0, "clock", pkg["player_cards"][0])
    store.release(2, "inject", None, 10.0, "clock", pkg["player_cards"][1])
    card = {
        "card": "C2.1",
        "seq": 2,
        "zh": "【市应急管理局】请报告进展",
        "en": "[Bureau] report now",
    }
    store.release(2, "contingency", 0, 25.0, "manual", card)
    store.observe("1A", 40.0, "16:30", "专家甲", "team seen leaving the depot")
    store.observe("1A", 55.0, "16:45", "专家乙", "corrected: arrival on scene")
    store.observe("1B", None, "150 people", "专家甲", '=HYPERLINK("http://x")')
    if endex_by is None:
        store.set_clock("running", 52.5, time.time(), 60.0)
    else:
        store.end_clock(52.5, time.time(), 60.0, endex_by)
    store.close()
    out = review(tmp_path / "d.sqlite", tmp_path / "review")
    return (out / "review.html").read_text(encoding="utf-8"), load_workbook(out / "review.xlsx")


def test_review_reports_notes_released_contingencies_and_endex(tmp_path):
    """review.html and review.xlsx carry the evaluators' notes, the contingency injects
    released (when, on which trigger, what text) and ENDEX (drill review: they did not)."""
    html, wb = _review_page(tmp_path, "controller")
    for text in ("team seen leaving the depot", "corrected: arrival on scene", "专家乙"):
        assert text in html
    assert "Contingency injects released" in html
    assert "C2.1" in html and "【市应急管理局】请报告进展" in html
    assert "If not done within 30 min (inject 2)" in html  # the trigger it answered
    assert "2027-06-01 16:15 (T+00:25)" in html  # released at drill minute 25 (STARTEX 15:50)
    assert "before its trigger" in html  # 15 min after its inject, due after 30
    assert "ENDEX: 2027-06-01 16:42 (T+00:52" in html
    ws = wb["review"]
    notes = {ws.cell(i, 1).value: ws.cell(i, 17).value for i in range(2, ws.max_row + 1)}
    assert "16:30 专家甲: team seen leaving the depot" in notes["1A"]
    assert "corrected: arrival on scene" in notes["1A"]
    cell = next(c for c in ws["Q"] if c.value and "HYPERLINK" in str(c.value))
    assert cell.data_type == "s"  # typed text is never a formula
    cont = wb["contingencies"]
    assert cont.max_row == 2 and cont.cell(2, 1).value == "C2.1"
    assert cont.cell(2, 5).value == "2A" and "inject 2" in cont.cell(2, 6).value
    info = {r[0].value: r[1].value for r in wb["drill"].iter_rows(min_row=2)}
    assert info["ENDEX"].startswith("2027-06-01 16:42") and info["ENDEX (drill min)"] == 52.5


def test_review_says_whether_the_controller_or_the_window_ended_the_drill(tmp_path):
    """review.html and the workbook's drill sheet say who ended the drill (drill review 2:
    only the console's audit table did)."""
    (tmp_path / "c").mkdir(), (tmp_path / "w").mkdir()
    html, wb = _review_page(tmp_path / "c", "controller")
    assert "declared by the controller" in html and "导调组宣布" in html
    info = {r[0].value: r[1].value for r in wb["drill"].iter_rows(min_row=2)}
    assert info["ENDEX"].endswith(", declared by the controller")
    assert info["ENDEX by"] == "declared by the controller"
    html, wb = _review_page(tmp_path / "w", "window")
    assert "the drill window ran out" in html and "演练时段结束" in html
    assert "declared by the controller" not in html
    info = {r[0].value: r[1].value for r in wb["drill"].iter_rows(min_row=2)}
    assert info["ENDEX by"] == "the drill window ran out"


def test_the_clock_records_who_ended_the_drill(tmp_path):
    """The controller's ENDEX, the window's end, and records made before it was kept (told
    by the audit table); an ENDEX pressed again keeps the first one."""
    store = Store(tmp_path / "d.sqlite")
    clock = DrillClock(store, [(0.0, 1)], lambda *a: None, speed=600.0, end_min=0.5)
    clock.start()
    deadline = time.time() + 10
    while store.endex() is None and time.time() < deadline:
        time.sleep(0.05)
    assert store.endex()[::2] == (0.5, "window")
    clock.end()  # pressed after the window ran out: ENDEX stays the window's
    assert store.endex()[::2] == (0.5, "window")
    other = Store(tmp_path / "e.sqlite")
    clock = DrillClock(other, [(0.0, 1)], lambda *a: None, speed=1.0, end_min=60.0)
    clock.start()
    clock.end()
    first = other.endex()
    assert first[2] == "controller" and first[0] < 1.0
    time.sleep(0.01)
    clock.end()
    assert other.endex() == first
    clock.stop()
    old = Store(tmp_path / "old.sqlite")  # a console that kept only the audit table
    old.set_clock("ended", 30.0, time.time(), 60.0)
    assert old.endex()[2] == "window"
    old.audit("controller", "clock end")
    assert old.endex()[2] == "controller"


def test_review_says_when_endex_was_never_declared(tmp_path):
    html, wb = _review_page(tmp_path, None)
    assert "ENDEX: not declared" in html
    info = {r[0].value: r[1].value for r in wb["drill"].iter_rows(min_row=2)}
    assert info["ENDEX"] == "not declared" and info["ENDEX (drill min)"] is None
    assert info["ENDEX by"] is None


def test_console_releases_no_contingency_after_endex(tmp_path):
    import pytest
    from fastapi import HTTPException

    from sim.drill.console.server import Console

    console = Console(_drill_pkg(), Store(tmp_path / "d.sqlite"), speed=60.0)
    with pytest.raises(HTTPException, match="dropped"):
        console.release_contingency(1, 1)
    console.store.set_clock("paused", 0.0, time.time(), 60.0)
    console.release_by_hand(1)
    console.clock.resume()
    assert console.release_contingency(1, 0)
    console.clock.end()
    with pytest.raises(HTTPException) as exc:
        console.release_contingency(2, 0)
    assert exc.value.status_code == 409 and "ENDEX" in exc.value.detail
    console.clock.stop()


def _console(tmp_path, started: bool = True) -> tuple[object, object, str]:
    """A console on ``_drill_pkg``, its app and a controller session; ``started``: its clock
    paused at STARTEX (nothing is released or observed before it), else not started."""
    from sim.drill.console.server import Console, create_app

    console = Console(_drill_pkg(), Store(tmp_path / "d.sqlite"), speed=60.0)
    if started:
        console.store.set_clock("paused", 0.0, time.time(), 60.0)
    return console, create_app(console), console.store.new_session("controller")


def _post(app, path: str, session: str) -> tuple[int, dict]:
    """POST ``path`` to the console's ASGI app as ``session``: status and JSON body."""
    status, body = _request(app, "POST", path, session)
    return status, __import__("json").loads(body)


def _asgi(app, method: str, path: str, headers: list, body: bytes = b"", tls: bool = False):
    """The messages the console's ASGI app sends for one in-process request (the console's
    tests need no HTTP client)."""
    import asyncio

    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https" if tls else "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 443 if tls else 80),
    }
    asyncio.run(app(scope, receive, send))
    return sent


def _request(
    app, method: str, path: str, session: str | None, body: bytes = b"", form: bool = False
) -> tuple[int, bytes]:
    """``method path`` to the console's ASGI app as ``session`` (None: no cookie): status and
    body."""
    kind = b"application/x-www-form-urlencoded" if form else b"application/json"
    headers = [(b"cookie", f"drill_session={session}".encode())] if session else []
    sent = _asgi(app, method, path, [*headers, (b"content-type", kind)], body)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_console_refuses_a_contingency_before_its_inject_is_released(tmp_path):
    """Its trigger is "N minutes after inject X": meaningless before X is out (drill review
    2: it was released anyway)."""
    console, app, ctl = _console(tmp_path)
    status, body = _post(app, "/api/contingency/2/0", ctl)
    assert status == 409 and "inject 2 has not been released" in body["detail"]
    assert console.store.released() == []
    assert _post(app, "/api/release/2", ctl) == (200, {"released": True})
    assert _post(app, "/api/contingency/2/0", ctl) == (200, {"released": True})
    assert [(r["seq"], r["kind"]) for r in console.store.released()] == [
        (2, "inject"),
        (2, "contingency"),
    ]


def test_console_refuses_an_inject_released_by_hand_after_endex(tmp_path):
    """After ENDEX - declared, or the drill window over - no inject is released by hand
    (drill review 2: it was), with the reason a contingency after ENDEX gets."""
    console, app, ctl = _console(tmp_path)
    assert _post(app, "/api/release/1", ctl) == (200, {"released": True})
    assert _post(app, "/api/clock/end", ctl) == (200, {"state": "ended"})
    status, body = _post(app, "/api/release/2", ctl)
    assert status == 409 and body["detail"].startswith("the drill has ended (ENDEX)")
    status, body = _post(app, "/api/contingency/1/0", ctl)
    assert status == 409 and body["detail"].startswith("the drill has ended (ENDEX)")
    assert [r["seq"] for r in console.store.released()] == [1]
    # the window over on a running clock, before its thread records the end
    console.store.set_clock("running", 50.0, time.time() - 60.0, 60.0)  # window_h 1: 60 min
    assert console.clock.state() == "running" and console.clock.now() == 60.0
    status, body = _post(app, "/api/release/3", ctl)
    assert status == 409 and "ENDEX" in body["detail"]
    assert [r["seq"] for r in console.store.released()] == [1]


def test_review_of_a_sealed_file_reads_only_its_header_and_refuses_a_path_in_it(tmp_path):
    """Given the sealed file, the review needs no passphrase: the drill id in the public
    header names the records beside it. A header naming a path is refused, not followed."""
    import json as _json

    import pytest

    from sim.core.errors import UserError
    from sim.drill.review import review
    from sim.drill.seal import seal

    pkg = {**_drill_pkg(), "drill_id": "drill-0a1b"}
    store = Store(tmp_path / "drill-0a1b.sqlite")
    store.set_meta("package", _json.dumps(pkg, ensure_ascii=False))
    store.close()
    sealed = tmp_path / "drill-0a1b.sealed"
    seal({"x": 1}, "a passphrase nobody gives the review", sealed, {"drill_id": "drill-0a1b"})
    out = review(sealed, tmp_path / "out")  # no DRILL_PASSPHRASE in the environment needed
    assert (out / "review.html").is_file()
    bad = tmp_path / "bad.sealed"
    seal({"x": 1}, "another passphrase", bad, {"drill_id": "../../etc/drill-0a1b"})
    with pytest.raises(UserError, match="no drill id"):
        review(bad, tmp_path / "out2")


def test_likely_causes_list_only_roads_closed_in_the_injects_own_town():
    """A gap's likely causes used to list every road closed in the district at the time; the
    package holds no routes, so roads in other towns are now only counted."""
    from sim.drill.review import _causes

    def road(seq: int, town: str, t: float, reopen: float | None) -> dict:
        expected = [] if reopen is None else [{"measure": "road_reopen", "sim_min": reopen}]
        return {
            "seq": seq,
            "kind": "road_close",
            "t_min": t,
            "place": {"en": town},
            "expected": expected,
            "inject": {"zh": f"【交通】{town}道路中断", "en": ""},
            "synopsis": {"zh": "", "en": f"road at {town} closed"},
        }

    gap = {"seq": 9, "kind": "incident", "t_min": 100.0, "place": {"en": "Dalu"}, "expected": []}
    msel = [
        road(1, "Dalu", 10.0, None),  # closed here, still closed
        road(2, "Dalu", 20.0, 30.0),  # closed here, open again at 50
        road(3, "Qinggang", 30.0, None),  # another town
        road(4, "Laifeng", 40.0, None),  # another town
        gap,
    ]
    row = {"seq": 9, "who": "", "plan_source": "", "measure": "", "action": {"zh": "", "en": ""}}
    causes = [c["en"] for c in _causes(row, {i["seq"]: i for i in msel}, {"msel": msel}, None)]
    assert causes == [
        "road closed here at the time: road at Dalu closed",
        "2 other roads closed elsewhere in the district at the time",
    ]


def test_console_audits_every_refused_request_and_the_review_lists_them(tmp_path, monkeypatch):
    """A wrong access code, a player asking for the controller's view and actions, a probe of
    a path that does not exist and an action refused with its reason are all recorded (drill
    review: only what succeeded was), and the review groups them, the player's apart."""
    import json

    from openpyxl import load_workbook

    from sim.drill.review import review

    monkeypatch.setattr(time, "sleep", lambda s: None)  # (the login's pause against guessing)
    console, app, ctl = _console(tmp_path)
    console.store.set_meta("package", json.dumps(console.pkg, ensure_ascii=False))
    ply = console.store.new_session("player")
    assert _request(app, "POST", "/login", None, b"code=not-a-code", form=True)[0] == 403
    assert _request(app, "GET", "/controller", ply)[0] == 403
    assert _request(app, "GET", "/api/state", None)[0] == 403
    for _ in range(3):
        assert _post(app, "/api/release/1", ply)[0] == 403
    assert _request(app, "GET", "/api/msel", ply)[0] == 404
    assert _request(app, "POST", "/api/release/x", ply)[0] == 422
    assert _post(app, "/api/contingency/2/0", ctl)[0] == 409  # its inject not yet out
    assert _post(app, "/api/release/1", ctl) == (200, {"released": True})
    assert _request(app, "GET", "/player", ply)[0] == 200  # its own view: nothing refused
    assert _request(app, "GET", "/controller", None)[0] == 403  # the login form: not audited
    assert _request(app, "GET", "/favicon.ico", None)[0] == 404  # asked by the browser itself
    log = [(a["role"], a["what"]) for a in console.store.audit_log()]
    assert log == [
        ("-", "refused POST /login (403: access code refused)"),
        ("player", "refused GET /controller (403: the controller view, with a player access code)"),
        ("-", "refused GET /api/state (403: not allowed for this access code)"),
        *[("player", "refused POST /api/release/1 (403: not allowed for this access code)")] * 3,
        ("player", "refused GET /api/msel (404: Not Found)"),
        ("player", "refused POST /api/release/x (422: malformed request)"),
        (
            "controller",
            "refused POST /api/contingency/2/0 (409: inject 2 has not been released: its "
            "contingency counts from its release)",
        ),
        ("controller", "release 1"),
    ]
    console.clock.stop()
    console.store.close()
    out = review(tmp_path / "d.sqlite", tmp_path / "review")
    html = (out / "review.html").read_text(encoding="utf-8")
    assert "Console log" in html
    assert (
        "actions recorded: 1 · requests refused: 9 (6 with the player&#x27;s access code)" in html
    )
    first = html.index("refused POST /api/release/1")  # the most frequent refusal leads
    assert first < html.index("refused POST /login") and "<td>3</td>" in html
    ws = load_workbook(out / "review.xlsx")["console log"]
    cells = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert len(cells) == 10 and sum(r[4] == "yes" for r in cells) == 9
    assert cells[-1][1:4] == ["T+00:00 paused", "controller", "release 1"]
    assert cells[-1][4] is None


def test_logout_ends_the_session_on_the_server(tmp_path):
    """Logging out forgets the session in the drill's records, not only the browser's cookie:
    a copy of the cookie (a shared machine, a proxy log) no longer opens the view."""
    console, app, ctl = _console(tmp_path)
    assert _request(app, "GET", "/controller", ctl)[0] == 200
    assert _request(app, "GET", "/logout", ctl)[0] == 303
    assert _request(app, "GET", "/controller", ctl)[0] == 403
    assert _post(app, "/api/release/1", ctl)[0] == 403
    assert console.store.session_role(ctl) is None
    assert ("controller", "logout") in [(a["role"], a["what"]) for a in console.store.audit_log()]
    assert _request(app, "GET", "/logout", None)[0] == 303  # without a session: nothing to end
    console.clock.stop()
    console.store.close()


def test_console_log_gives_each_record_its_drill_time(tmp_path):
    """Every audit record keeps the drill clock of its moment (it kept only the real time, and
    a pause made the drill minute hard to rebuild afterwards): before STARTEX, running,
    paused, after ENDEX; a drill file of an earlier console gains the columns on opening."""
    import sqlite3

    from sim.drill.review import _log_html, console_log

    console, app, ctl = _console(tmp_path, started=False)
    store = console.store
    assert _request(app, "GET", "/api/msel", ctl)[0] == 404  # clock ready
    store.set_clock("running", 0.0, time.time() - 30.0, 60.0)  # 30 real s at 1 min/s
    assert _request(app, "GET", "/api/msel", ctl)[0] == 404
    store.set_clock("paused", 42.0, time.time() - 600.0, 60.0)  # paused: the minute stays
    console.audit("controller", "clock pause")
    store.end_clock(50.0, time.time(), 60.0, "controller")
    console.audit("controller", "clock end")
    log = console_log(store.audit_log())
    assert [r["drill_time"] for r in log["rows"]] == [
        "before STARTEX",
        "T+00:30",
        "T+00:42 paused",
        "T+00:50 after ENDEX",
    ]
    assert "<th>演练时间 Drill time</th>" in _log_html(log) and "T+00:42 paused" in _log_html(log)
    console.clock.stop()
    store.close()

    old = tmp_path / "old.sqlite"  # the audit table as an earlier console made it
    db = sqlite3.connect(old)
    db.execute(
        "CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, wall REAL NOT NULL,"
        " role TEXT NOT NULL, what TEXT NOT NULL)"
    )
    db.execute("INSERT INTO audit (wall, role, what) VALUES (1.0e9, 'controller', 'login')")
    db.commit()
    db.close()
    reopened = Store(old)
    reopened.audit("player", "login", 5.0, "running")
    rows = console_log(reopened.audit_log())["rows"]
    assert [(r["what"], r["drill_time"]) for r in rows] == [("login", ""), ("login", "T+00:05")]
    reopened.close()


def test_endex_by_the_window_is_known_when_the_console_was_down_as_it_ran_out(tmp_path):
    """The clock is recorded running, and the window (1 h at speed 60: one real minute) ran
    out while no console was up: the review says ENDEX by the window, at the real time the
    clock's record gives, not "not declared"; a console restarted later records that time."""
    import json

    from sim.drill.console.server import Console
    from sim.drill.review import endex_record, recorded_endex

    pkg = _drill_pkg()
    store = Store(tmp_path / "d.sqlite")
    store.set_meta("package", json.dumps(pkg, ensure_ascii=False))
    started = time.time() - 300.0  # STARTEX 5 real minutes ago; the window ran out 4 ago
    store.set_clock("running", 0.0, started, 60.0)
    assert store.endex() is None
    rec = recorded_endex(pkg, store)
    assert rec[0] == 60.0 and rec[2] == "window" and abs(rec[1] - (started + 60.0)) < 1e-6
    assert endex_record(pkg, rec)["clock"] == "2027-06-01 16:50"  # STARTEX 15:50 + 1 h
    store.set_clock("running", 0.0, time.time() - 30.0, 60.0)  # half the window to go
    assert recorded_endex(pkg, store) is None
    store.set_clock("running", 0.0, started, 60.0)
    console = Console(pkg, store, speed=60.0)  # the console restarted: it catches up
    console.clock.resume_thread()
    deadline = time.time() + 10
    while store.endex() is None and time.time() < deadline:
        time.sleep(0.05)
    m, wall, by = store.endex()
    assert (m, by) == (60.0, "window") and abs(wall - (started + 60.0)) < 1e-6
    assert store.released() == []  # nothing is released at or after ENDEX (item 1 below)
    console.clock.stop()


# ---------------------------------------------------------------- drill review 3 (designer)


def test_inject_times_count_from_the_release():
    """A card's times are its release's (the MSEL keeps the schedule): an incident's call
    time, a warning's expected impact (the lead after the release, with the date when it
    falls on the next day), an order's impact."""
    import datetime as dt

    from sim.drill.msel import blank_times, fill_times

    rows = [
        (10.0, "warning", "storm", "", "severe convection", 45.0, "17 towns"),
        (40.0, "incident", "storm-0001", "xiema_jiedao", "storm", 5.0, "rescue"),
    ]
    b, ev, clock = _beibei_msel(rows, 10.0)
    warn, inc = (b.inject(r, clock) for _, r in ev.iterrows())
    assert "expected from 14:55" in warn["inject"]["en"]  # scheduled 14:10 + 45 min
    assert "{release+45.0}" in warn["player_text"]["en"]
    assert "14:40 call received" in inc["inject"]["en"]
    early = dt.datetime(2027, 6, 1, 14, 12, 6)  # the incident released 28 min early
    assert "14:12 call received" in fill_times(inc["player_text"]["en"], early)
    assert "14:12接报" in fill_times(inc["player_text"]["zh"], early)
    late = dt.datetime(2027, 6, 1, 23, 30)
    assert "expected from 2027-06-02 00:15" in fill_times(warn["player_text"]["en"], late)
    assert "expected from ____ (45 min after release)" in blank_times(
        warn["player_text"]["en"], "en"
    )
    assert "预计____（发布后45 分钟）起" in blank_times(warn["player_text"]["zh"], "zh")
    assert fill_times("{release-5.0|full}", early) == "2027-06-01 14:07"


def _lead_pkg(std: dict) -> dict:
    """``_pkg`` whose action 3A is a warning relay under ``std``."""
    pkg = _pkg()
    row = next(r for r in pkg["evaluator"] if r["id"] == "3A")
    row |= {"measure": "warning_relay", "standard": std}
    return pkg


def test_the_warning_relay_standard_is_met_within_the_lead_and_not_after():
    """Reviewer: "this one came 45 min ahead, so pass it on within 0 min" - never met. The
    plans' 45 min (000 L164, 002 L147, 003 L173) is the weather office's forecast lead;
    the players' standard is the warning at the towns before the storm (003 L210): within
    the lead. The text and the verdict say the same; the boundary is in."""
    from sim.drill.package import benchmark_text, lead_standard

    std = lead_standard(
        {"kind": "lead", "lead_min": 45.0},
        {"threshold": 45.0, "source": "003 L173"},
        {"threshold": 1.0, "source": "003 L210"},
    )
    text = benchmark_text({"standard": std})
    assert "pass it on within 45 min" in text["en"] and "before the storm (003 L210)" in text["en"]
    assert "forecast lead standard >= 45 min, 003 L173: met" in text["en"]
    assert "转发须在 45 分钟 内" in text["zh"]
    short = benchmark_text({"standard": {**std, "lead_min": 30.0}})
    assert "within 30 min" in short["en"] and "003 L173: not met" in short["en"]
    assert lead_standard({"kind": "lead", "lead_min": 45.0}, None, None) is None
    released = [{"seq": 3, "kind": "inject", "drill_min": 20.0, "how": "clock"}]
    for at, verdict, status in ((65.0, "met", "ok"), (66.0, "not met", "outside standard")):
        obs = [{"row_id": "3A", "observed_min": at, "observed_text": "x", "notes": ""}]
        row = next(r for r in review_rows(_lead_pkg(std), released, obs) if r["id"] == "3A")
        assert (row["elapsed_min"], row["verdict"], row["status"]) == (at - 20.0, verdict, status)
        assert "within 45 min" in row["standard"]["en"]
    old = {"kind": "lead", "lead_min": 45.0, "threshold": 45.0, "source": "003 L173"}
    obs = [{"row_id": "3A", "observed_min": 50.0, "observed_text": "x", "notes": ""}]
    row = next(r for r in review_rows(_lead_pkg(old), released, obs) if r["id"] == "3A")
    assert row["verdict"] == "met" and "within 45 min" in row["standard"]["en"]  # old package


def _observing(tmp_path):
    """A console on ``_drill_pkg`` (STARTEX 2027-06-01 15:50) and a way to stand its clock."""
    from sim.drill.console.server import Console

    console = Console(_drill_pkg(), Store(tmp_path / "d.sqlite"), speed=60.0)

    def at(drill_min: float, state: str = "paused") -> None:
        console.store.set_clock(state, drill_min, time.time(), 60.0)

    return console, at


def test_an_action_seen_in_the_minute_of_its_release_is_accepted(tmp_path):
    """Reviewer: inject 2 released at drill minute 15.10, "18:15" for 2A was refused as
    before the release (18:15). Times are compared by the minute typed: the same minute is
    accepted (elapsed 0 in the review), a minute earlier refused."""
    import pytest
    from fastapi import HTTPException

    console, at = _observing(tmp_path)
    at(15.1)
    assert console.release_by_hand(2)  # 16:05:06
    at(20.0)
    with pytest.raises(HTTPException) as exc:
        console.observe("2A", "16:04", "E", "")
    assert exc.value.status_code == 409
    assert exc.value.detail == (
        "observed 2027-06-01 16:04 is before inject 2 was released (2027-06-01 16:05)"
    )
    assert console.observe("2A", "16:05", "E", "")["observed_min"] == 15.0
    pkg, store = console.pkg, console.store
    row = next(
        r for r in review_rows(pkg, store.released(), store.observations()) if r["id"] == "2A"
    )
    assert row["elapsed_min"] == 0.0 and row["status"] == "ok"
    console.clock.stop()


def test_a_note_never_changes_the_observed_time_and_nothing_counts_after_endex(tmp_path):
    """Reviewer: 1A recorded at 18:10, then a note with an empty time (= now) made the review
    score 1A at 27.3 min instead of 10; an empty time after ENDEX was recorded at the ENDEX
    minute (row 'ok', not 'not observed'). A note never changes an observed time; the last
    entry with a time counts; after ENDEX an empty time is a note, never a time, and a
    time after ENDEX is refused."""
    import pytest
    from fastapi import HTTPException

    console, at = _observing(tmp_path)
    at(0.0)
    assert console.release_by_hand(1) and console.release_by_hand(2)
    at(12.0, "running")
    assert console.observe("1A", "16:00", "E", "")["observed_min"] == 10.0
    at(27.3)
    assert console.observe("1A", "", "E", "team reported back late")["note"] is True
    with pytest.raises(HTTPException) as exc:  # nothing at all on an observed row
        console.observe("1A", "", "E", " ")
    assert exc.value.status_code == 409 and "was observed at 2027-06-01 16:00" in exc.value.detail
    assert console.observed_min("1A") == 10.0

    def review() -> dict:
        end = console.store.endex()
        rows = review_rows(
            console.pkg,
            console.store.released(),
            console.store.observations(),
            None if end is None else end[0],
        )
        return {r["id"]: r for r in rows}

    rows = review()
    assert rows["1A"]["elapsed_min"] == 10.0
    assert any("team reported back late" in n for n in rows["1A"]["notes"])
    console.clock.end()  # ENDEX at drill minute 27.3 (16:17)
    with pytest.raises(HTTPException) as exc:
        console.observe("2A", "", "E", "")
    assert exc.value.status_code == 409 and "the drill has ended (ENDEX)" in exc.value.detail
    assert console.observe("2A", "", "E", "not seen by the end")["note"] is True
    with pytest.raises(HTTPException) as exc:
        console.observe("2A", "16:18", "E", "")
    assert "is after ENDEX" in exc.value.detail
    rows = review()
    # not observed by ENDEX (T+00:27), and not a gap: expected within 24 h of its release
    assert rows["2A"]["status"] == "not evaluable before ENDEX" and rows["2A"]["observed"] == ""
    assert console.observe("2A", "16:17", "E", "typed after the drill")["observed_min"] == 27.0
    assert review()["2A"]["elapsed_min"] == 27.0
    # an entry after ENDEX that an earlier console let through does not count
    console.store.observe("1B", 29.0, "16:19", "E", "")
    assert review()["1B"]["status"] == "not observed"
    console.clock.stop()


def test_review_of_a_bad_file_is_one_line_exit_2(tmp_path, capsys):
    """Reviewer: a bad SQLite file gave sqlite3.DatabaseError, a package without t_min a
    KeyError, both with a traceback (exit 1). Now one line naming the file, exit 2."""
    import json

    from sim.drill.__main__ import main

    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    assert main(["review", str(junk)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(junk) in err and "not a drill's records" in err, err
    for name, change in (
        ("no_t", lambda p: p["msel"][0].pop("t_min")),
        ("bad_t", lambda p: p["msel"][0].update(t_min="soon")),
        ("no_clock", lambda p: p["clock"].pop("start")),
        ("row", lambda p: p["evaluator"][0].pop("seq")),
    ):
        pkg = _drill_pkg()
        change(pkg)
        store = Store(tmp_path / f"{name}.sqlite")
        store.set_meta("package", json.dumps(pkg, ensure_ascii=False))
        store.close()
        assert (
            main(["review", str(tmp_path / f"{name}.sqlite"), "--out", str(tmp_path / name)]) == 2
        )
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"{name}.sqlite: drill package:" in err, err
        assert not (tmp_path / name).exists()
    store = Store(tmp_path / "json.sqlite")
    store.set_meta("package", "{not json")
    store.close()
    assert main(["review", str(tmp_path / "json.sqlite")]) == 2
    assert "cannot be read" in capsys.readouterr().err


def test_order_to_90_percent_sheltered_is_per_order():
    """Reviewer: order A at t=0 (100 people sheltered by 50) and order B at t=100 (10 people
    sheltered at 400) gave B -50 min (all orders pooled) instead of 300."""
    import pandas as pd

    from sim.drill.measures import measure_rows

    def log(links: bool) -> pd.DataFrame:
        rows = [
            (0.0, "evac_order", "A", "", "flood", 100.0, "river_flood"),
            (0.0, "complied", "town_a", "town_a", "A", 100.0, ""),
            (100.0, "evac_order", "B", "", "flood", 10.0, "river_flood"),
            (100.0, "complied", "town_b", "town_b", "B", 10.0, ""),
            (50.0, "sheltered", "s1", "town_c", "gA", 100.0, "school/car"),
            (120.0, "sheltered", "s2", "town_c", "gA", 100.0, "school/transfer"),  # handed on
            (400.0, "sheltered", "s1", "town_c", "gB", 10.0, "school/bus"),
        ]
        if links:
            rows += [
                (30.0, "out_of_zone", "gA", "town_a", "A", 100.0, "x"),
                (390.0, "out_of_zone", "gB", "town_b", "B", 10.0, "x"),
            ]
        ev = pd.DataFrame(rows, columns=["t", "event", "entity", "node", "ref", "qty", "info"])
        return ev.sort_values("t", kind="stable").reset_index(drop=True)

    for links in (True, False):  # without links: the latest order issued by the arrival
        m = measure_rows(log(links))
        got = dict(zip(m[m.measure == "evac_sheltered_90"].key, m.value, strict=False))
        assert got == {"A": 50.0, "B": 300.0}, (links, got)
    # a bus of both orders' people counts for each by its out_of_zone rows
    ev = log(True)
    ev = ev[ev.ref != "gB"]
    ev = ev[ev.entity != "gB"]
    bus = [
        (395.0, "out_of_zone", "V1", "town_b", "B", 10.0, "x"),
        (395.0, "out_of_zone", "V1", "town_a", "A", 10.0, "x"),
        (400.0, "sheltered", "s1", "town_c", "V1", 20.0, "school/bus"),
    ]
    ev = pd.concat([ev, pd.DataFrame(bus, columns=ev.columns)], ignore_index=True)
    m = measure_rows(ev)
    got = dict(zip(m[m.measure == "evac_sheltered_90"].key, m.value, strict=False))
    assert got == {"A": 50.0, "B": 300.0}, got


# ---------------------------------------------------------------- drill review 4


def test_a_console_restarted_after_the_window_ran_out_releases_nothing(tmp_path):
    """Reviewer: restarted after the window ran out, the console released every remaining
    inject as ``catch-up`` after ENDEX. Now only ENDEX (by the window) is recorded; the
    review shows those injects as not released, not as the players' gaps."""
    import json

    from sim.drill.console.server import Console
    from sim.drill.review import review_rows

    pkg = _drill_pkg()
    store = Store(tmp_path / "d.sqlite")
    store.set_meta("package", json.dumps(pkg, ensure_ascii=False))
    started = time.time() - 300.0  # the window (1 h at speed 60) ran out 4 real minutes ago
    store.set_clock("running", 0.0, started, 60.0)
    store.release(1, "inject", None, 0.0, "clock", pkg["player_cards"][0])  # before the crash
    console = Console(pkg, store, speed=60.0)
    console.clock.resume_thread()
    deadline = time.time() + 10
    while store.endex() is None and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert store.endex()[::2] == (60.0, "window")
    assert [(r["seq"], r["how"]) for r in store.released()] == [(1, "clock")]
    rows = {r["id"]: r for r in review_rows(pkg, store.released(), store.observations(), 60.0)}
    assert rows["2A"]["status"] == rows["3A"]["status"] == "not released"
    console.clock.stop()


def test_a_people_count_after_endex_is_refused_and_not_counted(tmp_path):
    """Reviewer: POST /api/observe {"row_id":"1B","observed":"3000"} after ENDEX gave 200 and
    the review counted it as met. Now 409 (audited), and a count recorded after ENDEX (a
    console that let it through) is not counted."""
    import json

    from sim.drill.review import review

    console, app, ctl = _console(tmp_path)
    ev = console.store.new_session("evaluator")
    assert _post(app, "/api/release/1", ctl)[0] == 200
    assert _post(app, "/api/clock/start", ctl)[0] == 200
    body = json.dumps({"row_id": "1B", "observed": "150"}).encode()
    status, _ = _request(app, "POST", "/api/observe", ev, body)
    assert status == 200
    assert _post(app, "/api/clock/end", ctl)[0] == 200
    body = json.dumps({"row_id": "1B", "observed": "3000"}).encode()
    status, raw = _request(app, "POST", "/api/observe", ev, body)
    assert status == 409 and "ENDEX" in json.loads(raw)["detail"]
    assert any(
        a["what"].startswith("refused POST /api/observe (409") for a in console.store.audit_log()
    )
    time.sleep(0.01)
    console.store.observe("1B", None, "3000 people", "E", "")  # let through by a console
    console.store.set_meta("package", json.dumps(console.pkg, ensure_ascii=False))
    console.clock.stop()
    console.store.close()
    out = review(tmp_path / "d.sqlite", tmp_path / "review")
    from openpyxl import load_workbook

    ws = load_workbook(out / "review.xlsx")["review"]
    got = {ws.cell(i, 1).value: ws.cell(i, 13).value for i in range(2, ws.max_row + 1)}
    assert got["1B"] == "not met"  # the 150 typed by ENDEX, not the 3000 after it


def test_nothing_is_released_or_observed_before_startex(tmp_path):
    """Reviewer: POST /api/release/5 before STARTEX worked and the player's card showed the
    drill's secret date and time while the clock was blanked; an observation with an empty
    time was accepted at drill minute 0 and scored "ok". Both are refused (409, audited)."""
    import json

    console, app, ctl = _console(tmp_path, started=False)
    ev, pl = console.store.new_session("evaluator"), console.store.new_session("player")
    status, body = _post(app, "/api/release/1", ctl)
    assert status == 409 and "has not started (STARTEX)" in body["detail"]
    console.store.release(1, "inject", None, 0.0, "manual", lambda n: {"card": n, "clock": "x"})
    for observed in ("", "15:50", "150"):
        raw = json.dumps({"row_id": "1B", "observed": observed}).encode()
        status, body = _request(app, "POST", "/api/observe", ev, raw)
        assert status == 409 and "STARTEX" in json.loads(body)["detail"]
    assert console.store.observations() == []
    # a card released by an earlier console before STARTEX is not shown before it
    state = json.loads(_request(app, "GET", "/api/state", pl)[1])
    assert state["cards"] == [] and state["clock"] == "--"
    refused = [a for a in console.store.audit_log() if a["what"].startswith("refused")]
    assert len(refused) == 4 and "409: the drill has not started" in refused[0]["what"]
    console.clock.stop()


def test_the_player_view_shows_no_clock_before_startex(tmp_path):
    """Reviewer: GET /api/state as player before STARTEX gave the drill's date and time."""
    import json

    console, app, ctl = _console(tmp_path, started=False)
    pl = console.store.new_session("player")
    status, raw = _request(app, "GET", "/api/state", pl)
    state = json.loads(raw)
    assert status == 200 and state["state"] == "ready"
    assert "2027" not in raw.decode() and ":" not in state["clock"]
    assert _post(app, "/api/clock/start", ctl)[0] == 200
    state = json.loads(_request(app, "GET", "/api/state", pl)[1])
    assert state["clock"].startswith("2027-06-01 15:5")
    console.clock.stop()


def test_the_evaluator_view_shows_the_actual_release_time(tmp_path):
    """Reviewer: the evaluator's rows carried the MSEL's scheduled time, not the release's."""
    import json

    console, app, ctl = _console(tmp_path)
    for r in console.pkg["evaluator"]:
        r["clock"] = "2027-06-01 15:50 (scheduled)"
    ev = console.store.new_session("evaluator")
    console.store.set_clock("paused", 25.0, time.time(), 60.0)  # 16:15
    assert _post(app, "/api/release/1", ctl)[0] == 200
    rows = json.loads(_request(app, "GET", "/api/state", ev)[1])["rows"]
    assert {r["id"]: r["clock"] for r in rows} == {
        "1A": "2027-06-01 16:15",
        "1B": "2027-06-01 16:15",
    }


def test_the_drill_records_are_private(tmp_path):
    """Reviewer: the SQLite file (package and secret seed in the clear) was made 0644."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        store = Store(tmp_path / "d.sqlite")
        store.set_meta("x", "y")
        for f in tmp_path.iterdir():  # the file and its -wal, -shm
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
        assert (tmp_path / "d.sqlite-wal").exists()
        store.close()
        loose = tmp_path / "loose.sqlite"
        loose.touch(mode=0o644)
        Store(loose).close()
        assert stat.S_IMODE(loose.stat().st_mode) == 0o600
    finally:
        os.umask(old)


@pytest.mark.parametrize("speed", ["nan", "inf", "-inf", "0"])
def test_serve_refuses_a_speed_that_is_not_a_finite_positive_number(tmp_path, capsys, speed):
    """Reviewer: --speed nan / inf stored the access codes, then a traceback (exit 1)."""
    from sim.drill.__main__ import main

    sealed = tmp_path / "drill-0a1b.sealed"
    sealed.write_bytes(b"x")
    assert main(["serve", str(sealed), f"--speed={speed}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--speed" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drill-0a1b.sealed"]  # nothing written


def test_an_observed_time_with_a_time_zone_is_refused_and_audited(tmp_path):
    """Reviewer: "2027-06-01 16:02+08:00" gave HTTP 500 (naive vs aware), unaudited."""
    import json

    console, app, ctl = _console(tmp_path)
    ev = console.store.new_session("evaluator")
    console.store.set_clock("paused", 20.0, time.time(), 60.0)
    assert _post(app, "/api/release/1", ctl)[0] == 200
    body = json.dumps({"row_id": "1A", "observed": "2027-06-01 16:02+08:00"}).encode()
    status, raw = _request(app, "POST", "/api/observe", ev, body)
    assert status == 400 and "time-zone" in json.loads(raw)["detail"]
    assert any("refused POST /api/observe (400" in a["what"] for a in console.store.audit_log())
    assert console.store.observations() == []


def test_hh_mm_is_the_latest_such_time_not_after_the_drill_clock(tmp_path):
    """Reviewer: HH:MM was read as the nearest day, so an entry typed more than 12 h late
    was put on the next day and refused. It is the latest such time not after the clock
    (plus the minute's allowance)."""
    pkg = _drill_pkg()
    pkg["clock"]["window_h"] = 24.0
    from sim.drill.console.server import Console

    console = Console(pkg, Store(tmp_path / "d.sqlite"), speed=60.0)
    console.store.set_clock("paused", 0.0, time.time(), 60.0)
    assert console.release_by_hand(1)  # 2027-06-01 15:50
    console.store.set_clock("paused", 840.0, time.time(), 60.0)  # 2027-06-02 05:50
    assert console.observe("1A", "16:00", "E", "typed late")["observed_min"] == 10.0
    assert console.drill_min_of("05:51") == 841.0  # the allowance: still today
    assert console.drill_min_of("05:52") == 842.0 - 1440.0  # later than the clock: yesterday
    console.clock.stop()


def test_a_recommendation_cites_the_actions_own_plan_line_only():
    """Reviewer: a road clearance gap was told to review "000 L164, 002 L147, 003 L173"
    (the hazard's 45-minute warning lines of three plans). The action's own plan line, or
    "not in the plan"."""
    from sim.drill.review import recommendation

    pkg = {"scenario": {"source": "000 L164, 002 L147, 003 L173"}}
    row = {"measure": "road_reopen", "who": "", "plan_source": ""}
    rec = recommendation(row, pkg)
    assert "L164" not in rec["en"] + rec["zh"] and "not in the plan" in rec["en"]
    assert "预案未列明" in rec["zh"]
    rec = recommendation(row | {"plan_source": "003 L31"}, pkg)
    assert "(003 L31)" in rec["en"] and "L164" not in rec["en"]


def _records(tmp_path, name: str, change):
    import json

    pkg = _drill_pkg()
    store = Store(tmp_path / f"{name}.sqlite")
    change(pkg, store)
    store.set_meta("package", json.dumps(pkg, ensure_ascii=False))
    store.close()
    return tmp_path / f"{name}.sqlite"


def test_review_of_tampered_records_is_one_line_and_never_changes_the_file(tmp_path, capsys):
    """Reviewer: drill_id "../escaped" gave ValueError, observed_min 1e999 OverflowError
    (tracebacks); a SQLite file that is not a drill's got the drill's tables and WAL."""
    import sqlite3

    from sim.drill.__main__ import main

    def escaped(pkg, store):
        pkg["drill_id"] = "../escaped"

    def infinite(pkg, store):
        store.release(1, "inject", None, 0.0, "clock", pkg["player_cards"][0])
        store.observe("1A", float("inf"), "16:00", "E", "")  # what 1e999 reads back as

    for name, change in (("escaped", escaped), ("inf", infinite)):
        path = _records(tmp_path, name, change)
        assert main(["review", str(path), "--out", str(tmp_path / f"{name}_out")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(path) in err, err
        assert (
            not (tmp_path / f"{name}_out").exists()
            and not (tmp_path.parent / "escaped_review").exists()
        )
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    before = other.read_bytes()
    assert main(["review", str(other)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a drill's records" in err, err
    assert other.read_bytes() == before  # no tables made, no WAL switch
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("other")) == [
        "other.sqlite"
    ]
    # a drill's own records: reviewed read-only, the file unchanged
    path = _records(tmp_path, "good", lambda pkg, store: None)
    before = path.read_bytes()
    assert main(["review", str(path), "--out", str(tmp_path / "good_out")]) == 0
    capsys.readouterr()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("good")) == [
        "good.sqlite",
        "good_out",
    ]  # (nor any -wal, -shm made beside it)


def test_the_records_digest_is_what_the_review_reads_and_any_change_shows(tmp_path, capsys):
    """The records were unsigned: a changed observed time could not be told. The console
    prints a digest of what the review reads when it stops, the review prints it again;
    SQLite's own page rewrites (a VACUUM) keep it, a changed record, even a login-free
    audit row, does not."""
    import shutil
    import sqlite3

    from sim.drill.__main__ import main

    def observed(pkg, store):
        store.release(1, "inject", None, 0.0, "clock", pkg["player_cards"][0])
        store.observe("1A", 42.0, "08:42", "E", "")
        store.audit("controller", "clock start", 0.0, "running")

    path = _records(tmp_path, "d", observed)
    kept = Store(path).digest()  # (what the console prints at its stop)
    ro = Store(path, readonly=True)
    assert ro.digest() == kept and len(kept) == 64
    ro.db.close()
    assert main(["review", str(path), "--out", str(tmp_path / "r1")]) == 0
    out = capsys.readouterr().out
    assert f"records digest {kept}" in out
    assert kept in (tmp_path / "r1" / "review.html").read_text(encoding="utf-8")
    # the same records, pages rewritten: the file's hash changes, the digest does not
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(path, copy)
    db = sqlite3.connect(copy)
    db.execute("VACUUM")
    db.execute("INSERT INTO sessions VALUES ('t', 'player', 0)")  # (not read by the review)
    db.commit()
    db.close()
    assert copy.read_bytes() != path.read_bytes()
    assert Store(copy).digest() == kept
    for sql in (
        "UPDATE observations SET observed_min = 41.0",
        "UPDATE released SET drill_min = 1.0",
        "DELETE FROM audit",
        "UPDATE meta SET value = value || ' ' WHERE key = 'package'",
    ):
        shutil.copyfile(path, copy)
        db = sqlite3.connect(copy)
        db.execute(sql)
        db.commit()
        db.close()
        assert Store(copy).digest() != kept, sql


def test_a_second_review_never_replaces_the_first(tmp_path, capsys):
    """Reviewer: `python -m sim.drill review <records>` run twice silently replaced the first
    review's review.xlsx. An existing non-empty review folder is refused (one line, exit 2,
    nothing changed); --out to another folder writes a second review."""
    import json

    from sim.drill.__main__ import main

    store = Store(tmp_path / "d.sqlite")
    store.set_meta("package", json.dumps(_drill_pkg(), ensure_ascii=False))
    store.close()
    assert main(["review", str(tmp_path / "d.sqlite")]) == 0
    first = tmp_path / "drill-test_review"
    before = {p.name: p.read_bytes() for p in first.iterdir()}
    capsys.readouterr()
    assert main(["review", str(tmp_path / "d.sqlite")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists" in err and "--out" in err, err
    assert {p.name: p.read_bytes() for p in first.iterdir()} == before
    assert main(["review", str(tmp_path / "d.sqlite"), "--out", str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / "review.xlsx").exists()


def test_a_drill_is_never_resumed(capsys):
    """Reviewer: experiment.resume=true into a folder holding a sealed drill sealed a second
    one and replaced README.txt (the first one's SHA-256 note). Refused in one line."""
    from sim.cli import compose_config
    from sim.core.errors import UserError
    from sim.drill.draw import check_drill_config

    base = ["experiment=drill", "district=beibei", "experiment.drill.not_before=2090-01-01"]
    check_drill_config(compose_config(base), base)
    ov = [*base, "experiment.resume=true"]
    with pytest.raises(UserError) as err:
        check_drill_config(compose_config(ov), ov)
    assert str(err.value).startswith("experiment.resume=true: a drill is never resumed")


@pytest.mark.parametrize("count", ["①", "²", "١٢", "１２"])
def test_a_people_count_in_other_digits_is_a_400_not_a_500(tmp_path, count):
    """Reviewer: an evaluator's people count '①' or '²' gave HTTP 500 ('²'.isdigit() is
    True, int('²') raises). Only ASCII digits are a count; anything else is a refused
    time (400, audited)."""
    import json

    console, app, ctl = _console(tmp_path)
    ev = console.store.new_session("evaluator")
    assert _post(app, "/api/release/1", ctl)[0] == 200
    body = json.dumps({"row_id": "1B", "observed": count}).encode()
    status, raw = _request(app, "POST", "/api/observe", ev, body)
    assert status == 400 and "HH:MM" in json.loads(raw)["detail"]
    assert console.store.observations() == []
    assert console.store.audit_log()[-1]["what"].startswith("refused POST /api/observe (400")
    console.clock.stop()


def test_review_times_are_utc_labelled_and_t_plus_is_truncated_like_the_clock(monkeypatch):
    """Reviewer: the review's real times were the reviewing machine's local time, unlabelled;
    T+ was rounded (ENDEX at drill minute 412.9 read T+06:53 in the review, 06:52 on the
    console's clock, which truncates). UTC, labelled; T+ truncated, one rule everywhere."""
    import datetime as dt

    from sim.drill.console.clock import clock_minute, t_plus
    from sim.drill.review import _wall_text

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        wall = dt.datetime(2027, 6, 1, 10, 2, 3, tzinfo=dt.UTC).timestamp()
        assert _wall_text(wall) == "2027-06-01 10:02:03 UTC"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert t_plus(412.9) == "T+06:52"  # (the MSEL, the console and the review)
    startex = dt.datetime(2027, 6, 1, 15, 50)
    assert clock_minute(startex, 412.9).strftime("%H:%M") == "22:42"  # 15:50 + 6:52
    assert t_plus(15.0 - 1e-12) == "T+00:15" and t_plus(-0.5) == "T-00:01"


def test_console_refuses_clock_actions_after_endex_and_logs_them_as_refused(tmp_path):
    """Reviewer: after ENDEX, POST /api/clock/start and /resume returned 200 {"state":
    "ended"} and were logged as clock actions in the review. They are refused (409, the
    reason) and logged as refusals; ENDEX again keeps the first (200)."""
    console, app, ctl = _console(tmp_path)
    assert _post(app, "/api/clock/resume", ctl) == (200, {"state": "running"})
    assert _post(app, "/api/clock/end", ctl) == (200, {"state": "ended"})
    for action in ("start", "resume", "pause"):
        status, body = _post(app, f"/api/clock/{action}", ctl)
        assert status == 409, (action, body)
        assert body["detail"] == f"the drill has ended (ENDEX): no clock {action} after it"
    assert _post(app, "/api/clock/end", ctl) == (200, {"state": "ended"})
    what = [a["what"] for a in console.store.audit_log()]
    assert [w for w in what if w.startswith("clock ")] == [
        "clock resume",
        "clock end",
        "clock end",
    ]
    refused = [w for w in what if w.startswith("refused POST /api/clock/")]
    assert [w.split()[2] for w in refused] == [
        f"/api/clock/{a}" for a in ("start", "resume", "pause")
    ]
    assert all("(409: the drill has ended (ENDEX)" in w for w in refused)
    # the window over on a running clock, before its thread records the end: refused too
    (tmp_path / "w").mkdir()
    console2, app2, ctl2 = _console(tmp_path / "w")
    console2.store.set_clock("running", 50.0, time.time() - 60.0, 60.0)  # window_h 1: 60 min
    assert console2.clock.ended() and console2.clock.state() == "running"
    status, body = _post(app2, "/api/clock/pause", ctl2)
    assert status == 409 and "ENDEX" in body["detail"]


def test_a_future_hh_mm_is_refused_as_later_than_the_drill_clock(tmp_path):
    """Reviewer: an evaluator typing a time still to come (HH:MM) was told "observed
    2027-06-05 21:30 is before inject 1 was released": the rule read it as yesterday's. The
    message says it is later than the drill clock, and how HH:MM is read."""
    import pytest
    from fastapi import HTTPException

    console, at = _observing(tmp_path)
    at(15.1)
    assert console.release_by_hand(2)  # 16:05:06
    at(20.0)  # 16:10
    with pytest.raises(HTTPException) as exc:
        console.observe("2A", "16:30", "E", "")
    assert exc.value.status_code == 409
    assert exc.value.detail == (
        "observed 16:30 is later than the drill clock (2027-06-01 16:10): a time still to "
        "come is no observation (HH:MM is read as the latest such time not after the drill "
        "clock, 2027-05-31 16:30, before inject 2 was released at 2027-06-01 16:05)"
    )
    with pytest.raises(HTTPException) as exc:  # a full date still to come: as before
        console.observe("2A", "2027-06-01 16:30", "E", "")
    assert "is still to come (drill clock 2027-06-01 16:10)" in exc.value.detail
    assert console.observe("2A", "16:11", "E", "")["observed_min"] == 21.0  # (a minute ahead)
    console.clock.stop()


def test_an_action_expected_after_endex_is_not_evaluable_and_no_gap(tmp_path):
    """Reviewer: Fengdu's MSEL 19 at T+23:55 (50 min simulated median) and Bishan's injects
    at T+07:48 in an 8 h window were scored as the players' gaps when not observed. An action
    not observed whose expected time (plan limit, warning lead, else simulated P90) from its
    release ends after ENDEX is "not evaluable before ENDEX": shown, counted apart, no gap,
    no recommendation; one that could have been done by ENDEX is still "not observed"."""
    from openpyxl import load_workbook

    from sim.drill.review import NOT_EVALUABLE, endex_record, review_html, review_xlsx

    pkg = _drill_pkg()  # window 1 h; 1A: simulated P90 90 min; 2A: within 24 h (002 L180)
    released = [
        {"seq": 1, "kind": "inject", "drill_min": 0.0, "how": "clock"},
        {"seq": 2, "kind": "inject", "drill_min": 10.0, "how": "clock"},
    ]
    rows = {r["id"]: r for r in review_rows(pkg, released, [], endex_min=60.0)}
    assert rows["1A"]["status"] == NOT_EVALUABLE  # 0 + 90 > 60
    assert rows["2A"]["status"] == NOT_EVALUABLE  # 10 + 1440 > 60
    assert rows["1B"]["status"] == "not observed"  # a people standard: judged by its number
    pkg["benchmarks"]["first_arrival/"]["p90"] = 45.0  # 0 + 45 <= 60: it could have been done
    rows = {r["id"]: r for r in review_rows(pkg, released, [], endex_min=60.0)}
    assert rows["1A"]["status"] == "not observed"
    assert rows["2A"]["status"] == NOT_EVALUABLE
    # the warning relay, by its lead: released at T+50 with 45 min of lead, ENDEX at T+60
    lead = {**pkg["evaluator"][0], "id": "1C", "benchmark_key": "", "sim_min": 3.0}
    lead["standard"] = {"kind": "lead", "lead_min": 45.0}
    pkg["evaluator"].append(lead)
    late = [{**released[0], "drill_min": 50.0}, released[1]]
    rows = {r["id"]: r for r in review_rows(pkg, late, [], endex_min=60.0)}
    assert rows["1C"]["status"] == NOT_EVALUABLE and rows["1A"]["status"] == NOT_EVALUABLE
    rows = {r["id"]: r for r in review_rows(pkg, released, [], endex_min=None)}  # the window
    assert rows["1C"]["status"] == "not observed"  # 0 + 45 <= 60
    listed = list(rows.values())
    endex = endex_record(pkg, (60.0, 0.0, "window"))
    html = review_html(pkg, listed, [], endex)
    gaps = html.split("Gaps and likely causes")[1].split("Console log")[0]
    assert "<b>2A</b>" not in gaps and "<b>1A</b>" in gaps  # (1A: not observed, a gap)
    assert f"{NOT_EVALUABLE}: 1" in html
    review_xlsx(pkg, listed, [], endex, tmp_path / "r.xlsx")
    ws = load_workbook(tmp_path / "r.xlsx")["review"]
    heads = [c.value for c in ws[1]]
    got = {ws.cell(i, 1).value: i for i in range(2, ws.max_row + 1)}
    status, advice = heads.index("Status") + 1, heads.index("Recommendation") + 1
    assert ws.cell(got["2A"], status).value == NOT_EVALUABLE
    assert not ws.cell(got["2A"], advice).value and ws.cell(got["1A"], advice).value


def _self_signed(folder) -> tuple[object, object]:
    """A throwaway self-signed certificate for 127.0.0.1 and its key (PEM files)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "drill console test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certfile, keyfile


def test_the_console_needs_tls_or_insecure_lan_beyond_loopback_and_marks_its_cookie(tmp_path):
    """Reviewer: docs suggested --host 0.0.0.0, but with no TLS and no Secure cookie the
    access codes and the controller's cookie crossed the LAN in the clear. A non-loopback
    address needs --ssl-certfile/--ssl-keyfile or an explicit --insecure-lan (then a
    one-line warning); over TLS the session cookie is Secure; bad TLS files are one line."""
    import socket

    import pytest

    from sim.core.errors import UserError
    from sim.drill.__main__ import _parser
    from sim.drill.console.server import (
        Console,
        check_tls,
        check_transport,
        create_app,
        is_loopback,
    )

    args = _parser().parse_args(["serve", "x.sealed"])
    assert (args.ssl_certfile, args.ssl_keyfile, args.insecure_lan) == (None, None, False)
    args = _parser().parse_args(
        ["serve", "x.sealed", "--ssl-certfile", "c.pem", "--ssl-keyfile", "k.pem", "--insecure-lan"]
    )
    assert (str(args.ssl_certfile), str(args.ssl_keyfile), args.insecure_lan) == (
        "c.pem",
        "k.pem",
        True,
    )
    certfile, keyfile = _self_signed(tmp_path)
    assert check_tls(None, None) is False
    assert check_tls(certfile, keyfile) is True
    with pytest.raises(UserError, match=r"^--ssl-keyfile: give the certificate too"):
        check_tls(None, keyfile)
    with pytest.raises(UserError, match=r"^--ssl-certfile=.*cannot be used with its key"):
        check_tls(certfile, None)  # (the certificate file holds no key)
    with pytest.raises(UserError, match=r"^--ssl-certfile=.*cannot be used"):
        check_tls(tmp_path / "missing.pem", keyfile)
    loop, lan = socket.socket(), socket.socket()
    try:
        loop.bind(("127.0.0.1", 0))
        lan.bind(("0.0.0.0", 0))
        assert is_loopback(loop) and not is_loopback(lan)
        assert check_transport(loop, "127.0.0.1", tls=False, insecure_lan=False) == ""
        assert check_transport(lan, "0.0.0.0", tls=True, insecure_lan=False) == ""
        with pytest.raises(UserError) as exc:
            check_transport(lan, "0.0.0.0", tls=False, insecure_lan=False)
        assert str(exc.value).startswith("--host=0.0.0.0: listens beyond this machine over")
        assert "\n" not in str(exc.value) and "--insecure-lan" in str(exc.value)
        warning = check_transport(lan, "0.0.0.0", tls=False, insecure_lan=True)
        assert warning.startswith("warning: --insecure-lan:") and "\n" not in warning
    finally:
        loop.close()
        lan.close()
    console = Console(_drill_pkg(), Store(tmp_path / "d.sqlite"), speed=60.0)
    code = console.store.ensure_codes()["controller"]

    def cookie(app) -> str:
        form = (b"content-type", b"application/x-www-form-urlencoded")
        sent = _asgi(app, "POST", "/login", [form], f"code={code}".encode(), tls=True)
        start = next(m for m in sent if m["type"] == "http.response.start")
        assert start["status"] == 303
        return next(v.decode() for k, v in start["headers"] if k == b"set-cookie")

    secure = cookie(create_app(console, secure_cookie=True)).lower()
    plain = cookie(create_app(console)).lower()
    assert "; secure" in secure and "httponly" in secure and "samesite=strict" in secure
    assert "; secure" not in plain and "httponly" in plain
