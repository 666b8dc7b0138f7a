"""``district``: the district's identity, network file and plan targets (conf/district/)."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING

from sim.config.checks import COMPARATORS, ConfigError


@dataclass
class TargetConfig:
    """A plan target: ``metric`` ``comparator`` ``threshold`` (source: seed file and line)."""

    metric: str = MISSING
    comparator: str = ">="  # one of >=, <=, >, <
    threshold: float = MISSING
    source: str = ""  # e.g. "000 L198"
    description: str = ""
    # The design scenario (conf/scenario/<name>.yaml) that judges this target in the plan
    # audit, the default run; a single-scenario run judges every target it produces.
    scenario: str = ""
    # A share pooled over events whose KPIs no module declares as a ratio: the KPI columns
    # summed over replications (estimate numerator/denominator; its interval over
    # replications: the delta method below 20 of them, a replication-level bootstrap from 20).
    numerator: str = ""
    denominator: str = ""
    # Interval for a per-replication mean, overriding the KPI's own: "t" (Student, truncated
    # to the metric's range) or "bootstrap" (for skewed metrics: BCa over replications from 20, t below).
    interval: str = ""


@dataclass
class DistrictConfig:
    name: str = MISSING
    name_zh: str = ""
    name_en: str = ""
    network: str = MISSING  # path to a GraphML (.graphml) or OSM XML (.osm/.xml) file
    population_total: int = 0
    seat: str = ""  # node id of the district seat
    forest_area_ha: float = 0.0  # total forest area (denominator of the burned share)
    targets: dict[str, TargetConfig] = field(default_factory=dict)


INTERVALS = ("t", "bootstrap")


def validate_district(d: DistrictConfig) -> None:
    """Targets: a metric, a known comparator and interval, numerator and denominator together.

    Whether the metric is a KPI some module can produce is checked by the run code
    (``sim.run.app.check_targets``), which knows the modules; this layer imports none.
    """
    for key, t in d.targets.items():
        f = f"district.targets.{key}"
        if not t.metric.strip():
            raise ConfigError(f"{f}.metric: name the KPI the target judges")
        if t.interval not in ("", *INTERVALS):
            raise ConfigError(f"{f}.interval='{t.interval}': use t or bootstrap")
        if t.comparator not in COMPARATORS:
            raise ConfigError(
                f"{f}.comparator='{t.comparator}': must be one of {', '.join(COMPARATORS)}"
            )
        if bool(t.numerator) != bool(t.denominator):
            missing = "denominator" if t.numerator else "numerator"
            raise ConfigError(f"{f}.{missing}: give numerator and denominator together")
