"""RoadNetwork: loading, validation messages, travel times, closures, isolation."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.core.errors import NetworkError
from sim.core.network import RoadNetwork
from tests.conftest import line_graph, node, road


def test_travel_times_match_hand_computation(line_net):
    i = line_net.index
    assert line_net.travel_time(i["depot"], i["c"]) == pytest.approx(60.0)
    assert line_net.travel_time(i["c"], i["depot"]) == pytest.approx(60.0)
    assert line_net.path(i["depot"], i["c"]) == [i["depot"], i["a"], i["b"], i["c"]]


def test_closure_reroutes_and_reopen_restores(line_net):
    i = line_net.index
    e = line_net.edge_id("b", "c")
    line_net.close(e)
    assert line_net.travel_time(i["depot"], i["c"]) == pytest.approx(80.0)  # via shortcut
    assert e not in line_net.path_edges(i["depot"], i["c"])
    line_net.reopen(e)
    assert line_net.travel_time(i["depot"], i["c"]) == pytest.approx(60.0)


def test_matrices_are_cached_per_closure_set(line_net):
    i = line_net.index
    e = line_net.edge_id("a", "b")
    line_net.travel_time(i["depot"], i["c"])
    builds = line_net.matrix_builds
    line_net.close(e)
    line_net.travel_time(i["depot"], i["c"])
    line_net.reopen(e)
    line_net.travel_time(i["depot"], i["c"])
    line_net.close(e)
    line_net.travel_time(i["depot"], i["c"])
    assert line_net.matrix_builds == builds + 1


def test_isolation_when_all_routes_cut(line_net):
    i = line_net.index
    towns = [i["a"], i["b"], i["c"]]
    assert line_net.isolated(towns, [i["depot"]]) == []
    line_net.close(line_net.edge_id("depot", "a"))
    assert line_net.isolated(towns, [i["depot"]]) == towns
    assert math.isinf(line_net.travel_time(i["depot"], i["b"]))


def test_fresh_copy_has_no_closures(line_net):
    line_net.close(line_net.edge_id("a", "b"))
    assert line_net.fresh().closed == frozenset()
    assert line_net.closed  # original untouched


def _random_graph(n: int, extra: list[tuple[int, int, float]]) -> nx.Graph:
    g = nx.Graph()
    for k in range(n):
        node(g, f"n{k}")
    for k in range(n - 1):  # a spanning path keeps it connected
        road(g, f"n{k}", f"n{k + 1}", 5.0 + k)
    for u, v, m in extra:
        if u != v:
            road(g, f"n{u}", f"n{v}", m)
    return g


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(3, 12),
    extra=st.lists(
        st.tuples(st.integers(0, 11), st.integers(0, 11), st.floats(1, 100)), max_size=20
    ),
    closures=st.lists(st.integers(0, 40), max_size=6),
)
def test_closing_roads_never_shortens_a_trip(n, extra, closures):
    extra = [(u % n, v % n, m) for u, v, m in extra]
    net = RoadNetwork(_random_graph(n, extra))
    before = np.vstack([net.times_from(k) for k in range(n)])
    for c in closures:
        net.close(c % len(net.edges))
    after = np.vstack([net.times_from(k) for k in range(n)])
    assert np.all(after >= before - 1e-9)


def test_directed_network_respects_one_way():
    g = nx.DiGraph()
    for n in "xyz":
        node(g, n)
    road(g, "x", "y", 10)
    road(g, "y", "z", 10)
    road(g, "z", "x", 10)
    net = RoadNetwork(g)
    i = net.index
    assert net.travel_time(i["x"], i["y"]) == pytest.approx(10)
    assert net.travel_time(i["y"], i["x"]) == pytest.approx(20)
    assert net.times_to(i["x"])[i["y"]] == pytest.approx(20)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda g: g.nodes["a"].pop("lat"), "node 'a' lacks attribute 'lat'"),
        (lambda g: g.edges["a", "b"].pop("length_m"), "road 'a'--'b' lacks attribute 'length_m'"),
        (lambda g: g.edges["a", "b"].update(length_m=0.0), "non-positive or non-finite length_m"),
        (lambda g: g.edges["a", "b"].update(length_m=-5.0), "non-positive or non-finite length_m"),
        (lambda g: g.edges["a", "b"].update(speed_kmh=400.0), "units must be km/h"),
        (lambda g: g.edges["a", "b"].update(road_class="motorway"), "road_class 'motorway'"),
        (lambda g: node(g, "island"), "node 'island' is unreachable"),
        (lambda g: g.nodes["a"].update(population="many"), "attribute 'population'='many'"),
        # failure-mode review: each of these ran, with a wrong result and exit 0 (or hung)
        (lambda g: g.nodes["a"].update(kind="castle"), "node 'a' kind 'castle' is not one of"),
        (lambda g: g.nodes["a"].update(walk_in_m=math.nan), "'walk_in_m'=nan must be a finite"),
        (lambda g: g.nodes["a"].update(walk_in_m=-1e6), "'walk_in_m'=-1000000.0 must be"),
        (lambda g: g.nodes["a"].update(forest_area_ha=-3.0), "'forest_area_ha'=-3.0 must be"),
        (lambda g: g.graph.update(population_total=-5), "population_total=-5 must be a whole"),
        (lambda g: g.graph.update(population_total="lots"), "population_total='lots' must be"),
        (
            lambda g: g.graph.update(population_total=1e15),
            "population_total=1000000000000000.0 must",
        ),
        (lambda g: g.nodes["a"].update(population=10**12), "population 1000000000000 is over"),
    ],
)
def test_validation_messages(mutate, message):
    g = line_graph()
    mutate(g)
    with pytest.raises(NetworkError) as err:
        RoadNetwork(g, source="test.graphml")
    text = str(err.value)
    assert message in text
    assert "\n" not in text


def test_lengths_in_km_are_caught():
    g = line_graph()
    g.nodes["b"].update(lat=29.6)  # ~11 km north of a
    g.edges["a", "b"]["length_m"] = 12.5  # 12.5 km written as if metres
    with pytest.raises(NetworkError, match="must be metres"):
        RoadNetwork(g)


def test_load_graphml_and_unknown_node(line_graphml):
    net = RoadNetwork.load(line_graphml)
    assert net.n == 4
    with pytest.raises(NetworkError, match=r"layout.teams.x.home: unknown node 'mars'"):
        net.idx("mars", "layout.teams.x.home")


def test_load_missing_file_and_bad_format(tmp_path):
    with pytest.raises(NetworkError, match="does not exist"):
        RoadNetwork.load(tmp_path / "none.graphml")
    bad = tmp_path / "net.json"
    bad.write_text("{}")
    with pytest.raises(NetworkError, match="unsupported format"):
        RoadNetwork.load(bad)
    broken = tmp_path / "broken.graphml"
    broken.write_text("<graphml><graph>")
    with pytest.raises(NetworkError, match="cannot be read as GraphML"):
        RoadNetwork.load(broken)


OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
  <node id="1" lat="29.500" lon="106.200"/>
  <node id="2" lat="29.505" lon="106.200"/>
  <node id="3" lat="29.510" lon="106.205"/>
  <node id="4" lat="29.515" lon="106.210"/>
  <node id="5" lat="29.510" lon="106.215"/>
  <node id="6" lat="29.505" lon="106.190"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/>
    <tag k="highway" v="primary"/><tag k="name" v="Test Road"/></way>
  <way id="11"><nd ref="3"/><nd ref="5"/><tag k="highway" v="residential"/></way>
  <way id="12"><nd ref="2"/><nd ref="6"/><tag k="highway" v="tertiary"/></way>
</osm>
"""


