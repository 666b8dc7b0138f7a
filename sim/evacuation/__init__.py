"""Evacuation and sheltering module: warning, households, link queues, typed shelters.

The module functions of the ResponseModule protocol; the processes are in ``service``
(docs/evacuation_model.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.config import Config, road_ends
from sim.core.errors import NetworkError
from sim.core.events import EvacuationOrder
from sim.core.kpi import KpiSpec, share
from sim.core.module import MapLayer
from sim.core.places import place_names, settled_towns
from sim.core.world import World
from sim.evacuation.service import EvacuationService

if TYPE_CHECKING:
    import pandas as pd

    from sim.core.network import RoadNetwork
    from sim.core.replication import Replication
    from sim.core.roads import RoadState


# Every KPI ``kpis`` can return (ResponseModule.KPI_NAMES; targets are checked against it).
KPI_NAMES = (
    "evac_casualty_incidents",
    "evac_caught_at_home",
    "evac_caught_awaiting_rescue",
    "evac_caught_followed",
    "evac_caught_not_reached_in_time",
    "evac_caught_on_road",
    "evac_caught_on_road_assisted",
    "evac_caught_on_road_by_bus",
    "evac_caught_on_road_by_car",
    "evac_caught_on_road_in_transfer",
    "evac_caught_people",
    "evac_caught_rescued",
    "evac_caught_setting_out",
    "evac_complied_people",
    "evac_deaths",
    "evac_deaths_per_million",
    "evac_evacuees_not_sheltered",
    "evac_in_shelter_max",
    "evac_max_link_delay_min",
    "evac_mean_time_to_shelter_h",
    "evac_never_sheltered",
    "evac_out_before_impact_people",
    "evac_out_before_impact_share",
    "evac_peak_occupancy_share",
    "evac_people_at_risk",
    "evac_plan_people",
    "evac_refused",
    "evac_shelter_clearance_h",
    "evac_sheltered_by_impact",
    "evac_sheltered_people",
    "evac_sheltered_share",
    "evac_shelters_full",
    "evac_time_to_90pct_sheltered_censored_h",
    "evac_time_to_90pct_sheltered_h",
    "evac_time_to_plan_people_censored_h",
    "evac_time_to_plan_people_h",
    "evac_turned_away_people",
    "evac_unsheltered_person_h",
    "evac_warned_people",
    "evac_warned_share",
    "evac_zone_clearance_h",
    "warning_people",
    "warning_reached_in_time",
    "warning_reached_in_time_share",
)


def check_nodes(cfg: Config, net) -> None:
    """Every node named by the shelters, the evacuation fleet and the evacuation zone exists
    (raises :class:`NetworkError` naming the field); for ``sim.run.app.check_nodes``."""
    for key, g in cfg.layout.shelters.items():
        if g.home == "each_town" and not g.nodes:
            settled_towns(net, f"layout.shelters.{key}.home")
        elif not g.nodes:
            net.idx(g.home, f"layout.shelters.{key}.home")
        for i, n in enumerate(g.nodes):
            net.idx(n, f"layout.shelters.{key}.nodes[{i}]")
    for key, v in cfg.layout.evacuation.fleet.items():
        if v.home == "each_town":
            settled_towns(net, f"layout.evacuation.fleet.{key}.home")
        else:
            net.idx(v.home, f"layout.evacuation.fleet.{key}.home")
    sc = cfg.scenario.evacuation
    if sc is not None and (sc.district in sc.zones or len(sc.zones) == 1):
        key = sc.district if sc.district in sc.zones else next(iter(sc.zones))
        zone = sc.zones[key]
        for name in ("nodes", "unsafe_nodes"):
            for i, n in enumerate(getattr(zone, name)):
                net.idx(n, f"scenario.evacuation.zones.{key}.{name}[{i}]")
        for i, r in enumerate(zone.keep_open):
            f = f"scenario.evacuation.zones.{key}.keep_open[{i}]"
            net.edge_id(*road_ends(r, f), f)
        pop = [float(net.population[net.index[n]]) * zone.weights.get(n, 1.0) for n in zone.nodes]
        if zone.people > 0 and sum(pop) <= 0:
            raise NetworkError(
                f"scenario.evacuation.zones.{key}.nodes: the zone's towns have no residents "
                "(population x weight is 0 everywhere), so nobody can be put at risk"
            )


def attach(world: World, cfg: Config, roads: RoadState) -> EvacuationService:
    """Build the layout's shelters and evacuation fleet and start listening for orders."""
    service = EvacuationService(world, cfg)
    roads.listeners.append(service.on_network_change)
    return service


