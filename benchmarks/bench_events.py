"""CPU per incident of the rescue model, at a stated load, against a SimPy-free reference.

    python benchmarks/bench_events.py                         # stable + overloaded + reference
    python benchmarks/bench_events.py --scenario stable --incidents 20000 --repeat 5
    python benchmarks/bench_events.py --scenario district     # the storm on a real district
    python benchmarks/bench_events.py --scaling               # cost per incident at 10k/30k/100k

Workloads (a 300-node jittered grid, 1-3 km links at 40 km/h, 6 district teams of 10 that
assemble in 5 min on average (gamma, shape 4), Poisson incidents of one person needing one
team for exponential work of mean 30 min, ``nearest`` dispatch):

  stable      mean 20 min between incidents: team utilisation (dispatch to free, the
              model's ``team_utilisation``) about 0.65, the queue stays short;
  overloaded  mean 14.3 min between incidents: utilisation about 0.97, waiting lines grow
              and teams rarely drive home (what the old benchmark measured);
  district    Bishan and scenario=storm with ``--storm-rate`` incidents per
              100,000 residents (far beyond the plan's storm): 25 teams, 6 helicopter and
              boat teams, road closures and foot access; utilisation printed too.

Every figure is CPU time (``time.process_time``) of the simulation run alone (the world
and the incidents are built before the clock starts), repeated ``--repeat`` times; min and
median are printed because other jobs share the machine. ``--reference`` (on by default for
stable and overloaded) also runs :mod:`dispatch_reference` (the same decisions with heapq,
no SimPy), checks that every incident gets the same team and the same first arrival time,
and prints the model's CPU per incident as a multiple of the reference's.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dispatch_reference import reference_inputs, run_reference  # noqa: E402

from sim.config import LayoutConfig, RescueConfig, TeamConfig  # noqa: E402
from sim.core.events import Incident  # noqa: E402
from sim.core.network import RoadNetwork  # noqa: E402
from sim.core.streams import Streams  # noqa: E402
from sim.core.world import World  # noqa: E402
from sim.rescue.service import RescueService  # noqa: E402
from sim.rescue.teams import build_teams  # noqa: E402

# mean minutes between incidents of each load (utilisation measured and printed)
LOADS = {"stable": 20.0, "overloaded": 60.0 / 6 / 0.7}
N_TEAMS = 6
SEED = 1


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


def grid_network(
    side: int = 15, rows: int = 20, seed: int = 0, spacing: float = 0.02
) -> RoadNetwork:
    """A ``rows`` x ``side`` jittered grid (300 nodes by default; link lengths 2.5-4 km
    scaled with ``spacing``), as a stand-in for a district network."""
    rng = np.random.default_rng(seed)
    g = nx.Graph()
    scale = spacing / 0.02
    for r in range(rows):
        for c in range(side):
            g.add_node(
                f"n{r}_{c}",
                kind="town",
                name_zh="",
                name_en="",
                lat=29.0 + r * spacing,
                lon=106.0 + c * spacing,
                population=int(rng.integers(1000, 50000)),
            )
    for r in range(rows):
        for c in range(side):
            for dr, dc in ((0, 1), (1, 0)):
                if r + dr < rows and c + dc < side:
                    g.add_edge(
                        f"n{r}_{c}",
                        f"n{r + dr}_{c + dc}",
                        length_m=float(rng.uniform(2500, 4000)) * scale,
                        speed_kmh=40.0,
                        road_class="county",
                        capacity_vph=1000.0,
                    )
    return RoadNetwork(g, source="grid")


@dataclass
class Workload:
    world: World
    service: RescueService
    incidents: list[Incident]
    homes: list[int]
    team_ids: list[str]


def dispatch_setup(
    n_incidents: int,
    load: str = "stable",
    seed: int = SEED,
    net: RoadNetwork | None = None,
    places: list[int] | None = None,
) -> Workload:
    """The dispatch workload on ``net`` (default: the 300-node grid); incidents at random
    nodes of ``places`` (default: every node)."""
    net = grid_network() if net is None else net
    world = World(net, Streams(seed, 0), hubs=[0])
    pool = np.arange(net.n) if places is None else np.asarray(places)
    homes = [int(pool[i]) for i in np.linspace(0, len(pool) - 1, N_TEAMS).astype(int)]
    layout = LayoutConfig(
        name="bench",
        teams={
            f"team{k}": TeamConfig(
                tier="district", home=net.nodes[h], headcount=10, assembly_min=5.0
            )
            for k, h in enumerate(homes)
        },
    )
    teams = build_teams(layout, world)
    svc = RescueService(world, teams, RescueConfig(dispatch="nearest"))
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.exponential(LOADS[load], n_incidents))
    nodes = pool[rng.integers(0, len(pool), n_incidents)]
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
    world.start_replay(incidents)
    return Workload(world, svc, incidents, homes, [t.id for t in teams])


def dispatch_world(n_incidents: int, seed: int = SEED) -> World:
    return dispatch_setup(n_incidents, seed=seed).world


def district_world(incidents_per_100k: float) -> tuple[World, float]:
    from sim.cli import compose_config
    from sim.run.app import prepare
    from sim.run.replication import build_world

    conf, net = prepare(
        compose_config(
            ["scenario=storm", f"scenario.storm.incidents_per_100k={incidents_per_100k}"]
        )
    )
    world, _ = build_world(conf, net.fresh(), 0)
    return world, (conf.scenario.hours or conf.experiment.hours) * 60.0


def log_stats(rows: list[tuple], n_teams: int, horizon: float) -> dict[str, float]:
    """Utilisation (dispatch to free / team-time), mean wait and share of incidents that
    waited (alarm to dispatch of their first team) from the event log."""
    start: dict[str, float] = {}
    alarm: dict[str, float] = {}
    waits: list[float] = []
    busy = 0.0
    for t, ev, ent, _node, ref, *_ in rows:
        if ev == "dispatch":
            start.setdefault(ent, t)
            a = alarm.pop(ref, None)
            if a is not None:
                waits.append(t - a)
        elif ev == "free" and ent in start:
            busy += t - start.pop(ent)
        elif ev == "incident":
            alarm[ent] = t
    busy += sum(horizon - s for s in start.values())
    return {
        "utilisation": busy / (n_teams * horizon),
        "mean_wait": statistics.fmean(waits) if waits else math.nan,
        "waited": sum(w > 0 for w in waits) / max(len(waits), 1),
    }


def cpu_run(world: World, until: float | None = None) -> tuple[float, int]:
    """CPU seconds of ``world.env.run()`` and the events scheduled meanwhile (SimPy's event
    counter: each event gets the next id; counting them one by one would cost as much)."""
    env = world.env
    first = next(env._eid)
    t0 = time.process_time()
    env.run(until=until)
    cpu = time.process_time() - t0
    return cpu, next(env._eid) - first - 1


def summary(values: list[float]) -> str:
    return f"min {min(values):7.2f} median {statistics.median(values):7.2f}"


def check_identical(wl: Workload, ref) -> None:
    """Every incident: the same team sent and the same first arrival in model and reference."""
    first: dict[str, float] = {}
    team: dict[str, str] = {}
    for t, ev, ent, _node, ref_id, *_ in wl.world.log.rows:
        if ev == "arrive":
            first.setdefault(ref_id, t)
        elif ev == "dispatch":
            team.setdefault(ref_id, ent)
    bad = 0
    for k, inc in enumerate(wl.incidents):
        fa = first.get(inc.id, math.nan)
        same_t = fa == ref.first_arrival[k] or (math.isnan(fa) and math.isnan(ref.first_arrival[k]))
        same_team = team.get(inc.id) == (wl.team_ids[ref.team[k]] if ref.team[k] >= 0 else None)
        bad += not (same_t and same_team)
    if bad:
        raise SystemExit(
            f"reference differs from the model on {bad} of {len(wl.incidents)} incidents"
        )
    print(
        f"{'':12s} reference identical: team and first arrival of all {len(wl.incidents):,d} incidents"
    )


def bench_dispatch(load: str, n: int, repeat: int, reference: bool) -> None:
    """Model (and reference) CPU per incident at ``load``, min and median of ``repeat`` runs."""
    model_us, ref_us, ratios = [], [], []
    stats = None
    for _ in range(repeat):
        wl = dispatch_setup(n, load)
        cpu, events = cpu_run(wl.world)
        model_us.append(cpu / n * 1e6)
        if stats is None:
            stats = log_stats(wl.world.log.rows, N_TEAMS, wl.world.now)
            print(
                f"{load:12s} incidents={n:,d} events={events:,d} ({events / n:.1f}/incident) "
                f"utilisation={stats['utilisation']:.3f} mean wait={stats['mean_wait']:.1f} min "
                f"waited={stats['waited']:.1%} max waiting={wl.service.max_open}"
            )
        if reference:
            args = reference_inputs(wl.world.net, wl.incidents)
            t0 = time.process_time()
            ref = run_reference(wl.world.net, wl.homes, wl.team_ids, *args, Streams(SEED, 0))
            ref_us.append((time.process_time() - t0) / n * 1e6)
            ratios.append(model_us[-1] / ref_us[-1])
            if len(ratios) == 1:
                check_identical(wl, ref)
    print(f"{'':12s} model     us/incident {summary(model_us)}")
    if reference:
        print(f"{'':12s} reference us/incident {summary(ref_us)}")
        print(f"{'':12s} model / reference      {summary(ratios)}")


def bench_district(rate: float, repeat: int) -> None:
    """CPU per incident and events per incident of Bishan's storm (replication 0) at ``rate``."""
    us = []
    for _ in range(repeat):
        world, horizon = district_world(rate)
        cpu, events = cpu_run(world, horizon)
        rows = world.log.rows
        n = sum(1 for r in rows if r[1] == "incident")
        us.append(cpu / max(n, 1) * 1e6)
        if len(us) == 1:
            n_teams = len(world.assets.of_kind("team")) + len(world.assets.of_kind("aid_team"))
            st = log_stats(rows, n_teams, world.now)
            print(
                f"{'district':12s} storm {rate:g}/100k incidents={n:,d} events={events:,d} ({events / max(n, 1):.1f}/incident) "
                f"utilisation={st['utilisation']:.3f} waited={st['waited']:.1%} "
                f"log rows={len(rows):,d}"
            )
    print(f"{'':12s} model     us/incident {summary(us)}")