def test_osm_xml_offline_import(tmp_path):
    pytest.importorskip("osmnx")
    p = tmp_path / "tiny.osm"
    p.write_text(OSM_XML)
    net = RoadNetwork.load(p)
    assert net.directed
    assert set(net.nodes) >= {"1", "2", "3", "5"}
    t = net.travel_time(net.index["1"], net.index["3"])
    assert 0 < t < 5  # ~1.2 km of primary road
    assert {"national", "county", "local"} <= set(net.edge_class)


def test_row_cache_stays_within_its_budget_and_rows_come_back_the_same():
    """Rows are evicted least recently used first; a recomputed row is bit for bit equal."""
    g = _random_graph(40, [(u, (u * 7 + 3) % 40, 3.0 + u) for u in range(40)])
    full = RoadNetwork(g)
    first = {k: full.times_from(k) for k in range(40)}
    net = RoadNetwork(g)
    net.rows.max_bytes = int(5.5 * full.rows.bytes / len(full.rows))  # five rows fit
    for k in range(40):
        net.times_from(k)
    assert len(net.rows) == 5 and net.rows.bytes <= net.rows.max_bytes
    assert net.rows.evictions == 35
    net.times_from(35)  # the oldest cached: now the most recent ...
    net.times_from(0)  # ... so this evicts 36, not 35
    assert net.rows.get((net._state().uid, 35)) is not None
    assert net.rows.get((net._state().uid, 36)) is None
    for k in range(40):
        assert np.array_equal(net.times_from(k), first[k])


