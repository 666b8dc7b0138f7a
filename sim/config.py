"""Typed config schema (Hydra structured configs) and semantic validation.

The YAML files under ``conf/`` are merged onto these dataclasses, so a wrong type or an
unknown key fails at composition time. :func:`validate` adds the checks types cannot
express (positive counts, known choices, nodes that exist in the network) and raises
:class:`ConfigError` with a one-line message naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING


class ConfigError(ValueError):
    """Bad configuration value (one-line message that names the field)."""


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


@dataclass
class DistrictConfig:
    name: str = MISSING
    name_zh: str = ""
    name_en: str = ""
    network: str = MISSING  # path to a GraphML (.graphml) or OSM XML (.osm/.xml) file
    population_total: int = 0
    seat: str = ""  # node id of the district seat
    targets: dict[str, TargetConfig] = field(default_factory=dict)


@dataclass
class TeamConfig:
    """A group of identical rescue teams.

    ``home`` is a node id, or ``each_town`` to spread ``count`` teams over the district's
    towns/streets (one each, the remainder to the most populous).
    """

    tier: str = MISSING  # village, town, district, professional, fire_rescue, militia, regional
    home: str = MISSING
    count: int = 1
    headcount: int = MISSING  # people per team
    capabilities: list[str] = field(default_factory=lambda: ["rescue"])
    assembly_min: float = 30.0  # mean alarm-to-departure time
    source: str = ""


@dataclass
class RescueConfig:
    dispatch: str = "nearest"  # dispatch policy name (sim.dispatch.POLICIES)
    response_standard_min: float = 60.0
    max_crew_speedup: float = 3.0  # on-scene work scales with crew size up to this factor
    ref_crew: int = 10


@dataclass
class LayoutConfig:
    name: str = MISSING
    description: str = ""
    hubs: list[str] = field(default_factory=list)  # depots/bases used to judge isolation
    teams: dict[str, TeamConfig] = field(default_factory=dict)
    rescue: RescueConfig = field(default_factory=RescueConfig)


@dataclass
class StormConfig:
    """Severe convective storm: warning, road closures and rescue incidents."""

    warning_lead_min: float = 45.0
    impact_start_h: float = 2.0
    duration_h: float = 6.0
    closures_mean: float = 4.0
    closure_class_weights: dict[str, float] = field(
        default_factory=lambda: {
            "expressway": 0.2,
            "national": 0.5,
            "provincial": 1.0,
            "county": 1.5,
            "local": 2.0,
        }
    )
    closure_hours_median: float = 8.0
    closure_hours_sigma: float = 0.8
    incidents_per_100k: float = 1.5
    people_per_incident_mean: float = 4.0
    work_min_mean: float = 90.0
    window_h: float = 6.0
    report_delay_min_mean: float = 10.0
    water_rescue_share: float = 0.3


@dataclass
class ScenarioConfig:
    name: str = MISSING
    description: str = ""
    storm: StormConfig | None = None


@dataclass
class ExperimentConfig:
    replications: int = 10
    seed: int = 20261124
    hours: float = 72.0
    executor: str = "processes"  # serial | processes | dask
    workers: int = 0  # 0 = all cores
    scheduler: str = ""  # dask: scheduler address (tcp://host:8786); "" = local cluster
    save_events: bool = False
    events_format: str = "csv"  # csv | parquet
    sequential: bool = False  # add batches of replications until every verdict is decided
    batch: int = 10  # sequential: replications per batch
    max_replications: int = 200  # sequential: cap
    resume: bool = False  # reuse finished replications checkpointed in the run directory


@dataclass
class Config:
    district: DistrictConfig = MISSING
    scenario: ScenarioConfig = MISSING
    layout: LayoutConfig = MISSING
    experiment: ExperimentConfig = field(default_factory=ExperimentConfig)


EXECUTORS = ("serial", "processes", "dask")
COMPARATORS = (">=", "<=", ">", "<")


def _positive(value: float, name: str, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{name}={value}: must be {'>= 0' if allow_zero else '> 0'}")


def validate(cfg: Config) -> None:
    """Semantic checks that the schema's types cannot express."""
    ex = cfg.experiment
    _positive(ex.replications, "experiment.replications")
    _positive(ex.hours, "experiment.hours")
    _positive(ex.workers, "experiment.workers", allow_zero=True)
    _positive(ex.batch, "experiment.batch")
    _positive(ex.max_replications, "experiment.max_replications")
    if ex.executor not in EXECUTORS:
        raise ConfigError(
            f"experiment.executor='{ex.executor}': must be one of {', '.join(EXECUTORS)}"
        )
    if ex.events_format not in ("csv", "parquet"):
        raise ConfigError(f"experiment.events_format='{ex.events_format}': use csv or parquet")
    for key, t in cfg.district.targets.items():
        if t.comparator not in COMPARATORS:
            raise ConfigError(
                f"district.targets.{key}.comparator='{t.comparator}': "
                f"must be one of {', '.join(COMPARATORS)}"
            )
    for key, team in cfg.layout.teams.items():
        _positive(team.count, f"layout.teams.{key}.count", allow_zero=True)
        _positive(team.headcount, f"layout.teams.{key}.headcount")
        _positive(team.assembly_min, f"layout.teams.{key}.assembly_min", allow_zero=True)
    _positive(cfg.layout.rescue.response_standard_min, "layout.rescue.response_standard_min")
    _positive(cfg.layout.rescue.ref_crew, "layout.rescue.ref_crew")
    if cfg.layout.rescue.max_crew_speedup < 1:
        raise ConfigError("layout.rescue.max_crew_speedup: must be >= 1")
    s = cfg.scenario.storm
    if s is not None:
        for name in ("warning_lead_min", "impact_start_h", "closures_mean", "incidents_per_100k"):
            _positive(getattr(s, name), f"scenario.storm.{name}", allow_zero=True)
        for name in ("duration_h", "closure_hours_median", "work_min_mean", "window_h"):
            _positive(getattr(s, name), f"scenario.storm.{name}")
        if not 0 <= s.water_rescue_share <= 1:
            raise ConfigError("scenario.storm.water_rescue_share: must be within [0, 1]")


def to_plain(obj: Any) -> Any:
    """Dataclass config -> plain dict (for summary.json)."""
    from dataclasses import asdict, is_dataclass

    return asdict(obj) if is_dataclass(obj) else obj
