"""Mobilisation: alarm -> staged assembly -> departure, slower at night.

A team called out from home assembles in stages (:class:`~sim.config.StageConfig`): each
stage takes a gamma-distributed time (shape 4: right-skewed, rarely below a third of the
mean) and ends with a cumulative share of the headcount assembled. The team leaves when
``depart_share`` of its people are there, with that crew. Without stages a team assembles in
one stage of mean ``assembly_min`` (everyone). Stage times are multiplied by the team's
``night_factor`` when the alarm falls in the night window (off-duty call-out).

Beibei's "252" assembly mechanism (003 L31) is named but not defined in the plan; the
layout models it as a staged mobilisation and labels the stage times as assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.config import MobilisationConfig

if TYPE_CHECKING:
    from sim.core.world import World


@dataclass(frozen=True)
class Stage:
    name: str
    mean_min: float
    share: float


def clock_hour(start_hour: float, t_min: float) -> float:
    """Clock hour (0-24) at simulation minute ``t_min`` for a scenario starting at ``start_hour``."""
    return (start_hour + t_min / 60.0) % 24.0


def is_night(hour: float, cfg: MobilisationConfig) -> bool:
    """Whether clock ``hour`` lies in the night window (which may wrap past midnight)."""
    a, b = cfg.night_start_h, cfg.night_end_h
    return a <= hour < b if a < b else (hour >= a or hour < b)


def stages_of(stages: list, assembly_min: float) -> tuple[Stage, ...]:
    """A team's stages from config; one stage of ``assembly_min`` when none are given."""
    if not stages:
        return (Stage("assembly", float(assembly_min), 1.0),)
    return tuple(Stage(s.name, float(s.mean_min), float(s.share)) for s in stages)


def expected_assembly_min(stages: tuple[Stage, ...], depart_share: float) -> float:
    """Mean time from alarm to departure: the stage means up to the departing share."""
    total = 0.0
    for st in stages:
        total += st.mean_min
        if st.share >= depart_share - 1e-9:
            break
    return total


class Mobiliser:
    """Whether an alarm falls in the night window (the assembly stages themselves are run by
    :class:`sim.rescue.service.RescueService`: gamma draws from ``mobilisation/<team>``)."""

    def __init__(self, world: World, cfg: MobilisationConfig, start_hour: float) -> None:
        self.world = world
        self.cfg = cfg
        self.start_hour = start_hour
        self._a, self._b = cfg.night_start_h, cfg.night_end_h

    def night(self, t_min: float) -> bool:
        """``is_night(clock_hour(start_hour, t_min))``, inlined (asked on every dispatch)."""
        h = (self.start_hour + t_min / 60.0) % 24.0
        a, b = self._a, self._b
        return a <= h < b if a < b else (h >= a or h < b)
