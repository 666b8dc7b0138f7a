"""Severe convective storm: a warning ahead of impact, road closures, rescue incidents.

The plans' target is a warning 45 minutes ahead of severe convection (000 L164, 002 L147,
003 L173). During the impact window the storm blocks roads (debris, slips, local flooding)
and creates rescue incidents at towns at a rate proportional to population.
"""

from __future__ import annotations

import numpy as np

from sim.config import StormConfig
from sim.core.events import SEVERE_CONVECTION, HazardEvent, Incident, RoadClosure, WarningIssued
from sim.core.network import RoadNetwork
from sim.core.places import SETTLEMENT_KINDS


def generate(cfg: StormConfig, net: RoadNetwork, rng: np.random.Generator) -> list[HazardEvent]:
    """Draw one storm's hazard events from ``rng`` (the scenario's own stream)."""
    t0 = cfg.impact_start_h * 60.0
    span = cfg.duration_h * 60.0
    towns = net.nodes_of_kind(*SETTLEMENT_KINDS)
    events: list[HazardEvent] = [
        WarningIssued(
            t=max(t0 - cfg.warning_lead_min, 0.0),
            hazard="storm",
            lead_min=cfg.warning_lead_min,
            nodes=tuple(net.nodes[i] for i in towns),
            level=SEVERE_CONVECTION,
        )
    ]

    # Closures and incidents draw from streams of their own (spawned from the scenario's), so
    # a what-if on one (more closures) leaves the other's draws as they were: on common random
    # numbers, the same incidents meet the harsher roads.
    closure_rng, incident_rng = rng.spawn(2)

    # Road closures: roads drawn without replacement, weighted by how exposed their class is.
    rng = closure_rng
    weights = np.array([cfg.closure_class_weights.get(c, 1.0) for c in net.edge_class], float)
    n_close = min(int(rng.poisson(cfg.closures_mean)), int((weights > 0).sum()))
    if n_close > 0:
        chosen = rng.choice(len(weights), size=n_close, replace=False, p=weights / weights.sum())
        times = t0 + rng.uniform(0.0, span, size=n_close)
        durations = rng.lognormal(
            np.log(cfg.closure_hours_median), cfg.closure_hours_sigma, n_close
        )
        for e, t, d in zip(chosen, times, durations, strict=True):
            u, v = net.edges[int(e)]
            events.append(
                RoadClosure(
                    t=float(t),
                    hazard="storm",
                    u=net.nodes[u],
                    v=net.nodes[v],
                    cause="storm debris/slip",
                    clear_min=float(d) * 60.0,
                    repair_min=float(d) * 60.0,
                )
            )

    # Incidents: Poisson per town, rate per 100,000 residents.
    rng = incident_rng
    k = 0
    for i in towns:
        lam = cfg.incidents_per_100k * net.population[i] / 1e5
        for _ in range(int(rng.poisson(lam))):
            k += 1
            water = rng.random() < cfg.water_rescue_share
            events.append(
                Incident(
                    t=float(t0 + rng.uniform(0.0, span)),
                    hazard="storm",
                    id=f"storm-{k:04d}",
                    node=net.nodes[i],
                    kind="water_rescue" if water else "rescue",
                    severity=int(rng.integers(1, 4)),
                    people=1 + int(rng.poisson(max(cfg.people_per_incident_mean - 1.0, 0.0))),
                    capabilities=("water_rescue",) if water else ("rescue",),
                    work_min=float(rng.gamma(2.0, cfg.work_min_mean / 2.0)),
                    window_min=cfg.window_h * 60.0,
                    report_delay_min=float(rng.exponential(cfg.report_delay_min_mean)),
                )
            )
    events.sort(key=lambda e: e.t)
    return events
