"""A/B: CPU of ``python run_sim.py <overrides>`` for two versions of the code, alternated.

    python benchmarks/bench_ab.py 2ae7131 . --rounds 5 -- scenario=storm
    python benchmarks/bench_ab.py HEAD~3 HEAD --rounds 3            # the default plan audit

This machine's speed drifts by up to 2x within an hour, so a before/after figure taken at two
moments says little; this script runs the two versions one after the other, round after
round, and prints the minimum and median CPU of each (user + system of the child and its
pool workers, ``RUSAGE_CHILDREN``). A revision is checked out in a temporary git worktree
(removed afterwards); ``.`` is this checkout as it is, uncommitted changes included. Each
run writes to a fresh temporary folder, removed afterwards, and runs with Python's bytecode
cache on (as on a user's machine; ``bench_startup.py`` says why).
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def checkout(rev: str, into: Path) -> Path:
    """A folder holding revision ``rev`` (``.``: this checkout)."""
    if rev == ".":
        return ROOT
    path = into / rev.replace("/", "_").replace("~", "-")
    subprocess.run(
        ["git", "worktree", "add", "--detach", "--quiet", str(path), rev], cwd=ROOT, check=True
    )
    return path


def run_cpu(repo: Path, overrides: list[str], env: dict) -> float:
    """CPU seconds of one ``python run_sim.py`` in ``repo`` (its ``sim`` imported first)."""
    out = tempfile.mkdtemp(prefix="bench_ab_")
    try:
        c0 = _children_cpu()
        subprocess.run(
            [sys.executable, "run_sim.py", *overrides, f"hydra.run.dir={out}"],
            cwd=repo,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        return _children_cpu() - c0
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], epilog="run_sim.py overrides follow --"
    )
    ap.add_argument(
        "a", help="the first revision (a commit, a tag, HEAD~n, or . for this checkout)"
    )
    ap.add_argument("b", help="the second revision")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each version (alternated)")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    args = ap.parse_args(argv[:cut])
    args.overrides = argv[cut + 1 :]  # run_sim.py's overrides, after --
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    tmp = Path(tempfile.mkdtemp(prefix="bench_ab_trees_"))
    repos: dict[str, Path] = {}
    try:
        for rev in (args.a, args.b):
            repos[rev] = checkout(rev, tmp)
            compileall.compile_dir(repos[rev] / "sim", quiet=1)
        print(f"cores: {os.cpu_count()}, load {os.getloadavg()[0]:.1f}")
        print(f"python run_sim.py {' '.join(args.overrides) or '(default: plan audit)'}")
        cpu: dict[str, list[float]] = {rev: [] for rev in repos}
        for _ in range(args.rounds):
            for rev, repo in repos.items():
                cpu[rev].append(run_cpu(repo, args.overrides, env))
        for rev, xs in cpu.items():
            runs = " ".join(f"{x:.2f}" for x in xs)
            print(
                f"  {rev:12s} CPU min {min(xs):6.2f} s  median {statistics.median(xs):6.2f} s"
                f"  (runs: {runs})"
            )
        print(f"load after: {os.getloadavg()[0]:.1f}")
    finally:
        for repo in repos.values():
            if repo != ROOT:
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(repo)], cwd=ROOT, check=False
                )
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
