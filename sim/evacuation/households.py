"""Households of an evacuation order: sizes, warning receipt, preparation, departures.

Plans each town's departures in bulk (vectorised over households, binned into groups) before
the processes run, so people move as groups, never one process each.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from sim.config import EvacuationLayoutConfig
from sim.core.events import EvacuationOrder

MODES = ("car", "walk", "assist")


# ----------------------------------------------------------------------------- households
@dataclass
class Departure:
    """Households of one town and mode leaving together (released at ``t``)."""

    t: float
    mode: str
    people: int
    households: int


@dataclass
class TownPlan:
    """What the households of one at-risk town do after the order."""

    node: int
    people: int
    departures: list[Departure]
    warned: list[tuple[float, str, int]]  # (time, channel, people) in time order
    refused: int = 0  # people warned who do not comply (stay at home)


def household_sizes(people: int, mean_size: float) -> np.ndarray:
    """Split ``people`` into households of (nearly) equal size averaging ``mean_size``."""
    if people <= 0:
        return np.zeros(0, dtype=np.int64)
    h = max(1, int(round(people / mean_size)))
    sizes = np.full(h, people // h, dtype=np.int64)
    sizes[: people % h] += 1
    return sizes


def _bin_rows(t: np.ndarray, key: np.ndarray, w: np.ndarray, t0: float, window: float):
    """Sum ``w`` per (key, time bin); returns rows (last time in bin, key, sum, count)."""
    if t.size == 0:
        return []
    b = np.floor((t - t0) / window).astype(np.int64)
    order = np.lexsort((t, key, b))
    b, key, w, t = b[order], key[order], w[order], t[order]
    new = np.ones(len(b), dtype=bool)
    new[1:] = (b[1:] != b[:-1]) | (key[1:] != key[:-1])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(b))
    sums = np.add.reduceat(w, starts)
    return [
        (float(t[e - 1]), int(key[s]), int(sums[j]), int(e - s))
        for j, (s, e) in enumerate(zip(starts, ends, strict=True))
    ]


def town_bounds(sizes: list[np.ndarray]) -> list[int]:
    """Where each town's households start and end in the concatenated household arrays."""
    return [0, *itertools.accumulate(len(s) for s in sizes)]


def receipt_times(
    sizes: list[np.ndarray],
    town: np.ndarray,
    t0: float,
    channels: dict,
    streams,
    prefix: str,
) -> tuple[np.ndarray, np.ndarray]:
    """When each household first hears a warning issued at ``t0``, and through which channel.

    ``sizes`` holds each town's household sizes and ``town`` the town of every household
    (households in town order, as ``np.concatenate(sizes)`` lists them). A
    household is reached by a channel with probability ``reach`` after its delay (door to door:
    in random order at the workers' pace); it hears the warning at the earliest channel
    (``inf``, channel -1: never). One stream ``<prefix><channel>`` per channel, drawn for every
    household whatever the reach, so changing one channel keeps the others' draws (CRN).
    """
    n = len(town)
    bounds = town_bounds(sizes)
    warn = np.full(n, np.inf)
    first = np.full(n, -1, dtype=np.int64)
    for c, (name, ch) in enumerate(channels.items()):
        rng = streams(f"{prefix}{name}")
        reached = rng.random(n) < ch.reach
        if ch.door_to_door:
            t = np.empty(n)
            for j, s in enumerate(sizes):
                a, b = bounds[j], bounds[j + 1]
                workers = max(1, math.ceil(ch.workers_per_1000 * int(s.sum()) / 1000.0))
                per_min = workers * ch.households_per_worker_h / 60.0
                t[a:b] = t0 + ch.delay_min + (rng.permutation(b - a) + 1) / per_min
        else:
            t = t0 + rng.gamma(ch.delay_shape, ch.delay_min / ch.delay_shape, n)
        t = np.where(reached, t, np.inf)
        better = t < warn
        warn = np.where(better, t, warn)
        first = np.where(better, c, first)
    return warn, first


def _door_done(t0: float, deadline: float, ch, people: int, households: int) -> int:
    """Households a door-to-door channel has visited by ``deadline`` (ranks 1..k, as
    :func:`receipt_times` times them: ``t0 + delay + rank / per_min <= deadline``)."""
    workers = max(1, math.ceil(ch.workers_per_1000 * people / 1000.0))
    per_min = workers * ch.households_per_worker_h / 60.0
    start = t0 + ch.delay_min
    k = min(households, max(0, math.floor((deadline - start) * per_min)))
    while k < households and start + (k + 1) / per_min <= deadline:  # float edges, as the
        k += 1  # household-level times compare
    while k > 0 and start + k / per_min > deadline:
        k -= 1
    return k


def _gamma_cdf(x: float, shape: float, mean: float) -> float:
    """P(delay <= x) for a Gamma(``shape``) delay of mean ``mean`` (0 at once if mean 0)."""
    from scipy.special import gammainc  # the regularised lower incomplete gamma function

    if x < 0.0:
        return 0.0
    if mean <= 0.0:
        return 1.0
    return float(gammainc(shape, x * shape / mean))


