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


def oldest_reference(s: Shelter) -> float | None:
    cover = s.pipeline.copy()
    for o in s.orders:
        rest = o.open() - cover
        if np.any(rest > EPS):
            return o.t
        cover = np.maximum(cover - o.open(), 0.0)
    return None


def settle_reference(s: Shelter) -> list[Group]:
    """The order-by-order fill that Shelter.settle replaced."""
    met: list[Group] = []
    has_spare = bool(np.any(s.spare > EPS))
    keep: list[Order] = []
    for o in s.orders:
        if has_spare:
            take = np.minimum(o.open(), s.spare)
            o.filled += take
            s.spare -= take
            s.open_need -= take
        if np.all(o.open() <= EPS):
            s.open_need -= o.open()
            if o.kind == "kit" and o.group.met_t is None:
                met.append(o.group)
            continue
        keep.append(o)
    s.orders = keep
    s.open_need = np.maximum(s.open_need, 0.0)
    s.spare = np.maximum(s.spare, 0.0)
    return met


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
        assert s.oldest_unassigned_t() == oldest_reference(s)
    svc = fake_service(rng, shelters, exhausted)
    want = budget_reference(svc, shelters)
    got = ReliefService._budget(svc, shelters)
    assert list(got) == list(want)
    for sid in want:
        assert got[sid].tobytes() == want[sid].tobytes(), sid


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_the_cached_rows_follow_every_change_of_the_orders(seed):
    """A shelter keeps its orders' ``need - filled`` between changes: after a delivery, a
    new order and people leaving, what it answers is what the loops give on the orders as
    they are then."""
    rng = np.random.default_rng(seed)
    (s,) = random_shelters(rng, 1)

    def check():
        ref = uncovered_reference(s)
        got = s.uncovered_orders()
        assert got.tobytes() == (np.array(ref) if ref else np.zeros((0, ITEMS))).tobytes()
        assert s.oldest_unassigned_t() == oldest_reference(s)
        # the rows' flags and times, kept up to date by add_order, as a rebuild gives them
        rows = np.array([o.open() for o in s.orders]).reshape(-1, ITEMS)
        assert s._live == (rows > EPS).any(axis=1).nonzero()[0].tolist()
        assert s._dust == (rows < 0).any(axis=1).nonzero()[0].tolist()
        assert s.order_times().tolist() == [o.t for o in s.orders]

    s.groups.extend(o.group for o in s.orders if o.group not in s.groups)
    check()
    s.receive(rng.exponential(20.0, ITEMS) * (rng.random(ITEMS) < 0.6))
    check()
    g = Group("late", t=30.0, people=2, origin="x")
    s.groups.append(g)
    s.add_order(Order(g, 30.0, "kit", np.full(ITEMS, 4.0), np.zeros(ITEMS)))
    check()
    for k, filled in enumerate((np.full(ITEMS, 1.0 + 1e-12), np.ones(ITEMS), np.zeros(ITEMS))):
        s.add_order(Order(g, 31.0 + k, "ration", np.ones(ITEMS), filled))  # dusty, done, open
        check()
    s.leave(1, np.ones(ITEMS))
    check()


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), spare=st.sampled_from([0.0, EPS / 2, 3.0, 40.0, 1e4]))
def test_settle_equals_the_order_by_order_fill(seed, spare):
    """Shelter.settle fills, drops and reports the same orders, float for float, as the
    loop it replaced: no spare, spare within rounding, spare that runs out part-way (then
    dusty orders give a rounding back) and spare for everything."""
    import copy

    rng = np.random.default_rng(seed)
    (s,) = random_shelters(rng, 1)
    for o in s.orders[:: max(1, len(s.orders) // 4)]:  # some orders done within rounding
        o.filled = o.need - EPS / 3
    s.open_need = sum((o.open() for o in s.orders), np.zeros(ITEMS))
    s.spare = rng.random(ITEMS) * spare * (rng.random(ITEMS) < 0.8)
    if rng.random() < 0.5:
        s.uncovered_orders()  # (with the rows cached before the fill)
    ref = copy.deepcopy(s)
    want = settle_reference(ref)
    got = s.settle()
    assert_same_fill(s, got, ref, want)
    fresh = np.array([o.open() for o in s.orders]) if s.orders else np.zeros((0, ITEMS))
    assert s.rest().tobytes() == fresh.tobytes()  # the cache is the orders as they are
    assert s.oldest_unassigned_t() == oldest_reference(s)


def assert_same_fill(s: Shelter, got: list[Group], ref: Shelter, want: list[Group]) -> None:
    """The shelter ``s`` after its fill (groups ``got`` met) is, bit for bit, ``ref`` after
    the reference fill (``want``): the groups met, the orders kept and their fills, the spare
    and the open need."""
    assert [g.id for g in got] == [g.id for g in want]
    assert [o.group.id for o in s.orders] == [o.group.id for o in ref.orders]
    for a, b in zip(s.orders, ref.orders, strict=True):
        assert a.filled.tobytes() == b.filled.tobytes()
    assert s.spare.tobytes() == ref.spare.tobytes()
    assert s.open_need.tobytes() == ref.open_need.tobytes()


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


def settle_before_skip(s: Shelter) -> list[Group]:
    """Shelter.settle as it was before it passed over the orders that take +0.0 of every
    item (commit 43cfb35): the fill that the golden logs were recorded with."""
    from bisect import bisect_left

    rest = s.rest()
    n = len(rest)
    met: list[Group] = []
    if not n:
        s.spare = np.maximum(s.spare, 0.0)
        return met
    orders, spare, dust = s.orders, s.spare, s._dust
    done = np.ones(n, dtype=bool)
    done[s._live] = False
    fresh: dict[int, np.ndarray] = {}
    filling = bool((spare > EPS).any())
    k = 0
    while k < n:
        if not filling or not spare.any():
            j = bisect_left(dust, k) if filling else len(dust)
            nxt = dust[j] if j < len(dust) else n
            for r in (k + done[k:nxt].nonzero()[0]).tolist():
                s.open_need -= rest[r]
                o = orders[r]
                if o.kind == "kit" and o.group.met_t is None:
                    met.append(o.group)
            if nxt >= n:
                break
            k = nxt
        o = orders[k]
        take = np.minimum(rest[k], spare)
        o.filled += take
        spare -= take
        s.open_need -= take
        op = o.open()
        if (op <= EPS).all():
            done[k] = True
            s.open_need -= op
            if o.kind == "kit" and o.group.met_t is None:
                met.append(o.group)
        else:
            done[k] = False
            fresh[k] = op
        k += 1
    if fresh:
        rest = rest.copy()
        for r, row in fresh.items():
            rest[r] = row
    keep = ~done
    s.orders = [o for o, kept in zip(orders, keep.tolist(), strict=True) if kept]
    s._set_rest(rest[keep], s._t[keep])
    s.open_need = np.maximum(s.open_need, 0.0)
    s.spare = np.maximum(spare, 0.0)
    return met


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), neg_zero=st.booleans())
def test_settle_passes_orders_that_take_nothing_as_the_fill_would(seed, neg_zero):
    """A spare of items that the younger orders do not need (durables after the kits are
    served, while ration orders need only food and water): Shelter.settle passes over the
    orders that take +0.0 of every item and must still fill, drop and report, bit for bit,
    as it did before it did so, and as the order-by-order loop does. Also around orders
    whose ``filled`` holds a -0.0 (the fill's ``+ 0.0`` turns it into +0.0: the order goes
    the long way) and orders within rounding of done. (With a -0.0 the loop itself differs
    in the sign of zeros of the orders after the spare ran out, which settle has never
    filled: only the bytes of the previous settle are compared then.)"""
    import copy

    rng = np.random.default_rng(seed)
    s = Shelter("s", node=0, seq=0, n_items=ITEMS)
    for k in range(int(rng.integers(1, 160))):
        g = Group(f"g{k}", t=float(k), people=1, origin="x")
        if rng.random() < 0.3:  # a kit: every item
            need = np.round(rng.exponential(5.0, ITEMS), 1)
            kind = "kit"
        else:  # a ration: the last two items only
            need = np.zeros(ITEMS)
            need[3:] = np.round(rng.exponential(3.0, 2), 1)
            kind = "ration"
        filled = need * rng.choice([0.0, 0.5, 1.0], ITEMS)
        if rng.random() < 0.05:
            filled = need - EPS / 3  # done within rounding
        if rng.random() < 0.03:
            filled = np.where(need > 0, need + 1e-12, filled)  # dusty: beyond the need
        if neg_zero and rng.random() < 0.1:
            filled = np.where(filled == 0.0, -0.0, filled)
        s.orders.append(Order(g, float(k), kind, need, filled))
    s.open_need = sum((o.open() for o in s.orders), np.zeros(ITEMS))
    spare = rng.exponential(20.0, ITEMS) * (rng.random(ITEMS) < 0.8)
    spare[3:] *= rng.choice([0.0, 0.1, 1.0])  # little or no food and water spare
    s.spare = spare
    if rng.random() < 0.5:
        s.uncovered_orders()  # (with the rows cached before the fill)
    refs = [(copy.deepcopy(s), settle_before_skip)]
    if not neg_zero:
        refs.append((copy.deepcopy(s), settle_reference))
    got = s.settle()
    for ref, fill in refs:
        assert_same_fill(s, got, ref, fill(ref))
    fresh = np.array([o.open() for o in s.orders]) if s.orders else np.zeros((0, ITEMS))
    assert s.rest().tobytes() == fresh.tobytes()


