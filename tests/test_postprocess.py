"""The post-processing of a replication against the pandas formulation it replaced.

KPIs and tables are computed from the log's rows as arrays in plain Python (the log split
by kind once: ``sim.core.eventlog.arrays_of``), with pandas' own arithmetic rebuilt where it
decides the last bit of a float (``group_sums``: reduceat or Kahan, as pandas chooses;
``series_sum``; ``group_cumsums``). The formulation before, kept verbatim in
``tests/reference_postprocess``, is the reference: every KPI (to the bit, NaN as NaN, the
sign of zero), every table's columns, dtypes, values, CSV text and checkpoint encoding must
be the same, on replications of shipped scenarios and on their logs altered the ways a
caller's frame may be (missing and fractional numbers, a kind of row missing, an empty log,
rows out of time order).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import sim.run.experiment as experiment
from sim.core import eventlog
from sim.core.eventlog import (
    EventLog,
    arrays_of,
    arrays_of_kinds,
    event_kinds,
    group_cumsums,
    group_max,
    group_min,
    group_sums,
    kind_table,
    rows_of,
    series_mean,
    series_sum,
)
from sim.modules import RESPONSE_MODULES
from sim.run.checkpoints import encode_frame
from tests import reference_postprocess as ref

NAN = float("nan")

CASES = [  # (overrides, replication): between them every kind of row the measures read
    (["scenario=storm"], 0),  # rescue, public warnings, isolated towns
    (["scenario=flood_evacuation"], 0),  # evacuation, casualties, relief to shelters
    (["scenario=flood_evacuation_stress"], 0),  # turned away, link delays, waits, transfers
    (["district=fengdu", "scenario=flood_isolation"], 0),  # relief by boat/air, handed on
    (["district=beibei", "scenario=cascade", "layout.rescue.dispatch=tiered"], 1),  # escalation
    (["scenario=fire_season"], 0),
    (["scenario=fire_extreme_day"], 1),  # escaped fires, not yearly
]


@pytest.fixture(scope="module")
def replications():
    from sim.cli import compose_config
    from sim.run.app import prepare
    from sim.run.replication import run_replication

    out = []
    for overrides, rep in CASES:
        conf, net = prepare(compose_config(overrides))
        out.append((" ".join(overrides), conf, net, run_replication(conf, net, rep)))
    return out


# ------------------------------------------------------------------------------ equality
def same(a, b) -> bool:
    """``a`` and ``b`` are the same value: the same float to the bit (NaN as NaN, -0.0 not
    0.0), else equal and of the same type."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return type(a) is type(b) and a == b


def assert_same_kpis(got: dict, want: dict, where: str) -> None:
    assert list(got) == list(want), where
    bad = {k: (got[k], want[k]) for k in want if not same(float(got[k]), float(want[k]))}
    assert not bad, f"{where}: {bad}"


def assert_same_table(got: pd.DataFrame, want: pd.DataFrame, where: str) -> None:
    assert list(got.columns) == list(want.columns), where
    assert [str(d) for d in got.dtypes] == [str(d) for d in want.dtypes], where
    assert got.to_csv(index=False) == want.to_csv(index=False), where
    assert encode_frame(got) == encode_frame(want), where  # (what a checkpoint keeps)
    for c in want.columns:
        bad = [(x, y) for x, y in zip(got[c], want[c], strict=True) if not same(x, y)]
        assert not bad, f"{where}.{c}: {bad[:3]}"


def assert_same_tables(got: dict, want: dict, where: str) -> None:
    assert list(got) == list(want), where
    for name in want:
        assert_same_table(got[name], want[name], f"{where} {name}")


# ------------------------------------------------------------------------ run_one as a whole
def test_run_one_gives_the_kpis_and_tables_of_the_reference(replications, monkeypatch):
    """``run_one``'s KPIs (names, order, every bit) and tables (names, order, columns,
    dtypes, values) on each replication, against the reference on a copy of its log."""
    for where, conf, net, rep in replications:
        monkeypatch.setattr(experiment, "run_replication", lambda *_, rep=rep: rep)
        rep.__dict__.pop("_events", None)  # (a fresh frame: nothing derived yet)
        got = experiment.run_one(conf, net, rep.rep)
        ev = rep.world.log.frame()
        assert_same_kpis(got.kpis, ref.replication_kpis(rep, ev), where)
        want = ref.run_one_tables(rep, ev)
        assert_same_tables(got.tables, want, where)
        assert got.n_events == len(ev)
        for table in got.tables.values():  # (tables of their own: a caller may edit one,
            for col in table.columns[: len(table) and None]:  # and the next is unchanged)
                table.loc[table.index[0], col] = table[col].iloc[-1]
        assert_same_tables(experiment.run_one(conf, net, rep.rep).tables, want, where)


