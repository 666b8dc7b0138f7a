"""Statistics for comparing alternatives on common random numbers (pure numpy/scipy).

Alternatives run on the same replications with the same seeds (common random numbers, CRN),
so replication *r* of every alternative faces the same disaster. The unit of independence
is the replication: a comparison works on the per-replication differences
``d_r = X_alt,r - X_base,r`` (paired-t interval, Law 2015 *Simulation Modeling and
Analysis* §10.2.1), and its unpaired counterpart (Welch 1947) shows what pairing bought.

- :func:`paired` / :func:`welch`: difference of means with a t interval.
- :func:`ratio_paired`: difference of two pooled ratios ``sum(y)/sum(x)`` (e.g. people
  whose needs were met / people judged), linearised per replication (delta method, the
  classical ratio estimator: Cochran 1977 *Sampling Techniques* §6.3), so a share pooled
  over events is compared as the verdict reads it, with the replication as unit.
- :func:`holm` and :func:`bonferroni`: family-wise error control over several comparisons
  against one baseline (Holm 1979, *Scand. J. Statist.* 6:65-70; Dunn 1961).
- :func:`kn_select`: Kim & Nelson's fully sequential indifference-zone selection of the best
  (Kim & Nelson 2001, *ACM TOMACS* 11(3):251-273), valid under CRN because it works on
  the variances of pairwise differences.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import stats


@dataclass
class Diff:
    """A difference ``alt - base`` with its interval."""

    estimate: float
    low: float
    high: float
    se: float
    df: float
    p: float  # two-sided p-value of "no difference"
    n: int


NAN_DIFF = Diff(math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, 0)


def _t_diff(est: float, se: float, df: float, n: int, level: float) -> Diff:
    if n < 2 or not math.isfinite(se) or not math.isfinite(est):
        return Diff(est, math.nan, math.nan, se, df, math.nan, n)
    if se == 0.0:
        return _constant_diff(est, df, n, level)
    q = float(stats.t.ppf(0.5 + level / 2, df))
    p = float(2 * stats.t.sf(abs(est) / se, df))
    return Diff(est, est - q * se, est + q * se, se, df, p, n)


def _constant_diff(est: float, df: float, n: int, level: float) -> Diff:
    """Every replication gave the same difference ``est``: the t interval has no spread to
    use. With no difference it is exact. Otherwise the difference is judged by the exact
    sign test (every one of ``n`` pairs on the same side: two-sided p = 2 * 0.5^n; Conover
    1999 *Practical Nonparametric Statistics* §3.4), whose order-statistic interval for the
    median is ``[est, est]`` once that p is within ``1 - level`` (n >= 6 at 95%) and does not
    exist below: two identical pairs are no evidence of a difference (the interval is left
    undefined, and the p-value keeps the call "indistinguishable")."""
    if est == 0.0:
        return Diff(est, est, est, 0.0, df, 1.0, n)
    p = min(1.0, 2.0 * 0.5**n)
    if p <= 1.0 - level:
        return Diff(est, est, est, 0.0, df, p, n)
    return Diff(est, math.nan, math.nan, 0.0, df, p, n)


# Two values closer than this, relative to the larger, are the same number summed in
# another order (176.1 t against 176.1 t differing by 2e-14 had been called "lower", p 0.016):
# far above the rounding of a sum of some thousand terms (~1e-13 relative), far below any
# difference a planner reads.
SAME_REL = 1e-9


def pair_differences(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a - b`` per replication, with the rounding noise of equal values set to exactly 0
    (:data:`SAME_REL`)."""
    d = a - b
    return np.where(np.abs(d) <= SAME_REL * np.maximum(np.abs(a), np.abs(b)), 0.0, d)


def _pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    return a[ok], b[ok]


