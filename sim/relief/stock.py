"""Relief stock: depots and a ledger of stock by depot and item.

Stock is a (depots x items) numpy matrix. A quantity is *reserved* when a vehicle is sent
to fetch it, leaves the depot when the vehicle is loaded (it is then *in transit*) and is
*delivered* when the vehicle unloads at a shelter. Call-offs from regional depots and
suppliers enter as *replenished*. At every instant, per item::

    in depots + in transit + delivered == initial + replenished
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim.config import DepotConfig

EPS = 1e-6  # quantities below this are zero (items are counted in floats)
LOCAL_LEVELS = ("town", "village")  # town/street storage points and village rooms


@dataclass
class Depot:
    """One stock holder at a network node."""

    key: str
    slot: int
    node: int
    level: str
    town: str
    cfg: DepotConfig


class StockLedger:
    """Stock by depot and item, with reservations and the conservation totals."""

    def __init__(self, items: list[str], depots: list[Depot]) -> None:
        self.items = items
        self.item_index = {it: i for i, it in enumerate(items)}
        self.depots = depots
        shape = (len(depots), len(items))
        self.stock = np.zeros(shape)
        self.reserved = np.zeros(shape)
        self.initial = np.zeros(len(items))
        self.replenished = np.zeros(len(items))
        self.in_transit = np.zeros(len(items))
        self.delivered = np.zeros(len(items))

    def vec(self, quantities: Mapping[str, float]) -> np.ndarray:
        """Item vector from ``{item: quantity}``."""
        out = np.zeros(len(self.items))
        for item, q in quantities.items():
            out[self.item_index[item]] += float(q)
        return out

    def available(self) -> np.ndarray:
        """Stock not yet promised to a vehicle (depots x items)."""
        return self.stock - self.reserved

    def put_initial(self, d: int, qty: np.ndarray) -> None:
        self.stock[d] += qty
        self.initial += qty

    def replenish(self, d: int, qty: np.ndarray) -> None:
        """A call-off batch arrives at depot ``d``."""
        self.stock[d] += qty
        self.replenished += qty

    def reserve(self, d: int, qty: np.ndarray) -> None:
        """Promise ``qty`` at depot ``d`` to a vehicle on its way."""
        if (qty > self.available()[d] + EPS).any():
            raise RuntimeError(f"reserving more than available at depot {self.depots[d].key}")
        self.reserved[d] += qty

    def load(self, d: int, qty: np.ndarray) -> list[int]:
        """Reserved ``qty`` leaves depot ``d`` on a vehicle; returns items that ran out."""
        had = self.stock[d] > EPS
        self.reserved[d] = _clip0(self.reserved[d] - qty)
        left = self.stock[d] - qty
        if (left < -EPS).any():
            raise RuntimeError(f"loading more than the stock of depot {self.depots[d].key}")
        self.stock[d] = _clip0(left)
        self.in_transit += qty
        return [int(i) for i in (had & (self.stock[d] <= EPS)).nonzero()[0]]

    def unload(self, qty: np.ndarray) -> None:
        """A vehicle's load is handed over at a shelter."""
        self.in_transit = _clip0(self.in_transit - qty)
        self.delivered += qty

    def totals(self) -> dict[str, np.ndarray]:
        """Per-item totals for the conservation check."""
        return {
            "initial": self.initial.copy(),
            "replenished": self.replenished.copy(),
            "in_depots": self.stock.sum(axis=0),
            "in_transit": self.in_transit.copy(),
            "delivered": self.delivered.copy(),
        }


def _clip0(a: np.ndarray) -> np.ndarray:
    """Remove float dust below zero (callers check for real overdrafts first)."""
    return np.maximum(a, 0.0)


def person_equivalents(stock: np.ndarray, per_person: np.ndarray, counted: np.ndarray) -> float:
    """People a stock vector covers: min over counted items of stock / need per person."""
    mask = counted & (per_person > 0)
    if not mask.any():
        return float("nan")
    return float(np.min(stock[mask] / per_person[mask]))
