"""``layout.fire``: forest-fire teams, equipment, aviation and dispatch (scenario part in hazards).

The fields and the sources of their shipped values are described in ``docs/fire_model.md``;
every layout file cites the plan line or marks the value as an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from omegaconf import MISSING

from sim.config.checks import ConfigError, check_prob, positive

if TYPE_CHECKING:
    from sim.config import Config

#: Team roles: ``local`` teams do initial attack and mop-up; ``reinforcement`` teams (from
#: neighbouring districts and the regional centres, 004 L181) help contain and then withdraw.
FIRE_TEAM_ROLES = ("local", "reinforcement")


@dataclass
class FireTeamConfig:
    """A group of identical forest-fire teams (``home``: a node id or ``each_town``)."""

    tier: str = MISSING  # professional, semi_professional, fire_rescue, volunteer, militia
    home: str = MISSING
    count: int = 1
    headcount: int = MISSING  # people per team
    assembly_min: float = 30.0  # mean call-out time (alarm to departure)
    blowers: int = 0  # wind blowers (风力灭火机) per team
    pumps: int = 0  # portable fire pumps (手抬/背负式消防水泵) with hose per team
    role: str = "local"  # local | reinforcement
    source: str = ""


@dataclass
class FireDetectionConfig:
    camera_zones: list[str] = field(default_factory=list)  # zones under 24 h video/infrared watch
    camera_delay_min_mean: float = 10.0
    other_delay_min_mean: float = 45.0  # lookouts, patrols, public reports


@dataclass
class FireEquipmentConfig:
    """Production of the Chinese direct-attack kit and the flame lengths it works in."""

    blower_m_min: float = 2.0  # edge knocked down per blower (m/min), in groups
    blower_group: int = 2  # a single blower is of little use: they work in groups of 2-3
    blower_full_flame_m: float = 1.5  # full effect up to this flank flame length
    blower_max_flame_m: float = 2.5  # no effect above
    hand_full_flame_m: float = 1.2  # hand tools (二号工具, rakes): full effect up to ...
    hand_max_flame_m: float = 2.4  # ... none above
    pump_m_min: float = 4.0  # wet line per portable pump once its hose reaches the fire
    pump_max_flame_m: float = 3.4
    hose_lay_m_min: float = 15.0  # hose laid from the water source towards the fire
    max_hose_m: float = 3000.0  # relay reach of a team's pumps (beyond: no water)
    route_factor: float = 1.4  # hose route / straight-line distance on slopes


@dataclass
class FireAviationConfig:
    """Helicopters of the municipal forest aviation station (004 L364) for this district."""

    base: str = MISSING  # network node of the station's base (e.g. ext_airbase_longxing)
    helicopters: int = 1  # helicopters the station can commit to this district at once
    availability: float = 0.6  # chance a requested helicopter is free (other districts, upkeep)
    dispatch_min: float = 20.0  # call to airborne
    speed_kmh: float = 160.0  # cruise with a slung bucket
    bucket_t: float = 2.6  # water per drop
    dip_km: float = 3.0  # fire to a dip site deep enough for a bucket
    fill_drop_min: float = 3.0  # hover-fill and drop per cycle
    held_m_per_t: float = 20.0  # edge held per tonne dropped
    daylight_start_h: float = 7.0
    daylight_end_h: float = 19.0
    turnaround_min: float = 60.0  # back at the base: refuel and crew change before the next task


@dataclass
class FireLayoutConfig:
    """Forest-fire forces and suppression settings of a layout."""

    teams: dict[str, FireTeamConfig] = field(default_factory=dict)
    production_m_min_per_person: dict[str, float] = field(default_factory=dict)  # hand line by tier
    equipment: FireEquipmentConfig = field(default_factory=FireEquipmentConfig)
    aviation: FireAviationConfig | None = None
    detection: FireDetectionConfig = field(default_factory=FireDetectionConfig)
    max_ia_hours: float = 4.0  # initial attack ends (the fire escapes) after this long
    walk_speed_kmh: float = 2.0
    water_distance_km: float = 2.0  # radius within which every point has a fire water source
    rest_ratio: float = 0.5  # hours of rest per hour worked before the next call-out ...
    rest_max_h: float = 12.0  # ... but at most this long
    diurnal_peak_hour: float = 15.0
    diurnal_min_multiplier: float = 0.3
    mopup_m_per_person_h: float = 20.0  # fire edge made safe per person-hour
    mopup_m_per_person: float = 10.0  # edge per person beyond which more people do not help
    mopup_setup_min: float = 30.0
    ea_line_factor: float = 0.5  # extended attack: line on the final perimeter, x direct rate
    ea_p_contain_per_day: float = 0.5  # an escaped fire is held on a given night with this chance


def validate_fire(cfg: Config) -> None:
    """Checks of the forest-fire sections."""
    f = cfg.scenario.fire
    if f is not None:
        _check_fire_scenario(f)
        if f.mode == "season":
            need = f.years * sum(p.days for p in f.periods.values()) * 24.0
            hours = cfg.scenario.hours or cfg.experiment.hours
            if hours < need:
                raise ConfigError(
                    f"scenario.hours={hours:g}: {f.years} fire years of "
                    f"{need / f.years / 24:g} days need at least {need:g} h (set scenario.hours)"
                )
    lf = cfg.layout.fire
    if lf is None:
        return
    for name in ("max_ia_hours", "walk_speed_kmh", "mopup_m_per_person_h", "mopup_m_per_person"):
        positive(getattr(lf, name), f"layout.fire.{name}")
    for name in (
        "water_distance_km",
        "rest_ratio",
        "rest_max_h",
        "mopup_setup_min",
        "ea_line_factor",
    ):
        positive(getattr(lf, name), f"layout.fire.{name}", allow_zero=True)
    if not 0 < lf.ea_p_contain_per_day <= 1:
        raise ConfigError("layout.fire.ea_p_contain_per_day: must be within (0, 1]")
    if not 0 < lf.diurnal_min_multiplier <= 1:
        raise ConfigError("layout.fire.diurnal_min_multiplier: must be within (0, 1]")
    eq = lf.equipment
    for name in ("hose_lay_m_min", "route_factor", "blower_group"):
        positive(getattr(eq, name), f"layout.fire.equipment.{name}")
    for name in ("blower_m_min", "pump_m_min", "max_hose_m"):
        positive(getattr(eq, name), f"layout.fire.equipment.{name}", allow_zero=True)
    for kit in ("blower", "hand"):
        full, top = getattr(eq, f"{kit}_full_flame_m"), getattr(eq, f"{kit}_max_flame_m")
        if not 0 < full <= top:
            raise ConfigError(
                f"layout.fire.equipment.{kit}_full_flame_m={full}: must be > 0 and <= "
                f"{kit}_max_flame_m={top}"
            )
    positive(eq.pump_max_flame_m, "layout.fire.equipment.pump_max_flame_m")
    if lf.aviation is not None:
        av, w = lf.aviation, "layout.fire.aviation"
        positive(av.helicopters, f"{w}.helicopters", allow_zero=True)
        check_prob(av.availability, f"{w}.availability")
        for name in ("speed_kmh", "bucket_t", "fill_drop_min"):
            positive(getattr(av, name), f"{w}.{name}")
        for name in ("dispatch_min", "dip_km", "held_m_per_t", "turnaround_min"):
            positive(getattr(av, name), f"{w}.{name}", allow_zero=True)
        if not 0 <= av.daylight_start_h < av.daylight_end_h <= 24:
            raise ConfigError(f"{w}.daylight_start_h/daylight_end_h: need 0 <= start < end <= 24")
    rates = lf.production_m_min_per_person
    for k, v in rates.items():
        positive(v, f"layout.fire.production_m_min_per_person.{k}", allow_zero=True)
    for k, team in lf.teams.items():
        w = f"layout.fire.teams.{k}"
        positive(team.count, f"{w}.count", allow_zero=True)
        positive(team.headcount, f"{w}.headcount")
        positive(team.assembly_min, f"{w}.assembly_min", allow_zero=True)
        positive(team.blowers, f"{w}.blowers", allow_zero=True)
        positive(team.pumps, f"{w}.pumps", allow_zero=True)
        if team.role not in FIRE_TEAM_ROLES:
            raise ConfigError(f"{w}.role='{team.role}': use {' or '.join(FIRE_TEAM_ROLES)}")
        if team.tier not in rates and "default" not in rates:
            raise ConfigError(
                f"{w}.tier='{team.tier}': no rate in layout.fire.production_m_min_per_person"
            )


def _check_fire_scenario(f) -> None:
    if f.mode not in ("season", "extreme_day"):
        raise ConfigError(f"scenario.fire.mode='{f.mode}': use season or extreme_day")
    positive(f.fires_per_10kha_year, "scenario.fire.fires_per_10kha_year", allow_zero=True)
    positive(f.forest_area_ha, "scenario.fire.forest_area_ha", allow_zero=True)
    positive(f.extreme_ignitions_mean, "scenario.fire.extreme_ignitions_mean", allow_zero=True)
    for k, v in f.district_risk.items():
        positive(v, f"scenario.fire.district_risk.{k}", allow_zero=True)
    if not 0 < f.damaged_per_burned <= 1:
        raise ConfigError("scenario.fire.damaged_per_burned: must be within (0, 1]")
    positive(f.fuel_consumed_kg_m2, "scenario.fire.fuel_consumed_kg_m2")
    positive(f.size.log_sd, "scenario.fire.size.log_sd")
    if not f.classes:
        raise ConfigError("scenario.fire.classes: at least one danger class is needed")
    for k, c in f.classes.items():
        positive(c.p_day, f"scenario.fire.classes.{k}.p_day", allow_zero=True)
        positive(c.ignition_weight, f"scenario.fire.classes.{k}.ignition_weight", allow_zero=True)
        positive(c.head_ros_m_min, f"scenario.fire.classes.{k}.head_ros_m_min")
        if c.lb_ratio < 1:
            raise ConfigError(f"scenario.fire.classes.{k}.lb_ratio: must be >= 1")
    if f.mode == "extreme_day" and f.extreme_class not in f.classes:
        raise ConfigError(f"scenario.fire.extreme_class='{f.extreme_class}': not in classes")
    if f.mode == "season":
        if not f.periods:
            raise ConfigError("scenario.fire.periods: a season needs at least one period")
        positive(f.years, "scenario.fire.years")
        total = 0.0
        for name, per in f.periods.items():
            w = f"scenario.fire.periods.{name}"
            positive(per.days, f"{w}.days")
            positive(per.fire_share, f"{w}.fire_share", allow_zero=True)
            total += per.fire_share
            if sum(per.p_day.values()) <= 0:
                raise ConfigError(f"{w}.p_day: shares of danger-class days must not all be 0")
            for c, v in per.p_day.items():
                if c not in f.classes:
                    raise ConfigError(
                        f"{w}.p_day.{c}: no such danger class in scenario.fire.classes"
                    )
                positive(v, f"{w}.p_day.{c}", allow_zero=True)
        if total > 1.0 + 1e-9:
            raise ConfigError(f"scenario.fire.periods: fire_share sums to {total:g} (> 1)")
