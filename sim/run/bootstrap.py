"""Bootstrap intervals over replications: BCa and percentile, as ``scipy.stats.bootstrap``.

The bias-corrected and accelerated interval (Efron 1987; Efron & Tibshirani 1993, sections
14.3 and 15.4, eq. 15.36) of a statistic of one sample or of paired samples, computed step by
step as SciPy 1.17's ``scipy.stats.bootstrap(..., vectorized=True, paired=...)`` computes it:
the same resample indices from the same generator (``rng.integers(0, n, (B, n))``), the same
jackknife acceleration, the same Hyndman & Fan type-7 ("linear") quantiles of the bootstrap
distribution, so the same floats. Why not call SciPy: ``import scipy.stats`` costs some
0.4-0.6 s of CPU at start-up (it builds the docs of a hundred distributions), a sixth of a
short run's whole budget, to use one function. ``tests/test_bootstrap.py`` compares this
module with ``scipy.stats.bootstrap`` on many samples, so a SciPy that changes its method
shows up there first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.special import ndtr, ndtri

Statistic = Callable[..., np.ndarray]  # statistic(*samples, axis=-1), vectorised


def _jackknife_indices(n: int) -> np.ndarray:
    """Row k: the indices 0..n-1 without k (shape (n, n - 1))."""
    keep = ~np.eye(n, dtype=bool)
    return np.broadcast_to(np.arange(n), (n, n))[keep].reshape(n, n - 1)


def _bca_levels(
    data: Sequence[np.ndarray], statistic: Statistic, alpha: float, theta_b: np.ndarray
) -> tuple[float, float]:
    """The BCa interval's two levels of the bootstrap distribution ``theta_b``."""
    theta_hat = np.asarray(statistic(*data, axis=-1))[..., np.newaxis]
    b = theta_b.shape[-1]
    below = np.count_nonzero(theta_b < theta_hat, axis=-1)
    at_or_below = np.count_nonzero(theta_b <= theta_hat, axis=-1)
    z0 = ndtri((below + at_or_below).astype(theta_hat.dtype) / (2 * b))
    n = data[0].shape[-1]
    jack = _jackknife_indices(n)
    theta_i = np.asarray(statistic(*[s[..., jack] for s in data], axis=-1))
    nf = float(n)
    u = (nf - 1) * (np.mean(theta_i, axis=-1, keepdims=True) - theta_i)
    num = np.sum(u**3, axis=-1) / nf**3
    den = np.sum(u**2, axis=-1) / nf**2
    a_hat = 1 / 6 * num / den ** (3 / 2)  # in SciPy's order of operations (the same float)
    z_alpha = float(ndtri(alpha))
    low, high = z0 + z_alpha, z0 - z_alpha
    return ndtr(z0 + low / (1 - a_hat * low)), ndtr(z0 + high / (1 - a_hat * high))


def _quantile_linear(values: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Type-7 quantiles ``p`` of a 1-D ``values`` (NaN for a NaN ``p`` or any NaN value)."""
    y = np.sort(values)
    n = float(y.shape[-1])
    p = np.asarray(p, dtype=float)
    bad = (p > 1) | (p < 0) | np.isnan(p)
    p = np.where(bad, 0.5, p)
    jg = p * n + (1 - p)
    j = jg // 1 - 1
    g = np.where(j < 0, 0.0, jg % 1)
    lo = np.clip(j, 0.0, n - 1).astype(np.int64)
    hi = np.clip(jg // 1, 0.0, n - 1).astype(np.int64)
    res = (1 - g) * y[lo] + g * y[hi]
    if np.isnan(y).any():
        res = np.full_like(res, np.nan)
    return np.where(bad, np.nan, res)


def bootstrap_interval(
    data: Sequence[np.ndarray],
    statistic: Statistic,
    level: float,
    resamples: int,
    rng: np.random.Generator,
    method: str = "BCa",
) -> tuple[float, float]:
    """Two-sided ``level`` interval of ``statistic`` over ``data`` (one 1-D sample, or
    paired samples of one length, resampled together): ``method`` "BCa" or "percentile".
    NaN bounds where the interval is undefined (a degenerate bootstrap distribution)."""
    if method.lower() not in ("bca", "percentile"):
        raise ValueError(f"bootstrap method {method!r}: use BCa or percentile")
    samples = [np.asarray(s, dtype=float) for s in data]
    n = samples[0].shape[-1]
    idx = rng.integers(0, n, (resamples, n))
    theta_b = np.asarray(statistic(*[s[..., idx] for s in samples], axis=-1))
    alpha = (1 - level) / 2
    if method.lower() == "bca":
        p_low, p_high = _bca_levels(samples, statistic, alpha, theta_b)
    else:
        p_low, p_high = np.float64(alpha), 1 - np.float64(alpha)
    lo, hi = _quantile_linear(theta_b, np.array([p_low, p_high], dtype=float))
    return float(lo), float(hi)
