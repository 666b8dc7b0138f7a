"""Replications at scale: parallel efficiency of the executors, batching, memory per replication.

    python benchmarks/bench_executors.py                 # all parts, 2 workers
    python benchmarks/bench_executors.py --parts long,short --reps 8 --workers 2
    python benchmarks/bench_executors.py --parts dask

Parts (each times the same replications with every executor; results are checked equal):

- ``long``: a scenario whose replication takes a second or more (Fengdu's design flood
  evacuation with relief logistics, ``scenario=flood_evacuation district=fengdu``). Parallel
  efficiency = serial wall time / (workers x processes wall time); goal >= 0.85 on 2 cores.
- ``short``: the default Bishan storm (about 0.1 s per replication): the processes executor
  with one replication per task and with automatic batching (``experiment.reps_per_task=0``);
  overhead = 1 - efficiency; goal < 10% with batching.
- ``dask``: the ``long`` replications on a local Dask cluster (``LocalCluster``, one thread per
  worker process, loopback), the set-up a real cluster uses minus the network.
- ``memory``: peak resident memory of one replication of each scenario, measured in a fresh
  process (the peak RSS ``VmHWM``, reset to the current RSS once the config and network are
  loaded, minus that RSS; Linux): the memory budget a worker needs per
  replication on top of the loaded model.

Wall times include pool or cluster start-up. The machine's load average is printed with each
figure: other processes on a shared machine lower the efficiency, not the model.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LONG = ["scenario=flood_evacuation", "district=fengdu"]
SHORT: list[str] = []


def load(overrides: list[str], reps: int, executor: str, workers: int, per_task: int = 0):
    from sim.cli import compose_config
    from sim.run.app import prepare

    cfg = compose_config(
        [
            *overrides,
            f"experiment.replications={reps}",
            f"experiment.executor={executor}",
            f"experiment.workers={workers}",
            f"experiment.reps_per_task={per_task}",
        ]
    )
    return prepare(cfg)


CPU: dict[str, float] = {}


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # pool workers, once joined
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(overrides, reps, executor, workers, per_task=0) -> tuple[float, list]:
    """Wall seconds of ``reps`` replications (CPU seconds, workers included, in CPU['last'])."""
    from sim.run.experiment import run_replications

    conf, net = load(overrides, reps, executor, workers, per_task)
    c0, t0 = _cpu(), time.perf_counter()
    results = run_replications(conf, net)
    wall = time.perf_counter() - t0
    CPU["last"] = _cpu() - c0
    bad = [r for r in results if r.error]
    if bad:
        raise SystemExit(f"replication {bad[0].rep} failed: {bad[0].error}")
    return wall, [r.kpis for r in results]


def same(a: list[dict], b: list[dict]) -> bool:
    """Identical KPIs (NaN equal to NaN)."""
    import pandas as pd

    return pd.DataFrame(a).equals(pd.DataFrame(b))


def load_avg() -> str:
    return "load {:.1f}/{:.1f}/{:.1f}".format(*os.getloadavg())


def part_long(reps: int, workers: int) -> None:
    print(f"\nlong replications: {' '.join(LONG)}, {reps} replications, {workers} workers")
    serial, ks = timed(LONG, reps, "serial", 1)
    cpu_s = CPU["last"]
    print(
        f"  serial     {serial:7.2f} s   {serial / reps:5.2f} s/replication   "
        f"CPU {cpu_s:6.2f} s   ({load_avg()})"
    )
    par, kp = timed(LONG, reps, "processes", workers)
    assert same(kp, ks), "processes executor gave other numbers than serial"
    eff = serial / (workers * par)
    print(
        f"  processes  {par:7.2f} s   efficiency {eff:5.2f} (goal >= 0.85)   CPU {CPU['last']:6.2f} s "
        f"(x{CPU['last'] / cpu_s:.2f} of serial)   ({load_avg()})"
    )


def part_short(reps: int, workers: int) -> None:
    print(f"\nshort replications: default storm (Bishan), {reps} replications, {workers} workers")
    serial, ks = timed(SHORT, reps, "serial", 1)
    cpu_s = CPU["last"]
    print(
        f"  serial     {serial:7.2f} s   {serial / reps:6.3f} s/replication   "
        f"CPU {cpu_s:6.2f} s   ({load_avg()})"
    )
    for label, per_task in (("1 per task", 1), ("automatic", 0)):
        par, kp = timed(SHORT, reps, "processes", workers, per_task)
        assert same(kp, ks), "processes executor gave other numbers than serial"
        eff = serial / (workers * par)
        print(
            f"  processes, {label:10s} {par:6.2f} s   efficiency {eff:5.2f}   "
            f"overhead {100 * (1 - eff):4.1f}%   CPU x{CPU['last'] / cpu_s:.2f} of serial   "
            f"({load_avg()})"
        )


def part_dask(reps: int, workers: int) -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("\ndask: not installed (pip install -e .[cluster])")
        return
    print(f"\ndask LocalCluster: {' '.join(LONG)}, {reps} replications, {workers} workers")
    serial, ks = timed(LONG, reps, "serial", 1)
    print(f"  serial     {serial:7.2f} s   ({load_avg()})")
    t0 = time.perf_counter()
    wall, kd = timed(LONG, reps, "dask", workers, 1)
    assert same(kd, ks), "dask executor gave other numbers than serial"
    eff = serial / (workers * wall)
    total = time.perf_counter() - t0
    print(
        f"  dask       {wall:7.2f} s incl. cluster start   efficiency {eff:5.2f}   "
        f"({total:.1f} s with config load; {load_avg()})"
    )


MEMORY_CHILD = """
import gc, sys
sys.path.insert(0, {root!r})
from benchmarks.bench_executors import load
from sim.run.experiment import run_one
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])
conf, net = load({overrides!r}, 1, "serial", 1)
gc.collect()
loaded = status("VmRSS:")
with open("/proc/self/clear_refs", "w") as fh:  # reset the peak (VmHWM) to the current RSS
    fh.write("5")
run_one(conf, net, 0)
print(loaded, status("VmHWM:"))
"""


def part_memory() -> None:
    print("\nmemory per replication (fresh process; peak RSS in MiB)")
    root = str(Path(__file__).resolve().parent.parent)
    for label, overrides in (
        ("storm, Bishan", SHORT),
        ("flood evacuation + relief, Fengdu", LONG),
        ("fire season, Bishan", ["scenario=fire_season"]),
    ):
        code = MEMORY_CHILD.format(root=root, overrides=overrides)
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
        loaded, peak = (int(x) / 1024 for x in out[-2:])
        print(
            f"  {label:36s} config + network loaded: {loaded:5.0f}   peak during one "
            f"replication: {peak:5.0f}   budget per replication: {peak - loaded:5.0f}"
        )
    print("  (a worker needs the loaded size once plus one budget per replication it runs)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default="long,short,dask,memory")
    ap.add_argument("--reps", type=int, default=8, help="replications of the long scenario")
    ap.add_argument("--short-reps", type=int, default=40)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    parts = a.parts.split(",")
    print(f"cores: {os.cpu_count()}, {load_avg()}")
    if "long" in parts:
        part_long(a.reps, a.workers)
    if "short" in parts:
        part_short(a.short_reps, a.workers)
    if "dask" in parts:
        part_dask(a.reps, a.workers)
    if "memory" in parts:
        part_memory()


if __name__ == "__main__":
    main()