def scaling(sizes: list[int]) -> None:
    """CPU per incident and queue work per incident as incidents grow (should stay flat)."""
    for n in sizes:
        wl = dispatch_setup(n, "stable")
        cpu, _ = cpu_run(wl.world)
        q = wl.service.queue
        print(
            f"n={n:>9,d} {cpu / n * 1e6:8.1f} us/incident, queue entries popped per incident "
            f"{q.pops / n:.2f}, max waiting {wl.service.max_open}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--scenario", choices=("stable", "overloaded", "district", "all"), default="all"
    )
    ap.add_argument("--incidents", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    ap.add_argument("--no-reference", action="store_true", help="skip the heapq reference")
    ap.add_argument(
        "--storm-rate",
        type=float,
        default=1000.0,
        help="storm incidents per 100k residents for the district scenario (the config's maximum)",
    )
    ap.add_argument(
        "--scaling",
        action="store_true",
        help="stable dispatch at 10k, 30k and 100k incidents: cost per incident",
    )
    a = ap.parse_args()
    if a.scaling:
        scaling([10_000, 30_000, 100_000])
        return
    for load in ("stable", "overloaded"):
        if a.scenario in (load, "all"):
            bench_dispatch(load, a.incidents, a.repeat, not a.no_reference)
    if a.scenario in ("district", "all"):
        bench_district(a.storm_rate, a.repeat)
    print(f"bare SimPy timeout loop: {bare_simpy(200_000):,.0f} events/s (wall)")


if __name__ == "__main__":
    main()