def warned_in_time(
    sizes: list[np.ndarray],
    t0: float,
    deadline: float,
    channels: dict,
    streams,
    prefix: str,
) -> np.ndarray:
    """People of each town who hear a warning issued at ``t0`` by ``deadline``.

    The household model of :func:`receipt_times` for when only the count in time is needed
    (a public warning), with one uniform per household instead of a delay per household and
    channel: a door-to-door channel has visited the first ``k`` households of a random order
    of the town's by the deadline (as :func:`receipt_times` times them), each visited one
    reached with probability ``reach``; every other channel reaches a household in time with
    probability ``reach * P(Gamma delay <= deadline - t0)``, independently. A household is
    warned in time when its uniform is below ``1 - P(missed by every channel)``. That is the
    household model's distribution exactly (``tests/test_evacuation.py`` compares the two),
    and the coupling is monotone on common random numbers: a higher reach, a shorter delay
    or more grid workers never warn fewer people. Streams: ``<prefix><channel>`` for each
    door-to-door channel's order of visits (drawn for every town, whatever ``k``),
    ``<prefix>in_time`` for the uniforms.
    """
    bounds = town_bounds(sizes)
    n = bounds[-1]
    miss_other = 1.0
    for ch in channels.values():
        if not ch.door_to_door:
            miss_other *= 1.0 - ch.reach * _gamma_cdf(deadline - t0, ch.delay_shape, ch.delay_min)
    miss = np.full(n, miss_other)
    lengths = np.diff(bounds)
    for name, ch in channels.items():
        if not ch.door_to_door:
            continue
        rng = streams(f"{prefix}{name}")
        order = np.concatenate([rng.permutation(m) for m in lengths.tolist()] or [np.zeros(0)])
        k = [_door_done(t0, deadline, ch, int(s.sum()), len(s)) for s in sizes]
        miss *= np.where(order < np.repeat(k, lengths), 1.0 - ch.reach, 1.0)
    heard = streams(f"{prefix}in_time").random(n) < 1.0 - miss
    size = np.concatenate(sizes) if sizes else np.zeros(0, dtype=np.int64)
    total = np.concatenate(([0], np.cumsum(np.where(heard, size, 0))))
    return (total[bounds[1:]] - total[bounds[:-1]]).astype(float)


def plan_households(
    order: EvacuationOrder, net_index: dict[str, int], cfg: EvacuationLayoutConfig, streams
) -> list[TownPlan]:
    """Warning receipt, compliance, mode and departure of every at-risk household.

    All draws are vectorised and come from the ``evacuation/behaviour`` stream and one
    ``evacuation/warning/<channel>`` stream per channel, drawn for every household whatever
    the shares: changing a share or a channel's reach keeps the others' draws (CRN).
    """
    nodes = [net_index[n] for n, _ in order.at_risk]
    sizes = [household_sizes(p, cfg.household_size) for _, p in order.at_risk]
    town = np.concatenate([np.full(len(s), j) for j, s in enumerate(sizes)]).astype(np.int64)
    size = np.concatenate(sizes) if sizes else np.zeros(0, dtype=np.int64)
    n = len(size)
    t0 = order.t

    warn, first = receipt_times(sizes, town, t0, cfg.channels, streams, "evacuation/warning/")
    names = list(cfg.channels)

    rng = streams("evacuation/behaviour")
    comply = rng.random(n) < cfg.comply_share
    u_mode = rng.random(n)
    prep = cfg.prep_median_min * np.exp(cfg.prep_sigma * rng.standard_normal(n))
    assisted = u_mode < cfg.assisted_share
    car = ~assisted & (u_mode < cfg.assisted_share + cfg.car_share)
    mode = np.where(assisted, 2, np.where(car, 0, 1))
    leave = np.where(comply & np.isfinite(warn), warn + prep, np.inf)

    plans = []
    window = cfg.group_window_min
    bounds = town_bounds(sizes)
    for j, node in enumerate(nodes):
        sel = slice(bounds[j], bounds[j + 1])  # this town's households
        lv, wn, sz = leave[sel], warn[sel], size[sel]
        ok = np.isfinite(lv)
        deps = [
            Departure(t, MODES[m], p, h)
            for t, m, p, h in _bin_rows(lv[ok], mode[sel][ok], sz[ok], t0, window)
        ]
        deps.sort(key=lambda d: (d.t, d.mode))
        heard = np.isfinite(wn)
        warned = [
            (t, names[c], p)
            for t, c, p, _ in _bin_rows(wn[heard], first[sel][heard], sz[heard], t0, window)
        ]
        warned.sort()
        refused = int(sz[heard & ~comply[sel]].sum())
        plans.append(TownPlan(node, int(sz.sum()), deps, warned, refused))
    return plans
