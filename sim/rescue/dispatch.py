"""Dispatch: the incident queue and pluggable policies that pick teams for incidents.

Incidents ("cases") wait in a priority queue (severity first, then alarm time). The queue is
split by *capability class* (the set of capabilities a case needs) and by *level* (how far
up the tiers a case has escalated), with a further split by node for teams that only serve
their own town. A team that becomes free therefore looks only at the heads of the few heaps
it can serve (classes x levels), never at all waiting incidents; a new or escalated case
is matched against the free teams of its class by expected arrival.

Invariant between events: no free team can serve any waiting case it can reach. Every event
that could break it (case arrives or escalates, team freed/rested/activated, roads change)
runs a match.

Policies (``layout.rescue.dispatch``):

- ``nearest``: nearest free capable team by travel time, any tier;
- ``tiered``: escalation village -> town -> district -> regional. A case starts at a level
  set by its severity and rises one level each ``escalate_after_min`` it waits; teams of a
  tier above the case's level are not sent; village/town teams serve only their own town;
- ``capability``: nearest, plus a penalty per capability the team has that the case does
  not need (keeps scarce hazmat/water teams free for cases that need them).

All policies match capabilities (a team must have every capability a case needs) and send
``ceil(people / people_per_team)`` teams (at most ``max_teams_per_incident``).
"""

from __future__ import annotations

import math
from bisect import insort
from collections.abc import Iterator

import numpy as np

from sim.config import RescueConfig
from sim.core.events import Incident


class Case:
    """Response-side state of one incident (a plain class with slots: one per incident)."""

    __slots__ = (
        "inc",
        "seq",
        "node",
        "cls",
        "alarm",
        "needed",
        "level",
        "assigned",
        "work_left",
        "rate",
        "last_t",
        "version",
        "qgen",
        "done",
        "first_arrival",
        "escalating",
        "teams",
        "on_scene",
        "waiters",
        "prio",
    )

    def __init__(
        self,
        inc: Incident,
        seq: int,
        node: int,
        cls: int,
        alarm: float,
        needed: int,
        level: int = 0,
        work_left: float = 0.0,
        last_t: float = 0.0,
    ) -> None:
        self.inc = inc
        self.seq = seq
        self.node = node
        self.cls = cls
        self.alarm = alarm
        self.needed = needed
        self.level = level
        self.assigned = 0  # teams committed (mobilising, travelling or on scene)
        self.work_left = work_left  # reference-crew minutes still to do
        self.rate = 0.0  # sum of the on-scene teams' work rates
        self.last_t = last_t
        self.version = 0
        self.qgen = 0  # queue entries carry the generation they were pushed with
        self.done = False
        self.first_arrival = math.nan
        self.escalating = False  # an escalation timer is running
        self.teams: set[int] = set()  # slots committed
        self.on_scene: set[int] = set()
        self.waiters: list = []  # teams on scene waiting for the end of the work, in order
        self.prio: tuple = (-inc.severity, alarm, seq)  # queue order: severity, then alarm

    @property
    def open(self) -> bool:
        """Still needs another team."""
        return not self.done and self.assigned < self.needed

    def __repr__(self) -> str:
        return f"Case({self.inc.id}, node={self.node}, assigned={self.assigned}/{self.needed})"


class Policy:
    """Nearest available capable team (the base policy)."""

    name = "nearest"

    def __init__(self, cfg: RescueConfig) -> None:
        self.cfg = cfg

    @property
    def max_level(self) -> int:
        return 0

    def team_level(self, tier: str) -> int:
        return 0

    def is_local(self, tier: str) -> bool:
        return False

    def start_level(self, inc: Incident) -> int:
        return 0

    @property
    def escalate_after_min(self) -> float | None:
        return None

    def cost(self, times: np.ndarray, spare: np.ndarray) -> np.ndarray:
        """Ranking cost of each team for a case (``times``: travel minutes, inf = cannot)."""
        return times

    def teams_needed(self, inc: Incident) -> int:
        c = self.cfg
        return int(min(c.max_teams_per_incident, max(1, math.ceil(inc.people / c.people_per_team))))