# ------------------------------------------------------------------- modules on altered logs
NEW = [  # (name, kpis, tables) of the modules, in the order of ref.MODULES
    (m.__name__.rsplit(".", 1)[-1], m.kpis, m.tables) for m in RESPONSE_MODULES
]


def altered(ev: pd.DataFrame, rng: np.random.Generator, kinds=None):
    """Logs a caller's frame may hold: ``(label, frame)``; without each of ``kinds`` in
    turn (default: every kind in the log)."""
    e = ev.copy()
    e.loc[rng.choice(len(e), size=max(1, len(e) // 20), replace=False), "qty"] = NAN
    yield "missing numbers", e
    yield "fractional numbers", ev.assign(qty=ev.qty * 1.0137 + 0.001)
    e = ev.copy()
    rows = rng.choice(len(e), size=max(1, len(e) // 30), replace=False)
    e.loc[rows, "t"] = e.loc[rows, "t"] + 0.5
    yield "rows out of time order", e
    # every vehicle made a trip, every shelter town had a road delivery (pandas keeps the
    # counts' integer dtype without a gap to fill)
    busy = set(ev.entity[ev.event == "relief_free"])
    yield "no idle vehicle", ev[(ev.event != "relief_vehicle") | ev.entity.isin(busy)]
    road = set(ev.entity[(ev.event == "relief_vehicle") & (ev["info"] == "road")])
    served = set(ev.node[(ev.event == "relief_unload") & ev.entity.isin(road)])
    yield "no town unserved by road", ev[(ev.event != "relief_group") | ev.node.isin(served)]
    for kind in sorted(ev.event.unique()) if kinds is None else kinds:
        e = ev[ev.event != kind].reset_index(drop=True)
        yield f"no {kind} rows", e.assign(event=e.event.astype(str).astype("category"))
    yield "empty", ev.iloc[:0].copy()


# The long logs of the stress and isolation runs lose only the kinds of row their runs
# alone have (the others are dropped from the shorter logs of the other cases).
ALTERED = {
    0: None,
    1: None,
    2: ["link_delay", "no_shelter", "wait_end", "turned_away", "shelter_transfer",
        "relief_transfer_in", "relief_left", "relieved"],
    3: ["relief_grounded", "relief_wait_road", "relief_transfer_in", "relief_left",
        "relief_carry", "relief_vehicle", "repaired"],
    4: None,
    6: None,
}  # fmt: skip


def attempt(fn, *args):
    """``fn(*args)``, or the type of the exception it raised (a log the model never writes
    may break both formulations; then both must raise alike)."""
    try:
        return fn(*args)
    except Exception as exc:
        return type(exc)


def outputs(module, rep, ev: pd.DataFrame):
    """(kpis, tables) of one module, or the type of the exception it raised."""
    _, kpis, tables = module
    return attempt(lambda: (kpis(rep, ev), tables(rep, ev)))


@pytest.mark.parametrize("case", list(ALTERED))
def test_every_module_on_altered_logs_is_the_reference(replications, case):
    where, _, _, rep = replications[case]
    rng = np.random.default_rng(case)
    for label, ev in altered(rep.world.log.frame(), rng, ALTERED[case]):
        for new, old in zip(NEW, ref.MODULES, strict=True):
            got, want = outputs(new, rep, ev.copy()), outputs(old, rep, ev.copy())
            at = f"{where} [{label}] {new[0]}"
            if isinstance(want, type):
                assert got is want, at
                continue
            assert not isinstance(got, type), f"{at}: raised {got.__name__}"
            assert_same_kpis(got[0], want[0], at)
            assert_same_tables(got[1], want[1], at)
        got = attempt(common_kpis, rep, ev.copy())
        want = attempt(ref.common_kpis, ev.copy(), rep.horizon_min)
        if isinstance(want, type):
            assert got is want, f"{where} [{label}] common"
        else:
            assert_same_kpis(got, want, f"{where} [{label}] common")


def common_kpis(rep, ev: pd.DataFrame) -> dict[str, float]:
    """The common KPIs of sim.run.metrics.replication_kpis for the log ``ev`` (its modules'
    KPIs are checked above)."""
    from sim.run import metrics

    class Rep:  # (the common KPIs read the log and the horizon only)
        horizon_min = rep.horizon_min

        def events(self):
            return ev

    modules, metrics.RESPONSE_MODULES = metrics.RESPONSE_MODULES, []
    try:
        return metrics.replication_kpis(Rep())
    finally:
        metrics.RESPONSE_MODULES = modules


# ---------------------------------------------------------------- the log's arrays and sums
def small_log(n: int = 80) -> pd.DataFrame:
    log = EventLog()
    kinds = ("incident", "dispatch", "arrive", "free", "road_close")
    for i in range(n):
        qty = NAN if i % 11 == 0 else float(i) / 7
        log.log(float(i // 3), kinds[i * 7 % 5], f"e{i % 6}", f"n{i % 4}", f"r{i % 3}", qty, "x")
    return log.frame()


def test_arrays_of_are_the_rows_of_each_kind_in_log_order():
    ev = small_log()
    for frame in (ev, ev.astype({"event": str})):  # (a caller's frame: no categorical)
        for name in [*ev.event.unique(), "no_such_event"]:
            rows, want = arrays_of(frame, name), frame[frame.event == name]
            for col in ("t", "event", "entity", "node", "ref", "qty", "info"):
                np.testing.assert_array_equal(getattr(rows, col), want[col].to_numpy())
            np.testing.assert_array_equal(rows.pos, np.flatnonzero(frame.event == name))
            with pytest.raises(ValueError):
                rows.qty[:1] = 0.0  # read-only: shared by every caller
        both = arrays_of_kinds(frame, ("free", "dispatch"))
        np.testing.assert_array_equal(
            both.pos, np.flatnonzero(frame.event.isin(["free", "dispatch"]))
        )
        np.testing.assert_array_equal(both.event, frame.event[both.pos].to_numpy())
    assert event_kinds(ev) == list(dict.fromkeys(ev.event))


def test_kind_table_is_the_selected_rows_with_the_logs_dtypes():
    ev = small_log()
    for name in ("arrive", "no_such_event"):
        got = kind_table(ev, name, {"when": "t", "who": "entity", "n": "qty"})
        want = rows_of(ev, name)[["t", "entity", "qty"]].reset_index(drop=True)
        pd.testing.assert_frame_equal(
            got, want.rename(columns={"t": "when", "entity": "who", "qty": "n"})
        )
        got.loc[:, "n"] = 1.0  # (its own arrays, writable)


def random_groups(rng: np.random.Generator, trial: int) -> tuple[np.ndarray, np.ndarray]:
    """Keys (some NaN) and values (fractions over magnitudes, NaN, inf, -0.0), sometimes in
    key order (where pandas sums with reduceat)."""
    n = int(rng.integers(0, 120))
    values = rng.normal(size=n) * 10.0 ** rng.integers(-3, 8, size=n)
    if trial % 3 == 0:
        values = np.round(values, 1)
    if trial % 7 == 0:
        values[:] = -0.0
    if trial % 5 == 0 and n:
        values[rng.integers(0, n, size=3)] = NAN
    if trial % 17 == 0 and n:
        values[rng.integers(0, n)] = np.inf
    names = np.array(["a", "b", "c", "d", NAN], dtype=object)
    keys = rng.choice(names, size=n, p=[0.3, 0.3, 0.2, 0.1, 0.1] if trial % 4 else None)
    if trial % 2:
        keys = np.array(sorted(keys, key=lambda k: (0, "") if k != k else (1, k)), dtype=object)
    return keys, values


def test_sums_minima_and_running_sums_are_pandas_floats():
    rng = np.random.default_rng(7)
    for trial in range(1500):
        keys, values = random_groups(rng, trial)
        by = pd.Series(values).groupby(pd.Series(keys, dtype="str"))
        for got, want in (
            (group_sums(keys, values), by.sum()),
            (group_min(keys, values), by.min()),
            (group_max(keys, values), by.max()),
        ):
            assert sorted(got) == list(want.index), trial
            bad = [k for k, v in want.items() if not same(float(got[k]), float(v))]
            assert not bad, (trial, bad)
        cum = group_cumsums(keys, values)
        np.testing.assert_array_equal(cum, by.cumsum().to_numpy(), err_msg=str(trial))
        assert same(series_sum(values), float(pd.Series(values).sum())), trial
        assert same(series_mean(values), float(pd.Series(values, dtype=float).mean())), trial


def test_a_plain_python_sum_would_differ_so_the_test_can_fail():
    """The floats where the way of adding matters: in key order pandas adds with reduceat
    (not Kahan), out of order with Kahan (not in sequence); group_sums follows both."""
    rng = np.random.default_rng(3)
    values = rng.normal(size=400) * 10.0 ** rng.integers(-3, 8, size=400)
    for keys in (
        np.array(["a"] * 400, dtype=object),
        rng.choice(np.array(["a", "b"], dtype=object), 400),
    ):
        want = pd.Series(values).groupby(pd.Series(keys, dtype="str")).sum()
        naive = {k: sum(values[keys == k].tolist()) for k in want.index}
        assert any(not same(naive[k], float(v)) for k, v in want.items())
        assert all(same(group_sums(keys, values)[k], float(v)) for k, v in want.items())
    tiny = [1.0] + [1e-16] * 10  # (compensated: the tiny parts are not lost)
    assert eventlog.kahan_sum(tiny) == 1.000000000000001 and sum(tiny) == 1.0
