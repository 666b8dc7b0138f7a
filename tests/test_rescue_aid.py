"""Mutual aid for a case no local team can reach: the helicopter (or boat) centre is asked
as soon as the case is known to be out of reach, and its team goes there first.

Regression for Beibei's flood evacuation, where people trapped in the flooded 龙凤桥街道
(no road in, no boat landing) were never reached: the capable local teams were all busy
at the alarm, so the case was filed as merely waiting; the "waiting" request was throttled
by ``re_request_min`` and dropped; and when teams came free and found the town out of
reach nobody asked for the helicopter centre.

Network (``tests.test_rescue.chain_graph``): depot -10 min- a -20 min- b, the external
centre ``ext`` 30 min from the depot; the road a-b is flooded (no walking, b has no boat
landing), so only a helicopter gets to b: 15 km at 200 km/h + 15 min overhead = 19.5 min.
"""

from __future__ import annotations

import pytest

from sim.config import AidCentreConfig, MutualAidConfig
from sim.core.events import RoadClosure
from tests.test_rescue import chain_graph, first, inc, make_cfg, run_model, team

CAPS = ("rescue", "water_rescue")
AIR_MIN = 15.0 / 200.0 * 60.0 + 15.0  # ext (at the depot's latitude) to b by helicopter


def flood(clear_min: float = 3000.0, t: float = 0.0) -> RoadClosure:
    return RoadClosure(t=t, hazard="test", u="a", v="b", cause="river flood", clear_min=clear_min)


def air_centre(activation_min: float = 30.0) -> AidCentreConfig:
    return AidCentreConfig(
        node="ext",
        headcount=4,
        capabilities=list(CAPS),
        modes=["air"],
        activation_min=activation_min,
    )


def test_a_cut_off_case_arriving_while_every_local_team_is_busy_brings_the_helicopter():
    """The only local team is busy at a; two more cases at a bring the road centre
    ("waiting"); a case at b, cut off by water, comes 1 min later. Before the fix its
    "waiting" request fell inside ``re_request_min`` and was dropped, nobody looked at it
    again, and b waited for the water to go (3,000 min): the helicopter was never asked."""
    aid = MutualAidConfig(
        trigger_waiting=2,
        centres={
            "road_aid": AidCentreConfig(
                node="ext", count=2, headcount=10, capabilities=list(CAPS), activation_min=10.0
            ),
            "air": air_centre(),
        },
    )
    cfg = make_cfg({"w": team(caps=CAPS)}, mutual_aid=aid)
    events = [
        flood(),
        inc("a1", "a", t=0.0, work_min=600.0),
        inc("a2", "a", t=1.0, work_min=10.0),
        inc("a3", "a", t=2.0, work_min=10.0),
        inc("b", "b", t=3.0, capabilities=("water_rescue",), work_min=10.0, window_min=720.0),
    ]
    _, _, ev = run_model(chain_graph(), cfg, events)
    req = ev[ev.event == "aid_request"]
    assert list(req.entity) == ["road_aid", "air"]
    assert list(req.ref) == ["waiting", "unreachable"]
    assert req.t.iloc[1] == 3.0  # at the alarm: no team in the pool could get to b
    act = first(ev, "aid_activated", entity="air")
    arrive = first(ev, "arrive", ref="b")
    assert arrive.entity == "air" and arrive["info"] == "regional"
    assert arrive.t == pytest.approx(act.t + AIR_MIN, rel=1e-3)
    assert arrive.t - 3.0 < 720.0  # within the window (before: after the water went)
    assert first(ev, "resolved", entity="b").ref == "air"


def test_the_helicopter_goes_first_to_the_cut_off_case_it_was_asked_for():
    """A case at a (reachable, waiting for the busy local team) came before the cut-off
    case at b. The helicopter asked for b flies to b on activation, not to the earlier case
    the local team will drive to (in Beibei it served such a case first, was grounded at
    nightfall and reached 龙凤桥 after the people's window)."""
    aid = MutualAidConfig(centres={"air": air_centre()})
    cfg = make_cfg({"w": team(caps=CAPS)}, mutual_aid=aid)
    events = [
        flood(),
        inc("a1", "a", t=0.0, work_min=600.0),
        inc("a2", "a", t=1.0, work_min=10.0),
        inc("b", "b", t=2.0, capabilities=("water_rescue",), work_min=10.0, window_min=720.0),
    ]
    _, _, ev = run_model(chain_graph(), cfg, events)
    req = first(ev, "aid_request")
    assert req is not None and req.t == 2.0 and req.ref == "unreachable"
    act = first(ev, "aid_activated")
    dispatch = first(ev, "dispatch", entity="air")
    assert dispatch.t == act.t and dispatch.ref == "b"
    assert first(ev, "arrive", entity="air").t == pytest.approx(act.t + AIR_MIN, rel=1e-3)
    # then it takes a2, the next case waiting (before the local team is free)
    assert first(ev, "arrive", ref="b").t < first(ev, "arrive", ref="a2").t


