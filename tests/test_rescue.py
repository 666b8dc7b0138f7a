"""Rescue model: dispatch against queueing theory, policies, mobilisation, access by road,
foot, boat and air, rerouting, work/rest, mutual aid, repair, and conservation of people."""

from __future__ import annotations

import dataclasses
import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import rescue
from sim.config import (
    AccessConfig,
    AidCentreConfig,
    Config,
    ConfigError,
    DistrictConfig,
    ExperimentConfig,
    LayoutConfig,
    MobilisationConfig,
    MutualAidConfig,
    RepairConfig,
    RepairCrewConfig,
    RescueConfig,
    ScenarioConfig,
    StageConfig,
    StormConfig,
    TeamConfig,
    TieredConfig,
    validate,
)
from sim.core.events import Incident, RoadClosure
from sim.core.network import RoadNetwork
from sim.core.roads import RoadState
from sim.core.streams import Streams
from sim.core.world import World
from sim.rescue.access import FOOT, ROAD, Router
from sim.rescue.metrics import incident_detail
from sim.rescue.service import RescueService
from sim.rescue.teams import build_teams
from sim.run.metrics import incident_table
from tests.conftest import line_graph, node, road


def erlang_c_wait(c: int, lam: float, mu: float) -> float:
    """Mean waiting time in queue of an M/M/c queue (Erlang C)."""
    a = lam / mu
    rho = a / c
    s = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (s + top)
    return p_wait / (c * mu - lam)


def one_node_world(seed: int = 1) -> World:
    g = nx.Graph()
    node(g, "base")
    return World(RoadNetwork(g), Streams(seed, 0), hubs=[0])


def poisson_incidents(rng, n: int, lam: float, mean_work: float) -> list[Incident]:
    t = np.cumsum(rng.exponential(1 / lam, n))
    work = rng.exponential(mean_work, n)
    return [
        Incident(
            t=float(t[k]),
            hazard="test",
            id=f"i{k}",
            node="base",
            people=1,
            capabilities=("rescue",),
            work_min=float(work[k]),
        )
        for k in range(n)
    ]


def run_queue(c: int, lam: float, mean_work: float, n: int, seed: int = 7):
    world = one_node_world()
    layout = LayoutConfig(
        name="q",
        teams={"t": TeamConfig(tier="town", home="base", count=c, headcount=10, assembly_min=0.0)},
    )
    cfg = RescueConfig(ref_crew=10, access=AccessConfig(local_min=0.0))
    RescueService(world, build_teams(layout, world), cfg)
    incidents = poisson_incidents(np.random.default_rng(seed), n, lam, mean_work)
    world.env.process(world.replay(incidents))
    world.env.run()
    return incident_table(world.log.frame()), incidents


def test_mean_wait_matches_erlang_c():
    """M/M/3 at load 0.6: the mean wait over 6 independent runs (seeds 0-5, 15k incidents
    each) has a 99% t-interval that covers Erlang C, and lies within 6% of it."""
    from scipy import stats

    c, lam, mean_work = 3, 1 / 10, 18.0
    means = np.array(
        [run_queue(c, lam, mean_work, n=15_000, seed=s)[0]["response_min"].mean() for s in range(6)]
    )  # zero travel, zero assembly: response = wait in queue
    expected = erlang_c_wait(c, lam, 1 / mean_work)
    half = stats.t.ppf(0.995, len(means) - 1) * means.std(ddof=1) / np.sqrt(len(means))
    assert abs(means.mean() - expected) <= half
    assert means.mean() == pytest.approx(expected, rel=0.06)


def test_single_team_waits_follow_lindley_recursion_exactly():
    """One team, FIFO: each wait is W[k] = max(0, W[k-1] + S[k-1] - A[k]) on the same draws."""
    table, incidents = run_queue(1, 1 / 10, 8.0, n=5_000)
    arr = np.array([i.t for i in incidents])
    work = np.array([i.work_min for i in incidents])
    w = np.zeros(len(arr))
    for k in range(1, len(arr)):
        w[k] = max(0.0, w[k - 1] + work[k - 1] - (arr[k] - arr[k - 1]))
    sim = table.set_index("incident").loc[[i.id for i in incidents], "response_min"]
    np.testing.assert_allclose(sim.to_numpy(), w, atol=1e-6)
    assert w.mean() == pytest.approx(erlang_c_wait(1, 1 / 10, 1 / 8.0), rel=0.25)


def test_no_one_vanishes_in_incidents():
    table, incidents = run_queue(2, 1 / 5, 12.0, n=500)
    assert table["people"].sum() == sum(i.people for i in incidents)
    # overloaded (rho = 1.2) and run to completion: everyone ends rescued
    assert table["rescued"].sum() == sum(i.people for i in incidents)


def test_capability_matching_and_waiting_for_capable_team():
    world = one_node_world()
    layout = LayoutConfig(
        name="q",
        teams={
            "plain": TeamConfig(tier="town", home="base", count=3, headcount=10, assembly_min=0.0),
            "boat": TeamConfig(
                tier="fire_rescue",
                home="base",
                count=1,
                headcount=10,
                capabilities=["rescue", "water_rescue"],
                assembly_min=0.0,
            ),
        },
    )
    cfg = RescueConfig(access=AccessConfig(local_min=0.0))
    RescueService(world, build_teams(layout, world), cfg)
    inc = [
        Incident(
            t=0.0,
            hazard="x",
            id=f"w{k}",
            node="base",
            people=1,
            capabilities=("water_rescue",),
            work_min=30.0,
        )
        for k in range(2)
    ]
    world.env.process(world.replay(inc))
    world.env.run()
    ev = world.log.frame()
    arrivals = ev[ev.event == "arrive"]
    assert set(arrivals.entity) == {"boat"}
    assert sorted(arrivals.t) == [0.0, 30.0]  # the second waits for the only boat team


# ---------------------------------------------------------------------------------------------
# The full rescue model: policies, mobilisation, access, work/rest, mutual aid, repair
# ---------------------------------------------------------------------------------------------
KM_LAT = 1 / 111.2


def chain_graph() -> nx.Graph:
    """depot -10 min- a -20 min- b at 60 km/h (10 km, 20 km); a, b 5 and 15 km north of depot.

    ``ext`` is an external centre 30 min from the depot.
    """
    g = nx.Graph()
    node(g, "depot", kind="depot", pop=0, lat=29.5)
    node(g, "a", pop=5000, lat=29.5 + 5 * KM_LAT)
    node(g, "b", pop=5000, lat=29.5 + 15 * KM_LAT)
    node(g, "ext", kind="regional_centre", pop=0, lat=29.5)
    road(g, "depot", "a", 10)
    road(g, "a", "b", 20)
    road(g, "depot", "ext", 30)
    return g


