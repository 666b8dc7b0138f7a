"""Interval estimates over replications: the replication is the unit of independence.

Two kinds of estimate (docs/statistics.md gives the methods and their sources):

- :func:`mean_interval`: the mean of a per-replication KPI. ``t``: a Student-t interval,
  truncated to the metric's range (truncation keeps coverage, since the true mean lies in the
  range; Mandelkern 2002). ``bootstrap``: a BCa bootstrap over replications (Efron 1987),
  for skewed metrics; it never leaves the range of the data.
- :func:`ratio_interval`: a share pooled over events (fires, people), ``sum(num)/sum(den)``
  over replications. Events of one replication share one disaster, so the replication is
  resampled as a whole (cluster bootstrap of the ratio estimator, Davison & Hinkley 1997
  section 3.8, BCa); the interval lies in [0, 1] by construction.

Below ``BOOTSTRAP_MIN_N`` (20) replications a skewed mean takes the t interval and a share
the delta method (Cochran 1977), truncated to range: measured closer to nominal there
(benchmarks/coverage_shares.py). A share's interval is never narrower than the exact
binomial one over its pooled events.

Every function returns an :class:`Estimate`; the KPI table, targets.csv and the report all
use it, so one metric has one number everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.run.bootstrap import bootstrap_interval

LEVEL = 0.95
RESAMPLES = 4999
# Below this many replications a skewed mean takes the t interval and a pooled share the
# delta method, not BCa: a bootstrap of few replications resamples few distinct samples (3
# with 2, 126 with 5) and cannot leave the range of the data, and below about 20 it misses
# more often, also on the side a verdict reads (benchmarks/coverage_shares.py, 2000 data
# sets a cell: at 10 replications a share near 0.5 falls below BCa's lower bound in 4.6% of
# them, below the delta method's in 2.8%; a Gamma(2) or lognormal(0, 0.5) mean above BCa's
# upper bound in 8.2-8.8%, above t's in 7.4-7.5%). From 20 BCa misses less on that side for
# shares near the plans' thresholds (near 0.93: 5.2% against 6.9%; near 0.99: 3.4% against
# 4.5%) and for those means (5.5-5.8% against 5.8-6.7%), not for a share near 0.5 (3.3%
# against 2.2%), which no plan target sits at.
BOOTSTRAP_MIN_N = 20
_SEED = 20261124  # fixed: the same data give the same bootstrap interval


@dataclass(frozen=True)
class Estimate:
    """A point estimate, its 95% interval (NaN when undefined), replications used, method."""

    value: float
    low: float
    high: float
    n: int
    method: str
    sd: float = math.nan  # across replications (per-replication metrics only)
    events: float = 0.0  # > 0: an exact binomial interval over this many pooled events
    censored: int = 0  # replications counted at a lower bound (the event never came in them)

    @property
    def decided_interval(self) -> bool:
        return not (math.isnan(self.low) or math.isnan(self.high))

    def as_dict(self) -> dict:
        def clean(x: float) -> float | None:
            return None if x is None or math.isnan(x) else float(x)

        return {
            "mean": clean(self.value),
            "sd": clean(self.sd),
            "ci95_low": clean(self.low),
            "ci95_high": clean(self.high),
            "n": self.n,
            "method": self.method,
        }


NAN_ESTIMATE = Estimate(math.nan, math.nan, math.nan, 0, "none")


def _finite(values) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    return x[np.isfinite(x)]


def at_bound_where_missing(values, bound) -> tuple[np.ndarray, int]:
    """``values`` with each missing one replaced by ``bound`` where that is known (a time
    that never came in a replication, counted at the run's length: right censoring, Klein &
    Moeschberger 2003 ch. 3), and how many were replaced."""
    v, b = np.asarray(values, dtype=float), np.asarray(bound, dtype=float)
    cut = ~np.isfinite(v) & np.isfinite(b)
    return np.where(cut, b, v), int(cut.sum())


def _t_quantile(df: int, level: float) -> float:
    # scipy.special.stdtrit is what scipy.stats.t.ppf evaluates (the same float), without
    # importing scipy.stats (about 0.5 s of CPU at start-up, for the distributions' docs)
    from scipy.special import stdtrit

    return float(stdtrit(df, 0.5 + level / 2))


def _bootstrap(data: tuple[np.ndarray, ...], statistic, level: float) -> tuple[float, float]:
    """BCa bootstrap over replications (percentile where BCa is undefined)."""
    for method in ("BCa", "percentile"):
        with np.errstate(all="ignore"):  # degenerate resamples: handled by the NaN check
            lo, hi = bootstrap_interval(
                data, statistic, level, RESAMPLES, np.random.default_rng(_SEED), method
            )
        if math.isfinite(lo) and math.isfinite(hi):
            return lo, hi
    return math.nan, math.nan


def mean_interval(
    values,
    lower: float = 0.0,
    upper: float = math.inf,
    method: str = "t",
    level: float = LEVEL,
) -> Estimate:
    """Mean over replications of a per-replication metric with a range-respecting interval."""
    x = _finite(values)
    n = int(x.size)
    if n == 0:
        return NAN_ESTIMATE
    m = float(x.mean())
    if n == 1:
        return Estimate(m, math.nan, math.nan, 1, "single replication")
    sd = float(x.std(ddof=1))
    if sd == 0.0:
        return Estimate(m, m, m, n, "constant over replications", 0.0)
    if method == "bootstrap" and n >= BOOTSTRAP_MIN_N:
        lo, hi = _bootstrap((x,), lambda a, axis=-1: np.mean(a, axis=axis), level)
        label = "mean (BCa bootstrap over replications)"
    else:
        half = _t_quantile(n - 1, level) * sd / math.sqrt(n)
        lo, hi = m - half, m + half
        label = "mean (t)" if method != "bootstrap" else f"mean (t: n < {BOOTSTRAP_MIN_N} for BCa)"
    if lo < lower or hi > upper:
        label += ", truncated to range"
    return Estimate(m, max(lo, lower), min(hi, upper), n, label, sd)


def ratio_interval(num, den, level: float = LEVEL) -> Estimate:
    """Pooled share sum(num)/sum(den) over replications (the replication as the unit): the
    ratio estimator's delta-method variance with t below :data:`BOOTSTRAP_MIN_N`
    replications, the cluster bootstrap (BCa) from there; either widened to the exact
    binomial interval over the pooled events."""
    a = np.asarray(num, dtype=float)
    b = np.asarray(den, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    n = int(a.size)
    total = float(b.sum())
    if n == 0 or total <= 0:
        return Estimate(math.nan, math.nan, math.nan, n, "ratio (no events)")
    r = float(a.sum() / total)
    if n == 1:
        return Estimate(r, math.nan, math.nan, 1, "ratio, single replication")
    with_events = b > 0
    shares = a[with_events] / b[with_events]
    if np.all(shares == shares[0]):
        # Nothing varies between replications, so neither the bootstrap nor the delta method
        # has a spread to use (both would give a zero-width interval). The events still hold
        # binomial uncertainty: the exact interval over the pooled events is the narrowest
        # honest one (it treats them as independent; events of one disaster are positively
        # correlated in practice, which can only widen it).
        lo, hi = clopper_pearson(float(a.sum()), total, level)
        label = (
            f"ratio identical in every replication: exact binomial over the {total:g} pooled "
            "events (Clopper-Pearson; events taken as independent)"
        )
        return Estimate(r, lo, hi, n, label, events=total)

    if n < BOOTSTRAP_MIN_N:
        # ratio estimator linearised per replication (delta method, Cochran 1977 s. 6.4):
        # var(r) ~ sum((a_i - r b_i)^2) / (n (n - 1) mean(b)^2), with t on n - 1 df
        resid = a - r * b
        se = math.sqrt(float(np.sum(resid**2)) / (n * (n - 1))) / float(b.mean())
        half = _t_quantile(n - 1, level) * se
        label = f"ratio (delta method, t: n < {BOOTSTRAP_MIN_N} for BCa)"
        if r - half < 0.0 or r + half > 1.0:
            label += ", truncated to range"
        lo, hi = max(r - half, 0.0), min(r + half, 1.0)
        return _at_least_binomial(r, lo, hi, n, label, a, total, level)

    def stat(x, y, axis=-1):
        s = np.sum(y, axis=axis)
        return np.divide(np.sum(x, axis=axis), s, out=np.full(np.shape(s), np.nan), where=s > 0)

    lo, hi = _bootstrap((a, b), stat, level)
    label = "ratio (cluster bootstrap, BCa)"
    return _at_least_binomial(r, max(lo, 0.0), min(hi, 1.0), n, label, a, total, level)


def _at_least_binomial(
    r: float,
    lo: float,
    hi: float,
    n: int,
    label: str,
    num: np.ndarray,
    total: float,
    level: float = LEVEL,
) -> Estimate:
    """The interval of a pooled share, never narrower than the exact binomial interval over
    its pooled events (Clopper-Pearson, the events taken as independent).

    Events of one disaster are positively correlated, which can only widen the interval; a
    resampling or delta-method interval over replications can still come out narrower than
    the binomial one when failures are rare: the bootstrap cannot draw more failures than it
    saw. One fire not out of 58 gave a lower bound above that of none of 58 (0.9435 against
    0.9384), and 107 of 108 read PASS at 0.95 (planner review, 2026-12-07). Each end is the
    wider of the two."""
    clo, chi = clopper_pearson(float(num.sum()), total, level)
    if clo < lo or chi > hi:
        label += "; widened to the exact binomial interval over the pooled events"
    return Estimate(r, min(lo, clo), max(hi, chi), n, label)


def clopper_pearson(successes: float, trials: float, level: float = LEVEL) -> tuple[float, float]:
    """Exact (Clopper-Pearson 1934) interval of a binomial share, from the beta quantiles.

    ``scipy.special.betaincinv`` is what ``scipy.stats.beta.ppf`` evaluates, without importing
    scipy.stats. Non-integer counts (people weighted by group) are taken as they are."""
    from scipy.special import betaincinv

    x, m = float(successes), float(trials)
    alpha = 1.0 - level
    lo = 0.0 if x <= 0 else float(betaincinv(x, m - x + 1.0, alpha / 2))
    hi = 1.0 if x >= m else float(betaincinv(x + 1.0, m - x, 1.0 - alpha / 2))
    return lo, hi


def failure_bound(n: int, level: float = LEVEL) -> float:
    """Upper bound of the chance that a replication fails, when none of ``n`` did (the
    Clopper-Pearson upper bound for 0 of ``n``: ``1 - (alpha/2)^(1/n)``, the 'rule of three'
    of Hanley & Lippman-Hand 1983 in its exact form)."""
    return clopper_pearson(0.0, float(n), level)[1] if n > 0 else 1.0


def replications_needed(est: Estimate, threshold: float, level: float = LEVEL) -> int | None:
    """Replications at which the interval would clear ``threshold`` if the estimate held.

    Across replications, half-widths shrink as 1/sqrt(n): n_needed = n * (half / gap)^2.
    An exact binomial interval over pooled events (``est.events``: a share identical in
    every replication) is recomputed instead, with the events per replication held: at a
    share of 0 or 1 its width shrinks about as 1/n, and the square-root rule would ask for up
    to twice the replications (58 of 58 fires out in 10 replications: 13 decide ">= 0.95",
    not 16). None when the estimate sits on the threshold (no number of replications decides
    it).
    """
    if not est.decided_interval or est.n < 2:
        return None
    gap = abs(est.value - threshold)
    if gap == 0:
        return None
    if est.events > 0:
        return _binomial_replications_needed(est, threshold, level)
    half = max(est.value - est.low, est.high - est.value)
    return max(est.n + 1, math.ceil(est.n * (half / gap) ** 2))


def _binomial_replications_needed(
    est: Estimate, threshold: float, level: float = LEVEL, cap: int = 10**7
) -> int | None:
    """The fewest replications (more than ``est.n``) whose exact interval over the pooled
    events, at the same share and events per replication, lies on one side of
    ``threshold``; None beyond ``cap``."""
    per_rep = est.events / est.n

    def clear(reps: int) -> bool:
        m = per_rep * reps
        lo, hi = clopper_pearson(est.value * m, m, level)
        return lo >= threshold or hi <= threshold

    low, high = est.n, est.n + 1
    while not clear(high):  # widths shrink with the events: doubling brackets the answer
        low, high = high, 2 * high
        if high > cap:
            return None
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if clear(mid) else (mid, high)
    return high