def load_reference(svc, s: Shelter, d: int, v, allow: np.ndarray) -> tuple[np.ndarray, bool]:
    """ReliefService._load's order-by-order loop over every open order (before it searched
    for the orders with something both uncovered and available)."""
    import math

    from sim.relief.service import _dot as weigh  # the service's sum(x * per_unit)

    avail = np.minimum(svc.ledger.available()[d], allow)
    cap_kg, cap_m3 = v.capacity_kg, v.capacity_m3
    load = np.zeros(len(svc.items))
    completes = False
    for o, rest in zip(s.orders, uncovered_reference(s), strict=True):
        x = np.minimum(rest, avail)
        kg, m3 = weigh(x, svc.unit_kg), weigh(x, svc.unit_m3)
        if kg <= EPS and m3 <= EPS:
            continue
        f = min(1.0, cap_kg / kg if kg > 0 else math.inf, cap_m3 / m3 if m3 > 0 else math.inf)
        x = x * f
        if o.kind == "kit" and (rest > EPS).any() and (rest - x <= EPS).all():
            completes = True
        load += x
        avail -= x
        cap_kg -= weigh(x, svc.unit_kg)
        cap_m3 -= weigh(x, svc.unit_m3)
        if f < 1.0:
            break
    return load, completes


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), capacity=st.sampled_from([50.0, 500.0, 5e3, 1e6]))
def test_load_equals_the_order_by_order_loop(seed, capacity):
    """What a vehicle loads (and whether it completes a kit), bit for bit as the loop over
    every order: depots short of some items (nothing, dust, a little), budgets that allow
    only part, pipelines covering the oldest orders, dusty orders, vehicles filled part-way."""
    rng = np.random.default_rng(seed)
    (s,) = random_shelters(rng, 1)
    demand = sum((o.need - o.filled for o in s.orders), np.zeros(ITEMS))
    stock = demand * rng.choice([0.0, 0.1, 0.5, 2.0], ITEMS)
    stock = np.where(rng.random(ITEMS) < 0.1, -EPS / 4, stock)  # reserved a rounding over
    allow = demand * rng.choice([0.0, 0.3, 1.0, 9.0], ITEMS)
    svc = SimpleNamespace(
        items=list(range(ITEMS)),
        ledger=SimpleNamespace(available=lambda: np.vstack([stock * 0.5, stock])),
        unit_kg=np.array([35.0, 2.5, 8.0, 0.5, 1.0]),
        unit_m3=np.array([0.15, 0.02, 0.05, 0.001, 0.001]),
        _units_nonneg=True,
    )
    v = SimpleNamespace(capacity_kg=capacity, capacity_m3=capacity / 200)
    for d in (0, 1):
        want = load_reference(svc, s, d, v, allow)
        got = ReliefService._load(svc, s, d, v, allow)
        assert got[0].tobytes() == want[0].tobytes()
        assert got[1] == want[1]


