"""A cascade as one scenario: storm -> flash/river floods + landslides -> closed roads.

One rainfall factor ``R`` (lognormal, median 1, spread ``rain_sigma``) is drawn for the
event and couples the hazards: the storm's incident rate and road blockages scale with R,
the flash-flood count and the river's peak scale with R, and the landslide failure
probability with R^k. Floods start ``flood_lag_h`` and the landslide window opens
``landslide_lag_h`` after the storm's impact begins. Each sub-hazard draws from its own
child stream of the cascade stream, so changing one sub-hazard's settings never changes
another's draws. Closed roads isolate towns and wait for repair crews on the response side.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from scenarios import flood, landslide, storm
from sim.config import CascadeConfig
from sim.core.events import HazardEvent
from sim.core.network import RoadNetwork


def coupled(cfg: CascadeConfig, rain: float):
    """The storm, flood and landslide configs of an event with rainfall factor ``rain``."""
    s = cfg.storm
    s2 = replace(
        s,
        incidents_per_100k=s.incidents_per_100k * rain,
        closures_mean=s.closures_mean * rain,
    )
    f = cfg.flood
    f2 = replace(
        f,
        start_h=s.impact_start_h + cfg.flood_lag_h,
        flash_events_mean=f.flash_events_mean * rain,
        peak_factor=f.peak_factor * rain,
    )
    ls = cfg.landslide
    l2 = replace(
        ls,
        start_h=s.impact_start_h + cfg.landslide_lag_h,
        fail_prob=min(1.0, ls.fail_prob * rain**cfg.landslide_rain_exponent),
    )
    return s2, f2, l2


def generate(cfg: CascadeConfig, net: RoadNetwork, rng: np.random.Generator) -> list[HazardEvent]:
    """Draw the rainfall factor, then the storm, floods and landslides it drives."""
    rain = float(rng.lognormal(0.0, cfg.rain_sigma))
    s_rng, f_rng, l_rng = rng.spawn(3)
    s2, f2, l2 = coupled(cfg, rain)
    events = storm.generate(s2, net, s_rng)
    events += flood.generate(f2, net, f_rng)
    events += landslide.generate(l2, net, l_rng)
    events.sort(key=lambda e: e.t)
    return events
