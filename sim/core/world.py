"""The World: everything one replication's processes need, and nothing global.

SimPy environment, road network, random streams, event log, the asset registry and a tiny
publish/subscribe bus through which hazard events reach the response processes.
"""

from __future__ import annotations

import gc
from collections import defaultdict, deque
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import StopSimulation
from simpy.events import NORMAL, URGENT, Event

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


# A bare call: the tuple ``(fn, arg)`` as the event of a queue entry, processed as
# ``fn(call)``. What ``env.timeout(delay)`` plus a callback does, without building an Event
# (a tuple costs a tenth of an object with ``__init__``): the response modules' hot paths
# schedule many. ``call[1]`` is for the callee; a callee that may be cancelled compares the
# call with the one it last scheduled (``is``).
Call = tuple


class Environment(simpy.Environment):
    """SimPy's environment with the same order of events (and the same event ids), faster.

    - :meth:`run` processes events in one loop (what :meth:`step` does, without a call per
      event); besides SimPy's events the queue holds bare calls (see ``Call``);
    - :meth:`call_soon` schedules an urgent zero-delay call (where SimPy would start a
      process or deliver an interrupt) in a lane beside the heap. After the event being
      processed, the lane runs in order unless the heap holds an event that comes first
      (same instant, urgent, smaller id): then the lane moves into the heap with the ids it
      was given. Either way every event is processed in SimPy's order.
    """

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self._soon: deque[tuple[int, Call]] = deque()

    def call_soon(self, call: Call) -> None:
        """Process ``call`` as an urgent event of this instant (``schedule(call, URGENT)``)."""
        self._soon.append((next(self._eid), call))

    def _spill(self) -> None:
        """Move the lane into the heap, each call with its own id."""
        q, now = self._queue, self._now
        for eid, call in self._soon:
            heappush(q, (now, URGENT, eid, call))
        self._soon.clear()

    def _run_soon(self) -> None:
        soon, q = self._soon, self._queue
        while soon:
            eid, call = soon[0]
            if q and q[0] < (self._now, URGENT, eid):
                self._spill()  # an event of the heap comes first
                return
            soon.popleft()
            call[0](call)

    def peek(self) -> float:
        """The time of the next event."""
        return self._now if self._soon else super().peek()

    def step(self) -> None:
        """Process the next event (and the lane it leaves, see the class docstring)."""
        if self._soon:
            self._spill()  # (filled outside event processing)
        q = self._queue
        if q and q[0][3].__class__ is tuple:  # a bare call
            self._now, _, _, call = heappop(q)
            call[0](call)
        else:
            super().step()
        if self._soon:
            self._run_soon()

    def run(self, until: float | Event | None = None) -> Any:
        """As :meth:`simpy.Environment.run`: until no events are left, a time or an event."""
        if until is not None:
            if not isinstance(until, Event):
                at = until if isinstance(until, int) else float(until)
                if at <= self.now:
                    raise ValueError(
                        f"until ({at}) must be greater than the current simulation time"
                    )
                until = Event(self)
                until._ok = True
                until._value = None
                self.schedule(until, URGENT, at - self.now)
            elif until.callbacks is None:
                return until.value
            until.callbacks.append(StopSimulation.callback)
        q, soon = self._queue, self._soon
        # What exists when the run starts (network, rows, incidents, config) lives through
        # it: frozen, a full collection during the run does not traverse all of it again.
        gc.freeze()
        try:
            if soon:
                self._spill()
            while q:
                # Environment.step, inlined
                self._now, _, _, event = heappop(q)
                if event.__class__ is tuple:  # a bare call
                    event[0](event)
                    if soon:
                        self._run_soon()
                    continue
                callbacks, event.callbacks = event.callbacks, None
                try:
                    for callback in callbacks:
                        callback(event)
                except StopSimulation:
                    event.callbacks = callbacks[callbacks.index(callback) + 1 :]
                    self.schedule(event, -1)  # type: ignore[arg-type]
                    raise
                if not event._ok and not hasattr(event, "_defused"):
                    exc = type(event._value)(*event._value.args)
                    exc.__cause__ = event._value
                    raise exc
                if soon:
                    self._run_soon()
        except StopSimulation as exc:
            return exc.args[0]
        finally:
            gc.unfreeze()
        if until is not None:
            assert not until.triggered
            raise RuntimeError(
                f'No scheduled events left but "until" event was not triggered: {until}'
            )
        return None


