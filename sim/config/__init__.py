"""Typed config schema (Hydra structured configs) and semantic validation.

The YAML files under ``conf/`` are merged onto these dataclasses, so a wrong type or an
unknown key fails at composition time. :func:`validate` adds the checks types cannot
express (positive counts, known choices, nodes that exist in the network) and raises
:class:`ConfigError` with a one-line message naming the field.

One file per section, mirroring ``conf/``: ``district``, ``experiment``, ``hazards``
(everything under ``scenario``), ``layout`` and its sections ``teams``, ``rescue``, ``fire``,
``evacuation``, ``relief``; ``checks`` holds the shared field checks. This package imports
nothing else of the project. The names below are re-exported so ``from sim.config import X``
works for every schema class.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING

from sim.config.checks import COMPARATORS, ConfigError, check_numbers, positive
from sim.config.district import DistrictConfig, validate_district
from sim.config.evacuation import validate_evacuation
from sim.config.experiment import (
    EXECUTORS,
    CompareConfig,
    ExperimentConfig,
    RobustnessConfig,
    SearchConfig,
    validate_drill,
    validate_experiment,
    validate_modes,
    validate_robustness,
)
from sim.config.fire import validate_fire
from sim.config.hazards import ScenarioConfig, _check_storm, validate_hazards
from sim.config.layout import LayoutConfig
from sim.config.relief import validate_relief
from sim.config.rescue import validate_rescue
from sim.config.uncertainty import UncertaintyRange, validate_uncertainty


@dataclass
class Config:
    district: DistrictConfig = MISSING
    scenario: ScenarioConfig = MISSING
    layout: LayoutConfig = MISSING
    experiment: ExperimentConfig = field(default_factory=ExperimentConfig)
    compare: CompareConfig | None = None  # compare mode (conf/experiment/compare.yaml)
    search: SearchConfig | None = None  # layout search (conf/experiment/search.yaml)
    robustness: RobustnessConfig | None = None  # conf/experiment/robustness.yaml


def validate(cfg: Config) -> None:
    """Semantic checks that the schema's types cannot express.

    First every number anywhere (finite, not huge, >= 0 unless signed) and unknown keys, then
    each section's own ranges and references.
    """
    check_numbers(cfg)  # finite, not huge, no unknown keys
    validate_experiment(cfg.experiment)
    validate_district(cfg.district)
    validate_fire(cfg)
    validate_modes(cfg.compare, cfg.search)
    validate_robustness(cfg.robustness)
    screening = cfg.robustness is not None
    validate_uncertainty(cfg, cfg.layout.uncertainty, "layout", screening)
    validate_uncertainty(cfg, cfg.scenario.uncertainty, "scenario", screening)
    ex = cfg.experiment
    positive(ex.replications, "experiment.replications")
    positive(ex.hours, "experiment.hours")
    positive(ex.workers, "experiment.workers", allow_zero=True)
    positive(ex.batch, "experiment.batch")
    positive(ex.max_replications, "experiment.max_replications")
    if ex.executor not in EXECUTORS:
        raise ConfigError(
            f"experiment.executor='{ex.executor}': must be one of {', '.join(EXECUTORS)}"
        )
    if ex.events_format not in ("csv", "parquet"):
        raise ConfigError(f"experiment.events_format='{ex.events_format}': use csv or parquet")
    validate_drill(ex)
    for key, t in cfg.district.targets.items():
        if t.interval not in ("", "t", "bootstrap"):
            raise ConfigError(f"district.targets.{key}.interval='{t.interval}': use t or bootstrap")
        if bool(t.numerator) != bool(t.denominator):
            raise ConfigError(
                f"district.targets.{key}: give both numerator and denominator, or neither"
            )
        if t.comparator not in COMPARATORS:
            raise ConfigError(
                f"district.targets.{key}.comparator='{t.comparator}': "
                f"must be one of {', '.join(COMPARATORS)}"
            )
    for key, team in cfg.layout.teams.items():
        positive(team.count, f"layout.teams.{key}.count", allow_zero=True)
        positive(team.headcount, f"layout.teams.{key}.headcount")
        positive(team.assembly_min, f"layout.teams.{key}.assembly_min", allow_zero=True)
    positive(cfg.layout.rescue.response_standard_min, "layout.rescue.response_standard_min")
    positive(cfg.layout.rescue.ref_crew, "layout.rescue.ref_crew")
    if cfg.layout.rescue.max_crew_speedup < 1:
        raise ConfigError("layout.rescue.max_crew_speedup: must be >= 1")
    validate_relief(cfg.layout)
    validate_rescue(cfg.layout)
    validate_hazards(cfg.scenario)
    validate_evacuation(cfg)
    if cfg.scenario.storm is not None:
        _check_storm(cfg.scenario.storm, "scenario.storm")
    check_numbers(cfg, signs=True)  # what the sections did not cover: nothing negative


# re-exports: every schema class and shared check under sim.config
from sim.config.checks import (  # noqa: E402
    check_prob,
    check_share,
    road_ends,
    road_exposure,
    to_plain,
)
from sim.config.district import (  # noqa: E402
    TargetConfig,
)
from sim.config.evacuation import (  # noqa: E402
    EVAC_KINDS,
    EVAC_ROLES,
    SHELTER_TYPES,
    EvacFleetConfig,
    EvacuationLayoutConfig,
    ShelterGroupConfig,
    WarningChannelConfig,
)
from sim.config.experiment import (  # noqa: E402
    DRILL_MODES,
    DrillConfig,
    DrillHazardConfig,
    ExperimentConfig,
)
from sim.config.fire import (  # noqa: E402
    FireDetectionConfig,
    FireLayoutConfig,
)
from sim.config.hazards import (  # noqa: E402
    CascadeConfig,
    CasualtyConfig,
    ChemicalConfig,
    DangerClassConfig,
    EarthquakeConfig,
    EvacuationHazardConfig,
    EvacuationZoneConfig,
    FireScenarioConfig,
    FloodConfig,
    LandslideConfig,
    LandslidePrecedentConfig,
    RiverReachConfig,
    StormConfig,
)
from sim.config.relief import (  # noqa: E402
    CALLOFF_TRIGGERS,
    DEPOT_LEVELS,
    FLEET_MODES,
    DepotConfig,
    FleetConfig,
    KitItemConfig,
    ReliefConfig,
)
from sim.config.rescue import (  # noqa: E402
    DISPATCH_POLICIES,
    REPAIR_PRIORITIES,
    AccessConfig,
    AidCentreConfig,
    MutualAidConfig,
    RepairConfig,
    RepairCrewConfig,
    RescueConfig,
)
from sim.config.teams import (  # noqa: E402
    CAPABILITIES,
    TRAVEL_MODES,
    MobilisationConfig,
    StageConfig,
    TeamConfig,
    TieredConfig,
)

__all__ = [
    "AccessConfig",
    "AidCentreConfig",
    "CALLOFF_TRIGGERS",
    "CAPABILITIES",
    "COMPARATORS",
    "CascadeConfig",
    "ChemicalConfig",
    "CompareConfig",
    "Config",
    "ConfigError",
    "DEPOT_LEVELS",
    "DISPATCH_POLICIES",
    "DRILL_MODES",
    "DangerClassConfig",
    "DepotConfig",
    "DistrictConfig",
    "DrillConfig",
    "DrillHazardConfig",
    "EVAC_KINDS",
    "EVAC_ROLES",
    "EXECUTORS",
    "EarthquakeConfig",
    "EvacFleetConfig",
    "CasualtyConfig",
    "EvacuationHazardConfig",
    "EvacuationLayoutConfig",
    "EvacuationZoneConfig",
    "ExperimentConfig",
    "FLEET_MODES",
    "FireDetectionConfig",
    "FireLayoutConfig",
    "FireScenarioConfig",
    "FleetConfig",
    "FloodConfig",
    "KitItemConfig",
    "LandslideConfig",
    "LandslidePrecedentConfig",
    "LayoutConfig",
    "MobilisationConfig",
    "MutualAidConfig",
    "REPAIR_PRIORITIES",
    "ReliefConfig",
    "RobustnessConfig",
    "RepairConfig",
    "RepairCrewConfig",
    "RescueConfig",
    "RiverReachConfig",
    "SHELTER_TYPES",
    "ScenarioConfig",
    "SearchConfig",
    "ShelterGroupConfig",
    "StageConfig",
    "StormConfig",
    "TRAVEL_MODES",
    "TargetConfig",
    "TeamConfig",
    "TieredConfig",
    "UncertaintyRange",
    "WarningChannelConfig",
    "check_prob",
    "check_share",
    "positive",
    "road_ends",
    "road_exposure",
    "to_plain",
    "validate",
    "validate_evacuation",
    "validate_fire",
    "validate_drill",
    "validate_hazards",
    "validate_relief",
    "validate_rescue",
]
