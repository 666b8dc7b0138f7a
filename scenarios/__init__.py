"""Hazard generators: turn config and a random stream into timed HazardEvents.

Each optional section of a scenario config (``storm``, ...) names a hazard; its generator
gets its own random stream ``hazard/<section>``, so adding a hazard to a scenario never
changes the draws of another, and the response layout never changes any of them.
"""

from __future__ import annotations

from collections.abc import Callable

from scenarios import storm
from scenarios.events import HazardEvent, Timeline

# section name in ScenarioConfig -> generator(section_cfg, network, rng) -> events
GENERATORS: dict[str, Callable] = {
    "storm": storm.generate,
}


def generate_timeline(scenario_cfg, net, streams) -> Timeline:
    """All hazard events of one replication for the scenario's configured sections."""
    events: list[HazardEvent] = []
    for section, gen in GENERATORS.items():
        section_cfg = getattr(scenario_cfg, section, None)
        if section_cfg is not None:
            events.extend(gen(section_cfg, net, streams(f"hazard/{section}")))
    events.sort(key=lambda e: e.t)
    return Timeline(tuple(events))
