"""``layout.fire``: forest-fire teams, detection and suppression (the scenario part is in hazards)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sim.config.checks import ConfigError, positive
from sim.config.teams import TeamConfig

if TYPE_CHECKING:
    from sim.config import Config


@dataclass
class FireDetectionConfig:
    camera_zones: list[str] = field(default_factory=list)  # zones under 24 h video/infrared watch
    camera_delay_min_mean: float = 10.0
    other_delay_min_mean: float = 45.0  # lookouts, patrols, public reports


@dataclass
class FireLayoutConfig:
    """Forest-fire forces and suppression settings of a layout."""

    teams: dict[str, TeamConfig] = field(default_factory=dict)
    production_m_min_per_person: dict[str, float] = field(default_factory=dict)  # by tier
    detection: FireDetectionConfig = field(default_factory=FireDetectionConfig)
    initial_attack_teams: int = 2
    max_teams_per_fire: int = 6
    attack: str = "rear"  # rear | head
    max_ia_hours: float = 8.0
    max_ia_area_ha: float = 404.7
    walk_speed_kmh: float = 2.0
    water_distance_km: float = 2.0
    water_dependent_share: float = 0.5
    rest_ratio: float = 0.5  # hours of rest per hour worked before the next call-out
    diurnal_peak_hour: float = 15.0
    diurnal_min_multiplier: float = 0.3
    ea_p_contain_per_day: float = 0.3


def validate_fire(cfg: Config) -> None:
    """Checks of the forest-fire sections."""
    f = cfg.scenario.fire
    if f is not None:
        if f.mode not in ("season", "extreme_day"):
            raise ConfigError(f"scenario.fire.mode='{f.mode}': use season or extreme_day")
        positive(f.season_days, "scenario.fire.season_days")
        positive(f.fires_per_season, "scenario.fire.fires_per_season", allow_zero=True)
        positive(f.extreme_ignitions_mean, "scenario.fire.extreme_ignitions_mean", allow_zero=True)
        if not f.classes:
            raise ConfigError("scenario.fire.classes: at least one danger class is needed")
        for k, c in f.classes.items():
            positive(c.p_day, f"scenario.fire.classes.{k}.p_day", allow_zero=True)
            positive(c.head_ros_m_min, f"scenario.fire.classes.{k}.head_ros_m_min")
            if c.lb_ratio < 1:
                raise ConfigError(f"scenario.fire.classes.{k}.lb_ratio: must be >= 1")
        if sum(c.p_day for c in f.classes.values()) <= 0:
            raise ConfigError("scenario.fire.classes: p_day must not all be 0")
        for name in ("start_clock_h", "ignition_hour_mean"):
            if not 0 <= getattr(f, name) < 24:
                raise ConfigError(
                    f"scenario.fire.{name}={getattr(f, name)}: must be within [0, 24)"
                )
        if f.mode == "extreme_day" and f.extreme_class not in f.classes:
            raise ConfigError(f"scenario.fire.extreme_class='{f.extreme_class}': not in classes")
    lf = cfg.layout.fire
    if lf is not None:
        if lf.attack not in ("rear", "head"):
            raise ConfigError(f"layout.fire.attack='{lf.attack}': use rear or head")
        for name in ("max_ia_hours", "max_ia_area_ha", "walk_speed_kmh"):
            positive(getattr(lf, name), f"layout.fire.{name}")
        positive(lf.initial_attack_teams, "layout.fire.initial_attack_teams", allow_zero=True)
        positive(lf.water_distance_km, "layout.fire.water_distance_km", allow_zero=True)
        if not 0 <= lf.water_dependent_share <= 1:
            raise ConfigError("layout.fire.water_dependent_share: must be within [0, 1]")
        # ASSUMPTION: floors of 1% (night-time spread as a share of the afternoon peak; daily
        # chance that an escaped fire is contained, i.e. 100 days expected): smaller values
        # describe no fire and overflow the growth model
        if not 0.01 <= lf.diurnal_min_multiplier <= 1:
            raise ConfigError(
                f"layout.fire.diurnal_min_multiplier={lf.diurnal_min_multiplier}: "
                "must be within [0.01, 1] (a share of the afternoon peak)"
            )
        if not 0 <= lf.diurnal_peak_hour < 24:
            raise ConfigError(
                f"layout.fire.diurnal_peak_hour={lf.diurnal_peak_hour}: must be within [0, 24)"
            )
        if not 0.01 <= lf.ea_p_contain_per_day <= 1:
            raise ConfigError(
                f"layout.fire.ea_p_contain_per_day={lf.ea_p_contain_per_day}: "
                "must be within [0.01, 1]"
            )
        positive(lf.max_teams_per_fire, "layout.fire.max_teams_per_fire")
        for tier, rate in lf.production_m_min_per_person.items():
            positive(rate, f"layout.fire.production_m_min_per_person.{tier}")
        for k, team in lf.teams.items():
            positive(team.count, f"layout.fire.teams.{k}.count", allow_zero=True)
            positive(team.headcount, f"layout.fire.teams.{k}.headcount")
            if team.tier not in lf.production_m_min_per_person and (
                "default" not in lf.production_m_min_per_person
            ):
                raise ConfigError(
                    f"layout.fire.teams.{k}.tier='{team.tier}': no rate in "
                    "layout.fire.production_m_min_per_person"
                )
