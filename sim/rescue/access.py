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

import itertools
import math
from collections import OrderedDict

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from sim.config import AccessConfig
from sim.core.events import RoadClosure
from sim.core.network import EARTH_RADIUS_M, RoadNetwork, RowCache
from sim.core.world import World

FLOOD_WORDS = ("flood", "inundat", "lake", "洪", "淹")
# closures that cannot be crossed on foot: under water, or a chemical cordon
IMPASSABLE_WORDS = (*FLOOD_WORDS, "cordon", "hazmat", "chemical")

ROAD, FOOT, WALK = "road", "foot", "walk"  # land route kinds (walk: a team without vehicles)
OPEN: tuple = (frozenset(), frozenset())  # closure state with every road open
ROUTE_CACHE_SIZE = 100_000  # routes (node lists) kept before the cache starts afresh


def is_flood(cause: str) -> bool:
    """Whether a closure cause means the road is under water (not passable on foot)."""
    c = cause.lower()
    return any(w in c for w in FLOOD_WORDS)


def is_impassable(cause: str) -> bool:
    """Whether a closed road cannot be walked (flooded, lake, chemical cordon)."""
    c = cause.lower()
    return any(w in c for w in IMPASSABLE_WORDS)


class Plan:
    """A planned trip: ``land`` leg on the road network, then an optional boat or air leg.

    ``minutes`` in all; ``mode`` road | foot | walk | water | air; ``land_kind`` the route
    kind of the land leg ('' if none), ending at ``land_to`` (== dest unless by water) after
    ``land_min``; ``key`` the closure state it was made under, at time ``t``.
    """

    __slots__ = (
        "minutes",
        "mode",
        "land_kind",
        "land_to",
        "land_min",
        "key",
        "origin",
        "dest",
        "t",
    )

    def __init__(
        self,
        minutes: float,
        mode: str,
        land_kind: str,
        land_to: int,
        land_min: float,
        key: tuple,
        origin: int = -1,
        dest: int = -1,
        t: float = math.nan,
    ) -> None:
        self.minutes = minutes
        self.mode = mode
        self.land_kind = land_kind
        self.land_to = land_to
        self.land_min = land_min
        self.key = key
        self.origin = origin
        self.dest = dest
        self.t = t

    def __repr__(self) -> str:
        return f"Plan({self.mode} {self.origin}->{self.dest} {self.minutes:.1f} min)"


class _Counts(dict):
    """``edge -> active closures``, with a version bumped on every change (keys cache on it)."""

    __slots__ = ("version",)

    def __init__(self) -> None:
        super().__init__()
        self.version = 0

    def __setitem__(self, k, v) -> None:
        super().__setitem__(k, v)
        self.version += 1

    def __delitem__(self, k) -> None:
        super().__delitem__(k)
        self.version += 1

    def pop(self, *args):
        self.version += 1
        return super().pop(*args)

    def clear(self) -> None:
        super().clear()
        self.version += 1

    def update(self, *args, **kw) -> None:
        super().update(*args, **kw)
        self.version += 1

    def setdefault(self, k, default=None):
        self.version += 1
        return super().setdefault(k, default)

    def popitem(self):
        self.version += 1
        return super().popitem()


_key_ids = itertools.count()