def test_a_case_cut_off_after_its_alarm_brings_the_helicopter_when_a_team_finds_it_out_of_reach():
    """The case at b was reachable at its alarm (the road a-b still open); the water
    closes the road while it waits for the busy local team. When that team comes free and
    finds b out of reach, the helicopter centre is asked ("unreachable"); before, the
    team only noted it and went home."""
    aid = MutualAidConfig(trigger_wait_min=10_000.0, centres={"air": air_centre()})
    cfg = make_cfg({"w": team(caps=CAPS)}, mutual_aid=aid)
    events = [
        inc("a1", "a", t=0.0, work_min=600.0),
        inc("b", "b", t=1.0, capabilities=("water_rescue",), work_min=10.0, window_min=2000.0),
        flood(t=5.0),
    ]
    _, _, ev = run_model(chain_graph(), cfg, events)
    done_a1 = first(ev, "resolved", entity="a1").t
    req = first(ev, "aid_request")
    assert req is not None and req.ref == "unreachable" and req.t == pytest.approx(done_a1)
    arrive = first(ev, "arrive", ref="b")
    assert arrive.entity == "air" and arrive.t < 5.0 + 3000.0


def test_no_helicopter_is_asked_for_a_cut_off_case_a_boat_team_in_the_pool_can_reach():
    """A busy local boat team can get to b (a water node): the case waits for it; it is
    not out of reach, and no centre is asked for it."""
    from sim.config import AccessConfig, RescueConfig

    aid = MutualAidConfig(centres={"air": air_centre()})
    r = RescueConfig(access=AccessConfig(water_nodes=["a", "b"]))
    boat = team(caps=CAPS, modes=["road", "foot", "water"])
    cfg = make_cfg({"boat": boat}, r, mutual_aid=aid)
    events = [
        flood(),
        inc("a1", "a", t=0.0, work_min=30.0),
        inc("b", "b", t=1.0, capabilities=("water_rescue",), work_min=10.0, window_min=720.0),
    ]
    _, _, ev = run_model(chain_graph(), cfg, events)
    assert first(ev, "aid_request") is None
    assert first(ev, "arrive", ref="b").entity == "boat"


def test_a_case_whose_waiting_request_was_held_back_is_still_watched_for_its_wait():
    """Three cases wait for the one busy local team: the second brings the first centre
    ("waiting", t = 1); the third's "waiting" request falls inside ``re_request_min`` and is
    held back. The centre's two teams then take two cases, so the queue is below
    ``trigger_waiting`` when the request could be repeated (``persisting``). Before the
    fix nobody looked at the third case again and the second centre was never asked; now
    the wait rule asks it (``wait_time``) once ``re_request_min`` allows."""
    aid = MutualAidConfig(
        trigger_waiting=2,
        trigger_wait_min=30.0,
        re_request_min=60.0,
        centres={
            name: AidCentreConfig(
                node="ext", count=2, headcount=10, capabilities=list(CAPS), activation_min=5.0
            )
            for name in ("road_aid", "road_aid2")
        },
    )
    cfg = make_cfg({"w": team(caps=CAPS)}, mutual_aid=aid)
    events = [
        inc("a1", "a", t=0.0, work_min=2000.0),
        inc("a2", "a", t=0.5, work_min=600.0, window_min=5000.0),
        inc("a3", "a", t=1.0, work_min=600.0, window_min=5000.0),
        inc("a4", "a", t=3.0, work_min=600.0, window_min=5000.0),
    ]
    _, _, ev = run_model(chain_graph(), cfg, events)
    req = ev[ev.event == "aid_request"]
    assert list(req.entity) == ["road_aid", "road_aid2"]
    assert req.ref.iloc[0] == "waiting" and req.t.iloc[0] == 1.0
    # the held-back case's watch: 30 min after its alarm (still inside re_request_min of
    # the first request), then again 60 min later
    assert req.ref.iloc[1] == "wait_time" and req.t.iloc[1] == pytest.approx(3.0 + 30.0 + 60.0)