class World:
    """One replication's simulation state."""

    def __init__(self, network: RoadNetwork, streams: Streams, hubs: list[int]) -> None:
        self.env = Environment()
        self.net = network
        self.streams = streams
        self.log = EventLog()
        self.assets = Assets()
        self.hubs = hubs  # depots/bases: a town with no route from any hub is isolated
        self._subscribers: dict[type, list[Callable[[HazardEvent], None]]] = defaultdict(list)
        self._handlers: dict[type, list[Callable[[HazardEvent], None]]] = {}  # see publish

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
        call = (fn, arg)
        if urgent and delay == 0:
            env.call_soon(call)
        else:
            heappush(
                env._queue, (env._now + delay, URGENT if urgent else NORMAL, next(env._eid), call)
            )
        return call

    def subscribe(
        self, event_type: type, handler: Callable[[HazardEvent], None], first: bool = False
    ) -> None:
        """Call ``handler(event)`` for every published event that is an ``event_type``
        (``first``: before the handlers subscribed so far)."""
        subs = self._subscribers[event_type]
        if first:
            subs.insert(0, handler)
        else:
            subs.append(handler)
        self._handlers.clear()

    def publish(self, event: HazardEvent) -> None:
        """Deliver ``event`` to the handlers subscribed to its type or a base type."""
        handlers = self._handlers.get(type(event))
        if handlers is None:  # (an empty list is cached too: no subscriber for that type)
            handlers = self._handlers_of(type(event))
        for handler in handlers:
            handler(event)

    def _handlers_of(self, typ: type) -> list[Callable[[HazardEvent], None]]:
        """The handlers of events of type ``typ``: its own and its base types', in this order
        (cached per type until the next subscription)."""
        subs = self._subscribers
        handlers = self._handlers[typ] = [h for t in typ.__mro__ for h in subs.get(t, ())]
        return handlers

    def start_replay(self, events: list[HazardEvent] | tuple[HazardEvent, ...]) -> None:
        """Publish each hazard event at its time: ``env.process(self.replay(events))`` as a
        chain of calls (the same order of events, without a process resumed per event)."""
        todo = sorted(events, key=lambda e: e.t)
        self.call_in(0, self._replay_step, [todo, 0, False], urgent=True)

    def _replay_step(self, call: Call) -> None:
        state = call[1]
        todo, i, due = state
        env = self.env
        cached = self._handlers  # (cleared, not replaced, by subscribe)
        n = len(todo)
        while i < n:
            ev = todo[i]
            now = env._now
            if not due and ev.t > now:
                state[1], state[2] = i, True
                # call_in(ev.t - now, self._replay_step, state)
                heappush(env._queue, (now + (ev.t - now), NORMAL, next(env._eid), call))
                return
            due = False  # (woken for it: published even if the clock is a rounding short)
            handlers = cached.get(ev.__class__)
            if handlers is None:  # (an empty list is cached too)
                handlers = self._handlers_of(ev.__class__)
            for handler in handlers:
                handler(ev)  # (self.publish(ev), inlined: one call per incident less)
            i += 1

    def replay(self, events: list[HazardEvent] | tuple[HazardEvent, ...]):
        """SimPy process: publish each hazard event at its time (see :meth:`start_replay`)."""
        env = self.env
        for ev in sorted(events, key=lambda e: e.t):
            if ev.t > env.now:
                yield env.timeout(ev.t - env.now)
            self.publish(ev)
