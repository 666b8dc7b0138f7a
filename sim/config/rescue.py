"""``layout.rescue``: dispatch, access modes, mutual aid and road-repair crews."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from omegaconf import MISSING

from sim.config.checks import ConfigError, positive
from sim.config.teams import MobilisationConfig, TieredConfig, _check_capabilities, _team_checks

if TYPE_CHECKING:
    from sim.config.layout import LayoutConfig


@dataclass
class AccessConfig:
    """How teams reach places the roads do not (sim/rescue/access.py)."""

    walk_kmh: float = 3.0  # on foot over blocked (not flooded) roads
    air_kmh: float = 200.0
    air_overhead_min: float = 15.0  # launch, landing/hoist set-up
    boat_kmh: float = 20.0
    boat_launch_min: float = 15.0
    river_sinuosity: float = 1.3  # river distance / straight line between water nodes
    water_nodes: list[str] = field(default_factory=list)  # nodes reachable by boat
    # ASSUMPTION: driving within the town/street to the scene (trip from a node to itself)
    local_min: float = 10.0
    # ASSUMPTION: no helicopter take-offs at night (start == end: flights at any hour) nor
    # while a storm section's impact window is active
    air_night_start_h: float = 20.0
    air_night_end_h: float = 6.0


@dataclass
class AidCentreConfig:
    """A regional emergency centre or neighbouring district that sends teams on request."""

    node: str = MISSING  # usually an external node ext_*
    tier: str = "regional"
    count: int = 1
    headcount: int = MISSING
    capabilities: list[str] = field(default_factory=lambda: ["rescue"])
    modes: list[str] = field(default_factory=lambda: ["road", "foot"])
    vehicles: int = 1
    activation_min: float = 120.0  # mean request -> departure
    source: str = ""


@dataclass
class MutualAidConfig:
    """When and from where mutual aid is requested (sim/rescue/mutual_aid.py)."""

    trigger_waiting: int = 3  # incidents waiting with no local team free
    trigger_wait_min: float = 60.0  # ... or one incident waiting this long
    re_request_min: float = 120.0  # pressure persists this long: ask the next centre
    centres: dict[str, AidCentreConfig] = field(default_factory=dict)


@dataclass
class RepairCrewConfig:
    """A group of identical road-repair crews (sim/rescue/repair.py)."""

    home: str = MISSING
    count: int = 1
    productivity: float = 1.0  # repair work per minute relative to the reference crew
    mobilise_min: float = 60.0  # mean call-out time
    source: str = ""


@dataclass
class RepairConfig:
    priority: str = "isolation"  # isolation (reconnect most people first) | fifo
    crews: dict[str, RepairCrewConfig] = field(default_factory=dict)


@dataclass
class RescueConfig:
    dispatch: str = "nearest"  # dispatch policy name (sim.rescue.dispatch.POLICIES)
    response_standard_min: float = 60.0
    max_crew_speedup: float = 3.0  # on-scene work scales with crew size up to this factor
    ref_crew: int = 10
    people_per_team: float = 10.0  # big incidents get ceil(people / this) teams ...
    max_teams_per_incident: int = 4  # ... up to this many
    capability_penalty_min: float = 10.0  # policy 'capability': minutes per spare capability
    tiered: TieredConfig = field(default_factory=TieredConfig)
    mobilisation: MobilisationConfig = field(default_factory=MobilisationConfig)
    access: AccessConfig = field(default_factory=AccessConfig)


DISPATCH_POLICIES = ("nearest", "tiered", "capability")

REPAIR_PRIORITIES = ("isolation", "fifo")


def validate_rescue(layout: LayoutConfig) -> None:
    """Checks of the rescue part of a layout: teams, dispatch, mutual aid, repair crews."""
    r = layout.rescue
    if r.dispatch not in DISPATCH_POLICIES:
        raise ConfigError(
            f"layout.rescue.dispatch='{r.dispatch}': must be one of {', '.join(DISPATCH_POLICIES)}"
        )
    positive(r.people_per_team, "layout.rescue.people_per_team")
    positive(r.max_teams_per_incident, "layout.rescue.max_teams_per_incident")
    positive(r.capability_penalty_min, "layout.rescue.capability_penalty_min", allow_zero=True)
    t = r.tiered
    if not t.start_level or any(lv < 0 for lv in t.start_level):
        raise ConfigError("layout.rescue.tiered.start_level: list of levels >= 0 by severity")
    neg = sorted(k for k, lv in t.levels.items() if lv < 0)
    if neg:
        raise ConfigError(f"layout.rescue.tiered.levels.{neg[0]}: must be >= 0")
    top = max(t.levels.values(), default=0)
    if any(lv > top for lv in t.start_level):
        raise ConfigError(f"layout.rescue.tiered.start_level: levels must be within 0..{top}")
    positive(t.escalate_after_min, "layout.rescue.tiered.escalate_after_min")
    m = r.mobilisation
    for name in ("night_start_h", "night_end_h"):
        if not 0 <= getattr(m, name) < 24:
            raise ConfigError(f"layout.rescue.mobilisation.{name}: must be within [0, 24)")
    positive(m.max_duty_h, "layout.rescue.mobilisation.max_duty_h", allow_zero=True)
    positive(m.rest_h, "layout.rescue.mobilisation.rest_h", allow_zero=True)
    a = r.access
    for name in ("walk_kmh", "air_kmh", "boat_kmh"):
        positive(getattr(a, name), f"layout.rescue.access.{name}")
    if a.river_sinuosity < 1:
        raise ConfigError("layout.rescue.access.river_sinuosity: must be >= 1")
    positive(a.local_min, "layout.rescue.access.local_min", allow_zero=True)
    for name in ("air_night_start_h", "air_night_end_h"):
        if not 0 <= getattr(a, name) < 24:
            raise ConfigError(f"layout.rescue.access.{name}: must be within [0, 24)")
    tiers = {tc.tier for tc in layout.teams.values()}
    if layout.mutual_aid is not None:
        tiers |= {c.tier for c in layout.mutual_aid.centres.values()}
    if r.dispatch == "tiered":
        missing = sorted(tiers - set(t.levels))
        if missing:
            raise ConfigError(
                f"layout.rescue.tiered.levels: no level for tier '{missing[0]}' (used by a team)"
            )
    for key, tc in layout.teams.items():
        f = f"layout.teams.{key}"
        _team_checks(f, tc.headcount, tc.count, tc.modes, tc.vehicles)
        _check_capabilities(tc.capabilities, f"{f}.capabilities")
        if not 0 < tc.depart_share <= 1:
            raise ConfigError(f"{f}.depart_share={tc.depart_share}: must be within (0, 1]")
        if tc.night_factor < 1:
            raise ConfigError(f"{f}.night_factor={tc.night_factor}: must be >= 1")
        last = 0.0
        for i, st in enumerate(tc.stages):
            positive(st.mean_min, f"{f}.stages[{i}].mean_min", allow_zero=True)
            if not last <= st.share <= 1:
                raise ConfigError(
                    f"{f}.stages[{i}].share={st.share}: shares must rise within [0, 1]"
                )
            last = st.share
        if tc.stages and last < tc.depart_share:
            raise ConfigError(f"{f}.stages: never reach depart_share={tc.depart_share}")
    aid = layout.mutual_aid
    if aid is not None:
        positive(aid.trigger_waiting, "layout.mutual_aid.trigger_waiting")
        positive(aid.trigger_wait_min, "layout.mutual_aid.trigger_wait_min")
        positive(aid.re_request_min, "layout.mutual_aid.re_request_min")
        for key, c in aid.centres.items():
            f = f"layout.mutual_aid.centres.{key}"
            _team_checks(f, c.headcount, c.count, c.modes, c.vehicles)
            _check_capabilities(c.capabilities, f"{f}.capabilities")
            positive(c.activation_min, f"{f}.activation_min", allow_zero=True)
    rep = layout.repair
    if rep is not None:
        if rep.priority not in REPAIR_PRIORITIES:
            raise ConfigError(
                f"layout.repair.priority='{rep.priority}': "
                f"must be one of {', '.join(REPAIR_PRIORITIES)}"
            )
        for key, c in rep.crews.items():
            f = f"layout.repair.crews.{key}"
            positive(c.count, f"{f}.count", allow_zero=True)
            positive(c.productivity, f"{f}.productivity")
            positive(c.mobilise_min, f"{f}.mobilise_min", allow_zero=True)
