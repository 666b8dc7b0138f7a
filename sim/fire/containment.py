"""Forest-fire initial attack: elliptical growth and Fried & Fried (1996) containment.

Pure-Python model module (no SimPy) for the district emergency simulator.

* Free-burning fire: a simple ellipse that grows self-similarly with the ignition
  point at its rear focus (Anderson 1983; Albini & Chase 1980; the geometry used by
  Fried & Fried 1996 and by the CFES2 / BehavePlus "Contain" implementations).
  The head rate of spread (ROS) may vary over the day through 24 hourly multipliers.
* Initial attack: Fried, J.S. & Fried, B.D. (1996) "Simulating wildfire containment
  with realistic tactics", Forest Science 42(3):267-281.  Resources are split evenly
  over the two flanks; each flank's line builders start at an anchor point (the back
  of the fire for a rear attack, the head for a head attack) and build line along the
  moving fire edge.  The fire is contained when the two flank lines meet.  The
  angular position of the line builders obeys a first-order ODE that we integrate
  with an embedded Dormand-Prince 5(4) scheme written here (scipy's ``solve_ivp`` has
  too much per-call overhead for Monte Carlo use).  When the ROS rises during an
  attack, crews may be pushed back or overrun (see :func:`contain`).
* What happens after containment or escape (mop-up, extended attack) and the Chinese
  kit that supplies the production are in ``sim.fire.tactics``.

Anything estimated rather than taken from a source is marked ``ASSUMPTION:``.
See ``docs/fire_model.md`` for equations, sources and the validation.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from scipy.special import ellipe, ellipeinc

__all__ = [
    "CHAIN_M",
    "DEFAULT_MAX_AREA_HA",
    "DEFAULT_MAX_TIME_MIN",
    "IRPG_CREW_PRODUCTION_M_MIN",
    "ContainmentResult",
    "FireSpread",
    "Resource",
    "contain",
    "diurnal_cosine",
    "free_area_ha",
    "free_perimeter_m",
    "head_distance",
    "lb_anderson1983",
    "lb_fbp",
]

#: Surveyor's chain in metres (US fireline production tables are in chains/hour).
CHAIN_M = 20.1168

#: Initial-attack time limit (min).  NFMAS treated a fire as escaped when it was not
#: contained within 8 h (Dimitrakopoulos 1987, USDA GTR PSW-101).
DEFAULT_MAX_TIME_MIN = 480.0
#: Initial-attack size limit (ha): NFMAS's 1000 acres (Dimitrakopoulos 1987).
DEFAULT_MAX_AREA_HA = 1000.0 * 0.40468564224

#: Sustained line production of a 20-person crew, m/min, as (Type I, Type II)
#: crews, from the NWCG Incident Response Pocket Guide table "Sustained line
#: production rates of 20-person crews for construction, burnout and holding"
#: (chains/h, converted with 1 ch/h = 0.33528 m/min); see also Broyles (2011)
#: "Fireline production rates", USDA FS SDTDC 1151-1805.  Fuel models are
#: Anderson (1982) fuel models.
IRPG_CREW_PRODUCTION_M_MIN: dict[str, tuple[float, float]] = {
    "fm1_short_grass": (30 * CHAIN_M / 60, 18 * CHAIN_M / 60),
    "fm2_timber_grass_understory": (24 * CHAIN_M / 60, 16 * CHAIN_M / 60),
    "fm5_brush": (6 * CHAIN_M / 60, 4 * CHAIN_M / 60),
    "fm10_timber_litter_understory": (6 * CHAIN_M / 60, 4 * CHAIN_M / 60),
}

# Arrivals at t = 0 would meet a fire of zero size (degenerate ODE); they are
# treated as arriving this many minutes after ignition.
_T_MIN_START = 1e-3
# Relative margin by which production must exceed the spread rate at the anchor.
_ANCHOR_GUARD = 1e-12
_TWO_PI = 2.0 * math.pi


# --------------------------------------------------------------------------- spread


def lb_anderson1983(midflame_wind_m_s: float) -> float:
    """Length-to-breadth ratio from midflame wind (Anderson 1983, INT-305).

    LB = 0.936 e^(0.2566 U) + 0.461 e^(-0.1548 U) - 0.397 with U in mi/h, capped at
    8 as in FARSITE.
    """
    u = max(0.0, midflame_wind_m_s) * 2.2369362920544
    lb = 0.936 * math.exp(0.2566 * u) + 0.461 * math.exp(-0.1548 * u) - 0.397
    return min(max(lb, 1.0), 8.0)


def lb_fbp(wind_10m_km_h: float) -> float:
    """Length-to-breadth ratio of the Canadian FBP System (FCFDG 1992, eq. 79).

    LB = 1 + 8.729 (1 - e^(-0.030 WS))^2.155, WS = 10-m open wind speed in km/h.
    """
    ws = max(0.0, wind_10m_km_h)
    return 1.0 + 8.729 * (1.0 - math.exp(-0.030 * ws)) ** 2.155


def diurnal_cosine(
    peak_hour: float = 15.0, min_multiplier: float = 0.3, max_multiplier: float = 1.0
) -> tuple[float, ...]:
    """24 hourly ROS multipliers following a cosine with its maximum at ``peak_hour``.

    ASSUMPTION: shape and defaults.  Fire behaviour peaks in mid/late afternoon and
    is lowest around dawn (Nova Scotia DNR basic suppression course; NWCG fire
    activity planning charts show a ROS maximum ~17:00 and a minimum ~06:00).  A
    cosine has its minimum 12 h after the peak (03:00 for the default), a
    deliberate simplification.
    """
    if not 0.0 < min_multiplier <= max_multiplier:
        raise ValueError("need 0 < min_multiplier <= max_multiplier")
    mid = 0.5 * (max_multiplier + min_multiplier)
    amp = 0.5 * (max_multiplier - min_multiplier)
    return tuple(mid + amp * math.cos(_TWO_PI * (h - peak_hour) / 24.0) for h in range(24))


@dataclass(frozen=True)
class FireSpread:
    """Elliptical free-burning fire.

    ``head_ros_m_min`` is the head ROS at reference (peak) conditions; the actual head
    ROS at clock hour ``c`` is ``head_ros_m_min * m(c)`` where ``m`` linearly
    interpolates ``diurnal[k]`` (the multiplier *at* clock hour ``k``:00, wrapping
    23 -> 0).  Linear interpolation keeps the ROS continuous, which the containment
    ODE needs.  The fire is an ellipse of length-to-breadth ratio ``lb_ratio`` with the
    ignition at its rear focus, so with eccentricity e = sqrt(1 - 1/LB^2):
    back ROS = R (1-e)/(1+e) (head-to-back ratio of Anderson 1983) and flank ROS
    (growth of the semi-minor axis) = R sqrt((1-e)/(1+e)) = (R + R_back)/(2 LB)
    (FBP eq. 89).
    """

    head_ros_m_min: float
    lb_ratio: float = 1.0
    diurnal: tuple[float, ...] = (1.0,) * 24
    ignition_clock_h: float = 0.0
    _cum: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _flat: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (self.head_ros_m_min > 0.0 and math.isfinite(self.head_ros_m_min)):
            raise ValueError("head_ros_m_min must be positive and finite")
        if not 1.0 <= self.lb_ratio <= 100.0:
            raise ValueError("lb_ratio must be in [1, 100] (observed fires rarely exceed 8)")
        d = tuple(float(x) for x in self.diurnal)
        if len(d) != 24 or not all(x > 0.0 and math.isfinite(x) for x in d):
            raise ValueError("diurnal must hold 24 positive finite multipliers")
        if not math.isfinite(self.ignition_clock_h):
            raise ValueError("ignition_clock_h must be finite")
        object.__setattr__(self, "diurnal", d)
        object.__setattr__(self, "ignition_clock_h", float(self.ignition_clock_h) % 24.0)
        cum = [0.0]
        for k in range(24):
            cum.append(cum[-1] + 0.5 * (d[k] + d[(k + 1) % 24]))
        object.__setattr__(self, "_cum", tuple(cum))
        object.__setattr__(self, "_flat", all(x == d[0] for x in d))

    # -- geometry -----------------------------------------------------------------
    @property
    def eccentricity(self) -> float:
        """Ellipse eccentricity e = sqrt(1 - 1/LB^2)."""
        return math.sqrt(max(0.0, 1.0 - 1.0 / (self.lb_ratio * self.lb_ratio)))

    @property
    def back_ros_m_min(self) -> float:
        """Backing ROS at reference conditions."""
        e = self.eccentricity
        return self.head_ros_m_min * (1.0 - e) / (1.0 + e)

    @property
    def flank_ros_m_min(self) -> float:
        """Flank ROS (growth rate of the semi-minor axis) at reference conditions."""
        e = self.eccentricity
        return self.head_ros_m_min * math.sqrt((1.0 - e) / (1.0 + e))

    # -- time dependence -------------------------------------------------------------
    def multiplier(self, t_min: float) -> float:
        """Diurnal ROS multiplier ``t_min`` minutes after ignition."""
        c = (self.ignition_clock_h + t_min / 60.0) % 24.0
        k = int(c)
        if k >= 24:  # guard against c rounding up to 24.0
            k, c = 23, 24.0
        d = self.diurnal
        return d[k] + (d[(k + 1) % 24] - d[k]) * (c - k)

    def head_ros_at(self, t_min: float) -> float:
        """Head ROS (m/min) ``t_min`` minutes after ignition."""
        return self.head_ros_m_min * self.multiplier(t_min)

    def _cum_mult(self, clock_h: float) -> float:
        """Integral of the multiplier from clock 0 to ``clock_h`` (hours, any real)."""
        n = math.floor(clock_h / 24.0)
        c = clock_h - 24.0 * n
        k = min(int(c), 23)
        f = c - k
        d = self.diurnal
        dk = d[k]
        return n * self._cum[24] + self._cum[k] + f * (dk + 0.5 * (d[(k + 1) % 24] - dk) * f)

    def head_distance(self, t_min: float) -> float:
        """Distance (m) from ignition to the head after ``t_min`` of free burning."""
        if t_min <= 0.0:
            return 0.0
        if self._flat:
            return self.head_ros_m_min * self.diurnal[0] * t_min
        c0 = self.ignition_clock_h
        return 60.0 * self.head_ros_m_min * (self._cum_mult(c0 + t_min / 60.0) - self._cum_mult(c0))

    def time_at_head_distance(self, distance_m: float) -> float:
        """Inverse of :meth:`head_distance` (minutes after ignition)."""
        if distance_m <= 0.0:
            return 0.0
        if math.isinf(distance_m):
            return math.inf
        if self._flat:
            return distance_m / (self.head_ros_m_min * self.diurnal[0])
        c0 = self.ignition_clock_h
        target = self._cum_mult(c0) + distance_m / (60.0 * self.head_ros_m_min)
        day = self._cum[24]
        n = math.floor(target / day)
        rem = target - n * day
        k = min(max(bisect_right(self._cum, rem) - 1, 0), 23)
        r = rem - self._cum[k]
        d = self.diurnal
        mk, slope = d[k], d[(k + 1) % 24] - d[k]
        # solve mk f + slope f^2 / 2 = r for f in [0, 1] (stable form)
        f = 2.0 * r / (mk + math.sqrt(max(mk * mk + 2.0 * slope * r, 0.0)))
        return (24.0 * n + k + f - c0) * 60.0

    def _next_hour_boundary(self, t_min: float) -> float:
        """First time > ``t_min`` at which the clock shows a whole hour."""
        c = self.ignition_clock_h + t_min / 60.0
        tb = (math.floor(c) + 1.0 - self.ignition_clock_h) * 60.0
        if tb <= t_min * (1.0 + 1e-14) + 1e-12:
            tb += 60.0
        return tb


class _Ellipse:
    """Shape constants of the focus-ignited ellipse per metre of head distance h.

    With x along the spread direction and the ignition at the origin (rear focus):
    x = h (cos u + e)/(1+e), y = h a sin u, a = sqrt((1-e)/(1+e)), u the parametric
    angle (u = 0 head, u = pi back).  Semi-axes A = h/(1+e), B = h a.
    """

    __slots__ = ("e", "a", "ab", "perim", "e_full")

    def __init__(self, e: float) -> None:
        self.e = e
        self.a = math.sqrt((1.0 - e) / (1.0 + e))
        self.ab = self.a / (1.0 + e)  # A*B per h^2
        big, small = 1.0 / (1.0 + e), self.a
        lam = (big - small) / (big + small)
        l3 = 3.0 * lam * lam
        # Ramanujan's second approximation of the ellipse perimeter, per metre of h
        self.perim = math.pi * (big + small) * (1.0 + l3 / (10.0 + math.sqrt(4.0 - l3)))
        self.e_full = float(ellipe(e * e))  # complete elliptic integral E(m = e^2)

    def arc_fraction_head_side(self, u: float) -> float:
        """Fraction of the perimeter between parametric angles -u and u (through head)."""
        if u <= 0.0:
            return 0.0
        if u >= math.pi:
            return 1.0
        m = self.e * self.e
        # arc(u1..u2) = A [E(u2 - pi/2 | m) - E(u1 - pi/2 | m)], E odd in its angle
        arc = float(ellipeinc(u - 0.5 * math.pi, m)) + float(ellipeinc(u + 0.5 * math.pi, m))
        return arc / (4.0 * self.e_full)


def head_distance(spread: FireSpread, t_min: float) -> float:
    """Free-burning head distance (m) after ``t_min``: integral of the diurnal ROS."""
    return spread.head_distance(t_min)


def free_perimeter_m(spread: FireSpread, t_min: float) -> float:
    """Free-burning perimeter (m) after ``t_min`` (Ramanujan ellipse perimeter)."""
    return _Ellipse(spread.eccentricity).perim * spread.head_distance(t_min)


def free_area_ha(spread: FireSpread, t_min: float) -> float:
    """Free-burning area (ha) after ``t_min``: pi A B."""
    h = spread.head_distance(t_min)
    return math.pi * _Ellipse(spread.eccentricity).ab * h * h / 1e4


# --------------------------------------------------------------------------- contain


@dataclass(frozen=True)
class Resource:
    """A suppression resource: arrival time (min since ignition) and line production."""

    arrival_min: float
    production_m_min: float
    name: str = ""

    def __post_init__(self) -> None:
        if not self.arrival_min >= 0.0:
            raise ValueError("arrival_min must be >= 0")
        if not (self.production_m_min >= 0.0 and math.isfinite(self.production_m_min)):
            raise ValueError("production_m_min must be >= 0 and finite")


@dataclass(frozen=True)
class ContainmentResult:
    """Outcome of :func:`contain` (at containment, or at escape)."""

    contained: bool
    time_min: float
    area_ha: float
    perimeter_m: float
    line_built_m: float
    escape_reason: str = ""


# Dormand & Prince (1980) RK5(4) coefficients.
_A21 = 1 / 5
_A31, _A32 = 3 / 40, 9 / 40
_A41, _A42, _A43 = 44 / 45, -56 / 15, 32 / 9
_A51, _A52, _A53, _A54 = 19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729
_A61, _A62, _A63, _A64, _A65 = 9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656
_B1, _B3, _B4, _B5, _B6 = 35 / 384, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84
_E1, _E3, _E4, _E5, _E6, _E7 = (
    71 / 57600,
    -71 / 16695,
    71 / 1920,
    -17253 / 339200,
    22 / 525,
    -1 / 40,
)
_C2, _C3, _C4, _C5 = 1 / 5, 3 / 10, 4 / 5, 8 / 9


def _free_result(spread: FireSpread, geo: _Ellipse, t: float, reason: str) -> ContainmentResult:
    h = spread.head_distance(t)
    return ContainmentResult(
        contained=False,
        time_min=t,
        area_ha=math.pi * geo.ab * h * h / 1e4,
        perimeter_m=geo.perim * h,
        line_built_m=0.0,
        escape_reason=reason,
    )


def contain(
    spread: FireSpread,
    resources: Sequence[Resource],
    attack: Literal["rear", "head"] = "rear",
    max_time_min: float = DEFAULT_MAX_TIME_MIN,
    max_area_ha: float | None = DEFAULT_MAX_AREA_HA,
    max_perimeter_m: float | None = None,
    *,
    tol: float = 1e-7,
) -> ContainmentResult:
    """Simulate direct initial attack on an elliptical fire (Fried & Fried 1996).

    Production is cumulative (piecewise constant in time); half of it is applied to
    each flank.  The line builders on one flank sit at parametric angle u(t) on the
    free-burning ellipse (u = 0 head, u = pi back); with h the head distance,
    w = h du/dt, R the head ROS, p the one-flank production, k = 1 + e cos u and
    j = 1 - e cos u, the crews build line at exactly p (speed along their path) when

        w = [e R sin u -/+ sqrt(rad)] / j,  rad = (1-e^2) [p^2 (1+e) j / ((1-e) k) - R^2]

    (minus: rear attack, u goes from pi to 0; plus: head attack, u from 0 to pi).
    rad <= 0 means p does not exceed the fire's normal spread rate at u.  At the
    anchor the crews then wait: a head attack cannot start while p <= R (exactly), a
    rear attack while p <= back ROS.  With constant ROS nothing else can happen once
    the attack is under way.  With time-varying ROS (ASSUMPTION: our extension of
    F&F, which assumes constant conditions):

    * rear attack: the ODE may turn the crews back (w > 0, angular reversal as
      kept in the BehavePlus "Contain" code); where they cannot keep pace at all they
      fall back to the most advanced angle where they can (or to the back, and
      wait).  Line ahead of retreating crews is outflanked and no longer counts;
    * head attack: production is then below the normal spread rate at the crews and
      everywhere nearer the head, so the whole line is outflanked: the crews return
      to the head and wait.

    The held area is swept from the ignition point by the latest forward passage of
    the crews; the fire area adds the still-free sector, the perimeter the free arc
    (and the radial step at the crews after a retreat).  ``line_built_m`` counts all
    line built, including line later lost.

    Numerics: embedded Dormand-Prince 5(4) with error control ``tol`` (radians for u,
    relative for area and line), restarted at every resource arrival and (for a
    non-flat diurnal pattern) every clock hour, with exact location of containment,
    limit crossings and of the instants the crews start/stop (regula falsi).

    Escape reasons: ``"time"`` (``max_time_min`` reached), ``"area"``,
    ``"perimeter"``, ``"no_resources"`` (no resource with positive production).
    Defaults follow NFMAS: 8 h and 1000 acres.  Returns the state at containment or
    escape.
    """
    if attack not in ("rear", "head"):
        raise ValueError("attack must be 'rear' or 'head'")
    if not max_time_min > 0.0:
        raise ValueError("max_time_min must be > 0")
    area_lim = math.inf if max_area_ha is None else float(max_area_ha) * 1e4
    perim_lim = math.inf if max_perimeter_m is None else float(max_perimeter_m)
    if not area_lim > 0.0 or not perim_lim > 0.0:
        raise ValueError("limits must be positive")
    if math.isinf(max_time_min) and math.isinf(area_lim) and math.isinf(perim_lim):
        raise ValueError(
            "at least one of max_time_min, max_area_ha, max_perimeter_m must be finite"
        )

    e = spread.eccentricity
    geo = _Ellipse(e)
    ab = geo.ab
    rear = attack == "rear"

    # When would the free-burning fire hit each limit?
    t_area = spread.time_at_head_distance(math.sqrt(area_lim / (math.pi * ab)))
    t_perim = spread.time_at_head_distance(perim_lim / geo.perim)
    t_lim, reason_lim = min(
        (max_time_min, "time"), (t_area, "area"), (t_perim, "perimeter"), key=lambda x: x[0]
    )

    sched = sorted(
        (max(float(r.arrival_min), _T_MIN_START), 0.5 * float(r.production_m_min))
        for r in resources
        if r.production_m_min > 0.0 and math.isfinite(r.arrival_min)
    )
    if not sched:
        return _free_result(spread, geo, t_lim, "no_resources")
    arr_t = [s[0] for s in sched]
    arr_p: list[float] = []
    acc = 0.0
    for _, p_half in sched:
        acc += p_half
        arr_p.append(acc)
    t0 = arr_t[0]
    if t_lim <= t0:
        return _free_result(spread, geo, t_lim, reason_lim)

    # ---------------------------------------------------------------- ODE set-up
    opf, omf = 1.0 + e, 1.0 - e
    ome2 = opf * omf
    r0 = spread.head_ros_m_min
    anchor = math.pi if rear else 0.0
    target = 0.0 if rear else math.pi
    guard = 1.0 + _ANCHOR_GUARD

    # piece constants (rebound per piece; read by the closures below)
    ta = t0
    ra = 0.0  # head ROS at ta
    ha = 0.0  # head distance at ta
    gr = 0.0  # dR/dt within the piece
    p1 = 0.0  # one-flank production
    p2 = 0.0  # its square

    def rhs(t: float, u: float) -> tuple[float, float, float, float]:
        """d/dt of (crew angle u, held area, held line length, line built), both flanks."""
        tau = t - ta
        r = ra + gr * tau
        h = ha + (ra + 0.5 * gr * tau) * tau
        c = math.cos(u)
        s = math.sin(u)
        k = 1.0 + e * c
        j = 1.0 - e * c
        q = (opf * j) / (omf * k)  # crews keep pace with the edge at u iff p^2 q > R^2
        if u == anchor and p2 * q <= r * r * guard:
            # not enough production to leave the anchor (head: p <= R, exactly; the
            # tiny guard stops rounding in R(t) from ever starting the attack)
            return 0.0, 0.0, 0.0, 0.0
        rad = ome2 * (p2 * q - r * r)
        esr = e * s * r
        if rad > 0.0:
            w = (esr - math.sqrt(rad)) / j if rear else (esr + math.sqrt(rad)) / j
        else:
            w = esr / j  # overrun: carried with the edge; fixed up after the step
        if (w < 0.0) if rear else (w > 0.0):  # advancing: new held line, |v| = p
            return w / h, ab * h * k * abs(w), 2.0 * p1, 2.0 * p1
        return w / h, 0.0, 0.0, 2.0 * p1

    def mode(t: float, u: float) -> float:
        """> 0 while the crews can work at u (switch function: start / overrun)."""
        r = ra + gr * (t - ta)
        c = math.cos(u)
        q = (opf * (1.0 - e * c)) / (omf * (1.0 + e * c))
        if u == anchor:
            return p2 * q - r * r * guard
        return ome2 * (p2 * q - r * r)

    def u_keep_pace(t: float) -> float:
        """Rear attack: most advanced angle where the crews keep pace (pi if none)."""
        r = ra + gr * (t - ta)
        z = (r * r / p2) * omf / opf
        if e == 0.0:
            return 0.0 if z < 1.0 else math.pi
        cs = (1.0 - z) / (e * (1.0 + z))
        if cs <= -1.0:
            return math.pi
        return 0.0 if cs >= 1.0 else math.acos(cs)

    def step(
        t: float, u: float, y: tuple[float, float, float], k1: tuple, dt: float
    ) -> tuple[float, tuple[float, float, float], tuple, float, float, float]:
        """One DP5 step; returns u, (area, held line, line built), f(end), error terms."""
        k2 = rhs(t + _C2 * dt, u + dt * _A21 * k1[0])
        k3 = rhs(t + _C3 * dt, u + dt * (_A31 * k1[0] + _A32 * k2[0]))
        k4 = rhs(t + _C4 * dt, u + dt * (_A41 * k1[0] + _A42 * k2[0] + _A43 * k3[0]))
        k5 = rhs(
            t + _C5 * dt,
            u + dt * (_A51 * k1[0] + _A52 * k2[0] + _A53 * k3[0] + _A54 * k4[0]),
        )
        k6 = rhs(
            t + dt,
            u + dt * (_A61 * k1[0] + _A62 * k2[0] + _A63 * k3[0] + _A64 * k4[0] + _A65 * k5[0]),
        )
        un = u + dt * (_B1 * k1[0] + _B3 * k3[0] + _B4 * k4[0] + _B5 * k5[0] + _B6 * k6[0])
        yn = tuple(
            y[i]
            + dt
            * (
                _B1 * k1[i + 1]
                + _B3 * k3[i + 1]
                + _B4 * k4[i + 1]
                + _B5 * k5[i + 1]
                + _B6 * k6[i + 1]
            )
            for i in range(3)
        )
        k7 = rhs(t + dt, un)
        errs = [
            dt * (_E1 * k1[i] + _E3 * k3[i] + _E4 * k4[i] + _E5 * k5[i] + _E6 * k6[i] + _E7 * k7[i])
            for i in range(3)
        ]
        return un, yn, k7, errs[0], errs[1], errs[2]

    def h_at(t: float) -> float:
        tau = t - ta
        return ha + (ra + 0.5 * gr * tau) * tau

    # Rear attack: record of the held line (latest forward passage of the crews) as
    # (angle, area held behind it, line length, head distance when built); angles
    # decrease along the list.  Retreating crews give up the line ahead of them.
    su: list[float] = [math.pi]
    s_a: list[float] = [0.0]
    s_l: list[float] = [0.0]
    s_h: list[float] = [0.0]

    def held_at(u: float) -> tuple[int, float, float, float]:
        """Held (area, line, head distance) at angle u >= su[-1] by interpolation."""
        i = len(su) - 1
        while i > 0 and su[i] < u:
            i -= 1
        if i == len(su) - 1 or su[i] == su[i + 1]:
            return i, s_a[i], s_l[i], s_h[i]
        ub, ua = su[i], su[i + 1]
        x = (ub - u) / (ub - ua)
        d = ua - ub
        mb = -ab * s_h[i] ** 2 * (1.0 + e * math.cos(ub))  # dA/du at each end
        ma = -ab * s_h[i + 1] ** 2 * (1.0 + e * math.cos(ua))
        x2, x3 = x * x, x * x * x
        area = (
            (2 * x3 - 3 * x2 + 1) * s_a[i]
            + (x3 - 2 * x2 + x) * d * mb
            + (3 * x2 - 2 * x3) * s_a[i + 1]
            + (x3 - x2) * d * ma
        )
        return (
            i,
            area,
            s_l[i] + x * (s_l[i + 1] - s_l[i]),
            s_h[i] + x * (s_h[i + 1] - s_h[i]),
        )

    def effective(
        t: float, u: float, y: tuple[float, float, float]
    ) -> tuple[float, float, float, float]:
        """(u, held area, held line, head distance of the line at u) after applying the
        overrun fall-back and giving up outflanked line (rear attack)."""
        h = h_at(t)
        if not rear:
            return u, y[0], y[1], h
        if u != anchor and mode(t, u) < 0.0:
            u = max(u, u_keep_pace(t))
        if u >= math.pi:
            return math.pi, 0.0, 0.0, h
        if u > su[-1]:
            _, area, line, hl = held_at(u)
            return u, area, line, hl
        return u, y[0], y[1], h

    def total_area(t: float, u: float, y: tuple[float, float, float]) -> float:
        ue, area, _, _ = effective(t, u, y)
        h = h_at(t)
        uu = min(max(ue, 0.0), math.pi)
        sec = uu + e * math.sin(uu) if rear else math.pi - uu - e * math.sin(uu)
        return area + ab * h * h * sec

    def total_perimeter(t: float, u: float, y: tuple[float, float, float]) -> float:
        ue, _, line, hl = effective(t, u, y)
        h = h_at(t)
        uu = min(max(ue, 0.0), math.pi)
        frac = geo.arc_fraction_head_side(uu)
        # plus the radial step between given-up line and the crews (both flanks)
        jump = 2.0 * (h - hl) * (1.0 + e * math.cos(uu)) / opf
        return line + jump + geo.perim * h * (frac if rear else 1.0 - frac)

    def g_event(kind: int, t: float, u: float, y: tuple[float, float, float]) -> float:
        """Event functions, crossing from < 0 to >= 0: 0 contained, 1 area limit,
        2 perimeter limit, 3 crews overrun / stop, 4 crews start."""
        if kind == 0:
            return (target - u) if rear else (u - target)
        if kind == 1:
            return total_area(t, u, y) - area_lim
        if kind == 2:
            return total_perimeter(t, u, y) - perim_lim
        return -mode(t, u) if kind == 3 else mode(t, u)

    def locate(
        kind: int, t: float, u: float, y: tuple, k1: tuple, dt: float, g1: float
    ) -> tuple[float, float, tuple[float, float, float]]:
        """Illinois regula falsi on the step fraction (fresh DP5 steps from t)."""
        lo, glo = 0.0, g_event(kind, t, u, y)
        hi, ghi = 1.0, g1
        best: tuple | None = None
        side = 0
        for _ in range(60):
            if ghi == glo:
                th = 0.5 * (lo + hi)
            else:
                th = (lo * ghi - hi * glo) / (ghi - glo)
                if not lo < th < hi:
                    th = 0.5 * (lo + hi)
            un, yn, *_ = step(t, u, y, k1, th * dt)
            gm = g_event(kind, t + th * dt, un, yn)
            if gm >= 0.0:
                hi, ghi = th, gm
                best = (t + th * dt, un, yn)
                if side == 1:
                    glo *= 0.5
                side = 1
            else:
                lo, glo = th, gm
                if side == -1:
                    ghi *= 0.5
                side = -1
            if (hi - lo) * dt <= 1e-10 * (1.0 + t):
                break
        if best is None:
            un, yn, *_ = step(t, u, y, k1, dt)
            return t + dt, un, yn
        return best

    def first_dt(t: float, du: float, t_end: float) -> float:
        """Starting step: u moves <= 0.02 rad and h grows <= 5 %."""
        dt = 0.05 * h_at(t) / max(ra, 1e-300)
        if du != 0.0:
            dt = min(dt, 0.02 / abs(du))
        return max(min(dt, t_end - t), 1e-9 * (1.0 + t))

    def result(t: float, u: float, y: tuple[float, float, float], kind: int) -> ContainmentResult:
        return ContainmentResult(
            contained=kind == 0,
            time_min=t,
            area_ha=total_area(t, u, y) / 1e4,
            perimeter_m=total_perimeter(t, u, y),
            line_built_m=y[2],
            escape_reason=("", "area", "perimeter", "time")[kind],
        )

    # ---------------------------------------------------------------- integrate
    t, u = t0, anchor
    y = (0.0, 0.0, 0.0)  # held area, held line, line built
    n_steps = 0
    check_area = math.isfinite(area_lim)
    check_perim = math.isfinite(perim_lim)
    while True:
        # set up the piece [t, t_end): constant production, ROS linear in time
        i_arr = bisect_right(arr_t, t)
        p1 = arr_p[i_arr - 1]
        p2 = p1 * p1
        t_end = max_time_min
        if i_arr < len(arr_t):
            t_end = min(t_end, arr_t[i_arr])
        if not spread._flat:
            t_end = min(t_end, spread._next_hour_boundary(t))
        ta = t
        ra = spread.head_ros_at(t)
        ha = spread.head_distance(t)
        gr = 0.0 if spread._flat else r0 * _hour_slope(spread, 0.5 * (t + t_end)) / 60.0
        if rear and u == anchor:
            s_h[0] = ha
        k1 = rhs(t, u)
        dt = first_dt(t, k1[0], t_end)
        while t < t_end:
            last = False
            if t + 1.01 * dt >= t_end:
                dt = t_end - t
                last = True
            un, yn, k7, eu, ea, el = step(t, u, y, k1, dt)
            h1 = h_at(t + dt)
            err = max(
                abs(eu) / tol,
                abs(ea) / (tol * (ab * h1 * h1 + y[0])),
                abs(el) / (tol * (h1 + y[1])),
            )
            n_steps += 1
            if n_steps > 200_000:
                raise RuntimeError("contain(): step limit exceeded")
            if err > 1.0:
                dt *= max(0.2, 0.9 * err**-0.2)
                continue
            t1 = t_end if last else t + dt
            restart = False
            # Split the step where the crews start (both tactics) or where a head attack
            # is overrun (jump or square-root kink in the ODE).
            if u == anchor or not rear:
                m0 = mode(t, u)
                m1 = mode(t1, un)
                if (m0 > 0.0) != (m1 > 0.0):
                    kind = 3 if m0 > 0.0 else 4
                    t1, un, yn = locate(kind, t, u, y, k1, t1 - t, -m1 if kind == 3 else m1)
                    restart = True
                    if kind == 3 and not rear:
                        # head attack overrun: production is below the normal spread rate
                        # here and (more so) nearer the head, so the fire outflanks the
                        # whole line; crews return to the head and wait
                        un, yn = anchor, (0.0, 0.0, yn[2])
            # events at the end of the accepted step
            fired: list[tuple[float, float, tuple, int]] = []
            g0 = g_event(0, t1, un, yn)
            if g0 >= 0.0:
                fired.append((*locate(0, t, u, y, k1, t1 - t, g0), 0))
            if check_area:
                ga = g_event(1, t1, un, yn)
                if ga >= 0.0:
                    fired.append((*locate(1, t, u, y, k1, t1 - t, ga), 1))
            if check_perim:
                gp = g_event(2, t1, un, yn)
                if gp >= 0.0:
                    fired.append((*locate(2, t, u, y, k1, t1 - t, gp), 2))
            if fired:
                te, ue, ye, kind = min(fired, key=lambda x: (x[0], x[3]))
                return result(te, ue, ye, kind)
            if rear:
                # overrun fall-back and bookkeeping of the held line
                ue, area, line, hl = effective(t1, un, yn)
                if ue >= math.pi or ue == anchor:
                    un, yn = anchor, (0.0, 0.0, yn[2])
                    del su[1:], s_a[1:], s_l[1:], s_h[1:]
                    s_h[0] = h_at(t1)
                    restart = restart or ue != u
                else:
                    if ue != un:
                        restart = True
                    h1 = h_at(t1)
                    if ue > su[-1]:
                        # retreat: drop the outflanked line, keep the given-up line's end
                        # and the radial step out to the crews as part of the boundary
                        i, *_ = held_at(ue)
                        del su[i + 1 :], s_a[i + 1 :], s_l[i + 1 :], s_h[i + 1 :]
                        su.append(ue)
                        s_a.append(area)
                        s_l.append(line)
                        s_h.append(hl)
                        line += 2.0 * (h1 - hl) * (1.0 + e * math.cos(ue)) / opf
                    un, yn = ue, (area, line, yn[2])
                    su.append(un)
                    s_a.append(area)
                    s_l.append(line)
                    s_h.append(h1)
            if restart:
                k7 = rhs(t1, un)
            t, u, y, k1 = t1, un, yn, k7
            if restart:
                dt = first_dt(t, k1[0], t_end)
            else:
                dt *= 5.0 if err == 0.0 else min(5.0, max(0.2, 0.9 * err**-0.2))
        if t >= max_time_min:
            return result(max_time_min, u, y, 3)


def _hour_slope(spread: FireSpread, t_min: float) -> float:
    """d(multiplier)/d(clock hour) in the hour containing ``t_min``."""
    c = (spread.ignition_clock_h + t_min / 60.0) % 24.0
    k = min(int(c), 23)
    d = spread.diurnal
    return d[(k + 1) % 24] - d[k]
