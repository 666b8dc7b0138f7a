"""Forest-fire ignitions: a fire year of danger-class days, or one extreme day.

Season (the plans' targets are yearly): ``years`` independent fire years back to back. In each,
the expected number of fires in the district is
``fires_per_10kha_year`` x forest area / 10,000 ha x the district's risk multiplier; each
period of the year (winter-spring fire-prevention period, summer heat-drought, the rest) takes
its ``fire_share`` of them. Every day of a period draws a fire-danger class (independently,
with the period's ``p_day``); ignitions on that day are Poisson with mean
``period fires / days`` x the class's ignition weight / the period's expected weight, so each
period's total has the configured mean. Calibration and sources: ``docs/fire_calibration.md``.

Each ignition picks a forest zone (weight = its forest area), a clock time (human-caused
ignitions cluster in the afternoon) and fire behaviour for its class: head rate of spread
(lognormal around the class median) and length-to-breadth ratio.

Extreme day (Chongqing, August 2022: 45 degC in Beibei on 18 Aug, the 歇马 fire of 21 Aug that
spread into Bishan's 八塘镇): several ignitions on one day, all in the extreme class.
"""

from __future__ import annotations

import math

import numpy as np

from sim.core.events import HazardEvent, Ignition
from sim.core.network import RoadNetwork

DAY_MIN = 1440.0


def _zones(cfg, net: RoadNetwork) -> tuple[list[int], np.ndarray]:
    zones = (
        [net.idx(z, f"scenario.fire.zones[{k}]") for k, z in enumerate(cfg.zones)]
        if cfg.zones
        else net.nodes_of_kind("forest_zone")
    )
    area = np.array([float(net.attr(z, "forest_area_ha") or 0.0) for z in zones])
    if area.sum() <= 0:
        area = np.ones(len(zones))
    return zones, area / area.sum()


def _ignition(cfg, net, rng, k: int, day: int, cls_name: str, zones, weights) -> Ignition:
    cls = cfg.classes[cls_name]
    hour = float(np.clip(rng.normal(cfg.ignition_hour_mean, cfg.ignition_hour_sd), 0.0, 23.99))
    t = day * DAY_MIN + (hour - cfg.start_clock_h) * 60.0
    ros = float(cls.head_ros_m_min * math.exp(rng.normal(0.0, cfg.ros_sigma)))
    zone = zones[int(rng.choice(len(zones), p=weights))]
    return Ignition(
        t=max(t, 0.0),
        hazard="fire",
        id=f"fire-{k:04d}",
        zone=net.nodes[zone],
        danger=cls_name,
        head_ros_m_min=ros,
        lb_ratio=float(cls.lb_ratio),
        clock_h=hour if t >= 0 else cfg.start_clock_h,
    )


def expected_fires(cfg) -> dict[str, float]:
    """Expected fires per period of the season (computed from the inputs, not simulated)."""
    year = cfg.fires_per_year()
    return {name: year * per.fire_share for name, per in cfg.periods.items()}


def generate(cfg, net: RoadNetwork, rng: np.random.Generator) -> list[HazardEvent]:
    """Ignitions of one replication (``cfg``: :class:`sim.config.FireScenarioConfig`)."""
    zones, weights = _zones(cfg, net)
    if not zones:
        return []
    names = list(cfg.classes)
    events: list[HazardEvent] = []
    k = 0
    if cfg.mode == "extreme_day":
        for _ in range(int(rng.poisson(cfg.extreme_ignitions_mean))):
            k += 1
            events.append(_ignition(cfg, net, rng, k, 0, cfg.extreme_class, zones, weights))
        events.sort(key=lambda e: e.t)
        return events
    w = np.array([cfg.classes[c].ignition_weight for c in names], float)
    first_day = 0
    for per in [p for _ in range(cfg.years) for p in cfg.periods.values()]:
        p = np.array([per.p_day.get(c, 0.0) for c in names], float)
        p = p / p.sum()
        mean_w = float(p @ w)
        fires = cfg.fires_per_year() * per.fire_share
        per_weight = fires / (per.days * mean_w) if mean_w > 0 else 0.0
        day_class = rng.choice(len(names), size=per.days, p=p)
        counts = rng.poisson(per_weight * w[day_class])
        for d in np.flatnonzero(counts):
            for _ in range(int(counts[d])):
                k += 1
                cls = names[day_class[d]]
                events.append(_ignition(cfg, net, rng, k, first_day + int(d), cls, zones, weights))
        first_day += per.days
    events.sort(key=lambda e: e.t)
    return events
