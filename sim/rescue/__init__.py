"""Rescue response module: teams, dispatch, access, mutual aid, road repair.

The module functions of the ResponseModule protocol; the processes are in ``service``,
teams in ``teams``, measures in ``metrics`` and figures in ``figures`` (docs/rescue_model.md).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from sim.config import Config
from sim.core.kpi import KpiSpec, share
from sim.core.module import MapLayer
from sim.core.places import expand_homes
from sim.core.world import World
from sim.rescue.access import Router
from sim.rescue.service import RescueService
from sim.rescue.teams import build_teams

if TYPE_CHECKING:
    import pandas as pd

    from sim.core.network import RoadNetwork
    from sim.core.replication import Replication
    from sim.core.roads import RoadState


# Every KPI ``kpis`` can return (ResponseModule.KPI_NAMES; targets are checked against it).
KPI_NAMES = (
    "aid_dispatches",
    "aid_requests",
    "aid_teams_activated",
    "deaths",
    "first_aid_request_h",
    "incidents",
    "incidents_escalated",
    "incidents_multi_team",
    "incidents_not_reached_in_window",
    "incidents_reached",
    "incidents_within_standard",
    "people_in_progress",
    "people_involved",
    "people_not_reached",
    "people_reached_in_window",
    "people_recovered_late",
    "people_rescued",
    "people_rescued_by_air",
    "people_rescued_by_foot",
    "people_rescued_by_on_site",
    "people_rescued_by_road",
    "people_rescued_by_water",
    "repair_wait_mean_h",
    "reroutes",
    "response_mean_min",
    "response_p50_min",
    "response_p90_min",
    "roads_repaired",
    "roads_to_repair",
    "share_first_on_scene_aid",
    "share_within_standard",
    "team_utilisation",
    "teams_relieved",
    "trips_air",
    "trips_foot",
    "trips_water",
)


def check_nodes(cfg: Config, net: RoadNetwork) -> None:
    """Every node the rescue layout names exists in the network (NetworkError if not)."""
    lay = cfg.layout
    for key, team in lay.teams.items():
        expand_homes(net, f"layout.teams.{key}", team.home, 1)
    for i, w in enumerate(lay.rescue.access.water_nodes):
        net.idx(w, f"layout.rescue.access.water_nodes[{i}]")
    if lay.mutual_aid is not None:
        for key, c in lay.mutual_aid.centres.items():
            net.idx(c.node, f"layout.mutual_aid.centres.{key}.node")
    if lay.repair is not None:
        for key, c in lay.repair.crews.items():
            net.idx(c.home, f"layout.repair.crews.{key}.home")


def attach(world: World, cfg: Config, roads: RoadState) -> RescueService:
    """Build the layout's teams, mutual aid and repair crews, and start receiving incidents."""
    from sim.rescue.mutual_aid import MutualAid, build_aid_teams
    from sim.rescue.repair import RepairService

    lay = cfg.layout
    router = Router(world, lay.rescue.access)
    router.start_hour = cfg.scenario.start_hour
    sc = cfg.scenario
    for s in (sc.storm, sc.cascade.storm if sc.cascade is not None else None):
        if s is not None:
            t0 = s.impact_start_h * 60.0
            router.no_fly.append((t0, t0 + s.duration_h * 60.0))
    teams = build_teams(lay, world)
    aid_groups = build_aid_teams(lay.mutual_aid, world, len(teams)) if lay.mutual_aid else []
    for _, _, group in aid_groups:
        teams.extend(group)
    service = RescueService(world, teams, lay.rescue, router, cfg.scenario.start_hour)
    roads.listeners.append(service.on_network_change)
    router.listeners.append(service.on_network_change)
    if lay.mutual_aid is not None:
        MutualAid(world, lay.mutual_aid, service, aid_groups)
    if lay.repair is not None and lay.repair.crews:
        RepairService(world, lay.repair, roads, router)
    return service


def kpis(rep: Replication, events: pd.DataFrame) -> dict[str, float]:
    """Rescue measures of one replication (see docs/rescue_model.md, 'Outputs')."""
    from sim.rescue.metrics import rescue_kpis

    return rescue_kpis(rep, events)


def produces(cfg: Config) -> frozenset[str]:
    """Every rescue KPI, always (an incident-free replication gives zeros and NaN)."""
    return frozenset(KPI_NAMES)


def tables(rep: Replication, events: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """incidents.csv, rescue_teams.csv, rescue_by_town.csv, rescue_by_tier.csv."""
    from sim.rescue.metrics import rescue_tables

    return rescue_tables(rep, events)


def write_figures(tables: dict[str, pd.DataFrame], conf: Config, outdir) -> None:
    """response_time_cdf.png (all and by first tier on scene), incident_map.png."""
    from sim.rescue.figures import incident_map, response_cdf_by_tier

    if "incidents" in tables and len(tables["incidents"]):
        response_cdf_by_tier(tables["incidents"], conf, outdir / "response_time_cdf.png")
        incident_map(tables, conf, outdir / "incident_map.png")


def map_layers(cfg: Config, net: RoadNetwork, tables: dict[str, pd.DataFrame]) -> list[MapLayer]:
    """Team bases of the layout, sized by the number of teams based there."""
    homes = Counter(
        h
        for key, tc in cfg.layout.teams.items()
        for h in expand_homes(net, f"layout.teams.{key}", tc.home, tc.count)
    )
    idx = list(homes)
    return [
        MapLayer("team bases (size = teams)", idx, [20 + 15 * homes[i] for i in idx], "o", "black")
    ]


def kpi_specs() -> dict[str, KpiSpec]:
    """Response times are simulated; the within-standard share is pooled over incidents."""
    reads = ("layout.teams", "layout.rescue", "layout.mutual_aid", "layout.repair", "scenario")
    spec = KpiSpec(reads=reads)
    out = {k: spec for k in ("response_mean_min", "response_p50_min", "response_p90_min")}
    out["share_within_standard"] = share(("incidents_within_standard", "incidents"), reads=reads)
    out["people_not_reached"] = spec
    out["incidents_not_reached_in_window"] = spec
    return out


def deciding_inputs(metric: str, cfg: Config) -> list[str]:
    """No rescue metric is decided by its inputs alone (see ResponseModule)."""
    return []


def contributors(metric: str, tables: dict[str, pd.DataFrame]) -> list[str]:
    """What drives a failed rescue target: the towns with the slowest response."""
    by_town = tables.get("rescue_by_town")
    if by_town is None or by_town.empty or metric not in kpi_specs():
        return []
    late = by_town["incidents"] * (1 - by_town["share_within_standard"].fillna(0))
    worst = late.groupby(by_town["town"]).sum().sort_values(ascending=False) / max(
        int(by_town["rep"].nunique()), 1
    )
    return [
        f"{t}: {n:.2f} incidents a replication not reached within the standard"
        for t, n in worst.head(3).items()
        if n > 0
    ]