def fold_left_reference(rest: np.ndarray, budget: np.ndarray) -> np.ndarray:
    out = []
    for row in rest:
        x = np.minimum(row, budget)
        budget = budget - x
        out.append(x)
    return np.array(out).reshape(rest.shape)


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(0, 700),
    scale=st.sampled_from([0.0, 0.01, 0.3, 1.0, 3.0]),
    odd=st.sampled_from(["none", "zeros", "ties", "inf"]),
)
def test_exhausted_share_out_equals_the_loop(seed, rows, scale, odd):
    """The exhausted supply's share-out (service._fold_left) gives, bit for bit, what the
    row-by-row loop gives: budgets that last, run out part-way or are nothing, dusty rows
    (negative) that give a rounding back after the budget ran out, signed zeros, rows
    equal to what is left, and the loop's own path when something is not finite."""
    from sim.relief.service import _fold_left

    rng = np.random.default_rng(seed)
    rest = np.round(rng.exponential(5.0, (rows, ITEMS)), 1) * (rng.random((rows, ITEMS)) < 0.8)
    rest = np.where(rng.random((rows, ITEMS)) < 0.03, -1e-12, rest)  # dust
    budget = rest.sum(axis=0) * scale
    if odd == "zeros":
        rest = np.where(rest == 0.0, rng.choice([0.0, -0.0], rest.shape), rest)
        budget = np.where(rng.random(ITEMS) < 0.5, -0.0, budget)
    elif odd == "ties" and rows:
        budget = rest[: max(1, rows // 3)].sum(axis=0)  # runs out exactly at an order
        budget[0] = rest[0, 0]
    elif odd == "inf" and rows:
        budget[int(rng.integers(0, ITEMS))] = np.inf
    want = fold_left_reference(rest, budget.copy())
    got = _fold_left(rest, budget.copy())
    assert got.tobytes() == want.tobytes()
