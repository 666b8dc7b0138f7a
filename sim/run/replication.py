"""Assemble and run one replication: World + hazards + response processes."""

from __future__ import annotations

from scenarios import generate_timeline
from sim.config import Config
from sim.core.events import Timeline, WarningIssued
from sim.core.network import RoadNetwork
from sim.core.replication import Replication, hub_nodes
from sim.core.roads import RoadState
from sim.core.streams import Streams
from sim.core.world import World
from sim.modules import RESPONSE_MODULES


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
    world.start_replay(timeline.events)
    return world, timeline


def run_replication(cfg: Config, net: RoadNetwork, rep: int) -> Replication:
    """Run replication ``rep`` to the experiment horizon on a fresh copy of ``net``."""
    net = net.fresh()
    world, timeline = build_world(cfg, net, rep)
    horizon = (cfg.scenario.hours or cfg.experiment.hours) * 60.0
    world.env.run(until=horizon)
    return Replication(rep, world, timeline, horizon, cfg)