def team(tier="town", home="depot", count=1, caps=("rescue",), **kw) -> TeamConfig:
    return TeamConfig(
        tier=tier,
        home=home,
        count=count,
        headcount=kw.pop("headcount", 10),
        capabilities=list(caps),
        assembly_min=kw.pop("assembly_min", 0.0),
        **kw,
    )


def make_cfg(
    teams: dict,
    rescue_cfg: RescueConfig | None = None,
    start_hour=12.0,
    local_min: float = 0.0,
    **layout,
):
    """A config for the chain graph; ``local_min`` 0 by default so that times add up by hand."""
    r = rescue_cfg or RescueConfig()
    r = dataclasses.replace(r, access=dataclasses.replace(r.access, local_min=local_min))
    return Config(
        district=DistrictConfig(name="t", network="<memory>"),
        scenario=ScenarioConfig(name="t", start_hour=start_hour),
        layout=LayoutConfig(name="t", teams=teams, rescue=r, **layout),
        experiment=ExperimentConfig(replications=1, seed=3, hours=48.0, executor="serial"),
    )


def run_model(g, cfg: Config, events: list, until: float = 10_000.0, seed: int = 1):
    """Attach the rescue module to a fresh world on ``g`` and replay hazard ``events``."""
    net = RoadNetwork(g, source="test")
    w = World(net, Streams(seed, 0), hubs=net.nodes_of_kind("depot"))
    roads = RoadState(w)
    svc = rescue.attach(w, cfg, roads)
    w.env.process(w.replay(events))
    steps, env = 0, w.env
    while env.peek() < until:  # env.run(until), with a guard against same-instant loops
        env.step()
        steps += 1
        assert steps < 200_000, f"runaway simulation at t={env.now}"
    return w, svc, w.log.frame()


def inc(id, node, t=0.0, **kw) -> Incident:
    kw.setdefault("capabilities", ("rescue",))
    kw.setdefault("people", 1)
    return Incident(t=t, hazard="test", id=id, node=node, **kw)


def first(ev, event, entity=None, ref=None):
    rows = ev[ev.event == event]
    if entity is not None:
        rows = rows[rows.entity == entity]
    if ref is not None:
        rows = rows[rows.ref == ref]
    return rows.iloc[0] if len(rows) else None


def test_big_incident_gets_several_teams_and_they_share_the_work():
    cfg = make_cfg({"t": team(home="depot", count=4)})
    _, _, ev = run_model(chain_graph(), cfg, [inc("big", "depot", people=25, work_min=90.0)])
    assert (ev.event == "dispatch").sum() == 3  # ceil(25 / 10)
    assert first(ev, "resolved").t == pytest.approx(30.0)  # 90 reference minutes / 3 crews
    assert first(ev, "resolved").ref.count("+") == 2


def test_tiered_policy_escalates_and_keeps_local_teams_home():
    teams = {
        "vil": team(tier="village", home="a"),
        "dist": team(tier="district", home="depot"),
    }
    r = RescueConfig(dispatch="tiered", tiered=TieredConfig(escalate_after_min=30.0))
    _, _, ev = run_model(chain_graph(), make_cfg(teams, r), [inc("i", "b", severity=1)])
    esc = ev[ev.event == "escalate"]
    assert list(esc.t) == [30.0, 60.0] and list(esc.qty) == [1.0, 2.0]
    d = ev[ev.event == "dispatch"]
    assert list(d.entity) == ["dist"] and d.t.iloc[0] == 60.0  # the village team of a stays
    # with the nearest policy the village team of 'a' goes at once
    _, _, ev2 = run_model(chain_graph(), make_cfg(teams), [inc("i", "b", severity=1)])
    assert first(ev2, "dispatch").entity == "vil" and first(ev2, "dispatch").t == 0.0
    # a severe incident starts at the district level
    _, _, ev3 = run_model(chain_graph(), make_cfg(teams, r), [inc("i", "b", severity=3)])
    assert first(ev3, "dispatch").entity == "dist" and first(ev3, "dispatch").t == 0.0


def test_capability_policy_keeps_the_hazmat_team_for_hazmat():
    teams = {
        "hazmat": team(tier="fire_rescue", home="depot", caps=("rescue", "hazmat")),
        "plain": team(home="a"),
    }
    case = [inc("i", "depot")]
    _, _, ev = run_model(chain_graph(), make_cfg(teams), case)
    assert first(ev, "dispatch").entity == "hazmat"  # nearest: 0 min away
    r = RescueConfig(dispatch="capability", capability_penalty_min=15.0)
    _, _, ev = run_model(chain_graph(), make_cfg(teams, r), case)
    assert first(ev, "dispatch").entity == "plain"  # 10 min < 0 + 15 min penalty


def staged_team(**kw) -> TeamConfig:
    return team(
        tier="district",
        headcount=20,
        stages=[
            StageConfig("alert", 2.0, 0.0),
            StageConfig("duty_half", 5.0, 0.5),
            StageConfig("full_team", 120.0, 1.0),
        ],
        night_factor=1.5,
        **kw,
    )


@pytest.mark.parametrize("depart_share", [0.5, 1.0])
def test_staged_mobilisation_night_factor_and_crew(depart_share):
    arrive = {}
    for hour in (12.0, 23.0):
        cfg = make_cfg({"d": staged_team(depart_share=depart_share)}, start_hour=hour)
        _, _, ev = run_model(chain_graph(), cfg, [inc("i", "depot", work_min=600.0)])
        arrive[hour] = first(ev, "arrive").t
        stages = ev[ev.event == "assembly"]
        assert list(stages.qty) == ([0.0, 0.5] if depart_share == 0.5 else [0.0, 0.5, 1.0])
        # the crew that left sets the work rate: 600 ref-minutes at 10 or 20 people
        crew = 20 * depart_share
        assert first(ev, "resolved").t - arrive[hour] == pytest.approx(600.0 * 10 / crew)
    assert arrive[23.0] == pytest.approx(1.5 * arrive[12.0])  # same draws, night x 1.5


