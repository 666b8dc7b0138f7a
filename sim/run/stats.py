"""Interval estimates over replications."""

from __future__ import annotations

import math

import numpy as np


def mean_ci(values: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """Mean, sample sd and Student-t confidence interval of the finite values."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return {
            "mean": math.nan,
            "sd": math.nan,
            "ci95_low": math.nan,
            "ci95_high": math.nan,
            "n": 0,
        }
    m = float(x.mean())
    if n == 1:
        return {"mean": m, "sd": math.nan, "ci95_low": math.nan, "ci95_high": math.nan, "n": 1}
    sd = float(x.std(ddof=1))
    from scipy.special import stdtrit  # (= scipy.stats.t.ppf, without importing scipy.stats)

    half = float(stdtrit(n - 1, 0.5 + level / 2)) * sd / math.sqrt(n)
    return {"mean": m, "sd": sd, "ci95_low": m - half, "ci95_high": m + half, "n": n}
