"""When roads fail: relief by boat and helicopter (drop at wharves and landing zones, grounded
at night and in storms, wait for the road when that is quicker), casualties of an evacuation
handed to rescue, and more craft never worse on common random numbers."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from sim import evacuation, relief, rescue
from sim.config import (
    AccessConfig,
    Config,
    DepotConfig,
    DistrictConfig,
    EvacuationLayoutConfig,
    ExperimentConfig,
    FleetConfig,
    LayoutConfig,
    ReliefConfig,
    RescueConfig,
    ScenarioConfig,
    ShelterGroupConfig,
    StormConfig,
    TeamConfig,
    WarningChannelConfig,
    validate,
)
from sim.core.events import CasualtyRule, EvacuationOrder, RoadClosure, ZoneImpact
from sim.core.flight import OperatingWindow
from sim.core.network import RoadNetwork
from sim.core.roads import RoadState
from sim.core.signals import PeopleSheltered
from sim.core.streams import Streams
from sim.core.world import World
from sim.evacuation.metrics import casualty_kpis
from sim.relief.metrics import group_table, relief_kpis
from tests.conftest import node, road
from tests.test_relief import kit, kit_kg_per_person, stock

HORIZON = 72 * 60.0


def cutoff_graph() -> nx.Graph:
    """depot -10- a -30- c, b off a (20); c (11 km north) has a wharf and a landing zone."""
    g = nx.Graph()
    node(g, "depot", kind="depot", pop=0, lat=29.5, lon=106.2)
    node(g, "a", lat=29.5, lon=106.21)
    node(g, "b", lat=29.45, lon=106.2)
    node(g, "c", lat=29.6, lon=106.2)
    node(g, "wharf_c", kind="wharf", pop=0, lat=29.601, lon=106.2)
    node(g, "lz_c", kind="landing_zone", pop=0, lat=29.6, lon=106.201)
    for n in ("wharf_c", "lz_c"):
        g.nodes[n]["town"] = "c"
    road(g, "depot", "a", 10)
    road(g, "a", "c", 30)
    road(g, "a", "b", 20)
    road(g, "c", "wharf_c", 1.0, speed=20.0, cls="local")
    road(g, "c", "lz_c", 1.0, speed=20.0, cls="local")
    return g


NET = RoadNetwork(cutoff_graph(), source="water-air-test")
CUT = RoadClosure(t=0.0, hazard="test", u="a", v="c", cause="landslide debris", repair_min=3000.0)


def craft(mode: str, count: int = 1, **kw) -> FleetConfig:
    base = dict(
        base="main", mode=mode, count=count, capacity_kg=4000.0, capacity_m3=20.0,
        speed_kmh=260.0 if mode == "air" else 15.0, detour=1.1 if mode == "air" else 1.3,
        serves=["lz_c"] if mode == "air" else ["wharf_c"],
    )  # fmt: skip
    base.update(kw)
    return FleetConfig(**base)


def config(fleets: dict, start_hour: float = 10.0, storm: StormConfig | None = None) -> Config:
    trucks = {"own": FleetConfig(base="main", count=2, capacity_kg=1800.0, capacity_m3=16.0)}
    lay = LayoutConfig(
        name="water-air",
        depots={"main": DepotConfig(node="depot", stock=stock(3000, food_days=3.0))},
        relief=ReliefConfig(kit=kit(), fleets={**trucks, **fleets}),
    )
    cfg = Config(
        district=DistrictConfig(name="water-air", network="<memory>", seat="a"),
        scenario=ScenarioConfig(name="t", start_hour=start_hour, storm=storm),
        layout=lay,
        experiment=ExperimentConfig(replications=1, seed=5, hours=72.0, executor="serial"),
    )
    validate(cfg)
    return cfg


def run(cfg: Config, events: list, rep: int = 0):
    world = World(NET.fresh(), Streams(cfg.experiment.seed, rep), hubs=[NET.index["depot"]])
    relief.attach(world, cfg, RoadState(world))
    world.env.process(world.replay(events))
    world.env.run(until=HORIZON)
    ev = world.log.frame()
    return ev, relief_kpis(cfg, ev, HORIZON)


def arrivals(people: int = 100, t: float = 10.0) -> list:
    return [CUT, PeopleSheltered(t=t, shelter="s_c", node="c", people=people, origin="c")]


# ---------------------------------------------------------------------------- served or not
def test_cut_off_town_is_served_by_boat_or_air_when_they_exist_and_not_otherwise():
    ev, k = run(config({}), arrivals())
    assert k["people_needs_met_24h"] == 0 and k["relief_deliveries_blocked"] >= 1
    assert not (ev.event == "relief_unload").any()  # nothing gets through by road
    assert k["relief_towns_unserved"] == 1
    for mode in ("water", "air"):
        ev, k = run(config({mode: craft(mode)}), arrivals())
        unload = ev[ev.event == "relief_unload"]
        assert set(unload.entity) == {mode} and set(unload.node) == {"c"}
        assert k["needs_met_24h_share"] == 1.0 and k["relief_towns_unserved"] == 0
        assert k[f"relief_tonnes_{mode}"] > 0 and k["relief_tonnes_road"] == 0
        day1 = ev[(ev.event == "relief_dispatch") & (ev.t < 1440.0)]  # then daily rations
        assert len(day1) == math.ceil(100 * kit_kg_per_person() / 4000.0)
    # a craft whose served nodes include no drop point in town c cannot help
    ev, k = run(config({"air": craft("air", serves=["b"])}), arrivals())
    assert k["people_needs_met_24h"] == 0 and k["relief_trips_air"] == 0


def test_drop_at_the_landing_zone_then_on_the_ground_to_the_shelter():
    """Load (15 + kg/130), fly depot -> lz_c (11.1 km x 1.1 at 260 km/h), 1 min on the
    ground to the shelter at c, unload: the kit is complete then."""
    ev, _ = run(config({"air": craft("air", capacity_kg=10_000.0)}), arrivals(people=100))
    dispatch = ev[ev.event == "relief_dispatch"].iloc[0]  # the planner's 15-min round
    kg = float(dispatch.qty)
    handle = 15.0 + kg / 130.0
    d = NET.fresh()
    from sim.relief.trucks import direct_minutes

    leg = direct_minutes(d, d.index["depot"], d.index["lz_c"], 260.0, 1.1)
    met = ev[ev.event == "needs_met"].t.min()
    assert met == pytest.approx(dispatch.t + handle + leg + 1.0 + handle, abs=1e-6)


def test_a_grounded_helicopter_waits_for_daylight_and_for_the_storm_to_pass():
    night = dict(night_start_h=20.0, night_end_h=6.0, weather_limited=True)
    # 21:00 at t = 0: loaded at once, then on the ground until 06:00 (t = 540)
    ev, k = run(config({"air": craft("air", **night)}, start_hour=21.0), arrivals())
    grounded = ev[ev.event == "relief_grounded"]
    assert len(grounded) >= 1 and k["relief_grounded_h"] > 0
    first_takeoff = grounded.t.iloc[0] + grounded.qty.iloc[0]
    assert first_takeoff == pytest.approx(540.0)
    assert ev[ev.event == "relief_unload"].t.min() > 540.0
    # the same by day flies at once
    ev, k = run(config({"air": craft("air", **night)}, start_hour=10.0), arrivals())
    assert k["relief_grounded_h"] == 0 and ev[ev.event == "relief_unload"].t.min() < 120.0
    # a storm over the first 5 h keeps it down until the impact window ends
    storm = StormConfig(impact_start_h=0.0, duration_h=5.0)
    ev, _ = run(config({"air": craft("air", **night)}, storm=storm), arrivals())
    assert ev[ev.event == "relief_unload"].t.min() > 300.0
    # boats are not weather-limited unless configured
    ev, k = run(config({"water": craft("water")}, storm=storm), arrivals())
    assert k["relief_grounded_h"] == 0 and ev[ev.event == "relief_unload"].t.min() < 300.0


def test_operating_window_resumes_after_night_and_no_go_windows():
    w = OperatingWindow(start_hour=18.0, night_start_h=20.0, night_end_h=6.0, no_go=[(800, 900)])
    assert w.resumes(0.0) == 0.0  # 18:00
    assert w.resumes(150.0) == pytest.approx(720.0)  # 20:30 -> 06:00 (t = 720) ...
    assert w.resumes(810.0) == pytest.approx(900.0)  # a no-go window until 900
    assert w.resumes(700.0) == pytest.approx(720.0)
    assert OperatingWindow().resumes(123.0) == 123.0  # no limits


def test_waits_for_the_road_when_that_is_quicker_than_a_slow_boat():
    quick = RoadClosure(t=0.0, hazard="test", u="a", v="c", cause="flood", clear_min=120.0)
    events = [quick, PeopleSheltered(t=10.0, shelter="s_c", node="c", people=100, origin="c")]
    ev, k = run(config({"water": craft("water", speed_kmh=2.0)}), events)
    assert k["relief_waits_for_road"] >= 1 and k["relief_trips_water"] == 0
    assert ev[ev.event == "relief_unload"].t.min() > 120.0  # trucks after the reopening
    assert k["needs_met_24h_share"] == 1.0
    # a fast boat goes at once instead
    ev, k = run(config({"water": craft("water", speed_kmh=40.0)}), events)
    assert k["relief_trips_water"] >= 1 and ev[ev.event == "relief_unload"].t.min() < 120.0


def test_craft_positions_from_its_station_before_the_first_load():
    """A helicopter stationed at b flies b -> depot (5.6 km) before loading."""
    from sim.relief.trucks import direct_minutes

    ev, _ = run(config({"air": craft("air", station="b")}), arrivals())
    d = NET.fresh()
    pos = direct_minutes(d, d.index["b"], d.index["depot"], 260.0, 1.1)
    load = ev[ev.event == "relief_load"].t.min()
    dispatch = ev[ev.event == "relief_dispatch"].iloc[0]
    assert load == pytest.approx(dispatch.t + pos + 15.0 + dispatch.qty / 130.0, abs=1e-6)


# ---------------------------------------------------------------------------- CRN
def crn_demand(rep: int) -> list:
    """Random arrivals at the cut-off town c and the connected town b (layout-independent)."""
    rng = Streams(77, rep)("test/demand")
    out: list = [CUT]
    t = 0.0
    for _ in range(int(rng.integers(8, 16))):
        t += float(rng.exponential(90.0))
        town = "c" if rng.random() < 0.7 else "b"
        n = int(rng.integers(20, 120))
        out.append(PeopleSheltered(t=t, shelter=f"s_{town}", node=town, people=n, origin=town))
    return out


def test_more_boats_or_helicopters_never_meet_needs_later_on_common_random_numbers():
    night = dict(night_start_h=20.0, night_end_h=6.0)
    reps = range(4)
    for mode in ("water", "air"):
        share, mean_h = {}, {}
        for n in (0, 1, 2):
            fleets = {mode: craft(mode, count=n, **(night if mode == "air" else {}))}
            share[n], mean_h[n] = [], []
            for r in reps:
                ev, k = run(config(fleets, start_hour=16.0), crn_demand(r), rep=r)
                share[n].append(k["needs_met_24h_share"])
                g = group_table(ev, 24.0, HORIZON)
                mean_h[n].append(float(g["hours_to_met"].fillna(HORIZON / 60.0).mean()))
        for r in reps:
            assert share[0][r] <= share[1][r] + 1e-9 <= share[2][r] + 2e-9, (mode, r, share)
            assert mean_h[0][r] >= mean_h[1][r] - 1e-9, (mode, r, mean_h)
        assert np.mean(share[0]) < np.mean(share[1])


# ---------------------------------------------------------------------------- casualties
def casualty_world(helicopters: int, seed: int, start_hour: float = 10.0):
    """Town r (200 at risk, half never warned) floods; its only road floods with it. A boat
    team cannot reach r (not a water node), helicopter teams can (``helicopters`` of them)."""
    g = nx.Graph()
    node(g, "base", pop=0, lat=29.5, lon=106.2)
    node(g, "r", pop=5000, lat=29.55, lon=106.2)
    node(g, "s", pop=0, lat=29.5, lon=106.25)
    road(g, "base", "r", 20)
    road(g, "base", "s", 10)
    teams = {"boat": TeamConfig(tier="district", home="base", headcount=10,
                                capabilities=["rescue", "water_rescue"], assembly_min=10.0)}  # fmt: skip
    if helicopters:
        teams["heli"] = TeamConfig(tier="district", home="s", count=helicopters, headcount=4,
                                   capabilities=["rescue", "water_rescue"], assembly_min=30.0,
                                   modes=["air"])  # fmt: skip
    evac = EvacuationLayoutConfig(
        channels={"sms": WarningChannelConfig(reach=0.5, delay_min=0.0)}, household_size=1.0,
        comply_share=1.0, prep_median_min=20.0, prep_sigma=0.3, assisted_share=0.0, car_share=1.0,
        walk_km=0.0, emergency_hold_h=0.0,
    )  # fmt: skip
    cfg = Config(
        district=DistrictConfig(name="t", network="<memory>"),
        scenario=ScenarioConfig(name="t", start_hour=start_hour),
        layout=LayoutConfig(
            name="t",
            teams=teams,
            rescue=RescueConfig(access=AccessConfig(water_nodes=["base"])),
            shelters={"s": ShelterGroupConfig(home="s", capacity=10_000)},
            evacuation=evac,
        ),  # fmt: skip
        experiment=ExperimentConfig(replications=1, seed=seed, hours=48.0, executor="serial"),
    )
    validate(cfg)
    net = RoadNetwork(g, source="casualty-test")
    world = World(net, Streams(seed, 0), hubs=[0])
    roads = RoadState(world)
    rescue.attach(world, cfg, roads)
    svc = evacuation.attach(world, cfg, roads)
    rule = CasualtyRule(trapped_window_min=240.0, max_people=15, report_delay_min_mean=10.0)
    world.env.process(
        world.replay(
            [
                EvacuationOrder(
                    t=0.0,
                    hazard="t",
                    id="o1",
                    kind="river_flood",
                    impact_t=60.0,
                    at_risk=(("r", 200),),
                    casualties=rule,
                ),  # fmt: skip
                ZoneImpact(t=60.0, hazard="t", order="o1", node="r"),
                RoadClosure(
                    t=60.0, hazard="t", u="base", v="r", cause="river flood", clear_min=2000.0
                ),  # fmt: skip
            ]
        )
    )
    return world, svc


def test_caught_people_are_conserved_through_rescue_and_death():
    world, svc = casualty_world(helicopters=1, seed=3)
    for t in (30.0, 61.0, 200.0, 400.0, 48 * 60.0):
        world.env.run(until=t)
        assert (
            svc.people_at_home()
            + svc.people_moving()
            + svc.people_sheltered()
            + (svc.caught_people)
            == 200
        )
        assert svc.casualty_people == svc.caught_people  # every caught person is followed up
        ev = world.log.frame()
        k = casualty_kpis(ev, t, 1e6)
        assert k["evac_caught_followed"] == svc.caught_people
        assert (
            k["evac_caught_rescued"] + k["evac_caught_not_reached_in_time"]
            + k["evac_caught_awaiting_rescue"]
        ) == svc.caught_people  # fmt: skip
    assert svc.caught_people > 0
    cas = ev[ev.event == "casualty"]
    assert cas.qty.max() <= 15 and cas.entity.is_unique
    alarms = ev[(ev.event == "incident") & ev.entity.str.startswith("cas-")]
    assert alarms.qty.sum() == svc.caught_people  # the rescue module received them all
    dep = ev[(ev.event == "depart") & ev.ref.str.startswith("cas-") & (ev.t < 60.0 + 2000.0)]
    assert set(dep["info"]) == {"air"}  # only the helicopter gets through the flood
    assert k["evac_deaths"] == k["evac_caught_not_reached_in_time"]


def test_more_helicopters_never_more_deaths_on_common_random_numbers():
    for seed in (1, 2, 3):
        deaths = []
        for n in (0, 1, 3):
            world, _ = casualty_world(helicopters=n, seed=seed, start_hour=14.0)
            world.env.run(until=48 * 60.0)
            deaths.append(casualty_kpis(world.log.frame(), 48 * 60.0, 1e6)["evac_deaths"])
        assert deaths[0] >= deaths[1] >= deaths[2], (seed, deaths)
        assert deaths[0] > deaths[2]


def test_bad_craft_and_casualty_config_names_the_field():
    from sim.config import CasualtyConfig, ConfigError, EvacuationHazardConfig, EvacuationZoneConfig

    with pytest.raises(ConfigError, match=r"layout.relief.fleets.own: station"):
        config({"own": FleetConfig(base="main", capacity_kg=1.0, capacity_m3=1.0, station="b")})
    with pytest.raises(ConfigError, match=r"fleets.air.night_start_h=25"):
        config({"air": craft("air", night_start_h=25.0)})
    cfg = config({})
    cfg.scenario.evacuation = EvacuationHazardConfig(
        zones={"z": EvacuationZoneConfig(nodes=["c"], people=10)},
        casualties=CasualtyConfig(swept_window_h=-1.0),
    )
    with pytest.raises(ConfigError, match=r"scenario.evacuation.casualties.swept_window_h"):
        validate(cfg)
    cfg.scenario.evacuation.casualties = CasualtyConfig(capabilities=["swimming"])
    with pytest.raises(ConfigError, match=r"casualties.capabilities: unknown capability"):
        validate(cfg)