def exact(alt: np.ndarray, base: np.ndarray) -> Diff | None:
    """The difference of a KPI computed from the inputs (no sampling error), where every
    replication gives the same one: the interval is that value and the call its sign (p 0,
    or 1 for no difference). None where the differences vary (the KPI then carries the
    run's randomness and is compared like a simulated one)."""
    a, b = _pairs(alt, base)
    if a.size == 0:
        return None
    d = pair_differences(a, b)
    if not np.all(d == d[0]):
        return None
    est = float(d[0])
    return Diff(est, est, est, 0.0, float(a.size - 1), 0.0 if est else 1.0, int(a.size))


def paired(alt: np.ndarray, base: np.ndarray, level: float = 0.95) -> Diff:
    """Paired-t interval of mean(alt - base) over replications where both are defined."""
    a, b = _pairs(alt, base)
    n = a.size
    if n == 0:
        return NAN_DIFF
    d = pair_differences(a, b)
    se = float(d.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    return _t_diff(float(d.mean()), se, n - 1, n, level)


def welch(alt: np.ndarray, base: np.ndarray, level: float = 0.95) -> Diff:
    """Welch's unpaired interval of mean(alt) - mean(base) (ignores the pairing)."""
    a = np.asarray(alt, dtype=float)
    b = np.asarray(base, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        est = float(a.mean() - b.mean()) if a.size and b.size else math.nan
        return Diff(est, math.nan, math.nan, math.nan, math.nan, math.nan, min(a.size, b.size))
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    if se == 0.0:
        df = float(a.size + b.size - 2)
    else:
        df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return _t_diff(float(a.mean() - b.mean()), se, df, min(a.size, b.size), level)


def _ratio_influence(y: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Pooled ratio R = sum(y)/sum(x) and each replication's linearised contribution."""
    r = float(y.sum() / x.sum())
    return r, (y - r * x) / x.mean()


def ratio_paired(
    y_alt: np.ndarray,
    x_alt: np.ndarray,
    y_base: np.ndarray,
    x_base: np.ndarray,
    level: float = 0.95,
) -> tuple[Diff, Diff]:
    """Paired and unpaired intervals of ``sum(y_alt)/sum(x_alt) - sum(y_base)/sum(x_base)``.

    Each pooled ratio is linearised per replication, ``z_r = (y_r - R x_r) / mean(x)``
    (delta method); the paired interval is a t interval on ``z_alt,r - z_base,r``, the
    unpaired one Welch's on the two z samples. Replications where either denominator is
    missing are dropped from both. Returns ``(paired, unpaired)``.
    """
    arrs = [np.asarray(v, dtype=float) for v in (y_alt, x_alt, y_base, x_base)]
    ok = np.logical_and.reduce([np.isfinite(v) for v in arrs])
    ya, xa, yb, xb = (v[ok] for v in arrs)
    n = int(ok.sum())
    if n == 0 or xa.sum() <= 0 or xb.sum() <= 0:
        return NAN_DIFF, NAN_DIFF
    if not (pair_differences(ya, yb).any() or pair_differences(xa, xb).any()):
        ya, xa = yb, xb  # the same counts in every replication: no difference, exactly
    ra, za = _ratio_influence(ya, xa)
    rb, zb = _ratio_influence(yb, xb)
    est = ra - rb
    if n < 2:
        d = Diff(est, math.nan, math.nan, math.nan, math.nan, math.nan, n)
        return d, d
    dz = za - zb
    pair = _t_diff(est, float(dz.std(ddof=1) / math.sqrt(n)), n - 1, n, level)
    va, vb = za.var(ddof=1) / n, zb.var(ddof=1) / n
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (n - 1) + vb**2 / (n - 1)) if se > 0 else float(2 * n - 2)
    return pair, _t_diff(est, se, df, n, level)


def bonferroni(p: list[float], alpha: float = 0.05) -> list[bool]:
    """Reject H0_i when p_i <= alpha / m (Dunn 1961). ``m`` counts every comparison of the
    family, also one whose p-value is undefined (too few pairs): the family's intervals are
    at ``1 - alpha / m`` (``compare.analyse``), and a call must agree with its interval."""
    m = len(p)
    return [math.isfinite(x) and x <= alpha / max(m, 1) for x in p]


def holm(p: list[float], alpha: float = 0.05) -> list[bool]:
    """Holm's step-down procedure: family-wise error <= alpha, more power than Bonferroni.
    Undefined p-values count in the family (as in :func:`bonferroni`) and are never
    rejected."""
    idx = [i for i, x in enumerate(p) if math.isfinite(x)]
    order = sorted(idx, key=lambda i: p[i])
    m = len(p)
    reject = [False] * len(p)
    for rank, i in enumerate(order):
        if p[i] > alpha / (m - rank):
            break
        reject[i] = True
    return reject


# ------------------------------------------------------------------ ranking and selection
@dataclass
class Selection:
    """Outcome of :func:`kn_select`."""

    best: int  # index of the selected alternative
    survivors: list[int]  # still in contention when the procedure stopped
    reps: list[int]  # replications run per alternative
    eliminated_at: list[int]  # replication count at elimination (0 = never eliminated)
    means: list[float]  # sample means over each alternative's replications
    runs: int  # total replications used
    guaranteed: bool  # True when the procedure ended by itself (PCS >= 1 - alpha holds)
    eta: float
    h2: float
    data: list[np.ndarray] = field(default_factory=list)
    # alternative -> the lower-numbered one it tied with exactly when their continuation
    # region had closed (W = 0), and was merged into; ``identical``: equal on every
    # replication run so far (the paired differences all 0)
    merged: dict[int, int] = field(default_factory=dict)
    identical: set[int] = field(default_factory=set)
    stage: int = 0  # replications per surviving alternative when the procedure stopped


def kn_eta(k: int, n0: int, alpha: float) -> float:
    """Kim-Nelson's eta for k alternatives, first stage n0, c = 1."""
    return 0.5 * ((2 * alpha / (k - 1)) ** (-2.0 / (n0 - 1)) - 1.0)


def kn_select(
    draw: Callable[[list[int], int, int], np.ndarray],
    k: int,
    n0: int,
    delta: float,
    alpha: float = 0.05,
    maximise: bool = True,
    max_runs: int | None = None,
    batch: int = 1,
) -> Selection:
    """Select the best of ``k`` alternatives with probability >= 1 - alpha (KN procedure).

    ``draw(alternatives, r0, r1)`` returns an array (len(alternatives), r1 - r0) of the
    objective on replications r0..r1-1 of each given alternative, on common random numbers
    (replication r of every alternative uses the same seeds). ``delta`` is the indifference
    zone: if the best beats every other by at least ``delta``, it is chosen with probability
    >= 1 - alpha (Kim & Nelson 2001, Theorem 1, c = 1). Data beyond the current stage are
    fetched ``batch`` replications at a time (cheaper to run); eliminations are still checked
    one replication at a time, so the decisions are those of the procedure. If ``max_runs``
    stops it first, the survivor with the best sample mean is returned, ``guaranteed=False``.

    Ties: the screening keeps ``i`` while ``mean_i >= mean_j - W_ij``. Once ``r`` passes
    ``N_ij = h^2 S^2_ij / delta^2`` the pair's continuation region is closed (``W_ij = 0``)
    and the pair is decided by its sample means (Kim & Nelson 2001, section 3: the
    procedure ends by ``r = max N_i + 1`` with the largest sample mean). Two alternatives
    equal on every replication (common random numbers make this common: a team that is
    never called) have ``S^2_ij = 0``, so their region is closed from the first stage, but
    equal means eliminate neither and ``<`` never stopped: the whole budget was spent and
    no guarantee reported. An exact tie of sample means on a closed region is decided for
    the lower index still in contention (the largest-mean rule with its ties broken by
    index); the other is merged into it (``merged``; also in ``identical`` when every
    paired difference was 0, i.e. the two are one system on these data). Under the
    procedure's normal model a pair with ``S^2_ij = 0`` differs by a constant, here 0: it
    lies in the indifference zone, so either choice is a correct selection.
    """
    if k < 1:
        raise ValueError("kn_select: need at least one alternative")
    if n0 < 2:
        raise ValueError("kn_select: n0 must be >= 2")
    if delta <= 0:
        raise ValueError("kn_select: delta must be > 0")
    sign = 1.0 if maximise else -1.0
    data: list[list[float]] = [[] for _ in range(k)]
    runs = 0

    def fetch(alts: list[int], r0: int, r1: int) -> None:
        nonlocal runs
        if not alts or r1 <= r0:
            return
        x = np.asarray(draw(alts, r0, r1), dtype=float).reshape(len(alts), r1 - r0)
        for row, i in zip(x, alts, strict=True):
            data[i].extend(row.tolist())
        runs += len(alts) * (r1 - r0)

    fetch(list(range(k)), 0, n0)
    eliminated = [0] * k
    if k == 1:
        x = np.asarray(data[0])
        return Selection(
            0, [0], [n0], eliminated, [float(x.mean())], runs, True, 0.0, 0.0, [x], stage=n0
        )
    eta = kn_eta(k, n0, alpha)
    h2 = 2.0 * eta * (n0 - 1)
    x0 = sign * np.array([d[:n0] for d in data])
    s2 = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            if i != j:
                s2[i, j] = np.var(x0[i] - x0[j], ddof=1)
    alive = list(range(k))
    sums = x0.sum(axis=1)
    r = n0
    guaranteed = True
    merged: dict[int, int] = {}
    identical: set[int] = set()
    while len(alive) > 1:
        # eliminate at stage r (Kim & Nelson 2001, step "Screening")
        means = sums / r
        w = {
            (i, j): max(0.0, delta / (2 * r) * (h2 * s2[i, j] / delta**2 - r))
            for i in alive
            for j in alive
            if i != j
        }
        out = {i for i in alive if any(means[i] < means[j] - w[i, j] for j in alive if j != i)}
        keep, dropped = [], []
        for i in alive:  # ascending: a tie goes to the lower index still in contention
            tie = None
            if i not in out:
                tie = next((j for j in keep if w[i, j] == 0.0 and means[i] == means[j]), None)
            else:  # eliminated with a twin equal on every replication: one system, reported so
                tie = next((j for j in dropped if np.array_equal(data[i][:r], data[j][:r])), None)
                dropped.append(i)
            if i in out or tie is not None:
                eliminated[i] = r
                if tie is not None:
                    merged[i] = tie
                    if np.array_equal(data[i][:r], data[tie][:r]):
                        identical.add(i)
            else:
                keep.append(i)
        alive = keep
        if len(alive) <= 1:
            break
        need = len(data[alive[0]]) <= r
        if need:
            step = batch
            if max_runs is not None:
                step = min(step, (max_runs - runs) // len(alive))
            if step <= 0:
                guaranteed = False
                break
            fetch(alive, r, r + step)
        for i in alive:
            sums[i] += sign * data[i][r]
        r += 1
    arrays = [np.asarray(d) for d in data]
    means_all = [float(a.mean()) for a in arrays]
    best = max(alive, key=lambda i: (sign * float(np.mean(data[i][:r])), -i))
    return Selection(
        best=best,
        survivors=alive,
        reps=[len(d) for d in data],
        eliminated_at=eliminated,
        means=means_all,
        runs=runs,
        guaranteed=guaranteed and len(alive) == 1,
        eta=eta,
        h2=h2,
        data=arrays,
        merged={i: _root(merged, j) for i, j in merged.items()},
        identical=identical,
        stage=r,
    )


def _root(merged: dict[int, int], j: int) -> int:
    """The alternative a chain of merges ends in."""
    while j in merged:
        j = merged[j]
    return j
