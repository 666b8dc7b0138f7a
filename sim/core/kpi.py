"""What a KPI is: its range, how it is estimated over replications, and what decides it.

Each response module declares the KPIs it emits (``kpi_specs()`` of the ResponseModule
Protocol); the run code estimates every KPI and judges every target from these specs, so the
KPI table, targets.csv and the report agree.

Provenance (what a planner may conclude from a verdict):

- ``simulated``: produced by the dynamics of a run (travel, queues, spread, behaviour);
- ``computed``: arithmetic on the layout (e.g. stock coverage). Still worth checking, but shown
  apart, in the report's "plan inputs checked" table;
- ``input``: a configured value echoed back (e.g. the meteorological warning lead). Never a
  verdict: shown as an input beside the plan's figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

SIMULATED, COMPUTED, INPUT = "simulated", "computed", "input"
PROVENANCES = (SIMULATED, COMPUTED, INPUT)


@dataclass(frozen=True)
class KpiSpec:
    """How to estimate and read one KPI."""

    lower: float = 0.0
    upper: float = math.inf
    # a share pooled over events: (numerator KPI, denominator KPI), summed over replications
    ratio: tuple[str, str] | None = None
    interval: str = "t"  # t | bootstrap (per-replication mean)
    provenance: str = SIMULATED
    # config prefixes whose assumptions this KPI reads (for the report's per-verdict list)
    reads: tuple[str, ...] = field(default_factory=tuple)
    unit: str = ""
    # a population this KPI never exceeds (people sheltered <= people at risk): where that KPI
    # is the same in every replication, the mean's interval stops at it (a t interval would
    # run past it); a bound that varies is itself an estimate, and is not used
    upper_kpi: str = ""
    # a time until something happens (hours until 90% are sheltered): the KPI giving, in each
    # replication where it never happened within the run, the hours the run covered (a lower
    # bound on the time; NaN where it happened). Those replications count at that bound, not
    # dropped: dropping them would judge the time on the runs that went well only
    censored: str = ""
    # the KPI counting the events this one is measured on (fires): with none in any
    # replication the metric says nothing of the response (NOT MODELLED), though it reads 0
    events: str = ""


def share(ratio: tuple[str, str] | None = None, **kw) -> KpiSpec:
    """A share in [0, 1] (pooled over events when ``ratio`` is given)."""
    return KpiSpec(lower=0.0, upper=1.0, ratio=ratio, unit="share", **kw)


def infer_spec(name: str) -> KpiSpec:
    """Spec of a KPI no module declares: a share in [0, 1] by name, else a quantity >= 0."""
    if name.endswith("_share") or name == "utilisation" or name.endswith("_utilisation"):
        return share()
    return KpiSpec()
