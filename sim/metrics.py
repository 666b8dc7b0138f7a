"""Metrics computed after a run from the event log (pandas is fine here, not in the loop)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from scenarios.events import SEVERE_CONVECTION

if TYPE_CHECKING:
    from sim.model import Replication


def incident_table(events: pd.DataFrame) -> pd.DataFrame:
    """One row per alarmed incident: alarm time, node, people, first arrival, resolution."""
    inc = events[events.event == "incident"][["entity", "t", "node", "qty", "info", "ref"]]
    inc = inc.rename(
        columns={
            "entity": "incident",
            "t": "alarm",
            "qty": "people",
            "info": "kind",
            "ref": "hazard",
        }
    )
    arr = (
        events[events.event == "arrive"]
        .groupby("ref")
        .agg(first_arrival=("t", "min"), first_tier=("info", "first"))
    )
    res = (
        events[events.event == "resolved"]
        .groupby("entity")
        .agg(resolved=("t", "max"), rescued=("qty", "max"))
    )
    out = inc.set_index("incident").join(arr).join(res)
    out["response_min"] = out["first_arrival"] - out["alarm"]
    out["rescued"] = out["rescued"].fillna(0.0)
    return out.reset_index()


def isolation_hours(events: pd.DataFrame, horizon_min: float) -> tuple[float, int, int]:
    """Total town-hours isolated, towns ever isolated, most towns isolated at once."""
    iso = events[events.event.isin(["isolated", "reconnected"])]
    total, ever, worst, current = 0.0, set(), 0, {}
    for t, ev, town in zip(iso.t, iso.event, iso.entity, strict=True):
        if ev == "isolated":
            current[town] = t
            ever.add(town)
            worst = max(worst, len(current))
        else:
            total += t - current.pop(town)
    total += sum(horizon_min - t for t in current.values())
    return total / 60.0, len(ever), worst


def team_utilisation(events: pd.DataFrame, n_teams: int, horizon_min: float) -> float:
    """Share of team-time spent on tasks (dispatch to free)."""
    if n_teams == 0:
        return float("nan")
    d = events[events.event == "dispatch"].groupby("entity").t.apply(list)
    f = events[events.event == "free"].groupby("entity").t.apply(list)
    busy = 0.0
    for team, starts in d.items():
        ends = f.get(team, [])
        for i, s in enumerate(starts):
            busy += (ends[i] if i < len(ends) else horizon_min) - s
    return busy / (n_teams * horizon_min)


def response_kpis(
    inc: pd.DataFrame, window_min: dict[str, float], standard_min: float
) -> dict[str, float]:
    """Response-time measures over an incident table (see :func:`incident_table`)."""
    reached = inc["first_arrival"].notna()
    rt = inc.loc[reached, "response_min"].to_numpy()
    win = inc["incident"].map(window_min).to_numpy(dtype=float)
    in_window = reached.to_numpy() & (inc["response_min"].to_numpy() <= win)
    n = len(inc)
    nan = float("nan")
    return {
        "incidents": float(n),
        "incidents_reached": float(reached.sum()),
        "response_mean_min": float(rt.mean()) if rt.size else nan,
        "response_p50_min": float(np.median(rt)) if rt.size else nan,
        "response_p90_min": float(np.percentile(rt, 90)) if rt.size else nan,
        "share_within_standard": float((rt <= standard_min).sum() / n) if n else nan,
        "incidents_not_reached_in_window": float(n - in_window.sum()),
        "people_involved": float(inc["people"].sum()),
        "people_rescued": float(inc["rescued"].sum()),
    }


def replication_kpis(rep: Replication) -> dict[str, float]:
    """All KPIs of one replication (one row of kpis.csv): common ones, then each module's."""
    from sim.modules import RESPONSE_MODULES

    ev = rep.events()
    iso_h, iso_ever, iso_max = isolation_hours(ev, rep.horizon_min)
    warn = ev[(ev.event == "warning") & (ev.ref == SEVERE_CONVECTION)]
    out = {
        "warning_lead_min": float(warn.qty.min()) if len(warn) else float("nan"),
        "roads_closed": float((ev.event == "road_close").sum()),
        "towns_isolated_ever": float(iso_ever),
        "towns_isolated_max": float(iso_max),
        "town_isolation_hours": iso_h,
    }
    for module in RESPONSE_MODULES:
        out.update(module.kpis(rep, ev))
    return out