def test_work_rest_limit_relieves_teams_and_work_is_conserved():
    teams = {"A": team(home="depot"), "B": team(home="a")}
    r = RescueConfig(mobilisation=MobilisationConfig(max_duty_h=2.0, rest_h=1.0))
    _, _, ev = run_model(chain_graph(), make_cfg(teams, r), [inc("long", "depot", work_min=300.0)])
    rel = ev[ev.event == "relieved"]
    assert list(zip(rel.entity, rel.t, strict=True)) == [("A", 120.0), ("B", 250.0)]
    assert list(ev[ev.event == "ready"].entity) == ["A", "B"]
    # A works 0-120, B 130-250 (after a 10 min drive), A again 250-310 after its 1 h rest
    assert first(ev, "resolved").t == pytest.approx(310.0)


def test_duty_limits_with_rounding_never_loop():
    """A relief time that does not add up exactly in floating point must not re-task the
    relieved team in place (it used to loop for ever at one instant)."""
    t0 = 8.000630003150016  # (t0 + 120) - t0 < 120 in floating point
    assert (t0 + 120.0) - t0 < 120.0
    r = RescueConfig(mobilisation=MobilisationConfig(max_duty_h=2.0, rest_h=1.0))
    cfg = make_cfg({"A": team(home="depot")}, r)
    _, _, ev = run_model(chain_graph(), cfg, [inc("i", "depot", t=t0, work_min=300.0)])
    assert (ev.event == "relieved").sum() == 2  # works 120 + 120 + 60 minutes
    assert (ev.event == "rest").sum() == 2
    assert first(ev, "resolved").t == pytest.approx(t0 + 300.0 + 2 * 60.0)


def test_reopened_case_escalates_again():
    """A fully staffed case that reopens (its team relieved) restarts its escalation timer."""
    teams = {"vil": team(tier="village", home="b"), "dist": team(tier="district", home="depot")}
    r = RescueConfig(
        dispatch="tiered",
        tiered=TieredConfig(escalate_after_min=30.0),
        mobilisation=MobilisationConfig(max_duty_h=2.0, rest_h=3.0),
    )
    _, _, ev = run_model(chain_graph(), make_cfg(teams, r), [inc("i", "b", work_min=600.0)])
    esc = ev[ev.event == "escalate"]
    assert list(esc.t)[:2] == [150.0, 180.0]  # relieved at 120, then one level per 30 min
    d = ev[ev.event == "dispatch"]
    assert list(zip(d.entity, d.t, strict=True))[:2] == [("vil", 0.0), ("dist", 180.0)]


def test_team_freed_in_its_home_town_stands_down_and_reassembles():
    cfg = make_cfg({"t": team(home="depot", assembly_min=20.0)})
    later = 50 * 60.0
    events = [inc("i1", "depot", work_min=10.0), inc("i2", "depot", t=later, work_min=10.0)]
    _, svc, ev = run_model(chain_graph(), cfg, events)
    arr = list(ev[ev.event == "arrive"].t)
    assert arr[0] > 0.0 and arr[1] > later  # assembles both times (0 before the fix)
    assert first(ev, "home", entity="t").t == pytest.approx(arr[0] + 10.0)
    assert svc.teams[0].at_home and svc.teams[0].state == "home"


def test_local_trip_within_the_home_node_takes_local_min():
    cfg = make_cfg({"t": team(home="depot")}, local_min=10.0)
    _, _, ev = run_model(chain_graph(), cfg, [inc("i", "depot", work_min=5.0)])
    assert first(ev, "depart")["info"] == "road"
    assert first(ev, "arrive").t == pytest.approx(10.0)
    # the dispatch ranking counts it too: a team 5 min away beats one at the node (10 min)
    g = chain_graph()
    node(g, "c", pop=100, lat=29.5)
    road(g, "depot", "c", 5)
    cfg = make_cfg({"far": team(home="depot"), "near": team(home="c")}, local_min=10.0)
    _, _, ev = run_model(g, cfg, [inc("i", "c", work_min=5.0)])
    assert first(ev, "dispatch").entity == "far"
    assert first(ev, "arrive").t == pytest.approx(5.0)


def test_survival_window_runs_from_occurrence_not_alarm():
    from types import SimpleNamespace

    events = [inc("late", "a", report_delay_min=50.0, window_min=55.0, work_min=5.0)]
    w, _, ev = run_model(chain_graph(), make_cfg({"t": team()}), events)
    rep = SimpleNamespace(world=w, timeline=SimpleNamespace(of_type=lambda _t: events))
    row = incident_detail(ev, rep).iloc[0]
    assert row["response_min"] == pytest.approx(10.0)  # alarm at 50, arrival at 60
    assert not row["reached_in_window"]  # 60 min after it happened > 55 min window
    # the work finished, but too late: a recovery (among the deaths), not a rescue
    assert row["status"] == "recovered_late" and row["rescued"] == 0.0


def test_a_case_reached_after_its_window_is_recovered_late_even_with_work_left():
    """Reached after the window and the work not finished at the horizon: a recovery
    (among the deaths), not "in progress" (before the fix: in_progress, and
    people_recovered_late missed it while deaths counted it). Reached within the window
    with work left: in progress."""
    from types import SimpleNamespace

    for window, status in ((5.0, "recovered_late"), (50.0, "in_progress")):
        events = [inc("i", "a", people=7, window_min=window, work_min=1000.0)]
        w, _, ev = run_model(chain_graph(), make_cfg({"t": team()}), events, until=100.0)
        rep = SimpleNamespace(world=w, timeline=SimpleNamespace(of_type=lambda _t, e=events: e))
        row = incident_detail(ev, rep).iloc[0]
        assert row["first_arrival"] == pytest.approx(10.0) and math.isnan(row["resolved"])
        assert row["reached_in_window"] == (window > 10.0)
        assert row["status"] == status and row["rescued"] == 0.0


def test_chemical_cordon_cannot_be_walked():
    cordon = RoadClosure(
        t=0.0, hazard="chemical", u="a", v="b", cause="hazmat cordon", clear_min=500.0
    )
    _, _, ev = run_model(chain_graph(), make_cfg({"w": team()}), [cordon, inc("i", "b", t=1.0)])
    assert first(ev, "arrive").t == pytest.approx(500.0 + 30.0)  # waits, then drives


