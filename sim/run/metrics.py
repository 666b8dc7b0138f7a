"""Metrics computed after a run from the event log (pandas is fine here, not in the loop)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.core.eventlog import alarms, arrays_of, arrays_of_kinds, rows_of
from sim.core.events import SEVERE_CONVECTION
from sim.core.kpi import INPUT, KpiSpec
from sim.modules import RESPONSE_MODULES

if TYPE_CHECKING:
    from sim.core.replication import Replication


def incident_table(events: pd.DataFrame) -> pd.DataFrame:
    """One row per alarmed incident: alarm time, node, people, first arrival, resolution."""
    inc = alarms(events)
    arr = (
        rows_of(events, "arrive")
        .groupby("ref")
        .agg(first_arrival=("t", "min"), first_tier=("info", "first"))
    )
    res = (
        rows_of(events, "resolved")
        .groupby("entity")
        .agg(resolved=("t", "max"), rescued=("qty", "max"))
    )
    out = inc.set_index("incident").join(arr).join(res)
    out["response_min"] = out["first_arrival"] - out["alarm"]
    out["rescued"] = out["rescued"].fillna(0.0)
    return out.reset_index()


def isolation_hours(events: pd.DataFrame, horizon_min: float) -> tuple[float, int, int]:
    """Total town-hours isolated, towns ever isolated, most towns isolated at once."""
    iso = arrays_of_kinds(events, ("isolated", "reconnected"))  # in log order
    total, ever, worst, current = 0.0, set(), 0, {}
    for t, ev, town in zip(iso.t.tolist(), iso.event, iso.entity, strict=True):
        if ev == "isolated":
            current[town] = t
            ever.add(town)
            worst = max(worst, len(current))
        else:
            total += t - current.pop(town)
    total += sum(horizon_min - t for t in current.values())
    return total / 60.0, len(ever), worst


COMMON_SPECS = {
    # the configured lead of the severe-convection warning (scenario input, never a verdict):
    # the storm's one setting it echoes (scenarios/storm.py), not every scenario assumption
    "warning_lead_min": KpiSpec(provenance=INPUT, reads=("scenario.storm.warning_lead_min",)),
    "towns_isolated_ever": KpiSpec(reads=("scenario", "layout.repair")),
    "towns_isolated_max": KpiSpec(reads=("scenario", "layout.repair")),
    "town_isolation_hours": KpiSpec(interval="bootstrap", reads=("scenario", "layout.repair")),
}


def kpi_specs() -> dict[str, KpiSpec]:
    """How every KPI is estimated: the common ones, then each response module's."""
    out = dict(COMMON_SPECS)
    for module in RESPONSE_MODULES:
        out.update(module.kpi_specs())
    return out


# The KPIs computed here for every replication (each module declares its own in KPI_NAMES).
RUN_KPI_NAMES = (
    "warning_lead_min",
    "roads_closed",
    "towns_isolated_ever",
    "towns_isolated_max",
    "town_isolation_hours",
)


def replication_kpis(rep: Replication) -> dict[str, float]:
    """All KPIs of one replication (one row of kpis.csv): common ones, then each module's."""
    ev = rep.events()
    iso_h, iso_ever, iso_max = isolation_hours(ev, rep.horizon_min)
    warnings = arrays_of(ev, "warning")
    lead = warnings.qty[warnings.ref == SEVERE_CONVECTION]
    lead = lead[~np.isnan(lead)]  # (pandas' min skips a missing lead)
    out = {
        "warning_lead_min": float(lead.min()) if len(lead) else float("nan"),
        "roads_closed": float(len(arrays_of(ev, "road_close"))),
        "towns_isolated_ever": float(iso_ever),
        "towns_isolated_max": float(iso_max),
        "town_isolation_hours": iso_h,
    }
    for module in RESPONSE_MODULES:
        out.update(module.kpis(rep, ev))
    return out
