"""How teams get to a place: by road, on foot over blocked roads, by boat, by air.

- road: shortest open-road time (:class:`~sim.core.network.RoadNetwork`, cached per closure set);
- foot: drive the open roads and walk the blocked ones at ``walk_kmh``; a road under water
  (a closure whose cause mentions flooding or a lake) cannot be walked;
- water: drive (or walk) to a water node, then boat along the river to the destination,
  which must be a water node as well;
- air: straight line from the team's position at ``air_kmh`` plus a fixed overhead; no
  take-offs between ``air_night_start_h`` and ``air_night_end_h`` nor during a storm's
  impact window (teams waiting for a flight are woken when flying resumes).

A land trip from a node to the same node (a scene in the team's own town) takes
``local_min``: driving within the town or street.

A team uses the fastest of its modes. Trips are planned at departure. The router keeps its
own shortest-path rows per *closure state*, so the route of a trip planned under an older
state can be rebuilt later to find where a team is when a road on its way closes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from sim.config import AccessConfig
from sim.core.events import RoadClosure
from sim.core.network import EARTH_RADIUS_M, RoadNetwork
from sim.core.world import World

FLOOD_WORDS = ("flood", "inundat", "lake", "洪", "淹")
# closures that cannot be crossed on foot: under water, or a chemical cordon
IMPASSABLE_WORDS = (*FLOOD_WORDS, "cordon", "hazmat", "chemical")

ROAD, FOOT, WALK = "road", "foot", "walk"  # land route kinds (walk: a team without vehicles)
OPEN: tuple = (frozenset(), frozenset())  # closure state with every road open


def is_flood(cause: str) -> bool:
    """Whether a closure cause means the road is under water (not passable on foot)."""
    c = cause.lower()
    return any(w in c for w in FLOOD_WORDS)


def is_impassable(cause: str) -> bool:
    """Whether a closed road cannot be walked (flooded, lake, chemical cordon)."""
    c = cause.lower()
    return any(w in c for w in IMPASSABLE_WORDS)


@dataclass
class Plan:
    """A planned trip: ``land`` leg on the road network, then an optional boat or air leg."""

    minutes: float
    mode: str  # road | foot | walk | water | air
    land_kind: str  # route kind of the land leg (road/foot/walk), '' if none
    land_to: int  # node where the land leg ends (== dest unless by water)
    land_min: float  # duration of the land leg
    key: tuple  # closure state the plan was made under
    origin: int = -1
    dest: int = -1
    t: float = math.nan  # when it was planned


class Router:
    """Travel times and routes for every mode, aware of closed and flooded roads."""

    def __init__(self, world: World, cfg: AccessConfig) -> None:
        self.world = world
        self.net: RoadNetwork = world.net
        self.cfg = cfg
        net = self.net
        self.flooded: dict[int, int] = {}  # edge -> active flood closures on it
        self._cache: dict[tuple, dict] = {}
        lat = np.radians(np.asarray(net.node_attr["lat"], dtype=float))
        lon = np.radians(np.asarray(net.node_attr["lon"], dtype=float))
        self._lat, self._lon = lat, lon
        self.water = np.zeros(net.n, dtype=bool)
        for i, w in enumerate(cfg.water_nodes):
            self.water[net.idx(w, f"layout.rescue.access.water_nodes[{i}]")] = True
        self.water_idx = np.flatnonzero(self.water)
        self.walk_min_per_m = 60.0 / (cfg.walk_kmh * 1000.0)
        # handled before RoadState closes the road, so that the network-change listeners
        # called by RoadState already see the road as impassable on foot
        world._subscribers[RoadClosure].insert(0, self._on_closure)
        self.listeners: list = []  # called after the flooded set changed
        self.start_hour = 8.0  # clock hour at t = 0 (set by attach)
        self.no_fly: list[tuple[float, float]] = []  # storm impact windows [t0, t1) in minutes
        self._wake_at = math.nan  # pending wake-up when flying resumes

    # ------------------------------------------------------------- flying
    def _night(self, t: float) -> float:
        """Minutes from ``t`` to the end of the night, 0 if ``t`` is not at night."""
        s, e = self.cfg.air_night_start_h, self.cfg.air_night_end_h
        if s == e:
            return 0.0
        h = (self.start_hour + t / 60.0) % 24.0
        night = (s <= h or h < e) if s > e else (s <= h < e)
        return ((e - h) % 24.0) * 60.0 if night else 0.0

    def flying_resumes(self, t: float) -> float:
        """The first time at or after ``t`` when helicopters may take off."""
        for _ in range(4 + 2 * len(self.no_fly)):
            t0 = t
            for a, b in self.no_fly:
                if a <= t < b:
                    t = b
            t += self._night(t)
            if t == t0:
                break
        return t

    def grounded(self) -> bool:
        """Whether helicopters cannot take off now (wakes the listeners when they can)."""
        now = self.world.env.now
        t = self.flying_resumes(now)
        if t <= now:
            return False
        if not (now <= self._wake_at <= t):
            self._wake_at = t
            ev = self.world.env.timeout(t - now)
            ev.callbacks.append(lambda _e: self._resume(t))
        return True

    def _resume(self, t: float) -> None:
        if self._wake_at == t:
            self._wake_at = math.nan
            for fn in self.listeners:
                fn()

    # ------------------------------------------------------------- flood state
    def _on_closure(self, ev: RoadClosure) -> None:
        if not is_impassable(ev.cause):
            return
        e = self.net.edge_id(ev.u, ev.v, field_name=f"{ev.hazard} road closure")
        self.flooded[e] = self.flooded.get(e, 0) + 1
        if math.isfinite(ev.clear_min):
            self.world.env.process(self._unflood_after(e, ev.clear_min))
        for fn in self.listeners:
            fn()

    def _unflood_after(self, e: int, minutes: float):
        env = self.world.env
        yield env.timeout(minutes)
        yield env.timeout(0.0)  # after RoadState reopens the road at the same instant
        n = self.flooded.get(e, 0) - 1
        if n <= 0:
            self.flooded.pop(e, None)
        else:
            self.flooded[e] = n
        if n <= 0 and e in self.net._closed:  # still closed (another cause): walkable now
            for fn in self.listeners:
                fn()

    def key(self) -> tuple:
        """The current closure state: (closed edges, flooded edges)."""
        if not self.net._closed:
            return OPEN
        closed = self.net.closed
        return (closed, frozenset(e for e in self.flooded if e in closed))

    # ------------------------------------------------------------- matrices
    def _state(self, key: tuple) -> dict:
        st = self._cache.get(key)
        if st is None:
            if len(self._cache) > 64:
                self._cache.clear()
            st = self._cache[key] = {"rows": {}, "mats": {}}
        return st

    def _matrix(self, key: tuple, kind: str) -> csr_matrix:
        st = self._state(key)
        m = st["mats"].get(kind)
        if m is not None:
            return m
        net = self.net
        closed, flooded = key
        n_e = len(net.edges)
        w = net.edge_time_min.copy()
        keep = np.ones(n_e, dtype=bool)
        if kind == ROAD:
            if closed:
                keep[list(closed)] = False
        elif kind == FOOT:
            if closed:
                idx = np.array(sorted(closed), dtype=np.int64)
                w[idx] = net.edge_length_m[idx] * self.walk_min_per_m
            if flooded:
                keep[list(flooded)] = False
        else:  # WALK: every road on foot
            w = net.edge_length_m * self.walk_min_per_m
            if flooded:
                keep[list(flooded)] = False
        u, v, w = net.edge_u[keep], net.edge_v[keep], w[keep]
        if not net.directed:
            u, v, w = np.concatenate([u, v]), np.concatenate([v, u]), np.concatenate([w, w])
        m = st["mats"][kind] = csr_matrix((w, (u, v)), shape=(net.n, net.n))
        return m

    def row_to(self, kind: str, dest: int, key: tuple | None = None) -> np.ndarray:
        """Minutes from every node to ``dest`` by land route ``kind`` (inf: cut off)."""
        key = self.key() if key is None else key
        if key is OPEN or not key[0]:
            if kind != WALK:
                return self.net.times_to(dest)  # nothing blocked: foot == road
        elif kind == ROAD and key == self.key():
            return self.net.times_to(dest)
        rows = self._state(key)["rows"]
        r = rows.get((kind, "to", dest))
        if r is None:
            m = self._matrix(key, kind)
            r = dijkstra(m if not self.net.directed else m.T.tocsr(), indices=dest)
            rows[(kind, "to", dest)] = r
        return r

    def route(self, kind: str, origin: int, dest: int, key: tuple) -> tuple[list[int], np.ndarray]:
        """Nodes of the shortest ``kind`` route under ``key`` and the minutes to reach each."""
        rows = self._state(key)["rows"]
        got = rows.get((kind, "from", origin))
        if got is None:
            got = dijkstra(self._matrix(key, kind), indices=origin, return_predecessors=True)
            rows[(kind, "from", origin)] = got
        dist, pred = got
        if not math.isfinite(dist[dest]):
            return [], np.empty(0)
        nodes = [dest]
        while nodes[-1] != origin:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        return nodes, dist[nodes]

    def passable(self, kind: str, e: int) -> bool:
        """Can a ``kind`` route use road ``e`` now?"""
        if e not in self.net._closed:
            return True
        return kind != ROAD and self.flooded.get(e, 0) <= 0

    # ------------------------------------------------------------- times by mode
    def gc_min(self, a: np.ndarray | int, b: int, kmh: float) -> np.ndarray:
        """Straight-line minutes from node(s) ``a`` to node ``b`` at ``kmh``."""
        p1, p2 = self._lat[a], self._lat[b]
        dl = self._lon[b] - self._lon[a]
        h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
        d_km = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h))) / 1000.0
        return d_km / kmh * 60.0

    def air_min(self, loc: np.ndarray, dest: int) -> np.ndarray:
        if self.grounded():
            return np.full(np.shape(loc), np.inf)
        return self.gc_min(loc, dest, self.cfg.air_kmh) + self.cfg.air_overhead_min

    def boat_leg(self, dest: int) -> np.ndarray:
        """Minutes by boat from each water node (``water_idx`` order) to ``dest``."""
        c = self.cfg
        return self.gc_min(self.water_idx, dest, c.boat_kmh / c.river_sinuosity) + c.boat_launch_min

    def water_min(self, loc: np.ndarray, land_kind: np.ndarray, dest: int) -> np.ndarray:
        """Land to the best water node, then boat to ``dest`` (inf if ``dest`` is not on water)."""
        out = np.full(len(loc), np.inf)
        if not self.water[dest] or self.water_idx.size == 0:
            return out
        boat = self.boat_leg(dest)
        for j, w in enumerate(self.water_idx):
            for kind in (ROAD, FOOT, WALK):
                sel = land_kind == kind
                if sel.any():
                    t = self.row_to(kind, int(w))[loc[sel]] + boat[j]
                    out[sel] = np.minimum(out[sel], t)
        return out

    def plan(self, loc: int, dest: int, modes: frozenset[str], vehicles: int) -> Plan | None:
        """The fastest way from node ``loc`` to ``dest`` with the team's modes (None: none)."""
        key = self.key()
        land = WALK if vehicles == 0 else (FOOT if "foot" in modes else ROAD)
        best: Plan | None = None
        if "road" in modes or "foot" in modes or vehicles == 0:
            t = float(self.row_to(land, dest, key)[loc])
            if loc == dest:
                t += self.cfg.local_min
            if math.isfinite(t):
                mode = land
                if land == FOOT and (key is OPEN or t >= self.row_to(ROAD, dest)[loc]):
                    mode = ROAD  # nothing walked: a plain road trip
                best = Plan(t, mode, land, dest, t, key)
        if "air" in modes:
            t = float(self.air_min(np.array([loc]), dest)[0])
            if math.isfinite(t) and (best is None or t < best.minutes):
                best = Plan(t, "air", "", loc, 0.0, key)
        if "water" in modes and self.water[dest] and self.water_idx.size:
            boat = self.boat_leg(dest)
            for j, w in enumerate(self.water_idx):
                t_land = float(self.row_to(land, int(w), key)[loc])
                t = t_land + float(boat[j])
                if math.isfinite(t) and (best is None or t < best.minutes):
                    best = Plan(t, "water", land, int(w), t_land, key)
        if best is not None:
            best.origin, best.dest, best.t = loc, dest, self.world.env.now
        return best
