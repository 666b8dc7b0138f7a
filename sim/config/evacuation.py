"""``layout.shelters`` and ``layout.evacuation``: shelters, warning channels, households, buses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from omegaconf import MISSING

from sim.config.checks import (
    ConfigError,
    at_least,
    check_share,
    positive,
    road_ends,
    road_exposure,
)
from sim.config.teams import _check_capabilities

if TYPE_CHECKING:
    from sim.config import Config


@dataclass
class ShelterGroupConfig:
    """A group of shelter sites (应急避难场所) of one type.

    ``home`` is a node id, or ``each_town`` to spread ``count`` sites over the towns/streets
    (most populous first, cycling); ``nodes`` lists the sites' nodes explicitly (cycled).
    People per site: ``capacity``; else ``total_capacity`` split over the sites; else
    ``area_m2 / m2_per_person`` (effective area and the standard area per person).
    """

    type: str = "emergency"  # emergency | short_term | long_term (001 L28)
    tier: str = ""  # district | town | village (001 L28)
    home: str = "each_town"
    nodes: list[str] = field(default_factory=list)
    count: int = 1
    capacity: int = 0
    total_capacity: int = 0
    area_m2: float = 0.0
    m2_per_person: float = 1.5
    source: str = ""


@dataclass
class WarningChannelConfig:
    """One way an evacuation order reaches households (broadcast, SMS, grid workers).

    A household is reached with probability ``reach`` after a Gamma(``delay_shape``) delay of
    mean ``delay_min``. A door-to-door channel visits each town's households in random order
    at ``households_per_worker_h`` per worker after ``delay_min``, with ``workers_per_1000``
    workers per 1,000 people at risk (at least one per town).
    """

    reach: float = 1.0
    delay_min: float = 10.0
    delay_shape: float = 2.0
    door_to_door: bool = False
    workers_per_1000: float = 1.0
    households_per_worker_h: float = 12.0
    source: str = ""


@dataclass
class EvacFleetConfig:
    """Vehicles that move evacuees without a car of their own.

    ``role: bus`` serves assembly points; ``role: assist`` fetches households that need help
    (elderly, disabled) at home. ``home``: node id or ``each_town``.
    """

    role: str = "bus"
    home: str = MISSING
    count: int = 1
    capacity: int = 45  # people per trip
    load_min: float = 5.0  # per stop
    load_min_per_household: float = 0.0  # extra per household boarded (assisted pick-ups)
    source: str = ""


@dataclass
class EvacuationLayoutConfig:
    """How a district warns, moves and shelters people (sim/evacuation/service.py)."""

    channels: dict[str, WarningChannelConfig] = field(default_factory=dict)
    fleet: dict[str, EvacFleetConfig] = field(default_factory=dict)
    household_size: float = 2.45  # people per household
    comply_share: float = 0.98  # warned households that leave
    prep_median_min: float = 60.0  # warning to departure, lognormal median
    prep_sigma: float = 0.8  # lognormal shape
    assisted_share: float = 0.05  # households that need assistance
    car_share: float = 0.4  # households that leave by own vehicle
    walk_km: float = 1.0  # home to assembly point / town shelter
    walk_kmh: float = 4.0
    local_drive_kmh: float = 20.0  # home to the town's road node by car
    first_types: list[str] = field(default_factory=lambda: ["emergency", "short_term", "long_term"])
    handover_types: list[str] = field(default_factory=lambda: ["short_term", "long_term"])
    emergency_hold_h: float = 12.0  # emergency shelters hand people on after this (0: never)
    transfer_vehicle_capacity: int = 45  # people per vehicle when handed on
    group_window_min: float = 5.0  # departures of one town and mode within it move as a group
    max_platoon_veh: int = 100  # vehicles per platoon on the road at most
    vehicle_length_m: float = 7.5  # road space per vehicle (storage capacity)
    lane_capacity_vph: float = 1800.0  # lanes per link = round(capacity_vph / this)
    stuck_min: float = 10.0  # a blocked platoon forces its way on after this
    # No new bus run to an assembly point in a zone town not wholly in the zone (where
    # waiting is safe) from this many minutes before the order's forecast impact until the
    # hazard has reached that town (None: runs go on until the roads close; assistance
    # runs always go on; docs/evacuation_model.md section 5).
    vehicle_cutoff_min: float | None = None


EVAC_KINDS = ("river_flood", "flash_flood", "geo_hazard", "chemical")

SHELTER_TYPES = ("emergency", "short_term", "long_term")

EVAC_ROLES = ("bus", "assist")


def validate_evacuation(cfg: Config) -> None:
    """Shelters and evacuation (layout) and the evacuation hazard (scenario)."""
    for key, g in cfg.layout.shelters.items():
        f = f"layout.shelters.{key}"
        if g.type not in SHELTER_TYPES:
            raise ConfigError(f"{f}.type='{g.type}': must be one of {', '.join(SHELTER_TYPES)}")
        positive(g.count, f"{f}.count", allow_zero=True)
        for name in ("capacity", "total_capacity", "area_m2"):
            positive(getattr(g, name), f"{f}.{name}", allow_zero=True)
        positive(g.m2_per_person, f"{f}.m2_per_person")
        # ASSUMPTION: a standing person takes about 0.25 m2; less is a unit slip (m2 vs ha)
        at_least(g.m2_per_person, f"{f}.m2_per_person", 0.25, "a person needs floor space")
        if g.capacity == 0 and g.total_capacity == 0 and g.area_m2 == 0:
            raise ConfigError(f"{f}: give capacity, total_capacity or area_m2")
    ev = cfg.layout.evacuation
    f = "layout.evacuation"
    for key, c in ev.channels.items():
        check_share(c.reach, f"{f}.channels.{key}.reach")
        positive(c.delay_min, f"{f}.channels.{key}.delay_min", allow_zero=True)
        positive(c.delay_shape, f"{f}.channels.{key}.delay_shape")
        if c.door_to_door:
            positive(c.workers_per_1000, f"{f}.channels.{key}.workers_per_1000")
            positive(c.households_per_worker_h, f"{f}.channels.{key}.households_per_worker_h")
    for key, v in ev.fleet.items():
        if v.role not in EVAC_ROLES:
            raise ConfigError(f"{f}.fleet.{key}.role='{v.role}': must be bus or assist")
        positive(v.count, f"{f}.fleet.{key}.count", allow_zero=True)
        positive(v.capacity, f"{f}.fleet.{key}.capacity")
        positive(v.load_min, f"{f}.fleet.{key}.load_min", allow_zero=True)
        positive(v.load_min_per_household, f"{f}.fleet.{key}.load_min_per_household", True)
    for name in ("comply_share", "assisted_share", "car_share"):
        check_share(getattr(ev, name), f"{f}.{name}")
    if ev.assisted_share + ev.car_share > 1.0:
        raise ConfigError(f"{f}: assisted_share + car_share must not exceed 1")
    for name in (
        "household_size",
        "prep_median_min",
        "walk_kmh",
        "local_drive_kmh",
        "group_window_min",
        "max_platoon_veh",
        "vehicle_length_m",
        "lane_capacity_vph",
        "transfer_vehicle_capacity",
    ):
        positive(getattr(ev, name), f"{f}.{name}")
    for name in ("prep_sigma", "walk_km", "emergency_hold_h", "stuck_min"):
        positive(getattr(ev, name), f"{f}.{name}", allow_zero=True)
    if ev.vehicle_cutoff_min is not None:
        positive(ev.vehicle_cutoff_min, f"{f}.vehicle_cutoff_min", allow_zero=True)
    at_least(ev.household_size, f"{f}.household_size", 1.0, "a household has one person at least")
    # ASSUMPTION: floors of a road lane and a vehicle (lanes = capacity / lane capacity, road
    # storage = length x lanes / vehicle length); below them a value is a unit slip
    at_least(ev.lane_capacity_vph, f"{f}.lane_capacity_vph", 100.0, "vehicles per hour per lane")
    at_least(ev.vehicle_length_m, f"{f}.vehicle_length_m", 1.0, "metres of road per vehicle")
    for name in ("first_types", "handover_types"):
        for t in getattr(ev, name):
            if t not in SHELTER_TYPES:
                raise ConfigError(f"{f}.{name}: '{t}' is not one of {', '.join(SHELTER_TYPES)}")
    sc = cfg.scenario.evacuation
    if sc is None:
        return
    f = "scenario.evacuation"
    if sc.kind not in EVAC_KINDS:
        raise ConfigError(f"{f}.kind='{sc.kind}': must be one of {', '.join(EVAC_KINDS)}")
    if sc.district and sc.district not in sc.zones:
        raise ConfigError(
            f"{f}.district='{sc.district}': no zone for it (zones: {', '.join(sc.zones) or 'none'})"
        )
    if not sc.district and len(sc.zones) != 1:
        raise ConfigError(f"{f}.district: name the district whose zone to use")
    positive(sc.order_h, f"{f}.order_h", allow_zero=True)
    positive(sc.lead_h, f"{f}.lead_h")
    positive(sc.impact_error_sd_min, f"{f}.impact_error_sd_min", allow_zero=True)
    positive(sc.impact_spread_min, f"{f}.impact_spread_min", allow_zero=True)
    positive(sc.closed_h, f"{f}.closed_h")
    for c in sc.closure_classes:
        if c not in road_exposure():  # keys: the road classes
            raise ConfigError(
                f"{f}.closure_classes: '{c}' is not one of {', '.join(road_exposure())}"
            )
    cas = sc.casualties
    if cas.capabilities is not None:
        _check_capabilities(cas.capabilities, f"{f}.casualties.capabilities")
    for name in ("trapped_window_h", "swept_window_h"):
        if getattr(cas, name) is not None:
            positive(getattr(cas, name), f"{f}.casualties.{name}")
    positive(cas.work_min_per_person, f"{f}.casualties.work_min_per_person")
    positive(cas.max_people, f"{f}.casualties.max_people")
    positive(cas.report_delay_min_mean, f"{f}.casualties.report_delay_min_mean", allow_zero=True)
    for key, z in sc.zones.items():
        fz = f"{f}.zones.{key}"
        if not z.nodes:
            raise ConfigError(f"{fz}.nodes: list at least one town/street")
        positive(z.people, f"{fz}.people", allow_zero=True)
        pop = cfg.district.population_total
        if key == (sc.district or key) and pop and z.people > pop:
            raise ConfigError(
                f"{fz}.people={z.people}: more than the district's population ({pop})"
            )
        check_share(z.share_of_population, f"{fz}.share_of_population")
        if z.people == 0 and z.share_of_population == 0:
            raise ConfigError(f"{fz}: give people or share_of_population")
        positive(z.plan_people, f"{fz}.plan_people", allow_zero=True)
        if z.lead_h is not None:
            positive(z.lead_h, f"{fz}.lead_h")
        for n in z.unsafe_nodes:
            if n not in z.nodes:
                raise ConfigError(f"{fz}.unsafe_nodes: '{n}' is not one of the zone's nodes")
        for n, w in z.weights.items():
            if n not in z.nodes:
                raise ConfigError(f"{fz}.weights: '{n}' is not one of the zone's nodes")
            positive(w, f"{fz}.weights.{n}", allow_zero=True)
        for i, r in enumerate(z.keep_open):
            road_ends(r, f"{fz}.keep_open[{i}]")
