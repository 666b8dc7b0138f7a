"""Relief logistics: depots, vehicles and suppliers bring the basic-needs kit to shelters.

Demand comes from the evacuation side as :class:`~sim.core.signals.PeopleSheltered` signals
(this module never imports evacuation code). Each arriving group orders its kit (durable
items per person plus the first day of food and water) and, while it stays, a ration
every further day (:mod:`sim.relief.demand`).

Planning runs whenever something changes (demand, a vehicle free, stock arriving, a fleet
ready, a road closed or reopened). Each round shares one budget (stock not yet promised plus
call-offs on their way): orders are reserved their whole remaining kit, oldest first, and
only reserved orders are served, so scarce stock completes kits instead of part-filling many.
Shelters are served oldest unmet order first; for a
shelter the planner takes the depot and free vehicle with the earliest arrival (vehicle ->
depot -> shelter, current road times), preferring depots that hold every item still
needed; the vehicle loads the shelter's oldest orders first, up to its weight and volume.
Where no depot with stock has an open road to the shelter, boats or helicopters serving
it are used; if there are none the shelter is logged as blocked until a vehicle gets through.

A vehicle's trip: drive to the depot, load (fixed time + kg / handling rate), drive to the
shelter, unload, then free at the shelter (re-tasked at once or driving home). Own and
agreement fleets are called out at the first demand and ready after their activation
delay. When open demand for an item exceeds available and incoming stock, call-offs go to
the regional depots and agreement suppliers in config order (:mod:`sim.relief.stock`).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import simpy
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from sim.config import Config
from sim.core.events import EvacuationOrder, HazardEvent, RoadClosure, WarningIssued
from sim.core.flight import storm_windows
from sim.core.signals import PeopleLeftShelter, PeopleSheltered
from sim.core.streams import GAMMA_SHAPE
from sim.core.world import World
from sim.relief.demand import Group, Order, Shelter
from sim.relief.stock import EPS, Depot, StockLedger
from sim.relief.trucks import Vehicle, VehicleIndex, build_vehicles, direct_minutes, town_of

if TYPE_CHECKING:
    from sim.core.network import RoadNetwork


def _dot(x: np.ndarray, per_unit: np.ndarray) -> float:
    """``sum(x * per_unit)`` (kilograms or cubic metres of a load), correctly rounded by
    ``math.fsum``: the same float whatever the CPU. ``x @ per_unit`` is BLAS's ``ddot``,
    whose order of summation, and so its last bit, depends on the CPU kernel OpenBLAS
    picks: its SkylakeX, Zen/Haswell and generic kernels wrote three relief logs for one
    seed."""
    return math.fsum((x * per_unit).tolist())


@dataclass
class HandedOn:
    """People handed on from one shelter to another, on their way (matched by origin)."""

    group: str  # the group they left
    shelter: str  # the shelter they left
    origin: str
    people: int
    t0: float  # their first arrival at a shelter
    status: str  # met | unmet_in_time | unmet (left unmet after the target time)
    carried: np.ndarray


RETRY_MIN = 15.0  # a vehicle facing a closed route checks again after this many minutes
# ASSUMPTION: stock within half an hour's drive of a boat's or helicopter's base depot is
# brought to its wharf or helipad for loading (the drive is not modelled)
CRAFT_LOAD_MIN = 30.0
DAY_MIN = 1440.0


_FOLD_WINDOW = 32  # first rows of the budget's fold (see ReliefService._budget)


class ReliefService:
    """Stock, vehicles and shelter demand of one replication; plans and runs deliveries."""

    def __init__(self, world: World, cfg: Config) -> None:
        layout, rc = cfg.layout, cfg.layout.relief
        assert rc is not None
        self.world, self.rc = world, rc
        net = world.net
        self.items = list(rc.kit)
        kit = [rc.kit[i] for i in self.items]
        self.unit_kg = np.array([k.unit_kg for k in kit], dtype=float)
        self.unit_m3 = np.array([k.unit_m3 for k in kit], dtype=float)
        per_day = np.array([k.per_day for k in kit], dtype=bool)
        pp = np.array([k.per_person for k in kit], dtype=float)
        self.durable_pp = np.where(per_day, 0.0, pp)
        self.daily_pp = np.where(per_day, pp, 0.0)
        self.kit_pp = self.durable_pp + rc.kit_days * self.daily_pp
        self._rations_due = bool((self.daily_pp > 0).any())  # a ration order every day
        units = np.concatenate((self.unit_kg, self.unit_m3))
        self._units_nonneg = bool((np.isfinite(units) & (units >= 0)).all())  # (see _load)
        check_nodes(cfg, net)
        self.depots = [
            Depot(key, slot, net.index[dc.node], dc.level, dc.town or dc.node, dc)
            for slot, (key, dc) in enumerate(layout.depots.items())
        ]
        self.depot_nodes = np.array([d.node for d in self.depots], dtype=np.int64)
        self.ledger = StockLedger(self.items, self.depots)
        # boats and helicopters load at their base depot or at another depot of the same
        # town or within CRAFT_LOAD_MIN by open road (its stock is trucked to the wharf or
        # helipad, e.g. the supermarkets' call-off): base slot -> depot slots
        town = [town_of(net, d.node) for d in self.depots]
        self.loading = {
            d.slot: [
                x.slot
                for x in self.depots
                if town[x.slot] == town[d.slot] or net.times_to(d.node)[x.node] <= CRAFT_LOAD_MIN
            ]
            for d in self.depots
        }
        self.vehicles, self.fleets = build_vehicles(
            rc, self.depots, net, cfg.scenario.start_hour, storm_windows(cfg.scenario)
        )
        self.vx = VehicleIndex(self.vehicles)
        self.shelters: dict[str, Shelter] = {}
        self.pending: dict[str, Shelter] = {}  # shelters with demand no vehicle covers yet
        self.started = False
        self.onset: float | None = None
        self.called: set[int] = set()
        self.incoming = np.zeros(len(self.items))  # called off, not yet arrived
        self.shortage: set[int] = set()  # items in an open shortage episode
        self.handed_on: dict[str, list[HandedOn]] = {}  # by destination shelter
        self._groups = 0
        self._last_plan: float | None = None
        self._plan_due = False  # a deferred plan() is scheduled
        self._hold_wake: dict[str, float] = {}  # shelter -> when a held load must go
        # expected reopening of each closed road (the closure's own clearing time, or the
        # repair work of one reference crew: the road authority's estimate, no queueing)
        self.expected_open: dict[int, float] = {}
        self._reopen_memo: dict[tuple, float] = {}
        road = [v.time_factor for v in self.vehicles if v.mode == "road"]
        self._truck_factor = min(road) if road else 1.0
        self._log_initial_stock()
        for v in self.vehicles:
            world.log.log(0.0, "relief_vehicle", v.id, net.nodes[v.home], v.fleet,
                          v.capacity_kg, v.mode)  # fmt: skip
        world.subscribe(PeopleSheltered, self.on_sheltered)
        world.subscribe(PeopleLeftShelter, self.on_left)
        world.subscribe(HazardEvent, self.on_hazard)
        world.subscribe(RoadClosure, self.on_closure)

    def _log_initial_stock(self) -> None:
        log, net = self.world.log, self.world.net
        for d in self.depots:
            node = net.nodes[d.node]
            log.log(0.0, "relief_depot", d.key, node, d.level, 0.0, d.town)
            qty = self.ledger.vec(d.cfg.stock)
            self.ledger.put_initial(d.slot, qty)
            for i in (qty > 0).nonzero()[0]:
                log.log(0.0, "relief_stock", d.key, node, d.level, float(qty[i]), self.items[i])

    # ------------------------------------------------------------------ signals in
    def on_hazard(self, ev: HazardEvent) -> None:
        """The first hazard event that is neither a warning nor an evacuation order marks
        the disaster onset: with an evacuation, the hazard reaching the zone (ZoneImpact)."""
        if self.onset is None and not isinstance(ev, WarningIssued | EvacuationOrder):
            self.onset = self.world.now
            self.world.log.log(self.world.now, "relief_onset", ev.hazard)

    def on_closure(self, ev: RoadClosure) -> None:
        """Remember when a closed road is expected to reopen (for the wait-or-fly choice)."""
        e = self.world.net.edge_id(ev.u, ev.v, field_name=f"{ev.hazard} road closure")
        lasts = ev.clear_min if math.isfinite(ev.clear_min) else ev.repair_min
        t = self.world.now + (lasts if lasts > 0 else math.inf)
        self.expected_open[e] = max(self.expected_open.get(e, -math.inf), t)

    def on_sheltered(self, ev: PeopleSheltered) -> None:
        if ev.people <= 0:
            return
        net = self.world.net
        s = self.shelters.get(ev.shelter)
        if s is None:
            node = net.idx(ev.node, f"PeopleSheltered.node of shelter '{ev.shelter}'")
            s = Shelter(ev.shelter, node, len(self.shelters), len(self.items))
            self.shelters[ev.shelter] = s
        if not self.started:
            self._start()
        rest = int(ev.people)
        queue = self.handed_on.get(ev.shelter)
        while rest > 0 and queue:
            rec = next((r for r in queue if r.origin == ev.origin), None)
            if rec is None:
                break  # not people handed on to this shelter: new arrivals
            n = min(rest, rec.people)
            carried = rec.carried * (n / rec.people)
            rec.carried -= carried
            rec.people -= n
            if rec.people == 0:
                queue.remove(rec)
            self._arrive(s, ev, n, rec, carried)
            rest -= n
        if rest > 0:
            self._arrive(s, ev, rest, None, None)
        self.request_plan()

    def _arrive(
        self,
        s: Shelter,
        ev: PeopleSheltered,
        n: int,
        rec: HandedOn | None,
        carried: np.ndarray | None,
    ) -> None:
        """A group arrives: log it, place its kit order (less what it carries)."""
        w = self.world
        self._groups += 1
        t0 = w.now if rec is None else rec.t0
        g = Group(f"{ev.shelter}#{self._groups}", w.now, n, ev.origin, t0=t0)
        s.groups.append(g)
        w.log.log(w.now, "relief_group", g.id, ev.node, ev.shelter, n, ev.origin)
        need = n * self.kit_pp
        filled = np.zeros_like(need)
        if rec is not None:
            w.log.log(w.now, "relief_transfer_in", g.id, ev.node, rec.group, n, rec.status)
            filled = np.minimum(carried, need)
            s.spare += carried - filled  # carried beyond the kit: extra rations
            for i in (carried > 0).nonzero()[0]:
                w.log.log(w.now, "relief_carry", g.id, ev.node, rec.shelter, float(carried[i]),
                          self.items[i])  # fmt: skip
        self._order(s, g, "kit", need, filled)
        if self._rations_due:
            w.env.process(self._rations(s, g))

    def on_left(self, ev: PeopleLeftShelter) -> None:
        s = self.shelters.get(ev.shelter)
        if s is None:
            return
        w = self.world
        handed_on = bool(ev.destination)
        gone, _ = s.leave(ev.people, self.durable_pp, self.kit_pp if handed_on else None)
        deadline = self.rc.target_h * 60.0
        for g, n, carried in gone:
            info = "met" if g.met_t is not None else "unmet"
            w.log.log(w.now, "relief_left", g.id, ev.node, s.id, n, info)
            if handed_on:
                status = info if g.met_t is not None or w.now > g.t0 + deadline else "unmet_in_time"
                rec = HandedOn(g.id, s.id, g.origin, n, g.t0, status, carried)
                self.handed_on.setdefault(ev.destination, []).append(rec)
        self._met(s, s.settle())
        if (s.unassigned() <= EPS).all():
            self.pending.pop(s.id, None)
        self.request_plan()

    def on_network_change(self) -> None:
        self.request_plan()

    # ------------------------------------------------------------------ demand
    def _order(
        self, s: Shelter, g: Group, kind: str, need: np.ndarray, filled: np.ndarray | None = None
    ) -> None:
        w = self.world
        node = w.net.nodes[s.node]
        filled = np.zeros_like(need) if filled is None else filled
        for i, q in enumerate((need - filled).tolist()):
            if q > EPS:
                w.log.log(w.now, "relief_need", s.id, node, g.id, q, self.items[i])
        self._met(s, s.add_order(Order(g, w.now, kind, need.copy(), filled.copy())))
        if (s.unassigned() > EPS).any():
            self.pending[s.id] = s

    def _rations(self, s: Shelter, g: Group):
        """A ration order for every further day the group stays (days count from ``t0``)."""
        env = self.world.env
        due = g.t0 + self.rc.kit_days * DAY_MIN
        while due <= env.now:
            due += DAY_MIN
        yield env.timeout(due - env.now)
        while g.people > 0:
            self._order(s, g, "ration", g.people * self.daily_pp)
            self.request_plan()
            yield env.timeout(DAY_MIN)

    def _met(self, s: Shelter, groups: list[Group]) -> None:
        w = self.world
        for g in groups:
            g.met_t = w.now
            w.log.log(w.now, "needs_met", g.id, w.net.nodes[s.node], s.id, g.people, g.origin)

    # ------------------------------------------------------------------ start, call-offs
    def _start(self) -> None:
        """First demand: call out every fleet and the first-demand call-offs."""
        self.started = True
        w = self.world
        for key, slots in self.fleets.items():
            mean = self.rc.fleets[key].activation_min
            rng = w.streams(f"logistics/fleet/{key}")
            # ASSUMPTION: call-out delay ~ Gamma(shape 4, mean activation_min), as for
            # rescue-team assembly: right-skewed, rarely under a third of the mean.
            delay = float(rng.gamma(GAMMA_SHAPE, mean / GAMMA_SHAPE)) if mean > 0 else 0.0
            w.log.log(w.now, "relief_activate", key, "", "", delay, str(len(slots)))
            w.env.process(self._activate(key, slots, delay))
        for d in self.depots:
            if d.cfg.calloff and d.cfg.calloff_trigger == "first_demand":
                self._calloff(d, "first_demand")

    def _activate(self, key: str, slots: list[int], delay: float):
        if delay > 0:
            yield self.world.env.timeout(delay)
        self.vx.ready[slots] = True
        self.world.log.log(self.world.now, "relief_ready", key, "", "", float(len(slots)))
        self.request_plan()

    def _calloff(self, d: Depot, trigger: str) -> None:
        w = self.world
        self.called.add(d.slot)
        batch = self.ledger.vec(d.cfg.calloff)
        self.incoming += batch * d.cfg.calloff_batches
        total = float(batch.sum() * d.cfg.calloff_batches)
        w.log.log(w.now, "relief_calloff", d.key, w.net.nodes[d.node], trigger, total, d.level)
        w.env.process(self._supply(d, batch))

    def _supply(self, d: Depot, batch: np.ndarray):
        """Release the call-off batches (and carry them to ``deliver_to`` if set)."""
        env = self.world.env
        rng = self.world.streams(f"logistics/calloff/{d.key}")
        mean = d.cfg.calloff_delay_min
        # ASSUMPTION: call-off lead time ~ Gamma(shape 4, mean calloff_delay_min).
        yield env.timeout(float(rng.gamma(GAMMA_SHAPE, mean / GAMMA_SHAPE)) if mean > 0 else 0.0)
        for b in range(d.cfg.calloff_batches):
            if b > 0:
                yield env.timeout(d.cfg.calloff_interval_min)
            if d.cfg.deliver_to:
                target = next(x for x in self.depots if x.key == d.cfg.deliver_to)
                env.process(self._haul(d, target, batch))
            else:
                self._replenish(d, d, batch)

    def _haul(self, src: Depot, dst: Depot, batch: np.ndarray):
        """The supplier's own transport brings a batch to a district depot."""
        w, net = self.world, self.world.net
        t = net.travel_time(src.node, dst.node)
        while not math.isfinite(t):
            yield w.env.timeout(RETRY_MIN)
            t = net.travel_time(src.node, dst.node)
        yield w.env.timeout(t)
        self._replenish(dst, src, batch)

    def _replenish(self, dst: Depot, src: Depot, batch: np.ndarray) -> None:
        w = self.world
        self.ledger.replenish(dst.slot, batch)
        self.incoming = np.maximum(self.incoming - batch, 0.0)
        node = w.net.nodes[dst.node]
        for i in (batch > 0).nonzero()[0]:
            w.log.log(w.now, "relief_replenish", dst.key, node, src.key, float(batch[i]),
                      self.items[i])  # fmt: skip
        self.request_plan()

    def _check_shortage(self) -> None:
        """Call off from the next regional depot/supplier for items that run short."""
        if not self.pending:
            return
        unassigned = np.sum([s.unassigned() for s in self.pending.values()], axis=0)
        avail = self.ledger.available().sum(axis=0)
        w = self.world
        for i in (unassigned > avail + EPS).nonzero()[0]:
            if i not in self.shortage:
                self.shortage.add(int(i))
                gap = float(unassigned[i] - avail[i])
                w.log.log(w.now, "relief_shortage", self.items[i], "", "", gap)
        for i in list(self.shortage):
            if unassigned[i] <= avail[i] + EPS:
                self.shortage.discard(i)
        for d in self.depots:
            short = unassigned > avail + self.incoming + EPS
            if not short.any():
                return
            if d.slot in self.called or d.cfg.calloff_trigger != "shortage":
                continue
            if (short & (self.ledger.vec(d.cfg.calloff) > 0)).any():
                self._calloff(d, "shortage")

    # ------------------------------------------------------------------ planning
    def request_plan(self) -> None:
        """Plan soon: at once (after the other events of this instant) unless a plan ran
        less than ``replan_min`` ago, then at the end of that interval; requests coalesce."""
        if self._plan_due:
            return
        env = self.world.env
        wait = 0.0
        if self._last_plan is not None:
            wait = max(0.0, self._last_plan + self.rc.replan_min - env.now)
        self._plan_due = True
        env.process(self._deferred_plan(wait))

    def _deferred_plan(self, wait: float):
        yield self.world.env.timeout(wait)
        self._plan_due = False
        self.plan()

    def _wake_at(self, s: Shelter, t: float) -> None:
        """Plan again at ``t`` (a held load's oldest order reaches ``max_hold_min``)."""
        if self._hold_wake.get(s.id) == t:
            return
        self._hold_wake[s.id] = t
        env = self.world.env

        def wake():
            yield env.timeout(max(0.0, t - env.now))
            if self._hold_wake.get(s.id) == t:
                del self._hold_wake[s.id]
            self.request_plan()

        env.process(wake())

    def _worth_sending(self, s: Shelter, veh: Vehicle, load: np.ndarray, completes: bool) -> bool:
        """Send a load of at least ``min_load_share`` of the vehicle's capacity, one that
        completes a group's kit, or one whose oldest order has waited ``max_hold_min``."""
        rc = self.rc
        share = max(
            _dot(load, self.unit_kg) / veh.capacity_kg,
            _dot(load, self.unit_m3) / veh.capacity_m3,
        )
        if completes or share >= rc.min_load_share - EPS:
            return True
        oldest = s.oldest_unassigned_t()
        due = (self.world.now if oldest is None else oldest) + rc.max_hold_min
        if self.world.now >= due - EPS:
            return True
        self._wake_at(s, due)
        return False

    def plan(self) -> None:
        """Send free vehicles to the shelters with the oldest uncovered demand, within this
        round's budget (:meth:`_budget`): only orders whose whole remainder is reserved."""
        self._last_plan = self.world.now
        if self.pending and self.vx.free().any():
            heap: list[tuple[float, int, Shelter]] = []
            for s in list(self.pending.values()):
                t = s.oldest_unassigned_t()
                if t is None:
                    del self.pending[s.id]
                else:
                    heap.append((t, s.seq, s))
            allow = self._budget([h[2] for h in heap])
            heap = [h for h in heap if (allow[h[2].id] > EPS).any()]
            heapq.heapify(heap)
            while heap and self.vx.free().any():
                s = heapq.heappop(heap)[2]
                trip = self._choose(s, allow[s.id])
                if trip is None:
                    continue  # not this round: no stock, no vehicle or no road for it
                veh = self.vehicles[trip[0]]
                load, completes = self._load(s, trip[1], veh, allow[s.id])
                if _dot(load, self.unit_kg) <= EPS:
                    continue
                if not self._worth_sending(s, veh, load, completes):
                    continue  # hold the small load: more demand may join it
                self._dispatch(s, trip[0], trip[1], load)
                allow[s.id] = np.maximum(allow[s.id] - load, 0.0)
                t = s.oldest_unassigned_t()
                if t is not None and (allow[s.id] > EPS).any():
                    heapq.heappush(heap, (t, s.seq, s))
        self._check_shortage()

    def _supply_exhausted(self) -> bool:
        """No stock is on its way and no call-off is left that could still be made."""
        if (self.incoming > EPS).any():
            return False
        return all(
            d.slot in self.called or d.cfg.calloff_trigger != "shortage" or not d.cfg.calloff
            for d in self.depots
        )

    def _budget(self, shelters: list[Shelter]) -> dict[str, np.ndarray]:
        """This round's shared budget: what each shelter may be sent (items).

        The budget is the stock not yet promised to a vehicle (all depots) plus call-offs on
        their way, by item. Open orders of every pending shelter are taken oldest first (ties:
        shelter order); an order is reserved its whole uncovered remainder (durables and
        consumables together) only if all of it fits in what is left, else it waits for
        stock. Deliveries fill a shelter's orders oldest first, so behind an order that waits
        the shelter's younger orders wait too; other shelters' younger orders may still fit.
        Once supply is exhausted (nothing incoming, no call-off left), what no order can use
        whole goes to the oldest waiting orders: nothing more will come for them to wait for.
        """
        # Vectorised over orders (hundreds of rows of a handful of items), float for float
        # what the order-by-order loop gives: ufunc.accumulate is that loop's sequential
        # fold, and it is taken only as far as each order fits whole, as it stands.
        budget = self.ledger.available().sum(axis=0) + self.incoming
        n_items = len(self.items)
        got = [s.uncovered_rows() for s in shelters]
        counts = np.array([len(g[0]) for g in got], dtype=np.int64)
        k = np.concatenate([np.zeros(0, dtype=np.int64)] + [g[0] for g in got])
        mats = np.concatenate([np.zeros((0, n_items))] + [g[1] for g in got])
        t = np.concatenate([np.zeros(0)] + [g[2] for g in got])
        seq = np.repeat(np.array([s.seq for s in shelters], dtype=np.int64), counts)
        who = np.repeat(np.arange(len(shelters), dtype=np.int64), counts)
        order = np.lexsort((k, seq, t))  # oldest first; ties: shelter order, order in it
        rest, who = mats[order], who[order]
        take = rest.copy()  # what each order is reserved (its rest, or what is left of it)
        taken = np.zeros(len(rest), dtype=bool)
        waiting = np.zeros(len(shelters), dtype=bool)  # an order of the shelter waits
        # The fold runs over a window of rows that doubles while every order fits and
        # starts small again after one does not: a misfit recomputes only its window, not
        # every row after it (thousands of orders in a stressed round).
        i, n, width = 0, len(rest), _FOLD_WINDOW
        while i < n:
            j = min(n, i + width)
            idx = i + (~waiting[who[i:j]]).nonzero()[0]
            width *= 2
            if not idx.size:
                i = j
                continue
            part = rest[idx]
            after = np.subtract.accumulate(np.concatenate((budget[None], part)))
            whole = (part <= after[:-1]).all(axis=1)
            m = int(np.argmin(whole))  # the first misfit (or 0: all fit, or the first)
            if whole[m]:
                m = idx.size
            taken[idx[:m]] = True
            budget = after[m]
            if m == idx.size:
                i = j
                continue
            width = _FOLD_WINDOW
            r = idx[m]  # the first order that does not fit as it stands
            if (rest[r] <= budget + EPS).all():  # it does within rounding
                take[r] = np.minimum(rest[r], budget)
                budget = budget - take[r]
                taken[r] = True
            else:
                waiting[who[r]] = True
            i = r + 1
        # a shelter's allowance: the sum, in order, of what its orders are reserved (the
        # sequential add.accumulate, as the loop adds them one by one)
        rows, whose = [take[taken]], [who[taken]]
        left = (~taken).nonzero()[0]
        if left.size and self._supply_exhausted():
            # in order: what is left goes to the oldest waiting orders
            rows.append(_fold_left(rest[left], budget))
            whose.append(who[left])
        # by shelter, each shelter's in order (its reserved rows, then what it was given)
        by = np.argsort(np.concatenate(whose), kind="stable")
        rows_by = np.concatenate(rows)[by]
        ends = np.cumsum(np.bincount(np.concatenate(whose), minlength=len(shelters)))
        zero = np.zeros((1, n_items))
        out: dict[str, np.ndarray] = {}
        for j, s in enumerate(shelters):
            a, b = (int(ends[j - 1]) if j else 0), int(ends[j])
            if a == b:
                out[s.id] = np.zeros(n_items)  # (the sum of nothing: the zero row)
            else:
                out[s.id] = np.add.accumulate(np.concatenate((zero, rows_by[a:b])), axis=0)[-1]
        return out

    def _choose(self, s: Shelter, allow: np.ndarray) -> tuple[int, int] | None:
        """(vehicle slot, depot slot) for the next trip to ``s`` within ``allow``, or None."""
        net, vx = self.world.net, self.vx
        need = np.minimum(s.unassigned(), allow) > EPS
        has = self.ledger.available()[:, need] > EPS
        cand = has.any(axis=1)
        if not cand.any():
            return None  # nothing in stock: the shortage check calls off more
        complete = has.all(axis=1)
        t_ds = net.times_to(s.node)[self.depot_nodes]
        free = vx.free()
        road = (free & vx.road).nonzero()[0]
        best: tuple[tuple[bool, float], int, int] | None = None
        if road.size:
            for d in (cand & np.isfinite(t_ds)).nonzero()[0]:
                t_vd = net.times_to(int(self.depot_nodes[d]))[vx.loc[road]]
                f = vx.factor[road]
                total = (t_vd + t_ds[d]) * f
                lim = vx.max_leg[road]
                ok = np.isfinite(total) & ((lim <= 0) | ((t_vd * f <= lim) & (t_ds[d] * f <= lim)))
                if not ok.any():
                    continue
                k = int(np.argmin(np.where(ok, total, np.inf)))
                key = (not complete[d], float(total[k]))
                if best is None or key < best[0]:
                    best = (key, int(road[k]), int(d))
        if best is not None:
            return best[1], best[2]
        if (cand & np.isfinite(t_ds)).any():
            return None  # reachable by road: wait for a vehicle
        # Cut off by road (local stock, if any, was used above by the town's own vehicle):
        # the boat or helicopter that completes the shelter's demand first, unless waiting
        # for the road to reopen is expected to be as quick.
        want = np.minimum(s.unassigned(), allow)
        kg, m3 = _dot(want, self.unit_kg), _dot(want, self.unit_m3)
        eta_best = math.inf
        for v in (free & ~vx.road).nonzero()[0]:
            veh = self.vehicles[v]
            drop = self._drop(veh, s.node)
            if drop is None:
                continue
            for dep in self.loading[veh.depot]:  # depots of the base's town (its wharf side)
                if not cand[dep]:
                    continue
                eta = self._direct_eta(veh, self.depots[dep], drop, kg, m3)
                key = (not complete[dep], eta)
                if best is None or key < best[0]:
                    best, eta_best = (key, int(v), int(dep)), eta
        if best is not None:
            road_eta = self._road_eta(s, cand)
            if road_eta <= eta_best:
                if not s.waiting_road:
                    s.waiting_road = True
                    w = self.world
                    w.log.log(w.now, "relief_wait_road", s.id, net.nodes[s.node], "",
                              (road_eta - w.now) / 60.0, f"{(eta_best - w.now) / 60.0:.2f}")  # fmt: skip
                return None
            s.waiting_road = False
            return best[1], best[2]
        if not s.blocked:
            s.blocked = True
            w = self.world
            kg = _dot(s.unassigned(), self.unit_kg)
            w.log.log(w.now, "relief_blocked", s.id, net.nodes[s.node], "", kg, "road")
        return None

    # ------------------------------------------------------------------ water and air
    def _drop(self, veh: Vehicle, node: int) -> tuple[int, float] | None:
        """Where craft ``veh`` can put a load down for shelter node ``node`` and the minutes
        on the ground from there (a wharf or landing zone of the same town), or None."""
        if veh.serves is None or node in veh.serves:
            return node, 0.0
        net = self.world.net
        best: tuple[int, float] | None = None
        for d in veh.drops.get(town_of(net, node), ()):
            t = float(net.times_to(node)[d])
            if math.isfinite(t) and (best is None or t < best[1]):
                best = (d, t)
        return best

    def _direct_eta(
        self, veh: Vehicle, depot: Depot, drop: tuple[int, float], kg: float, m3: float
    ) -> float:
        """Expected time craft ``veh`` has brought ``kg``/``m3`` to the drop point: wait for
        its operating window, position to the depot, then as many sorties as its capacity
        needs (later sorties' waits are not foreseen)."""
        net, now = self.world.net, self.world.now
        t = veh.window.resumes(now) if veh.window is not None else now
        t += direct_minutes(net, veh.location, depot.node, veh.speed_kmh, veh.detour)
        leg = direct_minutes(net, depot.node, drop[0], veh.speed_kmh, veh.detour)
        trips = max(1, math.ceil(max(kg / veh.capacity_kg, m3 / veh.capacity_m3) - 1e-9))
        load_kg = min(kg, veh.capacity_kg)
        handle = self.rc.load_fixed_min + load_kg / self.rc.handle_kg_per_min
        first = t + handle + leg + drop[1] + handle
        cycle = 2 * handle + 2 * leg + drop[1] + veh.turnaround_min
        return first + (trips - 1) * cycle

    def _road_eta(self, s: Shelter, cand: np.ndarray) -> float:
        """Expected arrival of a truck at ``s`` once the roads reopen: the earliest expected
        reopening at which some depot with stock has a route again, plus the drive and the
        handling (inf: not foreseeable, e.g. a closure nobody has estimated)."""
        closed = self.world.net.closed
        depots = tuple(int(x) for x in self.depot_nodes[cand])
        key = (closed, s.node, depots)
        got = self._reopen_memo.get(key)
        if got is None:
            if len(self._reopen_memo) > 256:
                self._reopen_memo.clear()
            got = self._reopen_memo[key] = self._reopen(closed, s.node, depots)
        opens, drive = got
        if not math.isfinite(opens + drive):
            return math.inf
        return max(opens, self.world.now) + drive * self._truck_factor + 2 * self.rc.load_fixed_min

    def _reopen(
        self, closed: frozenset[int], dest: int, depots: tuple[int, ...]
    ) -> tuple[float, float]:
        """(time, drive minutes): reopen the closed roads in order of expected reopening
        until a depot in ``depots`` reaches ``dest`` again."""
        net = self.world.net
        order = sorted(closed, key=lambda e: self.expected_open.get(e, math.inf))
        still = set(closed)
        for e in order:
            t_open = self.expected_open.get(e, math.inf)
            if not math.isfinite(t_open):
                break
            still.discard(e)
            keep = np.ones(len(net.edges), dtype=bool)
            if still:
                keep[list(still)] = False
            u, v, w = net.edge_u[keep], net.edge_v[keep], net.edge_time_min[keep]
            if not net.directed:
                u, v, w = np.concatenate([u, v]), np.concatenate([v, u]), np.concatenate([w, w])
            m = csr_matrix((w, (v, u)), shape=(net.n, net.n))  # reversed: times *to* dest
            drive = float(np.min(dijkstra(m, indices=dest)[list(depots)])) if depots else math.inf
            if math.isfinite(drive):
                return t_open, drive
        return math.inf, math.inf

    def _load(self, s: Shelter, d: int, v: Vehicle, allow: np.ndarray) -> tuple[np.ndarray, bool]:
        """What vehicle ``v`` takes from depot ``d`` for ``s`` (oldest orders first, within
        the shelter's budget ``allow``), and whether it completes some group's kit order."""
        avail = np.minimum(self.ledger.available()[d], allow)
        cap_kg, cap_m3 = v.capacity_kg, v.capacity_m3
        load = np.zeros(len(self.items))
        completes = False
        uncovered, orders = s.uncovered_orders(), s.orders
        # An order none of whose items is both uncovered and available (min(rest, avail) <= 0
        # in every item) weighs <= 0 kg and m3 (weights and volumes are finite and >= 0, a
        # sum of products <= 0 is <= 0 whatever its order): the loop passes it over, and so
        # may a search over a block of orders.
        skip = self._units_nonneg
        k, n = 0, len(uncovered)
        while k < n:
            o, rest = orders[k], uncovered[k]
            x = np.minimum(rest, avail)
            kg, m3 = _dot(x, self.unit_kg), _dot(x, self.unit_m3)
            if kg <= EPS and m3 <= EPS:  # (and the orders after it with nothing to take)
                k = _next_gain(uncovered, k + 1, avail) if skip else k + 1
                continue
            k += 1
            f = min(1.0, cap_kg / kg if kg > 0 else math.inf, cap_m3 / m3 if m3 > 0 else math.inf)
            x = x * f
            if o.kind == "kit" and (rest > EPS).any() and (rest - x <= EPS).all():
                completes = True
            load += x
            avail -= x
            cap_kg -= _dot(x, self.unit_kg)
            cap_m3 -= _dot(x, self.unit_m3)
            if f < 1.0:
                break
        return load, completes

    def _dispatch(self, s: Shelter, v: int, d: int, load: np.ndarray) -> None:
        w, veh = self.world, self.vehicles[v]
        self.ledger.reserve(d, load)
        s.pipeline += load
        s.blocked = s.waiting_road = False
        if (s.unassigned() <= EPS).all():
            self.pending.pop(s.id, None)
        self.vx.idle[v] = False
        if veh.returning is not None and veh.returning.is_alive:
            veh.returning.interrupt()
        veh.returning = None
        kg = _dot(load, self.unit_kg)
        w.log.log(w.now, "relief_dispatch", veh.id, w.net.nodes[veh.location], s.id, kg,
                  self.depots[d].key)  # fmt: skip
        if veh.mode == "road":
            w.env.process(self._road_trip(veh, self.depots[d], s, load))
        else:
            drop = self._drop(veh, s.node)
            assert drop is not None  # _choose only picks craft that can serve the shelter
            w.env.process(self._direct_trip(veh, self.depots[d], s, load, drop))

    # ------------------------------------------------------------------ trips
    def _drive(self, veh: Vehicle, dest: int, ref: str):
        w, net = self.world, self.world.net
        t = net.travel_time(veh.location, dest)
        if not math.isfinite(t):
            w.log.log(w.now, "relief_delayed", veh.id, net.nodes[veh.location], ref)
            while not math.isfinite(t):
                yield w.env.timeout(RETRY_MIN)
                t = net.travel_time(veh.location, dest)
        yield w.env.timeout(t * veh.time_factor)
        veh.location = dest

    def _handle_min(self, load: np.ndarray) -> float:
        return self.rc.load_fixed_min + _dot(load, self.unit_kg) / self.rc.handle_kg_per_min

    def _road_trip(self, veh: Vehicle, d: Depot, s: Shelter, load: np.ndarray):
        w, env = self.world, self.world.env
        start = w.now
        yield from self._drive(veh, d.node, s.id)
        yield env.timeout(self._handle_min(load))
        self._take(veh, d, s, load)
        yield from self._drive(veh, s.node, s.id)
        yield env.timeout(self._handle_min(load))
        self._hand_over(veh, s, load, start)
        self.vx.loc[veh.slot] = s.node
        self.vx.idle[veh.slot] = True
        self.request_plan()
        if self.vx.idle[veh.slot] and veh.location != veh.home:
            veh.returning = env.process(self._return(veh))

    def _direct_trip(
        self, veh: Vehicle, d: Depot, s: Shelter, load: np.ndarray, drop: tuple[int, float]
    ):
        """Boat or helicopter: (position to the base depot,) load, go straight to the drop
        point (the shelter, or a wharf/landing zone of its town, then on the ground), unload,
        return to the base depot and turn round. It sets off only inside its operating window
        (no night flights, none in a storm): a grounded craft waits."""
        w, env = self.world, self.world.env
        start = w.now
        if veh.location != d.node:  # from its station (air base, regional wharf)
            yield from self._sail(veh, d.node, s.id)
        yield env.timeout(self._handle_min(load))
        self._take(veh, d, s, load)
        yield from self._sail(veh, drop[0], s.id)
        if drop[1] > 0:
            yield env.timeout(drop[1])  # carried from the wharf/landing zone to the shelter
        yield env.timeout(self._handle_min(load))
        self._hand_over(veh, s, load, start)
        yield from self._sail(veh, d.node, "base")
        if veh.turnaround_min > 0:
            yield env.timeout(veh.turnaround_min)
        self.vx.loc[veh.slot] = veh.location
        self.vx.idle[veh.slot] = True
        w.log.log(w.now, "relief_home", veh.id, w.net.nodes[veh.location])
        self.request_plan()

    def _sail(self, veh: Vehicle, dest: int, ref: str):
        """Move craft ``veh`` straight to ``dest``, waiting on the ground for its window."""
        w = self.world
        if veh.window is not None:
            t = veh.window.resumes(w.now)
            if t > w.now:
                w.log.log(w.now, "relief_grounded", veh.id, w.net.nodes[veh.location], ref,
                          t - w.now, veh.mode)  # fmt: skip
                yield w.env.timeout(t - w.now)
        minutes = direct_minutes(w.net, veh.location, dest, veh.speed_kmh, veh.detour)
        yield w.env.timeout(minutes)
        veh.location = dest

    def _take(self, veh: Vehicle, d: Depot, s: Shelter, load: np.ndarray) -> None:
        w = self.world
        node = w.net.nodes[d.node]
        emptied = self.ledger.load(d.slot, load)
        for i in (load > 0).nonzero()[0]:
            w.log.log(w.now, "relief_load", veh.id, node, d.key, float(load[i]), self.items[i])
        for i in emptied:
            w.log.log(w.now, "relief_stockout", d.key, node, s.id, 0.0, self.items[i])

    def _hand_over(self, veh: Vehicle, s: Shelter, load: np.ndarray, start: float) -> None:
        w = self.world
        node = w.net.nodes[s.node]
        self.ledger.unload(load)
        for i in (load > 0).nonzero()[0]:
            w.log.log(w.now, "relief_unload", veh.id, node, s.id, float(load[i]), self.items[i])
        self._met(s, s.receive(load))
        w.log.log(w.now, "relief_free", veh.id, node, s.id, w.now - start, veh.mode)

    def _return(self, veh: Vehicle):
        w, net = self.world, self.world.net
        t = net.travel_time(veh.location, veh.home)
        if not math.isfinite(t):
            return  # stays at the shelter until needed or the run ends
        try:
            yield w.env.timeout(t * veh.time_factor)
        except simpy.Interrupt:
            return  # re-tasked on the road: leaves from its last stop
        veh.location = veh.home
        veh.returning = None  # this process ends here: plan() may send the vehicle out again
        self.vx.loc[veh.slot] = veh.home
        w.log.log(w.now, "relief_home", veh.id, net.nodes[veh.home])
        self.request_plan()


