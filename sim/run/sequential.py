"""Sequential mode: batches of replications until every target is decided.

A target is looked at after every batch, and stopping at the first look whose interval decides
it would raise the chance of a wrong verdict above the 2.5% of one look at a fixed n (5.8% with
batches of 10 up to 200, a mean on its threshold: Armitage, McPherson & Rowe 1969). So every
look uses the interval at ``1 - (1 - 0.95) / K`` for the ``K`` looks the cap allows (a
Bonferroni bound over the looks: the chance that any look is wrong stays within that of one
95% interval). It is conservative; a group-sequential boundary (Pocock 1977, O'Brien & Fleming
1979) would stop sooner, at the cost of a boundary computed for each batch plan.

A target decided by its interval keeps the look that decided it (its replications, its
interval). Verdicts that more replications could still change are taken from all of them at
the end: an edge target's (a later replication may fail), a value the same in every
replication so far (a later one may differ), NOT MODELLED (a later one may have the event),
plan inputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.core.kpi import SIMULATED
from sim.run.experiment import RepResult
from sim.run.stats import LEVEL
from sim.run.targets import CONSTANT_NOTE, EDGE_NOTE, FAIL, FINAL, INCONCLUSIVE, PASS, TargetResult


def looks(batch: int, max_replications: int) -> int:
    """How many looks the batches allow (one after each, the last at the cap)."""
    return max(1, math.ceil(max_replications / batch))


def look_level(batch: int, max_replications: int) -> float:
    """The level of each look's interval: 95% shared out over the looks (Bonferroni)."""
    return 1.0 - (1.0 - LEVEL) / looks(batch, max_replications)


def _settled(v: TargetResult) -> bool:
    """Decided by its interval at this look, for good: an edge verdict or a value that no
    replication varied yet (a later one may fail, or differ) is judged again at the end."""
    return (
        v.verdict in (PASS, FAIL)
        and v.provenance == SIMULATED
        and not v.note.startswith((EDGE_NOTE, CONSTANT_NOTE))
    )


def sequential_verdicts(
    run_batch: Callable[[range], list[RepResult]],
    judge: Callable[[list[RepResult], float], list[TargetResult]],
    batch: int,
    max_replications: int,
) -> tuple[list[RepResult], list[TargetResult]]:
    """Run ``run_batch(range)`` until every target is decided or none can be within the cap.

    ``judge(results, level)``: every target's verdict on those replications, intervals at
    ``level``. Stops when every undecided target would need more than ``max_replications``
    (or no number would decide it); never on one replication (no interval yet)."""
    level = look_level(batch, max_replications)
    k = looks(batch, max_replications)
    results: list[RepResult] = []
    frozen: dict[str, TargetResult] = {}
    while len(results) < max_replications:
        reps = range(len(results), min(len(results) + batch, max_replications))
        results += run_batch(reps)
        undecided = []
        for v in judge(results, level):
            if v.key in frozen:
                continue
            if _settled(v):
                v.note = (
                    (f"{v.note}; " if v.note else "")
                    + f"sequential: decided at {v.n} replications (each of {k} looks at {100 * level:.4g}%)"
                )
                frozen[v.key] = v
            elif v.verdict not in FINAL:
                undecided.append(v)
        hopeless = [
            v
            for v in undecided
            if v.replications_needed is None or v.replications_needed > max_replications
        ]
        if len(undecided) == len(hopeless) and len(results) >= 2:
            break
    out = [frozen.get(v.key, v) for v in judge(results, level)]
    for v in out:
        if v.verdict == INCONCLUSIVE and len(results) < max_replications:
            v.note += f"; sequential mode stopped at {len(results)}: cannot decide it"
            if v.replications_needed:
                v.note += f" within experiment.max_replications={max_replications}"
    return results, out