def test_walkers_are_woken_when_the_water_goes_but_the_road_stays_closed():
    flood = RoadClosure(t=0.0, hazard="test", u="a", v="b", cause="river flood", clear_min=500.0)
    debris = RoadClosure(t=0.0, hazard="test", u="a", v="b", cause="landslide debris")
    case = [flood, debris, inc("i", "b", t=1.0, work_min=10.0)]
    _, _, ev = run_model(chain_graph(), make_cfg({"w": team()}), case)
    assert first(ev, "depart")["info"] == "foot"
    assert first(ev, "arrive").t == pytest.approx(500.0 + 10.0 + 400.0)


def test_relieved_team_cut_off_from_home_rests_where_it_is():
    r = RescueConfig(mobilisation=MobilisationConfig(max_duty_h=1.0, rest_h=1.0))
    cut = RoadClosure(t=20.0, hazard="test", u="depot", v="a", cause="landslide debris")
    case = [inc("i", "a", work_min=300.0), cut]
    _, _, ev = run_model(chain_graph(), make_cfg({"t": team(modes=["road"])}, r), case)
    rest = first(ev, "rest", entity="t")
    assert rest is not None and rest.t == pytest.approx(70.0) and rest.node == "a"
    assert first(ev, "ready", entity="t").t == pytest.approx(130.0)


def test_helicopters_do_not_take_off_at_night_or_in_the_storm():
    caps = ("rescue", "water_rescue")
    heli = {"heli": team(caps=caps, modes=["air"])}
    case = [inc("i", "b", t=1.0, work_min=10.0)]
    # 19:00 + 1 min is before the night (20-6): flies at once, 4.5 + 15 min
    _, _, ev = run_model(chain_graph(), make_cfg(heli, start_hour=19.0), case)
    assert first(ev, "arrive").t == pytest.approx(1.0 + 4.5 + 15.0, rel=1e-3)
    # 22:00: waits for 06:00 (8 h), then flies
    _, _, ev = run_model(chain_graph(), make_cfg(heli, start_hour=22.0), case)
    assert first(ev, "depart").t == pytest.approx(480.0)
    assert first(ev, "arrive").t == pytest.approx(480.0 + 4.5 + 15.0, rel=1e-3)
    # a storm impact window 0-2 h at noon grounds it until the storm has passed
    cfg = make_cfg(heli)
    cfg.scenario.storm = StormConfig(impact_start_h=0.0, duration_h=2.0)
    _, _, ev = run_model(chain_graph(), cfg, case)
    assert first(ev, "depart").t == pytest.approx(120.0)


def test_foot_access_to_a_cut_off_town_and_repair_crew_reopening():
    cut = RoadClosure(t=0.0, hazard="test", u="a", v="b", cause="landslide debris", repair_min=60.0)
    case = [cut, inc("i", "b", t=1.0, work_min=10.0)]
    # on foot: drive 10 min to a, walk 20 km at 3 km/h
    _, _, ev = run_model(chain_graph(), make_cfg({"w": team()}), case)
    assert first(ev, "depart")["info"] == "foot"
    assert first(ev, "arrive").t == pytest.approx(1.0 + 10.0 + 400.0)
    # road only: wait for the repair crew (10 min drive + 60 min work), then drive 30 min
    crews = RepairConfig(crews={"c": RepairCrewConfig(home="depot", mobilise_min=0.0)})
    cfg = make_cfg({"r": team(modes=["road"])}, repair=crews)
    _, _, ev = run_model(chain_graph(), cfg, case)
    assert first(ev, "repaired").t == pytest.approx(70.0)
    assert first(ev, "road_open").ref == "repaired"
    assert first(ev, "arrive").t == pytest.approx(70.0 + 30.0)


def test_flooded_road_needs_a_boat_or_a_helicopter():
    flood = RoadClosure(t=0.0, hazard="test", u="a", v="b", cause="river flood", clear_min=500.0)
    case = [flood, inc("i", "b", t=1.0, capabilities=("water_rescue",), work_min=10.0)]
    caps = ("rescue", "water_rescue")
    # on foot the flooded road is impassable: wait for the water to go, then drive
    _, _, ev = run_model(chain_graph(), make_cfg({"w": team(caps=caps)}), case)
    assert first(ev, "arrive").t == pytest.approx(500.0 + 30.0)
    # boat: drive to water node a (10), boat 10 km x 1.3 at 20 km/h (39) + launch 15
    r = RescueConfig(access=AccessConfig(water_nodes=["a", "b"]))
    cfg = make_cfg({"boat": team(caps=caps, modes=["road", "foot", "water"])}, r)
    _, _, ev = run_model(chain_graph(), cfg, case)
    assert first(ev, "depart")["info"] == "water"
    assert first(ev, "arrive").t == pytest.approx(1.0 + 10.0 + 39.0 + 15.0, rel=1e-3)
    # helicopter: 15 km straight at 200 km/h + 15 min overhead
    _, _, ev = run_model(chain_graph(), make_cfg({"heli": team(caps=caps, modes=["air"])}), case)
    assert first(ev, "depart")["info"] == "air"
    assert first(ev, "arrive").t == pytest.approx(1.0 + 4.5 + 15.0, rel=1e-3)


