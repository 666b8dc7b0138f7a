"""sim.run.bootstrap against scipy.stats.bootstrap: the same intervals, float for float."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.run.bootstrap import bootstrap_interval
from sim.run.stats import RESAMPLES


def _mean(a, axis=-1):
    return np.mean(a, axis=axis)


def _ratio(x, y, axis=-1):
    s = np.sum(y, axis=axis)
    return np.divide(np.sum(x, axis=axis), s, out=np.full(np.shape(s), np.nan), where=s > 0)


def _scipy(data, statistic, level, resamples, seed, method):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.bootstrap(
            data,
            statistic,
            paired=len(data) > 1,
            vectorized=True,
            confidence_level=level,
            n_resamples=resamples,
            method=method,
            rng=np.random.default_rng(seed),
        )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _ours(data, statistic, level, resamples, seed, method):
    with np.errstate(all="ignore"):
        return bootstrap_interval(
            data, statistic, level, resamples, np.random.default_rng(seed), method
        )


def _same(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return all((math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("method", ["BCa", "percentile"])
@pytest.mark.parametrize("n", [2, 3, 8, 10, 30])
def test_mean_of_skewed_samples_matches_scipy(method, n):
    rng = np.random.default_rng(n)
    for trial in range(5):
        x = rng.lognormal(0.0, 1.5, n)
        args = ((x,), _mean, 0.95, 999, 100 + trial, method)
        assert _same(_ours(*args), _scipy(*args)), (n, trial)


@pytest.mark.parametrize("method", ["BCa", "percentile"])
def test_pooled_share_of_paired_samples_matches_scipy(method):
    rng = np.random.default_rng(7)
    for trial in range(10):
        n = int(rng.integers(8, 40))
        den = rng.integers(0, 30, n).astype(float)
        num = np.minimum(den, rng.binomial(den.astype(int), 0.9)).astype(float)
        args = ((num, den), _ratio, 0.95, RESAMPLES, 20261124 + trial, method)
        assert _same(_ours(*args), _scipy(*args)), trial


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0.0, 1e4, allow_nan=False, allow_subnormal=False), min_size=2, max_size=25),
    st.sampled_from(["BCa", "percentile"]),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_any_sample_matches_scipy(values, method, level):
    """Ties, constant samples (a degenerate BCa: NaN bounds) and outliers included."""
    args = ((np.array(values),), _mean, level, 499, 3, method)
    assert _same(_ours(*args), _scipy(*args))


def test_a_degenerate_distribution_gives_nan_not_an_error():
    lo, hi = _ours((np.full(10, 2.5),), _mean, 0.95, 999, 1, "BCa")
    assert math.isnan(lo) and math.isnan(hi)


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="basic"):
        _ours((np.arange(10.0),), _mean, 0.95, 99, 1, "basic")
