# sim/rescue/metrics.py before its post-processing was made cheaper (commit a35ca13), verbatim:
# the reference formulation tests/test_postprocess.py checks the new one against.
"""Rescue measures and tables, computed after the run from the event log only.

The log rows used (see sim/rescue/service.py for when they are written):
``incident`` (alarm), ``dispatch``/``free`` (a team's task), ``depart`` (mode in ``info``),
``arrive`` (tier in ``info``), ``resolved`` (people in ``qty``), ``escalate``, ``relieved``,
``reroute``, ``aid_request``/``aid_activated``, ``repair_request``/``repaired``,
Incident windows and severities come from the hazard
timeline, town names and coordinates from the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.core.eventlog import INCIDENT_WINDOW, derived, rows_of
from sim.core.events import Incident

if TYPE_CHECKING:
    from sim.core.network import RoadNetwork
    from sim.core.replication import Replication

NAN = float("nan")


def town_of(net: RoadNetwork, node: str) -> str:
    """The town/street a node belongs to (its ``town`` attribute, else itself)."""
    i = net.index.get(node)
    if i is None:
        return node
    t = net.attr(i, "town")
    return str(t) if t else node


# incidents.csv columns, in order, and the dtype of each column when there are no rows
DETAIL_COLUMNS = {
    "incident": "str",
    "alarm": "float64",
    "node": "str",
    "people": "float64",
    "kind": "str",
    "hazard": "str",
    "severity": "int64",
    "window_min": "float64",
    "occurred": "float64",
    "town": "str",
    "town_zh": "str",
    "lat": "float64",
    "lon": "float64",
    "first_arrival": "float64",
    "first_team": "str",
    "first_tier": "str",
    "first_mode": "str",
    "teams_sent": "int64",
    "escalated_to": "float64",
    "resolved": "float64",
    "rescued": "float64",
    "response_min": "float64",
    "reached_in_window": "bool",
    "status": "str",
}


def incident_detail(events: pd.DataFrame, rep: Replication) -> pd.DataFrame:
    """One row per alarmed incident with response, access mode, teams and outcome.

    One pass over the log's rows in plain Python: a replication has a few to a few thousand
    incidents, where pandas' per-call overhead (a groupby, a merge) cost more than the work.
    Rows are read in time order (the log's own order; a frame out of order is sorted, stably,
    first): "first" and "last" are by time, ties in the order they were logged. An incident
    alarmed twice keeps its first alarm; missing numbers and names (NaN) are skipped, as
    pandas' aggregations skip them.
    """
    net = rep.world.net
    meta = {e.id: (e.severity, e.window_min, e.t) for e in rep.timeline.of_type(Incident)}
    alarm: dict[str, tuple] = {}  # incident -> (t, node, people, kind, hazard), log order
    first: dict[str, tuple] = {}  # incident -> first arrival (t, team, tier)
    departs: list[tuple] = []  # (t, team, incident, mode)
    sent: dict[str, set] = {}  # incident -> teams dispatched
    escalated: dict[str, float] = {}
    resolved: dict[str, list[float]] = {}  # incident -> [last t, most people]
    if not events["t"].is_monotonic_increasing:  # (the log is; a caller's frame may not be)
        events = events.sort_values("t", kind="stable")
    cols = ("t", "event", "entity", "node", "ref", "qty", "info")
    for t, ev, ent, node, ref, qty, info in zip(*(events[c].to_numpy() for c in cols), strict=True):
        if ev == "arrive":
            if ref not in first:
                first[ref] = (t, ent, info)
        elif ev == "depart":
            departs.append((t, ent, ref, info))
        elif ev == "dispatch":
            if ent == ent:  # (NaN: no team named)
                sent.setdefault(ref, set()).add(ent)
        elif ev == "incident":
            alarm.setdefault(ent, (t, node, qty, info, ref))
        elif ev == "resolved":
            r = resolved.get(ent)
            if r is None:
                resolved[ent] = [t, qty if qty == qty else 0.0]
            else:
                r[0] = max(r[0], t)
                if qty == qty:  # (NaN people: skipped, as pandas' max skips it)
                    r[1] = max(r[1], qty)
        elif ev == "escalate":
            escalated[ent] = max(escalated.get(ent, qty), qty)
        elif ev == INCIDENT_WINDOW:  # incidents published by modules (caught evacuees)
            meta[ent] = (_severity(info), qty, t)
    # the mode of each first arrival: the last trip its team began towards the case by then
    mode: dict[str, str] = {}
    for t, team, ref, info in departs:
        f = first.get(ref)
        if f is not None and f[1] == team and t <= f[0]:
            mode[ref] = info
    cols_out: dict[str, list] = {c: [] for c in DETAIL_COLUMNS}
    none = (0, NAN, NAN)
    for inc_id, (t, node, people, kind, hazard) in alarm.items():
        severity, window, occurred = meta.get(inc_id, none)
        town = town_of(net, node)
        i = net.index[node]
        f = first.get(inc_id)
        arrival = float(f[0]) if f is not None else NAN
        done = resolved.get(inc_id)
        reached = f is not None
        since = arrival - (occurred if occurred == occurred else t)
        in_window = reached and since <= window
        alive = in_window or window != window  # (no window known: no deaths)
        # A case first reached after its window is a recovery (among the deaths) whether or
        # not its work was finished by the horizon: "in progress" is only for people still
        # alive (reached in their window), "not reached" only for cases no team got to.
        if done is not None:
            status = "rescued" if alive else "recovered_late"
        elif reached:
            status = "in_progress" if alive else "recovered_late"
        else:
            status = "not_reached"
        row = (
            inc_id,
            float(t),
            node,
            float(people),
            kind,
            hazard,
            int(severity),
            float(window),
            float(occurred),
            town,
            net.attr(net.index[town], "name_zh") if town in net.index else town,
            net.attr(i, "lat"),
            net.attr(i, "lon"),
            arrival,
            f[1] if reached else NAN,
            f[2] if reached else NAN,
            mode.get(inc_id, "on_site" if reached else NAN),
            len(sent.get(inc_id, ())),
            escalated.get(inc_id, NAN),
            float(done[0]) if done is not None else NAN,
            float(done[1]) if done is not None and status == "rescued" else 0.0,
            arrival - t,
            bool(in_window),
            status,
        )
        for c, v in zip(cols_out.values(), row, strict=True):
            c.append(v)
    if not alarm:
        return pd.DataFrame({c: pd.Series([], dtype=d) for c, d in DETAIL_COLUMNS.items()})
    return pd.DataFrame(cols_out)


def _severity(info) -> int:
    """Severity of an incident_window row (its info; 0 if not a number)."""
    try:
        return int(float(info))
    except (TypeError, ValueError):
        return 0


def _rt_stats(df: pd.DataFrame, standard_min: float) -> dict[str, float]:
    return _rt_arrays(_arrays(df), standard_min)


def _arrays(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns of an incident table that the response measures read, as arrays."""
    cols = ("first_arrival", "response_min", "reached_in_window", "people", "rescued")
    return {c: df[c].to_numpy() for c in cols}


