"""Forest-fire response module: initial attack, escape, mop-up (see docs/fire_model.md).

The module functions of the ResponseModule protocol; the processes are in ``service``, the
containment model in ``containment``, measures in ``metrics`` and figures in ``figures``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.config import Config
from sim.core.kpi import KpiSpec, share
from sim.core.module import MapLayer
from sim.core.places import expand_homes
from sim.core.world import World
from sim.fire.metrics import fire_kpis, fire_table
from sim.fire.service import FireService

if TYPE_CHECKING:
    import pandas as pd

    from sim.core.network import RoadNetwork
    from sim.core.replication import Replication
    from sim.core.roads import RoadState


def fire_years(cfg: Config) -> int:
    """Fire years in one replication: the season's ``years``; 1 for an extreme day."""
    sc = cfg.scenario.fire
    return sc.years if sc is not None and sc.mode == "season" else 1


# ----------------------------------------------------------------------------- module API
# Every KPI ``kpis`` can return (ResponseModule.KPI_NAMES; targets are checked against it).
KPI_NAMES = (
    "fires",
    "fires_out_24h",
    "fires_out_24h_share",
    "fires_contained_ia_share",
    "fires_escaped",
    "fires_not_out_at_end",
    "fire_first_arrival_mean_min",
    "fire_teams_committed_max",
    "burned_area_ha",
    "burned_share_permille",
    "damaged_area_ha",
    "damaged_share_permille",
    "fires_contained_ia",
    "fires_per_year",
    "fires_with_aviation",
)


def produces(cfg: Config) -> frozenset[str]:
    """Every fire KPI where the scenario has forest fires and the layout fire forces; none
    otherwise (as ``kpis``)."""
    if cfg.layout.fire is None or cfg.scenario.fire is None:
        return frozenset()
    return frozenset(KPI_NAMES)


def attach(world: World, cfg: Config, roads: RoadState) -> FireService | None:
    """Start the fire service if the layout has forest-fire forces."""
    if cfg.layout.fire is None:
        return None
    return FireService(world, cfg.layout.fire, cfg.scenario.fire)


def check_nodes(cfg: Config, net) -> None:
    """Team homes and watched zones named in ``layout.fire`` exist in the network."""
    if cfg.layout.fire is None:
        return
    for key, team in cfg.layout.fire.teams.items():
        expand_homes(net, f"layout.fire.teams.{key}", team.home, 1)
    for i, z in enumerate(cfg.layout.fire.detection.camera_zones):
        net.idx(z, f"layout.fire.detection.camera_zones[{i}]")
    if cfg.layout.fire.aviation is not None:
        net.idx(cfg.layout.fire.aviation.base, "layout.fire.aviation.base")


def kpis(rep: Replication, events: pd.DataFrame) -> dict[str, float]:
    """Forest-fire measures of one replication (the plans' 24 h out rate and burned share).

    Nothing when the scenario has no forest fires: a storm says nothing about fire targets.
    """
    if rep.cfg.layout.fire is None or rep.cfg.scenario.fire is None:
        return {}
    sc = rep.cfg.scenario.fire
    return fire_kpis(
        events,
        rep.cfg.district.forest_area_ha,
        sc.damaged_per_burned,
        fire_years(rep.cfg),
        yearly=sc.mode != "extreme_day",
    )


def tables(rep: Replication, events: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``fires.csv``: one row per fire and replication."""
    if rep.cfg.layout.fire is None or rep.cfg.scenario.fire is None:
        return {}
    return {"fires": fire_table(events, rep.cfg.scenario.fire.damaged_per_burned)}


def write_figures(tables: dict[str, pd.DataFrame], conf: Config, outdir) -> None:
    """``fire_time_to_out.png`` (ECDF over every replication, the 24 h limit and the target
    share of ``district.targets``) and ``fire_burned_area.png`` by zone."""
    if "fires" not in tables or tables["fires"].empty:
        return
    from sim.fire.figures import fire_burned_by_zone, fire_time_to_out

    fire_time_to_out(tables["fires"], conf, outdir / "fire_time_to_out.png")
    fire_burned_by_zone(tables["fires"], conf, outdir / "fire_burned_area.png")


def map_layers(cfg: Config, net: RoadNetwork, tables: dict[str, pd.DataFrame]) -> list[MapLayer]:
    """Nothing beyond the network's own node kinds (depots, forest zones) is drawn."""
    return []


def kpi_specs() -> dict[str, KpiSpec]:
    """The 24 h out share is pooled over fires; burned and damaged area are skewed (BCa
    bootstrap from 20 replications, t below); the 受害率 target reads the damaged share."""
    reads = ("layout.fire", "scenario.fire", "district.forest_area_ha")
    # with no fire in any replication these read 0 by the ignition rate, not by the response
    skewed = KpiSpec(interval="bootstrap", reads=reads, events="fires")
    permille = KpiSpec(
        upper=1000.0, interval="bootstrap", reads=reads, unit="permille", events="fires"
    )
    return {
        "fires_out_24h_share": share(("fires_out_24h", "fires"), reads=reads),
        "fires_contained_ia_share": share(("fires_contained_ia", "fires"), reads=reads),
        "burned_area_ha": skewed,
        "damaged_area_ha": skewed,
        "burned_share_permille": permille,
        "damaged_share_permille": permille,
        "fire_first_arrival_mean_min": KpiSpec(reads=reads, events="fires"),
    }


def deciding_inputs(metric: str, cfg: Config) -> list[str]:
    """No fire metric is decided by its inputs alone (see ResponseModule)."""
    return []


def contributors(metric: str, tables: dict[str, pd.DataFrame]) -> list[str]:
    """What drives a failed fire target: the zones with the fires that burn or last longest."""
    fires = tables.get("fires")
    area = "damaged_ha" if "damaged" in metric else "area_ha"
    if (
        fires is None
        or fires.empty
        or not (metric.startswith("fire") or "_share_permille" in metric or "area_ha" in metric)
    ):
        return []
    reps = max(int(fires["rep"].nunique()), 1)
    if "burned" in metric or "damaged" in metric:
        word = "damaged" if area == "damaged_ha" else "burned"
        by = fires.groupby("zone")[area].sum().sort_values(ascending=False) / reps
        return [f"{z}: {a:,.1f} ha {word} a replication" for z, a in by.head(3).items() if a > 0]
    late = fires[~(fires["time_to_out_h"] <= 24.0)]
    by = late.groupby("zone").size().sort_values(ascending=False) / reps
    return [f"{z}: {n:.2f} fires a replication not out within 24 h" for z, n in by.head(3).items()]