@pytest.mark.parametrize(
    ("close", "at", "expected"),
    [
        (None, 0.0, 60.0),  # depot-a-b-c = 10 + 20 + 30
        (("a", "b"), 5.0, 80.0),  # ahead: carry on to a, then the 70-min shortcut a-c
        (("b", "c"), 35.0, 130.0),  # under the team: back to b (5), b-a-c (90)
    ],
)
def test_teams_on_the_road_reroute_around_new_closures(close, at, expected):
    events = [inc("i", "c", t=0.0, work_min=10.0)]
    if close:
        events.append(RoadClosure(t=at, hazard="t", u=close[0], v=close[1], cause="debris"))
    cfg = make_cfg({"r": team(modes=["road"])})
    _, _, ev = run_model(line_graph(), cfg, events)
    assert first(ev, "arrive").t == pytest.approx(expected)
    assert (ev.event == "reroute").sum() == (1 if close else 0)
    assert first(ev, "arrive").t >= 60.0  # closing a road never shortens a trip


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=4, max_value=9),
    st.lists(st.integers(min_value=0, max_value=40), max_size=6),
    st.lists(st.integers(min_value=0, max_value=40), max_size=3),
    st.integers(min_value=0, max_value=10_000),
)
def test_closing_roads_never_shortens_a_trip(n, closed, flooded, seed):
    """Travel times with closures >= without, for road and foot; floods only slow walkers."""
    rng = np.random.default_rng(seed)
    g = nx.connected_watts_strogatz_graph(n, 2, 0.5, seed=int(seed))
    h = nx.Graph()
    for i in g.nodes:
        node(h, f"n{i}")
    for u, v in g.edges:
        road(h, f"n{u}", f"n{v}", float(rng.uniform(1, 30)))
    net = RoadNetwork(h)
    w = World(net, Streams(0, 0), hubs=[0])
    router = Router(w, AccessConfig())
    m = len(net.edges)
    open_road = np.array([router.row_to(ROAD, d) for d in range(net.n)])
    for e in closed:
        net.close(e % m)
    for e in flooded:
        router.flooded[e % m] = 1
    closed_road = np.array([router.row_to(ROAD, d) for d in range(net.n)])
    foot = np.array([router.row_to(FOOT, d) for d in range(net.n)])
    router.flooded.clear()
    foot_dry = np.array([router.row_to(FOOT, d) for d in range(net.n)])
    assert np.all(closed_road >= open_road - 1e-9)
    assert np.all(foot >= open_road - 1e-9)
    assert np.all(foot <= closed_road + 1e-9)  # walking the blocked road is an option
    assert np.all(foot >= foot_dry - 1e-9)  # water on a blocked road only makes it worse


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=4, max_value=9),
    st.lists(st.integers(min_value=0, max_value=40), max_size=8),
    st.lists(st.integers(min_value=0, max_value=40), max_size=4),
    st.integers(min_value=0, max_value=10_000),
)
def test_reachability_index_agrees_with_planning(n, closed, flooded, seed):
    """A team can reach a node by components (can_reach, reach signature) exactly when a trip
    can be planned there, for every mode mix, with roads closed and flooded."""
    rng = np.random.default_rng(seed)
    g = nx.connected_watts_strogatz_graph(n, 2, 0.5, seed=int(seed))
    h = nx.Graph()
    for i in g.nodes:
        node(h, f"n{i}", lat=29.5 + 0.0001 * i, lon=106.2)  # (distinct points for flying)
    for u, v in g.edges:
        road(h, f"n{u}", f"n{v}", float(rng.uniform(1, 30)))
    net = RoadNetwork(h)
    w = World(net, Streams(0, 0), hubs=[0])
    router = Router(w, AccessConfig(water_nodes=[f"n{i}" for i in range(0, n, 3)]))
    m = len(net.edges)
    for e in closed:
        net.close(e % m)
    for e in flooded:
        if e % m in net._closed:
            router.flooded[e % m] = 1
    mode_sets = [{"road"}, {"road", "foot"}, {"water"}, {"road", "water"}, {"air"}, {"foot"}]
    for modes in map(frozenset, mode_sets):
        for vehicles in (0, 1):
            for a in range(n):
                sig = router.reach_sig(a, modes, vehicles)
                for b in range(n):
                    can = router.plan(a, b, modes, vehicles) is not None
                    assert router.can_reach(a, b, modes, vehicles) == can
                    assert router.reaches(sig, b) == can


def test_mutual_aid_is_requested_when_local_teams_are_exhausted():
    aid = MutualAidConfig(
        trigger_waiting=3,
        centres={"far": AidCentreConfig(node="ext", count=2, headcount=10, activation_min=60.0)},
    )
    cfg = make_cfg({"t": team()}, mutual_aid=aid)
    cases = [inc(f"i{k}", "a", work_min=600.0) for k in range(4)]
    _, _, ev = run_model(chain_graph(), cfg, cases)
    req = first(ev, "aid_request")
    assert req is not None and req.t == 0.0 and req.ref == "waiting" and req.qty == 2
    act = ev[ev.event == "aid_activated"]
    assert len(act) == 2 and act.t.nunique() == 1 and act.t.iloc[0] > 0
    aid_arrivals = ev[(ev.event == "arrive") & ev.entity.str.startswith("far")]
    # activation, then 30 + 10 min drive from the external centre to 'a'
    assert aid_arrivals.t.min() == pytest.approx(act.t.iloc[0] + 40.0)
    assert (ev.event == "resolved").sum() == 4


def test_mutual_aid_for_a_missing_capability_is_immediate():
    aid = MutualAidConfig(
        trigger_waiting=99,
        centres={
            "plain": AidCentreConfig(node="ext", headcount=10, activation_min=10.0),
            "chem": AidCentreConfig(
                node="ext", headcount=10, capabilities=["hazmat"], activation_min=10.0
            ),
        },
    )
    cfg = make_cfg({"t": team()}, mutual_aid=aid)
    _, _, ev = run_model(chain_graph(), cfg, [inc("h", "a", capabilities=("hazmat",))])
    req = ev[ev.event == "aid_request"]
    assert list(req.entity) == ["chem"] and list(req.ref) == ["capability"]
    assert first(ev, "arrive").entity == "chem"


def test_a_helicopter_is_requested_at_night_for_a_town_cut_off_by_water():
    """A town cut off by water at 22:00: the helicopter centre is asked at once (its crew
    is activated overnight) and flies at first light, 06:00; before the fix it was never
    asked (it could not fly at the time of the request) and the town waited for the water
    to go down."""
    flood = RoadClosure(t=0.0, hazard="test", u="a", v="b", cause="river flood", clear_min=2000.0)
    caps = ("rescue", "water_rescue")
    case = [flood, inc("i", "b", t=1.0, capabilities=("water_rescue",), work_min=10.0)]
    aid = MutualAidConfig(
        centres={
            "air": AidCentreConfig(
                node="ext", headcount=4, capabilities=list(caps), modes=["air"], activation_min=60.0
            )
        }
    )
    cfg = make_cfg({"w": team(caps=caps)}, start_hour=22.0, mutual_aid=aid)
    _, _, ev = run_model(chain_graph(), cfg, case)
    req = first(ev, "aid_request")
    assert req is not None and req.t == 1.0 and req.ref == "unreachable"
    assert first(ev, "aid_activated").t < 480.0  # ready before first light
    dep = first(ev, "depart", entity="air")
    assert dep is not None and dep.t == pytest.approx(480.0) and dep["info"] == "air"
    assert first(ev, "arrive").entity == "air"


