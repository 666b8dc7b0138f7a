"""``layout.teams``: rescue team tiers, their staged mobilisation and capabilities."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING

from sim.config.checks import ConfigError, positive


@dataclass
class StageConfig:
    """One stage of a team's staged mobilisation (alarm -> stages -> departure).

    Stages run one after the other; ``mean_min`` is the mean duration of this stage and
    ``share`` the cumulative share of the headcount assembled when it ends.
    """

    name: str = "assembly"
    mean_min: float = MISSING
    share: float = 1.0


@dataclass
class TieredConfig:
    """Tiered escalation village -> town -> district -> regional (dispatch policy 'tiered')."""

    levels: dict[str, int] = field(
        default_factory=lambda: {
            "village": 0,
            "town": 1,
            "district": 2,
            "professional": 2,
            "fire_rescue": 2,
            "militia": 2,
            "regional": 3,
        }
    )
    local_tiers: list[str] = field(default_factory=lambda: ["village", "town"])
    start_level: list[int] = field(default_factory=lambda: [0, 1, 2])  # by severity 1, 2, 3+
    escalate_after_min: float = 30.0  # waiting this long without a team raises the level


@dataclass
class MobilisationConfig:
    """Time of day and work/rest limits of mobilisation (sim/rescue/mobilisation.py)."""

    night_start_h: float = 22.0
    night_end_h: float = 6.0
    max_duty_h: float = 0.0  # a team on duty this long is relieved to rest (0 = no limit)
    rest_h: float = 8.0


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
    stages: list[StageConfig] = field(default_factory=list)  # staged mobilisation ([]: one)
    depart_share: float = 1.0  # leaves once this share of the headcount has assembled
    night_factor: float = 1.0  # stage times x this for alarms at night (off-duty call-out)
    vehicles: int = 1  # 0: moves on foot only
    modes: list[str] = field(default_factory=lambda: ["road", "foot"])  # road foot water air
    source: str = ""


TRAVEL_MODES = ("road", "foot", "water", "air")

# capability names teams have and incidents need (scenarios/*.py, conf/layout, conf/scenario)
CAPABILITIES = ("rescue", "water_rescue", "collapse", "hazmat", "medical", "forest")


def _check_capabilities(caps: list[str], name: str) -> None:
    bad = [c for c in caps if c not in CAPABILITIES]
    if bad:
        raise ConfigError(f"{name}: unknown capability '{bad[0]}' (use {', '.join(CAPABILITIES)})")


def _team_checks(f: str, headcount: int, count: int, modes: list[str], vehicles: int) -> None:
    positive(count, f"{f}.count", allow_zero=True)
    positive(headcount, f"{f}.headcount")
    positive(vehicles, f"{f}.vehicles", allow_zero=True)
    bad = [m for m in modes if m not in TRAVEL_MODES]
    if bad or not modes:
        raise ConfigError(f"{f}.modes={modes}: use one or more of {', '.join(TRAVEL_MODES)}")
