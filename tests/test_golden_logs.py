"""The event log of a fixed run is the same, row for row, as before the rescue hot path was
rewritten (issue 18): same seed, same log.

The rewrite was checked against hashes computed with the code *before* it (commit 106a4a5:
a SimPy process per team task, numpy arrays per team, heap queues). The network nodes of the
water/air work and the calibrated fire model changed the runs themselves, so the RUNS hashes
were recomputed once after those merges (the two dispatch-benchmark hashes, which neither
touched, are still the pre-rewrite ones); they must not change with work on speed. The two
flood evacuations were added before the relief budget was vectorised (hashes of 3d5ccf8).
Each hash is SHA-256 over ``repr(row)`` of every log row in order, so it also checks the
order of simultaneous events and the Python types of the values. The runs cover road
closures and rerouting, foot/boat/helicopter access, staged mobilisation at night, work/rest
limits, tiered escalation, the capability policy, mutual aid, repair crews, forest fires,
evacuation and relief (stock budgets, call-offs, carried kits), an overloaded queue, and a
one-node queue where every time is zero (many events at the same instant).

The seven runs with a public warning were recomputed when the warning's count of people
warned in time came to be drawn with one uniform per household instead of a delay per
household and channel (the same distribution, ``tests/test_evacuation.py``; other draws):
only their ``public_warned_in_time`` rows changed, every other row was checked identical
with the code before. Three (the Beibei cascades and
Nan'an's heavy storm) were recomputed again when teams on a detour began to take a road that
reopens (a model change: 1, 9 and 6 more reroutes). Six (the cascades, the earthquake
with mutual aid, Nan'an's heavy storm, Fengdu's flood evacuation) were recomputed when the
first unit of a group of several came to draw under the group's key (``unit_stream``: adding
a unit to a group of one no longer re-draws the first one; a model change of those units'
call-out draws). Eight (those with a storm, a flood, an earthquake or a public warning) were
recomputed when town populations came to be scaled to the census total at load (Bishan's
towns summed to 110% of it) and a storm's closures and incidents, a flood's flash and river
parts, came to draw from streams of their own: model changes of the hazards drawn. The three
cascades again when a landslide's blocked roads, burials and barrier lakes did too, and the
earthquake when each town and road came to draw on its own.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from sim.cli import compose_config
from sim.config import AccessConfig, LayoutConfig, RescueConfig, TeamConfig
from sim.core.events import Incident
from sim.core.network import RoadNetwork
from sim.core.streams import Streams
from sim.core.world import World
from sim.rescue.service import RescueService
from sim.rescue.teams import build_teams
from sim.run.app import prepare
from sim.run.replication import run_replication

HEAVY = ["scenario.cascade.storm.incidents_per_100k=60", "scenario.cascade.storm.closures_mean=15"]

RUNS = {  # name: (overrides, replication, hash, rows)
    "bishan_storm_0": (["scenario=storm"], 0, "8460ab85ff5f48c5", 154),
    "beibei_cascade_tiered_1": (
        ["district=beibei", "scenario=cascade", "layout.rescue.dispatch=tiered"],
        1,
        "19872c34bd93220a",
        733,
    ),
    "fengdu_cascade_capability_1": (
        ["district=fengdu", "scenario=cascade", "layout.rescue.dispatch=capability"],
        1,
        # (recomputed when a case out of every team's reach, busy ones included, brought
        # mutual aid at its alarm and the aid team flew to it first: a model change)
        "4dc4114e9e7bf6c5",
        579,
    ),
    "earthquake_mutual_aid_0": (["scenario=earthquake"], 0, "09392f46bb0b0eb5", 170),
    # (recomputed when Bishan's second fire squadron moved to the district seat, as its
    # rescue team already was: a change of the layout's data, not of the code)
    "bishan_fire_season_1": (["scenario=fire_season"], 1, "821e09ba2b193d75", 43),
    # (recomputed when mutual aid began to ask for a faster centre for a case whose team
    # arrives after its window: the helicopter is asked 97 min earlier; a model change)
    "beibei_heavy_cascade_tiered_1": (
        ["district=beibei", "scenario=cascade", "layout.rescue.dispatch=tiered", *HEAVY],
        1,
        "a0da36022e309169",
        5160,
    ),
    "nanan_heavy_storm_capability_0": (
        [
            "district=nanan",
            "scenario=storm",
            "layout.rescue.dispatch=capability",
            "scenario.storm.incidents_per_100k=100",
            "scenario.storm.closures_mean=20",
        ],
        0,
        "a076a1d61392b307",
        7466,
    ),
    # relief and evacuation (hashes of 3d5ccf8, before the relief budget was rewritten for
    # speed): shelters, orders, vehicles, call-offs, blocked roads and handed-on groups.
    # Recomputed when a load's kilograms and cubic metres came to be summed by math.fsum
    # instead of BLAS's ddot, whose last bit depends on the CPU kernel OpenBLAS picks (the
    # old hashes held only with its SkylakeX kernel): 330 and 24 rows differ, each in the last bits of a float
    # (at most 4e-15 relative), no event, order or decision changed.
    "bishan_flood_evacuation_0": (["scenario=flood_evacuation"], 0, "b40f43f62bf2962a", 8327),
    "fengdu_flood_evacuation_1": (
        ["district=fengdu", "scenario=flood_evacuation"],
        1,
        "3dc2be78aea239ca",
        12051,
    ),
}


def log_hash(rows: list[tuple]) -> str:
    m = hashlib.sha256()
    for r in rows:
        m.update(repr(r).encode())
        m.update(b"\n")
    return m.hexdigest()[:16]


@pytest.mark.parametrize("name", list(RUNS))
def test_event_logs_are_unchanged(name):
    overrides, rep, expected, n_rows = RUNS[name]
    conf, net = prepare(compose_config(overrides))
    rows = run_replication(conf, net, rep).world.log.rows
    assert (log_hash(rows), len(rows)) == (expected, n_rows)


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 kernels")
def test_a_log_is_the_same_whatever_blas_kernel_the_cpu_gets():
    """The same seed gives the same log whatever BLAS kernel the CPU gets: run under OpenBLAS's generic SSE3
    kernel (``OPENBLAS_CORETYPE=Prescott``, which every x86-64 CPU runs), the flood
    evacuation's log has the hash recorded above, as it has under this CPU's own kernel
    (the test above). Relief once weighed loads with ``@`` (BLAS ddot): AVX-512, AVX2 and
    SSE3 kernels then gave three different logs."""
    overrides, rep, expected, n_rows = RUNS["bishan_flood_evacuation_0"]
    code = (
        "from tests.test_golden_logs import log_hash; from sim.cli import compose_config; "
        "from sim.run.app import prepare; from sim.run.replication import run_replication; "
        f"conf, net = prepare(compose_config({overrides!r})); "
        f"rows = run_replication(conf, net, {rep}).world.log.rows; "
        "print('HASH', log_hash(rows), len(rows))"
    )
    env = {**os.environ, "OPENBLAS_CORETYPE": "Prescott"}
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    assert f"HASH {expected} {n_rows}" in out.stdout


def _grid() -> RoadNetwork:
    """The dispatch benchmark's 300-node grid (benchmarks/bench_events.py)."""
    rng = np.random.default_rng(0)
    g = nx.Graph()
    for r in range(20):
        for c in range(15):
            g.add_node(
                f"n{r}_{c}",
                kind="town",
                name_zh="",
                name_en="",
                lat=29.0 + r * 0.02,
                lon=106.0 + c * 0.02,
                population=int(rng.integers(1000, 50000)),
            )
    for r in range(20):
        for c in range(15):
            for dr, dc in ((0, 1), (1, 0)):
                if r + dr < 20 and c + dc < 15:
                    g.add_edge(
                        f"n{r}_{c}",
                        f"n{r + dr}_{c + dc}",
                        length_m=float(rng.uniform(2500, 4000)),
                        speed_kmh=40.0,
                        road_class="county",
                        capacity_vph=1000.0,
                    )
    return RoadNetwork(g, source="grid")


