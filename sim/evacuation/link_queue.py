"""Vehicles on roads with capacity: a link queue model in the spirit of MATSim's QSim.

Every directed road link is a first-in-first-out queue with three numbers (Gawron 1998;
Cetin, Burri & Nagel 2003; used for evacuation by Lämmel, Grether & Nagel 2010):

- free travel time ``length / speed`` (the network's ``edge_time_min``);
- flow capacity: vehicles per minute that can leave the link (``capacity_vph / 60``);
- storage capacity: vehicles the link can hold, ``length x lanes / vehicle length``.

What moves is a *platoon*: ``veh`` vehicles of one group that travel together. A platoon
may leave a link when (1) its head has covered the link at free speed, (2) the exit is free,
i.e. the previous platoon's tail has left (FIFO), and (3) the next link has room, otherwise
it waits and blocks the link behind it (spillback). Passing the exit takes ``veh / capacity``
minutes, so N vehicles released together through one bottleneck of capacity C clear it
N / C after the first arrives: clearance time = free travel time + N / C. A platoon blocked
longer than ``stuck_min`` enters the next link anyway (MATSim's stuck time), so gridlock
cannot last for ever. A platoon's tail lags its head when it entered spread out; the exit
time of the tail is ``max(tail + free time, head exit + veh / capacity)``, exact for a
uniform stream.

The event loop sees one SimPy timeout per link wake-up (a link schedules at most one at a
time), never a process per vehicle, and no networkx: routes are node lists from
:meth:`RoadNetwork.path` (precomputed shortest-path rows, cached per closure set). A
platoon whose next road has closed is rerouted from where it stands; platoons on a road
when it closes are caught there (the owner decides what that means).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import simpy

from sim.core.network import RoadNetwork

INF = math.inf
EPS = 1e-9


class PlatoonOwner(Protocol):
    """What a platoon's owner is told; every call happens at the current simulation time."""

    def arrived(self, p: Platoon) -> None: ...

    def caught(self, p: Platoon, edge: int) -> None: ...

    def stranded(self, p: Platoon, node: int) -> None: ...

    def passed(self, p: Platoon, node: int) -> None: ...


class Platoon:
    """A group of vehicles travelling together from ``route[0]`` to ``dest``."""

    __slots__ = (
        "id",
        "veh",
        "people",
        "route",
        "pos",
        "link",
        "dest",
        "ready",
        "tail_ready",
        "blocked_since",
        "entered",
        "owner",
        "data",
        "watch",
    )

    def __init__(self, pid: str, veh: int, people: int, owner: PlatoonOwner, data: Any = None):
        self.id = pid
        self.veh = max(int(veh), 1)
        self.people = int(people)
        self.owner = owner
        self.data = data
        self.route: list[int] = []
        self.pos = -1  # index in route of the node at the end of the current link
        self.link = -1
        self.dest = -1
        self.ready = 0.0  # when the head may leave the current link (free flow)
        self.tail_ready = 0.0
        self.blocked_since = -1.0
        self.entered = 0.0  # when the head entered the current link
        self.watch = False  # call owner.passed(p, node) at every node reached


