"""How a fire ends, given the units that reach it: the deterministic outcome model.

Pure functions (no SimPy). The service and the dispatcher share :func:`predict`, so what the
dispatcher predicts for a set of units is exactly what then happens; the random parts (call-out
delays, the distance to water, the escaped fire's final size, the night it is held) are drawn
per fire from named streams before any prediction (common random numbers).

* **Initial attack** (Fried & Fried 1996, ``sim.fire.containment.contain``) with the Chinese
  direct-attack kit: hand tools (二号工具) and wind blowers (风力灭火机) along the flanks, portable
  pumps once their hose reaches the fire from the water source, helicopters with buckets in
  daylight. Ground kit works only below its flame-length limit (flank flame length from
  Byram's fireline intensity). A fire not contained within ``max_ia_hours`` escapes.
* **Extended attack**: the escaped fire ends at a size drawn from the recorded size
  distribution of fires larger than its size at escape (capped by the zone's forest left); it
  is held on the first night the weather allows (daily probability, Finney et al. 2009) and not
  before all units have built line along its final perimeter.
* **Mop-up** (清理余火) by the local teams on scene: work proportional to the edge, done faster
  by more people up to one person per ``mopup_m_per_person`` of edge.

Every step is monotone: earlier or stronger units never make a fire end later or larger
(tests/test_fire.py). Sources and assumptions: docs/fire_model.md.
"""

from __future__ import annotations

import math
from bisect import insort
from collections.abc import Sequence
from dataclasses import dataclass, field

from scipy.special import ndtr, ndtri

from sim.fire.containment import FireSpread, Resource, _Ellipse, contain

#: Low heat of combustion of forest fuels, kJ/kg (Byram 1959; Alexander 1982: ~18,000 and
#: nearly constant across fuels).
HEAT_KJ_KG = 18000.0

LOCAL, REINFORCEMENT, AVIATION = "local", "reinforcement", "aviation"


def flame_length_m(ros_m_min: float, fuel_kg_m2: float) -> float:
    """Byram (1959) flame length L = 0.0775 I^0.46 (m), I = H w R / 60 (kW/m)."""
    intensity = HEAT_KJ_KG * fuel_kg_m2 * max(ros_m_min, 0.0) / 60.0
    return 0.0775 * intensity**0.46


def flame_factor(flame_m: float, full_m: float, max_m: float) -> float:
    """Share of a kit's production left at a flame length: 1 up to ``full_m``, 0 from ``max_m``.

    ASSUMPTION: linear in between (the sources give only the two limits).
    """
    if flame_m <= full_m:
        return 1.0
    if flame_m >= max_m:
        return 0.0
    return (max_m - flame_m) / (max_m - full_m)


def daylight_windows(
    t0: float, clock0_h: float, start_h: float, end_h: float, horizon: float
) -> list[tuple[float, float]]:
    """Daylight intervals [a, b] (absolute minutes) from ``t0`` to ``t0 + horizon``.

    ``clock0_h`` is the clock hour at ``t0``; daylight is ``start_h``..``end_h`` every day.
    """
    out = []
    day0 = t0 - (clock0_h % 24.0) * 60.0  # midnight before t0
    k = 0
    while True:
        a, b = day0 + k * 1440.0 + start_h * 60.0, day0 + k * 1440.0 + end_h * 60.0
        if a > t0 + horizon:
            return out
        if b > t0:
            out.append((max(a, t0), b))
        k += 1


@dataclass(frozen=True)
class Unit:
    """One team or helicopter as it would work on one fire (all times absolute minutes).

    ``pieces``: its contributions to the Fried & Fried production (a team's hand and blower
    line from its arrival, its pumps from when the hose reaches the fire); ``ea_m_min``: its
    extended-attack line production; ``windows``: for a helicopter, the daylight intervals it
    can work in (empty for ground units: always).
    """

    key: str
    kind: str  # local | reinforcement | aviation
    arrival: float
    pieces: tuple[tuple[float, float], ...]  # (absolute start, production m/min)
    headcount: int = 0
    ea_m_min: float = 0.0
    windows: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class FireCase:
    """What the outcome of one fire depends on besides its units (fixed once reported)."""

    spread: FireSpread
    t_ign: float
    ia_end: float  # absolute end of initial attack (report + max_ia_hours)
    area_cap_ha: float  # forest left in the zone for this fire
    size_u: float  # CRN uniform for the escaped fire's final size
    hold_t: float  # absolute time the weather lets an escaped fire be held (inf: never)
    burned_log_mean: float  # lognormal of burned area (ln ha), recorded distribution
    burned_log_sd: float
    mopup_m_per_person_h: float
    mopup_m_per_person: float
    mopup_setup_min: float
    clock0_h: float = 0.0  # clock hour at ignition
    ea_hourly: tuple[float, ...] = (1.0,) * 24  # ground line factor by clock hour (flames)


