"""Road network: load and validate, travel times with closures, isolation.

The event loop never touches networkx: a :class:`RoadNetwork` turns the graph into index
arrays once, and answers travel-time questions from shortest-path rows computed with
``scipy.sparse.csgraph.dijkstra``. Rows are cached per *set of closed roads*, so closing a
road and reopening it brings back the cached answers without recomputation.

Memory is bounded: rows live in one least-recently-used :class:`RowCache` with a byte budget
(:data:`ROW_CACHE_BYTES`), shared by the fresh copies a run makes for its replications (a
row depends only on the network and the closed roads, never on the replication), and the
sparse matrices of at most :data:`_CACHE_SIZE` closure sets are kept. A row is only ever
computed in one way (a Dijkstra rooted at the node it is asked for), so an evicted row comes
back bit for bit the same.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from sim.core.errors import NetworkError

NODE_ATTRS: dict[str, type] = {
    "kind": str,
    "name_zh": str,
    "name_en": str,
    "lat": float,
    "lon": float,
    "population": int,
}
EDGE_ATTRS: dict[str, type] = {
    "length_m": float,
    "speed_kmh": float,
    "road_class": str,
    "capacity_vph": float,
}
ROAD_CLASSES = ("expressway", "national", "provincial", "county", "local")
# every kind of node the modules read (networks/README.md): a misspelt kind would drop a town
# from every count without a word
NODE_KINDS = (
    "street",
    "town",
    "township",
    "depot",
    "fire_station",
    "regional_centre",
    "forest_zone",
    "junction",
    "wharf",
    "landing_zone",
    "air_base",
    "hospital",  # (python -m sim.district new: OSM amenities)
    "school",
)
# optional numbers of a node, each finite and >= 0 where given
NODE_AMOUNTS = ("walk_in_m", "forest_area_ha")
# ASSUMPTION: as MAX_MAGNITUDE of the configs (sim/config/checks.py): no district has a
# billion residents; more is a typo, and the incident draws would run for hours
MAX_PEOPLE = 1_000_000_000
# Plausibility limits used to catch unit mistakes (km given as m, m/s or mph given as km/h).
MAX_SPEED_KMH = 150.0
# A road cannot be shorter than the straight line between its ends (small slack for rounding).
STRAIGHT_LINE_SLACK = 0.9
EARTH_RADIUS_M = 6_371_008.8

_CACHE_SIZE = 64  # sparse matrices of this many closure sets are kept
# ASSUMPTION: 256 MB of shortest-path rows per network (1,600 full rows of a 20,000-node
# network, every row of a district network); a run stays well under 1 GB with it.
ROW_CACHE_BYTES = 256 * 2**20

_state_ids = itertools.count()  # unique id of each closure state (keys its rows)
_LOADED: OrderedDict[tuple, RoadNetwork] = OrderedDict()  # see RoadNetwork.load
_LOADED_MAX = 4


class RowCache:
    """Arrays by key up to ``max_bytes`` in total; the least recently used go first."""

    def __init__(self, max_bytes: int = ROW_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.evictions = 0
        self._d: OrderedDict[Hashable, tuple] = OrderedDict()

    def get(self, key: Hashable):
        """The value stored under ``key`` (now the most recently used), or None."""
        v = self._d.get(key)
        if v is not None:
            self._d.move_to_end(key)
        return v

    def put(self, key: Hashable, value) -> None:
        """Store ``value`` (an array or a tuple of arrays), evicting old entries to fit."""
        nbytes = sum(a.nbytes for a in value) if isinstance(value, tuple) else value.nbytes
        old = self._d.pop(key, None)
        if old is not None:
            self.bytes -= _nbytes(old)
        self._d[key] = value
        self.bytes += nbytes
        while self.bytes > self.max_bytes and len(self._d) > 1:
            _, v = self._d.popitem(last=False)
            self.bytes -= _nbytes(v)
            self.evictions += 1

    def __len__(self) -> int:
        return len(self._d)


def _nbytes(value) -> int:
    return sum(a.nbytes for a in value) if isinstance(value, tuple) else value.nbytes


@dataclass(eq=False)
class _ClosureState:
    """The sparse matrices of one set of closed roads; its rows are in the RowCache."""

    forward: csr_matrix
    backward: csr_matrix | None  # None for undirected networks (times_to == times_from)
    uid: int = -1


def census_scaled(population: np.ndarray, total: object) -> np.ndarray:
    """Node populations scaled to the district's census total, in whole people.

    The gazetteer's town figures mix census years and registered counts (networks/README.md,
    "Populations (mixed years!)"): their sum is 110% of Bishan's 2020 census total, 139% of
    Fengdu's and 80% of Beibei's. Used as they are, a district would warn more residents than
    it has, and every rate per 100,000 residents would be off by that factor. So they are
    taken as weights and scaled to the graph's ``population_total`` (largest remainders: the
    sum is the total exactly). A graph without a total, or whose towns already sum to it
    (a district built by ``python -m sim.district new``), is left as it is.
    """
    try:
        target = int(total) if total is not None else 0
    except (TypeError, ValueError):
        target = 0
    have = int(population.sum())
    if target <= 0 or have <= 0 or have == target:
        return population
    exact = population.astype(float) * (target / have)
    whole = np.floor(exact).astype(np.int64)
    short = target - int(whole.sum())
    if short > 0:  # the largest fractions get one more person each (ties: the lower index)
        order = np.lexsort((np.arange(len(exact)), -(exact - whole)))
        whole[order[:short]] += 1
    return whole


class RoadNetwork:
    """A validated road network with cached travel-time queries.

    Nodes are addressed by their string id in config and by an integer index inside the
    simulation (``idx``). Undirected graphs give two-way roads; a directed graph (e.g. from
    OpenStreetMap) keeps one-way streets. Closing a road closes both directions.
    """

    def __init__(self, graph: nx.Graph, source: str = "<graph>") -> None:
        validate_graph(graph, source)
        self.graph = graph
        self.source = source
        self.directed = graph.is_directed()
        self.nodes: list[str] = [str(n) for n in graph.nodes]
        self.index: dict[str, int] = {n: i for i, n in enumerate(self.nodes)}
        self.n = len(self.nodes)
        self.node_attr: dict[str, list] = {
            a: [graph.nodes[n].get(a) for n in graph.nodes] for a in NODE_ATTRS
        }
        self.population = census_scaled(
            np.asarray(self.node_attr["population"], dtype=np.int64),
            graph.graph.get("population_total"),
        )

        edges: list[tuple[int, int]] = []
        self.edge_index: dict[tuple[int, int], int] = {}
        length, speed, cap, cls = [], [], [], []
        for u, v, data in graph.edges(data=True):
            iu, iv = self.index[str(u)], self.index[str(v)]
            key = (iu, iv) if self.directed else (min(iu, iv), max(iu, iv))
            if key in self.edge_index:  # parallel edge: keep the faster one
                e = self.edge_index[key]
                t_new = float(data["length_m"]) / float(data["speed_kmh"])
                if t_new >= length[e] / speed[e]:
                    continue
                length[e], speed[e] = float(data["length_m"]), float(data["speed_kmh"])
                cap[e], cls[e] = float(data["capacity_vph"]), str(data["road_class"])
                continue
            self.edge_index[key] = len(edges)
            edges.append(key)
            length.append(float(data["length_m"]))
            speed.append(float(data["speed_kmh"]))
            cap.append(float(data["capacity_vph"]))
            cls.append(str(data["road_class"]))
        self.edges = edges
        self.edge_u = np.array([e[0] for e in edges], dtype=np.int64)
        self.edge_v = np.array([e[1] for e in edges], dtype=np.int64)
        self.edge_length_m = np.array(length)
        self.edge_speed_kmh = np.array(speed)
        self.edge_capacity_vph = np.array(cap)
        self.edge_class = cls
        self.edge_time_min = self.edge_length_m / 1000.0 / self.edge_speed_kmh * 60.0
        self._closed: set[int] = set()
        self.closure_version = 0  # bumped whenever a road closes or reopens
        self._cur: _ClosureState | None = None  # state of the current closures (cached)
        self._cache: OrderedDict[frozenset[int], _ClosureState] = OrderedDict()
        self.rows = RowCache()
        self.matrix_builds = 0  # how many closure sets needed a fresh sparse matrix
        reach = self._state().forward
        self._check_connected(reach)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path) -> RoadNetwork:
        """Load a GraphML file, or an OpenStreetMap XML file (``.osm``/``.xml``, needs osmnx).

        A file loaded before in this process (same path, size and modification time) is
        not read again: a fresh copy of the network is returned (the pre-flight check, the
        run and the figures each ask for it; a 20,000-node file takes seconds to parse).
        """
        p = Path(path)
        if not p.exists():
            raise NetworkError(f"network file '{p}' does not exist")
        st = p.stat()
        key = (str(p.resolve()), st.st_mtime_ns, st.st_size)
        net = _LOADED.get(key)
        if net is None:
            net = cls._read(p)
            _LOADED[key] = net
            while len(_LOADED) > _LOADED_MAX:
                _LOADED.popitem(last=False)
        return net.fresh()

    @classmethod
    def _read(cls, p: Path) -> RoadNetwork:
        suffix = p.suffix.lower()
        if suffix in (".osm", ".xml"):
            from sim.core.osm_import import graph_from_osm_xml

            return cls(graph_from_osm_xml(p), source=str(p))
        if suffix != ".graphml":
            raise NetworkError(
                f"network file '{p}': unsupported format '{suffix}' (use .graphml, .osm or .xml)"
            )
        try:
            g = nx.read_graphml(p)
        except Exception as exc:  # malformed XML, bad types, ...
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise NetworkError(f"network file '{p}' cannot be read as GraphML: {msg}") from None
        _refuse_duplicate_ids(p, g.number_of_nodes())
        return cls(g, source=str(p))

    def fresh(self) -> RoadNetwork:
        """A copy sharing the immutable arrays, with no closures and its own cache."""
        new = object.__new__(RoadNetwork)
        new.__dict__.update(self.__dict__)
        new._closed = set()
        new.closure_version = 0
        new._cur = None
        base = self._cache.get(frozenset())  # open-network rows are reused, never mutated
        new._cache = OrderedDict() if base is None else OrderedDict({frozenset(): base})
        new.matrix_builds = 0  # new.rows is shared: a row depends on the closures only
        return new

    def __getstate__(self) -> dict:
        """Pickle without cached closure states and rows: they are keyed by closure-state ids
        unique only within one process, so a process that did not fork from this one (a Dask
        worker, a spawned worker on macOS or Windows) would read rows cached for other closed
        roads under its own ids. The receiver builds its own cache."""
        state = self.__dict__.copy()
        state["_cache"] = OrderedDict()
        state["rows"] = RowCache(self.rows.max_bytes)
        state["_cur"] = None
        return state

    # ------------------------------------------------------------------ lookup
    def idx(self, node: str, field_name: str = "node") -> int:
        """Index of a node id; a clear error naming the config field if unknown."""
        try:
            return self.index[str(node)]
        except KeyError:
            raise NetworkError(
                f"{field_name}: unknown node '{node}' (not in network {self.source})"
            ) from None

    def attr(self, node: int, name: str):
        """Attribute ``name`` of node index ``node`` (from the network file)."""
        if name in self.node_attr:
            return self.node_attr[name][node]
        return self.graph.nodes[self.nodes[node]].get(name)

    def names_zh(self, ids) -> list[str]:
        """Chinese names of node ids, for tables beside the ids (the id itself where the
        network has no such node or no Chinese name)."""
        zh = self.node_attr.get("name_zh")
        out = []
        for node in ids:
            i = self.index.get(node)
            name = zh[i] if zh is not None and i is not None else ""
            out.append(str(name) if name else str(node))
        return out

    def with_names_zh(self, table, column: str):
        """``table`` with a ``<column>_zh`` column of Chinese names right after ``column``."""
        if column not in table.columns:
            return table
        out = table.copy(deep=False)
        out.insert(out.columns.get_loc(column) + 1, f"{column}_zh", self.names_zh(table[column]))
        return out

    def nodes_of_kind(self, *kinds: str) -> list[int]:
        """Indices of nodes whose ``kind`` is one of ``kinds``, in file order."""
        k = self.node_attr["kind"]
        return [i for i in range(self.n) if k[i] in kinds]

    def edge_id(self, u: str | int, v: str | int, field_name: str = "road") -> int:
        """Edge index of the road between u and v (ids or indices)."""
        iu = u if isinstance(u, int | np.integer) else self.idx(u, field_name)
        iv = v if isinstance(v, int | np.integer) else self.idx(v, field_name)
        key = (iu, iv) if self.directed else (min(iu, iv), max(iu, iv))
        try:
            return self.edge_index[key]
        except KeyError:
            if self.directed and (iv, iu) in self.edge_index:
                return self.edge_index[(iv, iu)]
            raise NetworkError(
                f"{field_name}: no road between '{self.nodes[iu]}' and '{self.nodes[iv]}'"
            ) from None

    def edge_name(self, e: int) -> str:
        u, v = self.edges[e]
        return f"{self.nodes[u]}--{self.nodes[v]}"

    # ------------------------------------------------------------------ closures
    @property
    def closed(self) -> frozenset[int]:
        """Edge indices currently closed."""
        return frozenset(self._closed)

    def close(self, e: int) -> bool:
        """Close road ``e`` (both directions). Returns False if it was already closed."""
        if e in self._closed:
            return False
        self._closed.add(e)
        self.closure_version += 1
        self._cur = None
        return True

    def reopen(self, e: int) -> bool:
        """Reopen road ``e``. Returns False if it was open."""
        if e not in self._closed:
            return False
        self._closed.discard(e)
        self.closure_version += 1
        self._cur = None
        return True

    def _state(self) -> _ClosureState:
        st = self._cur
        if st is not None:
            return st
        key = frozenset(self._closed)
        st = self._cache.get(key)
        if st is not None:
            self._cache.move_to_end(key)
            self._cur = st
            return st
        mask = np.ones(len(self.edges), dtype=bool)
        if key:
            mask[list(key)] = False
        u, v, w = self.edge_u[mask], self.edge_v[mask], self.edge_time_min[mask]
        if not self.directed:
            u, v, w = np.concatenate([u, v]), np.concatenate([v, u]), np.concatenate([w, w])
        fwd = csr_matrix((w, (u, v)), shape=(self.n, self.n))
        bwd = None if not self.directed else csr_matrix((w, (v, u)), shape=(self.n, self.n))
        st = _ClosureState(fwd, bwd, next(_state_ids))
        self._cache[key] = st
        self._cur = st
        self.matrix_builds += 1
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return st

    # ------------------------------------------------------------------ queries
    def _from(self, src: int, st: _ClosureState | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(times, predecessors) of a Dijkstra from ``src`` under the current closures (or
        those of state ``st``)."""
        st = st or self._cur or self._state()
        got = self.rows.get((st.uid, src))
        if got is None:
            dist, pred = dijkstra(st.forward, indices=src, return_predecessors=True)
            got = (dist, pred)
            self.rows.put((st.uid, src), got)
        return got

    def times_from(self, src: int) -> np.ndarray:
        """Travel times (minutes) from node ``src`` to every node; ``inf`` if unreachable."""
        st = self._cur or self._state()
        got = self.rows.get((st.uid, src))
        return got[0] if got is not None else self._from(src)[0]

    def times_to(self, dst: int) -> np.ndarray:
        """Travel times (minutes) from every node to ``dst``; ``inf`` if unreachable."""
        st = self._cur or self._state()
        if not self.directed:
            d = self.rows._d  # (RowCache.get inlined: the hot path of dispatch)
            k = (st.uid, dst)
            got = d.get(k)
            if got is None:
                return self._from(dst)[0]
            d.move_to_end(k)
            return got[0]
        row = self.rows.get((st.uid, "to", dst))
        if row is None:
            row = dijkstra(st.backward, indices=dst)
            self.rows.put((st.uid, "to", dst), row)
        return row

    def open_tree(self, src: int) -> tuple[np.ndarray, np.ndarray]:
        """(times, predecessors) from ``src`` with every road open, whatever is closed now
        (the same arrays as :meth:`times_from` gives when nothing is closed)."""
        st = self._cache.get(frozenset())
        if st is None:
            saved, self._closed, self._cur = self._closed, set(), None
            try:
                st = self._state()
            finally:
                self._closed, self._cur = saved, None
        return self._from(src, st)

    def travel_time(self, origin: int, dest: int) -> float:
        """Shortest travel time in minutes between two node indices (``inf`` if cut off)."""
        return float(self.times_from(origin)[dest])

    def path(self, origin: int, dest: int) -> list[int]:
        """Node indices of a shortest path (empty if unreachable)."""
        pred = self._from(origin)[1]
        if origin != dest and pred[dest] < 0:
            return []
        out = [dest]
        while out[-1] != origin:
            out.append(int(pred[out[-1]]))
        return out[::-1]

    def path_edges(self, origin: int, dest: int) -> list[int]:
        """Edge indices along a shortest path (empty if unreachable or origin == dest)."""
        nodes = self.path(origin, dest)
        return [self.edge_id(a, b) for a, b in zip(nodes, nodes[1:], strict=False)]

    def isolated(self, nodes: Iterable[int], hubs: Sequence[int]) -> list[int]:
        """Nodes among ``nodes`` with no open route from any of ``hubs`` (e.g. depots)."""
        if not hubs:
            return []
        best = np.full(self.n, np.inf)
        for h in hubs:
            np.minimum(best, self.times_from(h), out=best)
        return [i for i in nodes if not math.isfinite(best[i])]

    def _check_connected(self, fwd: csr_matrix) -> None:
        from scipy.sparse.csgraph import connected_components

        kind = "strong" if self.directed else "weak"
        ncomp, labels = connected_components(fwd, directed=self.directed, connection=kind)
        if ncomp > 1:
            main = np.bincount(labels).argmax()
            lost = [self.nodes[i] for i in np.flatnonzero(labels != main)]
            more = f" (and {len(lost) - 1} more)" if len(lost) > 1 else ""
            raise NetworkError(
                f"network {self.source}: node '{lost[0]}' is unreachable from the rest of "
                f"the network{more}"
            )


