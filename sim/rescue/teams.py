"""Rescue teams: one record per team, built from the layout's team groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import simpy

from sim.config import LayoutConfig
from sim.core.places import expand_homes
from sim.core.world import World
from sim.rescue.access import Plan
from sim.rescue.dispatch import Case
from sim.rescue.mobilisation import Stage, stages_of

if TYPE_CHECKING:
    pass


@dataclass(eq=False)
class Team:
    """One rescue team."""

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
    flags: np.ndarray | None = field(default=None, repr=False)  # service's at-home array
    state: str = "home"  # home, mobilising, travel, scene, returning, resting, idle
    crew: int = 0
    rate: float = 0.0  # work rate on the current scene
    worked: float = 0.0  # minutes of on-scene work since the last rest
    case: Case | None = field(default=None, repr=False)
    pending: Case | None = field(default=None, repr=False)  # re-tasked while returning
    proc: simpy.Process | None = field(default=None, repr=False)
    trip: Trip | None = field(default=None, repr=False)
    plan: Plan | None = field(default=None, repr=False)  # planned at dispatch, for reuse
    classes: list[int] = field(default_factory=list)  # capability classes it can serve

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


@dataclass
class Trip:
    plan: Plan
    origin: int
    dest: int
    depart: float


def make_team(key: str, j: int, count: int, tc, home: int, slot: int, regional=False) -> Team:
    """One team of a config group (``TeamConfig`` or ``AidCentreConfig``)."""
    tid = key if count == 1 else f"{key}_{j + 1:03d}"
    return Team(
        id=tid,
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
