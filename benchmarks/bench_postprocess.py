"""Post-processing of a replication: CPU of the KPIs and tables each module makes from the log.

    python benchmarks/bench_postprocess.py                         # the plan audit's scenarios
    python benchmarks/bench_postprocess.py --scenario storm fire_season --repeat 5
    python benchmarks/bench_postprocess.py --save-events district=fengdu

Composes each scenario's config as ``run_sim.py`` would (``scenario=<name>`` and the
overrides given; default: the design scenarios of the plan audit, as ``python run_sim.py``
runs them), then runs ``sim.run.experiment.run_one`` for every replication in this process
(what ``experiment.executor=serial`` does, without the run's CSVs, figures and report) and
prints the CPU per replication (``time.process_time``) of each part, exclusive of the parts
nested in it, the minimum over ``--repeat`` rounds (the load average is printed with it):

- ``sim``: the simulation (``run_replication``: build the world, run the event loop);
- ``events frame``: the event log made a DataFrame (``EventLog.frame``);
- ``common kpis``: the KPIs of every run (roads closed, isolation, warning lead);
- ``<module>.kpis`` and ``<module>.tables``: each response module's measures and tables;
- ``glue``: the rest of ``run_one`` (road closures, the ``rep`` columns, the saved log).

A part a version of the code does not have is left out (the script also measures older
checkouts: run it from each and compare).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load_avg() -> str:
    """The 1/5/15-minute load averages (how busy the machine was)."""
    return "load {:.1f}/{:.1f}/{:.1f}".format(*os.getloadavg())


class Timer:
    """Exclusive CPU seconds per part (a nested part is not counted in its parent)."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.stack: list[list] = []

    def wrap(self, owner: object, attr: str, part: str) -> None:
        """Time every call of ``owner.attr`` as ``part`` (if ``owner`` has it)."""
        fn = getattr(owner, attr, None)
        if fn is None:
            return
        timer = self

        def timed(*args, **kwargs):
            timer.stack.append([time.process_time(), 0.0])
            try:
                return fn(*args, **kwargs)
            finally:
                start, nested = timer.stack.pop()
                spent = time.process_time() - start
                timer.cpu[part] = timer.cpu.get(part, 0.0) + spent - nested
                if timer.stack:
                    timer.stack[-1][1] += spent

        setattr(owner, attr, timed)


def instrument() -> tuple[Timer, list[str]]:
    """Wrap the parts of ``run_one`` (see the module docstring); the timer and the parts in
    the order they are printed."""
    import sim.run.experiment as ex
    from sim.core.eventlog import EventLog
    from sim.modules import RESPONSE_MODULES

    t = Timer()
    t.wrap(ex, "run_one", "glue")  # what its nested parts leave
    t.wrap(ex, "run_replication", "sim")
    t.wrap(EventLog, "frame", "events frame")
    t.wrap(ex, "replication_kpis", "common kpis")
    parts = ["sim", "events frame", "common kpis"]
    for m in RESPONSE_MODULES:
        name = m.__name__.rsplit(".", 1)[-1]
        for attr in ("kpis", "tables"):
            t.wrap(m, attr, f"{name}.{attr}")
            parts.append(f"{name}.{attr}")
    return t, [*parts, "glue"]


def scenario_configs(names: list[str], overrides: list[str]) -> list[tuple[str, object, object]]:
    """(name, typed config, network) of each scenario (default: the audit's design scenarios)."""
    from sim.cli import compose_config
    from sim.run.app import prepare
    from sim.run.audit import design_scenarios

    if not names:
        names = design_scenarios(compose_config(overrides).district.targets)
    return [(n, *prepare(compose_config([*overrides, f"scenario={n}"]))) for n in names]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scenario", nargs="*", default=[], help="scenarios (default: the audit's)")
    ap.add_argument("--repeat", type=int, default=3, help="rounds (the minimum is reported)")
    ap.add_argument("--save-events", action="store_true", help="experiment.save_events=true")
    ap.add_argument("overrides", nargs="*", help="Hydra overrides (district=..., ...)")
    args = ap.parse_args()
    overrides = [*args.overrides, *(["experiment.save_events=true"] if args.save_events else [])]
    runs = scenario_configs(args.scenario, overrides)
    timer, parts = instrument()
    import sim.run.experiment as ex

    reps = sum(conf.experiment.replications for _, conf, _ in runs)
    rounds = []
    for _ in range(args.repeat):
        timer.cpu.clear()
        for _, conf, net in runs:
            for r in range(conf.experiment.replications):
                ex.run_one(conf, net, r)
        rounds.append(dict(timer.cpu))
    label = " ".join(overrides) or "(defaults)"
    print(f"{ROOT.name}: {', '.join(n for n, _, _ in runs)}; {reps} replications; {label}")
    print(f"CPU ms per replication, min of {args.repeat} rounds ({load_avg()})")
    post = [p for p in parts if p != "sim"]
    for part in [*parts, "post-processing", "run_one"]:
        keys = {"post-processing": post, "run_one": parts}.get(part, [part])
        per_round = [sum(c.get(k, 0.0) for k in keys) for c in rounds]
        if part not in ("post-processing", "run_one") and not any(k in rounds[0] for k in keys):
            continue
        values = ", ".join(f"{1000 * v / reps:.1f}" for v in per_round)
        print(f"  {part:18s} {1000 * min(per_round) / reps:7.1f}   ({values})")


if __name__ == "__main__":
    main()
