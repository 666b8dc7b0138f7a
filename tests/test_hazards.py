"""Hazard generators: determinism, physical consistency, config checks, architecture."""

from __future__ import annotations

import ast
import math
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from scenarios import GENERATORS, cascade, chemical, earthquake, flood, landslide
from sim.config import (
    CascadeConfig,
    ChemicalConfig,
    Config,
    ConfigError,
    DistrictConfig,
    EarthquakeConfig,
    FloodConfig,
    LandslideConfig,
    LandslidePrecedentConfig,
    LayoutConfig,
    RiverReachConfig,
    ScenarioConfig,
    StormConfig,
    validate,
)
from sim.core.events import Incident, RoadClosure, WarningIssued
from sim.core.network import RoadNetwork
from sim.rescue.access import is_flood
from tests.conftest import ROOT

KM_LAT = 1 / 111.2  # degrees of latitude per km


def grid_graph(n: int = 4, km: float = 8.0) -> nx.Graph:
    """n x n towns ``t<r><c>`` 8 km apart (roads 10 km), a depot, an external centre.

    Row 0 is 'riverside' (streets, joined by an expressway), the rest towns and townships;
    populations vary.
    """
    g = nx.Graph()
    classes = ["provincial", "county", "local"]
    for r in range(n):
        for c in range(n):
            kind = "street" if r == 0 else ("town" if (r + c) % 2 else "township")
            g.add_node(
                f"t{r}{c}",
                kind=kind,
                name_zh=f"t{r}{c}",
                name_en=f"t{r}{c}",
                lat=29.5 + r * km * KM_LAT,
                lon=106.2 + c * km * KM_LAT / math.cos(math.radians(29.5)),
                population=20_000 + 10_000 * ((r * n + c) % 5),
            )
    for r in range(n):
        for c in range(n):
            for dr, dc in ((0, 1), (1, 0)):
                if r + dr < n and c + dc < n:
                    g.add_edge(
                        f"t{r}{c}",
                        f"t{r + dr}{c + dc}",
                        length_m=10_000.0,
                        speed_kmh=40.0,
                        road_class="expressway" if r == 0 and dr == 0 else classes[(r + c) % 3],
                        capacity_vph=1000.0,
                    )
    for nid, kind, at in (("depot", "depot", "t11"), ("ext_centre", "regional_centre", "t33")):
        a = g.nodes[at]
        g.add_node(
            nid, kind=kind, name_zh=nid, name_en=nid, lat=a["lat"], lon=a["lon"], population=0
        )
        g.add_edge(
            nid,
            at,
            length_m=500.0 if kind == "depot" else 40_000.0,
            speed_kmh=60.0,
            road_class="local" if kind == "depot" else "expressway",
            capacity_vph=1000.0,
        )
    return g


NET = RoadNetwork(grid_graph(), source="grid")
RIVER = RiverReachConfig(
    name="test river",
    peak_m_median=2.0,
    rise_h=10.0,
    fall_h=20.0,
    zones={"t00": 0.5, "t01": 1.0, "t02": 1.5, "t03": 50.0},
)


def flood_cfg(**kw) -> FloodConfig:
    return FloodConfig(district="grid", rivers={"grid": RIVER}, **kw)


def slide_cfg(**kw) -> LandslideConfig:
    return LandslideConfig(district="grid", points={"grid": 400}, **kw)


