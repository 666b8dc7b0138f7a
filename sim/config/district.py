"""``district``: the district's identity, network file and plan targets (conf/district/)."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING


@dataclass
class TargetConfig:
    """A plan target: ``metric`` ``comparator`` ``threshold`` (source: seed file and line)."""

    metric: str = MISSING
    comparator: str = ">="  # one of >=, <=, >, <
    threshold: float = MISSING
    source: str = ""  # e.g. "000 L198"
    description: str = ""
    # For pooled proportions (e.g. fires out within 24 h over all fires): the KPI columns
    # summed over replications; the estimate is numerator/denominator with a Wilson interval.
    numerator: str = ""
    denominator: str = ""
    # Interval for a per-replication mean: "t" (Student) or "bootstrap" (percentile bootstrap,
    # better for skewed metrics such as burned area, never below the smallest value).
    interval: str = "t"


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