def test_a_faster_aid_team_is_sent_when_the_local_one_would_come_after_the_window():
    """The only local team must walk 400 min to a slide-cut town whose people have 120 min:
    the helicopter centre is asked at once ("late"), its helicopter is sent too when it is
    activated, arrives first and does the work; the walkers are stood down. With a window
    the walkers meet, nobody is asked."""
    slide = RoadClosure(t=0.0, hazard="test", u="a", v="b", cause="landslide debris")
    aid = MutualAidConfig(
        trigger_waiting=99,
        centres={
            "air": AidCentreConfig(
                node="ext", headcount=4, modes=["air"], activation_min=30.0, tier="regional"
            )
        },
    )
    cfg = make_cfg({"w": team()}, mutual_aid=aid)
    case = [slide, inc("i", "b", t=1.0, work_min=10.0, window_min=120.0)]
    _, _, ev = run_model(chain_graph(), cfg, case)
    assert first(ev, "depart", entity="w")["info"] == "foot"  # 10 min drive + 400 min walk
    req = first(ev, "aid_request")
    assert req is not None and req.t == 1.0 and req.ref == "late"
    act = first(ev, "aid_activated")
    faster = first(ev, "faster")
    assert faster is not None and faster.t == act.t and faster.ref == "air"
    assert faster.qty == pytest.approx(1.0 + 410.0 - act.t)  # what the walkers still needed
    arrive = first(ev, "arrive")
    assert arrive.entity == "air" and arrive.t == pytest.approx(act.t + 4.5 + 15.0, rel=1e-3)
    assert first(ev, "resolved").ref == "air"
    assert first(ev, "free", entity="w")["info"] == "stood_down"
    assert first(ev, "arrive", entity="w") is None
    # the walkers arrive within a long window: no request
    case = [slide, inc("i", "b", t=1.0, work_min=10.0, window_min=1000.0)]
    _, _, ev = run_model(chain_graph(), cfg, case)
    assert first(ev, "aid_request") is None and first(ev, "arrive").entity == "w"


def test_a_walker_re_tasked_mid_walk_turns_round():
    """A team walking home over a slide (400 min) is sent back to the town it left, 100 min
    into the walk: it turns round (100 min), where it used to walk on to the end of the
    slide and back (300 + 400 min)."""
    slide = RoadClosure(t=0.0, hazard="test", u="a", v="b", cause="landslide debris")
    cases = [slide, inc("i1", "b", t=1.0, work_min=10.0), inc("i2", "b", t=521.0, work_min=10.0)]
    _, _, ev = run_model(chain_graph(), make_cfg({"w": team()}), cases)
    assert first(ev, "arrive", ref="i1").t == pytest.approx(1.0 + 10.0 + 400.0)
    assert first(ev, "depart", ref="home").t == pytest.approx(421.0)
    assert first(ev, "arrive", ref="i2").t == pytest.approx(621.0)


def test_repair_crews_reconnect_the_most_people_first():
    g = chain_graph()
    node(g, "c", pop=100, lat=29.5)
    road(g, "depot", "c", 5)
    # the crew is busy with the first job, then chooses between a small and a big cut-off
    busy = RoadClosure(t=0.0, hazard="t", u="depot", v="ext", cause="slide", repair_min=60.0)
    small = RoadClosure(t=1.0, hazard="t", u="depot", v="c", cause="slide", repair_min=30.0)
    big = RoadClosure(t=2.0, hazard="t", u="a", v="b", cause="slide", repair_min=30.0)
    order = {}
    for prio in ("isolation", "fifo"):
        crews = RepairConfig(
            priority=prio, crews={"c": RepairCrewConfig(home="a", mobilise_min=0.0)}
        )
        _, _, ev = run_model(g, make_cfg({}, repair=crews), [busy, small, big])
        order[prio] = list(ev[ev.event == "repaired"].entity)
        assert first(ev, "repaired").t == pytest.approx(70.0)  # 10 min drive + 60 min work
        assert (ev.event == "road_open").sum() == 3
    assert order["isolation"] == ["depot--ext", "a--b", "depot--c"]  # 5000 people before 100
    assert order["fifo"] == ["depot--ext", "depot--c", "a--b"]


def test_queue_work_does_not_grow_with_waiting_incidents():
    """Overload with incidents no team can serve: freeing a team must not scan them."""
    world = one_node_world()
    layout = LayoutConfig(name="q", teams={"t": team(home="base", count=2)})
    svc = RescueService(world, build_teams(layout, world), RescueConfig())
    n = 3000
    rng = np.random.default_rng(0)
    cases = [
        Incident(
            t=float(k) * 0.01,
            hazard="x",
            id=f"h{k}",
            node="base",
            people=1,
            capabilities=("hazmat",),
            work_min=5.0,
        )
        for k in range(n)
    ] + [
        Incident(
            t=float(t),
            hazard="x",
            id=f"r{k}",
            node="base",
            people=1,
            capabilities=("rescue",),
            work_min=float(rng.exponential(8.0)),
        )
        for k, t in enumerate(np.cumsum(rng.exponential(5.0, n)))
    ]
    world.env.process(world.replay(cases))
    world.env.run()
    q = svc.queue
    assert (world.log.frame().event == "resolved").sum() == n  # every servable one done
    assert q.pops <= 2 * q.pushes  # amortised O(1) per incident, not O(waiting)


