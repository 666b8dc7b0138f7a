"""The post-processing of a replication as it was before it was made cheaper (commit a35ca13):
the reference tests/test_postprocess.py checks the new code against, bit for bit.

``relief``, ``rescue``, ``evacuation`` and ``fire`` are the modules' ``metrics.py`` of that
commit, verbatim. Below: the modules' ``kpis``/``tables`` entry points (their
``__init__.py``, unchanged since, calling those metrics), the common KPIs of
``sim/run/metrics.py`` and the table glue of ``sim.run.experiment.run_one``, verbatim but for
the names. They read the log through ``sim.core.eventlog``'s ``rows_of``, ``derived``,
``alarms``, ``incident_windows`` and ``first_arrivals``, whose answers did not change
(tests/test_eventlog.py).
"""

from __future__ import annotations

import pandas as pd

from sim.core.eventlog import rows_of
from sim.core.events import SEVERE_CONVECTION, EvacuationOrder
from tests.reference_postprocess import evacuation, fire, relief, rescue


# ------------------------------------------------------------------ the modules' entry points
def rescue_kpis(rep, events: pd.DataFrame) -> dict[str, float]:
    return rescue.rescue_kpis(rep, events)


def rescue_tables(rep, events: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return rescue.rescue_tables(rep, events)


def fire_kpis(rep, events: pd.DataFrame) -> dict[str, float]:
    from sim.fire import fire_years

    if rep.cfg.layout.fire is None or rep.cfg.scenario.fire is None:
        return {}
    sc = rep.cfg.scenario.fire
    return fire.fire_kpis(
        events,
        rep.cfg.district.forest_area_ha,
        sc.damaged_per_burned,
        fire_years(rep.cfg),
        yearly=sc.mode != "extreme_day",
    )


def fire_tables(rep, events: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if rep.cfg.layout.fire is None or rep.cfg.scenario.fire is None:
        return {}
    return {"fires": fire.fire_table(events, rep.cfg.scenario.fire.damaged_per_burned)}


def evacuation_kpis(rep, events: pd.DataFrame) -> dict[str, float]:
    out = evacuation.warning_kpis(events)
    orders = rep.timeline.of_type(EvacuationOrder)
    if orders:
        net = rep.world.net
        population = float(net.graph.graph.get("population_total", 0) or net.population.sum())
        out.update(evacuation.evacuation_kpis(events, orders, rep.horizon_min, population))
    return out


def evacuation_tables(rep, events: pd.DataFrame) -> dict[str, pd.DataFrame]:
    out: dict[str, pd.DataFrame] = {}
    net = rep.world.net
    towns = evacuation.warning_towns(events)
    if len(towns):
        out["warning_towns"] = net.with_names_zh(towns, "town")
    orders = rep.timeline.of_type(EvacuationOrder)
    if orders:
        out.update(evacuation.evacuation_tables(events, orders, rep.horizon_min))
        out["evac_towns"] = net.with_names_zh(out["evac_towns"], "town")
    return out


def relief_kpis(rep, events: pd.DataFrame) -> dict[str, float]:
    return relief.relief_kpis(rep.cfg, events, rep.horizon_min)


def relief_tables(rep, events: pd.DataFrame) -> dict[str, pd.DataFrame]:
    rc = rep.cfg.layout.relief
    if rc is None:
        return {}
    kg = {k: v.unit_kg for k, v in rc.kit.items()}
    out = relief.relief_tables(events, rc.target_h, rep.horizon_min, kg)
    out["relief_stock_coverage"] = relief.stock_coverage(rep.cfg, events)
    net = rep.world.net
    out["relief_delivery_towns"] = net.with_names_zh(out["relief_delivery_towns"], "node")
    out["relief_towns"] = net.with_names_zh(out["relief_towns"], "origin")
    return out


# (name, kpis, tables) in the order of sim.modules.RESPONSE_MODULES
MODULES = [
    ("rescue", rescue_kpis, rescue_tables),
    ("fire", fire_kpis, fire_tables),
    ("evacuation", evacuation_kpis, evacuation_tables),
    ("relief", relief_kpis, relief_tables),
]


# -------------------------------------------------------------------------- run-level code
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


def common_kpis(ev: pd.DataFrame, horizon_min: float) -> dict[str, float]:
    """The KPIs of every run (the first part of replication_kpis)."""
    iso_h, iso_ever, iso_max = isolation_hours(ev, horizon_min)
    warn = ev[(ev.event == "warning") & (ev.ref == SEVERE_CONVECTION)]
    return {
        "warning_lead_min": float(warn.qty.min()) if len(warn) else float("nan"),
        "roads_closed": float(len(rows_of(ev, "road_close"))),
        "towns_isolated_ever": float(iso_ever),
        "towns_isolated_max": float(iso_max),
        "town_isolation_hours": iso_h,
    }


def replication_kpis(rep, ev: pd.DataFrame) -> dict[str, float]:
    """All KPIs of one replication: common ones, then each module's."""
    out = common_kpis(ev, rep.horizon_min)
    for _, kpis, _ in MODULES:
        out.update(kpis(rep, ev))
    return out


def run_one_tables(rep, ev: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The tables of run_one: road closures, then each module's, each with its rep column."""
    closures = rows_of(ev, "road_close")[["t", "entity", "node", "ref"]]
    closures = closures.rename(columns={"t": "t_min"})
    tables = {"road_closures": closures.assign(rep=rep.rep)[["rep", *closures.columns]]}
    for _, _, module_tables in MODULES:
        for name, table in module_tables(rep, ev).items():
            tables[name] = table.assign(rep=rep.rep)[["rep", *table.columns]]
    return tables