class LinkQueue:
    """Directed links of a :class:`RoadNetwork` as FIFO queues with flow and storage limits.

    Link ``2e`` runs along edge ``e`` as stored (``net.edges[e] = (u, v)``: u -> v), link
    ``2e + 1`` the other way (undirected networks only). Links ``2E + n`` are the virtual
    origin queues of node ``n`` (no delay, no limits) where departing platoons wait their turn.
    """

    def __init__(
        self,
        env: simpy.Environment,
        net: RoadNetwork,
        vehicle_length_m: float = 7.5,
        lane_capacity_vph: float = 1800.0,
        stuck_min: float = 10.0,
        log_delay: Callable[[int, Platoon, float], None] | None = None,
    ) -> None:
        self.env = env
        self.net = net
        self.stuck_min = stuck_min
        self.log_delay = log_delay
        n_e = len(net.edges)
        self.n_edges = n_e
        n_l = 2 * n_e + net.n
        self.free = [0.0] * n_l
        self.cap = [INF] * n_l  # vehicles per minute
        self.storage = [INF] * n_l
        self.to_node = [0] * n_l
        self.edge_of = [-1] * n_l
        for e, (u, v) in enumerate(net.edges):
            cap_vph = float(net.edge_capacity_vph[e])
            lanes = max(1, round(cap_vph / lane_capacity_vph))
            store = max(1.0, float(net.edge_length_m[e]) * lanes / vehicle_length_m)
            for d, end in ((0, v), (1, u)):
                k = 2 * e + d
                self.free[k] = float(net.edge_time_min[e])
                self.cap[k] = cap_vph / 60.0
                self.storage[k] = store
                self.to_node[k] = end
                self.edge_of[k] = e
        for i in range(net.n):
            self.to_node[2 * n_e + i] = i
        self.queue: list[deque[Platoon]] = [deque() for _ in range(n_l)]
        self.occ = [0.0] * n_l  # vehicles on the link
        self.gate = [-INF] * n_l  # the exit is free from this time on
        self.wake = [INF] * n_l  # pending wake-up time
        self.blocked: list[list[int]] = [[] for _ in range(n_l)]  # upstream links waiting for room
        self.closed: set[int] = set(net.closed)
        self.peak_occ = [0.0] * n_l
        self._links: dict[tuple[int, int], int] = {}

    # ------------------------------------------------------------------ topology
    def link(self, u: int, v: int) -> int:
        """Directed link id from node ``u`` to node ``v``."""
        key = (u, v)
        k = self._links.get(key)
        if k is None:
            e = self.net.edge_id(u, v)
            k = 2 * e if self.net.edges[e][0] == u else 2 * e + 1
            self._links[key] = k
        return k

    def link_name(self, k: int) -> str:
        e = self.edge_of[k]
        if e < 0:
            return f"origin:{self.net.nodes[k - 2 * self.n_edges]}"
        u, v = self.net.edges[e]
        a, b = (u, v) if k % 2 == 0 else (v, u)
        return f"{self.net.nodes[a]}->{self.net.nodes[b]}"

    def free_time(self, route: list[int]) -> float:
        """Free-flow travel time along a node route (minutes)."""
        return sum(self.free[self.link(a, b)] for a, b in zip(route, route[1:], strict=False))

    # ------------------------------------------------------------------ moving
    def depart(self, p: Platoon, origin: int, dest: int, route: list[int] | None = None) -> bool:
        """Send ``p`` from ``origin`` to ``dest`` now; False if no open route exists."""
        if route is None:
            route = self.net.path(origin, dest) if origin != dest else [origin]
        if not route:
            return False
        p.route, p.dest, p.pos = route, dest, -1
        now = self.env.now
        self._enter(p, 2 * self.n_edges + origin, now, now)
        return True

    def _enter(self, p: Platoon, k: int, head: float, tail: float) -> None:
        p.link = k
        p.pos += 1
        p.entered = head
        p.ready = head + self.free[k]
        p.tail_ready = tail + self.free[k]
        occ = self.occ[k] + p.veh
        self.occ[k] = occ
        if occ > self.peak_occ[k]:
            self.peak_occ[k] = occ
        q = self.queue[k]
        q.append(p)
        if len(q) == 1:
            g = self.gate[k]
            self._wake_at(k, p.ready if p.ready > g else g)

    def _wake_at(self, k: int, t: float) -> None:
        if t < self.wake[k] - EPS:
            self.wake[k] = t
            ev = self.env.timeout(max(t - self.env.now, 0.0))
            ev.callbacks.append(lambda _ev, k=k, t=t: self._fire(k, t))

    def _fire(self, k: int, t: float) -> None:
        if self.wake[k] != t:
            return  # superseded by an earlier wake-up that already ran
        self.wake[k] = INF
        self._check(k)

    def _check(self, k: int) -> None:
        """Move platoons off link ``k`` while they may leave (called at the current time)."""
        env, q, now = self.env, self.queue[k], self.env.now
        while q:
            p = q[0]
            g = self.gate[k]
            t = p.ready if p.ready > g else g
            if t > now + EPS:
                self._wake_at(k, t)
                return
            node = p.route[p.pos]
            if p.watch:
                p.owner.passed(p, node)
            if p.pos == len(p.route) - 1:  # destination reached
                q.popleft()
                tail = self._release(k, p, now)
                p.link = -1
                ev = env.timeout(max(tail - now, 0.0))
                ev.callbacks.append(lambda _ev, p=p: p.owner.arrived(p))
                continue
            nxt = self.link(node, p.route[p.pos + 1])
            if self.edge_of[nxt] in self.closed:
                route = self.net.path(node, p.dest)
                if not route:
                    q.popleft()
                    self._release(k, p, now)
                    p.link = -1
                    p.owner.stranded(p, node)
                    continue
                p.route, p.pos = route, 0
                nxt = self.link(node, route[1])
            if self.occ[nxt] > 0 and self.occ[nxt] + p.veh > self.storage[nxt] + EPS:
                if p.blocked_since < 0:
                    p.blocked_since = now
                if now - p.blocked_since < self.stuck_min - EPS:
                    if k not in self.blocked[nxt]:
                        self.blocked[nxt].append(k)
                    self._wake_at(k, p.blocked_since + self.stuck_min)
                    return
            p.blocked_since = -1.0
            q.popleft()
            tail = self._release(k, p, now)
            self._enter(p, nxt, now, tail)

    def _release(self, k: int, p: Platoon, now: float) -> float:
        """``p`` leaves link ``k`` now: exit gate, occupancy, delay record; tail exit time."""
        tail = now + p.veh / self.cap[k]
        if p.tail_ready > tail:
            tail = p.tail_ready
        self.gate[k] = tail
        self.occ[k] -= p.veh
        delay = now - p.ready
        if self.log_delay is not None and delay > 0.5 and self.edge_of[k] >= 0:
            self.log_delay(k, p, delay)
        if self.blocked[k]:
            waiting, self.blocked[k] = self.blocked[k], []
            for u in waiting:
                self._wake_at(u, now)
        return tail

    # ------------------------------------------------------------------ hazards
    def roads_changed(self) -> list[tuple[Platoon, int]]:
        """Sync with the network's closures; platoons on newly closed roads are caught.

        Returns the caught platoons (each with its edge) after telling their owners.
        """
        now_closed = set(self.net.closed)
        caught: list[tuple[Platoon, int]] = []
        for e in sorted(now_closed - self.closed):
            for k in (2 * e, 2 * e + 1):
                q = self.queue[k]
                while q:
                    p = q.popleft()
                    p.link = -1
                    caught.append((p, e))
                self.occ[k] = 0.0
                if self.blocked[k]:
                    waiting, self.blocked[k] = self.blocked[k], []
                    for u in waiting:
                        self._wake_at(u, self.env.now)  # they reroute
        self.closed = now_closed
        for p, e in caught:
            p.owner.caught(p, e)
        return caught

    def drain_origin(self, node: int) -> list[Platoon]:
        """Remove and return the platoons still waiting to leave ``node``."""
        k = 2 * self.n_edges + node
        q = self.queue[k]
        out = list(q)
        q.clear()
        self.occ[k] = 0.0
        for p in out:
            p.link = -1
        return out
