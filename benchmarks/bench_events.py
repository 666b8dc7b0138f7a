"""Events per second of the model versus a bare SimPy timeout loop, in the same process.

    python benchmarks/bench_events.py                 # both scenarios
    python benchmarks/bench_events.py --incidents 20000 --scenario dispatch
    python benchmarks/bench_events.py --scaling       # cost per incident at 10k/30k/100k

Scenarios:
  dispatch  100,000 Poisson incidents on a 300-node grid-like road network, 6 teams,
            nearest-available dispatch (the rescue issue's benchmark).
  district  the default district network with a storm scaled up to many incidents.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.config import LayoutConfig, RescueConfig, TeamConfig  # noqa: E402
from sim.core.events import Incident  # noqa: E402
from sim.core.network import RoadNetwork  # noqa: E402
from sim.core.streams import Streams  # noqa: E402
from sim.core.world import World  # noqa: E402
from sim.rescue.service import RescueService  # noqa: E402
from sim.rescue.teams import build_teams  # noqa: E402


def run_counting(env: simpy.Environment, until: float = math.inf) -> int:
    """Run ``env`` like ``env.run(until)`` and return the number of events processed."""
    n = 0
    step, peek = env.step, env.peek
    while peek() < until:
        step()
        n += 1
    return n


def bare_simpy(n_events: int) -> float:
    """Events/s of a bare loop of ``timeout(1)`` events."""
    env = simpy.Environment()

    def proc(env):
        for _ in range(n_events):
            yield env.timeout(1.0)

    env.process(proc(env))
    t0 = time.perf_counter()
    n = run_counting(env)
    return n / (time.perf_counter() - t0)


def grid_network(side: int = 15, rows: int = 20, seed: int = 0) -> RoadNetwork:
    """A 300-node jittered grid with 1-3 km links, as a stand-in for a district network."""
    rng = np.random.default_rng(seed)
    g = nx.Graph()
    for r in range(rows):
        for c in range(side):
            g.add_node(
                f"n{r}_{c}",
                kind="town",
                name_zh="",
                name_en="",
                lat=29.0 + r * 0.02,
                lon=106.0 + c * 0.02,
                population=int(rng.integers(1000, 50000)),
            )
    for r in range(rows):
        for c in range(side):
            for dr, dc in ((0, 1), (1, 0)):
                if r + dr < rows and c + dc < side:
                    g.add_edge(
                        f"n{r}_{c}",
                        f"n{r + dr}_{c + dc}",
                        length_m=float(rng.uniform(2500, 4000)),
                        speed_kmh=40.0,
                        road_class="county",
                        capacity_vph=1000.0,
                    )
    return RoadNetwork(g, source="grid")


def dispatch_world(n_incidents: int, seed: int = 1) -> World:
    return dispatch_setup(n_incidents, seed)[0]


def dispatch_setup(n_incidents: int, seed: int = 1) -> tuple[World, RescueService]:
    """The dispatch benchmark: 300-node grid, 6 teams, Poisson incidents, nearest available."""
    net = grid_network()
    world = World(net, Streams(seed, 0), hubs=[0])
    homes = [net.nodes[i] for i in np.linspace(0, net.n - 1, 6).astype(int)]
    layout = LayoutConfig(
        name="bench",
        teams={
            f"team{k}": TeamConfig(tier="district", home=h, headcount=10, assembly_min=5.0)
            for k, h in enumerate(homes)
        },
    )
    svc = RescueService(world, build_teams(layout, world), RescueConfig(dispatch="nearest"))
    rng = np.random.default_rng(seed)
    # Load ~0.7: 6 teams, ~60 min per task including travel.
    t = np.cumsum(rng.exponential(60.0 / 6 / 0.7, n_incidents))
    nodes = rng.integers(0, net.n, n_incidents)
    work = rng.exponential(30.0, n_incidents)
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
        for k in range(n_incidents)
    ]
    world.env.process(world.replay(incidents))
    return world, svc


def district_world(incidents_per_100k: float) -> World:
    from sim.cli import compose_config
    from sim.run.app import prepare
    from sim.run.replication import build_world

    conf, net = prepare(compose_config([f"scenario.storm.incidents_per_100k={incidents_per_100k}"]))
    world, _ = build_world(conf, net, 0)
    return world


def measure(name: str, world: World) -> float:
    """Run ``world`` to the end, print the figures, return the wall time in seconds."""
    t0 = time.perf_counter()
    n = run_counting(world.env)
    wall = time.perf_counter() - t0
    rate = n / wall
    bare = bare_simpy(max(n, 200_000))
    print(
        f"{name:9s} events={n:>9,d} wall={wall:7.2f}s model={rate:>10,.0f} ev/s "
        f"bare-simpy={bare:>10,.0f} ev/s ratio={rate / bare:.3f} log_rows={len(world.log):,d}"
    )
    return wall


def scaling(sizes: list[int]) -> None:
    """Wall time and queue work per incident as incidents grow (should stay flat)."""
    for n in sizes:
        world, svc = dispatch_setup(n)
        wall = measure(f"n={n:,d}", world)
        q = svc.queue
        print(
            f"{'':9s} {wall / n * 1e6:8.1f} us/incident, queue entries popped per incident "
            f"{q.pops / n:.2f}, max waiting {svc.max_open}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scenario", choices=("dispatch", "district", "all"), default="all")
    ap.add_argument("--incidents", type=int, default=100_000)
    ap.add_argument(
        "--storm-rate",
        type=float,
        default=2000.0,
        help="storm incidents per 100k residents for the district scenario",
    )
    ap.add_argument(
        "--scaling",
        action="store_true",
        help="dispatch scenario at 10k, 30k and 100k incidents: cost per incident",
    )
    a = ap.parse_args()
    if a.scaling:
        scaling([10_000, 30_000, 100_000])
        return
    if a.scenario in ("dispatch", "all"):
        measure("dispatch", dispatch_world(a.incidents))
    if a.scenario in ("district", "all"):
        measure("district", district_world(a.storm_rate))


if __name__ == "__main__":
    main()
