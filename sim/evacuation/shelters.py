"""Shelters (应急避难场所) as capacity-limited assets at network nodes.

A layout lists shelter *groups* (``layout.shelters``): a type (emergency / short-term /
long-term, Nan'an's three types 001 L28), a tier, how many sites and where, and a capacity
per site (people), or an effective area and the standard area per person from which the
capacity follows. The :class:`ShelterSystem` keeps the sites in numpy arrays so that "the
nearest reachable shelter of the right type with room" is one vectorised ``argmin`` over a
shortest-path row, not a scan in Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.config import SHELTER_TYPES, LayoutConfig, ShelterGroupConfig
from sim.core.network import RoadNetwork
from sim.core.places import towns_by_population
from sim.core.streams import unit_id


@dataclass
class Shelter:
    """One shelter site."""

    id: str
    group: str
    type: str
    tier: str
    node: int
    capacity: int
    slot: int = 0


def site_capacities(g: ShelterGroupConfig) -> list[int]:
    """People each site of group ``g`` holds.

    ``capacity`` per site if given; else ``total_capacity`` split as evenly as whole people
    allow (the first sites take the remainder); else effective area / area per person.
    """
    if g.capacity > 0:
        return [int(g.capacity)] * g.count
    if g.total_capacity > 0 and g.count > 0:
        base, extra = divmod(int(g.total_capacity), g.count)
        return [base + (j < extra) for j in range(g.count)]
    return [int(math.floor(g.area_m2 / g.m2_per_person + 1e-9))] * g.count


def build_shelters(layout: LayoutConfig, net: RoadNetwork) -> list[Shelter]:
    """Expand the layout's shelter groups into sites at network nodes.

    ``home: each_town`` spreads the sites over the towns/streets, most populous first,
    cycling when there are more sites than towns (as for rescue teams); ``nodes`` lists the
    sites' nodes explicitly (cycled); otherwise ``home`` is one node id for all sites.
    """
    towns = towns_by_population(net)
    out: list[Shelter] = []
    for key, g in layout.shelters.items():
        where = f"layout.shelters.{key}"
        if g.nodes:
            nodes = [net.idx(n, f"{where}.nodes[{i}]") for i, n in enumerate(g.nodes)]
        elif g.home == "each_town":
            nodes = towns
        else:
            nodes = [net.idx(g.home, f"{where}.home")]
        for j, cap in enumerate(site_capacities(g)):
            sid = unit_id(key, j, g.count)
            out.append(Shelter(sid, key, g.type, g.tier, nodes[j % len(nodes)], cap, len(out)))
    return out


class ShelterSystem:
    """Occupancy of all shelters; nearest-with-room queries; admission never beyond capacity."""

    def __init__(self, shelters: list[Shelter], net: RoadNetwork) -> None:
        self.sites = shelters
        self.net = net
        self.node = np.array([s.node for s in shelters], dtype=np.int64)
        self.cap = np.array([s.capacity for s in shelters], dtype=np.int64)
        self.occ = np.zeros(len(shelters), dtype=np.int64)
        self.reserved = np.zeros(len(shelters), dtype=np.int64)  # held for organised transfers
        self.type_mask = {
            t: np.array([s.type == t for s in shelters], dtype=bool) for t in SHELTER_TYPES
        }

    def __len__(self) -> int:
        return len(self.sites)

    def mask(self, types: list[str] | tuple[str, ...]) -> np.ndarray:
        """Sites of any of ``types``."""
        m = np.zeros(len(self.sites), dtype=bool)
        for t in types:
            m |= self.type_mask.get(t, False)
        return m

    def nearest(self, origin: int, allowed: np.ndarray, banned_nodes: np.ndarray) -> int | None:
        """Slot of the nearest reachable site among ``allowed`` with room, not at a banned node."""
        if not len(self.sites):
            return None
        ok = allowed & (self.occ + self.reserved < self.cap) & ~banned_nodes[self.node]
        if not ok.any():
            return None
        times = np.where(ok, self.net.times_from(origin)[self.node], np.inf)
        best = int(np.argmin(times))
        return best if math.isfinite(times[best]) else None

    def free(self, slot: int) -> int:
        """Places at ``slot`` neither taken nor held for a transfer."""
        return int(self.cap[slot] - self.occ[slot] - self.reserved[slot])

    def reserve(self, slot: int, people: int) -> None:
        """Hold ``people`` places at ``slot`` for a transfer on its way."""
        if people > self.free(slot):
            raise ValueError(f"shelter {self.sites[slot].id}: cannot hold {people} places")
        self.reserved[slot] += people

    def admit(self, slot: int, people: int, held: int = 0) -> int:
        """Admit up to ``people`` at ``slot`` (``held`` of them on places reserved for them).

        Returns how many got in; never more than the free places plus their own reservation.
        """
        self.reserved[slot] -= held
        n = int(min(people, self.free(slot)))
        if n <= 0:
            return 0
        self.occ[slot] += n
        return n

    def release(self, slot: int, people: int) -> None:
        """``people`` leave ``slot``."""
        if people > self.occ[slot]:
            raise ValueError(f"shelter {self.sites[slot].id}: {people} leave, {self.occ[slot]} in")
        self.occ[slot] -= people
