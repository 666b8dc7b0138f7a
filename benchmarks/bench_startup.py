"""Start-up and outputs: CPU of ``python run_sim.py`` end to end, and where it goes.

    python benchmarks/bench_startup.py                            # the default run (plan audit)
    python benchmarks/bench_startup.py scenario=storm             # one scenario
    python benchmarks/bench_startup.py --repeat 3 --no-phases scenario=fire_season

Two measurements, both in CPU seconds (user + system), the minimum over ``--repeat`` runs, so
that other processes on a shared machine change them little (the load average is printed):

1. **end to end**: ``python run_sim.py <overrides>`` in a child process, its CPU and that of
   its pool workers (``RUSAGE_CHILDREN``), with the executor the config names (default:
   processes on all cores), and a bare ``python -c pass`` for the interpreter's own start-up.
2. **phases**: the same command run in a child process with ``sim.cli.main`` called in
   process and its phases timed (``time.process_time``, exclusive of the phases nested in
   them; pool workers' CPU counted where the replications run): imports, the pre-flight
   check (compose, typed config, network), Hydra's own start-up of the task, the
   replications, the output tables, the figures and the report.

Every run writes to a fresh temporary folder, removed afterwards. The children run with
Python's bytecode cache on, as on a user's machine: where ``PYTHONDONTWRITEBYTECODE`` is set
(this workplace sets it), every module would be compiled from source on every start, some
0.2-0.3 s more. So it is unset for them and ``compileall`` fills the cache first.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def load_avg() -> str:
    """The 1/5/15-minute load averages (how busy the machine was)."""
    return "load {:.1f}/{:.1f}/{:.1f}".format(*os.getloadavg())


def child_cpu(cmd: list[str]) -> tuple[float, float]:
    """CPU seconds (with its children) and wall seconds of one run of ``cmd``."""
    c0, t0 = _children_cpu(), time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return _children_cpu() - c0, time.perf_counter() - t0


def end_to_end(overrides: list[str], repeat: int) -> None:
    """Print the CPU of ``python run_sim.py <overrides>`` (min over ``repeat``)."""
    bare = min(child_cpu([sys.executable, "-c", "pass"])[0] for _ in range(repeat))
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as d:
            runs.append(
                child_cpu([sys.executable, "run_sim.py", *overrides, f"hydra.run.dir={d}/run"])
            )
    cpu, wall = min(runs)
    label = " ".join(overrides) or "(default: plan audit)"
    print(
        f"end to end  python run_sim.py {label}\n"
        f"  CPU {cpu:5.2f} s (min of {repeat}; all runs: "
        f"{', '.join(f'{c:.2f}' for c, _ in runs)})   wall {wall:5.2f} s   "
        f"python -c pass: {bare:4.2f} s   ({load_avg()})"
    )


# ----------------------------------------------------------------------- phases (child)
PHASES = [
    ("imports", "import sim.cli and what it imports"),
    ("compose", "Hydra's compose of a config (each call counted)"),
    ("preflight", "pre-flight: parse, YAML checks, typed config, network, nodes"),
    ("hydra", "Hydra: its job runner (run folder, .hydra, logging); for -m its compose too"),
    ("audit compose", "the audit's design scenarios (their compose is under compose)"),
    ("prepare", "typed config + network + node checks inside the task"),
    ("replications", "the replications (pool workers' CPU included)"),
    ("tables", "output tables, summary, CSVs, config.yaml"),
    ("figures", "the modules' figures and the network map"),
    ("report", "report.html and tables.xlsx"),
]


class Timer:
    """Exclusive CPU seconds per phase (a nested phase is not counted in its parent)."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.stack: list[list] = []

    def wrap(self, owner: object, attr: str, phase: str) -> None:
        """Time every call of ``owner.attr`` as ``phase`` (if it has one: the benchmark also
        measures older versions of the code)."""
        fn = getattr(owner, attr, None)
        if fn is None:
            return
        timer = self

        def timed(*args, **kwargs):
            timer.calls[phase] = timer.calls.get(phase, 0) + 1
            timer.stack.append([phase, _self_cpu() + _children_cpu(), 0.0])
            try:
                return fn(*args, **kwargs)
            finally:
                name, start, nested = timer.stack.pop()
                spent = _self_cpu() + _children_cpu() - start
                timer.cpu[name] = timer.cpu.get(name, 0.0) + spent - nested
                if timer.stack:
                    timer.stack[-1][2] += spent

        setattr(owner, attr, timed)


