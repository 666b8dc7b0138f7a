"""HazardEvent types: the only thing hazard generators and response processes share.

A hazard module returns a time-ordered list of these; the response side reacts to them
without knowing which hazard produced them. Times are minutes since scenario start.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class HazardEvent:
    """Base class: something the hazard does at time ``t`` (minutes)."""

    t: float
    hazard: str  # name of the hazard process that produced it, e.g. "storm"


# Warning level of the plans' 45-minute target (强对流天气预警, 000 L164): the warning-lead KPI
# counts only warnings of this level.
SEVERE_CONVECTION = "severe convection"


@dataclass(frozen=True)
class WarningIssued(HazardEvent):
    """A warning is issued ``lead_min`` before the expected impact on ``nodes``."""

    lead_min: float = 0.0
    nodes: tuple[str, ...] = ()
    level: str = ""


@dataclass(frozen=True)
class Incident(HazardEvent):
    """People need rescue at ``node``.

    ``work_min``: on-scene work a reference crew (``ref_crew`` people) needs; a bigger crew
    works proportionally faster up to the cap set by the response side.
    ``window_min``: time from occurrence ``t`` within which rescue is still life-saving.
    ``report_delay_min``: time between occurrence ``t`` and the alarm reaching the district.
    """

    id: str = ""
    node: str = ""
    kind: str = "rescue"
    severity: int = 1
    people: int = 0
    capabilities: tuple[str, ...] = ()
    work_min: float = 60.0
    window_min: float = 360.0
    report_delay_min: float = 0.0


@dataclass(frozen=True)
class RoadClosure(HazardEvent):
    """Road ``u``--``v`` is blocked; it clears on its own after ``clear_min`` (inf: needs repair)

    ``repair_min`` is the work a road-repair crew needs to reopen it (used by repair crews).
    """

    u: str = ""
    v: str = ""
    cause: str = ""
    clear_min: float = float("inf")
    repair_min: float = 0.0


@dataclass(frozen=True)
class Ignition(HazardEvent):
    """A forest fire starts in forest zone ``zone`` (a network node) at time ``t``.

    Fire behaviour comes with it: head rate of spread (m/min at the day's peak),
    length-to-breadth ratio, the fire-danger class of the day and the clock hour at ``t``.
    """

    id: str = ""
    zone: str = ""
    danger: str = ""
    head_ros_m_min: float = 1.0
    lb_ratio: float = 2.0
    clock_h: float = 12.0


@dataclass(frozen=True)
class CasualtyRule:
    """How people caught by an evacuation's hazard are followed up: each group becomes
    rescue :class:`Incident` s of at most ``max_people`` needing ``capabilities``, with a
    survival window from the moment they were caught (``trapped_window_min`` where they were,
    ``swept_window_min`` on a road) and ``work_min_per_person`` for a reference crew."""

    capabilities: tuple[str, ...] = ("water_rescue",)
    trapped_window_min: float = 720.0
    swept_window_min: float = 180.0
    work_min_per_person: float = 20.0
    max_people: int = 20
    report_delay_min_mean: float = 15.0


@dataclass(frozen=True)
class EvacuationOrder(HazardEvent):
    """People at risk must leave before the expected impact (紧急转移).

    ``at_risk``: (node id, people) of the towns/streets whose hazard zone must be cleared.
    ``impact_t``: forecast impact time (minutes). ``unsafe_nodes``: nodes wholly inside the
    zone (no shelter there is usable; people leave them by road). ``plan_people``: the plan's
    relocation standard for comparison (0: none).
    """

    id: str = ""
    kind: str = ""
    impact_t: float = float("inf")
    at_risk: tuple[tuple[str, int], ...] = ()
    unsafe_nodes: tuple[str, ...] = ()
    plan_people: int = 0
    casualties: CasualtyRule | None = None  # None: caught people are not followed up


@dataclass(frozen=True)
class ZoneImpact(HazardEvent):
    """The hazard of order ``order`` reaches the at-risk area of town ``node`` now."""

    order: str = ""
    node: str = ""


@dataclass(frozen=True)
class Timeline:
    """All hazard events of one replication, sorted by time."""

    events: tuple[HazardEvent, ...] = field(default_factory=tuple)

    def of_type(self, typ: type) -> list:
        """The events that are instances of ``typ``."""
        return [e for e in self.events if isinstance(e, typ)]
