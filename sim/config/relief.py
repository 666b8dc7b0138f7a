"""``layout.depots`` and ``layout.relief``: stock by item, kit per person, fleets, call-offs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from omegaconf import MISSING

from sim.config.checks import ConfigError, check_share, positive

if TYPE_CHECKING:
    from sim.config.layout import LayoutConfig


@dataclass
class KitItemConfig:
    """One item of the per-person relief kit (sim/relief/service.py).

    ``per_person`` units per person, once (durable items) or per day (``per_day``: food,
    water). ``reserve``: the item counts in the plans' "reserve standard of N people".
    """

    per_person: float = MISSING
    per_day: bool = False
    unit_kg: float = MISSING
    unit_m3: float = MISSING
    reserve: bool = True
    source: str = ""


@dataclass
class DepotConfig:
    """A stock holder: district depot, town/village storage point, regional depot, supplier.

    ``stock`` is on hand at the start. ``calloff`` is released by a call-off (regional
    depot, agreement supplier) ``calloff_delay_min`` (mean) after it is triggered, in
    ``calloff_batches`` batches ``calloff_interval_min`` apart; with ``deliver_to`` (a depot
    key) the supplier's own transport brings each batch to that depot, else trucks collect it.
    """

    node: str = MISSING
    level: str = "district"  # district | town | village | regional | supplier
    town: str = ""  # town/street of a town/village storage point ('' = the node itself)
    stock: dict[str, float] = field(default_factory=dict)
    calloff: dict[str, float] = field(default_factory=dict)
    calloff_delay_min: float = 0.0
    calloff_trigger: str = "shortage"  # shortage | first_demand
    calloff_batches: int = 1
    calloff_interval_min: float = 1440.0
    deliver_to: str = ""
    source: str = ""


@dataclass
class FleetConfig:
    """A group of identical relief vehicles (trucks, boats, helicopters).

    ``base`` is a depot key, or ``each_town_depot`` for one group at every town-level
    storage point. Road vehicles use the road network (closures apply); water/air vehicles
    load at their base and travel the great-circle distance x ``detour`` at ``speed_kmh``
    to the nodes in ``serves`` (empty: any node), and are used only where roads fail.
    """

    base: str = MISSING
    mode: str = "road"  # road | water | air
    count: int = 1
    capacity_kg: float = MISSING
    capacity_m3: float = MISSING
    activation_min: float = 0.0  # mean call-out delay from the first demand
    road_time_factor: float = 1.0  # loaded truck time / free-flow road time
    speed_kmh: float = 0.0  # water/air only
    detour: float = 1.0  # water/air only
    max_leg_min: float = 0.0  # > 0: serves only shelters within this drive of depot and itself
    serves: list[str] = field(default_factory=list)
    # water/air only: where the craft waits before its first sortie (an air base, a regional
    # centre's wharf; '' = at its base depot); it positions to the base depot to load
    station: str = ""
    turnaround_min: float = 0.0  # water/air: refuel and crew check at the base after a sortie
    # no departures between these clock hours (equal: none), nor in a storm's impact window
    # when ``weather_limited`` (a grounded helicopter waits)
    night_start_h: float = 0.0
    night_end_h: float = 0.0
    weather_limited: bool = False
    source: str = ""


@dataclass
class ReliefConfig:
    """Relief logistics: kit, vehicles, handling times, which towns are remote."""

    kit: dict[str, KitItemConfig] = field(default_factory=dict)
    fleets: dict[str, FleetConfig] = field(default_factory=dict)
    remote_towns: list[str] = field(default_factory=list)  # disaster-prone/remote towns
    kit_days: float = 1.0  # days of per-day items in the arrival kit ("needs met")
    reserve_days: float = 1.0  # days of per-day items in one person of the reserve standard
    target_h: float = 24.0  # needs met within this many hours of arrival (002 L180)
    load_fixed_min: float = 15.0  # per stop, loading or unloading
    handle_kg_per_min: float = 130.0  # loading/unloading rate
    # ASSUMPTION: the planner looks again at most every 15 min (a dispatcher's round), not at
    # every arrival or ration order; a free vehicle or new stock waits at most this long.
    replan_min: float = 15.0
    # ASSUMPTION: a truck leaves with at least a quarter of its weight/volume capacity, unless
    # the oldest order it carries has waited an hour or the load completes a group's kit.
    min_load_share: float = 0.25
    max_hold_min: float = 60.0


DEPOT_LEVELS = ("district", "town", "village", "regional", "supplier")

FLEET_MODES = ("road", "water", "air")

CALLOFF_TRIGGERS = ("shortage", "first_demand")


def validate_relief(layout: LayoutConfig) -> None:
    """Checks of ``layout.depots`` and ``layout.relief`` (relief logistics)."""
    relief = layout.relief
    kit = relief.kit if relief is not None else {}
    for key, item in kit.items():
        f = f"layout.relief.kit.{key}"
        positive(item.per_person, f"{f}.per_person", allow_zero=True)
        positive(item.unit_kg, f"{f}.unit_kg")
        positive(item.unit_m3, f"{f}.unit_m3")
    for key, d in layout.depots.items():
        f = f"layout.depots.{key}"
        if d.level not in DEPOT_LEVELS:
            raise ConfigError(f"{f}.level='{d.level}': must be one of {', '.join(DEPOT_LEVELS)}")
        if d.calloff_trigger not in CALLOFF_TRIGGERS:
            raise ConfigError(
                f"{f}.calloff_trigger='{d.calloff_trigger}': "
                f"must be one of {', '.join(CALLOFF_TRIGGERS)}"
            )
        for what in ("stock", "calloff"):
            for item, qty in getattr(d, what).items():
                if relief is not None and item not in kit:
                    raise ConfigError(f"{f}.{what}.{item}: not an item of layout.relief.kit")
                positive(qty, f"{f}.{what}.{item}", allow_zero=True)
        positive(d.calloff_delay_min, f"{f}.calloff_delay_min", allow_zero=True)
        positive(d.calloff_batches, f"{f}.calloff_batches")
        positive(d.calloff_interval_min, f"{f}.calloff_interval_min", allow_zero=True)
        if d.deliver_to and d.deliver_to not in layout.depots:
            raise ConfigError(f"{f}.deliver_to='{d.deliver_to}': not a key of layout.depots")
    if relief is None:
        return
    if not kit:
        raise ConfigError("layout.relief.kit: must list at least one item")
    for key, fl in relief.fleets.items():
        f = f"layout.relief.fleets.{key}"
        if fl.mode not in FLEET_MODES:
            raise ConfigError(f"{f}.mode='{fl.mode}': must be one of {', '.join(FLEET_MODES)}")
        if fl.base != "each_town_depot" and fl.base not in layout.depots:
            raise ConfigError(f"{f}.base='{fl.base}': not a key of layout.depots")
        positive(fl.count, f"{f}.count", allow_zero=True)
        positive(fl.capacity_kg, f"{f}.capacity_kg")
        positive(fl.capacity_m3, f"{f}.capacity_m3")
        positive(fl.activation_min, f"{f}.activation_min", allow_zero=True)
        positive(fl.road_time_factor, f"{f}.road_time_factor")
        positive(fl.max_leg_min, f"{f}.max_leg_min", allow_zero=True)
        if fl.mode != "road":
            positive(fl.speed_kmh, f"{f}.speed_kmh")
            if fl.detour < 1:
                raise ConfigError(f"{f}.detour={fl.detour}: must be >= 1")
        elif (
            fl.station
            or fl.turnaround_min
            or fl.weather_limited
            or fl.night_start_h != fl.night_end_h
        ):
            raise ConfigError(
                f"{f}: station, turnaround_min, night hours and weather_limited are for "
                "water/air fleets only (mode road)"
            )
        positive(fl.turnaround_min, f"{f}.turnaround_min", allow_zero=True)
        for name in ("night_start_h", "night_end_h"):
            if not 0 <= getattr(fl, name) < 24:
                raise ConfigError(f"{f}.{name}={getattr(fl, name)}: must be within [0, 24)")
    for name in ("kit_days", "reserve_days", "target_h", "handle_kg_per_min"):
        positive(getattr(relief, name), f"layout.relief.{name}")
    positive(relief.load_fixed_min, "layout.relief.load_fixed_min", allow_zero=True)
    for name in ("replan_min", "max_hold_min"):
        positive(getattr(relief, name), f"layout.relief.{name}", allow_zero=True)
    check_share(relief.min_load_share, "layout.relief.min_load_share")
