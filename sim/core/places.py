"""Settlements (towns, townships, streets) and where groups of identical units are based."""

from __future__ import annotations

from sim.core.network import RoadNetwork

# The level below the district (镇 / 乡 / 街道): the nodes that hold people.
SETTLEMENT_KINDS = ("street", "town", "township")


def towns_by_population(net: RoadNetwork) -> list[int]:
    """Settlement nodes, most populous first (ties in network order)."""
    return sorted(net.nodes_of_kind(*SETTLEMENT_KINDS), key=lambda i: -net.population[i])


def expand_homes(net: RoadNetwork, field_name: str, home: str, count: int) -> list[int]:
    """Home node of each of ``count`` units.

    ``home`` is a node id (all units there) or ``each_town``: one unit per town/street in
    order of population, wrapping round so extra units go to the most populous first.
    """
    if home == "each_town":
        towns = towns_by_population(net)
        return [towns[i % len(towns)] for i in range(count)]
    return [net.idx(home, f"{field_name}.home")] * count