def test_conservation_and_outcomes_on_a_full_model_run():
    """Everyone in an incident ends rescued, in progress or not reached: no one vanishes."""
    from sim.config import FloodConfig, LandslideConfig, RiverReachConfig
    from sim.run.replication import run_replication
    from tests.test_hazards import grid_graph

    river = RiverReachConfig(
        name="r", peak_m_median=2.0, rise_h=4.0, fall_h=8.0, zones={"t00": 0.5, "t01": 1.0}
    )
    cfg = make_cfg(
        {
            "town": team(home="each_town", count=4),
            "fire": team(tier="fire_rescue", caps=("rescue", "water_rescue", "collapse")),
        },
        mutual_aid=MutualAidConfig(
            centres={
                "c": AidCentreConfig(
                    node="ext_centre",
                    headcount=20,
                    count=2,
                    capabilities=["rescue", "water_rescue", "collapse"],
                )
            }
        ),
        repair=RepairConfig(crews={"c": RepairCrewConfig(home="depot")}),
    )
    cfg.layout.teams["fire"].home = "depot"
    cfg.scenario = ScenarioConfig(
        name="mix",
        storm=StormConfig(incidents_per_100k=60.0, closures_mean=3.0),
        flood=FloodConfig(district="g", rivers={"g": river}),
        landslide=LandslideConfig(district="g", points_default=200, fail_prob=0.05),
    )
    cfg.experiment.hours = 10.0  # cut while incidents are still open
    validate(cfg)
    net = RoadNetwork(grid_graph(), source="grid")
    r = run_replication(cfg, net, 0)
    ev = r.events()
    table = incident_detail(ev, r)
    assert len(table) > 20
    outcome = table.groupby("status")["people"].sum()
    horizon = cfg.experiment.hours * 60.0
    alarmed = [i for i in r.timeline.of_type(Incident) if i.t + i.report_delay_min < horizon]
    assert len(table) == len(alarmed)
    assert rescue.kpis(r, ev)["people_involved"] == sum(i.people for i in alarmed)
    assert set(outcome.index) <= {"rescued", "recovered_late", "in_progress", "not_reached"}
    assert outcome.get("rescued", 0) > 0 and len(outcome) > 1
    rescued = table[table.status == "rescued"]
    assert (rescued["rescued"] == rescued["people"]).all()
    assert rescued["reached_in_window"].all()
    k = rescue.kpis(r, ev)
    assert k["people_involved"] == (
        k["people_rescued"]
        + k["people_recovered_late"]
        + k["people_in_progress"]
        + k["people_not_reached"]
    )
    # every dispatch ends with 'free' unless the run ended first
    d = ev[ev.event == "dispatch"].groupby("entity").size()
    f = ev[ev.event == "free"].groupby("entity").size().reindex(d.index, fill_value=0)
    assert ((d - f) >= 0).all() and ((d - f) <= 1).all()


def test_more_teams_never_slower_on_common_random_numbers_with_cascading_hazards():
    from sim.config import FloodConfig, LandslideConfig, RiverReachConfig
    from sim.run.experiment import run_one
    from tests.test_hazards import grid_graph

    net = RoadNetwork(grid_graph(), source="grid")
    river = RiverReachConfig(name="r", peak_m_median=2.0, zones={"t00": 0.5, "t02": 1.0})
    means = {}
    for k in (1, 2, 4):
        cfg = make_cfg(
            {"t": team(home="depot", count=k, caps=("rescue", "water_rescue", "collapse"))}
        )
        cfg.scenario = ScenarioConfig(
            name="mix",
            storm=StormConfig(incidents_per_100k=15.0, closures_mean=2.0),
            flood=FloodConfig(district="g", rivers={"g": river}, flash_events_mean=2.0),
            landslide=LandslideConfig(district="g", points_default=100),
        )
        cfg.experiment.hours = 48.0
        kpis = [run_one(cfg, net, rep).kpis for rep in range(8)]
        means[k] = {
            m: float(np.nanmean([x[m] for x in kpis]))
            for m in ("response_mean_min", "incidents_reached", "people_not_reached")
        }
    # Some 100 incidents a replication for 1-4 teams: a saturated queue. More teams reach
    # more incidents and leave fewer people unreached, on every count; the mean response is
    # over the incidents reached, which more teams make the harder ones too, so it falls
    # from 1 to 4 teams but need not between 2 and 4.
    reached = [means[k]["incidents_reached"] for k in (1, 2, 4)]
    unreached = [means[k]["people_not_reached"] for k in (1, 2, 4)]
    assert reached == sorted(reached) and reached[0] < reached[2]
    assert unreached == sorted(unreached, reverse=True) and unreached[0] > unreached[2]
    assert means[1]["response_mean_min"] > means[4]["response_mean_min"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: setattr(c.layout.rescue, "dispatch", "random"), "layout.rescue.dispatch"),
        (
            lambda c: setattr(
                c.layout.teams["t"],
                "stages",
                [StageConfig("a", 5.0, 0.8), StageConfig("b", 5.0, 0.5)],
            ),
            r"layout.teams.t.stages\[1\].share",
        ),
        (
            lambda c: setattr(c.layout.teams["t"], "modes", ["road", "jetpack"]),
            "layout.teams.t.modes",
        ),
        (
            lambda c: setattr(c.layout.rescue.mobilisation, "night_start_h", 24.0),
            "layout.rescue.mobilisation.night_start_h",
        ),
        (
            lambda c: setattr(c.layout, "repair", RepairConfig(priority="random")),
            "layout.repair.priority",
        ),
        (
            lambda c: setattr(c.layout.teams["t"], "capabilities", ["rescue", "swimming"]),
            "layout.teams.t.capabilities",
        ),
        (
            lambda c: setattr(c.layout.rescue.tiered, "start_level", [0, 1, 9]),
            "layout.rescue.tiered.start_level",
        ),
        (
            lambda c: c.layout.rescue.tiered.levels.update(village=-1),
            "layout.rescue.tiered.levels.village",
        ),
        (
            lambda c: setattr(c.layout.rescue.access, "local_min", -1.0),
            "layout.rescue.access.local_min",
        ),
    ],
)
def test_bad_rescue_config_names_the_field(change, message):
    cfg = make_cfg({"t": team()})
    validate(cfg)
    change(cfg)
    with pytest.raises(ConfigError, match=message):
        validate(cfg)


def test_nearest_means_earliest_expected_arrival_not_shortest_drive():
    """A fire squad 20 min away (2 min turnout) beats volunteers next door (45 min call-out)."""
    from tests.conftest import line_graph

    world = World(RoadNetwork(line_graph()), Streams(1, 0), hubs=[0])
    layout = LayoutConfig(
        name="x",
        teams={
            "volunteers": TeamConfig(tier="town", home="b", headcount=10, assembly_min=45.0),
            "squad": TeamConfig(tier="fire_rescue", home="a", headcount=10, assembly_min=2.0),
        },
    )
    RescueService(world, build_teams(layout, world), RescueConfig())
    inc = Incident(
        t=0.0, hazard="x", id="i", node="b", people=1, capabilities=("rescue",), work_min=10.0
    )
    world.env.process(world.replay([inc]))
    world.env.run()
    ev = world.log.frame()
    assert ev[ev.event == "dispatch"].entity.tolist() == ["squad"]


