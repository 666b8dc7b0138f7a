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

from sim.core.eventlog import alarms, incident_windows
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


def incident_detail(events: pd.DataFrame, rep: Replication) -> pd.DataFrame:
    """One row per alarmed incident with response, access mode, teams and outcome."""
    net = rep.world.net
    inc = alarms(events).set_index("incident")
    meta = {e.id: (e.severity, e.window_min, e.t) for e in rep.timeline.of_type(Incident)}
    logged = incident_windows(events)  # incidents published by modules (caught evacuees)
    rows = zip(logged.severity, logged.window_min, logged.occurred, strict=True)
    meta.update(zip(logged.index, rows, strict=True))
    inc["severity"] = [meta.get(i, (0, NAN, NAN))[0] for i in inc.index]
    inc["window_min"] = [meta.get(i, (0, NAN, NAN))[1] for i in inc.index]
    inc["occurred"] = [meta.get(i, (0, NAN, NAN))[2] for i in inc.index]
    inc["town"] = [town_of(net, n) for n in inc["node"]]
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
    inc.loc[on_site, "first_mode"] = "on_site"  # the team was already at the node
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
    # the survival window runs from the occurrence, not from the (delayed) alarm
    since = inc["first_arrival"] - inc["occurred"].fillna(inc["alarm"])
    inc["reached_in_window"] = reached & (since <= inc["window_min"])
    # Work finished on a case first reached after its window: a recovery, not a rescue (its
    # people are among the deaths), so that people_rescued and deaths never overlap.
    done = inc["resolved"].notna()
    alive = inc["reached_in_window"] | inc["window_min"].isna()  # (no window known: no deaths)
    inc["status"] = np.where(
        done & alive,
        "rescued",
        np.where(done, "recovered_late", np.where(reached, "in_progress", "not_reached")),
    )
    inc["rescued"] = inc["rescued"].where(inc["status"] == "rescued", 0.0)
    return inc.reset_index()


def _rt_stats(df: pd.DataFrame, standard_min: float) -> dict[str, float]:
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


def busy_minutes(events: pd.DataFrame, horizon_min: float) -> pd.DataFrame:
    """Per team: tasks and minutes busy (each ``dispatch`` to the next ``free``)."""
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
    return pd.DataFrame.from_dict(out, orient="index", columns=["tasks", "busy_min"])


def team_table(events: pd.DataFrame, rep: Replication) -> pd.DataFrame:
    """One row per team (local and mutual-aid): tasks, busy hours, utilisation."""
    net = rep.world.net
    horizon = rep.horizon_min
    busy = busy_minutes(events, horizon)
    act = events[events.event == "aid_activated"].groupby("entity")["t"].min()
    rows = []
    for kind in ("team", "aid_team"):
        for t in rep.world.assets.of_kind(kind):
            tasks, b = busy.loc[t.id] if t.id in busy.index else (0, 0.0)
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
    """Response measures per value of column ``by`` (town or first tier)."""
    rows = []
    col = inc[by].fillna("(not reached)")
    for key, g in inc.groupby(col, sort=True):
        rows.append({by: key, **_rt_stats(g, standard_min)})
    # (no incidents: the columns still, so the CSV has its header like every other table)
    return pd.DataFrame(rows, columns=[by, *_rt_stats(inc.iloc[:0], standard_min)])


def _detail(rep: Replication, events: pd.DataFrame) -> pd.DataFrame:
    """incident_detail, once per replication and log (shared by the KPIs and the tables)."""
    return rep.memo(
        ("rescue.incidents", id(events), len(events)), lambda: incident_detail(events, rep)
    )


def _teams(rep: Replication, events: pd.DataFrame) -> pd.DataFrame:
    return rep.memo(("rescue.teams", id(events), len(events)), lambda: team_table(events, rep))


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
    net = rep.world.net
    by_town.insert(
        1,
        "town_zh",
        [net.attr(net.index[t], "name_zh") if t in net.index else t for t in by_town["town"]],
    )
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
    ev = events.event
    out["incidents_escalated"] = float(inc["escalated_to"].notna().sum())
    out["incidents_multi_team"] = float((inc["teams_sent"] > 1).sum())
    out["teams_relieved"] = float((ev == "relieved").sum())
    dep = events[ev == "depart"]
    for mode in ("foot", "water", "air"):
        out[f"trips_{mode}"] = float((dep["info"] == mode).sum())
    out["reroutes"] = float((ev == "reroute").sum())
    req = events[ev == "aid_request"]
    out["aid_requests"] = float(len(req))
    out["first_aid_request_h"] = float(req["t"].min() / 60.0) if len(req) else NAN
    out["aid_teams_activated"] = float((ev == "aid_activated").sum())
    regional = set(teams.loc[teams["regional"], "team"]) if len(teams) else set()
    disp = events[ev == "dispatch"]
    out["aid_dispatches"] = float(disp["entity"].isin(regional).sum())
    reached = inc[inc["first_team"].notna()]
    out["share_first_on_scene_aid"] = (
        float(reached["first_team"].isin(regional).mean()) if len(reached) else NAN
    )
    rep_req = events[ev == "repair_request"]
    repaired = events[ev == "repaired"]
    out["roads_to_repair"] = float(len(rep_req))
    out["roads_repaired"] = float(len(repaired))
    out["repair_wait_mean_h"] = float(repaired["qty"].mean() / 60.0) if len(repaired) else NAN
    return out
