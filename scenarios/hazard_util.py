"""Small helpers shared by the hazard generators (network look-ups and draws)."""

from __future__ import annotations

import math

import numpy as np

from sim.core.events import Incident, RoadClosure
from sim.core.network import RoadNetwork, great_circle_m


def edges_at(net: RoadNetwork, node: int) -> np.ndarray:
    """Indices of the roads that touch ``node`` (in network order)."""
    return np.flatnonzero((net.edge_u == node) | (net.edge_v == node))


def class_weights(net: RoadNetwork, edges: np.ndarray, weights: dict[str, float]) -> np.ndarray:
    """Exposure weight of each road by its class (1.0 for a class not listed)."""
    return np.array([weights.get(net.edge_class[e], 1.0) for e in edges], dtype=float)


def closure(
    net: RoadNetwork,
    e: int,
    t: float,
    hazard: str,
    cause: str,
    clear_min: float = math.inf,
    repair_min: float = 0.0,
) -> RoadClosure:
    u, v = net.edges[int(e)]
    return RoadClosure(
        t=float(t),
        hazard=hazard,
        u=net.nodes[u],
        v=net.nodes[v],
        cause=cause,
        clear_min=float(clear_min),
        repair_min=float(repair_min),
    )


def group_sizes(rng: np.random.Generator, people: int, mean: float) -> list[int]:
    """Split ``people`` into groups (households, vehicle loads) of mean size about ``mean``."""
    out: list[int] = []
    left = int(people)
    while left > 0:
        g = min(left, 1 + int(rng.poisson(max(mean - 1.0, 0.0))))
        out.append(g)
        left -= g
    return out


def distance_km(net: RoadNetwork, a: int, b: int) -> float:
    la, lo = net.node_attr["lat"], net.node_attr["lon"]
    return great_circle_m(la[a], lo[a], la[b], lo[b]) / 1000.0


class IncidentMaker:
    """Numbers incidents of one hazard: ``<prefix>-0001``, ``<prefix>-0002``, ..."""

    def __init__(self, net: RoadNetwork, hazard: str, prefix: str | None = None) -> None:
        self.net = net
        self.hazard = hazard
        self.prefix = prefix or hazard
        self.k = 0

    def __call__(self, t: float, node: int, **kw) -> Incident:
        self.k += 1
        return Incident(
            t=float(t),
            hazard=self.hazard,
            id=f"{self.prefix}-{self.k:04d}",
            node=self.net.nodes[node],
            **kw,
        )
