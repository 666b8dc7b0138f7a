"""Hazardous-chemical release from a road tanker accident (needs a hazmat-capable team).

The plans stress hazardous-chemical transport and storage (000 L179, 002 L150, 003 L181).
Releases (Poisson, at least one) happen on roads chosen by class (tanker traffic runs on
expressways and national roads); the accident road is cordoned off for a lognormal time,
and people exposed at one end (drawn at random) need rescue by a team with ``capabilities`` (hazmat)
within a short window.
"""

from __future__ import annotations

import numpy as np

from scenarios.hazard_util import IncidentMaker, class_weights, closure
from sim.config import ChemicalConfig
from sim.core.events import HazardEvent
from sim.core.network import RoadNetwork


def generate(cfg: ChemicalConfig, net: RoadNetwork, rng: np.random.Generator) -> list[HazardEvent]:
    """Draw the releases of one scenario from ``rng``."""
    edges = np.arange(len(net.edges))
    w = class_weights(net, edges, cfg.road_class_weights)
    if w.sum() <= 0:
        return []
    make = IncidentMaker(net, "chemical", prefix="hazmat")
    events: list[HazardEvent] = []
    n = max(1, int(rng.poisson(cfg.releases_mean)))
    for _ in range(n):
        e = int(rng.choice(edges.size, p=w / w.sum()))
        t = cfg.t_h * 60.0 + rng.uniform(0.0, cfg.window_h * 60.0)
        node = int(net.edges[e][int(rng.integers(2))])  # either end of the accident road, at random
        hours = float(rng.lognormal(np.log(cfg.cordon_hours_median), cfg.cordon_hours_sigma))
        events.append(closure(net, e, t, "chemical", "hazmat cordon", clear_min=hours * 60.0))
        events.append(
            make(
                t,
                node,
                kind="hazmat",
                severity=3,
                people=1 + int(rng.poisson(max(cfg.people_exposed_mean - 1.0, 0.0))),
                capabilities=tuple(cfg.capabilities),
                work_min=float(rng.gamma(2.0, cfg.work_min_mean / 2.0)),
                window_min=cfg.window_h_life * 60.0,
                report_delay_min=float(rng.exponential(cfg.report_delay_min_mean)),
            )
        )
    events.sort(key=lambda e: e.t)
    return events
