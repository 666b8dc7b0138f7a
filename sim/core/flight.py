"""When aircraft (and other weather- or daylight-limited craft) may set off.

One rule for every module that flies: no departures between ``night_start_h`` and
``night_end_h`` (clock hours; equal values: no night limit) nor inside a no-go window such
as a storm's impact period. :meth:`OperatingWindow.resumes` gives the first time at or after
``t`` when a departure is allowed; a craft that is ready earlier waits on the ground.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.config import ScenarioConfig


@dataclass
class OperatingWindow:
    """Clock-hour night limit plus no-go windows ``[t0, t1)`` in scenario minutes."""

    start_hour: float = 8.0  # clock hour at scenario minute 0
    night_start_h: float = 0.0
    night_end_h: float = 0.0
    no_go: list[tuple[float, float]] = field(default_factory=list)

    def night_left(self, t: float) -> float:
        """Minutes from ``t`` to the end of the night, 0 if ``t`` is not at night."""
        s, e = self.night_start_h, self.night_end_h
        if s == e:
            return 0.0
        h = (self.start_hour + t / 60.0) % 24.0
        night = (s <= h or h < e) if s > e else (s <= h < e)
        return ((e - h) % 24.0) * 60.0 if night else 0.0

    def resumes(self, t: float) -> float:
        """The first time at or after ``t`` when a departure is allowed."""
        for _ in range(4 + 2 * len(self.no_go)):
            t0 = t
            for a, b in self.no_go:
                if a <= t < b:
                    t = b
            t += self.night_left(t)
            if t == t0:
                break
        return t


def storm_windows(scenario: ScenarioConfig) -> list[tuple[float, float]]:
    """Impact windows (minutes) of the scenario's storm sections (alone or in a cascade)."""
    out = []
    cascade = scenario.cascade
    for s in (scenario.storm, cascade.storm if cascade is not None else None):
        if s is not None:
            t0 = s.impact_start_h * 60.0
            out.append((t0, t0 + s.duration_h * 60.0))
    return out