class Router:
    """Travel times and routes for every mode, aware of closed and flooded roads."""

    def __init__(self, world: World, cfg: AccessConfig) -> None:
        self.world = world
        self.net: RoadNetwork = world.net
        self.cfg = cfg
        net = self.net
        self.flooded: dict[int, int] = _Counts()  # edge -> active flood closures on it
        # closure state -> {"uid", "mats", "labels"}; rows of all states in one RowCache
        self._cache: OrderedDict[tuple, dict] = OrderedDict()
        self.rows = RowCache(net.rows.max_bytes // 2)
        self._key: tuple = OPEN
        self._key_v: tuple = (-1, -1)
        self._routes: dict[tuple, tuple[list[int], list[float]]] = {}  # see route()
        self._profiles: dict[tuple, tuple[str, bool, bool, bool]] = {}  # see _profile()
        self._air: dict[tuple[int, int], float] = {}  # (from, to) -> helicopter minutes
        self._boat: dict[int, np.ndarray] = {}  # dest -> boat minutes from each water node
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
        world.subscribe(RoadClosure, self._on_closure, first=True)
        self.listeners: list = []  # called after the flooded set changed
        self.start_hour = 8.0  # clock hour at t = 0 (set by attach)
        self.no_fly: list[tuple[float, float]] = []  # storm impact windows [t0, t1) in minutes
        self._wake_at = math.nan  # pending wake-up when flying resumes
        self._fly_ok = (math.inf, -math.inf, -1)  # (from, until, len(no_fly)): flights allowed
        self._grounded_at = (math.nan, False)  # last (time, answer) of grounded()

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

    def _next_grounding(self, t: float) -> float:
        """A time before which helicopters may fly from ``t`` on (a little early, to be safe
        from rounding: the exact rule is applied from then on)."""
        out = math.inf
        s = self.cfg.air_night_start_h
        if s != self.cfg.air_night_end_h:
            h = (self.start_hour + t / 60.0) % 24.0
            out = t + ((s - h) % 24.0) * 60.0
        for a, _ in self.no_fly:
            if a > t:
                out = min(out, a)
        return out - 1e-6

    def grounded(self) -> bool:
        """Whether helicopters cannot take off now (wakes the listeners when they can)."""
        now = self.world.env.now
        lo, hi, n = self._fly_ok
        if lo <= now < hi and n == len(self.no_fly):
            return False  # inside a stretch of flying time found before (no side effects)
        if self._grounded_at[0] == now and n == len(self.no_fly):
            return self._grounded_at[1]  # asked again at the same instant: same answer
        t = self.flying_resumes(now)
        if t <= now:
            self._fly_ok = (now, self._next_grounding(now), len(self.no_fly))
            return False
        self._grounded_at = (now, True)
        self._fly_ok = (math.inf, -math.inf, len(self.no_fly))
        if not (now <= self._wake_at <= t):
            self._wake_at = t
            self.world.call_in(t - now, self._resume_call, t)
        return True

    def _resume_call(self, call) -> None:
        self._resume(call[1])

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
        net = self.net
        if not net._closed:
            return OPEN
        v = (net.closure_version, self.flooded.version)
        if v != self._key_v:
            closed = net.closed
            self._key = (closed, frozenset(e for e in self.flooded if e in closed))
            self._key_v = v
        return self._key

    # ------------------------------------------------------------- matrices
    def _state(self, key: tuple) -> dict:
        st = self._cache.get(key)
        if st is None:
            if len(self._cache) > 64:
                self._cache.popitem(last=False)
            st = self._cache[key] = {"uid": next(_key_ids), "mats": {}, "labels": {}}
        else:
            self._cache.move_to_end(key)
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
        if key is None:
            if not self.net._closed and kind != WALK:
                return self.net.times_to(dest)  # nothing blocked: foot == road
            key = self.key()
        if key is OPEN or not key[0]:
            if kind != WALK:
                return self.net.times_to(dest)  # nothing blocked: foot == road
        elif kind == ROAD and key == self.key():
            return self.net.times_to(dest)
        st = self._state(key)
        rk = (st["uid"], kind, "to", dest)
        r = self.rows.get(rk)
        if r is None:
            m = self._matrix(key, kind)
            r = dijkstra(m if not self.net.directed else m.T.tocsr(), indices=dest)
            self.rows.put(rk, r)
        return r

    def labels(self, kind: str) -> list[int] | None:
        """Connected component of every node by land route ``kind`` under the current
        closures (weakly connected on a directed network); None while every road is open
        (the network is connected: checked when loaded)."""
        if not self.net._closed:
            return None
        key = self.key()
        labels = self._state(key)["labels"]
        lab = labels.get(kind)
        if lab is None:
            m = self._matrix(key, kind)
            _, arr = connected_components(m, directed=self.net.directed, connection="weak")
            labels[kind] = lab = arr.tolist()
            labels[(kind, "water")] = {lab[w] for w in self.water_idx.tolist()}
        return lab

    def water_labels(self, kind: str) -> set[int]:
        """Components (see :meth:`labels`) that hold a water node (a boat can be launched)."""
        self.labels(kind)
        return self._state(self.key())["labels"][(kind, "water")]

    def reach(self, kind: str, a: int, b: int) -> bool:
        """Whether node ``b`` can be reached from ``a`` by land route ``kind`` now (the same
        answer as a finite ``row_to(kind, b)[a]``, from connected components)."""
        lab = self.labels(kind)
        if lab is None:
            return True
        if lab[a] != lab[b]:
            return False
        return not self.net.directed or math.isfinite(self.row_to(kind, b)[a])

    def reach_sig(self, loc: int, modes: frozenset[str], vehicles: int) -> tuple | None:
        """What decides where a team at ``loc`` can go now: two teams with the same answer
        reach the same nodes (:meth:`reaches`). None on a directed network (components do
        not decide it there)."""
        if self.net.directed:
            return None
        land, has_land, air, water = self._profile(modes, vehicles)
        lab = self.labels(land) if has_land or water else None
        here = -1 if lab is None else lab[loc]
        return (
            land if has_land else None,
            here,
            air and not self.grounded(),
            water and self.water_idx.size > 0 and (lab is None or here in self.water_labels(land)),
        )

    def reaches(self, sig: tuple, dest: int) -> bool:
        """Whether a team with reach signature ``sig`` can get to ``dest`` (as can_reach)."""
        land, here, air_ok, boat_ok = sig
        if land is not None:
            lab = self.labels(land)
            if lab is None or lab[dest] == here:
                return True
        return air_ok or (boat_ok and bool(self.water[dest]))

    def route(self, kind: str, origin: int, dest: int, key: tuple) -> tuple[list[int], list[float]]:
        """Nodes of the shortest ``kind`` route under ``key`` and the minutes to reach each
        (cached: teams on the same road home are rerouted many times)."""
        if key is OPEN and kind != WALK:
            # every road open (the usual case: a team re-tasked on its way home): cached by
            # kind and end nodes, without looking up the closure state
            rk: tuple = (kind, origin, dest)
            got = self._routes.get(rk)
            if got is not None:
                return got
            # the network's own tree from there (the same matrix, so the same arrays;
            # shared by replications and with the network's rows)
            tree = self.net.open_tree(origin)
        else:
            st = self._state(key)
            rk = (st["uid"], kind, origin, dest)
            got = self._routes.get(rk)
            if got is not None:
                return got
            fk = (st["uid"], kind, "from", origin)
            tree = self.rows.get(fk)
            if tree is None:
                tree = dijkstra(self._matrix(key, kind), indices=origin, return_predecessors=True)
                self.rows.put(fk, tree)
        dist, pred = tree
        if not math.isfinite(dist[dest]):
            got = ([], [])
        else:
            nodes = [dest]
            while nodes[-1] != origin:
                nodes.append(int(pred[nodes[-1]]))
            nodes.reverse()
            got = (nodes, dist[nodes].tolist())
        if len(self._routes) >= ROUTE_CACHE_SIZE:
            self._routes.clear()
        self._routes[rk] = got
        return got

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

    def air_time(self, loc: int, dest: int) -> float:
        """Helicopter minutes from ``loc`` to ``dest`` if flying were allowed (cached; the
        same number as :meth:`air_min`, which is elementwise)."""
        t = self._air.get((loc, dest))
        if t is None:
            one = np.array([loc])
            t = float((self.gc_min(one, dest, self.cfg.air_kmh) + self.cfg.air_overhead_min)[0])
            self._air[(loc, dest)] = t
        return t

    def boat_leg(self, dest: int) -> np.ndarray:
        """Minutes by boat from each water node (``water_idx`` order) to ``dest``."""
        b = self._boat.get(dest)
        if b is None:
            c = self.cfg
            kmh = c.boat_kmh / c.river_sinuosity
            b = self._boat[dest] = self.gc_min(self.water_idx, dest, kmh) + c.boat_launch_min
        return b

    def water_time(self, loc: int, kind: str, dest: int) -> float:
        """Land (``kind``) to the best water node, then boat to ``dest`` (one team's entry of
        :meth:`water_min`; inf if ``dest`` is not on water)."""
        out = math.inf
        if not self.water[dest] or self.water_idx.size == 0:
            return out
        boat = self.boat_leg(dest)
        for j, w in enumerate(self.water_idx.tolist()):
            t = self.row_to(kind, w)[loc] + boat[j]
            if t < out:
                out = t
        return float(out)

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

    def _profile(self, modes: frozenset[str], vehicles: int) -> tuple[str, bool, bool, bool]:
        """(land route kind, has a land mode, can fly, can boat) of a team."""
        prof = self._profiles.get((modes, vehicles))
        if prof is None:
            land = WALK if vehicles == 0 else (FOOT if "foot" in modes else ROAD)
            has_land = "road" in modes or "foot" in modes or vehicles == 0
            prof = (land, has_land, "air" in modes, "water" in modes)
            self._profiles[(modes, vehicles)] = prof
        return prof

    def plan(self, loc: int, dest: int, modes: frozenset[str], vehicles: int) -> Plan | None:
        """The fastest way from node ``loc`` to ``dest`` with the team's modes (None: none)."""
        key = OPEN if not self.net._closed else self.key()
        prof = self._profiles.get((modes, vehicles))
        land, has_land, air, water = prof or self._profile(modes, vehicles)
        best: Plan | None = None
        now = self.world.env._now
        if has_land:
            if key is OPEN and land != WALK:
                t = float(self.net.times_to(dest)[loc])  # (what row_to gives for OPEN)
            else:
                t = float(self.row_to(land, dest, key)[loc])
            if loc == dest:
                t += self.cfg.local_min
            if t < math.inf:
                mode = land
                if land == FOOT and (key is OPEN or t >= self.row_to(ROAD, dest)[loc]):
                    mode = ROAD  # nothing walked: a plain road trip
                best = Plan(t, mode, land, dest, t, key, loc, dest, now)
                if not air and not water:
                    return best
        if air and not self.grounded():
            t = self.air_time(loc, dest)
            if math.isfinite(t) and (best is None or t < best.minutes):
                best = Plan(t, "air", "", loc, 0.0, key)
        if water and self.water[dest] and self.water_idx.size:
            boat = self.boat_leg(dest).tolist()
            for j, w in enumerate(self.water_idx.tolist()):
                t_land = float(self.row_to(land, w, key)[loc])
                t = t_land + boat[j]
                if math.isfinite(t) and (best is None or t < best.minutes):
                    best = Plan(t, "water", land, int(w), t_land, key)
        if best is not None:
            best.origin, best.dest, best.t = loc, dest, now
        return best

    def can_reach(
        self,
        loc: int,
        dest: int,
        modes: frozenset[str],
        vehicles: int,
        despite_grounding: bool = False,
    ) -> bool:
        """Whether :meth:`plan` would find a way (without planning; same side effects).

        ``despite_grounding``: a helicopter counts as able to go while flights are suspended
        (night, a storm's impact window), which ends; then the grounding is not checked.
        """
        land, has_land, air, water = self._profile(modes, vehicles)
        if has_land and self.reach(land, loc, dest):
            return True
        if air and (despite_grounding or not self.grounded()):
            return True
        if water and self.water[dest] and self.water_idx.size:
            return any(self.reach(land, loc, w) for w in self.water_idx.tolist())
        return False
