"""What one replication leaves behind, and the hubs that define isolation."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.config import Config
from sim.core.events import Timeline
from sim.core.network import RoadNetwork
from sim.core.world import World


@dataclass
class Replication:
    """What one run leaves behind: the world (for its log) and the hazard timeline."""

    rep: int
    world: World
    timeline: Timeline
    horizon_min: float
    cfg: Config

    def events(self) -> pd.DataFrame:
        """The event log as a DataFrame (built once: the log is final; do not modify it)."""
        ev = self.__dict__.get("_events")
        if ev is None or len(ev) != len(self.world.log):
            ev = self.__dict__["_events"] = self.world.log.frame()
        return ev


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