def _fold_left(rest: np.ndarray, budget: np.ndarray) -> np.ndarray:
    """What each row is given, in order, by ``x = np.minimum(row, budget); budget = budget -
    x``, float for float (the exhausted supply's share-out in ReliefService._budget).

    Item by item a fold: while a row's rest is below the budget it is given its rest and
    the budget becomes ``budget - rest`` (``subtract.accumulate``); the first row that is not
    is given the budget (``np.minimum`` gives its second argument unless the first is
    smaller), and the budget becomes ``b - b = 0.0``; the rows after it are given ``+0.0``,
    up to a negative row (dust), which gives the budget a rounding back: the fold goes on
    from there. (Not finite: the loop itself.)
    """
    n = len(rest)
    out = np.empty_like(rest)
    if not (np.isfinite(rest).all() and np.isfinite(budget).all()):
        for r in range(n):
            out[r] = x = np.minimum(rest[r], budget)
            budget = budget - x
        return out
    a, width = 0, _FOLD_WINDOW
    while a < n:
        part = rest[a : a + width]
        m = len(part)
        width *= 2
        before = np.subtract.accumulate(np.concatenate((budget[None], part)), axis=0)
        below = part < before[:-1]
        first = np.where(below.all(axis=0), m, np.argmin(below, axis=0))
        stop = m
        for c in (first < m - 1).nonzero()[0].tolist():
            neg = (part[first[c] + 1 :, c] < 0).nonzero()[0]
            if neg.size:
                stop = min(stop, int(first[c]) + 1 + int(neg[0]))
        if stop < m:
            width = _FOLD_WINDOW  # (a dusty row: start small again after it)
        row = np.arange(stop)[:, None]
        out[a : a + stop] = np.where(
            row < first, part[:stop], np.where(row == first, before[:stop], 0.0)
        )
        budget = np.where(first < stop, 0.0, before[stop])
        a += stop
    return out


