"""The event log's frame helpers: rows_of is the filter it replaces; derived tables are
made once per frame, bounded, and never shared between frames."""

from __future__ import annotations

import pandas as pd

from sim.core import eventlog
from sim.core.eventlog import COLUMNS, EventLog, derived, rows_of


def small_frame(n: int = 60) -> pd.DataFrame:
    log = EventLog()
    kinds = ("incident", "dispatch", "arrive", "free", "road_close")
    for i in range(n):
        log.log(float(i), kinds[i % len(kinds)], f"e{i % 7}", "n1", f"r{i % 3}", float(i), "x")
    return log.frame()


def test_rows_of_is_the_boolean_filter_for_every_kind_and_for_none():
    ev = small_frame()
    for name in [*ev.event.unique(), "no_such_event"]:
        pd.testing.assert_frame_equal(rows_of(ev, name), ev[ev.event == name])
    assert list(rows_of(ev, "no_such_event").columns) == COLUMNS


def test_changing_what_rows_of_returned_does_not_change_the_next_answer():
    ev = small_frame()
    first = rows_of(ev, "arrive")
    first["qty"] = -1.0
    first.loc[first.index[0], "entity"] = "changed"
    pd.testing.assert_frame_equal(rows_of(ev, "arrive"), ev[ev.event == "arrive"])


def test_derived_is_computed_once_per_frame_and_again_for_another_frame():
    calls = []

    def table():
        calls.append(1)
        return len(calls)

    a, b = small_frame(), small_frame()
    assert derived(a, "k", table) == derived(a, "k", table) == 1
    assert derived(b, "k", table) == 2  # an equal frame is another log
    longer = pd.concat([a, a.iloc[:1]], ignore_index=True)
    assert derived(longer, "k", table) == 3
    grown = small_frame()  # the same object, a row more: computed again
    assert derived(grown, "k", table) == 4
    grown.loc[len(grown)] = grown.iloc[0]
    assert derived(grown, "k", table) == 5


def test_a_derived_table_is_each_callers_own():
    ev = small_frame()
    table = derived(ev, "t", lambda: pd.DataFrame({"x": [1.0, 2.0]}))
    table.loc[0, "x"] = -1.0
    assert derived(ev, "t", lambda: None)["x"].tolist() == [1.0, 2.0]


def test_the_cache_keeps_only_the_last_few_frames():
    frames = [small_frame(10) for _ in range(eventlog._DERIVED_MAX + 3)]
    for f in frames:
        rows_of(f, "arrive")
    assert len(eventlog._DERIVED) <= eventlog._DERIVED_MAX
    assert all(entry[0] is not frames[0] for entry in eventlog._DERIVED.values())
