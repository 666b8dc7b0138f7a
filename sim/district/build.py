"""Build a district's network and config set from an OpenStreetMap extract or a GraphML file.

``python -m sim.district new NAME --network FILE.osm|.graphml [--population CSV]`` writes

* ``networks/NAME.graphml``: the road graph plus one node per settlement, facility and forest
  zone found in the file, each joined to its nearest road junction by a short local link;
* ``conf/district/NAME.yaml``: identity, population, seat and the plan targets to audit;
* ``conf/layout/NAME.yaml``: the response layout (teams, depots, shelters, fleets) placed on
  the derived nodes, its parameters copied from Bishan's plan layout;
* ``conf/scenario/NAME_flood_evacuation.yaml`` when riverside towns are found.

What the file cannot give is listed with the key to set (``Derivation.missing``). The OSM file
is data: it is parsed with the standard XML parser (no entity expansion from outside the file,
nothing executed), and the text it supplies is only copied into node attributes and YAML strings.
"""

from __future__ import annotations

import csv
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import yaml

from sim.core.errors import NetworkError, UserError
from sim.core.network import MAX_PEOPLE, RoadNetwork, great_circle_m
from sim.core.paths import CONF_DIR, PROJECT_ROOT

# OSM place=* -> the simulator's settlement kinds (sim/core/places.py SETTLEMENT_KINDS).
PLACE_KINDS = {
    "city": "town",
    "town": "town",
    "suburb": "street",
    "quarter": "street",
    "neighbourhood": "street",
    "village": "township",
    "hamlet": "township",
}
# amenity=* -> node kind of the facility.
AMENITY_KINDS = {"fire_station": "fire_station", "hospital": "hospital", "school": "school"}
RIVER_TAGS = ("river", "canal", "stream")
# ASSUMPTION: a town within 1 km of a mapped river is a riverside town of the flood zone.
RIVERSIDE_M = 1000.0
# ASSUMPTION: the link from a place or facility to its nearest junction is 20% longer than the
# straight line (street detour) and driven at town-street speed.
LINK_DETOUR = 1.2
LINK_SPEED_KMH = 20.0
LINK_CAPACITY_VPH = 600.0
# ASSUMPTION: as Bishan's forest zones (networks/README.md): 1 km last-mile on foot, after
# 000 L321 (push forest protection to "the last 1 km").
FOREST_WALK_IN_M = 1000.0
# ASSUMPTION: the river-flood design event puts 10% of the riverside towns' residents at risk,
# capped at Bishan's relocation standard of 5,000 (000 L241); set the district's own standard.
ZONE_SHARE = 0.1
ZONE_CAP = 5000
TEMPLATE = "bishan"  # the plan layout and targets whose parameters seed a new district


@dataclass
class Feature:
    """A settlement, facility or forest zone found in the file."""

    node: str
    kind: str
    name: str
    lat: float
    lon: float
    population: int = 0
    forest_area_ha: float = 0.0
    population_source: str = ""


@dataclass
class Derivation:
    """What ``new`` found and wrote, and what the user must still set (key -> why)."""

    name: str
    towns: list[Feature] = field(default_factory=list)
    facilities: list[Feature] = field(default_factory=list)
    forests: list[Feature] = field(default_factory=list)
    riverside: list[str] = field(default_factory=list)
    river_name: str = ""
    seat: str = ""
    written: list[Path] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)


def slug(text: str) -> str:
    """A config-safe ASCII id from a name ('' when the name has no ASCII letters)."""
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]+", "_", text.lower())).strip("_")


def _centroid(points: list[tuple[float, float]]) -> tuple[float, float]:
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def _area_ha(points: list[tuple[float, float]]) -> float:
    """Area of a closed (lat, lon) ring by the shoelace formula on a local equirectangular plane."""
    if len(points) < 3:
        return 0.0
    lat0 = math.radians(_centroid(points)[0])
    r = 6_371_008.8
    xy = [(math.radians(lo) * r * math.cos(lat0), math.radians(la) * r) for la, lo in points]
    s = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(xy, xy[1:] + xy[:1], strict=True))
    return abs(s) / 2.0 / 10_000.0