def test_incident_map_pools_the_incidents_of_every_replication(tmp_path, monkeypatch):
    """The incident map draws every replication's incidents (not replication 0's alone):
    its circles are the places of all of them, their counts add up to every incident, and
    the title counts the replications."""
    import sim.rescue.figures as rescue_figures
    from sim.cli import compose_config
    from sim.run.app import combine_tables, prepare
    from sim.run.experiment import run_replications

    cfg, net = prepare(
        compose_config(["district=bishan", "scenario=storm", "experiment.replications=4"])
    )
    tables = combine_tables(run_replications(cfg, net))
    inc = tables["incidents"]
    assert inc["rep"].nunique() == 4
    rep0 = inc[inc["rep"] == inc["rep"].min()]
    assert len(rep0) < len(inc)

    drawn = []
    real_close = rescue_figures.plt.close
    monkeypatch.setattr(rescue_figures.plt, "close", lambda fig: drawn.append(fig))
    rescue_figures.incident_map(tables, cfg, tmp_path / "incident_map.png")
    monkeypatch.setattr(rescue_figures.plt, "close", real_close)
    assert (tmp_path / "incident_map.png").stat().st_size > 10_000
    ax = drawn[0].axes[0]
    assert "all 4 replications" in ax.get_title() and f"{len(inc):,} incidents" in ax.get_title()
    circles = [c for c in ax.collections if c.get_array() is not None]  # coloured by share
    assert len(circles) == 1
    places = {tuple(np.round(p, 6)) for p in circles[0].get_offsets()}
    every = {tuple(np.round(p, 6)) for p in inc[["lon", "lat"]].to_numpy(dtype=float)}
    assert places == every
    by_place = rescue_figures.incidents_by_place(inc)
    assert by_place["incidents"].sum() == len(inc)
    assert by_place["per_rep"].sum() == pytest.approx(len(inc) / 4)
    real_close(drawn[0])


def test_the_response_time_axis_reads_in_plain_minutes():
    """The symlog axis of response_time_cdf.png labels its ticks as minutes ("60", not a
    10^n mathtext label that also costs a mathtext parse per run)."""
    import matplotlib.pyplot as plt

    from sim.rescue.figures import _time_axis

    fig, ax = plt.subplots()
    ax.plot([0, 50, 300], [0, 0.5, 1.0])
    _time_axis(ax)
    ax.set_xlim(0, 300)
    fig.canvas.draw()
    lo, hi = ax.get_xlim()
    labels = [t.get_text() for t in ax.get_xticklabels() if lo <= t.get_position()[0] <= hi]
    plt.close(fig)
    assert labels == ["0", "5", "10", "15", "30", "60", "120", "240"]


@pytest.mark.parametrize(
    ("reopen_at", "expected", "reroutes"),
    [
        (None, 80.0, 0),  # b-c stays closed: depot-a then the 70-min shortcut a-c
        (5.0, 60.0, 1),  # reopens on depot-a: from a, a-b-c (50) beats a-c (70)
        (15.0, 80.0, 0),  # reopens 5 min into a-c: finishing it (65) is the quickest
    ],
)
def test_a_team_on_a_detour_takes_a_road_that_reopens(reopen_at, expected, reroutes):
    clear = math.inf if reopen_at is None else reopen_at
    events = [
        RoadClosure(t=0.0, hazard="t", u="b", v="c", cause="debris", clear_min=clear),
        inc("i", "c", t=0.0, work_min=10.0),
    ]
    _, _, ev = run_model(line_graph(), make_cfg({"r": team(modes=["road"])}), events)
    assert first(ev, "arrive").t == pytest.approx(expected)
    assert (ev.event == "reroute").sum() == reroutes
    assert first(ev, "arrive").t <= 80.0  # a road that reopens never makes a trip longer


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=4, max_value=9),
    st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=4),
    st.floats(min_value=0.5, max_value=60.0),
    st.integers(min_value=0, max_value=10_000),
)
def test_a_road_that_reopens_never_delays_an_arrival(n, closed, reopen_at, seed):
    """Roads closed at 0 and reopened at ``reopen_at``: every incident is reached no later
    than if they had stayed closed (teams on detours take the reopened roads; others keep
    their trips)."""
    rng = np.random.default_rng(seed)
    g = nx.connected_watts_strogatz_graph(n, 2, 0.5, seed=int(seed))
    h = nx.Graph()
    node(h, "n0", kind="depot", pop=0)
    for i in list(g.nodes)[1:]:
        node(h, f"n{i}")
    for u, v in g.edges:
        road(h, f"n{u}", f"n{v}", float(rng.uniform(1, 30)))
    edges = list(h.edges)
    spots = [f"n{int(k)}" for k in rng.integers(1, n, 3)]

    def arrivals(clear: float) -> dict[str, float]:
        events = [
            RoadClosure(t=0.0, hazard="t", u=edges[e % len(edges)][0],
                        v=edges[e % len(edges)][1], cause="debris", clear_min=clear)
            for e in sorted(set(e % len(edges) for e in closed))
        ]  # fmt: skip
        events += [inc(f"i{k}", s, t=0.0, work_min=5.0) for k, s in enumerate(spots)]
        cfg = make_cfg({"r": team(home="n0", modes=["road"], count=2)})
        _, _, ev = run_model(h, cfg, events)
        arr = ev[ev.event == "arrive"]
        return dict(zip(arr.ref, arr.t, strict=True)) if len(arr) else {}

    stay, reopen = arrivals(math.inf), arrivals(reopen_at)
    for k, t in stay.items():
        assert reopen.get(k, math.inf) <= t + 1e-9, (k, reopen.get(k), t)


@pytest.mark.parametrize(("recede_at", "expected"), [(None, 130.0), (5.0, 35.0)])
def test_a_walker_on_a_detour_takes_a_blocked_road_the_water_leaves(recede_at, expected):
    """b-c is blocked by debris and under water: a team that can walk drives round by the
    120-min road a-c. When the water leaves (the debris stays), it walks b-c instead: from
    a, 5 min to b and 1 km at 3 km/h (20 min)."""
    g = line_graph(a_b=5, b_c=1.0, a_c=120)  # b-c: 1 km
    clear = math.inf if recede_at is None else recede_at
    events = [
        RoadClosure(t=0.0, hazard="t", u="b", v="c", cause="debris"),
        RoadClosure(t=0.0, hazard="t", u="b", v="c", cause="river flood", clear_min=clear),
        inc("i", "c", t=0.0, work_min=10.0),
    ]
    cfg = make_cfg({"w": team(modes=["road", "foot"])})
    _, _, ev = run_model(g, cfg, events)
    assert first(ev, "arrive").t == pytest.approx(expected)
    assert (ev.event == "reroute").sum() == (0 if recede_at is None else 1)
