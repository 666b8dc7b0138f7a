"""Plan targets: estimates with 95% intervals over replications, and verdicts.

A target compares a metric with a threshold. How the metric is estimated comes from its
:class:`~sim.core.kpi.KpiSpec` (declared by the module that emits it): a share pooled over
events (fires, people) is a ratio with its interval over replications (the delta method
below 20 replications, a replication-level bootstrap from 20); any other metric is a
mean over replications with a range-respecting interval (:mod:`sim.run.stats`).

Verdict: PASS when the whole interval satisfies the comparator, FAIL when none of it does,
INCONCLUSIVE when it straddles the threshold (with the replications it would take). NOT
MODELLED when the scenario produces no such metric, or no event it is measured on (no fire,
nobody sheltered): absent data is never INCONCLUSIVE. A target at the edge of what is possible
(a share >= 1, a count <= 0) can never have an interval wholly on the right side: it reads
PASS when no replication shows a single failure, FAIL otherwise. A metric that only echoes a
configured input reads INPUT: it is shown, never judged. A time with replications in which it
never came counts them at the run's length (a lower bound: it can FAIL a "<=" goal, never PASS
it); a rate whose events never happened (no fire) is NOT MODELLED. ``level``: 95% unless a
caller (sequential mode) asks for more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from sim.core.kpi import COMPUTED, INPUT, SIMULATED, KpiSpec, infer_spec
from sim.run.metrics import kpi_specs
from sim.run.stats import (
    LEVEL,
    Estimate,
    at_bound_where_missing,
    failure_bound,
    mean_interval,
    ratio_interval,
    replications_needed,
)

PASS, FAIL, INCONCLUSIVE, NOT_MODELLED = "PASS", "FAIL", "INCONCLUSIVE", "NOT MODELLED"
INPUT_ECHO = "INPUT"
EDGE_NOTE = "edge target: PASS only if no replication shows a single failure"
CONSTANT_NOTE = "the same value in all"  # (starts the note of a value no replication varied)
FINAL = (PASS, FAIL, NOT_MODELLED, INPUT_ECHO)


def _holds(value: float, comparator: str, threshold: float) -> bool:
    return {
        ">=": value >= threshold,
        ">": value > threshold,
        "<=": value <= threshold,
        "<": value < threshold,
    }[comparator]


def verdict(estimate: float, low: float, high: float, comparator: str, threshold: float) -> str:
    """PASS / FAIL / INCONCLUSIVE from an interval [low, high] against the threshold."""
    if math.isnan(estimate):
        return NOT_MODELLED
    if math.isnan(low) or math.isnan(high):
        return INCONCLUSIVE
    lo_ok, hi_ok = _holds(low, comparator, threshold), _holds(high, comparator, threshold)
    if lo_ok and hi_ok:
        return PASS
    if not lo_ok and not hi_ok:
        return FAIL
    return INCONCLUSIVE


UNIT_SIGNS = {"permille": "‰"}  # units a bare number would hide (a share reads as one)


def unit_sign(metric: str) -> str:
    """``‰`` for a per-mille metric: the sign its figures need to be read right, else ``""``."""
    spec = kpi_specs().get(metric) if metric else None
    return UNIT_SIGNS.get(spec.unit, "") if spec is not None else ""


def goal_text(comparator: str, threshold: float, metric: str = "") -> str:
    """``<= 0.3‰``: a target's goal with the unit of its metric where one is needed."""
    return f"{comparator} {threshold:g}{unit_sign(metric)}"


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
    provenance: str = SIMULATED
    scenario: str = ""  # the scenario that judged it
    margin: float = math.nan  # estimate - threshold, positive = on the right side
    replications_needed: int | None = None  # INCONCLUSIVE: replications that would decide it
    note: str = ""
    contributors: list[str] = field(default_factory=list)  # FAIL: what drives it
    # ASSUMPTION inputs that alone decide the metric (the verdict checks them, not the plan)
    assumed_inputs: list[str] = field(default_factory=list)
    level: float = LEVEL  # of the interval (sequential mode: higher, for its repeated looks)

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        for k in ("estimate", "ci_low", "ci_high", "margin"):
            if isinstance(d[k], float) and math.isnan(d[k]):
                d[k] = None
        d["contributors"] = "; ".join(self.contributors)
        d["assumed_inputs"] = "; ".join(self.assumed_inputs)
        return d