_SCAN = 64  # orders checked at a time by _next_gain


def _next_gain(uncovered: np.ndarray, k: int, avail: np.ndarray) -> int:
    """The first row from ``k`` on of ``uncovered`` with an item where ``np.minimum(row,
    avail)`` is not <= 0 (or NaN), else ``len(uncovered)``."""
    n = len(uncovered)
    while k < n:
        j = min(n, k + _SCAN)
        gain = ~(np.minimum(uncovered[k:j], avail) <= 0.0).all(axis=1)
        if gain.any():
            return k + int(np.argmax(gain))
        k = j
    return n


# ---------------------------------------------------------------------- module interface
def check_nodes(cfg: Config, net: RoadNetwork) -> None:
    """Every node the relief config names exists (NetworkError naming the field)."""
    layout = cfg.layout
    for key, dc in layout.depots.items():
        net.idx(dc.node, f"layout.depots.{key}.node")
        if dc.town:
            net.idx(dc.town, f"layout.depots.{key}.town")
    if layout.relief is None:
        return
    for i, town in enumerate(layout.relief.remote_towns):
        net.idx(town, f"layout.relief.remote_towns[{i}]")
    for key, fc in layout.relief.fleets.items():
        for i, n in enumerate(fc.serves):
            net.idx(n, f"layout.relief.fleets.{key}.serves[{i}]")
