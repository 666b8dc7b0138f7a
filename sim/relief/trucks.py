"""Relief vehicles: trucks on the road network, boats and helicopters off it.

Fleets from config are expanded into individual vehicles, and their state is kept in index
arrays (location, idle, ready, mode) so the planner picks the fastest vehicle with one
vectorised ``argmin`` over a shortest-path row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from sim.config import FleetConfig, ReliefConfig
from sim.core.flight import OperatingWindow
from sim.core.network import RoadNetwork, great_circle_m
from sim.core.streams import unit_id
from sim.relief.stock import LOCAL_LEVELS, Depot


@dataclass
class Vehicle:
    """One truck, boat or helicopter."""

    id: str
    fleet: str
    slot: int
    mode: str  # road | water | air
    depot: int  # slot of the base depot
    home: int  # node index of the base
    capacity_kg: float
    capacity_m3: float
    time_factor: float  # road: loaded-truck time / free-flow time
    speed_kmh: float
    detour: float
    max_leg_min: float
    serves: frozenset[int] | None  # water/air: reachable nodes (None: any)
    location: int = 0
    returning: simpy.Process | None = field(default=None, repr=False)
    turnaround_min: float = 0.0  # water/air: after each sortie, at the base
    window: OperatingWindow | None = None  # water/air: when it may set off (None: always)
    drops: dict[str, list[int]] = field(default_factory=dict)  # town -> served nodes in it


def town_of(net: RoadNetwork, node: int) -> str:
    """The town/street a node belongs to (its ``town`` attribute, else the node itself)."""
    return str(net.attr(node, "town") or net.nodes[node])


def build_vehicles(
    relief: ReliefConfig,
    depots: list[Depot],
    net: RoadNetwork,
    start_hour: float = 8.0,
    storms: list[tuple[float, float]] | None = None,
) -> tuple[list[Vehicle], dict[str, list[int]]]:
    """Vehicles of every fleet, and the vehicle slots of each fleet.

    Water and air craft get their operating window (night hours, storm windows when
    ``weather_limited``), their station and, per town, the served nodes (wharves, landing
    zones) they can drop a load at.
    """
    by_key = {d.key: d for d in depots}
    vehicles: list[Vehicle] = []
    fleets: dict[str, list[int]] = {}
    for key, fc in relief.fleets.items():
        bases = (
            [d for d in depots if d.level in LOCAL_LEVELS]
            if fc.base == "each_town_depot"
            else [by_key[fc.base]]
        )
        serves = (
            frozenset(net.idx(n, f"layout.relief.fleets.{key}.serves") for n in fc.serves)
            if fc.serves
            else None
        )
        window = None
        if fc.mode != "road" and (fc.night_start_h != fc.night_end_h or fc.weather_limited):
            window = OperatingWindow(
                start_hour, fc.night_start_h, fc.night_end_h,
                list(storms or []) if fc.weather_limited else [],
            )  # fmt: skip
        drops: dict[str, list[int]] = {}
        for n in sorted(serves or ()):
            drops.setdefault(town_of(net, n), []).append(n)
        station = net.idx(fc.station, f"layout.relief.fleets.{key}.station") if fc.station else -1
        slots = []
        for base in bases:
            prefix = f"{key}_{base.key}" if fc.base == "each_town_depot" else key
            for j in range(fc.count):
                name = unit_id(prefix, j, fc.count)
                slots.append(len(vehicles))
                v = _vehicle(name, key, len(vehicles), fc, base, serves)
                v.window, v.drops = window, drops
                if station >= 0:
                    v.location = station
                vehicles.append(v)
        fleets[key] = slots
    return vehicles, fleets


def _vehicle(
    vid: str, fleet: str, slot: int, fc: FleetConfig, base: Depot, serves: frozenset[int] | None
) -> Vehicle:
    return Vehicle(
        id=vid,
        fleet=fleet,
        slot=slot,
        mode=fc.mode,
        depot=base.slot,
        home=base.node,
        capacity_kg=fc.capacity_kg,
        capacity_m3=fc.capacity_m3,
        time_factor=fc.road_time_factor,
        speed_kmh=fc.speed_kmh,
        detour=fc.detour,
        max_leg_min=fc.max_leg_min,
        serves=serves,
        location=base.node,
        turnaround_min=fc.turnaround_min,
    )


def direct_minutes(net: RoadNetwork, a: int, b: int, speed_kmh: float, detour: float) -> float:
    """Travel minutes off the road network: great-circle distance x detour at ``speed_kmh``."""
    if a == b:
        return 0.0
    la, lb = net.node_attr["lat"], net.node_attr["lon"]
    metres = great_circle_m(la[a], lb[a], la[b], lb[b]) * detour
    return metres / 1000.0 / speed_kmh * 60.0 if speed_kmh > 0 else math.inf


class VehicleIndex:
    """Index arrays over all vehicles: where they are and whether they can be sent."""

    def __init__(self, vehicles: list[Vehicle]) -> None:
        self.vehicles = vehicles
        n = len(vehicles)
        self.loc = np.array([v.location for v in vehicles], dtype=np.int64)
        self.ready = np.zeros(n, dtype=bool)  # fleet activated
        self.idle = np.ones(n, dtype=bool)  # not on a trip
        self.road = np.array([v.mode == "road" for v in vehicles], dtype=bool)
        self.factor = np.array([v.time_factor for v in vehicles])
        self.max_leg = np.array([v.max_leg_min for v in vehicles])

    def free(self) -> np.ndarray:
        """Vehicles that can take a trip now."""
        return self.ready & self.idle
