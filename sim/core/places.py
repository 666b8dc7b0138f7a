"""Settlements (towns, townships, streets) and where groups of identical units are based."""

from __future__ import annotations

from sim.core.errors import NetworkError
from sim.core.network import RoadNetwork

# The level below the district (镇 / 乡 / 街道): the nodes that hold people.
SETTLEMENT_KINDS = ("street", "town", "township")


def towns_by_population(net: RoadNetwork) -> list[int]:
    """Settlement nodes, most populous first (ties in network order)."""
    return sorted(net.nodes_of_kind(*SETTLEMENT_KINDS), key=lambda i: -net.population[i])


def settled_towns(net: RoadNetwork, field_name: str) -> list[int]:
    """Towns by population for an ``each_town`` setting; NetworkError naming ``field_name``
    when the network has no town/street nodes or none of them has residents."""
    towns = towns_by_population(net)
    if not towns:
        raise NetworkError(
            f"{field_name}=each_town: the network has no towns/streets (nodes of kind "
            f"{', '.join(SETTLEMENT_KINDS)}); name a node id instead, or add towns to the network"
        )
    if all(net.population[i] <= 0 for i in towns):
        raise NetworkError(
            f"{field_name}=each_town: no town/street of the network has residents "
            "(population 0 everywhere); set node populations (e.g. python -m sim.district new "
            "... --population CSV) or name a node id"
        )
    return towns


def expand_homes(net: RoadNetwork, field_name: str, home: str, count: int) -> list[int]:
    """Home node of each of ``count`` units.

    ``home`` is a node id (all units there) or ``each_town``: one unit per town/street in
    order of population, wrapping round so extra units go to the most populous first.
    """
    if home == "each_town":
        towns = settled_towns(net, f"{field_name}.home")
        return [towns[i % len(towns)] for i in range(count)]
    return [net.idx(home, f"{field_name}.home")] * count


def place_names(table, column: str) -> dict[str, str]:
    """``id -> "id 中文名"`` for the places in ``table[column]``, from its ``<column>_zh``
    column (see :meth:`RoadNetwork.with_names_zh`); the id alone where there is none."""
    zh = f"{column}_zh"
    if zh not in table.columns:
        return {}
    return {
        str(k): f"{k} {v}" if v and v != k else str(k)
        for k, v in zip(table[column], table[zh], strict=True)
    }