def phases_child(overrides: list[str], outdir: str) -> dict:
    """Run ``sim.cli.main`` in this process with its phases timed; the CPU per phase."""
    start = _self_cpu()
    sys.path.insert(0, str(ROOT))
    import sim.cli as cli

    imported = _self_cpu() - start
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    import sim.run.app as app
    import sim.run.audit as audit
    from sim.modules import RESPONSE_MODULES

    t = Timer()
    t.wrap(cli, "preflight", "preflight")
    t.wrap(cli, "_hydra_task", "hydra")  # main() calls these by their module-level names
    t.wrap(cli, "launch", "hydra")
    t.wrap(cli, "audit_runs", "audit compose")
    t.wrap(ConfigLoaderImpl, "load_configuration", "compose")  # every compose, by anyone
    for mod in (app, audit):
        t.wrap(mod, "prepare", "prepare")
        t.wrap(mod, "run_experiment", "replications")
        t.wrap(mod, "write_outputs", "tables")
    t.wrap(app, "network_map", "figures")
    t.wrap(app, "write_report", "report")
    t.wrap(audit, "write_audit_report", "report")
    for m in RESPONSE_MODULES:
        t.wrap(m, "write_figures", "figures")
    before = _self_cpu() + _children_cpu()
    sys.argv = [str(ROOT / "run_sim.py"), *overrides, f"hydra.run.dir={outdir}"]
    try:
        cli.main(sys.argv[1:])
    except SystemExit as exc:
        if exc.code:
            raise
    total = _self_cpu() + _children_cpu() - before
    # whatever the task did outside the named phases (printing, checkpoints, publishing)
    named = sum(t.cpu.values())
    out = {"imports": imported, **t.cpu}
    out["other"] = max(total - named, 0.0)
    out["total"] = imported + total
    out["calls"] = t.calls
    return out


def phases(overrides: list[str], repeat: int) -> dict:
    """Print the CPU per phase of the run with the least total of ``repeat`` child
    processes; return that run's phases."""
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as d:
            code = (
                f"import sys, json; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); "
                "from bench_startup import phases_child; "
                f"r = phases_child({overrides!r}, {d + '/run'!r}); print('PHASES', json.dumps(r))"
            )
            res = subprocess.run(
                [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
            )
            line = [x for x in res.stdout.splitlines() if x.startswith("PHASES ")][-1]
            runs.append(json.loads(line.split(" ", 1)[1]))
    best = min(runs, key=lambda r: r["total"])
    print(f"phases (CPU s, the run with the least total of {repeat}; {load_avg()})")
    for key, what in [*PHASES, ("other", "the rest: checkpoints, printing, publishing")]:
        n = best["calls"].get(key)
        calls = f"{n:3d}x" if n else "    "
        print(f"  {key:13s} {best.get(key, 0.0):6.2f} {calls}  {what}")
    print(f"  {'total':13s} {best['total']:6.2f}")
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("overrides", nargs="*", help="overrides of python run_sim.py")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-phases", action="store_true")
    ap.add_argument("--no-end-to-end", action="store_true")
    a = ap.parse_args()
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None):  # (the children inherit os.environ)
        print("PYTHONDONTWRITEBYTECODE unset for the runs (a user's machine caches bytecode)")
    for folder in ("sim", "scenarios"):
        compileall.compile_dir(ROOT / folder, quiet=1)
    print(f"cores: {os.cpu_count()}, {load_avg()}")
    if not a.no_end_to_end:
        end_to_end(a.overrides, a.repeat)
    if not a.no_phases:
        phases(a.overrides, a.repeat)


if __name__ == "__main__":
    main()
