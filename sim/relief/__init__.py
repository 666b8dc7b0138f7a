"""Relief logistics module: depots, stock by item, fleets, call-offs, the 24 h needs target.

The module functions of the ResponseModule protocol; the processes are in ``service``
(docs/relief_model.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.config import Config
from sim.core.kpi import COMPUTED, KpiSpec, share
from sim.core.module import MapLayer
from sim.core.places import place_names
from sim.core.world import World
from sim.relief.metrics import KPI_NAMES as KPI_NAMES  # ResponseModule.KPI_NAMES, one home
from sim.relief.service import ReliefService
from sim.relief.service import check_nodes as check_nodes  # module function, re-exported

if TYPE_CHECKING:
    import pandas as pd

    from sim.core.network import RoadNetwork
    from sim.core.replication import Replication
    from sim.core.roads import RoadState


def attach(world: World, cfg: Config, roads: RoadState) -> ReliefService | None:
    """Build depots, stock and fleets and start listening for sheltered people."""
    if cfg.layout.relief is None:
        return None
    service = ReliefService(world, cfg)
    roads.listeners.append(service.on_network_change)
    return service


def kpis(rep: Replication, events: pd.DataFrame) -> dict[str, float]:
    """Relief measures of one replication (see docs/relief_model.md)."""
    from sim.relief.metrics import relief_kpis

    return relief_kpis(rep.cfg, events, rep.horizon_min)


def produces(cfg: Config) -> frozenset[str]:
    """Every relief KPI, always (NaN where the layout has no relief section or nobody was
    sheltered)."""
    return frozenset(KPI_NAMES)


def tables(rep: Replication, events: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``relief_groups``, ``relief_delivery_towns`` (by shelter node: served in time, unserved,
    trips and kg by mode), ``relief_shelters``, ``relief_towns`` (by town of origin),
    ``relief_stockouts``, ``relief_vehicles``, ``relief_calloffs``, ``relief_stock_coverage``
    (CSV files, all replications)."""
    from sim.relief.metrics import relief_tables, stock_coverage

    rc = rep.cfg.layout.relief
    if rc is None:
        return {}
    kg = {k: v.unit_kg for k, v in rc.kit.items()}
    out = relief_tables(events, rc.target_h, rep.horizon_min, kg)
    out["relief_stock_coverage"] = stock_coverage(rep.cfg, events)
    net = rep.world.net
    out["relief_delivery_towns"] = net.with_names_zh(out["relief_delivery_towns"], "node")
    out["relief_towns"] = net.with_names_zh(out["relief_towns"], "origin")
    return out


def write_figures(tables: dict[str, pd.DataFrame], conf: Config, outdir) -> None:
    """``relief_needs_met.png`` (people sheltered and with needs met vs time) and
    ``relief_by_mode.png`` (tonnes delivered to each shelter town by road, water and air)."""
    from sim.relief.figures import delivery_modes_figure, needs_met_figure

    groups = tables.get("relief_groups")
    if groups is not None and len(groups):
        needs_met_figure(groups, conf, outdir / "relief_needs_met.png")
    towns = tables.get("relief_delivery_towns")
    if towns is not None and len(towns):
        delivery_modes_figure(towns, conf, outdir / "relief_by_mode.png")


def map_layers(cfg: Config, net: RoadNetwork, tables: dict[str, pd.DataFrame]) -> list[MapLayer]:
    """Nothing beyond the network's own node kinds (depots, forest zones) is drawn."""
    return []


def kpi_specs() -> dict[str, KpiSpec]:
    """Needs met is pooled over sheltered people; stock coverage is arithmetic on the layout."""
    reads = ("layout.relief", "layout.depots", "layout.evacuation", "layout.shelters", "scenario")
    stock = KpiSpec(provenance=COMPUTED, reads=("layout.relief.kit", "layout.depots"))
    return {
        "needs_met_24h_share": share(("people_needs_met_24h", "people_judged_24h"), reads=reads),
        # (the people judged are sheltered evacuees: never more than the zone's people at risk)
        "people_needs_met_24h": KpiSpec(reads=reads, upper_kpi="evac_people_at_risk"),
        "people_judged_24h": KpiSpec(reads=reads, upper_kpi="evac_people_at_risk"),
        "needs_met_mean_h": KpiSpec(interval="bootstrap", reads=reads),
        "relief_stock_people": stock,
        "relief_stock_min_town_people": stock,
    }


def deciding_inputs(metric: str, cfg: Config) -> list[str]:
    """The stock of the depots a stock measure sums (district level; or the storage points
    in the remote towns) and the per-person need of each reserve item it divides by: the
    measure is arithmetic on both (people covered = min over items of stock / per person)."""
    from sim.relief.stock import LOCAL_LEVELS

    rc = cfg.layout.relief
    if rc is None:
        return []
    if metric == "relief_stock_people":
        levels, nodes = ("district",), None
    elif metric == "relief_stock_min_town_people":
        levels, nodes = LOCAL_LEVELS, set(rc.remote_towns)
    else:
        return []
    stock = [
        f"layout.depots.{key}.stock"
        for key, d in cfg.layout.depots.items()
        if d.level in levels and (nodes is None or (d.town or d.node) in nodes)
    ]
    kit = [f"layout.relief.kit.{item}.per_person" for item, k in rc.kit.items() if k.reserve]
    return stock + kit


def contributors(metric: str, tables: dict[str, pd.DataFrame]) -> list[str]:
    """What drives a failed relief target: the limiting stock item, the towns left unmet."""
    if metric in ("relief_stock_people",) and "relief_stock_coverage" in tables:
        cov = tables["relief_stock_coverage"]
        cov = cov[(cov["rep"] == cov["rep"].min()) & cov["counted"]]
        return [
            f"{r.item} covers {r.people_covered:,.0f} people ({r.stock:,.0f} in district stock, "
            f"{r.per_person:g} per person)"
            for r in cov.head(2).itertuples()
        ]
    if metric.startswith("needs_met") and "relief_towns" in tables:
        t = tables["relief_towns"]
        unmet = (t["judged_people"] - t["people_met_in_target"]).groupby(t["origin"]).sum()
        reps = max(int(t["rep"].nunique()), 1)
        worst = unmet[unmet > 0].sort_values(ascending=False).head(3)
        name = place_names(t, "origin")
        return [
            f"{name.get(town, town)}: {n / reps:,.0f} people a replication not served in time"
            for town, n in worst.items()
        ]
    return []
