"""Coverage of the tool's intervals over replications: pooled shares, their differences, means.

    python benchmarks/coverage_shares.py                  # 2000 data sets a cell (about 2 min)
    python benchmarks/coverage_shares.py --sets 500 --n 10 20

Not a speed benchmark: a Monte Carlo check of the statistics the verdict table and compare
mode print, against known truths. Each pooled-share data set is ``n`` replications of a
disaster whose events (incidents, fires, people judged) number ``1 + Poisson(50)`` a
replication and succeed with a probability drawn per replication from a beta distribution
(replications differ: the events of one disaster are correlated, so the replication is the
unit of independence); the true share is ``E[successes] / E[events]`` (from 400,000
replications). A skewed mean's data set is ``n`` Gamma or lognormal values. For every data
set and method the script records whether the 95% interval holds the truth, and on which
side it missed.

A verdict reads one side: a share target (``>=``) passes on the interval's lower bound, a
time or area target (``<=``) on its upper bound, so a miss on that side is a false PASS
risk (nominal 2.5%). Columns: two-sided coverage and that side's miss rate, for

- one share: the delta method with t (Cochran 1977), the cluster bootstrap (BCa), and the
  tool (``sim.run.stats.ratio_interval``: delta below ``BOOTSTRAP_MIN_N`` = 20, BCa from 20);
- a skewed mean: t, BCa, and the tool (``mean_interval(..., "bootstrap")``: the same rule);
- a difference of two shares on common random numbers (an alternative that succeeds more
  often, correlated with the base): compare's delta method (``sim.run.paired.ratio_paired``)
  against a paired cluster bootstrap (BCa), two-sided.

A coverage estimate from ``S`` sets has a standard error of about ``sqrt(p (1 - p) / S)``
(0.005 for a coverage of 0.95 and 0.0035 for a miss rate of 0.025 at 2000 sets).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.run import stats  # noqa: E402
from sim.run.bootstrap import bootstrap_interval  # noqa: E402
from sim.run.paired import ratio_paired  # noqa: E402

# name -> (beta a, b) of the per-replication success probability
SHARES = {"share ~0.50": (10.0, 10.0), "share ~0.93": (18.0, 1.3), "share ~0.99": (60.0, 0.6)}
LAM = 50.0  # events a replication (Poisson mean)
UPLIFT = (2.0, 30.0)  # beta of the alternative's extra success probability
# name -> (draw n values, their true mean)
MEANS = {
    "Gamma(2)": (lambda rng, n: rng.gamma(2.0, 1.0, n), 2.0),
    "lognormal(0,0.5)": (lambda rng, n: rng.lognormal(0.0, 0.5, n), float(np.exp(0.125))),
    "lognormal(0,1)": (lambda rng, n: rng.lognormal(0.0, 1.0, n), float(np.exp(0.5))),
}


def draw(rng, n: int, ab: tuple[float, float]):
    """Successes and events of a base and an alternative on the same replications."""
    x = rng.poisson(LAM, n) + 1
    pb = rng.beta(*ab, n)
    pa = np.minimum(1.0, pb + rng.beta(*UPLIFT, n))
    return rng.binomial(x, pa).astype(float), rng.binomial(x, pb).astype(float), x.astype(float)


def _diff(ya, xa, yb, xb, axis=-1):
    ra = np.sum(ya, axis=axis) / np.sum(xa, axis=axis)
    return ra - np.sum(yb, axis=axis) / np.sum(xb, axis=axis)


def _with_min_n(min_n: int, fn, *args):
    """``fn(*args)`` with ``stats.BOOTSTRAP_MIN_N`` set to ``min_n`` (2: BCa at every n; a
    huge one: never)."""
    keep, stats.BOOTSTRAP_MIN_N = stats.BOOTSTRAP_MIN_N, min_n
    try:
        return fn(*args)
    finally:
        stats.BOOTSTRAP_MIN_N = keep


NEVER, ALWAYS = 10**9, 2


def _score(est, true: float, side: str) -> tuple[bool, bool]:
    """(covered, missed on the verdict's side: ``low`` true below the lower bound)."""
    covered = est.low <= true <= est.high
    return covered, (true < est.low) if side == "low" else (true > est.high)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sets", type=int, default=2000, help="data sets a cell")
    ap.add_argument("--n", type=int, nargs="+", default=[8, 10, 20, 30], help="replications")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    head = f"{'cover':>6s} {'miss':>6s}"
    print(f"95% intervals, {args.sets} data sets a cell; cover = two-sided coverage (0.95), "
          "miss = share of data sets missed on the verdict's side (0.025)")  # fmt: skip
    print(f"\n{'one pooled share':16s} {'n':>3s} | {'delta t':^13s} | {'BCa':^13s} | "
          f"{'tool':^13s} | difference: {'delta':>6s} {'BCa':>6s}")  # fmt: skip
    print(f"{'(side: lower)':16s} {'':3s} | {head} | {head} | {head} |")
    for name, ab in SHARES.items():
        ya, yb, x = draw(rng, 400_000, ab)
        true_b = yb.sum() / x.sum()
        true_d = ya.sum() / x.sum() - true_b
        for n in args.n:
            hits = np.zeros(8)
            for _ in range(args.sets):
                ya, yb, x = draw(rng, n, ab)
                ests = (
                    _with_min_n(NEVER, stats.ratio_interval, yb, x),
                    _with_min_n(ALWAYS, stats.ratio_interval, yb, x),
                    stats.ratio_interval(yb, x),
                )
                hits[:6] += [v for e in ests for v in _score(e, true_b, "low")]
                d_delta, _ = ratio_paired(ya, x, yb, x)
                with np.errstate(all="ignore"):
                    lo, hi = bootstrap_interval(
                        (ya, x, yb, x),
                        _diff,
                        0.95,
                        stats.RESAMPLES,
                        np.random.default_rng(stats._SEED),
                    )
                hits[6:] += [d_delta.low <= true_d <= d_delta.high, lo <= true_d <= hi]
            c = hits / args.sets
            cells = " | ".join(f"{c[k]:6.3f} {c[k + 1]:6.3f}" for k in (0, 2, 4))
            print(f"{name:16s} {n:3d} | {cells} |             {c[6]:6.3f} {c[7]:6.3f}")
    print(f"\n{'a skewed mean':16s} {'n':>3s} | {'t':^13s} | {'BCa':^13s} | {'tool':^13s}")
    print(f"{'(side: upper)':16s} {'':3s} | {head} | {head} | {head}")
    for name, (gen, true) in MEANS.items():
        for n in args.n:
            hits = np.zeros(6)
            for _ in range(args.sets):
                x = gen(rng, n)
                ests = (
                    stats.mean_interval(x, method="t"),
                    _with_min_n(ALWAYS, stats.mean_interval, x, 0.0, np.inf, "bootstrap"),
                    stats.mean_interval(x, method="bootstrap"),
                )
                hits += [v for e in ests for v in _score(e, true, "high")]
            c = hits / args.sets
            cells = " | ".join(f"{c[k]:6.3f} {c[k + 1]:6.3f}" for k in (0, 2, 4))
            print(f"{name:16s} {n:3d} | {cells}")
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
