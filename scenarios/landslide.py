"""Rain-triggered landslides at geo-hazard points: blocked roads, buried houses, barrier lakes.

Each district has a number of registered geo-hazard points (Beibei 255, 003 L40; others
configured). In the event each point fails with ``fail_prob``; failures fall uniformly in
the landslide window. A failure is placed at a town with weight proportional to the length
of county and local road touching it (ASSUMPTION: slope cuts along rural roads are where
the points are; the networks carry no point coordinates). A failure

- blocks one of the town's roads (chosen by class exposure) with ``road_block_prob``; the
  debris does not clear by itself (``clear_min = inf``) and needs ``repair_min`` of work by a
  road-repair crew;
- buries a house with ``bury_prob``: a collapse-rescue incident with a short survival window;
- dams a stream with ``barrier_lake_prob`` (the 2020 Fulu 福禄 barrier lake, 000 L24): a
  warning goes out, and after ``lake_fill_h`` the town's other roads go under water for
  ``lake_flood_h`` and people are trapped.

Named precedents (Bishan's 2020 S109 slide and Fulu barrier lake, 000 L24) can be placed
at fixed roads for the district in ``precedents``. Together with the road closures these
isolate towns; the isolation is measured on the response side.
"""

from __future__ import annotations

import numpy as np

from scenarios.hazard_util import IncidentMaker, class_weights, closure, edges_at, group_sizes
from sim.config import LandslideConfig
from sim.core.events import HazardEvent, WarningIssued
from sim.core.network import RoadNetwork

RURAL_ROADS = ("county", "local")


def point_weights(net: RoadNetwork, nodes: list[int]) -> np.ndarray:
    """Relative number of geo-hazard points at each node: km of rural road touching it + 1."""
    w = np.ones(len(nodes))
    for k, i in enumerate(nodes):
        for e in edges_at(net, i):
            if net.edge_class[e] in RURAL_ROADS:
                w[k] += net.edge_length_m[e] / 1000.0
    return w / w.sum()


def generate(cfg: LandslideConfig, net: RoadNetwork, rng: np.random.Generator) -> list[HazardEvent]:
    """Draw one rain event's landslides from ``rng``."""
    make = IncidentMaker(net, "landslide")
    events: list[HazardEvent] = []
    nodes = net.nodes_of_kind(*cfg.node_kinds)
    t0, window = cfg.start_h * 60.0, cfg.window_h * 60.0
    n_points = int(cfg.points.get(cfg.district, cfg.points_default))
    # Where and when slides fail, what they block, bury or dam: each from a stream of its
    # own, so that a what-if on one probability (more roads blocked) leaves the slides and
    # the other consequences as they were (common random numbers).
    point_rng, road_rng, bury_rng, lake_rng = rng.spawn(4)
    if nodes and n_points > 0:
        p = point_weights(net, nodes)
        for _ in range(int(point_rng.binomial(n_points, cfg.fail_prob))):
            node = int(nodes[int(point_rng.choice(len(nodes), p=p))])
            t = t0 + point_rng.uniform(0.0, window)
            if road_rng.random() < cfg.road_block_prob:
                e = _pick_road(net, node, cfg, road_rng)
                if e is not None:
                    hours = float(
                        road_rng.lognormal(np.log(cfg.repair_h_median), cfg.repair_h_sigma)
                    )
                    events.append(
                        closure(net, e, t, "landslide", "landslide debris", repair_min=hours * 60.0)
                    )
            if bury_rng.random() < cfg.bury_prob:
                events.append(_burial(cfg, bury_rng, make, node, t))
            if lake_rng.random() < cfg.barrier_lake_prob:
                events += _barrier_lake(cfg, net, lake_rng, make, node, t, "barrier lake")
    for i, pc in enumerate(cfg.precedents):
        if pc.district != cfg.district:
            continue
        where = f"scenario.landslide.precedents[{i}]"
        t = t0 + pc.t_h * 60.0
        e = net.edge_id(pc.u, pc.v, field_name=where)
        events.append(
            closure(net, e, t, "landslide", f"landslide ({pc.name})", repair_min=pc.repair_h * 60.0)
        )
        node = net.idx(pc.u, where)
        if pc.people > 0:
            events.append(_burial(cfg, bury_rng, make, node, t, people=pc.people))
        if pc.barrier_lake_node:
            lake = net.idx(pc.barrier_lake_node, f"{where}.barrier_lake_node")
            events += _barrier_lake(cfg, net, lake_rng, make, lake, t, f"barrier lake ({pc.name})")
    events.sort(key=lambda e: e.t)
    return events


def _pick_road(net: RoadNetwork, node: int, cfg: LandslideConfig, rng) -> int | None:
    edges = edges_at(net, node)
    if edges.size == 0:
        return None
    w = class_weights(net, edges, cfg.road_class_weights)
    if w.sum() <= 0:
        return None
    return int(edges[int(rng.choice(edges.size, p=w / w.sum()))])


def _burial(cfg: LandslideConfig, rng, make, node: int, t: float, people: int = 0):
    if people <= 0:
        people = 1 + int(rng.poisson(max(cfg.people_per_burial_mean - 1.0, 0.0)))
    return make(
        t,
        node,
        kind="landslide_burial",
        severity=3,
        people=people,
        capabilities=("collapse",),
        work_min=float(rng.gamma(2.0, cfg.burial_work_min_mean / 2.0)),
        window_min=cfg.burial_window_h * 60.0,
        report_delay_min=float(rng.exponential(cfg.report_delay_min_mean)),
    )


def _barrier_lake(
    cfg: LandslideConfig, net: RoadNetwork, rng, make, node: int, t: float, cause: str
) -> list[HazardEvent]:
    """A slide dams a stream: warning now, the town's roads under water after ``lake_fill_h``."""
    fill, dur = cfg.lake_fill_h * 60.0, cfg.lake_flood_h * 60.0
    out: list[HazardEvent] = [
        WarningIssued(t=t, hazard="landslide", lead_min=fill, nodes=(net.nodes[node],), level=cause)
    ]
    t_flood = t + fill
    for e in edges_at(net, node):
        out.append(closure(net, e, t_flood, "landslide", f"{cause} flood", clear_min=dur))
    people = int(rng.poisson(cfg.lake_trapped_per_100k * net.population[node] / 1e5))
    for size in group_sizes(rng, people, cfg.people_per_burial_mean):
        out.append(
            make(
                t_flood + rng.uniform(0.0, 120.0),
                node,
                kind="water_rescue",
                severity=2,
                people=size,
                capabilities=("water_rescue",),
                work_min=float(rng.gamma(2.0, cfg.lake_work_min_mean / 2.0)),
                window_min=cfg.lake_window_h * 60.0,
                report_delay_min=float(rng.exponential(cfg.report_delay_min_mean)),
            )
        )
    return out
