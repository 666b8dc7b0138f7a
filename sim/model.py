"""Assemble and run one replication: World + hazards + response processes."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from scenarios import generate_timeline
from scenarios.events import Timeline, WarningIssued
from sim.config import Config
from sim.modules import RESPONSE_MODULES
from sim.network import RoadNetwork
from sim.roads import RoadState
from sim.streams import Streams
from sim.world import World


@dataclass
class Replication:
    """What one run leaves behind: the world (for its log) and the hazard timeline."""

    rep: int
    world: World
    timeline: Timeline
    horizon_min: float
    cfg: Config

    def events(self) -> pd.DataFrame:
        return self.world.log.frame()


def hub_nodes(cfg: Config, net: RoadNetwork) -> list[int]:
    """Hubs that define isolation: the layout's hubs, else the district seat and the depots.

    A town is isolated when no open road leads to it from any hub. The seat counts as a hub
    so that a blocked depot spur isolates the depot, not every town of the district.
    """
    if cfg.layout.hubs:
        return [net.idx(h, f"layout.hubs[{i}]") for i, h in enumerate(cfg.layout.hubs)]
    hubs = net.nodes_of_kind("depot")
    if cfg.district.seat:
        hubs = [net.idx(cfg.district.seat, "district.seat"), *hubs]
    return hubs


def build_world(cfg: Config, net: RoadNetwork, rep: int) -> tuple[World, Timeline]:
    """A ready-to-run World for replication ``rep`` (network must have no closures)."""
    streams = Streams(cfg.experiment.seed, rep)
    world = World(net, streams, hub_nodes(cfg, net))
    timeline = generate_timeline(cfg.scenario, net, streams)
    roads = RoadState(world)
    for module in RESPONSE_MODULES:
        module.attach(world, cfg, roads)
    world.subscribe(
        WarningIssued,
        lambda ev: world.log.log(
            world.now, "warning", ev.hazard, "", ev.level, ev.lead_min, f"{len(ev.nodes)} towns"
        ),
    )
    world.env.process(world.replay(timeline.events))
    return world, timeline


def run_replication(cfg: Config, net: RoadNetwork, rep: int) -> Replication:
    """Run replication ``rep`` to the experiment horizon on a fresh copy of ``net``."""
    net = net.fresh()
    world, timeline = build_world(cfg, net, rep)
    horizon = (cfg.scenario.hours or cfg.experiment.hours) * 60.0
    world.env.run(until=horizon)
    return Replication(rep, world, timeline, horizon, cfg)
