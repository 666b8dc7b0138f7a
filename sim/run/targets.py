"""Plan targets: estimates with 95% intervals over replications, and verdicts.

A target compares a metric with a threshold. The estimate and its interval depend on the
metric's kind:

- ``mean`` (default): the mean over replications of a per-replication KPI, with a Student-t
  interval (replications are independent and identically distributed).
- ``proportion``: a pooled share, e.g. fires out within 24 h over all fires of all
  replications: the KPI columns named by ``numerator`` and ``denominator`` are summed and a
  Wilson score interval is used.

Verdict: PASS when the whole interval satisfies the comparator, FAIL when none of it does,
INCONCLUSIVE when it straddles the threshold. A target at the edge of what is possible (a
share >= 1.0, a count <= 0) can never have an interval wholly on the right side; it reads PASS
when no replication shows a single failure, FAIL otherwise, and the report says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.run.stats import mean_ci

PASS, FAIL, INCONCLUSIVE, NOT_MODELLED = "PASS", "FAIL", "INCONCLUSIVE", "NOT MODELLED"


def wilson_interval(successes: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927)."""
    if n <= 0:
        return (math.nan, math.nan)
    from scipy.special import ndtri  # (= scipy.stats.norm.ppf, without scipy.stats)

    z = float(ndtri(0.5 + level / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo, hi = max(0.0, centre - half), min(1.0, centre + half)
    # exact ends when all or none succeeded (rounding would otherwise leave 0.9999999999999999)
    return (0.0 if successes <= 0 else lo, 1.0 if successes >= n else hi)


def clopper_pearson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for a binomial proportion."""
    if n <= 0:
        return (math.nan, math.nan)
    from scipy import stats

    a = (1 - level) / 2
    lo = 0.0 if successes == 0 else float(stats.beta.ppf(a, successes, n - successes + 1))
    hi = 1.0 if successes == n else float(stats.beta.ppf(1 - a, successes + 1, n - successes))
    return (lo, hi)


def bootstrap_mean_ci(
    values: np.ndarray, level: float = 0.95, resamples: int = 4999
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (fixed seed: same data, same interval)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    from scipy import stats

    res = stats.bootstrap(
        (x,),
        np.mean,
        confidence_level=level,
        n_resamples=resamples,
        method="percentile",
        random_state=np.random.default_rng(20261124),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _holds(value: float, comparator: str, threshold: float) -> bool:
    return {
        ">=": value >= threshold,
        ">": value > threshold,
        "<=": value <= threshold,
        "<": value < threshold,
    }[comparator]


def verdict(estimate: float, low: float, high: float, comparator: str, threshold: float) -> str:
    """PASS / FAIL / INCONCLUSIVE from an interval [low, high] against the threshold."""
    if any(math.isnan(x) for x in (estimate, low, high)):
        return INCONCLUSIVE if not math.isnan(estimate) else NOT_MODELLED
    if _holds(low, comparator, threshold) and _holds(high, comparator, threshold):
        return PASS
    if not _holds(low, comparator, threshold) and not _holds(high, comparator, threshold):
        return FAIL
    return INCONCLUSIVE


@dataclass
class TargetResult:
    key: str
    metric: str
    comparator: str
    threshold: float
    source: str
    description: str
    estimate: float
    ci_low: float
    ci_high: float
    n: int  # replications used
    verdict: str
    method: str
    note: str = ""

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        for k in ("estimate", "ci_low", "ci_high"):
            if isinstance(d[k], float) and math.isnan(d[k]):
                d[k] = None
        return d


def evaluate(key: str, target, kpis: dict[str, np.ndarray]) -> TargetResult:
    """Evaluate one target (a ``TargetConfig``) on per-replication KPI columns."""
    base = dict(
        key=key,
        metric=target.metric,
        comparator=target.comparator,
        threshold=float(target.threshold),
        source=target.source,
        description=target.description,
    )

    def undecided(n: int, verdict: str, method: str, note: str) -> TargetResult:
        nan = math.nan
        return TargetResult(
            **base,
            estimate=nan,
            ci_low=nan,
            ci_high=nan,
            n=n,
            verdict=verdict,
            method=method,
            note=note,
        )

    num, den = getattr(target, "numerator", ""), getattr(target, "denominator", "")
    if num and den:
        if num not in kpis or den not in kpis:
            missing = num if num not in kpis else den
            return undecided(0, NOT_MODELLED, "proportion", f"no KPI '{missing}' in this run")
        x, n = float(np.nansum(kpis[num])), float(np.nansum(kpis[den]))
        reps = int(np.isfinite(kpis[den]).sum())
        if n == 0:
            return undecided(
                reps, INCONCLUSIVE, "proportion (Wilson)", f"no {den} in {reps} replications"
            )
        lo, hi = wilson_interval(x, n)
        return _decide(
            base,
            x / n,
            lo,
            hi,
            reps,
            "proportion (Wilson)",
            failures_possible=x < n,
            pooled=f"{x:g}/{n:g}",
        )
    if target.metric not in kpis:
        return undecided(0, NOT_MODELLED, "mean (t)", f"no KPI '{target.metric}' in this scenario")
    values = np.asarray(kpis[target.metric], dtype=float)
    est = mean_ci(values)
    method = "mean (t)"
    if getattr(target, "interval", "t") == "bootstrap" and est["n"] >= 2 and est["sd"] > 0:
        est["ci95_low"], est["ci95_high"] = bootstrap_mean_ci(values)
        method = "mean (bootstrap)"
    if est["n"] == 0:
        return undecided(0, NOT_MODELLED, "mean (t)", "metric undefined in every replication")
    lo, hi = est["ci95_low"], est["ci95_high"]
    if est["n"] >= 2 and est["sd"] == 0:  # constant: the interval collapses to the value
        lo = hi = est["mean"]
    elif est["n"] == 1:
        lo = hi = math.nan
    finite = values[np.isfinite(values)]
    ok = [_holds(v, target.comparator, float(target.threshold)) for v in finite]
    return _decide(base, est["mean"], lo, hi, est["n"], method, failures_possible=not all(ok))


def _decide(
    base: dict,
    est: float,
    lo: float,
    hi: float,
    n: int,
    method: str,
    failures_possible: bool,
    pooled: str = "",
) -> TargetResult:
    v = verdict(est, lo, hi, base["comparator"], base["threshold"])
    note = f"pooled {pooled}" if pooled else ""
    share = method.startswith("prop") or base["metric"].endswith("_share")
    at_edge = (base["comparator"] == ">=" and base["threshold"] >= 1.0 and share) or (
        base["comparator"] == "<=" and base["threshold"] <= 0.0
    )
    if at_edge:  # no interval can lie wholly beyond the edge: judge by observed failures
        v = FAIL if failures_possible else PASS
        note = (note + "; " if note else "") + "edge target: PASS only if no failure was observed"
    return TargetResult(
        **base, estimate=est, ci_low=lo, ci_high=hi, n=n, verdict=v, method=method, note=note
    )


def evaluate_all(targets: dict, kpis: dict[str, np.ndarray]) -> list[TargetResult]:
    """Evaluate every configured target."""
    return [evaluate(key, t, kpis) for key, t in targets.items()]
