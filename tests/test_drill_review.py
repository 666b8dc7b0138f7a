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
