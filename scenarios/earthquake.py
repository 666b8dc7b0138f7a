"""Earthquake: building collapses with many trapped people, and damaged roads.

Intensity at each town from the epicentral distance R (km, at least 1 km):
``I = min(I0, att_a + att_b M - att_c log10 R)`` with ``I0 = i0_a + i0_b M``. Collapse sites
at a town are Poisson with mean ``sites_per_100k_at_7 x growth^(I - 7)`` per 100,000
residents (none below ``min_intensity``); people trapped per site are 1 + negative binomial
(heavy tail: a few sites trap many). On-scene work is proportional to the people trapped,
so big collapses get several teams. A road whose ends average intensity I is cut with
probability ``road_damage_prob_at_8 x 2^(I - 8)`` (capped at 1) and needs repair.
"""

from __future__ import annotations

import math

import numpy as np

from scenarios.hazard_util import IncidentMaker, closure, distance_km
from sim.config import EarthquakeConfig
from sim.core.events import HazardEvent
from sim.core.network import RoadNetwork
from sim.core.places import SETTLEMENT_KINDS


def intensity(cfg: EarthquakeConfig, r_km: np.ndarray | float) -> np.ndarray:
    """Modelled intensity at epicentral distance ``r_km``."""
    i0 = cfg.i0_a + cfg.i0_b * cfg.magnitude
    r = np.maximum(np.asarray(r_km, dtype=float), 1.0)
    return np.minimum(i0, cfg.att_a + cfg.att_b * cfg.magnitude - cfg.att_c * np.log10(r))


def generate(
    cfg: EarthquakeConfig, net: RoadNetwork, rng: np.random.Generator
) -> list[HazardEvent]:
    """Draw one earthquake's collapses and road damage from ``rng``."""
    towns = net.nodes_of_kind(*SETTLEMENT_KINDS)
    if cfg.epicentre:
        ep = net.idx(cfg.epicentre, "scenario.earthquake.epicentre")
    else:
        pop = net.population[towns].astype(float)
        ep = int(towns[int(rng.choice(len(towns), p=pop / pop.sum()))])
    t = cfg.t_h * 60.0
    r = np.array([distance_km(net, ep, i) for i in range(net.n)])
    inten = intensity(cfg, r)
    make = IncidentMaker(net, "earthquake", prefix="quake")
    events: list[HazardEvent] = []
    mean = max(cfg.people_per_site_mean - 1.0, 1e-9)
    k = cfg.people_dispersion
    # Every town its own stream, every road its own draws: a what-if on the shaking (a
    # stronger quake, another threshold) changes the towns and roads it reaches and leaves
    # the others' collapses and damage as they were (common random numbers).
    town_rng, road_rng = rng.spawn(2)
    for i, site_rng in zip(towns, town_rng.spawn(len(towns)), strict=True):
        if inten[i] < cfg.min_intensity:
            continue
        lam = (
            cfg.sites_per_100k_at_7
            * cfg.sites_growth_per_degree ** (inten[i] - 7.0)
            * net.population[i]
            / 1e5
        )
        for _ in range(int(site_rng.poisson(lam))):
            people = 1 + int(site_rng.negative_binomial(k, k / (k + mean)))
            events.append(
                make(
                    t,
                    i,
                    kind="collapse",
                    severity=3,
                    people=people,
                    capabilities=("collapse",),
                    work_min=cfg.work_min_per_person * people,
                    window_min=cfg.window_h * 60.0,
                    report_delay_min=float(site_rng.exponential(cfg.report_delay_min_mean)),
                )
            )
    n_roads = len(net.edges)
    damage_u = road_rng.random(n_roads)
    repair_h = road_rng.lognormal(math.log(cfg.repair_h_median), cfg.repair_h_sigma, n_roads)
    for e in range(n_roads):
        u, v = net.edges[e]
        ie = 0.5 * (inten[u] + inten[v])
        p = min(1.0, cfg.road_damage_prob_at_8 * 2.0 ** (ie - 8.0))
        if ie >= cfg.min_intensity and damage_u[e] < p:
            hours = float(repair_h[e])
            events.append(
                closure(net, e, t, "earthquake", "earthquake damage", repair_min=hours * 60.0)
            )
    events.sort(key=lambda e: e.t)
    return events