@dataclass(frozen=True)
class IAResult:
    """Initial attack: contained (at ``t_end``) or escaped (at ``t_end``), and the area then."""

    contained: bool
    t_end: float
    area_ha: float
    reason: str
    aviation: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    contained_ia: bool
    control_t: float  # IA containment or extended-attack hold (absolute)
    out_t: float  # mop-up done (absolute)
    area_ha: float  # burned area
    perimeter_m: float  # edge mopped up
    escape_t: float = math.inf  # end of initial attack for an escaped fire (absolute)
    escape_area_ha: float = 0.0
    escape_reason: str = ""
    aviation: tuple[str, ...] = field(default=())  # helicopters whose work counted
    ia: IAResult | None = field(default=None, compare=False, repr=False)


def equivalent_perimeter_m(spread: FireSpread, area_ha: float) -> float:
    """Perimeter of the fire's ellipse (its LB) with area ``area_ha``: the edge to mop up."""
    geo = _Ellipse(spread.eccentricity)
    return geo.perim * math.sqrt(max(area_ha, 0.0) * 1e4 / (math.pi * geo.ab))


def escaped_final_area(case: FireCase, escape_area_ha: float) -> float:
    """Final size of an escaped fire: the recorded distribution conditioned on >= its size.

    Conditional quantile F^-1(F(a) + u (1 - F(a))) of the lognormal, computed on the
    survival side; nondecreasing in ``a`` for a fixed ``u`` (common random numbers).
    """
    a = max(escape_area_ha, 1e-9)
    z_a = (math.log(a) - case.burned_log_mean) / case.burned_log_sd
    q = float(ndtr(-z_a)) * (1.0 - case.size_u)
    final = a if q <= 0.0 else math.exp(case.burned_log_mean - case.burned_log_sd * float(ndtri(q)))
    return min(max(final, a), case.area_cap_ha)


def initial_attack(case: FireCase, units: Sequence[Unit]) -> IAResult:
    """Fried & Fried containment; a helicopter counts only if the fire is held before dusk.

    Water-held line needs ground crews to hold it through the night, so a helicopter's
    work of a day is lost when the fire is not contained by that day's dusk (ASSUMPTION).
    """
    t0 = case.t_ign
    ground = [
        Resource(max(start - t0, 0.0), p, u.key)
        for u in units
        if u.kind != AVIATION
        for start, p in u.pieces
    ]
    air = [u for u in units if u.kind == AVIATION]
    while True:
        res = [Resource(max(s - t0, 0.0), p, u.key) for u in air for s, p in u.pieces]
        r = contain(
            case.spread,
            ground + res,
            max_time_min=case.ia_end - t0,
            max_area_ha=case.area_cap_ha if case.area_cap_ha > 0 else None,
        )
        t_c = t0 + r.time_min
        keep = [u for u in air if r.contained and t_c <= _window_end(u, u.arrival)]
        if len(keep) == len(air):
            area = min(r.area_ha, case.area_cap_ha)
            return IAResult(r.contained, t_c, area, r.escape_reason, tuple(u.key for u in air))
        air = keep


def _window_end(u: Unit, t: float) -> float:
    for a, b in u.windows:
        if a <= t <= b:
            return b
    return -math.inf if u.windows else math.inf


def line_done_time(case: FireCase, units: Sequence[Unit], t_from: float, work_m: float) -> float:
    """First time the units' extended-attack line since ``t_from`` reaches ``work_m``.

    Ground units build line at their ``ea_m_min`` x the hour's flame-length factor
    (``case.ea_hourly``: crews work best at night, when the fire is quiet); helicopters in
    their daylight windows. Piecewise constant by clock hour, integrated exactly.
    """
    if work_m <= 0:
        return t_from
    events: list[tuple[float, float, float]] = []  # (time, d ground rate, d air rate)
    for u in units:
        if u.ea_m_min <= 0:
            continue
        if u.kind == AVIATION:
            for a, b in u.windows:
                a = max(a, u.arrival, t_from)
                if b > a:
                    events += [(a, 0.0, u.ea_m_min), (b, 0.0, -u.ea_m_min)]
        else:
            events.append((max(u.arrival, t_from), u.ea_m_min, 0.0))
    if not events:
        return math.inf
    events.sort()
    top = max(case.ea_hourly)
    done, ground, air, t, i = 0.0, 0.0, 0.0, t_from, 0
    limit = t_from + 60 * 1440.0
    while t < limit:
        while i < len(events) and events[i][0] <= t:
            ground, air = ground + events[i][1], air + events[i][2]
            i += 1
        if i >= len(events) and ground * top + air <= 1e-12:
            return math.inf
        k = math.floor(case.clock0_h + (t - case.t_ign) / 60.0 + 1e-9)  # clock hours so far
        hour = k % 24
        t_next = case.t_ign + (k + 1 - case.clock0_h) * 60.0
        if i < len(events):
            t_next = min(t_next, events[i][0])
        rate = ground * case.ea_hourly[hour] + air
        if rate > 0 and done + rate * (t_next - t) >= work_m:
            return t + (work_m - done) / rate
        done += rate * (t_next - t)
        t = t_next
    return math.inf


