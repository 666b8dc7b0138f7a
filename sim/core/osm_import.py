"""Import an OpenStreetMap XML file (offline) into the simulator's network schema.

Needs the optional extra ``pip install -e .[osm]`` (osmnx). osmnx parses the file, keeps
the largest strongly connected part, and imputes speeds from the ``highway`` tag where
``maxspeed`` is missing; this module maps the result onto the node/edge attributes that
:class:`sim.core.network.RoadNetwork` requires.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

# ASSUMPTION: per-direction capacity (vehicles/hour) by road class, in the range of the
# HCM / JTG B01-2014 per-lane base capacities (about 1,800-2,200 pcu/h/lane on expressways,
# lower on single-carriageway roads); a planner with counts should override in the file.
CAPACITY_VPH = {
    "expressway": 4000.0,
    "national": 1800.0,
    "provincial": 1400.0,
    "county": 1000.0,
    "local": 600.0,
}
# ASSUMPTION: speeds (km/h) for ways without a maxspeed tag, in line with JTG B01-2014 design
# speeds for the matching Chinese road grades; osmnx uses tagged maxspeed where present.
HIGHWAY_SPEED_KMH = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 40.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 30.0,
}
FALLBACK_SPEED_KMH = 30.0
_HIGHWAY_CLASS = {
    "motorway": "expressway",
    "motorway_link": "expressway",
    "trunk": "national",
    "trunk_link": "national",
    "primary": "national",
    "primary_link": "national",
    "secondary": "provincial",
    "secondary_link": "provincial",
    "tertiary": "county",
    "tertiary_link": "county",
}


def _road_class(highway) -> str:
    if isinstance(highway, list):
        highway = highway[0]
    return _HIGHWAY_CLASS.get(str(highway), "local")


def graph_from_osm_xml(path: str | Path) -> nx.DiGraph:
    """Read an ``.osm`` XML file into a directed graph with the simulator's attributes."""
    from sim.core.errors import NetworkError

    try:
        import osmnx as ox
    except ImportError:
        raise NetworkError(
            f"network file '{path}': OpenStreetMap import needs osmnx "
            "(install with: pip install -e .[osm])"
        ) from None
    try:
        g = ox.graph_from_xml(path, simplify=True, retain_all=False)
    except Exception as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NetworkError(f"network file '{path}' cannot be read as OSM XML: {msg}") from None
    g = ox.truncate.largest_component(g, strongly=True)
    g = ox.routing.add_edge_speeds(g, hwy_speeds=HIGHWAY_SPEED_KMH, fallback=FALLBACK_SPEED_KMH)
    out = nx.DiGraph(district=Path(path).stem, source=f"OpenStreetMap XML {Path(path).name}")
    for n, d in g.nodes(data=True):
        out.add_node(
            str(n),
            kind="junction",
            name_zh=str(d.get("name", "")),
            name_en=str(d.get("name", "")),
            lat=float(d["y"]),
            lon=float(d["x"]),
            population=0,
        )
    for u, v, d in g.edges(data=True):
        cls = _road_class(d.get("highway", "unclassified"))
        length = float(d["length"])
        speed = float(d["speed_kph"])
        if length <= 0:  # osmnx can report 0 m for duplicate nodes; keep a tiny positive link
            length = 0.1
        prev = out.get_edge_data(str(u), str(v))
        if prev is not None and prev["length_m"] / prev["speed_kmh"] <= length / speed:
            continue
        name = d.get("name", "")
        out.add_edge(
            str(u),
            str(v),
            length_m=length,
            speed_kmh=speed,
            road_class=cls,
            capacity_vph=CAPACITY_VPH[cls],
            name=name[0] if isinstance(name, list) else str(name),
        )
    return out
