"""Road state during a run: closures, reopening, and isolation of towns.

Reacts to :class:`RoadClosure` events. A closure with a finite ``clear_min`` clears by itself
(water recedes); one with ``clear_min = inf`` stays closed until something reopens it (the
road-repair model of the rescue issue). After every change the set of isolated towns (no
open route from any hub) is recomputed and changes are logged as ``isolated`` /
``reconnected`` events.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.core.events import RoadClosure
from sim.core.places import SETTLEMENT_KINDS
from sim.core.world import World


class RoadState:
    """Applies closures to the world's network and tracks isolated towns."""

    def __init__(self, world: World) -> None:
        self.world = world
        net = world.net
        self.towns = net.nodes_of_kind(*SETTLEMENT_KINDS)
        self.isolated: set[int] = set()
        self.listeners: list[Callable[[], None]] = []
        self._closers: dict[int, int] = {}  # edge -> number of active closures on it
        world.subscribe(RoadClosure, self.on_closure)

    def on_closure(self, ev: RoadClosure) -> None:
        w = self.world
        e = w.net.edge_id(ev.u, ev.v, field_name=f"{ev.hazard} road closure")
        self._closers[e] = self._closers.get(e, 0) + 1
        if w.net.close(e):
            w.log.log(w.now, "road_close", w.net.edge_name(e), ev.u, ev.cause, ev.repair_min)
            self._changed()
        if math.isfinite(ev.clear_min):
            w.env.process(self._clear_after(e, ev.clear_min))

    def _clear_after(self, e: int, minutes: float):
        yield self.world.env.timeout(minutes)
        self.release(e)

    def release(self, e: int, reason: str = "cleared") -> None:
        """One closure on road ``e`` ends; the road reopens when none is left."""
        n = self._closers.get(e, 0) - 1
        self._closers[e] = max(n, 0)
        if n <= 0 and self.world.net.reopen(e):
            w = self.world
            u = w.net.nodes[w.net.edges[e][0]]
            w.log.log(w.now, "road_open", w.net.edge_name(e), u, reason)
            self._changed()

    def _changed(self) -> None:
        w = self.world
        now_iso = set(w.net.isolated(self.towns, w.hubs))
        for i in sorted(now_iso - self.isolated):
            w.log.log(w.now, "isolated", w.net.nodes[i], w.net.nodes[i], "", w.net.population[i])
        for i in sorted(self.isolated - now_iso):
            w.log.log(w.now, "reconnected", w.net.nodes[i], w.net.nodes[i])
        self.isolated = now_iso
        for fn in self.listeners:
            fn()