def _rt_arrays(a: dict[str, np.ndarray], standard_min: float) -> dict[str, float]:
    """Response measures of the incidents in ``a`` (see :func:`_arrays`)."""
    rt = a["response_min"][~np.isnan(a["first_arrival"])].astype(float)
    n = len(a["people"])
    return {
        "incidents": float(n),
        "incidents_reached": float(rt.size),
        "response_mean_min": float(rt.mean()) if rt.size else NAN,
        "response_p50_min": float(np.median(rt)) if rt.size else NAN,
        "response_p90_min": float(np.percentile(rt, 90)) if rt.size else NAN,
        "incidents_within_standard": float((rt <= standard_min).sum()),
        "share_within_standard": float((rt <= standard_min).sum() / n) if n else NAN,
        "incidents_not_reached_in_window": float(n - a["reached_in_window"].sum()),
        "people_involved": float(np.nansum(a["people"])),
        "people_rescued": float(np.nansum(a["rescued"])),
    }


def busy_minutes(events: pd.DataFrame, horizon_min: float) -> dict[str, tuple[int, float]]:
    """Per team: tasks and minutes busy (each ``dispatch`` to the next ``free``)."""
    state: dict[str, list] = {}  # team -> [tasks, busy, start]
    cols = (events[c].to_numpy() for c in ("t", "event", "entity"))
    for t, e, team in zip(*cols, strict=True):
        if e == "dispatch":
            s = state.setdefault(team, [0, 0.0, None])
            s[0] += 1
            if s[2] is None:
                s[2] = t
        elif e == "free":
            s = state.setdefault(team, [0, 0.0, None])
            if s[2] is not None:
                s[1] += t - s[2]
                s[2] = None
    return {
        team: (tasks, busy + (horizon_min - start if start is not None else 0.0))
        for team, (tasks, busy, start) in state.items()
    }


def team_table(events: pd.DataFrame, rep: Replication) -> pd.DataFrame:
    """One row per team (local and mutual-aid): tasks, busy hours, utilisation."""
    net = rep.world.net
    horizon = rep.horizon_min
    busy = busy_minutes(events, horizon)
    act: dict[str, float] = {}
    for e, team, t in zip(*(events[c].to_numpy() for c in ("event", "entity", "t")), strict=True):
        if e == "aid_activated":
            act[team] = min(act.get(team, t), t)
    rows = []
    for kind in ("team", "aid_team"):
        for t in rep.world.assets.of_kind(kind):
            tasks, b = busy.get(t.id, (0, 0.0))
            activated = 0.0 if kind == "team" else act.get(t.id, horizon)
            avail = horizon - activated
            rows.append(
                {
                    "team": t.id,
                    "tier": t.tier,
                    "regional": kind == "aid_team",
                    "home": net.nodes[t.home],
                    "home_zh": net.attr(t.home, "name_zh"),
                    "lat": net.attr(t.home, "lat"),
                    "lon": net.attr(t.home, "lon"),
                    "headcount": t.headcount,
                    "capabilities": " ".join(sorted(t.capabilities)),
                    "modes": " ".join(sorted(t.modes)),
                    "tasks": int(tasks),
                    "busy_h": b / 60.0,
                    "available_h": avail / 60.0,
                    "utilisation": b / avail if avail > 0 else NAN,
                }
            )
    return pd.DataFrame(rows)


