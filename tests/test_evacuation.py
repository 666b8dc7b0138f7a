"""Evacuation: bottleneck clearance against N/C + free time, conservation of people at any
time, shelters never above capacity, floods catching people, hand-over, determinism, CRN."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios import evacuation as evac_hazard
from sim import evacuation
from sim.config import (
    Config,
    ConfigError,
    DistrictConfig,
    EvacFleetConfig,
    EvacuationHazardConfig,
    EvacuationLayoutConfig,
    EvacuationZoneConfig,
    ExperimentConfig,
    LayoutConfig,
    ScenarioConfig,
    ShelterGroupConfig,
    WarningChannelConfig,
    validate,
)
from sim.core.events import EvacuationOrder, RoadClosure, ZoneImpact
from sim.core.network import RoadNetwork
from sim.core.roads import RoadState
from sim.core.signals import PeopleLeftShelter, PeopleSheltered
from sim.core.streams import Streams
from sim.core.world import World
from sim.evacuation.metrics import evacuation_kpis, occupancy, town_table
from sim.run.replication import run_replication
from tests.conftest import node, road

INSTANT = WarningChannelConfig(reach=1.0, delay_min=0.0)


def instant_behaviour(**kw) -> EvacuationLayoutConfig:
    """Everyone hears at once, leaves at once by car, one person per household."""
    base = dict(
        channels={"sms": INSTANT},
        household_size=1.0,
        comply_share=1.0,
        prep_median_min=1e-9,
        prep_sigma=0.0,
        assisted_share=0.0,
        car_share=1.0,
        walk_km=0.0,
        group_window_min=60.0,
        emergency_hold_h=0.0,
    )
    base.update(kw)
    return EvacuationLayoutConfig(**base)


def make_config(shelters: dict, evac: EvacuationLayoutConfig, scenario=None, seed=3) -> Config:
    return Config(
        district=DistrictConfig(name="t", network="<memory>"),
        scenario=scenario or ScenarioConfig(name="t"),
        layout=LayoutConfig(name="t", shelters=shelters, evacuation=evac),
        experiment=ExperimentConfig(replications=1, seed=seed, hours=72.0, executor="serial"),
    )


def run_world(graph: nx.Graph, cfg: Config, events: list, until: float | None = None):
    net = RoadNetwork(graph, source="test")
    world = World(net, Streams(cfg.experiment.seed, 0), hubs=[0])
    roads = RoadState(world)
    svc = evacuation.attach(world, cfg, roads)
    world.env.process(world.replay(events))
    if until is not None:
        world.env.run(until=until)
    return world, svc


def order(at_risk, t=0.0, impact=10_000.0, unsafe=(), oid="o1") -> EvacuationOrder:
    return EvacuationOrder(
        t=t,
        hazard="test",
        id=oid,
        kind="river_flood",
        impact_t=impact,
        at_risk=tuple(at_risk),
        unsafe_nodes=tuple(unsafe),
    )


def two_node_graph(minutes: float, cap: float, people: int, speed: float = 60.0) -> nx.Graph:
    g = nx.Graph()
    node(g, "O", pop=people)
    node(g, "D", pop=0)
    road(g, "O", "D", minutes, speed=speed, cap=cap)
    return g


# --------------------------------------------------------------------------- bottleneck
@pytest.mark.parametrize(
    "n,cap_vph,free_min,platoon", [(500, 600.0, 10.0, 500), (1200, 1000.0, 7.0, 35)]
)
def test_single_bottleneck_clears_in_n_over_c_plus_free_time(n, cap_vph, free_min, platoon):
    """One origin, one link of capacity C, N vehicles leaving at once: last arrival N/C + F."""
    cfg = make_config(
        {"s": ShelterGroupConfig(type="emergency", home="D", capacity=10 * n)},
        instant_behaviour(max_platoon_veh=platoon),
    )
    world, svc = run_world(two_node_graph(free_min, cap_vph, n), cfg, [order([("O", n)])])
    world.env.run()
    ev = world.log.frame()
    sh = ev[ev.event == "sheltered"]
    assert sh.qty.sum() == n
    expected = free_min + n / cap_vph * 60.0
    assert sh.t.max() == pytest.approx(expected, abs=1e-6)
    # the arrival profile is the capacity: k vehicles in by F + k/C (platoon granularity)
    k = sh.sort_values("t").qty.cumsum().to_numpy()
    assert np.all(sh.sort_values("t").t.to_numpy() >= free_min + k / cap_vph * 60.0 - 1e-6)


def test_spillback_respects_storage_and_only_slows_clearance():
    """A short, slow link downstream holds few vehicles: queues spill back, no link ever
    holds more than its storage (or one platoon), and clearance is no faster than N/C + F."""
    g = nx.Graph()
    node(g, "O", pop=600)
    node(g, "M", pop=0)
    node(g, "D", pop=0)
    road(g, "O", "M", 5.0, speed=6.0, cap=3000.0)  # 500 m, 2 lanes: 133 vehicles
    road(g, "M", "D", 10.0, speed=3.0, cap=600.0)  # 500 m, 1 lane: 66 vehicles
    cfg = make_config(
        {"s": ShelterGroupConfig(type="emergency", home="D", capacity=10_000)},
        instant_behaviour(max_platoon_veh=30),
    )
    world, svc = run_world(g, cfg, [order([("O", 600)])])
    world.env.run()
    lq = svc.lq
    for k, peak in enumerate(lq.peak_occ):
        if lq.edge_of[k] >= 0:
            assert peak <= max(lq.storage[k], 30) + 1e-9
    sh = world.log.frame().query("event == 'sheltered'")
    assert sh.qty.sum() == 600
    assert sh.t.max() >= 5.0 + 10.0 + 600 / 600.0 * 60.0 - 1e-6
    assert lq.peak_occ[lq.link(1, 2)] > 0 and lq.peak_occ[lq.link(0, 1)] > 30  # it spilled back


# --------------------------------------------------------------------------- conservation
def flood_graph() -> nx.Graph:
    """Zone towns a (wholly in the zone) and b by the river, safe towns c and d uphill."""
    g = nx.Graph()
    node(g, "depot", kind="depot", pop=0)
    for n, p in (("a", 4000), ("b", 6000), ("c", 3000), ("d", 2000)):
        node(g, n, pop=p)
    road(g, "depot", "c", 5)
    road(g, "a", "b", 8, cap=800)
    road(g, "a", "c", 15, cap=600)
    road(g, "b", "c", 12, cap=1000)
    road(g, "c", "d", 10, cap=1200)
    road(g, "b", "d", 25, cap=800, cls="expressway")
    return g


def flood_events(people_a: int, people_b: int, impact: float) -> list:
    return [
        order([("a", people_a), ("b", people_b)], t=0.0, impact=impact, unsafe=("a",)),
        ZoneImpact(t=impact, hazard="test", order="o1", node="a"),
        ZoneImpact(t=impact + 20.0, hazard="test", order="o1", node="b"),
        RoadClosure(t=impact, hazard="test", u="a", v="b", clear_min=600.0),
        RoadClosure(t=impact, hazard="test", u="a", v="c", clear_min=600.0),
    ]


def flood_layout(cap_c: int, cap_d: int, buses: int, car_share: float, hold_h: float = 3.0):
    shelters = {
        "c_emerg": ShelterGroupConfig(type="emergency", home="c", capacity=cap_c),
        "d_short": ShelterGroupConfig(type="short_term", home="d", capacity=cap_d),
        "b_emerg": ShelterGroupConfig(type="emergency", home="b", capacity=cap_c // 4),
    }
    evac = EvacuationLayoutConfig(
        channels={
            "sms": WarningChannelConfig(reach=0.8, delay_min=10.0),
            "grid": WarningChannelConfig(
                reach=0.95, delay_min=20.0, door_to_door=True, workers_per_1000=2.0
            ),
        },
        fleet={
            "bus": EvacFleetConfig(role="bus", home="c", count=buses, capacity=45),
            "van": EvacFleetConfig(
                role="assist", home="c", count=2, capacity=8, load_min_per_household=5.0
            ),
        },
        comply_share=0.97,
        prep_median_min=45.0,
        assisted_share=0.05,
        car_share=car_share,
        emergency_hold_h=hold_h,
        group_window_min=5.0,
        max_platoon_veh=40,
    )
    return shelters, evac


def log_state(ev: pd.DataFrame, t: float, at_risk: int) -> tuple[float, float, float, float]:
    """(home, moving, sheltered, caught) at time ``t`` from the event log alone."""
    e = ev[ev.t < t]
    qty = e.groupby("event").qty.sum()
    caught_home = e[(e.event == "caught_by_hazard") & (e.ref == "home")].qty.sum()
    home = at_risk - qty.get("depart_home", 0.0) - caught_home
    shelter = qty.get("sheltered", 0.0) - qty.get("shelter_transfer", 0.0)
    caught = qty.get("caught_by_hazard", 0.0)
    return home, at_risk - home - shelter - caught, shelter, caught


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    cap_c=st.integers(200, 6000),
    cap_d=st.integers(0, 5000),
    buses=st.integers(0, 6),
    car_share=st.floats(0.0, 0.9),
    impact=st.floats(60.0, 400.0),
)
def test_people_are_conserved_at_any_time_and_shelters_never_overfill(
    seed, cap_c, cap_d, buses, car_share, impact
):
    """home + on the move + in shelter + caught = people at risk, checked against the live
    state and the event log at many times; no shelter ever holds more than its capacity."""
    shelters, evac = flood_layout(cap_c, max(cap_d, 1), buses, car_share)
    cfg = make_config(shelters, evac, seed=seed)
    world, svc = run_world(flood_graph(), cfg, flood_events(1500, 2500, impact))
    probes = np.arange(0.37, 30 * 60.0, 23.0)
    live = []
    for t in probes:
        world.env.run(until=t)
        state = (
            svc.people_at_home(),
            svc.people_moving(),
            svc.people_sheltered(),
            svc.caught_people,
        )
        assert sum(state) == 4000
        assert np.all(svc.shelters.occ <= svc.shelters.cap)
        assert np.all(svc.shelters.occ + svc.shelters.reserved <= svc.shelters.cap)
        live.append(state)
    ev = world.log.frame()
    for t, state in zip(probes, live, strict=True):
        assert log_state(ev, t, 4000) == pytest.approx(state)
    occ = occupancy(ev)
    assert (occ["peak"] <= occ["capacity"]).all()
    moves = ev[ev.event.isin(["sheltered", "shelter_transfer"])]
    sign = np.where(moves.event == "sheltered", 1, -1) * moves.qty
    running = sign.groupby(moves.entity).cumsum()
    cap = occ.set_index("shelter")["capacity"]
    assert (running.to_numpy() <= cap.loc[moves.entity].to_numpy()).all()
    assert (running >= 0).all()


def test_signals_match_the_log_and_emergency_shelters_hand_people_on():
    shelters, evac = flood_layout(5000, 5000, buses=4, car_share=0.5, hold_h=2.0)
    cfg = make_config(shelters, evac, seed=11)
    net = RoadNetwork(flood_graph(), source="test")
    world = World(net, Streams(11, 0), hubs=[0])
    got = {"in": 0, "out": 0}
    world.subscribe(PeopleSheltered, lambda e: got.__setitem__("in", got["in"] + e.people))
    world.subscribe(PeopleLeftShelter, lambda e: got.__setitem__("out", got["out"] + e.people))
    evacuation.attach(world, cfg, RoadState(world))
    world.env.process(world.replay(flood_events(1500, 2500, 300.0)))
    world.env.run(until=72 * 60.0)
    ev = world.log.frame()
    assert got["in"] == ev[ev.event == "sheltered"].qty.sum() > 0
    assert got["out"] == ev[ev.event == "shelter_transfer"].qty.sum() > 0
    # everyone who reached an emergency shelter was handed on to the short-term one at d
    occ = occupancy(ev).set_index("shelter")
    emergency = occ.loc[["c_emerg", "b_emerg"], "admitted"].sum()
    assert ev[ev.event == "shelter_transfer"].qty.sum() == emergency
    assert occ.loc[["c_emerg", "b_emerg"], "peak"].sum() > 0
    first = ev[(ev.event == "sheltered") & ev["info"].str.startswith("emergency")]
    transfers = ev[ev.event == "shelter_transfer"]
    assert (transfers.t.min() - first.t.min()) == pytest.approx(120.0)


# --------------------------------------------------------------------------- hazard outcomes
def test_flood_overtakes_vehicles_still_on_the_road():
    """200 cars leave a town wholly in the zone on one road that lets a car out every minute
    after 30 min: the road floods at t = 100 and every car still on it is caught."""
    g = nx.Graph()
    node(g, "a", pop=200)
    node(g, "c", pop=0)
    road(g, "a", "c", 30.0, cap=60.0)
    cfg = make_config(
        {"s": ShelterGroupConfig(home="c", capacity=10_000)}, instant_behaviour(max_platoon_veh=1)
    )
    events = [
        order([("a", 200)], impact=100.0, unsafe=("a",)),
        ZoneImpact(t=100.0, hazard="test", order="o1", node="a"),
        RoadClosure(t=100.0, hazard="test", u="a", v="c", clear_min=60.0),
    ]
    world, svc = run_world(g, cfg, events, until=400.0)
    ev = world.log.frame()
    caught = ev[ev.event == "caught_by_hazard"]
    on_road = caught[caught.ref.str.startswith("road:")].qty.sum()
    out = ev[ev.event == "out_of_zone"].qty.sum()
    assert out + on_road == 200 == caught.qty.sum() + ev[ev.event == "sheltered"].qty.sum()
    assert out == pytest.approx(71, abs=1)  # cars leave the road at 30, 31, ..., 100
    k = evacuation_kpis(ev, [events[0]], 400.0)
    assert k["evac_caught_on_road"] == on_road
    assert k["evac_caught_on_road_by_car"] == on_road > 0  # own cars, nothing else on the road
    assert k["evac_caught_on_road_by_bus"] == k["evac_caught_on_road_assisted"] == 0
    assert k["evac_out_before_impact_share"] == pytest.approx(out / 200)
    assert svc.people_moving() == 0 and svc.caught_people == on_road


def bus_run(
    people: int,
    buses: int,
    cutoff: float | None = None,
    unsafe: tuple = (),
    flood_road: bool = True,
) -> tuple[dict[str, float], pd.DataFrame]:
    """Walkers of town a (impact at t = 50) wait at its assembly point for buses based at
    shelter town c, 30 min away on the only road (which floods at impact if ``flood_road``).
    Returns the KPIs and the log at t = 300."""
    g = nx.Graph()
    node(g, "a", pop=people)
    node(g, "c", pop=0)
    road(g, "a", "c", 30.0)
    evac = instant_behaviour(
        car_share=0.0,
        fleet={"bus": EvacFleetConfig(role="bus", home="c", count=buses, capacity=45)},
        vehicle_cutoff_min=cutoff,
    )
    cfg = make_config({"s": ShelterGroupConfig(home="c", capacity=1000)}, evac)
    events = [
        order([("a", people)], impact=50.0, unsafe=unsafe),
        ZoneImpact(t=50.0, hazard="test", order="o1", node="a"),
    ]
    if flood_road:
        events.append(RoadClosure(t=50.0, hazard="test", u="a", v="c", clear_min=600.0))
    world, _ = run_world(g, cfg, events, until=300.0)
    ev = world.log.frame()
    return evacuation_kpis(ev, [events[0]], 300.0), ev


def test_a_bus_can_carry_people_from_a_safe_assembly_point_onto_a_road_that_floods():
    """Why more buses can mean more people caught (the flood_evacuation_stress finding): 90
    walkers wait at the assembly point of a town that is not wholly in the zone (safe there);
    a bus fetches 45 and drives them off on the only road, which floods while it is on it.
    Without the bus nobody is caught; with it 45 are, and the KPIs say they were on a bus."""
    without, with_bus = bus_run(90, 0)[0], bus_run(90, 1)[0]
    assert without["evac_caught_people"] == 0
    assert with_bus["evac_caught_people"] == with_bus["evac_caught_on_road"] == 45
    assert with_bus["evac_caught_on_road_by_bus"] == 45
    assert with_bus["evac_caught_on_road_by_car"] == 0
    # a command post that sends no run in the last hour before the forecast impact: the bus
    # waits, nobody is caught (and the people wait at the assembly point, unsheltered)
    held = bus_run(90, 1, cutoff=60.0)[0]
    assert held["evac_caught_people"] == 0 and held["evac_sheltered_people"] == 0
    # a cut-off that ends before the bus would leave changes nothing
    assert bus_run(90, 1, cutoff=0.0)[0]["evac_caught_on_road_by_bus"] == 45
    # where the whole town floods, waiting is not safe: the runs go on despite the cut-off
    whole = bus_run(90, 1, cutoff=60.0, unsafe=("a",))[0]
    assert whole["evac_caught_on_road_by_bus"] == 45
    assert whole["evac_caught_people"] == 90  # (the 45 left at the assembly point too)


def test_runs_suspended_before_impact_resume_once_the_hazard_has_passed_the_town():
    """Bus runs to a zone town stop ``vehicle_cutoff_min`` before the forecast impact and
    go on after the impact has reached it (its roads are then closed or open, not about to
    flood): 45 walkers fetched after the impact, by a road that did not flood."""
    k, ev = bus_run(45, 1, cutoff=120.0, flood_road=False)
    assert k["evac_sheltered_people"] == 45 and k["evac_caught_people"] == 0
    assert ev[ev.event == "vehicle_dispatch"].t.min() == pytest.approx(50.0)


def test_a_vehicle_cutoff_must_not_be_negative():
    cfg = make_config({}, instant_behaviour(vehicle_cutoff_min=-5.0))
    with pytest.raises(ConfigError, match="vehicle_cutoff_min"):
        validate(cfg)


def test_impact_catches_those_still_at_home():
    g = two_node_graph(10.0, 1000.0, 1000)
    evac = instant_behaviour(
        channels={"slow": WarningChannelConfig(reach=0.5, delay_min=0.0)}, group_window_min=1.0
    )
    cfg = make_config({"s": ShelterGroupConfig(home="D", capacity=5000)}, evac)
    events = [
        order([("O", 1000)], impact=60.0),
        ZoneImpact(t=60.0, hazard="test", order="o1", node="O"),
    ]
    world, svc = run_world(g, cfg, events, until=200.0)
    ev = world.log.frame()
    home = ev[(ev.event == "caught_by_hazard") & (ev.ref == "home")].qty.sum()
    warned = ev[ev.event == "warned"].qty.sum()
    assert home == 1000 - warned and 400 < warned < 600
    k = evacuation_kpis(ev, [events[0]], 200.0)
    assert k["evac_out_before_impact_share"] == pytest.approx(warned / 1000)
    assert k["evac_caught_at_home"] == home


def test_full_shelter_turns_people_away_to_the_next():
    g = nx.Graph()
    node(g, "O", pop=300)
    node(g, "N", pop=0)
    node(g, "F", pop=0)
    road(g, "O", "N", 5.0)
    road(g, "N", "F", 5.0)
    cfg = make_config(
        {
            "near": ShelterGroupConfig(home="N", capacity=100),
            "far": ShelterGroupConfig(home="F", capacity=1000),
        },
        instant_behaviour(max_platoon_veh=300),
    )
    world, _ = run_world(g, cfg, [order([("O", 300)])])
    world.env.run()
    ev = world.log.frame()
    sh = ev[ev.event == "sheltered"].groupby("entity").qty.sum()
    assert sh["near"] == 100 and sh["far"] == 200
    assert ev[ev.event == "turned_away"].qty.sum() == 200


def test_no_room_anywhere_leaves_people_waiting_and_counted():
    g = two_node_graph(5.0, 1000.0, 300)
    cfg = make_config(
        {"s": ShelterGroupConfig(home="D", capacity=120)}, instant_behaviour(max_platoon_veh=300)
    )
    world, svc = run_world(g, cfg, [order([("O", 300)])], until=600.0)
    ev = world.log.frame()
    k = evacuation_kpis(ev, [order([("O", 300)])], 600.0)
    assert k["evac_sheltered_people"] == 120
    assert k["evac_never_sheltered"] == 180 == svc.people_moving()
    assert k["evac_unsheltered_person_h"] == pytest.approx(
        180 * (600.0 - 5.0 - 18.0) / 60.0, rel=0.02
    )


# --------------------------------------------------------------------------- hazard side
def zone_cfg(**kw) -> EvacuationHazardConfig:
    zone = EvacuationZoneConfig(nodes=["a", "b"], unsafe_nodes=["a"], people=3000, plan_people=3000)
    for k, v in kw.items():
        setattr(zone, k, v)
    return EvacuationHazardConfig(
        district="x", zones={"x": zone}, order_h=1.0, lead_h=4.0, impact_spread_min=30.0
    )


def test_generator_sizes_the_event_and_floods_zone_roads():
    net = RoadNetwork(flood_graph(), source="flood")
    events = evac_hazard.generate(zone_cfg(), net, np.random.default_rng(5))
    (o,) = [e for e in events if isinstance(e, EvacuationOrder)]
    assert sum(p for _, p in o.at_risk) == 3000 and o.plan_people == 3000
    assert o.impact_t == pytest.approx(60.0 + 240.0)
    impacts = {e.node: e.t for e in events if isinstance(e, ZoneImpact)}
    assert impacts == {"a": pytest.approx(300.0), "b": pytest.approx(330.0)}
    closed = {frozenset((e.u, e.v)) for e in events if isinstance(e, RoadClosure)}
    assert closed == {frozenset(("a", "b")), frozenset(("a", "c"))}  # b-d is an expressway
    share = evac_hazard.generate(
        zone_cfg(people=0, share_of_population=0.1), net, np.random.default_rng(5)
    )
    (o2,) = [e for e in share if isinstance(e, EvacuationOrder)]
    assert sum(p for _, p in o2.at_risk) == pytest.approx(1000, rel=0.1)


def test_config_validation_names_the_field():
    sc = ScenarioConfig(name="t", evacuation=zone_cfg(unsafe_nodes=["zz"]))
    cfg = make_config({}, EvacuationLayoutConfig(), scenario=sc)
    with pytest.raises(ConfigError, match="zones.x.unsafe_nodes"):
        validate(cfg)
    cfg = make_config({"s": ShelterGroupConfig(type="tent")}, EvacuationLayoutConfig())
    with pytest.raises(ConfigError, match="layout.shelters.s.type"):
        validate(cfg)
    cfg = make_config({}, EvacuationLayoutConfig(car_share=0.9, assisted_share=0.2))
    with pytest.raises(ConfigError, match="assisted_share \\+ car_share"):
        validate(cfg)


# --------------------------------------------------------------------------- whole runs
def run_config(buses: int, cap_c: int, seed: int = 7) -> Config:
    shelters, evac = flood_layout(cap_c, 3000, buses, car_share=0.4)
    sc = ScenarioConfig(name="flood", evacuation=zone_cfg(people=2500))
    sc.evacuation.zones["x"].nodes = ["a", "b"]
    return make_config(shelters, evac, scenario=sc, seed=seed)


NET = RoadNetwork(flood_graph(), source="flood")


def test_same_seed_same_log_and_layouts_share_the_disaster_and_the_households():
    a = run_replication(run_config(3, 2000), NET, 1)
    b = run_replication(run_config(3, 2000), NET, 1)
    pd.testing.assert_frame_equal(a.events(), b.events())
    other = run_replication(run_config(8, 600), NET, 1)
    assert a.timeline == other.timeline
    cols = ["t", "node", "ref", "qty"]  # group ids are numbered in creation order
    ea, eo = a.events(), other.events()
    for kind in ("at_risk", "warned", "evac_impact", "road_close"):
        pd.testing.assert_frame_equal(
            ea[ea.event == kind][cols].reset_index(drop=True),
            eo[eo.event == kind][cols].reset_index(drop=True),
        )
    own = ea[(ea.event == "depart_home") & (ea.ref != "assist")]
    own_o = eo[(eo.event == "depart_home") & (eo.ref != "assist")]
    pd.testing.assert_frame_equal(
        own[cols].reset_index(drop=True), own_o[cols].reset_index(drop=True)
    )
    assert (
        not ea[ea.event == "sheltered"]
        .reset_index(drop=True)
        .equals(eo[eo.event == "sheltered"].reset_index(drop=True))
    )


def test_more_buses_never_leave_more_people_behind_on_common_random_numbers():
    caught = {}
    for buses in (0, 2, 8):
        reps = [run_replication(run_config(buses, 3000, seed=5), NET, r) for r in range(4)]
        caught[buses] = [
            evacuation.kpis(r, r.events())["evac_never_sheltered"]
            + evacuation.kpis(r, r.events())["evac_caught_people"]
            for r in reps
        ]
    assert all(x >= y >= z for x, y, z in zip(caught[0], caught[2], caught[8], strict=True))
    assert sum(caught[0]) > sum(caught[8])


def test_shipped_flood_scenarios_run_for_every_district():
    from sim.cli import compose_config
    from sim.run.app import prepare

    for district in ("fengdu", "bishan", "beibei", "nanan"):
        over = [f"district={district}", "scenario=flood_evacuation", "layout.relief=null"]
        conf, net = prepare(compose_config(over))
        rep = run_replication(conf, net, 0)
        k = evacuation.kpis(rep, rep.events())
        zone = conf.scenario.evacuation.zones[district]
        assert k["evac_people_at_risk"] == zone.people
        assert k["evac_sheltered_people"] + k["evac_caught_people"] + k[
            "evac_never_sheltered"
        ] == pytest.approx(zone.people)
        assert k["evac_sheltered_share"] > 0.8
        assert math.isfinite(k["evac_shelter_clearance_h"])
        tables = evacuation.tables(rep, rep.events())
        curve = tables["evac_curve"]
        assert curve["sheltered"].is_monotonic_increasing
        assert curve["sheltered"].iloc[-1] == k["evac_sheltered_people"]
        towns = tables["evac_towns"]
        assert towns["at_risk"].sum() == zone.people
        assert set(towns["town"]) <= set(zone.nodes)
        # by the town they left: every first shelter arrival, every evacuee not sheltered
        assert towns["sheltered"].sum() == k["evac_sheltered_people"]
        not_sheltered = k["evac_evacuees_not_sheltered"]
        assert (towns["complied"] - towns["sheltered"]).sum() == pytest.approx(not_sheltered)
        why = evacuation.contributors(
            "evac_evacuees_not_sheltered", {"evac_towns": towns.assign(rep=0)}
        )
        named = sum(float(line.split(": ")[1].split(" ")[0].replace(",", "")) for line in why)
        assert named <= not_sheltered + 0.1 and (not why) == (not_sheltered == 0)
        assert all("in no shelter at the horizon" in line for line in why)
        caught = ("evac_caught_at_home", "evac_caught_setting_out", "evac_caught_on_road")
        assert sum(k[c] for c in caught) == pytest.approx(k["evac_caught_people"])


def test_tables_and_figures_from_a_small_run(tmp_path):
    cfg = run_config(3, 2000)
    reps = [run_replication(cfg, NET, r) for r in range(2)]
    tables = {}
    for r in reps:
        for name, t in evacuation.tables(r, r.events()).items():
            tables.setdefault(name, []).append(t.assign(rep=r.rep))
    tables = {k: pd.concat(v, ignore_index=True) for k, v in tables.items()}
    cfg.district.name_en = "Test"
    evacuation.write_figures(tables, cfg, tmp_path)
    assert (tmp_path / "evacuation_curve.png").stat().st_size > 10_000
    assert (tmp_path / "shelter_occupancy.png").exists()
    nodes = tables["evac_shelter_nodes"]
    assert (nodes["peak"] <= nodes["capacity"]).all()
    # nobody was handed on in this replication set? the curve must still be well formed
    quiet = evacuation.tables(reps[0], reps[0].events().query("event != 'shelter_transfer'"))
    assert len(quiet["evac_curve"]) == len(tables["evac_curve"]) // 2


def test_check_nodes_names_the_field():
    from sim.core.errors import NetworkError

    cfg = make_config(
        {"s": ShelterGroupConfig(home="nowhere", capacity=10)}, EvacuationLayoutConfig()
    )
    with pytest.raises(NetworkError, match="layout.shelters.s.home: unknown node 'nowhere'"):
        evacuation.check_nodes(cfg, NET)
    sc = ScenarioConfig(name="t", evacuation=zone_cfg(nodes=["a", "zz"]))
    with pytest.raises(NetworkError, match=r"zones.x.nodes\[1\]"):
        evacuation.check_nodes(make_config({}, EvacuationLayoutConfig(), scenario=sc), NET)


# --------------------------------------------------------------------------- review fixes
def test_evacuees_caught_preparing_count_as_not_sheltered_and_refusers_apart():
    """People who complied but were caught before leaving are failures of the evacuation
    (evac_evacuees_not_sheltered) although evac_never_sheltered excludes everyone caught."""
    g = two_node_graph(5.0, 1000.0, 400)
    cfg = make_config(
        {"s": ShelterGroupConfig(home="D", capacity=1000)},
        instant_behaviour(comply_share=0.5, prep_median_min=60.0),
    )
    o = order([("O", 400)], impact=10.0)
    events = [o, ZoneImpact(t=10.0, hazard="test", order="o1", node="O")]
    world, _ = run_world(g, cfg, events)
    world.env.run()
    k = evacuation_kpis(world.log.frame(), [o], 600.0)
    assert k["evac_sheltered_people"] == 0 and k["evac_caught_at_home"] == 400
    assert k["evac_never_sheltered"] == 0  # caught people are not counted there
    assert k["evac_complied_people"] + k["evac_refused"] == 400
    assert 100 < k["evac_refused"] < 300
    assert k["evac_evacuees_not_sheltered"] == k["evac_complied_people"] > 0
    # the note says they never left home (review: it said they "set out")
    towns = town_table(world.log.frame()).assign(rep=0)
    (line,) = evacuation.contributors("evac_evacuees_not_sheltered", {"evac_towns": towns})
    n = k["evac_complied_people"]
    assert line == (
        f"O: {n:,.1f} people a replication who would leave were in no shelter at the horizon "
        f"({n:,.1f} never left home: not warned in time or caught preparing; 0.0 left home)"
    )


def test_keep_open_roads_do_not_flood_and_bad_entries_name_the_field():
    from sim.core.errors import NetworkError

    net = RoadNetwork(flood_graph(), source="flood")
    events = evac_hazard.generate(zone_cfg(keep_open=["b--a"]), net, np.random.default_rng(5))
    closed = {frozenset((e.u, e.v)) for e in events if isinstance(e, RoadClosure)}
    assert closed == {frozenset(("a", "c"))}
    same = evac_hazard.generate(zone_cfg(keep_open=[["a", "b"]]), net, np.random.default_rng(5))
    assert same == events
    sc = ScenarioConfig(name="t", evacuation=zone_cfg(keep_open=["a--zz"]))
    with pytest.raises(NetworkError, match=r"zones.x.keep_open\[0\]: unknown node 'zz'"):
        evacuation.check_nodes(make_config({}, EvacuationLayoutConfig(), scenario=sc), net)
    sc = ScenarioConfig(name="t", evacuation=zone_cfg(keep_open=["a--c", "a-b"]))
    with pytest.raises(ConfigError, match=r"zones.x.keep_open\[1\]"):
        validate(make_config({}, EvacuationLayoutConfig(), scenario=sc))


def test_zone_weights_closure_classes_and_empty_towns_are_checked():
    from sim.core.errors import NetworkError

    sc = ScenarioConfig(name="t", evacuation=zone_cfg(weights={"a": 2.0, "zz": 1.0}))
    with pytest.raises(ConfigError, match="zones.x.weights: 'zz'"):
        validate(make_config({}, EvacuationLayoutConfig(), scenario=sc))
    sc = ScenarioConfig(name="t", evacuation=zone_cfg())
    sc.evacuation.closure_classes = ["local", "motorway"]
    with pytest.raises(ConfigError, match="scenario.evacuation.closure_classes: 'motorway'"):
        validate(make_config({}, EvacuationLayoutConfig(), scenario=sc))
    sc = ScenarioConfig(name="t", evacuation=zone_cfg(weights={"a": 0.0, "b": 0.0}))
    with pytest.raises(NetworkError, match=r"zones.x.nodes: the zone's towns have no residents"):
        evacuation.check_nodes(make_config({}, EvacuationLayoutConfig(), scenario=sc), NET)


def test_shelter_map_layer_shows_the_sites_of_every_replication():
    """A site used only in a later replication is drawn too, sized by its places."""
    from types import SimpleNamespace

    import pandas as pd

    import sim.evacuation as evacuation

    net = SimpleNamespace(index={"a": 0, "b": 1, "c": 2})
    nodes = pd.DataFrame({"rep": [0, 1, 1], "node": ["a", "a", "b"], "capacity": [100, 100, 400]})
    (layer,) = evacuation.map_layers(None, net, {"evac_shelter_nodes": nodes})
    assert layer.nodes == [0, 1]
    assert layer.sizes[1] > layer.sizes[0]


@pytest.mark.parametrize("deadline", [45.0, 240.0])  # door to door: 2% / 27% visited
def test_public_warning_counts_per_town_have_the_household_models_distribution(deadline):
    """warned_in_time (one uniform per household) and receipt_times (a delay per household
    and channel) give each town the same mean (and the analytic one) and the same spread of
    people warned in time, over 1,500 replications."""
    from sim.evacuation.households import household_sizes, receipt_times, warned_in_time

    channels = {
        "broadcast": WarningChannelConfig(reach=0.3, delay_min=15.0),
        "sms": WarningChannelConfig(reach=0.5, delay_min=10.0),
        "door": WarningChannelConfig(
            reach=0.9,
            delay_min=30.0,
            door_to_door=True,
            workers_per_1000=2.0,
            households_per_worker_h=15.0,
        ),
    }
    sizes = [household_sizes(p, 2.45) for p in (1_000, 2_337, 40)]
    town = np.concatenate([np.full(len(s), j) for j, s in enumerate(sizes)])
    size = np.concatenate(sizes)
    t0 = 0.0
    per_town, household = [], []
    for rep in range(1500):
        streams = Streams(11, rep)
        per_town.append(warned_in_time(sizes, t0, deadline, channels, streams, "w/"))
        warn, _ = receipt_times(sizes, town, t0, channels, streams, "h/")
        household.append(np.bincount(town, weights=size * (warn <= deadline), minlength=3))
    a, b = np.array(per_town), np.array(household)
    # analytic mean: P(missed by broadcast and SMS) from their gamma CDFs; the grid workers
    # have visited k of a town's m households by the deadline
    from scipy.special import gammainc

    miss = (1 - 0.3 * gammainc(2.0, deadline * 2 / 15)) * (
        1 - 0.5 * gammainc(2.0, deadline * 2 / 10)
    )
    for j, s in enumerate(sizes):
        per_min = max(1, math.ceil(2.0 * s.sum() / 1000)) * 15.0 / 60
        k = min(len(s), math.floor((deadline - 30.0) * per_min))
        visited = k / len(s)
        expected = s.sum() * (1 - miss * (visited * 0.1 + (1 - visited)))
        se = b[:, j].std(ddof=1) / math.sqrt(len(b))
        assert abs(a[:, j].mean() - expected) < 4 * se, (j, a[:, j].mean(), expected)
        assert abs(b[:, j].mean() - expected) < 4 * se, (j, b[:, j].mean(), expected)
        ratio = a[:, j].var(ddof=1) / b[:, j].var(ddof=1)
        assert 0.85 < ratio < 1.18, (j, ratio)  # F test bounds, 1,499 df each, p ~ 0.001
    assert (a <= np.array([s.sum() for s in sizes])).all() and (a >= 0).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["broadcast", "sms", "door"]),
    st.sampled_from(["reach", "delay_min", "workers_per_1000"]),
    st.floats(min_value=0.05, max_value=0.5),
    st.floats(min_value=10.0, max_value=300.0),
    st.integers(min_value=0, max_value=50),
)
def test_better_warning_channels_never_warn_fewer_people(channel, field, step, deadline, rep):
    """On common random numbers, a higher reach, a shorter delay or more grid workers warn at
    least as many people in time in every town (the same uniforms, the same order of visits)."""
    import dataclasses

    from sim.evacuation.households import household_sizes, warned_in_time

    base = {
        "broadcast": WarningChannelConfig(reach=0.4, delay_min=15.0),
        "sms": WarningChannelConfig(reach=0.6, delay_min=10.0),
        "door": WarningChannelConfig(
            reach=0.8, delay_min=30.0, door_to_door=True, workers_per_1000=1.0,
            households_per_worker_h=12.0,
        ),
    }  # fmt: skip
    ch = base[channel]
    if field == "workers_per_1000" and not ch.door_to_door:
        field = "reach"
    better = {
        "reach": min(1.0, ch.reach + step),
        "delay_min": ch.delay_min * (1 - step),
        "workers_per_1000": ch.workers_per_1000 * (1 + 4 * step),
    }[field]
    improved = {**base, channel: dataclasses.replace(ch, **{field: better})}
    sizes = [household_sizes(p, 2.45) for p in (900, 4_321, 37)]
    a = warned_in_time(sizes, 0.0, deadline, base, Streams(5, rep), "w/")
    b = warned_in_time(sizes, 0.0, deadline, improved, Streams(5, rep), "w/")
    assert (b >= a).all(), (channel, field, a, b)