def test_a_network_file_is_parsed_once_and_each_load_is_a_fresh_copy(line_graphml):
    a = RoadNetwork.load(line_graphml)
    a.close(0)
    b = RoadNetwork.load(line_graphml)
    assert b is not a and b.graph is a.graph  # not parsed again ...
    assert b.closed == frozenset() and a.closed == frozenset({0})  # ... but its own closures
    assert b.travel_time(0, 3) == RoadNetwork(line_graph()).travel_time(0, 3)


def test_pickled_network_carries_no_process_local_cache():
    """Closure-state ids are unique per process only: a pickled network (sent to a Dask or
    spawned worker) arrives with an empty cache, keeps its closures and gives the same times."""
    import pickle

    from sim.cli import compose_config
    from sim.run.app import prepare

    _, net = prepare(compose_config(["scenario=storm"]))
    net.close(0)
    before = net.times_from(1).copy()
    assert len(net._cache) > 0 and len(net.rows) > 0
    clone = pickle.loads(pickle.dumps(net))
    assert len(clone._cache) == 0 and clone._cur is None and len(clone.rows) == 0
    assert clone.closed == net.closed
    np.testing.assert_array_equal(clone.times_from(1), before)


def test_town_tables_carry_chinese_names_beside_the_ids():
    """warning_towns, evac_towns and the relief town tables name towns by id; planners read
    Chinese names, so each gets a ``<column>_zh`` column right after the id (review)."""
    import pandas as pd

    from sim.core.places import place_names

    g = line_graph()
    g.nodes["a"]["name_zh"] = "璧城街道"
    net = RoadNetwork(g, source="test")
    t = pd.DataFrame({"rep": [0, 0, 0], "town": ["a", "b", "nowhere"], "people": [1, 2, 3]})
    out = net.with_names_zh(t, "town")
    assert list(out.columns) == ["rep", "town", "town_zh", "people"]
    assert list(out["town_zh"]) == ["璧城街道", "b", "nowhere"]  # the id where none is known
    assert place_names(out, "town") == {"a": "a 璧城街道", "b": "b", "nowhere": "nowhere"}
    assert net.with_names_zh(t, "node") is t  # no such column: unchanged


def test_town_populations_are_scaled_to_the_census_total():
    """Reviewer: Bishan warned 834,160 residents of a district of 756,022 (the gazetteer's
    town figures mix census years). The model's populations keep the towns' proportions and
    sum to the census total exactly; a graph without one is left as it is."""
    from sim.core.network import census_scaled
    from tests.conftest import ROOT

    pop = np.array([834, 100, 0, 66], dtype=np.int64)
    assert census_scaled(pop, None) is pop and census_scaled(pop, 1000) is pop
    out = census_scaled(pop, 900)
    assert out.sum() == 900 and out[2] == 0
    assert np.all(np.abs(out - pop * 0.9) < 1.0)

    @given(
        st.lists(st.integers(0, 10**6), min_size=1, max_size=40).filter(lambda x: sum(x) > 0),
        st.integers(1, 10**7),
    )
    def scaled(raw, total):
        p = np.asarray(raw, dtype=np.int64)
        s = census_scaled(p, total)
        assert s.sum() == total and s.dtype == np.int64
        assert np.all(np.abs(s - p * (total / p.sum())) < 1.0)

    scaled()
    for name in ("bishan", "fengdu", "beibei"):
        g = nx.read_graphml(ROOT / "networks" / f"{name}.graphml")
        net = RoadNetwork(g, name)
        raw = sum(int(d["population"]) for _, d in g.nodes(data=True))
        assert raw != g.graph["population_total"]  # (the mixed years: the case this is for)
        assert int(net.population.sum()) == int(g.graph["population_total"])


def test_a_node_id_given_twice_in_a_graphml_file_is_refused(line_graphml):
    """GraphML keeps the last of two nodes with one id: a stray copy of the seat with 5
    residents replaced its 187,284 (failure-mode review)."""
    text = line_graphml.read_text()
    first = text.index("<node ")
    copy = text[first : text.index("</node>", first) + len("</node>")]
    line_graphml.write_text(text.replace(copy, copy + copy, 1))
    with pytest.raises(NetworkError, match=r"node id '[^']+' is given twice"):
        RoadNetwork.load(line_graphml)
