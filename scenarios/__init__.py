"""Hazard generators: turn config and a random stream into timed HazardEvents.

Each optional section of a scenario config (``storm``, ...) names a hazard; its generator
gets its own random stream ``hazard/<section>``, so adding a hazard to a scenario never
changes the draws of another, and the response layout never changes any of them.
"""

from __future__ import annotations

from collections.abc import Callable

from scenarios import (
    cascade,
    chemical,
    earthquake,
    evacuation,
    fire,
    flood,
    landslide,
    storm,
)
from sim.core.events import HazardEvent, Timeline

# section name in ScenarioConfig -> generator(section_cfg, network, rng) -> events
GENERATORS: dict[str, Callable] = {
    "storm": storm.generate,
    "fire": fire.generate,
    "flood": flood.generate,
    "landslide": landslide.generate,
    "earthquake": earthquake.generate,
    "chemical": chemical.generate,
    "cascade": cascade.generate,
    "evacuation": evacuation.generate,
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


def check_nodes(scenario_cfg, net) -> None:
    """Every node a hazard section names exists in the network (NetworkError if not)."""
    fire = getattr(scenario_cfg, "fire", None)
    if fire is not None:
        for i, z in enumerate(fire.zones):
            net.idx(z, f"scenario.fire.zones[{i}]")
    sections = [
        (f"scenario.{name}", getattr(scenario_cfg, name, None)) for name in ("flood", "landslide")
    ]
    cas = getattr(scenario_cfg, "cascade", None)
    if cas is not None:
        sections += [
            ("scenario.cascade.flood", cas.flood),
            ("scenario.cascade.landslide", cas.landslide),
        ]
    for where, sec in sections:
        if sec is None:
            continue
        if hasattr(sec, "rivers") and sec.river and sec.district in sec.rivers:
            for node in sec.rivers[sec.district].zones:
                net.idx(node, f"{where}.rivers.{sec.district}.zones")
        for i, pc in enumerate(getattr(sec, "precedents", [])):
            if pc.district != sec.district:
                continue
            f = f"{where}.precedents[{i}]"
            net.edge_id(pc.u, pc.v, f)
            if pc.barrier_lake_node:
                net.idx(pc.barrier_lake_node, f"{f}.barrier_lake_node")
    eq = getattr(scenario_cfg, "earthquake", None)
    if eq is not None and eq.epicentre:
        net.idx(eq.epicentre, "scenario.earthquake.epicentre")