def estimate_metric(
    metric: str,
    kpis: dict[str, np.ndarray],
    spec: KpiSpec,
    interval: str = "",
    level: float = LEVEL,
) -> Estimate | str:
    """The estimate of ``metric`` under ``spec`` (its interval at ``level``), or a reason why
    there is none."""
    if spec.ratio:
        num, den = spec.ratio
        missing = [k for k in (num, den) if k not in kpis]
        if missing:
            return f"this scenario produces no KPI '{missing[0]}'"
        est = ratio_interval(kpis[num], kpis[den], level)
        if est.n == 0 or math.isnan(est.value):
            reps = int(np.isfinite(np.asarray(kpis[den], float)).sum())
            return f"no {den} in {reps} replications"
        return est
    if metric not in kpis:
        return f"this scenario produces no KPI '{metric}'"
    if spec.events in kpis:
        counts = np.asarray(kpis[spec.events], float)
        if not np.nansum(counts) > 0:
            return f"no {spec.events} in {counts.size} replications"
    values, censored = np.asarray(kpis[metric], float), 0
    if spec.censored in kpis:  # never happened within the run: counted at the run's length
        values, censored = at_bound_where_missing(values, kpis[spec.censored])
    upper = spec.upper
    if spec.upper_kpi in kpis:  # a fixed population bounds it in every replication
        bound = np.asarray(kpis[spec.upper_kpi], float)
        bound = bound[np.isfinite(values) & np.isfinite(bound)]
        if bound.size and np.all(bound == bound[0]):
            upper = min(upper, float(bound[0]))
    est = mean_interval(values, spec.lower, upper, interval or spec.interval, level)
    if est.n == 0:
        return "metric undefined in every replication"
    if censored:
        method = (
            f"{est.method}; {censored} of {est.n} at the run's length (never came): a lower bound"
        )
        est = replace(est, method=method, censored=censored)
    return est


def _spec_for(target, specs: dict[str, KpiSpec]) -> KpiSpec:
    spec = specs.get(target.metric) or infer_spec(target.metric)
    num, den = getattr(target, "numerator", ""), getattr(target, "denominator", "")
    if num and den:
        spec = KpiSpec(
            lower=0.0,
            upper=1.0,
            ratio=(num, den),
            provenance=spec.provenance,
            reads=spec.reads,
            unit="share",
        )
    return spec


def _observed_failure(target, spec: KpiSpec, kpis: dict[str, np.ndarray]) -> bool:
    """Any replication on the wrong side of an edge threshold."""
    thr = float(target.threshold)
    if spec.ratio:  # each replication's own share (a "<= 0" fails where num > 0)
        num, den = (np.asarray(kpis[k], float) for k in spec.ratio)
        ok = np.isfinite(num) & np.isfinite(den) & (den > 0)
        v = num[ok] / den[ok]
    else:
        v = np.asarray(kpis[target.metric], float)
        v = v[np.isfinite(v)]
    return not all(_holds(float(x), target.comparator, thr) for x in v)


def _at_edge(target, spec: KpiSpec) -> bool:
    thr = float(target.threshold)
    share_like = spec.upper == 1.0
    return (target.comparator == ">=" and share_like and thr >= 1.0) or (
        target.comparator == "<=" and thr <= spec.lower
    )


def _judge_censored(result: TargetResult, est: Estimate, bound) -> None:
    """A time with replications in which it never came: the mean counts them at the run's
    length, a lower bound, so it can show that a time is too long (or long enough), never the
    other way."""
    longer_ok = result.comparator in (">=", ">")
    kept = PASS if longer_ok else FAIL
    if result.verdict != kept:
        result.verdict = INCONCLUSIVE
    hours = np.asarray(bound, float)
    hours = hours[np.isfinite(hours)]
    result.note = (
        f"{est.censored} of {est.n} replications never reached it within the run; they count at "
        f"the run's length ({hours.min():g} h), so the estimate is a lower bound: "
        f"it can show a {kept}, not a {FAIL if longer_ok else PASS}"
    )
    if result.verdict == INCONCLUSIVE:
        result.note += " (a longer run, experiment.hours, would show the real times)"