# The scenario sections whose hazards issue public warnings (scenarios/storm.py, flood.py,
# landslide.py, evacuation.py; a cascade's storm, flood and landslide).
WARNING_SECTIONS = ("storm", "flood", "landslide", "cascade", "evacuation")


def produces(cfg: Config) -> frozenset[str]:
    """The evacuation KPIs where the scenario orders an evacuation (its ``evacuation``
    section: exactly these), and the warning KPIs where a hazard that warns is configured and
    the layout has warning channels (where a warning went out before the run's end)."""
    from sim.evacuation.metrics import WARNING_KPI_NAMES

    out = set()
    if cfg.scenario.evacuation is not None:
        out.update(k for k in KPI_NAMES if k not in WARNING_KPI_NAMES)
    warns = any(getattr(cfg.scenario, s, None) is not None for s in WARNING_SECTIONS)
    if warns and cfg.layout.evacuation.channels:
        out.update(WARNING_KPI_NAMES)
    return frozenset(out)


def kpis(rep: Replication, events: pd.DataFrame) -> dict[str, float]:
    """Warning reach, and evacuation measures when the scenario orders an evacuation."""
    from sim.evacuation.metrics import evacuation_kpis, warning_kpis

    out = warning_kpis(events)
    orders = rep.timeline.of_type(EvacuationOrder)
    if orders:
        net = rep.world.net
        population = float(net.graph.graph.get("population_total", 0) or net.population.sum())
        out.update(evacuation_kpis(events, orders, rep.horizon_min, population))
    return out


