"""Relief demand at shelters: groups of sheltered people and their kit orders.

Each group that arrives at a shelter places a *kit order* (durable items per person plus
``kit_days`` of food and water); while it stays it places a *ration order* every further
day. Deliveries to a shelter fill its open orders first come, first served. A group's basic
needs are met when its kit order is complete.

People who leave take their unfilled demand with them (orders shrink). People who go home
leave the durable items of a served kit in the shelter, as spare for later arrivals; people
handed on to another shelter take what they hold with them (their kit, or the filled part of
it), and their clock keeps running from their first arrival (``t0``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from sim.relief.stock import EPS


@dataclass
class Group:
    """People who arrived together (a household, a vehicle load, a village)."""

    id: str
    t: float  # arrival at this shelter
    people: int  # still in the shelter
    origin: str
    met_t: float | None = None
    t0: float = -1.0  # first arrival at any shelter (handed-on groups); -1: ``t``

    def __post_init__(self) -> None:
        if self.t0 < 0:
            self.t0 = self.t


@dataclass
class Order:
    """Items a group needs at its shelter."""

    group: Group
    t: float
    kind: str  # kit | ration
    need: np.ndarray
    filled: np.ndarray

    def open(self) -> np.ndarray:
        return self.need - self.filled


@dataclass
class Shelter:
    """One shelter's demand, what is on its way, and what it holds unassigned."""

    id: str
    node: int
    seq: int
    n_items: int
    orders: list[Order] = field(default_factory=list)  # open orders, oldest first
    groups: deque[Group] = field(default_factory=deque)  # present groups, oldest first
    blocked: bool = False  # a 'relief_blocked' episode is open
    waiting_road: bool = False  # a 'relief_wait_road' episode is open (cheaper than flying)

    def __post_init__(self) -> None:
        z = np.zeros(self.n_items)
        self._rest: np.ndarray | None = None  # need - filled of ``orders`` (a row each), cached
        self._t = np.zeros(0)  # (with _rest) each order's t
        self._live: list[int] = []  # rows of _rest with an item above EPS (for settle)
        self._dust: list[int] = []  # rows of _rest with a negative item
        # uncovered_orders() and its rows above EPS, for the _rest (the same object: rows
        # are never changed in place, a change makes a new one) and the pipeline's bytes
        self._cover_memo: list | None = None
        self.pipeline = z.copy()  # promised to or on vehicles heading here
        self.spare = z.copy()  # delivered but not needed by any open order
        self.open_need = z.copy()  # sum of open orders
        self.need_total = z.copy()  # every order ever placed
        self.received = z.copy()  # every delivery

    # ---------------------------------------------------------------- demand
    def add_order(self, order: Order) -> list[Group]:
        """Place an order; spare stock fills it at once. Returns groups now met."""
        op = order.open()
        if self._rest is not None:  # (the cached rows gain the new order's, and its flags)
            n = len(self._rest)
            self._rest = np.concatenate((self._rest, op[None]))
            self._t = np.concatenate((self._t, (order.t,)))
            if (op > EPS).any():
                self._live.append(n)
            if (op < 0).any():
                self._dust.append(n)
        self.orders.append(order)
        self.open_need += op
        self.need_total += order.need
        if (self.spare > EPS).any():
            return self.settle()
        # no spare stock: the other open orders are unchanged, only the new one may be done
        if (op <= EPS).all():
            self.orders.pop()
            self._rest = None
            self.open_need = np.maximum(self.open_need - op, 0.0)
            if order.kind == "kit" and order.group.met_t is None:
                return [order.group]
        return []

    def unassigned(self) -> np.ndarray:
        """Open demand not yet covered by vehicles on their way."""
        return np.maximum(self.open_need - self.pipeline, 0.0)

    def oldest_unassigned_t(self) -> float | None:
        """Time of the oldest order that vehicles on their way do not cover (None: all).

        The first row of :meth:`uncovered_orders` above ``EPS``: taking ``min(rest, cover)``
        off both leaves, item by item, the same floats as the order-by-order scan's
        ``rest - cover`` and ``max(cover - rest, 0)`` (tests/test_relief_budget.py).
        """
        live = self.uncovered_live()
        return self.orders[int(live[0])].t if live.size else None

    def rest(self) -> np.ndarray:
        """``need - filled`` of every open order (a row each, oldest first; do not modify).

        Kept, with the rows above ``EPS`` and the dusty (negative) rows, until an order
        changes: every change goes through this class's methods."""
        if self._rest is None:
            if not self.orders:
                self._set_rest(np.zeros((0, self.n_items)), np.zeros(0))
            else:
                need = np.array([o.need for o in self.orders])
                t = np.array([o.t for o in self.orders], dtype=float)
                self._set_rest(need - np.array([o.filled for o in self.orders]), t)
        return self._rest

    def order_times(self) -> np.ndarray:
        """``t`` of every open order (as the rows of :meth:`rest`; do not modify)."""
        self.rest()
        return self._t

    def _set_rest(self, rest: np.ndarray, t: np.ndarray) -> None:
        # (add_order extends the three as this would compute them for the longer rows)
        self._rest, self._t = rest, t
        self._live = (rest > EPS).any(axis=1).nonzero()[0].tolist()
        self._dust = (rest < 0).any(axis=1).nonzero()[0].tolist()

    def uncovered_orders(self) -> np.ndarray:
        """Per open order (a row each, oldest first), the part vehicles on their way do not
        cover: the pipeline covers the orders in turn, oldest first (read-only).

        Computed as the order-by-order loop would be, float for float, but the orders after
        the cover runs out are taken as they are (``open - 0``), except that an order filled
        a rounding beyond its need (a negative ``open``) adds that dust to the cover again.
        Kept until the orders (:meth:`rest`) or the pipeline change: a planning round asks
        for it several times (:meth:`oldest_unassigned_t`, the budget, the load).
        """
        return self._uncovered()[0]

    def uncovered_live(self) -> np.ndarray:
        """Rows of :meth:`uncovered_orders` with an item above ``EPS`` (indices, ascending)."""
        return self._uncovered()[1]

    def uncovered_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(:meth:`uncovered_live`, those rows of :meth:`uncovered_orders`, those orders'
        ``t``): the budget's rows (read-only)."""
        memo = self._uncovered_memo()
        if memo[4] is None:
            rows, t = memo[2][memo[3]], self._t[memo[3]]
            rows.flags.writeable = t.flags.writeable = False
            memo[4] = (memo[3], rows, t)
        return memo[4]

    def _uncovered(self) -> tuple[np.ndarray, np.ndarray]:
        memo = self._uncovered_memo()
        return memo[2], memo[3]

    def _uncovered_memo(self) -> list:
        """[rest, pipeline bytes, uncovered, live, budget rows or None] for the rows as they
        are (rows are never changed in place: a change makes a new ``_rest``)."""
        rest = self.rest()
        key = self.pipeline.tobytes()  # (bytes, not ==: -0.0 or NaN cannot match wrongly)
        memo = self._cover_memo
        if memo is not None and memo[0] is rest and memo[1] == key:
            return memo
        got = self._cover(rest)
        live = (got > EPS).any(axis=1).nonzero()[0]
        got.flags.writeable = False
        live.flags.writeable = False
        self._cover_memo = [rest, key, got, live, None]
        return self._cover_memo

    def _cover(self, rest: np.ndarray) -> np.ndarray:
        rest = rest.copy()
        n = len(rest)
        if not n:
            return rest
        cover = self.pipeline.copy()
        dust = self._dust
        k = 0
        if cover.any():
            # Item by item the loop below is a fold: while an order's rest fits in the cover
            # it takes all of it (the cover is ``subtract.accumulate``, the rest becomes
            # ``rest - rest``); the first order that does not fit takes the cover (its rest
            # becomes ``rest - cover``, the cover 0.0); the orders after it take nothing, up
            # to a dusty one (negative rest), which would give that item cover again: the
            # loop goes on from the first such order.
            before = np.subtract.accumulate(np.concatenate((cover[None], rest)), axis=0)
            over = rest > before[:-1]
            first = np.where(over.any(axis=0), over.argmax(axis=0), n)
            stop = n
            for c in (first < n - 1).nonzero()[0].tolist():
                revive = (rest[first[c] + 1 :, c] < 0).nonzero()[0]
                if revive.size:
                    stop = min(stop, int(first[c]) + 1 + int(revive[0]))
            row = np.arange(stop)[:, None]
            part = rest[:stop]
            rest[:stop] = np.where(
                row < first, part - part, np.where(row == first, part - before[:stop], part)
            )
            cover = np.where(first < stop, 0.0, before[stop])
            k = stop
        while k < n:
            if not cover.any():  # nothing covers the orders from k on until a dusty one
                j = bisect_left(dust, k)
                if j == len(dust):
                    break
                k = dust[j]
            take = np.minimum(rest[k], cover)
            cover -= take
            rest[k] -= take
            k += 1
        return rest

    # ---------------------------------------------------------------- supply
    def receive(self, qty: np.ndarray) -> list[Group]:
        """A delivery arrives. Returns groups whose kit is now complete."""
        self.pipeline = np.maximum(self.pipeline - qty, 0.0)
        self.received += qty
        self.spare += qty
        return self.settle()

    def settle(self) -> list[Group]:
        """Fill open orders from spare stock, oldest first. Returns groups now met.

        The order-by-order fill (take ``min(open, spare)``; an order whose open part is
        then within ``EPS`` is done and its dust leaves ``open_need``), float for float,
        with two shortcuts: an order taken nothing from keeps its cached row, and once the
        spare is used up only dusty orders (a negative open part, which gives the spare a
        rounding back) are filled from it until it is not zero again.
        """
        rest = self.rest()
        n = len(rest)
        met: list[Group] = []
        if not n:
            self.spare = np.maximum(self.spare, 0.0)
            return met
        orders, spare, dust = self.orders, self.spare, self._dust
        done = np.ones(n, dtype=bool)
        done[self._live] = False  # (orders taken nothing from: done if within EPS as cached)
        fresh: dict[int, np.ndarray] = {}  # new rows of the orders filled from the spare
        filling = bool((spare > EPS).any())
        k = 0
        while k < n:
            if not filling or not spare.any():  # no take until the next dusty order
                j = bisect_left(dust, k) if filling else len(dust)
                nxt = dust[j] if j < len(dust) else n
                for r in (k + done[k:nxt].nonzero()[0]).tolist():
                    self.open_need -= rest[r]  # float dust
                    o = orders[r]
                    if o.kind == "kit" and o.group.met_t is None:
                        met.append(o.group)
                if nxt >= n:
                    break
                k = nxt  # a dusty order: filled from the (zero) spare as below
                take = np.minimum(rest[k], spare)
            else:
                # orders that take +0.0 of every item from the spare as it stands: the fill
                # leaves them, the spare and open_need as they are (x - 0.0 and x + 0.0 are
                # x, no -0.0 in ``filled``), so their open part is their cached row
                take = np.minimum(rest[k], spare)
                j = k if take.view(np.uint64).any() else _zero_takes(rest, orders, k, spare)
                if j > k:
                    within = (rest[k:j] <= EPS).all(axis=1)
                    done[k:j] = within
                    for r in (k + within.nonzero()[0]).tolist():
                        self.open_need -= rest[r]  # float dust
                        o = orders[r]
                        if o.kind == "kit" and o.group.met_t is None:
                            met.append(o.group)
                    k = j
                    continue
            o = orders[k]
            o.filled += take
            spare -= take
            self.open_need -= take
            op = o.open()
            if (op <= EPS).all():
                done[k] = True
                self.open_need -= op  # float dust
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
        self.orders = [o for o, kept in zip(orders, keep.tolist(), strict=True) if kept]
        self._set_rest(rest[keep], self._t[keep])
        self.open_need = np.maximum(self.open_need, 0.0)
        self.spare = np.maximum(spare, 0.0)
        return met

    # ---------------------------------------------------------------- people leave
    def leave(
        self, people: int, durable_pp: np.ndarray, kit_pp: np.ndarray | None = None
    ) -> tuple[list[tuple[Group, int, np.ndarray]], int]:
        """``people`` leave, oldest groups first. Returns (group, how many, items they take)
        and the people beyond those present.

        Open orders of a group shrink with it. Going home (``kit_pp`` None): items filled
        beyond the smaller need and the durable items of served people become spare. Handed
        on (``kit_pp`` given): they take those filled items, or their whole kit if served.
        """
        self._rest = None
        gone: list[tuple[Group, int, np.ndarray]] = []
        carry = kit_pp is not None
        rest = int(people)
        while rest > 0 and self.groups:
            g = self.groups[0]
            d = min(g.people, rest)
            keep = (g.people - d) / g.people
            taken = np.zeros_like(self.spare)
            for o in self.orders:
                if o.group is not g:
                    continue
                before = o.open()
                o.need = o.need * keep
                excess = np.maximum(o.filled - o.need, 0.0)
                o.filled -= excess
                taken += excess
                self.open_need += o.open() - before
            self.orders = [o for o in self.orders if (o.need > EPS).any()]
            if g.met_t is not None:
                taken += kit_pp * d if carry else durable_pp * d
            if carry:
                taken = taken.copy()
            else:
                self.spare += taken
                taken = np.zeros_like(taken)
            g.people -= d
            rest -= d
            gone.append((g, d, taken))
            if g.people == 0:
                self.groups.popleft()
        self.open_need = np.maximum(self.open_need, 0.0)
        return gone, rest


_SCAN = 64  # rows of a shelter's orders checked at a time (see _zero_takes)


def _zero_takes(rest: np.ndarray, orders: list[Order], k: int, spare: np.ndarray) -> int:
    """The first order from ``k`` on whose fill from ``spare`` is not ``+0.0`` in every item
    (``np.minimum(rest[r], spare)`` as the fill takes it), or whose ``filled`` holds a -0.0
    (``+ 0.0`` would make it +0.0); ``len(rest)`` if none."""
    n, start = len(rest), k
    while k < n:
        j = min(n, k + _SCAN)
        nonzero = np.minimum(rest[k:j], spare).view(np.uint64).any(axis=1)
        if nonzero.any():
            k += int(np.argmax(nonzero))
            break
        k = j
    if k > start:
        filled = np.array([o.filled for o in orders[start:k]])
        neg0 = ((filled == 0.0) & np.signbit(filled)).any(axis=1)
        if neg0.any():
            k = start + int(np.argmax(neg0))
    return k