def evaluate(
    key: str,
    target,
    kpis: dict[str, np.ndarray],
    specs: dict[str, KpiSpec] | None = None,
    level: float = LEVEL,
) -> TargetResult:
    """Evaluate one target (a ``TargetConfig``) on per-replication KPI columns.

    ``specs``: how each KPI is estimated (default: what the modules declare); ``level``: of
    the intervals that judge it."""
    spec = _spec_for(target, kpi_specs() if specs is None else specs)
    thr = float(target.threshold)
    base = dict(
        key=key,
        metric=target.metric,
        comparator=target.comparator,
        threshold=thr,
        source=target.source,
        description=target.description,
        provenance=spec.provenance,
        scenario=getattr(target, "scenario", ""),
        level=level,
    )
    est = estimate_metric(target.metric, kpis, spec, getattr(target, "interval", ""), level)
    if isinstance(est, str):
        nan = math.nan
        n = len(next(iter(kpis.values()))) if kpis else 0
        return TargetResult(
            **base,
            estimate=nan,
            ci_low=nan,
            ci_high=nan,
            n=n,
            verdict=NOT_MODELLED,
            method="none",
            note=est,
        )
    sign = 1.0 if target.comparator in (">=", ">") else -1.0
    result = TargetResult(
        **base,
        estimate=est.value,
        ci_low=est.low,
        ci_high=est.high,
        n=est.n,
        verdict=verdict(est.value, est.low, est.high, target.comparator, thr),
        method=est.method,
        margin=sign * (est.value - thr),
    )
    if (
        spec.provenance == COMPUTED
        and math.isfinite(est.value)
        and not (math.isfinite(est.low) and math.isfinite(est.high))
    ):
        # arithmetic on the inputs (one replication gives no interval): no sampling error
        result.ci_low = result.ci_high = est.value
        result.verdict = verdict(est.value, est.value, est.value, target.comparator, thr)
        result.note = "arithmetic on the inputs: no sampling error, no interval needed"
        return result
    if spec.provenance == INPUT:
        result.verdict = INPUT_ECHO
        result.note = "a configured input echoed back, not a simulated result"
        return result
    if est.censored:
        _judge_censored(result, est, kpis[spec.censored])
        return result
    if _at_edge(target, spec):
        failed = _observed_failure(target, spec, kpis)
        result.verdict = FAIL if failed else PASS
        result.note = EDGE_NOTE
        if not failed:
            p_fail = failure_bound(est.n)
            result.note += (
                f"; none in {est.n} replications, so a failing replication has a chance below "
                f"{p_fail:.0%} (95%, exact binomial); more replications narrow it"
            )
        return result
    simulated = spec.provenance == SIMULATED
    if simulated and est.n >= 2 and est.sd == 0.0 and result.verdict in (PASS, FAIL):
        result.note = (
            f"{CONSTANT_NOTE} {est.n} replications: no spread seen, so no interval around "
            f"it; a replication that differs has a chance below {failure_bound(est.n):.0%} "
            "(95%, exact binomial)"
        )
    if result.verdict == INCONCLUSIVE:
        need = replications_needed(est, thr, level)
        result.replications_needed = need
        if need:
            result.note = f"about {need} replications would decide it"
        elif est.n < 2:
            result.note = "one replication gives no interval: run at least 2 to judge it"
        else:
            result.note = "the estimate sits on the threshold: more replications cannot decide it"
    return result


def evaluate_all(
    targets: dict,
    kpis: dict[str, np.ndarray],
    specs: dict[str, KpiSpec] | None = None,
    level: float = LEVEL,
) -> list[TargetResult]:
    """Evaluate every configured target."""
    return [evaluate(key, t, kpis, specs, level) for key, t in targets.items()]


def level_text(verdicts: list[TargetResult]) -> str:
    """``95%``: the level of the verdicts' intervals (one level per run), for headers."""
    level = max((v.level for v in verdicts), default=LEVEL)
    return f"{100 * level:.4g}%"


def is_plan_input(v: TargetResult) -> bool:
    """Rows of the report's 'plan inputs checked' table (computed or input provenance)."""
    return v.provenance in (COMPUTED, INPUT)
