"""Where a group of identical teams (or shelters) is based."""

from __future__ import annotations

from sim.network import RoadNetwork

SETTLEMENT_KINDS = ("street", "town", "township")


def expand_homes(net: RoadNetwork, field_name: str, home: str, count: int) -> list[int]:
    """Home node of each of ``count`` units.

    ``home`` is a node id (all units there) or ``each_town``: one unit per town/street in
    order of population, wrapping round so extra units go to the most populous first.
    """
    if home == "each_town":
        towns = sorted(net.nodes_of_kind(*SETTLEMENT_KINDS), key=lambda i: -net.population[i])
        return [towns[i % len(towns)] for i in range(count)]
    return [net.idx(home, f"{field_name}.home")] * count
