"""Evacuating 1,000,000 people (grouped) on a district network in one replication.

    python benchmarks/bench_evacuation.py                    # Nan'an, 1,000,000 people
    python benchmarks/bench_evacuation.py --people 200000 --district bishan
    python benchmarks/bench_evacuation.py --shelter-scale 1  # shipped shelters: overflow

The shipped flood_evacuation scenario of the district, with every town/street in the zone
and ``--people`` at risk; the district's shipped layout with relief logistics switched off
(only evacuation runs; its events are what is timed) and shelter areas scaled by
``--shelter-scale`` (default 8, so that a million people fit). Reports wall time, events
processed, events/s and the ratio to a bare SimPy timeout loop measured in the same process
(``run_counting``/``bare_simpy`` of bench_events.py), peak resident memory and, in a second
run, the peak of Python allocations (tracemalloc).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_events import bare_simpy, run_counting  # noqa: E402

from sim import evacuation  # noqa: E402
from sim.core.events import EvacuationOrder  # noqa: E402
from sim.core.places import SETTLEMENT_KINDS  # noqa: E402
from sim.core.replication import Replication  # noqa: E402
from sim.run.replication import build_world  # noqa: E402


def load(district: str, people: int, shelter_scale: float):
    from sim.cli import compose_config
    from sim.core.network import RoadNetwork
    from sim.core.paths import CONF_DIR
    from sim.run.app import prepare

    net0 = RoadNetwork.load(Path(CONF_DIR).parent / "networks" / f"{district}.graphml")
    towns = [net0.nodes[i] for i in net0.nodes_of_kind(*SETTLEMENT_KINDS)]
    zone = f"scenario.evacuation.zones.{district}"
    cfg = compose_config(
        [
            f"district={district}",
            "scenario=flood_evacuation",
            "layout.relief=null",
            f"{zone}.people={people}",
            f"{zone}.nodes=[{','.join(towns)}]",
        ]
    )
    conf, net = prepare(cfg)
    for g in conf.layout.shelters.values():
        g.area_m2 *= shelter_scale
        g.capacity = int(g.capacity * shelter_scale)
        g.total_capacity = int(g.total_capacity * shelter_scale)
    return conf, net


def one_run(conf, net, trace: bool):
    world, timeline = build_world(conf, net.fresh(), 0)
    horizon = (conf.scenario.hours or conf.experiment.hours) * 60.0
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    n = run_counting(world.env, horizon)
    wall = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    return world, timeline, horizon, n, wall, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--district", default="nanan", choices=("nanan", "bishan", "beibei", "fengdu"))
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--shelter-scale", type=float, default=8.0)
    ap.add_argument("--no-tracemalloc", action="store_true", help="skip the second, traced run")
    a = ap.parse_args()

    conf, net = load(a.district, a.people, a.shelter_scale)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    world, timeline, horizon, n, wall, _ = one_run(conf, net, trace=False)
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rate = n / wall
    bare = bare_simpy(max(n, 200_000))
    svc = next(iter(world.assets.of_kind("shelter")), None)
    rep = Replication(0, world, timeline, horizon, conf)
    ev = rep.events()
    k = evacuation.kpis(rep, ev)
    (order,) = timeline.of_type(EvacuationOrder)
    groups = int((ev.event == "depart_home").sum() + (ev.event == "assist_request").sum())
    print(
        f"{a.district}: {sum(p for _, p in order.at_risk):,d} people at risk in "
        f"{len(order.at_risk)} towns/streets, {len(world.assets.of_kind('shelter'))} shelters "
        f"(x{a.shelter_scale:g} area), {len(world.assets.of_kind('evac_vehicle'))} vehicles"
    )
    print(
        f"wall={wall:.2f}s events={n:,d} model={rate:,.0f} ev/s bare-simpy={bare:,.0f} ev/s "
        f"ratio={rate / bare:.3f}"
    )
    print(
        f"peak RSS {rss1 / 1024:.0f} MiB (before the run {rss0 / 1024:.0f} MiB); "
        f"log rows {len(world.log):,d}; groups leaving home {groups:,d}"
    )
    print(
        "sheltered {:,.0f} ({:.1%}), out before impact {:.1%}, caught {:,.0f}, never sheltered "
        "{:,.0f}, shelter clearance {:.1f} h, max link delay {:.0f} min".format(
            k["evac_sheltered_people"],
            k["evac_sheltered_share"],
            k["evac_out_before_impact_share"],
            k["evac_caught_people"],
            k["evac_never_sheltered"],
            k["evac_shelter_clearance_h"],
            k["evac_max_link_delay_min"],
        )
    )
    del svc, world, rep, ev
    if not a.no_tracemalloc:
        _, _, _, n2, wall2, peak = one_run(conf, net, trace=True)
        print(f"tracemalloc: peak Python allocations {peak / 2**20:.0f} MiB ({wall2:.1f}s traced)")


if __name__ == "__main__":
    main()