def _int(text: str | None) -> int:
    try:
        return max(int(float(str(text).replace(",", "").strip())), 0)
    except (TypeError, ValueError):
        return 0


def read_osm_features(path: Path) -> tuple[list[Feature], list[Feature], list[Feature], list]:
    """Towns, facilities, forest zones and river polylines ([(lat, lon)...]) of an OSM XML file."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise NetworkError(f"network file '{path}' cannot be read as OSM XML: {exc}") from None
    coords: dict[str, tuple[float, float]] = {}
    ways: dict[str, tuple[list[str], dict]] = {}
    towns, facilities, forests, rivers = [], [], [], []

    def tags(el) -> dict[str, str]:
        return {t.get("k", ""): t.get("v", "") for t in el.findall("tag")}

    def name_of(t: dict) -> str:
        return t.get("name:en") or t.get("name") or t.get("name:zh") or ""

    def feature(osmid: str, t: dict, lat: float, lon: float) -> None:
        if t.get("place") in PLACE_KINDS and name_of(t):
            towns.append(
                Feature(
                    f"n{osmid}",
                    PLACE_KINDS[t["place"]],
                    name_of(t),
                    lat,
                    lon,
                    _int(t.get("population")),
                    population_source="OSM population tag" if t.get("population") else "",
                )
            )
        elif t.get("amenity") in AMENITY_KINDS:
            kind = AMENITY_KINDS[t["amenity"]]
            facilities.append(Feature(f"n{osmid}", kind, name_of(t) or kind, lat, lon))

    for el in root:
        if el.tag == "node":
            lat, lon = float(el.get("lat", "nan")), float(el.get("lon", "nan"))
            coords[el.get("id", "")] = (lat, lon)
            feature(el.get("id", ""), tags(el), lat, lon)
        elif el.tag == "way":
            ways[el.get("id", "")] = ([nd.get("ref", "") for nd in el.findall("nd")], tags(el))
    for wid, (refs, t) in ways.items():
        pts = [coords[r] for r in refs if r in coords]
        if not pts:
            continue
        if t.get("landuse") == "forest" or t.get("natural") == "wood":
            lat, lon = _centroid(pts)
            forests.append(
                Feature(
                    f"w{wid}",
                    "forest_zone",
                    name_of(t) or f"forest {wid}",
                    lat,
                    lon,
                    forest_area_ha=round(_area_ha(pts[:-1] if pts[0] == pts[-1] else pts), 1),
                )
            )
        elif t.get("waterway") in RIVER_TAGS:
            rivers.append((name_of(t) or "river", pts))
        elif t.get("amenity") in AMENITY_KINDS or t.get("place") in PLACE_KINDS:
            feature(f"w{wid}", t, *_centroid(pts))
    named = {f.name for f in towns}
    for rel in root.findall("relation"):
        t = tags(rel)
        if t.get("boundary") != "administrative" or not name_of(t) or name_of(t) in named:
            continue
        pts = [
            coords[r]
            for m in rel.findall("member")
            if m.get("type") == "way" and m.get("ref") in ways
            for r in ways[m.get("ref")][0]
            if r in coords
        ]
        if pts:
            towns.append(
                Feature(
                    f"r{rel.get('id')}",
                    "street",
                    name_of(t),
                    *_centroid(pts),
                    population=_int(t.get("population")),
                    population_source="OSM population tag" if t.get("population") else "",
                )
            )
            named.add(name_of(t))
    return towns, facilities, forests, rivers


def read_population_csv(path: Path) -> dict[str, int]:
    """Population by lower-cased name from a gazetteer CSV (columns name_zh, name_pinyin,
    population; also ``name``), as in /work/shared/data/gazetteer and networks/README.md."""
    out: dict[str, int] = {}
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"--population '{path}': cannot be read as CSV: {exc}") from None
    if rows and "population" not in rows[0]:
        raise UserError(f"--population '{path}': no 'population' column")
    for line, row in enumerate(rows, start=2):
        text = str(row.get("population") or "").replace(",", "").strip()
        if not text:  # unknown (the gazetteer leaves some blank): the OSM tag, if any
            continue
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (value.is_integer() and 0 <= value <= MAX_PEOPLE):
            raise UserError(
                f"--population '{path}' line {line}: population {row['population']!r} is not "
                f"a whole number of residents in 0..{MAX_PEOPLE:,}"
            )
        pop = int(value)
        for col in ("name", "name_zh", "name_pinyin", "name_en"):
            if row.get(col):
                out.setdefault(row[col].strip().lower(), pop)
                out.setdefault(slug(row[col]), pop)
    return out


def _assign_ids(features: list[Feature], taken: set[str]) -> None:
    for f in features:
        base = slug(f.name) or f"{f.kind}_{f.node}"
        if base[0].isdigit():
            base = f"{f.kind}_{base}"
        node, k = base, 2
        while node in taken:
            node, k = f"{base}_{k}", k + 1
        taken.add(node)
        f.node = node


def _road_graph(path: Path) -> nx.DiGraph:
    if path.suffix.lower() in (".osm", ".xml"):
        from sim.core.osm_import import graph_from_osm_xml

        return graph_from_osm_xml(path)
    if path.suffix.lower() == ".graphml":
        g = RoadNetwork.load(path).graph.copy()
        return g if g.is_directed() else g.to_directed()
    raise UserError(f"--network '{path}': give an OpenStreetMap .osm file or a .graphml network")


def build_network(
    path: Path, population_csv: Path | None, name: str
) -> tuple[nx.DiGraph, Derivation]:
    """The road graph with settlement, facility and forest-zone nodes joined to it."""
    g = _road_graph(path)
    d = Derivation(name)
    if path.suffix.lower() == ".graphml":
        for n, a in g.nodes(data=True):
            if a.get("kind") in PLACE_KINDS.values():
                d.towns.append(
                    Feature(
                        n,
                        a["kind"],
                        a.get("name_en", n),
                        a["lat"],
                        a["lon"],
                        int(a.get("population", 0)),
                    )
                )
            elif a.get("kind") in AMENITY_KINDS.values():
                d.facilities.append(Feature(n, a["kind"], a.get("name_en", n), a["lat"], a["lon"]))
            elif a.get("kind") == "forest_zone":
                d.forests.append(
                    Feature(
                        n,
                        "forest_zone",
                        a.get("name_en", n),
                        a["lat"],
                        a["lon"],
                        forest_area_ha=float(a.get("forest_area_ha", 0)),
                    )
                )
        rivers: list = []
        existing = True
    else:
        d.towns, d.facilities, d.forests, rivers = read_osm_features(path)
        existing = False
    if population_csv is not None:
        pops = read_population_csv(population_csv)
        for t in d.towns:
            pop = pops.get(t.name.strip().lower(), pops.get(slug(t.name)))
            if pop:
                t.population, t.population_source = pop, f"{population_csv.name}"
    if not existing:
        _assign_ids(d.towns + d.facilities + d.forests, set(g.nodes))
    junctions = [(n, a["lat"], a["lon"]) for n, a in g.nodes(data=True) if a["kind"] == "junction"]
    if not junctions:
        junctions = [(n, a["lat"], a["lon"]) for n, a in g.nodes(data=True)]
    for a in g.nodes.values():
        a.setdefault("external", False)
        a.setdefault("forest_area_ha", 0.0)
        a.setdefault("walk_in_m", 0.0)
        a.setdefault("town", "")
    towns_ll = [(t.node, t.lat, t.lon) for t in d.towns]
    for f in [] if existing else d.towns + d.facilities + d.forests:
        near = min(towns_ll, key=lambda x: great_circle_m(f.lat, f.lon, x[1], x[2]), default=None)
        g.add_node(
            f.node,
            kind=f.kind,
            name_zh=f.name,
            name_en=f.name,
            lat=f.lat,
            lon=f.lon,
            population=int(f.population),
            external=False,
            forest_area_ha=float(f.forest_area_ha),
            walk_in_m=FOREST_WALK_IN_M if f.kind == "forest_zone" else 0.0,
            town=f.node if f.kind in PLACE_KINDS.values() else (near[0] if near else ""),
            population_source=f.population_source or "none (set it: --population CSV)",
        )
        j, jl, jo = min(junctions, key=lambda x: great_circle_m(f.lat, f.lon, x[1], x[2]))
        length = max(great_circle_m(f.lat, f.lon, jl, jo) * LINK_DETOUR, 1.0)
        for u, v in ((f.node, j), (j, f.node)):
            g.add_edge(
                u,
                v,
                length_m=length,
                speed_kmh=LINK_SPEED_KMH,
                road_class="local",
                capacity_vph=LINK_CAPACITY_VPH,
                name=f"{f.name} access",
            )
    for _label, pts in rivers:
        for t in d.towns:
            if (
                t.population > 0
                and min(great_circle_m(t.lat, t.lon, la, lo) for la, lo in pts) <= RIVERSIDE_M
            ) and t.node not in d.riverside:
                d.riverside.append(t.node)
    d.river_name = rivers[0][0] if rivers else ""
    g.graph["district"] = name
    g.graph["source"] = f"sim.district new from {path.name}"
    return g, d


def _template(group: str) -> dict:
    with open(CONF_DIR / group / f"{TEMPLATE}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _layout(d: Derivation, towns: list[str]) -> dict:
    lay = _template("layout")
    seat, n = d.seat, max(len(towns), 1)
    stations = [f.node for f in d.facilities if f.kind == "fire_station"]
    schools = [f.node for f in d.facilities if f.kind == "school"]
    lay["name"] = d.name
    lay["description"] = (
        f"Derived by sim.district new: {len(stations)} fire station(s), {len(towns)} towns, {len(schools)} school shelter(s)"
    )
    lay["hubs"] = [seat]
    lay["rescue"]["access"]["water_nodes"] = list(d.riverside)
    t = lay["teams"]
    fire = t.pop("fire_qinggang")
    t.pop("fire_bicheng")
    teams = {}
    for s in stations or [seat]:
        teams[f"fire_{s}"] = {
            **fire,
            "home": s,
            "source": "OSM amenity=fire_station"
            if stations
            else "ASSUMPTION: no fire station mapped; at the seat",
        }
    teams["district_team"] = {
        **t["district_team"],
        "home": seat,
        "headcount": 30,
        "source": "ASSUMPTION: one district team at the seat",
    }
    teams["community"] = {
        **t["community"],
        "count": n,
        "source": "ASSUMPTION: one community team per town",
    }
    lay["teams"] = teams
    lay.pop("mutual_aid", None)
    lay.pop("uncertainty", None)  # the template's ranges name the template's depots and teams
    # the template's aviation and craft sit at its own air base, wharves and landing zones
    if isinstance(lay.get("fire"), dict):
        lay["fire"]["aviation"] = None
    relief = lay.get("relief")
    if isinstance(relief, dict) and isinstance(relief.get("fleets"), dict):
        relief["fleets"] = {
            k: f for k, f in relief["fleets"].items() if f.get("mode", "road") == "road"
        }
    lay["repair"]["crews"]["district_transport"]["home"] = seat
    ft = lay["fire"]["teams"]
    lay["fire"]["teams"] = {
        "forest_emergency_team": {**ft["forest_emergency_team"], "home": seat},
        "fire_rescue": {
            **ft["fire_rescue"],
            "home": (stations or [seat])[0],
            "count": max(len(stations), 1),
            "source": "OSM amenity=fire_station" if stations else "ASSUMPTION: at the seat",
        },
        "town_forest_teams": {
            **ft["town_forest_teams"],
            "count": n,
            "source": "ASSUMPTION: one per town",
        },
    }
    lay["fire"]["detection"]["camera_zones"] = []
    dep = lay["depots"]
    lay["depots"] = {
        "district_depot": {
            **dep["dalu"],
            "node": seat,
            "stock": {
                k: dep["dalu"]["stock"][k] + dep["dingjia"]["stock"][k]
                for k in dep["dalu"]["stock"]
            },
            "source": "ASSUMPTION: Bishan's reserve (000 L28) at the seat; set the district's depots and stock",
        },
        "supermarkets": {**dep["supermarkets"], "node": seat},
    }
    rel = lay["relief"]
    rel["remote_towns"] = []
    rel["fleets"] = {"own_trucks": {**rel["fleets"]["own_trucks"], "base": "district_depot"}}
    sh = lay["shelters"]
    shelters = {"district_site": {**sh["district_site"], "home": seat}}
    if schools:
        shelters["school_sites"] = {
            **sh["town_sites"],
            "home": schools[0],
            "nodes": schools,
            "count": len(schools),
            "source": "OSM amenity=school (schools as shelters); area ASSUMPTION",
        }
    shelters["town_sites"] = {
        **sh["town_sites"],
        "count": n,
        "source": "ASSUMPTION: one site per town",
    }
    lay["shelters"] = shelters
    fl = lay["evacuation"]["fleet"]
    fl["district_buses"]["home"] = seat
    fl["community_assist"]["count"] = n
    fl["community_assist"]["source"] = "ASSUMPTION: one van per community team"
    return lay


def _targets(d: Derivation, flood: str) -> dict:
    src = _template("district")["targets"]
    out = {}
    for key, t in src.items():
        scen = t["scenario"]
        if scen == "fire_season" and not d.forests:
            continue
        if scen == "flood_evacuation":
            if not flood or key == "relief_stock_remote_town":
                continue
            scen = flood
        # ASSUMPTION: Bishan's threshold as a placeholder (its seed line kept in the source)
        origin = t.get("source", "")
        origin = "" if origin == "ASSUMPTION" else f" {origin}"
        out[key] = {**t, "scenario": scen, "source": f"ASSUMPTION (Bishan{origin})"}
    return out


def _write(path: Path, header: str, data: dict, d: Derivation) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(header + text, encoding="utf-8")
    d.written.append(path)


def new_district(
    name: str,
    network: Path,
    population: Path | None = None,
    seat: str = "",
    force: bool = False,
    root: Path = PROJECT_ROOT,
) -> Derivation:
    """Write the network and config set of a new district (see the module docstring)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise UserError(
            f"NAME '{name}': use lower-case letters, digits and _ (it names config files)"
        )
    if not network.exists():
        raise UserError(f"--network '{network}': no such file")
    if population is not None and not population.exists():
        raise UserError(f"--population '{population}': no such file")
    conf = root / "conf"
    files = [conf / "district" / f"{name}.yaml", conf / "layout" / f"{name}.yaml"]
    if not force and any(f.exists() for f in files):
        raise UserError(
            f"NAME '{name}': {files[0].relative_to(root)} exists (pass --force to overwrite)"
        )
    g, d = build_network(network, population, name)
    settled = sorted((t for t in d.towns if t.population > 0), key=lambda t: -t.population)
    if seat:
        if seat not in g:
            raise UserError(
                f"--seat '{seat}': no such node (towns: {', '.join(t.node for t in d.towns)})"
            )
        d.seat = seat
    elif settled:
        d.seat = settled[0].node
    elif d.towns:
        d.seat = d.towns[0].node
    else:
        raise UserError(
            f"--network '{network}': no settlements found (OSM place=city|town|suburb|village|"
            "hamlet nodes or boundary=administrative relations with a name); add place nodes"
        )
    towns = [t.node for t in d.towns]
    if not settled:
        d.missing.append(
            (
                f"node population (networks/{name}.graphml) or --population CSV",
                "no town has a population tag: nobody to warn, rescue or evacuate",
            )
        )
    for t in d.towns:
        if t.population <= 0 and settled:
            d.missing.append(
                (
                    f"population of {t.node} ({t.name})",
                    "0 residents: add it to the --population CSV",
                )
            )
    if not any(f.kind == "fire_station" for f in d.facilities):
        d.missing.append(
            (
                "layout.teams.fire_*.home",
                "no amenity=fire_station: fire-rescue team placed at the seat",
            )
        )
    if not any(f.kind == "school" for f in d.facilities):
        d.missing.append(
            ("layout.shelters.*.nodes", "no amenity=school: shelters only at towns (each_town)")
        )
    if not d.forests:
        d.missing.append(
            (
                "forest zones (landuse=forest / natural=wood)",
                "none mapped: fire_season targets left out",
            )
        )
    if not d.riverside:
        d.missing.append(
            (
                f"scenario {name}_flood_evacuation: evacuation.zones.{name}.nodes",
                "no town within 1 km of a waterway: flood-evacuation targets left out",
            )
        )
    d.missing += [
        (
            "layout.mutual_aid.centres",
            "no regional centres (external nodes) in the file: no mutual aid",
        ),
        ("layout.depots.*", "one district depot at the seat with Bishan's stock (ASSUMPTION)"),
        ("layout.fire.detection.camera_zones", "no camera coverage known"),
        ("layout.uncertainty", "no ranges of assumptions: robustness screens nothing until set"),
        ("layout.fire.aviation", "no forest aviation base in the file"),
        ("layout.relief.fleets (water, air)", "no wharves or landing zones: road fleets only"),
        (
            "district.targets",
            "Bishan's plan targets as placeholders: set the district's own thresholds",
        ),
    ]
    net_path = root / "networks" / f"{name}.graphml"
    net_path.parent.mkdir(parents=True, exist_ok=True)
    nx.write_graphml_xml(g, net_path)  # same bytes whether or not lxml is installed
    RoadNetwork.load(net_path)  # the written network passes the simulator's own checks
    d.written.append(net_path)
    flood = ""
    if d.riverside:
        flood = f"{name}_flood_evacuation"
        zone_pop = sum(t.population for t in d.towns if t.node in d.riverside)
        scen = {
            "defaults": ["flood_evacuation", "_self_"],
            "name": flood,
            "description": f"River flood on the {d.river_name} (derived: riverside towns within 1 km of the mapped waterway)",
            "evacuation": {
                "zones": {
                    name: {
                        "river": d.river_name,
                        "nodes": list(d.riverside),
                        "unsafe_nodes": [],
                        "people": int(min(ZONE_CAP, max(round(zone_pop * ZONE_SHARE), 1))),
                        "plan_people": 0,
                        "lead_h": 6.0,
                        "source": "ASSUMPTION: 10% of the riverside towns' residents, at most 5,000 (Bishan 000 L241)",
                    }
                }
            },
        }
        _write(
            conf / "scenario" / f"{flood}.yaml",
            f"# Derived by python -m sim.district new {name}: the design river flood.\n"
            f"#   python run_sim.py district={name} scenario={flood}\n",
            scen,
            d,
        )
    d.targets = list(_targets(d, flood))
    district = {
        "name": name,
        "name_zh": "",
        "name_en": name.replace("_", " ").title(),
        "network": str(net_path.relative_to(root))
        if net_path.is_relative_to(root)
        else str(net_path),
        "population_total": int(sum(t.population for t in d.towns)),
        "seat": d.seat,
        "forest_area_ha": round(sum(f.forest_area_ha for f in d.forests), 1),
        "targets": _targets(d, flood),
    }
    head = (
        f"# Derived by python -m sim.district new {name} --network {network.name}. Population: "
        "sum of the towns' (OSM tag or --population CSV); seat: the most populous town\n"
        "# (ASSUMPTION); forest area: the mapped forest polygons. Targets: Bishan's as placeholders.\n"
    )
    _write(files[0], head, district, d)
    _write(
        files[1],
        f"# Derived by python -m sim.district new {name}: nodes from {network.name};\n"
        "# every parameter (sizes, speeds, delays, stock) ASSUMPTION: copied from conf/layout/"
        "bishan.yaml, see its comments and sources.\n",
        _layout(d, towns),
        d,
    )
    return d