class TieredPolicy(Policy):
    """Escalation village -> town -> district -> regional; local tiers serve their town."""

    name = "tiered"

    @property
    def max_level(self) -> int:
        return max(self.cfg.tiered.levels.values(), default=0)

    def team_level(self, tier: str) -> int:
        return int(self.cfg.tiered.levels[tier])

    def is_local(self, tier: str) -> bool:
        return tier in self.cfg.tiered.local_tiers

    def start_level(self, inc: Incident) -> int:
        sl = self.cfg.tiered.start_level
        return int(sl[min(max(inc.severity, 1), len(sl)) - 1])

    @property
    def escalate_after_min(self) -> float | None:
        return self.cfg.tiered.escalate_after_min


class CapabilityPolicy(Policy):
    """Nearest, penalising capabilities the case does not need."""

    name = "capability"

    def cost(self, times: np.ndarray, spare: np.ndarray) -> np.ndarray:
        return times + self.cfg.capability_penalty_min * spare


POLICIES: dict[str, type[Policy]] = {
    "nearest": Policy,
    "tiered": TieredPolicy,
    "capability": CapabilityPolicy,
}


def make_policy(cfg: RescueConfig) -> Policy:
    return POLICIES[cfg.dispatch](cfg)


class WaitQueue:
    """Open cases by (class, level) and, for local teams, by (class, level, node).

    Each part is a list kept sorted by priority (``bisect.insort``): a team scans it in
    order without taking entries off and putting them back. Entries are
    ``(prio, gen, level, case)``; an entry is valid while the case is open, still at that
    level and ``gen == case.qgen`` (re-pushing a case invalidates its old entries); invalid
    entries are dropped when a scan meets them.
    """

    def __init__(self, with_local: bool) -> None:
        self.glob: dict[tuple[int, int], list] = {}
        self.local: dict[tuple[int, int, int], list] | None = {} if with_local else None
        self.pushes = 0  # entries pushed ...
        self.pops = 0  # ... and dropped once void: the upkeep of the queue

    def push(self, case: Case) -> None:
        case.qgen += 1
        self.pushes += 1
        entry = (case.prio, case.qgen, case.level, case)
        part = self.glob.get((case.cls, case.level))
        if part is None:
            self.glob[(case.cls, case.level)] = [entry]
        elif not part or part[-1] < entry:
            part.append(entry)  # (the usual case: later than every entry there)
        else:
            insort(part, entry)
        if self.local is not None:
            insort(self.local.setdefault((case.cls, case.level, case.node), []), entry)

    @staticmethod
    def _valid(entry) -> bool:
        _, gen, level, case = entry
        return (
            not case.done
            and case.assigned < case.needed
            and gen == case.qgen
            and level == case.level
        )

    def _parts(self, classes: list[int], levels: range, node: int | None) -> list[list]:
        parts = []
        for c in classes:
            for lv in levels:
                h = (
                    self.glob.get((c, lv)) if node is None else self.local.get((c, lv, node))  # type: ignore[union-attr]
                )
                if h:
                    parts.append(h)
        return parts

    def _head(self, part: list, i: int) -> tuple | None:
        """The first valid entry of ``part`` from index ``i`` (void ones are dropped)."""
        valid = self._valid
        while i < len(part):
            if valid(part[i]):
                return part[i]
            del part[i]
            self.pops += 1
        return None

    def candidates(self, classes: list[int], levels: range, node: int | None) -> Iterator[Case]:
        """Open cases a team can serve, best first (the queue is left as it is; the caller
        must not push while it scans)."""
        parts = self._parts(classes, levels, node)
        head = self._head
        if len(parts) == 1:
            part, i = parts[0], 0
            while True:
                e = head(part, i)  # (voids dropped: the entry is at index i)
                if e is None:
                    return
                yield e[3]
                i += 1
        pos = [0] * len(parts)
        while True:
            best, best_k = None, -1
            for k, part in enumerate(parts):
                e = head(part, pos[k])
                if e is not None and (best is None or e < best):
                    best, best_k = e, k
            if best is None:
                return
            yield best[3]
            pos[best_k] += 1

    def first(self, classes: list[int], levels: range, node: int | None) -> Case | None:
        """The best open case a team can serve: what :meth:`candidates` yields first."""
        if node is None and len(classes) == 1 and len(levels) == 1:
            part = self.glob.get((classes[0], levels[0]))  # (one part: its head)
            while part:
                e = part[0]
                c = e[3]
                if not c.done and c.assigned < c.needed and e[1] == c.qgen and e[2] == c.level:
                    return c
                del part[0]  # void entry
                self.pops += 1
            return None
        best = None
        for part in self._parts(classes, levels, node):
            e = self._head(part, 0)
            if e is not None and (best is None or e < best):
                best = e
        return None if best is None else best[3]
