#!/usr/bin/env python3
"""Self-check for the district GraphML road networks.

Usage: python networks/check_networks.py [FILE.graphml ...]
(default: networks/{bishan,nanan,fengdu,beibei}.graphml)

Loads each file with networkx.read_graphml and asserts the schema documented in
networks/README.md: every node/edge carries all attributes with the right types,
lengths/speeds/capacities > 0, allowed kinds/classes, the graph is connected,
and the expected node counts per kind.  Prints a short summary per district.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import networkx as nx

from sim.core.network import NODE_KINDS, ROAD_CLASSES

HERE = Path(__file__).resolve().parent

GRAPH_ATTRS = {
    "district": str,
    "name_zh": str,
    "name_en": str,
    "population_total": int,
    "source": str,
}
NODE_ATTRS = {
    "kind": str,
    "name_zh": str,
    "name_en": str,
    "lat": float,
    "lon": float,
    "population": int,
    "town": str,
    "coord_source": str,
    "population_source": str,
    "external": bool,
    "forest_area_ha": float,
    "walk_in_m": float,
}
EDGE_ATTRS = {
    "length_m": float,
    "speed_kmh": float,
    "road_class": str,
    "capacity_vph": float,
    "name": str,
    "detour_factor": float,
    "length_source": str,
}
# the simulator's own lists (one home); shipped networks come from the gazetteer, so they have
# none of the OSM amenities python -m sim.district new writes
KINDS = set(NODE_KINDS) - {"hospital", "school"}
CLASSES = set(ROAD_CLASSES)
PREFIX = {
    "depot": "depot_",
    "fire_station": "firestation_",
    "regional_centre": "ext_",
    "forest_zone": "forest_",
    "junction": "junction_",
    "wharf": "wharf_",
    "landing_zone": "lz_",
    "air_base": "ext_airbase_",
}
# kinds that may lie outside the district (node id ext_*)
EXTERNAL_KINDS = {"regional_centre", "air_base", "wharf"}
SETTLEMENT = {"street", "town", "township"}

# Expected counts per kind (gazetteer divisions + curated POIs).
EXPECTED = {
    "bishan": {
        "street": 6,
        "town": 9,
        "depot": 2,
        "fire_station": 1,
        "regional_centre": 2,
        "forest_zone": 3,
        "landing_zone": 1,
        "air_base": 1,
    },
    "nanan": {
        "street": 8,
        "town": 7,
        "depot": 1,
        "regional_centre": 1,
        "forest_zone": 1,
        "wharf": 2,
        "air_base": 1,
    },
    "fengdu": {
        "street": 2,
        "town": 23,
        "township": 5,
        "depot": 1,
        "regional_centre": 4,
        "forest_zone": 3,
        "junction": 1,
        "wharf": 4,
        "landing_zone": 2,
    },
    "beibei": {
        "street": 6,
        "town": 11,
        "depot": 1,
        "regional_centre": 2,
        "forest_zone": 2,
        "wharf": 2,
        "landing_zone": 1,
        "air_base": 1,
    },
}
EXPECTED_SETTLEMENTS = {"bishan": 15, "nanan": 15, "fengdu": 30, "beibei": 17}


def _is(val, typ) -> bool:
    if typ is float:
        return isinstance(val, float)
    if typ is int:
        return isinstance(val, int) and not isinstance(val, bool)
    return isinstance(val, typ)


def check_file(path: Path) -> dict:
    G = nx.read_graphml(path)
    assert isinstance(G, nx.Graph) and not G.is_directed() and not G.is_multigraph(), path
    for k, t in GRAPH_ATTRS.items():
        assert k in G.graph and _is(G.graph[k], t), f"{path}: graph attr {k}={G.graph.get(k)!r}"
    d = G.graph["district"]
    assert d in EXPECTED, d
    assert G.graph["population_total"] > 0

    for n, a in G.nodes(data=True):
        for k, t in NODE_ATTRS.items():
            assert k in a, f"{d}:{n} missing {k}"
            assert _is(a[k], t), f"{d}:{n} {k}={a[k]!r} not {t.__name__}"
        assert n.isascii() and n == n.lower() and " " not in n, f"{d}: bad id {n}"
        assert a["kind"] in KINDS, f"{d}:{n} kind {a['kind']}"
        if a["kind"] in PREFIX and not a["external"]:
            assert n.startswith(PREFIX[a["kind"]]), f"{d}:{n} prefix"
        assert -90 <= a["lat"] <= 90 and -180 <= a["lon"] <= 180
        assert 28.5 < a["lat"] < 31.5 and 105.0 < a["lon"] < 109.0, f"{d}:{n} outside Chongqing"
        assert a["coord_source"] and a["population_source"], f"{d}:{n} empty source"
        assert a["external"] == n.startswith("ext_"), n
        assert a["kind"] in EXTERNAL_KINDS or not a["external"], f"{d}:{n} external kind"
        assert a["kind"] != "regional_centre" or a["external"], f"{d}:{n} regional centre inside"
        if a["kind"] in SETTLEMENT:
            assert a["population"] > 0 and a["town"] == n, f"{d}:{n} settlement"
        else:
            assert a["population"] == 0, f"{d}:{n} POI population"
        if a["external"]:
            assert a["town"] == "", n
        elif a["kind"] not in SETTLEMENT:
            assert a["town"] in G and G.nodes[a["town"]]["kind"] in SETTLEMENT, f"{d}:{n} town"
        if a["kind"] == "forest_zone":
            assert a["forest_area_ha"] > 0 and a["walk_in_m"] > 0, n
        else:
            assert a["forest_area_ha"] == 0.0 and a["walk_in_m"] == 0.0, n

    for u, v, a in G.edges(data=True):
        for k, t in EDGE_ATTRS.items():
            assert k in a, f"{d}:{u}-{v} missing {k}"
            assert _is(a[k], t), f"{d}:{u}-{v} {k}={a[k]!r} not {t.__name__}"
        assert a["length_m"] > 0 and a["speed_kmh"] > 0 and a["capacity_vph"] > 0, (u, v)
        assert a["detour_factor"] > 0 and a["length_source"], (u, v)
        assert a["road_class"] in CLASSES, (u, v, a["road_class"])
        assert u != v

    assert nx.is_connected(G), f"{d}: not connected"
    kinds = Counter(a["kind"] for _, a in G.nodes(data=True))
    assert dict(kinds) == EXPECTED[d], f"{d}: kinds {dict(kinds)} != {EXPECTED[d]}"
    assert sum(kinds[k] for k in SETTLEMENT) == EXPECTED_SETTLEMENTS[d]
    classes = Counter(a["road_class"] for _, _, a in G.edges(data=True))
    return dict(
        district=d,
        nodes=G.number_of_nodes(),
        edges=G.number_of_edges(),
        kinds=dict(sorted(kinds.items())),
        classes=dict(sorted(classes.items())),
        km=round(sum(a["length_m"] for _, _, a in G.edges(data=True)) / 1000, 1),
    )


def main(argv=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    paths = [Path(p) for p in args] or [HERE / f"{d}.graphml" for d in EXPECTED]
    for p in paths:
        s = check_file(p)
        print(
            f"OK {s['district']}: {s['nodes']} nodes, {s['edges']} edges, {s['km']} km; "
            f"kinds {s['kinds']}; classes {s['classes']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
