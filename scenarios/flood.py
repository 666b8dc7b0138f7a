"""Flash floods and a river flood: flooded zones close roads and trap people.

Flash floods (山洪: "mountain rivers are steep and fast, floods gather quickly", 002 L47,
003 L40): a Poisson number of events over the rain window, each at a rural town or
township; each road of that town is cut with probability ``flash_road_prob`` until the water
drains (lognormal hours), and people are trapped in proportion to the town's population.

River flood along the district's main river (Yangtze for Fengdu and Nan'an, Jialing for
Beibei, 璧南河 for Bishan): the stage rises linearly from the reach's datum (a gauge's
warning or guarantee stage) to a lognormal peak over ``rise_h`` and falls back over
``fall_h``. A riverside zone (a node with a flood threshold in metres above the datum)
floods while the stage is above its threshold: its roads close (except elevated classes such as expressways) for exactly that
time, and people are trapped in proportion to population and depth. A hydrological
warning goes out ``warning_lead_h`` before the first zone floods.

Closure causes say "flood", which the response side reads as "under water": passable by
boat, not on foot.
"""

from __future__ import annotations

import numpy as np

from scenarios.hazard_util import IncidentMaker, closure, edges_at, group_sizes
from sim.config import FloodConfig
from sim.core.events import HazardEvent, WarningIssued
from sim.core.network import RoadNetwork


def generate(cfg: FloodConfig, net: RoadNetwork, rng: np.random.Generator) -> list[HazardEvent]:
    """Draw one flood event's hazard events from ``rng`` (flash floods first, then river)."""
    make = IncidentMaker(net, "flood")
    # each part its own stream: more flash floods leave the river flood's draws as they were
    flash_rng, river_rng = rng.spawn(2)
    events = flash_floods(cfg, net, flash_rng, make)
    if cfg.river:
        events += river_flood(cfg, net, river_rng, make)
    events.sort(key=lambda e: e.t)
    return events


def _incidents(
    cfg: FloodConfig,
    rng,
    make,
    node: int,
    people: int,
    t0: float,
    span: float,
    severity: int,
) -> list[HazardEvent]:
    out: list[HazardEvent] = []
    for size in group_sizes(rng, people, cfg.people_per_incident_mean):
        out.append(
            make(
                t0 + rng.uniform(0.0, span),
                node,
                kind="water_rescue",
                severity=severity,
                people=size,
                capabilities=("water_rescue",),
                work_min=float(rng.gamma(2.0, cfg.work_min_mean / 2.0)),
                window_min=cfg.window_h * 60.0,
                report_delay_min=float(rng.exponential(cfg.report_delay_min_mean)),
            )
        )
    return out


def flash_floods(cfg: FloodConfig, net: RoadNetwork, rng, make) -> list[HazardEvent]:
    """Flash floods at rural towns within the rain window."""
    cands = net.nodes_of_kind(*cfg.flash_node_kinds)
    if not cands:
        return []
    t0, window = cfg.start_h * 60.0, cfg.flash_window_h * 60.0
    events: list[HazardEvent] = []
    for _ in range(int(rng.poisson(cfg.flash_events_mean))):
        node = int(cands[int(rng.integers(len(cands)))])
        t = t0 + rng.uniform(0.0, window)
        hours = float(rng.lognormal(np.log(cfg.flash_hours_median), cfg.flash_hours_sigma))
        for e in edges_at(net, node):
            if rng.random() < cfg.flash_road_prob:
                events.append(closure(net, e, t, "flood", "flash flood", clear_min=hours * 60.0))
        lam = cfg.flash_trapped_per_100k * net.population[node] / 1e5
        people = int(rng.poisson(lam))
        # ASSUMPTION: flash floods trap people within the first hour of the surge.
        events += _incidents(cfg, rng, make, node, people, t, 60.0, 3)
    return events


def river_flood(cfg: FloodConfig, net: RoadNetwork, rng, make) -> list[HazardEvent]:
    """The main river's flood: zones above their threshold are under water."""
    reach = cfg.rivers[cfg.district]
    t0 = cfg.start_h * 60.0
    rise, fall = reach.rise_h * 60.0, reach.fall_h * 60.0
    median = reach.peak_m_median * cfg.peak_factor
    peak = float(rng.lognormal(np.log(median), cfg.peak_m_sigma))
    t_peak = t0 + rise
    events: list[HazardEvent] = []
    flooded: list[tuple[int, float, float, float]] = []
    for name, thr in reach.zones.items():
        node = net.idx(name, f"scenario.flood.rivers.{cfg.district}.zones")
        if peak <= thr:
            continue
        t_on = t0 + rise * max(thr, 0.0) / peak
        t_off = t_peak + fall * (1.0 - max(thr, 0.0) / peak)
        flooded.append((node, t_on, t_off, peak - thr))
    if not flooded:
        return events
    first = min(f[1] for f in flooded)
    lead = min(cfg.warning_lead_h * 60.0, first)
    events.append(
        WarningIssued(
            t=first - lead,
            hazard="flood",
            lead_min=lead,
            nodes=tuple(net.nodes[f[0]] for f in flooded),
            level=f"river flood {reach.name}",
        )
    )
    cause = f"river flood ({reach.name})"
    for node, t_on, t_off, depth in flooded:
        for e in edges_at(net, node):
            if net.edge_class[e] not in cfg.exempt_classes:
                events.append(closure(net, e, t_on, "flood", cause, clear_min=t_off - t_on))
        lam = cfg.trapped_per_100k_per_m * depth * net.population[node] / 1e5
        severity = 3 if depth >= 1.5 else 2  # ASSUMPTION: deep water is life-threatening
        people = int(rng.poisson(lam))
        events += _incidents(cfg, rng, make, node, people, t_on, max(t_peak - t_on, 60.0), severity)
    return events