def tables(rep: Replication, events: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``warning_towns``; with an evacuation order also ``evac_curve``, ``evac_shelters``,
    ``evac_shelter_nodes``, ``evac_links``, ``evac_towns``, ``evac_casualties`` (one row per
    incident handed to rescue for caught people)."""
    from sim.evacuation.metrics import evacuation_tables, warning_towns

    out: dict[str, pd.DataFrame] = {}
    net = rep.world.net
    towns = warning_towns(events)
    if len(towns):
        out["warning_towns"] = net.with_names_zh(towns, "town")
    orders = rep.timeline.of_type(EvacuationOrder)
    if orders:
        out.update(evacuation_tables(events, orders, rep.horizon_min))
        out["evac_towns"] = net.with_names_zh(out["evac_towns"], "town")
    return out


def write_figures(tables: dict[str, pd.DataFrame], conf: Config, outdir) -> None:
    """``evacuation_curve.png`` and ``shelter_occupancy.png``."""
    from sim.evacuation.figures import evacuation_figures

    if "evac_curve" in tables:
        evacuation_figures(tables, conf, outdir)


def map_layers(cfg: Config, net: RoadNetwork, tables: dict[str, pd.DataFrame]) -> list[MapLayer]:
    """Shelter sites of any replication, sized by their places."""
    shelters = tables.get("evac_shelter_nodes")
    if shelters is None or not len(shelters):
        return []
    sites = shelters.groupby("node", as_index=False, sort=True)["capacity"].max()
    sites = sites[sites["node"].isin(net.index)]
    cap = sites["capacity"].to_numpy(dtype=float)
    sizes = 15 + 120 * np.sqrt(cap / max(cap.max(), 1.0))
    return [
        MapLayer(
            "shelters (size = places)",
            [net.index[n] for n in sites["node"]],
            [float(s) for s in sizes],
            "h",
            "#2ca02c",
        )
    ]


def kpi_specs() -> dict[str, KpiSpec]:
    """Warning reach and evacuation shares are pooled over people."""
    warn = ("layout.evacuation.channels", "layout.evacuation.household_size", "scenario.storm")
    evac = ("layout.evacuation", "layout.shelters", "scenario")
    risk = KpiSpec(reads=evac, upper_kpi="evac_people_at_risk")  # people of the zone
    return {
        "evac_warned_people": risk,
        "evac_sheltered_people": risk,
        "evac_out_before_impact_people": risk,
        "warning_reached_in_time": KpiSpec(reads=warn, upper_kpi="warning_people"),
        "warning_reached_in_time_share": share(
            ("warning_reached_in_time", "warning_people"), reads=warn
        ),
        "evac_warned_share": share(("evac_warned_people", "evac_people_at_risk"), reads=evac),
        "evac_sheltered_share": share(("evac_sheltered_people", "evac_people_at_risk"), reads=evac),
        "evac_out_before_impact_share": share(
            ("evac_out_before_impact_people", "evac_people_at_risk"), reads=evac
        ),
        "evac_evacuees_not_sheltered": risk,
        "evac_caught_people": risk,
        "evac_deaths": KpiSpec(reads=(*evac, "layout.teams", "layout.rescue")),
        "evac_mean_time_to_shelter_h": KpiSpec(interval="bootstrap", reads=evac),
        # times with runs that never got there (counted at the run's length): skewed, BCa (from 20)
        "evac_time_to_plan_people_h": KpiSpec(
            interval="bootstrap", reads=evac, censored="evac_time_to_plan_people_censored_h"
        ),
        "evac_time_to_90pct_sheltered_h": KpiSpec(
            interval="bootstrap", reads=evac, censored="evac_time_to_90pct_sheltered_censored_h"
        ),
    }


def deciding_inputs(metric: str, cfg: Config) -> list[str]:
    """The warning channels' reach for a warned share: with no channel reaching everyone
    (reach < 1), no run can warn every resident, whatever the timing."""
    ev = cfg.layout.evacuation
    if ev is None or not metric.startswith(("warning_reached", "evac_warned")):
        return []
    return [f"layout.evacuation.channels.{name}.reach" for name in ev.channels]


def contributors(metric: str, tables: dict[str, pd.DataFrame]) -> list[str]:
    """What drives a failed warning or relocation target: the towns that fall short."""
    reps = 1
    if metric.startswith("warning_") and "warning_towns" in tables:
        t = tables["warning_towns"]
        reps = max(int(t["rep"].nunique()), 1)
        short = (t["people"] - t["reached_in_time"]).groupby(t["town"]).sum() / reps
        worst = short[short > 0].sort_values(ascending=False).head(3)
        name = place_names(t, "town")
        return [
            f"{name.get(town, town)}: {n:,.0f} residents a replication not warned before impact"
            for town, n in worst.items()
        ]
    if metric == "evac_evacuees_not_sheltered" and "evac_towns" in tables:
        t = tables["evac_towns"]
        reps = max(int(t["rep"].nunique()), 1)
        by = t.groupby("town")[["complied", "left_home", "sheltered"]].sum() / reps
        short = (by["complied"] - by["sheltered"]).clip(lower=0)
        stayed = (by["complied"] - by["left_home"]).clip(lower=0).clip(upper=short)
        worst = short[short > 0].sort_values(ascending=False).head(3)
        name = place_names(t, "town")
        return [
            f"{name.get(town, town)}: {n:,.1f} people a replication who would leave were in no shelter at the "
            f"horizon ({stayed[town]:,.1f} never left home: not warned in time or caught "
            f"preparing; {n - stayed[town]:,.1f} left home)"
            for town, n in worst.items()
        ]
    if metric.startswith("evac_") and "evac_towns" in tables:
        t = tables["evac_towns"]
        reps = max(int(t["rep"].nunique()), 1)
        cols = [c for c in t.columns if c.startswith("caught")]
        lost = (t["at_risk"] - t["out_before_impact"]).clip(lower=0)
        caught = t[cols].sum(axis=1) if cols else lost
        by = caught.groupby(t["town"]).sum() / reps
        worst = by[by > 0].sort_values(ascending=False).head(3)
        name = place_names(t, "town")
        return [
            f"{name.get(town, town)}: {n:,.1f} people a replication caught by the hazard"
            for town, n in worst.items()
        ]
    return []
