"""CPU of the replications of a scenario with relief logistics, and the relief planner's share.

    python benchmarks/bench_relief.py                              # flood_evacuation, 10 reps
    python benchmarks/bench_relief.py --repeat 3 scenario=flood_evacuation_stress
    python benchmarks/bench_relief.py --profile district=fengdu scenario=flood_isolation

Composes the config as ``run_sim.py`` would (the overrides given), then runs
``sim.run.experiment.run_one`` for every replication in this process (what
``experiment.executor=serial`` does, without the tables, figures and report) and prints the
process CPU time of the replications, the minimum over ``--repeat`` rounds. ``--profile``
adds a cProfile of one round: the own and cumulative time of ``sim/relief`` functions.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.cli import compose_config  # noqa: E402
from sim.run.app import prepare  # noqa: E402
from sim.run.experiment import run_one  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="rounds (the minimum is reported)")
    ap.add_argument("--profile", action="store_true", help="cProfile one more round")
    ap.add_argument("overrides", nargs="*", help="Hydra overrides (scenario=..., district=...)")
    args = ap.parse_args()
    overrides = args.overrides or ["scenario=flood_evacuation"]
    cfg = compose_config(overrides)
    conf, net = prepare(cfg)
    reps = range(conf.experiment.replications)
    times = []
    for _ in range(args.repeat):
        t0 = time.process_time()
        events = sum(run_one(conf, net, r).n_events for r in reps)
        times.append(time.process_time() - t0)
    print(f"{' '.join(overrides)}: {len(reps)} replications, {events:,} events")
    print(f"CPU of the replications: min {min(times):.3f} s over {args.repeat} rounds "
          f"({', '.join(f'{t:.3f}' for t in times)})")  # fmt: skip
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for r in reps:
            run_one(conf, net, r)
        prof.disable()
        st = pstats.Stats(prof)
        total = st.total_tt
        rows = [
            (cum, tt, nc, f"{Path(f).name}:{line} {fn}")
            for (f, line, fn), (_, nc, tt, cum, _) in st.stats.items()
            if "sim/relief" in f
        ]
        print(f"profile: {total:.2f} s in all; sim/relief functions by cumulative time:")
        for cum, tt, nc, name in sorted(rows, reverse=True)[:20]:
            print(f"  {cum:7.3f} cum {tt:7.3f} own {nc:8,d} calls  {name}")


if __name__ == "__main__":
    main()
