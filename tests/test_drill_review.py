"""Drill clock restarts and the after-action review's placement of observed times."""

from __future__ import annotations

import time

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
        "clock": {"startex_t_min": 110.0},
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


def test_msel_writes_injects_from_a_known_log():
    """A hand-made log: names from the network, one stock-out inject per depot, the 45-min
    standard only on severe-convection warnings, every kind kept when injects are capped."""
    import pandas as pd

    from sim.cli import compose_config
    from sim.drill.measures import measure_rows
    from sim.drill.msel import DrillClock, MselBuilder
    from sim.drill.names import Namer
    from sim.run.app import prepare

    conf, net = prepare(compose_config(["district=beibei"]))
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
    ev = pd.DataFrame(rows, columns=["t", "event", "entity", "node", "ref", "qty", "info"])
    b = MselBuilder(ev, Namer(net, conf), measure_rows(ev))
    chosen = b.select(window_min=600.0, max_injects=6)
    assert set(chosen.event) == {"warning", "road_close", "isolated", "incident", "relief_stockout"}
    clock = DrillClock(pd.Timestamp("2027-06-01 14:00").to_pydatetime(), 10.0)
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
