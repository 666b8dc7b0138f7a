"""Hazards that force an evacuation: who must move, when they are told, when it strikes.

One event per run: an evacuation order at ``order_h`` with a forecast lead time, the people
at risk in each zone town/street (the design event is sized to the plan's relocation
standard, e.g. 3,000 in Fengdu 002 L180; a stress event takes a share of the population),
the nodes lying wholly inside the zone, the actual impact at each zone node (forecast plus
error, reaching the nodes in list order, upstream to downstream, over ``impact_spread_min``)
and the roads that flood at impact (between two zone nodes, and every road out of a node
wholly in the zone, except the exempt classes and the zone's ``keep_open`` roads).

The zone of the current district is picked from ``zones`` by ``district`` (the scenario
YAML sets ``district: ${district.name}``), so one scenario file serves all districts.
"""

from __future__ import annotations

import numpy as np

from sim.config import CasualtyConfig, EvacuationHazardConfig, EvacuationZoneConfig, road_ends
from sim.core.events import (
    CasualtyRule,
    EvacuationOrder,
    HazardEvent,
    RoadClosure,
    WarningIssued,
    ZoneImpact,
)
from sim.core.network import RoadNetwork

HAZARD = "evacuation"

# Follow-up of people caught by the hazard, by kind: (capabilities, survival window in hours
# where they were caught, on a road). Defaults for scenario.evacuation.casualties.
CASUALTY_DEFAULTS: dict[str, tuple[tuple[str, ...], float, float]] = {
    # ASSUMPTION: trapped at home by rising water, people retreat upstairs/on roofs: 12 h,
    # as for people trapped by water in conf/scenario/flood.yaml (window_h). Swept away on a
    # road (vehicles are where most flood deaths happen: 49-63%, Ahmed, Haynes & Taylor 2020,
    # J. Flood Risk Manage. 13(3) e12616): 3 h = the lower end of "3-12 h to exhaustion" in
    # 21-27 C water (US Search and Rescue Task Force cold-water table, summer Yangtze water).
    "river_flood": (("water_rescue",), 12.0, 3.0),
    "flash_flood": (("water_rescue",), 12.0, 3.0),
    # buried by a slope failure: "within 2 to 6 hours less than 50% of those buried are still
    # alive" (Noji, Supercourse lec32971; as burial_window_h in conf/scenario/landslide.yaml)
    "geo_hazard": (("collapse",), 6.0, 6.0),
    # acute exposure: 2 h, as window_h_life in conf/scenario/chemical.yaml (ASSUMPTION)
    "chemical": (("hazmat",), 2.0, 2.0),
}


def casualty_rule(kind: str, c: CasualtyConfig) -> CasualtyRule | None:
    """The follow-up rule of an order of ``kind`` from the scenario's casualty section."""
    if not c.enabled:
        return None
    caps, trapped, swept = CASUALTY_DEFAULTS.get(kind, CASUALTY_DEFAULTS["river_flood"])
    return CasualtyRule(
        capabilities=tuple(c.capabilities) if c.capabilities is not None else caps,
        trapped_window_min=60.0
        * (c.trapped_window_h if c.trapped_window_h is not None else trapped),
        swept_window_min=60.0 * (c.swept_window_h if c.swept_window_h is not None else swept),
        work_min_per_person=c.work_min_per_person,
        max_people=int(c.max_people),
        report_delay_min_mean=c.report_delay_min_mean,
    )


def select_zone(cfg: EvacuationHazardConfig) -> tuple[str, EvacuationZoneConfig]:
    """The zone for ``cfg.district`` (or the only zone when no district is named)."""
    if cfg.district:
        if cfg.district not in cfg.zones:
            raise KeyError(
                f"scenario.evacuation.district='{cfg.district}': no zone for it "
                f"(zones: {', '.join(cfg.zones) or 'none'})"
            )
        return cfg.district, cfg.zones[cfg.district]
    if len(cfg.zones) != 1:
        raise KeyError("scenario.evacuation.district: name the district whose zone to use")
    key = next(iter(cfg.zones))
    return key, cfg.zones[key]