def _refuse_duplicate_ids(path: Path, nodes: int) -> None:
    """GraphML keeps the last of two nodes with one id (the seat's 187,284 residents became
    the 5 of a stray copy): a file with more node elements than nodes names the id."""
    ids = re.findall(rb"<node\b[^>]*?\bid=[\"']([^\"']*)[\"']", path.read_bytes())
    if len(ids) <= nodes:
        return
    seen: set[bytes] = set()
    for i in ids:
        if i in seen:
            name = i.decode("utf-8", "replace")
            raise NetworkError(f"network file '{path}': node id '{name}' is given twice")
        seen.add(i)


def _is_type(value, typ: type) -> bool:
    if typ is str:
        return isinstance(value, str)
    if typ is int:
        return (
            isinstance(value, int | np.integer)
            and not isinstance(value, bool)
            or (isinstance(value, float) and value.is_integer())
        )
    if typ is float:
        return isinstance(value, int | float | np.number) and not isinstance(value, bool)
    return isinstance(value, typ)


def great_circle_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def validate_graph(graph: nx.Graph, source: str) -> None:
    """Raise :class:`NetworkError` with a one-line message for the first problem found."""
    problems: list[str] = []
    if graph.number_of_nodes() == 0:
        raise NetworkError(f"network {source}: has no nodes")
    for n, data in graph.nodes(data=True):
        for a, typ in NODE_ATTRS.items():
            if a not in data or data[a] is None:
                problems.append(f"node '{n}' lacks attribute '{a}'")
            elif not _is_type(data[a], typ):
                problems.append(f"node '{n}' attribute '{a}'={data[a]!r} is not {typ.__name__}")
        if problems:
            continue
        if not (-90 <= data["lat"] <= 90 and -180 <= data["lon"] <= 180):
            problems.append(f"node '{n}' has lat/lon {data['lat']},{data['lon']} out of range")
        if data["population"] < 0:
            problems.append(f"node '{n}' has negative population {data['population']}")
        elif data["population"] > MAX_PEOPLE:
            problems.append(f"node '{n}' population {data['population']} is over {MAX_PEOPLE:,}")
        if data["kind"] not in NODE_KINDS:
            problems.append(
                f"node '{n}' kind '{data['kind']}' is not one of {', '.join(NODE_KINDS)}"
            )
        for a in NODE_AMOUNTS:
            v = data.get(a)
            if v is not None and not (_is_type(v, float) and math.isfinite(v) and v >= 0):
                problems.append(f"node '{n}' attribute '{a}'={v!r} must be a finite number >= 0")
    total = graph.graph.get("population_total")
    if total is not None and not (
        _is_type(total, int) and 0 < total <= MAX_PEOPLE and not isinstance(total, str)
    ):
        problems.append(
            f"graph attribute population_total={total!r} must be a whole number of residents "
            f"in 1..{MAX_PEOPLE:,}"
        )
    people = sum(
        d["population"] for _, d in graph.nodes(data=True) if _is_type(d.get("population"), int)
    )
    if people > MAX_PEOPLE:
        problems.append(f"node populations sum to {people:,}, over {MAX_PEOPLE:,}")
    for u, v, data in graph.edges(data=True):
        where = f"road '{u}'--'{v}'"
        bad = False
        for a, typ in EDGE_ATTRS.items():
            if a not in data or data[a] is None:
                problems.append(f"{where} lacks attribute '{a}'")
                bad = True
            elif not _is_type(data[a], typ):
                problems.append(f"{where} attribute '{a}'={data[a]!r} is not {typ.__name__}")
                bad = True
        if bad:
            continue
        for a in ("length_m", "speed_kmh", "capacity_vph"):
            if not (data[a] > 0 and math.isfinite(data[a])):
                problems.append(f"{where} has non-positive or non-finite {a}={data[a]}")
                bad = True
        if bad:
            continue
        if data["speed_kmh"] > MAX_SPEED_KMH:
            problems.append(
                f"{where} speed_kmh={data['speed_kmh']} is implausible (units must be km/h)"
            )
        if data["road_class"] not in ROAD_CLASSES:
            problems.append(
                f"{where} road_class '{data['road_class']}' is not one of {', '.join(ROAD_CLASSES)}"
            )
        a, b = graph.nodes[u], graph.nodes[v]
        if all(isinstance(x.get(k), int | float) for x in (a, b) for k in ("lat", "lon")):
            straight = great_circle_m(a["lat"], a["lon"], b["lat"], b["lon"])
            if data["length_m"] < STRAIGHT_LINE_SLACK * straight:
                problems.append(
                    f"{where} length_m={data['length_m']:.4g} is shorter than the straight line "
                    f"between its ends ({straight:.0f} m): length_m must be metres"
                )
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise NetworkError(f"network {source}: {problems[0]}{more}")