def _run(world: World, layout: LayoutConfig, cfg: RescueConfig, incidents: list) -> list:
    RescueService(world, build_teams(layout, world), cfg)
    world.env.process(world.replay(incidents))
    world.env.run()
    return world.log.rows


@pytest.mark.parametrize(
    "mean, expected, n_rows",
    [(20.0, "7823447ae75afe27", 20876), (60.0 / 6 / 0.7, "d705fce7b0ea71b3", 18351)],
    ids=["stable", "overloaded"],
)
def test_dispatch_benchmark_log_is_unchanged(mean, expected, n_rows):
    """3,000 incidents of the dispatch benchmark at its stable and its overloaded load."""
    net = _grid()
    world = World(net, Streams(1, 0), hubs=[0])
    homes = [net.nodes[i] for i in np.linspace(0, net.n - 1, 6).astype(int)]
    layout = LayoutConfig(
        name="bench",
        teams={
            f"team{k}": TeamConfig(tier="district", home=h, headcount=10, assembly_min=5.0)
            for k, h in enumerate(homes)
        },
    )
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.exponential(mean, 3000))
    nodes = rng.integers(0, net.n, 3000)
    work = rng.exponential(30.0, 3000)
    incidents = [
        Incident(
            t=float(t[k]),
            hazard="bench",
            id=f"b{k}",
            node=net.nodes[int(nodes[k])],
            people=1,
            capabilities=("rescue",),
            work_min=float(work[k]),
        )
        for k in range(3000)
    ]
    rows = _run(world, layout, RescueConfig(dispatch="nearest"), incidents)
    assert (log_hash(rows), len(rows)) == (expected, n_rows)


def test_zero_time_queue_log_is_unchanged():
    """Three teams on one node, no assembly, no travel, cases needing one to three teams:
    everything but the work happens at the instant of the alarm."""
    g = nx.Graph()
    g.add_node(
        "base", kind="town", name_zh="base", name_en="base", lat=29.5, lon=106.2, population=1000
    )
    world = World(RoadNetwork(g), Streams(1, 0), hubs=[0])
    layout = LayoutConfig(
        name="q",
        teams={"t": TeamConfig(tier="town", home="base", count=3, headcount=10, assembly_min=0.0)},
    )
    cfg = RescueConfig(ref_crew=10, access=AccessConfig(local_min=0.0))
    rng = np.random.default_rng(7)
    t = np.cumsum(rng.exponential(10.0, 600))
    work = rng.exponential(18.0, 600)
    incidents = [
        Incident(
            t=float(t[k]),
            hazard="test",
            id=f"i{k}",
            node="base",
            people=1 + k % 25,
            capabilities=("rescue",),
            work_min=float(work[k]),
        )
        for k in range(600)
    ]
    rows = _run(world, layout, cfg, incidents)
    assert (log_hash(rows), len(rows)) == ("4103049775957d53", 5864)
