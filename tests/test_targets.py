"""Interval formulas against known values, and verdict logic at the edges."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.config import TargetConfig
from sim.run.targets import (
    FAIL,
    INCONCLUSIVE,
    NOT_MODELLED,
    PASS,
    clopper_pearson_interval,
    evaluate,
    verdict,
    wilson_interval,
)


def test_wilson_matches_published_values():
    # Newcombe (1998), Statistics in Medicine 17:857, Table I: 81/263 -> 0.2553 to 0.3662
    lo, hi = wilson_interval(81, 263)
    assert lo == pytest.approx(0.2553, abs=1e-4)
    assert hi == pytest.approx(0.3662, abs=1e-4)
    # 15/148 -> 0.0624 to 0.1605 (same table)
    lo, hi = wilson_interval(15, 148)
    assert (lo, hi) == pytest.approx((0.0624, 0.1605), abs=1e-4)


def test_clopper_pearson_matches_closed_forms():
    # x = 0: upper = 1 - (alpha/2)^(1/n); x = n: lower = (alpha/2)^(1/n)
    lo, hi = clopper_pearson_interval(0, 20)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 20))
    lo, hi = clopper_pearson_interval(20, 20)
    assert hi == 1.0 and lo == pytest.approx(0.025 ** (1 / 20))
    # Newcombe (1998) Table I, exact method: 81/263 -> 0.2527 to 0.3676
    assert clopper_pearson_interval(81, 263) == pytest.approx((0.2527, 0.3676), abs=1e-4)


@pytest.mark.parametrize(
    "est, lo, hi, cmp, thr, expected",
    [
        (0.97, 0.96, 0.98, ">=", 0.95, PASS),
        (0.95, 0.95, 0.97, ">=", 0.95, PASS),  # lower bound exactly on the threshold
        (0.95, 0.94, 0.96, ">=", 0.95, INCONCLUSIVE),
        (0.90, 0.88, 0.9499, ">=", 0.95, FAIL),
        (0.95, 0.95, 0.96, ">", 0.95, INCONCLUSIVE),  # strict: the bound itself fails
        (0.2, 0.1, 0.3, "<=", 0.3, PASS),
        (0.3, 0.2, 0.31, "<=", 0.3, INCONCLUSIVE),
        (0.5, 0.31, 0.7, "<=", 0.3, FAIL),
        (math.nan, math.nan, math.nan, ">=", 1, NOT_MODELLED),
    ],
)
def test_verdict_edges(est, lo, hi, cmp, thr, expected):
    assert verdict(est, lo, hi, cmp, thr) == expected


def test_mean_target_uses_t_interval_and_constant_values_collapse():
    t = TargetConfig(metric="warning_lead_min", comparator=">=", threshold=45)
    r = evaluate("w", t, {"warning_lead_min": np.full(5, 45.0)})
    assert r.verdict == PASS and r.ci_low == r.ci_high == 45.0
    r = evaluate("w", t, {"warning_lead_min": np.array([40.0, 50.0, 44.0, 52.0])})
    assert r.verdict == INCONCLUSIVE and r.n == 4
    half = 3.1824463 * np.std([40.0, 50.0, 44.0, 52.0], ddof=1) / 2  # t(0.975, 3)
    assert r.ci_high - r.estimate == pytest.approx(half, rel=1e-6)


def test_pooled_proportion_target():
    t = TargetConfig(
        metric="fires_out_24h_share",
        comparator=">=",
        threshold=0.95,
        numerator="fires_out_24h",
        denominator="fires",
    )
    kpis = {"fires_out_24h": np.array([99.0, 98, 100, 97]), "fires": np.array([100.0] * 4)}
    r = evaluate("f", t, kpis)
    assert r.estimate == pytest.approx(0.985)
    assert (r.ci_low, r.ci_high) == pytest.approx(wilson_interval(394, 400))
    assert r.verdict == PASS
    assert evaluate("f", t, {"fires": np.ones(3)}).verdict == NOT_MODELLED


def test_edge_target_at_100_percent():
    t = TargetConfig(metric="needs_met_24h_share", comparator=">=", threshold=1.0)
    assert evaluate("n", t, {"needs_met_24h_share": np.ones(10)}).verdict == PASS
    r = evaluate("n", t, {"needs_met_24h_share": np.array([1.0] * 9 + [0.999])})
    assert r.verdict == FAIL


def test_missing_metric_is_not_modelled():
    t = TargetConfig(metric="burned_share_permille", comparator="<=", threshold=0.3)
    assert evaluate("b", t, {"other": np.ones(3)}).verdict == NOT_MODELLED


def test_bootstrap_interval_for_skewed_metrics():
    from sim.run.targets import bootstrap_mean_ci

    x = np.array([0.0] * 8 + [5.0, 120.0])
    lo, hi = bootstrap_mean_ci(x)
    assert 0.0 <= lo < x.mean() < hi <= 120.0
    assert (lo, hi) == bootstrap_mean_ci(x)  # reproducible
    t = TargetConfig(
        metric="burned_share_permille", comparator="<=", threshold=0.3, interval="bootstrap"
    )
    r = evaluate("b", t, {"burned_share_permille": x})
    assert r.method == "mean (bootstrap)" and r.ci_low >= 0.0
    assert r.verdict == "INCONCLUSIVE"  # interval from 0 to well above 0.3


def test_all_successes_at_the_100_percent_edge_read_pass():
    t = TargetConfig(
        metric="needs_met_24h_share",
        comparator=">=",
        threshold=1.0,
        numerator="met",
        denominator="judged",
    )
    r = evaluate(
        "n",
        t,
        {
            "met": np.array([2937.0, 2938, 2936, 2937, 2937]),
            "judged": np.array([2937.0, 2938, 2936, 2937, 2937]),
        },
    )
    assert r.ci_high == 1.0 and r.verdict == PASS
    r = evaluate("n", t, {"met": np.array([2937.0, 2937]), "judged": np.array([2937.0, 2938])})
    assert r.verdict == FAIL
    assert wilson_interval(0, 50)[0] == 0.0 and wilson_interval(50, 50)[1] == 1.0
