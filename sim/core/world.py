"""The World: everything one replication's processes need, and nothing global.

SimPy environment, road network, random streams, event log, the asset registry and a tiny
publish/subscribe bus through which hazard events reach the response processes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from heapq import heappush
from typing import Any

import simpy
from simpy.events import NORMAL, URGENT

from sim.core.eventlog import EventLog
from sim.core.events import HazardEvent
from sim.core.network import RoadNetwork
from sim.core.streams import Streams


class Assets:
    """Registry of response assets by kind, indexed by id and by home node."""

    def __init__(self) -> None:
        self.by_kind: dict[str, list[Any]] = defaultdict(list)
        self.by_id: dict[str, Any] = {}
        self.by_node: dict[int, list[Any]] = defaultdict(list)

    def add(self, kind: str, asset: Any, asset_id: str, node: int) -> None:
        if asset_id in self.by_id:
            raise ValueError(f"duplicate asset id '{asset_id}'")
        self.by_kind[kind].append(asset)
        self.by_id[asset_id] = asset
        self.by_node[node].append(asset)

    def of_kind(self, kind: str) -> list[Any]:
        return self.by_kind.get(kind, [])


class Call:
    """A bare event in the SimPy queue that calls ``fn(call)`` when processed.

    What ``env.timeout(delay)`` plus a callback does, without the Timeout machinery: the
    hot paths of the response modules schedule many of these. ``arg`` is for the callee;
    a callee that may be cancelled compares the call with the one it last scheduled.
    """

    __slots__ = ("callbacks", "arg", "_ok", "_value")

    def __init__(self, fn: Callable[[Call], None], arg: Any = None) -> None:
        self.callbacks: list | None = [fn]
        self.arg = arg
        self._ok = True
        self._value = None


class World:
    """One replication's simulation state."""

    def __init__(self, network: RoadNetwork, streams: Streams, hubs: list[int]) -> None:
        self.env = simpy.Environment()
        self.net = network
        self.streams = streams
        self.log = EventLog()
        self.assets = Assets()
        self.hubs = hubs  # depots/bases: a town with no route from any hub is isolated
        self._subscribers: dict[type, list[Callable[[HazardEvent], None]]] = defaultdict(list)

    @property
    def now(self) -> float:
        return self.env.now

    def call_in(
        self, delay: float, fn: Callable[[Call], None], arg: Any = None, urgent: bool = False
    ) -> Call:
        """Call ``fn(call)`` after ``delay`` minutes, in SimPy's order of events.

        Ordered exactly like ``env.timeout(delay)`` with a callback, or, with ``urgent`` (and
        ``delay`` 0), like the start of a process or an interrupt: before the ordinary
        events of the same instant. (Pass an integer 0 where SimPy would schedule an event
        of its own "now": at time 0 the clock then stays the integer 0, as SimPy's does.)
        """
        env = self.env
        call = Call(fn, arg)
        heappush(env._queue, (env._now + delay, URGENT if urgent else NORMAL, next(env._eid), call))
        return call

    def subscribe(self, event_type: type, handler: Callable[[HazardEvent], None]) -> None:
        """Call ``handler(event)`` for every published event that is an ``event_type``."""
        self._subscribers[event_type].append(handler)

    def publish(self, event: HazardEvent) -> None:
        """Deliver ``event`` to the handlers subscribed to its type or a base type."""
        for typ in type(event).__mro__:
            for handler in self._subscribers.get(typ, ()):
                handler(event)

    def start_replay(self, events: list[HazardEvent] | tuple[HazardEvent, ...]) -> None:
        """Publish each hazard event at its time: ``env.process(self.replay(events))`` as a
        chain of calls (the same order of events, without a process resumed per event)."""
        todo = sorted(events, key=lambda e: e.t)
        self.call_in(0, self._replay_step, [todo, 0, False], urgent=True)

    def _replay_step(self, call: Call) -> None:
        state = call.arg
        todo, i, due = state
        env = self.env
        while i < len(todo):
            ev = todo[i]
            if not due and ev.t > env._now:
                state[1], state[2] = i, True
                self.call_in(ev.t - env._now, self._replay_step, state)
                return
            due = False  # (woken for it: published even if the clock is a rounding short)
            self.publish(ev)
            i += 1

    def replay(self, events: list[HazardEvent] | tuple[HazardEvent, ...]):
        """SimPy process: publish each hazard event at its time (see :meth:`start_replay`)."""
        env = self.env
        for ev in sorted(events, key=lambda e: e.t):
            if ev.t > env.now:
                yield env.timeout(ev.t - env.now)
            self.publish(ev)
