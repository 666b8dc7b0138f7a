"""Rescue teams: one record per team, built from the layout's team groups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.config import LayoutConfig
from sim.core.places import expand_homes
from sim.core.streams import unit_id, unit_stream
from sim.core.world import World
from sim.rescue.access import Plan
from sim.rescue.dispatch import Case
from sim.rescue.mobilisation import Stage, stages_of

if TYPE_CHECKING:
    pass


@dataclass(eq=False, slots=True)
class Team:
    """One rescue team, and where it is in its cycle (driven by the RescueService)."""

    id: str
    tier: str
    home: int
    headcount: int
    capabilities: frozenset[str]
    assembly_min: float
    stages: tuple[Stage, ...] = ()
    depart_share: float = 1.0
    night_factor: float = 1.0
    vehicles: int = 1
    modes: frozenset[str] = frozenset({"road", "foot"})
    regional: bool = False  # mutual-aid team: joins the pool only when activated
    slot: int = 0
    location: int = 0
    _at_home: bool = True  # stood down at home: the next call-out needs assembly
    flags: list[bool] | None = field(default=None, repr=False)  # service's at-home list
    state: str = "home"  # home, mobilising, travel, scene, returning, resting, idle
    crew: int = 0
    rate: float = 0.0  # work rate on the current scene
    work_rate: float = 0.0  # what its crew does on a scene (crew / ref_crew, capped)
    worked: float = 0.0  # minutes of on-scene work since the last rest
    case: Case | None = field(default=None, repr=False)
    pending: Case | None = field(default=None, repr=False)  # re-tasked while returning
    # the trip under way: its plan (RescueService._plan_of: a plain road trip as a tuple)
    trip: Plan | tuple | None = field(default=None, repr=False)
    plan: Plan | None = field(default=None, repr=False)  # planned at dispatch, for reuse
    classes: list[int] = field(default_factory=list)  # capability classes it can serve
    # the cycle as the service runs it (one activity at a time: task, return or rest)
    act: int = 0  # id of the running activity, 0 if none
    phase: int = 0  # what the activity waits for (service.py: START, ASSEMBLY, TRIP, ...)
    ev: Any = field(default=None, repr=False)  # the call the activity waits for
    rng: Any = field(default=None, repr=False)  # its mobilisation stream
    stream: str = ""  # the name it draws under (streams.unit_stream; "" = its id)
    stage: int = 0  # assembly stage under way
    share: float = 0.0  # share of the headcount assembled
    factor: float = 1.0  # night factor of this call-out
    go_dest: int = -1  # travel: destination, log reference, scene trip, stop, then
    go_ref: str = ""
    go_local: bool = False
    go_stop: bool = False
    go_node: int = -1
    go_end: float = 0.0
    go_then: Callable[[Team, bool], None] | None = field(default=None, repr=False)
    on_scene_since: float = 0.0
    cond: bool = False  # on scene: the end of its part (work done or duty over) has come

    def __post_init__(self) -> None:
        if not self.stages:
            self.stages = stages_of([], self.assembly_min)
        self.crew = self.headcount

    @property
    def at_home(self) -> bool:
        """Stood down at home: the next call-out needs assembly."""
        return self._at_home

    @at_home.setter
    def at_home(self, value: bool) -> None:
        self._at_home = value
        if self.flags is not None:  # keep the dispatcher's vector in step
            self.flags[self.slot] = value


def make_team(key: str, j: int, count: int, tc, home: int, slot: int, regional=False) -> Team:
    """One team of a config group (``TeamConfig`` or ``AidCentreConfig``)."""
    return Team(
        id=unit_id(key, j, count),
        stream=unit_stream(key, j),
        tier=tc.tier,
        home=home,
        headcount=tc.headcount,
        capabilities=frozenset(tc.capabilities),
        assembly_min=getattr(tc, "assembly_min", 0.0),
        stages=stages_of(getattr(tc, "stages", []), getattr(tc, "assembly_min", 0.0)),
        depart_share=getattr(tc, "depart_share", 1.0),
        night_factor=getattr(tc, "night_factor", 1.0),
        vehicles=tc.vehicles,
        modes=frozenset(tc.modes),
        regional=regional,
        slot=slot,
        location=home,
    )


def build_teams(layout: LayoutConfig, world: World) -> list[Team]:
    """Expand the layout's team groups into individual teams at their home nodes.

    ``home: each_town`` spreads a group over the towns/streets, most populous first (one
    each; the remainder goes round again).
    """
    teams: list[Team] = []
    for key, tc in layout.teams.items():
        homes = expand_homes(world.net, f"layout.teams.{key}", tc.home, tc.count)
        for j, h in enumerate(homes):
            team = make_team(key, j, tc.count, tc, h, len(teams))
            teams.append(team)
            world.assets.add("team", team, team.id, h)
    return teams
