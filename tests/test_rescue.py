"""Dispatch against queueing theory, and conservation of people in incidents."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from scenarios.events import Incident
from sim.config import LayoutConfig, RescueConfig, TeamConfig
from sim.metrics import incident_table
from sim.network import RoadNetwork
from sim.rescue import RescueService, build_teams
from sim.streams import Streams
from sim.world import World
from tests.conftest import node


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
    RescueService(world, build_teams(layout, world), RescueConfig(ref_crew=10))
    incidents = poisson_incidents(np.random.default_rng(seed), n, lam, mean_work)
    world.env.process(world.replay(incidents))
    world.env.run()
    return incident_table(world.log.frame()), incidents


def test_mean_wait_matches_erlang_c():
    """M/M/3 at load 0.6: long-run mean wait within 6% of Erlang C (sampling noise ~2%)."""
    c, lam, mean_work = 3, 1 / 10, 18.0
    table, _ = run_queue(c, lam, mean_work, n=100_000)
    simulated = table["response_min"].mean()  # zero travel, zero assembly: response = wait
    assert simulated == pytest.approx(erlang_c_wait(c, lam, 1 / mean_work), rel=0.06)


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
    RescueService(world, build_teams(layout, world), RescueConfig())
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