def mopup_done_time(case: FireCase, units: Sequence[Unit], start: float, edge_m: float) -> float:
    """Out time: local crews on scene work the edge at a rate saturating at one person per
    ``mopup_m_per_person`` of edge; then the fixed final inspection."""
    if edge_m <= 0:
        return start + case.mopup_setup_min
    cap = edge_m / case.mopup_m_per_person  # people who can still help
    arrivals: list[tuple[float, int]] = []
    for u in units:
        if u.kind == LOCAL and u.headcount > 0:
            insort(arrivals, (max(u.arrival, start), u.headcount))
    done, crew, t = 0.0, 0, start
    per_min = case.mopup_m_per_person_h / 60.0
    for ta, n in arrivals:
        rate = per_min * min(crew, cap)
        if rate > 0 and done + rate * (ta - t) >= edge_m:
            return t + (edge_m - done) / rate + case.mopup_setup_min
        done += rate * (ta - t)
        t, crew = ta, crew + n
    rate = per_min * min(crew, cap)
    if rate <= 0:
        return math.inf
    return t + (edge_m - done) / rate + case.mopup_setup_min


def predict(case: FireCase, units: Sequence[Unit], ia: IAResult | None = None) -> Outcome:
    """The outcome of the fire if exactly ``units`` work on it.

    ``ia``: the initial-attack result, when known to be unchanged by ``units`` (every unit
    not in the set it was computed for arrives after its end).
    """
    ia = initial_attack(case, units) if ia is None else ia
    if ia.contained:
        edge = equivalent_perimeter_m(case.spread, ia.area_ha)
        out = mopup_done_time(case, units, ia.t_end, edge)
        return Outcome(True, ia.t_end, out, ia.area_ha, edge, aviation=ia.aviation, ia=ia)
    t_esc, esc_area = ia.t_end, ia.area_ha
    if esc_area >= case.area_cap_ha * (1.0 - 1e-9):  # the zone's forest is gone: it burns out
        final, control = case.area_cap_ha, t_esc
        edge = equivalent_perimeter_m(case.spread, final)
    else:
        final = escaped_final_area(case, esc_area)
        edge = equivalent_perimeter_m(case.spread, final)
        control = max(line_done_time(case, units, t_esc, edge), case.hold_t)
    out = mopup_done_time(case, units, control, edge)
    av = tuple(u.key for u in units if u.kind == AVIATION and u.windows and u.arrival < control)
    return Outcome(False, control, out, final, edge, t_esc, esc_area, ia.reason, av, ia)


def useful(
    case: FireCase,
    committed: Sequence[Unit],
    offered: Sequence[Unit],
    current: Outcome | None = None,
) -> tuple[list[Unit], Outcome]:
    """The offered units that improve the fire's predicted outcome (the dispatch rule), and
    the outcome with them.

    With every offered unit on top of the committed ones, local teams that arrive before the
    predicted out and other units (reinforcements, helicopters) that arrive before the
    predicted control count; local teams that would only join the mop-up are then dropped,
    latest first, while the out time stays the same. The result predicts exactly the outcome
    of sending all offered units, so a stronger offer never gives a worse fire.
    ``current``: the outcome with the committed units (its initial attack is reused when every
    offered unit arrives after it ended).
    """
    reuse = current is not None and current.ia is not None
    if reuse and any(u.arrival < current.ia.t_end for u in offered):
        reuse = False
    full = predict(case, [*committed, *offered], current.ia if reuse else None)
    keep = [
        u
        for u in offered
        if (u.arrival < full.out_t if u.kind == LOCAL else u.arrival < full.control_t)
        and (u.kind != AVIATION or u.key in full.aviation)
    ]
    late = sorted(
        (u for u in keep if u.kind == LOCAL and u.arrival >= full.control_t),
        key=lambda u: u.arrival,
        reverse=True,
    )
    if late:
        units = [*committed, *keep]
        for u in late:
            trial = [x for x in units if x is not u]
            if mopup_done_time(case, trial, full.control_t, full.perimeter_m) <= full.out_t + 1e-9:
                units = trial
        kept = {id(x) for x in units}
        keep = [u for u in keep if id(u) in kept]
    # the units left out arrive after the initial attack ended: it is unchanged
    return keep, predict(case, [*committed, *keep], full.ia)