def people_at_risk(
    zone: EvacuationZoneConfig, pop: np.ndarray, weights: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """People who must leave each zone node (never more than live there).

    ``people > 0``: that many in all, allocated multinomially in proportion to population x
    weight; otherwise each resident is at risk with probability share x weight (binomial).
    """
    pop = pop.astype(np.int64)
    if zone.people > 0:
        total = min(int(zone.people), int(pop.sum()))
        w = pop * weights
        if w.sum() <= 0:
            raise ValueError("evacuation zone nodes: no residents (population x weight is 0)")
        out = rng.multinomial(total, w / w.sum())
        excess = int(np.maximum(out - pop, 0).sum())
        out = np.minimum(out, pop)
        while excess > 0:  # give the overflow to nodes with room, in list order
            for i in range(len(out)):
                add = min(excess, int(pop[i] - out[i]))
                out[i] += add
                excess -= add
        return out
    p = np.clip(zone.share_of_population * weights, 0.0, 1.0)
    return rng.binomial(pop, p)


def generate(
    cfg: EvacuationHazardConfig, net: RoadNetwork, rng: np.random.Generator
) -> list[HazardEvent]:
    """Draw one evacuation event from ``rng`` (the scenario's own stream)."""
    key, zone = select_zone(cfg)
    where = f"scenario.evacuation.zones.{key}"
    nodes = [net.idx(n, f"{where}.nodes[{i}]") for i, n in enumerate(zone.nodes)]
    unsafe = [net.idx(n, f"{where}.unsafe_nodes[{i}]") for i, n in enumerate(zone.unsafe_nodes)]
    weights = np.array([float(zone.weights.get(n, 1.0)) for n in zone.nodes])
    people = people_at_risk(zone, net.population[nodes], weights, rng)

    t0 = cfg.order_h * 60.0
    lead = (zone.lead_h if zone.lead_h is not None else cfg.lead_h) * 60.0
    expected = t0 + lead
    error = float(rng.normal(0.0, cfg.impact_error_sd_min)) if cfg.impact_error_sd_min > 0 else 0.0
    first = max(expected + error, t0 + 1.0)
    k = max(len(nodes) - 1, 1)
    impact = {i: first + cfg.impact_spread_min * j / k for j, i in enumerate(nodes)}
    for i in unsafe:  # a node wholly in the zone is hit when its zone is (else at first impact)
        impact.setdefault(i, first)

    oid = f"{HAZARD}-{key}"
    events: list[HazardEvent] = [
        WarningIssued(
            t=t0,
            hazard=HAZARD,
            lead_min=lead,
            nodes=tuple(net.nodes[i] for i in nodes),
            level=f"{cfg.kind} evacuation order",
        ),
        EvacuationOrder(
            t=t0,
            hazard=HAZARD,
            id=oid,
            kind=cfg.kind,
            impact_t=expected,
            at_risk=tuple(
                (net.nodes[i], int(p)) for i, p in zip(nodes, people, strict=True) if p > 0
            ),
            unsafe_nodes=tuple(net.nodes[i] for i in unsafe),
            plan_people=int(zone.plan_people),
            casualties=casualty_rule(cfg.kind, cfg.casualties),
        ),
    ]
    events += [
        ZoneImpact(t=float(t), hazard=HAZARD, order=oid, node=net.nodes[i])
        for i, t in impact.items()
    ]
    if cfg.close_roads:
        keep = {
            net.edge_id(*road_ends(r, f"{where}.keep_open[{i}]"), f"{where}.keep_open[{i}]")
            for i, r in enumerate(zone.keep_open)
        }
        events += flooded_roads(cfg, net, impact, set(unsafe), zone.river or cfg.kind, keep)
    events.sort(key=lambda e: e.t)
    return events


def flooded_roads(
    cfg: EvacuationHazardConfig,
    net: RoadNetwork,
    impact: dict[int, float],
    unsafe: set[int],
    label: str,
    keep: set[int] = frozenset(),
) -> list[RoadClosure]:
    """Roads that close at impact: between two zone nodes, or out of a node wholly in it
    (except the exempt classes and the zone's ``keep_open`` roads, e.g. high bridges)."""
    out = []
    classes = set(cfg.closure_classes)
    for e, (u, v) in enumerate(net.edges):
        if net.edge_class[e] not in classes or e in keep:
            continue
        both = u in impact and v in impact
        if not (both or u in unsafe or v in unsafe):
            continue
        t = min(impact.get(u, np.inf), impact.get(v, np.inf))
        out.append(
            RoadClosure(
                t=float(t),
                hazard=HAZARD,
                u=net.nodes[u],
                v=net.nodes[v],
                cause=f"{cfg.kind} ({label})",
                clear_min=cfg.closed_h * 60.0,
                repair_min=cfg.closed_h * 60.0,
            )
        )
    return out
