"""Signals between response modules (published on the World bus, like hazard events).

They let one module react to another without importing it: evacuation publishes
:class:`PeopleSheltered`, relief logistics subscribes to it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PeopleSheltered:
    """``people`` arrived at shelter ``shelter`` (asset id) at network node ``node``."""

    t: float
    shelter: str
    node: str
    people: int
    origin: str = ""  # town/street node id they came from
    shelter_type: str = ""  # emergency | short_term | long_term


@dataclass(frozen=True)
class PeopleLeftShelter:
    """``people`` left shelter ``shelter`` (moved on to another shelter or went home)."""

    t: float
    shelter: str
    node: str
    people: int
    destination: str = ""