CASES = {
    "flood": flood_cfg(),
    "landslide": slide_cfg(),
    "earthquake": EarthquakeConfig(magnitude=6.5),
    "chemical": ChemicalConfig(releases_mean=3.0),
    "cascade": CascadeConfig(flood=flood_cfg(), landslide=slide_cfg()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_generators_are_deterministic_and_consistent(name):
    gen = GENERATORS[name]
    a = gen(CASES[name], NET, np.random.default_rng(11))
    b = gen(CASES[name], NET, np.random.default_rng(11))
    c = gen(CASES[name], NET, np.random.default_rng(12))
    assert a == b and a != c
    assert [e.t for e in a] == sorted(e.t for e in a)
    incidents = [e for e in a if isinstance(e, Incident)]
    assert incidents, f"{name} drew no incident"
    assert len({i.id for i in incidents}) == len(incidents)
    for i in incidents:
        assert i.node in NET.index and i.people >= 1 and i.work_min > 0 and i.window_min > 0
        assert i.capabilities and 1 <= i.severity <= 3
    for cl in (e for e in a if isinstance(e, RoadClosure)):
        NET.edge_id(cl.u, cl.v)  # the road exists
        assert cl.clear_min > 0
        assert math.isfinite(cl.clear_min) or cl.repair_min > 0  # permanent ones need repair


def test_river_flood_zones_close_exactly_while_above_threshold():
    cfg = flood_cfg(flash_events_mean=0.0, peak_m_sigma=1e-9, start_h=1.0)
    ev = flood.generate(cfg, NET, np.random.default_rng(3))
    peak = RIVER.peak_m_median
    closures = [e for e in ev if isinstance(e, RoadClosure)]
    assert closures and all(is_flood(c.cause) for c in closures)
    by_node: dict[str, set] = {}
    for c in closures:
        zone = c.u if c.u in RIVER.zones else c.v
        by_node.setdefault(zone, set()).add((round(c.t, 6), round(c.t + c.clear_min, 6)))
    assert set(by_node) == {"t00", "t01", "t02"}  # t03's threshold is above the peak
    for zone, spans in by_node.items():
        thr = RIVER.zones[zone]
        on = 60.0 + RIVER.rise_h * 60.0 * thr / peak
        off = 60.0 + RIVER.rise_h * 60.0 + RIVER.fall_h * 60.0 * (1 - thr / peak)
        assert len(spans) == 1
        ((t_on, t_off),) = spans
        assert t_on == pytest.approx(on, abs=1e-3) and t_off == pytest.approx(off, abs=1e-3)
    # expressway roads (row 0 here) are exempt: every closure is a non-expressway road
    for c in closures:
        assert NET.edge_class[NET.edge_id(c.u, c.v)] != "expressway"
    warn = [e for e in ev if isinstance(e, WarningIssued)]
    first_on = min(c.t for c in closures)
    assert len(warn) == 1 and warn[0].t + warn[0].lead_min == pytest.approx(first_on)
    # deeper water traps more people on average (same population, over many seeds)
    shallow = deep = 0
    for s in range(200):
        for i in flood.generate(cfg, NET, np.random.default_rng(s)):
            if isinstance(i, Incident):
                if i.node == "t00":
                    deep += i.people
                elif i.node == "t02":
                    shallow += i.people
    pops = NET.population[NET.index["t00"]], NET.population[NET.index["t02"]]
    assert deep / pops[0] > shallow / pops[1]


def test_landslide_failures_follow_the_binomial_and_precedents_are_placed():
    cfg = slide_cfg(road_block_prob=1.0, bury_prob=0.0, barrier_lake_prob=0.0)
    counts = [
        sum(
            isinstance(e, RoadClosure)
            for e in landslide.generate(cfg, NET, np.random.default_rng(s))
        )
        for s in range(300)
    ]
    expected = 400 * cfg.fail_prob
    sd = math.sqrt(400 * cfg.fail_prob * (1 - cfg.fail_prob) / 300)
    assert abs(np.mean(counts) - expected) < 4 * sd
    pc = LandslidePrecedentConfig(
        district="grid",
        name="S109",
        u="t11",
        v="t12",
        t_h=2.0,
        repair_h=30.0,
        people=3,
        barrier_lake_node="t12",
    )
    other = replace(pc, district="elsewhere", name="not here")
    cfg2 = slide_cfg(fail_prob=0.0, precedents=[pc, other], lake_fill_h=5.0, lake_flood_h=10.0)
    ev = landslide.generate(cfg2, NET, np.random.default_rng(1))
    slide = [
        e for e in ev if isinstance(e, RoadClosure) and "S109" in e.cause and "lake" not in e.cause
    ]
    assert len(slide) == 1 and slide[0].t == pytest.approx(cfg2.start_h * 60 + 120)
    assert math.isinf(slide[0].clear_min) and slide[0].repair_min == 30 * 60
    buried = [e for e in ev if isinstance(e, Incident) and e.kind == "landslide_burial"]
    assert [b.people for b in buried] == [3] and buried[0].capabilities == ("collapse",)
    lake = [e for e in ev if isinstance(e, RoadClosure) and "lake" in e.cause]
    assert lake and all(is_flood(c.cause) for c in lake)
    assert all(c.t == pytest.approx(slide[0].t + 300) for c in lake)
    assert all(c.clear_min == 600 for c in lake)
    assert not any("not here" in getattr(e, "cause", "") for e in ev)


def test_earthquake_intensity_and_damage_grow_with_magnitude():
    cfg = EarthquakeConfig(epicentre="t11")
    r = np.array([1, 5, 10, 20, 50, 100.0])
    i = earthquake.intensity(cfg, r)
    assert np.all(np.diff(i) <= 0)  # attenuates with distance
    assert i[0] == pytest.approx(cfg.i0_a + cfg.i0_b * cfg.magnitude)  # capped at I0
    totals = {}
    for m in (5.0, 6.0, 7.0):
        c = replace(cfg, magnitude=m)
        people = closures = 0
        for s in range(30):
            ev = earthquake.generate(c, NET, np.random.default_rng(s))
            people += sum(e.people for e in ev if isinstance(e, Incident))
            closures += sum(isinstance(e, RoadClosure) for e in ev)
            for e in ev:
                if isinstance(e, Incident):
                    assert e.work_min == pytest.approx(c.work_min_per_person * e.people)
        totals[m] = (people, closures)
    assert totals[5.0][0] < totals[6.0][0] < totals[7.0][0]
    assert totals[5.0][1] <= totals[6.0][1] <= totals[7.0][1] and totals[7.0][1] > 0


def test_chemical_release_needs_hazmat_and_cordons_the_road():
    ev = chemical.generate(ChemicalConfig(releases_mean=0.0), NET, np.random.default_rng(2))
    inc = [e for e in ev if isinstance(e, Incident)]
    cl = [e for e in ev if isinstance(e, RoadClosure)]
    assert len(inc) == 1 and len(cl) == 1  # at least one release is drawn
    assert inc[0].capabilities == ("hazmat",) and inc[0].node in (cl[0].u, cl[0].v)
    assert math.isfinite(cl[0].clear_min) and not is_flood(cl[0].cause)


def test_cascade_couples_hazards_and_keeps_their_streams_apart():
    cfg = CascadeConfig(flood=flood_cfg(), landslide=slide_cfg(), rain_sigma=0.0)
    ev = cascade.generate(cfg, NET, np.random.default_rng(5))
    hazards = {e.hazard for e in ev}
    assert {"storm", "flood", "landslide"} <= hazards
    s2, f2, l2 = cascade.coupled(cfg, 1.0)
    assert f2.start_h == cfg.storm.impact_start_h + cfg.flood_lag_h
    assert l2.start_h == cfg.storm.impact_start_h + cfg.landslide_lag_h
    flash = [e for e in ev if isinstance(e, RoadClosure) and e.cause == "flash flood"]
    assert all(e.t >= f2.start_h * 60 for e in flash)
    # more rain: more storm incidents and more landslides (expected values scale with it)
    wet_s, wet_f, wet_l = cascade.coupled(cfg, 2.0)
    assert wet_s.incidents_per_100k == 2 * cfg.storm.incidents_per_100k
    assert wet_l.fail_prob == pytest.approx(4 * cfg.landslide.fail_prob)
    assert wet_f.peak_factor == 2.0
    # changing the landslide settings leaves the storm and flood draws untouched (CRN)
    cfg2 = replace(cfg, landslide=slide_cfg(fail_prob=0.2))
    ev2 = cascade.generate(cfg2, NET, np.random.default_rng(5))
    keep = [e for e in ev if e.hazard in ("storm", "flood")]
    assert keep == [e for e in ev2 if e.hazard in ("storm", "flood")]
    assert [e for e in ev if e.hazard == "landslide"] != [e for e in ev2 if e.hazard == "landslide"]


def test_cascade_disaster_is_the_same_for_every_layout():
    """Common random numbers: the response layout (30 vs 5 town teams, 3 vs 1 fire squads, no
    mutual aid) does not change the hazard timeline nor the logged road closures and incidents."""
    from sim.cli import compose_config
    from sim.run.app import prepare
    from sim.run.replication import run_replication

    if not (ROOT / "networks" / "fengdu.graphml").exists():
        pytest.skip("network not built")
    reps = []
    for count in (30, 5):
        over = ["district=fengdu", "scenario=cascade", f"layout.teams.town_teams.count={count}"]
        if count == 5:
            over += ["layout.mutual_aid=null", "layout.teams.fire_brigade.count=1"]
        conf, net = prepare(compose_config(over))
        conf.experiment.hours = 24.0
        reps.append(run_replication(conf, net, 0))
    a, b = reps
    assert a.timeline == b.timeline and len(a.timeline.of_type(Incident)) > 0
    ea, eb = a.events(), b.events()
    assert not ea[ea.event == "arrive"].equals(eb[eb.event == "arrive"])  # layouts differ
    cols = ["t", "entity", "node", "ref", "qty"]
    for kind in ("road_close", "incident"):
        pd.testing.assert_frame_equal(
            ea[ea.event == kind][cols].reset_index(drop=True),
            eb[eb.event == kind][cols].reset_index(drop=True),
        )


HAZARD_FILES = ["flood", "landslide", "earthquake", "chemical", "cascade", "hazard_util"]


@pytest.mark.parametrize("name", HAZARD_FILES)
def test_hazards_never_import_response_code(name):
    tree = ast.parse((ROOT / "scenarios" / f"{name}.py").read_text(encoding="utf-8"))
    allowed = {"sim.config", "sim.core.network", "sim.core.events", "sim.core.places"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim"):
            assert node.module in allowed, f"scenarios/{name}.py imports {node.module}"
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith("sim") for a in node.names)


def _config(**scenario) -> Config:
    return Config(
        district=DistrictConfig(name="grid", network="<memory>"),
        scenario=ScenarioConfig(name="t", **scenario),
        layout=LayoutConfig(name="l"),
    )


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (
            {"flood": FloodConfig(district="nowhere", rivers={"grid": RIVER})},
            "scenario.flood.rivers",
        ),
        ({"cascade": CascadeConfig(flood=flood_cfg()), "storm": StormConfig()}, "scenario.storm"),
        ({"landslide": slide_cfg(fail_prob=1.5)}, "scenario.landslide.fail_prob"),
        ({"earthquake": EarthquakeConfig(magnitude=11.0)}, "scenario.earthquake.magnitude"),
        ({"chemical": ChemicalConfig(capabilities=[])}, "scenario.chemical.capabilities"),
        ({"start_hour": 25.0}, "scenario.start_hour"),
        (
            {"cascade": CascadeConfig(flood=flood_cfg(), storm=StormConfig(duration_h=0.0))},
            "scenario.cascade.storm.duration_h",
        ),
        ({"storm": StormConfig(closure_hours_sigma=-0.1)}, "scenario.storm.closure_hours_sigma"),
        ({"landslide": slide_cfg(repair_h_sigma=-1.0)}, "scenario.landslide.repair_h_sigma"),
        ({"landslide": slide_cfg(lake_window_h=-1.0)}, "scenario.landslide.lake_window_h"),
        (
            {"landslide": slide_cfg(report_delay_min_mean=-1.0)},
            "scenario.landslide.report_delay_min_mean",
        ),
        ({"flood": flood_cfg(peak_m_sigma=-0.5)}, "scenario.flood.peak_m_sigma"),
        (
            {"flood": flood_cfg(trapped_per_100k_per_m=-1.0)},
            "scenario.flood.trapped_per_100k_per_m",
        ),
        (
            {"earthquake": EarthquakeConfig(repair_h_sigma=-1.0)},
            "scenario.earthquake.repair_h_sigma",
        ),
        (
            {"chemical": ChemicalConfig(cordon_hours_sigma=-1.0)},
            "scenario.chemical.cordon_hours_sigma",
        ),
        ({"chemical": ChemicalConfig(capabilities=["hazmatt"])}, "scenario.chemical.capabilities"),
    ],
)
def test_bad_hazard_config_names_the_field(scenario, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        validate(_config(**scenario))


def test_flood_without_a_river_reach_is_allowed_when_river_is_off():
    validate(_config(flood=FloodConfig(district="nowhere", river=False)))


@pytest.mark.parametrize("district", ["bishan", "fengdu", "beibei", "nanan"])
def test_shipped_scenarios_compose_and_name_existing_nodes(district):
    from sim.cli import compose_config
    from sim.run.app import prepare

    if not (ROOT / "networks" / f"{district}.graphml").exists():
        pytest.skip("network not built")
    for sc in ("flood", "landslide", "earthquake", "chemical", "cascade"):
        conf, net = prepare(compose_config([f"district={district}", f"scenario={sc}"]))
        sec = getattr(conf.scenario, sc)
        assert sec is not None
        ev = GENERATORS[sc](sec, net, np.random.default_rng(0))
        assert all(e.node in net.index for e in ev if isinstance(e, Incident))


def test_hazard_sections_are_registered():
    assert {"flood", "landslide", "earthquake", "chemical", "cascade"} <= set(GENERATORS)
    assert Path(ROOT / "conf" / "scenario" / "cascade.yaml").exists()


def _draws(events, kind) -> list[tuple]:
    """What a what-if should leave alone: the draws of ``kind`` events, ids aside."""
    out = []
    for e in events:
        if isinstance(e, kind):
            d = dict(e.__dict__)
            d.pop("id", None)
            out.append(tuple(sorted((k, repr(v)) for k, v in d.items())))
    return sorted(out)


def test_a_what_if_on_one_part_of_a_hazard_leaves_the_others_draws_alone():
    """Reviewer: more storm closures redrew the storm's incidents (one stream for both), so a
    "harsher roads" what-if also met another storm. Closures and incidents, flash floods and
    the river flood, now draw from streams of their own (common random numbers)."""
    from scenarios import storm

    base = StormConfig(closures_mean=2.0, incidents_per_100k=20.0)
    harsh = replace(base, closures_mean=10.0)
    a = storm.generate(base, NET, np.random.default_rng(5))
    b = storm.generate(harsh, NET, np.random.default_rng(5))
    assert _draws(a, Incident) and _draws(a, Incident) == _draws(b, Incident)
    assert [i.id for i in a if isinstance(i, Incident)] == [
        i.id for i in b if isinstance(i, Incident)
    ]
    assert len(_draws(b, RoadClosure)) > len(_draws(a, RoadClosure))
    dry, wet = flood_cfg(flash_events_mean=0.0), flood_cfg(flash_events_mean=6.0)
    a = flood.generate(dry, NET, np.random.default_rng(5))
    b = flood.generate(wet, NET, np.random.default_rng(5))
    river = [e for e in a if isinstance(e, RoadClosure)]
    assert river and all(c.cause.startswith("river flood") for c in river)
    assert _draws(river, RoadClosure) == _draws(
        [e for e in b if isinstance(e, RoadClosure) and e.cause.startswith("river flood")],
        RoadClosure,
    )
    assert set(_draws(a, Incident)) <= set(_draws(b, Incident))  # the river's, and flash ones
    # a landslide's blocked roads, burials and barrier lakes: more blocked roads leave the
    # slides' burials as they were
    few, many = slide_cfg(road_block_prob=0.1), slide_cfg(road_block_prob=0.9)
    a = landslide.generate(few, NET, np.random.default_rng(5))
    b = landslide.generate(many, NET, np.random.default_rng(5))
    buried = [e for e in a if isinstance(e, Incident) and e.kind == "landslide_burial"]
    assert buried and _draws(buried, Incident) == _draws(
        [e for e in b if isinstance(e, Incident) and e.kind == "landslide_burial"], Incident
    )
    assert len(_draws(b, RoadClosure)) > len(_draws(a, RoadClosure))
    # an earthquake: a higher threshold of damage drops the weakly shaken towns and roads,
    # and leaves the others' collapses and damage as they were
    quake = EarthquakeConfig(magnitude=6.5, epicentre="t11")
    wide = earthquake.generate(quake, NET, np.random.default_rng(5))
    narrow = earthquake.generate(replace(quake, min_intensity=7.0), NET, np.random.default_rng(5))
    kept = {e.node for e in narrow if isinstance(e, Incident)}
    assert kept and len(_draws(narrow, Incident)) < len(_draws(wide, Incident))
    assert _draws(narrow, Incident) == _draws(
        [e for e in wide if isinstance(e, Incident) and e.node in kept], Incident
    )
    assert set(_draws(narrow, RoadClosure)) <= set(_draws(wide, RoadClosure))