def group_table(inc: pd.DataFrame, by: str, standard_min: float) -> pd.DataFrame:
    """Response measures per value of column ``by`` (town or first tier), sorted by value."""
    keys = inc[by].astype(object).fillna("(not reached)").to_numpy()  # (all NaN: float)
    a = _arrays(inc)
    groups: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    rows = [
        {by: k, **_rt_arrays({c: v[groups[k]] for c, v in a.items()}, standard_min)}
        for k in sorted(groups)
    ]
    # (no incidents: the columns still, so the CSV has its header like every other table)
    return pd.DataFrame(rows, columns=[by, *_rt_arrays(_arrays(inc.iloc[:0]), standard_min)])


def _detail(rep: Replication, events: pd.DataFrame) -> pd.DataFrame:
    """incident_detail, once per log (shared by the KPIs and the tables)."""
    return derived(events, "rescue.incidents", lambda: incident_detail(events, rep))


def _teams(rep: Replication, events: pd.DataFrame) -> pd.DataFrame:
    return derived(events, "rescue.teams", lambda: team_table(events, rep))


# incidents.csv names its clock times with their unit (minutes from the scenario's start)
INCIDENT_CSV_NAMES = {
    "alarm": "alarm_min",
    "occurred": "occurred_min",
    "first_arrival": "first_arrival_min",
}


def rescue_tables(rep: Replication, events: pd.DataFrame) -> dict[str, pd.DataFrame]:
    inc = _detail(rep, events)
    std = rep.cfg.layout.rescue.response_standard_min
    by_town = group_table(inc, "town", std)
    by_town = rep.world.net.with_names_zh(by_town, "town")
    return {
        "incidents": inc.rename(columns=INCIDENT_CSV_NAMES),
        "rescue_teams": _teams(rep, events),
        "rescue_by_town": by_town,
        "rescue_by_tier": group_table(inc, "first_tier", std),
    }


def rescue_kpis(rep: Replication, events: pd.DataFrame) -> dict[str, float]:
    """Rescue KPIs of one replication (one row of kpis.csv)."""
    inc = _detail(rep, events)
    std = rep.cfg.layout.rescue.response_standard_min
    out = _rt_stats(inc, std)
    out["people_reached_in_window"] = float(inc.loc[inc["reached_in_window"], "people"].sum())
    out["people_in_progress"] = float(inc.loc[inc["status"] == "in_progress", "people"].sum())
    late = inc["status"] == "recovered_late"
    out["people_recovered_late"] = float(inc.loc[late, "people"].sum())
    out["people_not_reached"] = float(inc.loc[inc["status"] == "not_reached", "people"].sum())
    # ASSUMPTION (docs/rescue_model.md): people of an incident whose survival window ended
    # before any team was there are counted as deaths
    expired = inc["occurred"].fillna(inc["alarm"]) + inc["window_min"] <= rep.horizon_min
    out["deaths"] = float(inc.loc[expired & ~inc["reached_in_window"], "people"].sum())
    mode = inc["first_mode"].replace({"walk": "foot"})
    for m in ("road", "foot", "water", "air", "on_site"):
        out[f"people_rescued_by_{m}"] = float(inc.loc[mode == m, "rescued"].sum())
    teams = _teams(rep, events)
    local = teams[~teams["regional"]] if len(teams) else teams
    out["team_utilisation"] = (
        float(local["busy_h"].sum() / local["available_h"].sum()) if len(local) else NAN
    )
    out["incidents_escalated"] = float(inc["escalated_to"].notna().sum())
    out["incidents_multi_team"] = float((inc["teams_sent"] > 1).sum())
    out["teams_relieved"] = float(len(rows_of(events, "relieved")))
    dep = rows_of(events, "depart")
    for mode in ("foot", "water", "air"):
        out[f"trips_{mode}"] = float((dep["info"] == mode).sum())
    out["reroutes"] = float(len(rows_of(events, "reroute")))
    req = rows_of(events, "aid_request")
    out["aid_requests"] = float(len(req))
    out["first_aid_request_h"] = float(req["t"].min() / 60.0) if len(req) else NAN
    out["aid_teams_activated"] = float(len(rows_of(events, "aid_activated")))
    regional = set(teams.loc[teams["regional"], "team"]) if len(teams) else set()
    disp = rows_of(events, "dispatch")
    out["aid_dispatches"] = float(disp["entity"].isin(regional).sum())
    reached = inc[inc["first_team"].notna()]
    out["share_first_on_scene_aid"] = (
        float(reached["first_team"].isin(regional).mean()) if len(reached) else NAN
    )
    rep_req = rows_of(events, "repair_request")
    repaired = rows_of(events, "repaired")
    out["roads_to_repair"] = float(len(rep_req))
    out["roads_repaired"] = float(len(repaired))
    out["repair_wait_mean_h"] = float(repaired["qty"].mean() / 60.0) if len(repaired) else NAN
    return out
