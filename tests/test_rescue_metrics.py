"""Rescue measures computed in plain Python against the pandas formulation they replaced.

``incident_detail``, ``group_table`` and ``team_table`` were written with pandas (a groupby,
a merge, per-group filters); on a few to a few thousand incidents that cost more than the
work, so they now make one pass over the log. The pandas versions are kept here as the
reference: every column, every dtype and every CSV byte must be the same on replications of
shipped scenarios with escalation, several teams per case, relief, evacuation casualties
(incident windows from the log) and none at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.core.eventlog import alarms, incident_windows
from sim.core.events import Incident
from sim.rescue import metrics as M

NAN = float("nan")


def reference_detail(events: pd.DataFrame, rep) -> pd.DataFrame:
    """The pandas incident_detail (session 7), verbatim but for the name."""
    net = rep.world.net
    inc = alarms(events).set_index("incident")
    meta = {e.id: (e.severity, e.window_min, e.t) for e in rep.timeline.of_type(Incident)}
    logged = incident_windows(events)
    rows = zip(logged.severity, logged.window_min, logged.occurred, strict=True)
    meta.update(zip(logged.index, rows, strict=True))
    inc["severity"] = [meta.get(i, (0, NAN, NAN))[0] for i in inc.index]
    inc["window_min"] = [meta.get(i, (0, NAN, NAN))[1] for i in inc.index]
    inc["occurred"] = [meta.get(i, (0, NAN, NAN))[2] for i in inc.index]
    inc["town"] = [M.town_of(net, n) for n in inc["node"]]
    inc["town_zh"] = [
        net.attr(net.index[t], "name_zh") if t in net.index else t for t in inc["town"]
    ]
    inc["lat"] = [net.attr(net.index[n], "lat") for n in inc["node"]]
    inc["lon"] = [net.attr(net.index[n], "lon") for n in inc["node"]]
    arr = events[events.event == "arrive"].sort_values("t", kind="stable")
    first = arr.groupby("ref").first()
    inc["first_arrival"] = first["t"].reindex(inc.index)
    inc["first_team"] = first["entity"].reindex(inc.index)
    inc["first_tier"] = first["info"].reindex(inc.index)
    dep = events[events.event == "depart"][["t", "entity", "ref", "info"]]
    fa = first[["entity", "t"]].rename(columns={"t": "t_arr"}).reset_index()
    m = dep.merge(fa, on=["ref", "entity"], how="inner")
    m = m[m["t"] <= m["t_arr"]].sort_values("t", kind="stable")
    inc["first_mode"] = m.groupby("ref")["info"].last().reindex(inc.index)
    on_site = inc["first_arrival"].notna() & inc["first_mode"].isna()
    inc.loc[on_site, "first_mode"] = "on_site"
    disp = events[events.event == "dispatch"].groupby("ref")["entity"].nunique()
    inc["teams_sent"] = disp.reindex(inc.index).fillna(0).astype(int)
    esc = events[events.event == "escalate"].groupby("entity")["qty"].max()
    inc["escalated_to"] = esc.reindex(inc.index)
    res = (
        events[events.event == "resolved"]
        .groupby("entity")
        .agg(resolved=("t", "max"), rescued=("qty", "max"))
    )
    inc = inc.join(res)
    inc["response_min"] = inc["first_arrival"] - inc["alarm"]
    inc["rescued"] = inc["rescued"].fillna(0.0)
    reached = inc["first_arrival"].notna()
    since = inc["first_arrival"] - inc["occurred"].fillna(inc["alarm"])
    inc["reached_in_window"] = reached & (since <= inc["window_min"])
    done = inc["resolved"].notna()
    alive = inc["reached_in_window"] | inc["window_min"].isna()
    inc["status"] = np.where(
        done & alive,
        "rescued",
        np.where(
            done | (reached & ~alive),
            "recovered_late",
            np.where(reached, "in_progress", "not_reached"),
        ),
    )
    inc["rescued"] = inc["rescued"].where(inc["status"] == "rescued", 0.0)
    return inc.reset_index()


def reference_rt_stats(df: pd.DataFrame, standard_min: float) -> dict[str, float]:
    rt = df.loc[df["first_arrival"].notna(), "response_min"].to_numpy(dtype=float)
    n = len(df)
    return {
        "incidents": float(n),
        "incidents_reached": float(rt.size),
        "response_mean_min": float(rt.mean()) if rt.size else NAN,
        "response_p50_min": float(np.median(rt)) if rt.size else NAN,
        "response_p90_min": float(np.percentile(rt, 90)) if rt.size else NAN,
        "incidents_within_standard": float((rt <= standard_min).sum()),
        "share_within_standard": float((rt <= standard_min).sum() / n) if n else NAN,
        "incidents_not_reached_in_window": float(n - df["reached_in_window"].sum()),
        "people_involved": float(df["people"].sum()),
        "people_rescued": float(df["rescued"].sum()),
    }


def reference_group_table(inc: pd.DataFrame, by: str, standard_min: float) -> pd.DataFrame:
    rows = []
    col = inc[by].fillna("(not reached)")
    for key, g in inc.groupby(col, sort=True):
        rows.append({by: key, **reference_rt_stats(g, standard_min)})
    return pd.DataFrame(rows, columns=[by, *reference_rt_stats(inc.iloc[:0], standard_min)])


def reference_busy(events: pd.DataFrame, horizon_min: float) -> dict[str, tuple[int, float]]:
    ev = events[events.event.isin(["dispatch", "free"])][["t", "event", "entity"]]
    out = {}
    for team, g in ev.groupby("entity", sort=False):
        busy, tasks, start = 0.0, 0, None
        for t, e in zip(g["t"], g["event"], strict=True):
            if e == "dispatch":
                tasks += 1
                start = t if start is None else start
            elif start is not None:
                busy += t - start
                start = None
        if start is not None:
            busy += horizon_min - start
        out[team] = (tasks, busy)
    return out


CASES = [
    (["scenario=storm"], 1),  # Bishan: two teams on some cases, aid teams
    (["scenario=cascade"], 1),  # escalation, many incidents, two recovered late
    (["scenario=flood_evacuation_stress"], 0),  # thousands caught: not reached, reached late
    (["scenario=earthquake"], 0),
    (["scenario=flood_evacuation", "district=fengdu"], 0),  # casualties: windows in the log
    (["scenario=fire_season"], 0),  # no rescue incidents at all
]


@pytest.fixture(scope="module")
def replications():
    from sim.cli import compose_config
    from sim.run.app import prepare
    from sim.run.replication import run_replication

    out = []
    for overrides, rep in CASES:
        conf, net = prepare(compose_config(overrides))
        r = run_replication(conf, net, rep)
        out.append((overrides, r, r.events()))
    return out


def test_incident_detail_is_the_pandas_formulation_column_for_column(replications):
    for overrides, rep, ev in replications:
        got, want = M.incident_detail(ev, rep), reference_detail(ev, rep)
        pd.testing.assert_frame_equal(got, want, check_dtype=len(want) > 0, obj=str(overrides))
        assert got.to_csv(index=False) == want.to_csv(index=False)


def test_group_tables_and_busy_minutes_are_the_pandas_formulation(replications):
    for _, rep, ev in replications:
        inc = reference_detail(ev, rep)
        std = rep.cfg.layout.rescue.response_standard_min
        for by in ("town", "first_tier"):
            got, want = M.group_table(inc, by, std), reference_group_table(inc, by, std)
            pd.testing.assert_frame_equal(got, want, check_dtype=len(want) > 0, obj=by)
        assert M.busy_minutes(ev, rep.horizon_min) == reference_busy(ev, rep.horizon_min)
    statuses = set().union(*(set(reference_detail(ev, rep).status) for _, rep, ev in replications))
    # (no case of these runs is still being worked at the horizon after a timely arrival:
    # "in_progress" is checked on logs cut short, below)
    assert statuses == {"rescued", "recovered_late", "not_reached"}


def test_cases_still_worked_at_the_horizon_are_in_progress_or_late_as_in_pandas(replications):
    """The logs without their ``resolved`` rows (as if the run ended while every case was
    being worked): a case first reached within its window is in progress, one reached after
    it a recovery (among the deaths: before, it was filed "in progress" too), in both
    formulations."""
    statuses = set()
    for overrides, rep, ev in replications:
        cut = ev[ev.event != "resolved"].reset_index(drop=True)
        got, want = M.incident_detail(cut, rep), reference_detail(cut, rep)
        pd.testing.assert_frame_equal(got, want, check_dtype=len(want) > 0, obj=str(overrides))
        if len(got):
            reached = got["first_arrival"].notna()
            late = reached & ~got["reached_in_window"] & got["window_min"].notna()
            assert (got.loc[late, "status"] == "recovered_late").all()
            assert (got.loc[reached & ~late, "status"] == "in_progress").all()
            statuses |= set(got.status)
    assert statuses == {"recovered_late", "in_progress", "not_reached"}


def _with_rows(ev: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    """``ev`` with extra rows (at the times they name), in time order, as a log would be."""
    extra = pd.DataFrame(rows, columns=ev.columns).astype({"t": float, "qty": float})
    out = pd.concat([ev.astype({"event": str}), extra], ignore_index=True)
    out = out.sort_values("t", kind="stable", ignore_index=True)
    return out.astype({"event": "category"})


def test_missing_numbers_and_names_are_skipped_as_pandas_skips_them(replications):
    """Rows the model never writes but a caller's frame may hold: a resolved row without
    people, a dispatch without a team. Both formulations skip the missing value."""
    _, rep, ev = replications[0]
    first = ev[ev.event == "incident"].iloc[0]
    odd = _with_rows(
        ev,
        [
            {**first.to_dict(), "event": "resolved", "qty": NAN, "t": first.t + 1.0},
            {**first.to_dict(), "event": "dispatch", "entity": NAN, "ref": first.entity},
        ],
    )
    pd.testing.assert_frame_equal(M.incident_detail(odd, rep), reference_detail(odd, rep))


def test_an_incident_alarmed_twice_keeps_its_first_alarm_and_a_shuffled_log_is_sorted(
    replications,
):
    _, rep, ev = replications[0]
    first = ev[ev.event == "incident"].iloc[0]
    twice = _with_rows(ev, [{**first.to_dict(), "t": first.t + 5.0}])
    got = M.incident_detail(twice, rep)
    assert got["incident"].is_unique and len(got) == len(M.incident_detail(ev, rep))
    assert got.loc[got.incident == first.entity, "alarm"].item() == first.t
    shuffled = ev.sample(frac=1.0, random_state=3)  # (no two teams arrive at once here)
    by_id = lambda d: d.sort_values("incident", ignore_index=True)  # noqa: E731
    pd.testing.assert_frame_equal(
        by_id(M.incident_detail(shuffled, rep)), by_id(M.incident_detail(ev, rep))
    )


def test_a_replication_without_incidents_gives_the_columns_with_their_dtypes(replications):
    overrides, rep, ev = replications[-1]
    assert overrides == ["scenario=fire_season"]
    empty = M.incident_detail(ev, rep)
    assert empty.empty and list(empty.columns) == list(M.DETAIL_COLUMNS)
    for col, dtype in M.DETAIL_COLUMNS.items():
        assert str(empty[col].dtype) == dtype, col
