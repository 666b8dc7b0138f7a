"""The vectorised relief budget gives, float for float, what the order-by-order loop gives.

``Shelter.uncovered_orders`` and ``ReliefService._budget`` were rewritten for speed (issue
18): the references below are the loops they replaced. Random shelters cover every branch:
pipelines covering a few orders, orders filled a rounding beyond their need (negative
``open``), orders that fit only within rounding (``EPS``), shelters whose order waits, and
a supply that is exhausted (what is left goes to the oldest waiting orders).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.relief.demand import Group, Order, Shelter
from sim.relief.service import ReliefService
from sim.relief.stock import EPS

ITEMS = 5


def uncovered_reference(s: Shelter) -> list[np.ndarray]:
    cover = s.pipeline.copy()
    out = []
    for o in s.orders:
        op = o.open()
        take = np.minimum(op, cover)
        cover -= take
        out.append(op - take)
    return out


def budget_reference(svc, shelters: list[Shelter]) -> dict[str, np.ndarray]:
    budget = svc.ledger.available().sum(axis=0) + svc.incoming
    allow = {s.id: np.zeros(len(svc.items)) for s in shelters}
    rows = []
    for s in shelters:
        for k, (o, rest) in enumerate(zip(s.orders, uncovered_reference(s), strict=True)):
            if np.any(rest > EPS):
                rows.append((o.t, s.seq, k, s, rest))
    rows.sort(key=lambda r: r[:3])
    waiting: set[str] = set()
    left = []
    for _, _, _, s, rest in rows:
        if s.id not in waiting and np.all(rest <= budget + EPS):
            x = np.minimum(rest, budget)
            budget -= x
            allow[s.id] += x
        else:
            waiting.add(s.id)
            left.append((s, rest))
    if left and svc._supply_exhausted():
        for s, rest in left:
            x = np.minimum(rest, budget)
            budget -= x
            allow[s.id] += x
    return allow


def random_shelters(rng: np.random.Generator, n_shelters: int) -> list[Shelter]:
    shelters = []
    for j in range(n_shelters):
        s = Shelter(f"s{j}", node=j, seq=int(rng.integers(0, 3)), n_items=ITEMS)
        for k in range(int(rng.integers(0, 40))):
            need = np.round(rng.exponential(10.0, ITEMS) * (rng.random(ITEMS) < 0.8), 1)
            filled = need * rng.choice([0.0, 0.3, 1.0], ITEMS)
            dust = rng.random(ITEMS) < 0.05  # filled a rounding beyond the need
            filled = np.where(dust, need + 1e-12, filled)
            g = Group(f"g{j}_{k}", t=0.0, people=1, origin="x")
            t = float(rng.integers(0, 20))  # ties across shelters and within one
            s.orders.append(Order(g, t, "kit" if k % 3 else "ration", need, filled))
        s.orders.sort(key=lambda o: o.t)
        s.pipeline = rng.exponential(15.0, ITEMS) * (rng.random(ITEMS) < 0.7)
        shelters.append(s)
    return shelters


def fake_service(rng: np.random.Generator, shelters: list[Shelter], exhausted: bool):
    demand = sum((o.need - o.filled for s in shelters for o in s.orders), np.zeros(ITEMS))
    stock = demand * rng.choice([0.2, 0.7, 1.0, 3.0]) / 2
    if rng.random() < 0.3:  # an order that fits only within rounding
        stock = stock - EPS / 4
    return SimpleNamespace(
        items=list(range(ITEMS)),
        ledger=SimpleNamespace(available=lambda: np.vstack([stock, stock])),
        incoming=rng.exponential(5.0, ITEMS) * (rng.random(ITEMS) < 0.3),
        _supply_exhausted=lambda: exhausted,
    )


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_shelters=st.integers(0, 5), exhausted=st.booleans())
def test_budget_equals_the_order_by_order_loop(seed, n_shelters, exhausted):
    rng = np.random.default_rng(seed)
    shelters = random_shelters(rng, n_shelters)
    for s in shelters:
        ref = uncovered_reference(s)
        got = s.uncovered_orders()
        assert got.shape == (len(s.orders), ITEMS)
        assert got.tobytes() == (np.array(ref) if ref else np.zeros((0, ITEMS))).tobytes()
    svc = fake_service(rng, shelters, exhausted)
    want = budget_reference(svc, shelters)
    got = ReliefService._budget(svc, shelters)
    assert list(got) == list(want)
    for sid in want:
        assert got[sid].tobytes() == want[sid].tobytes(), sid


@pytest.mark.parametrize("exhausted", [False, True])
def test_budget_reserves_whole_orders_oldest_first(exhausted):
    """Hand-made: 10 in stock; orders of 6 (s0, t=0), 6 (s1, t=1), 3 (s0, t=2), 4 (s1, t=3).
    s0's 6 fits; s1's 6 does not (4 left), so s1 waits and its 4 waits behind it; s0's 3
    fits. Exhausted supply: the 1 left goes to s1's oldest waiting order."""
    shelters = [Shelter(f"s{j}", node=j, seq=j, n_items=1) for j in range(2)]
    for sid, t, q in ((0, 0.0, 6.0), (1, 1.0, 6.0), (0, 2.0, 3.0), (1, 3.0, 4.0)):
        g = Group(f"g{t}", t=t, people=1, origin="x")
        shelters[sid].orders.append(Order(g, t, "kit", np.array([q]), np.array([0.0])))
    svc = SimpleNamespace(
        items=[0],
        ledger=SimpleNamespace(available=lambda: np.array([[10.0]])),
        incoming=np.zeros(1),
        _supply_exhausted=lambda: exhausted,
    )
    got = ReliefService._budget(svc, shelters)
    assert got["s0"].tolist() == [9.0]
    assert got["s1"].tolist() == ([1.0] if exhausted else [0.0])
