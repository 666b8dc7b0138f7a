"""Evacuation and sheltering: warning, household response, movement on roads, shelters.

Reacts to :class:`EvacuationOrder` (who must leave, forecast impact, nodes wholly in the
zone), :class:`ZoneImpact` (the hazard reaches a town's at-risk area) and road changes. It
never learns which hazard made the order.

1. Warning. Each household of the at-risk people (``household_size``) is reached by each
   channel of ``layout.evacuation.channels`` with its own probability and delay (broadcast,
   SMS) or by grid workers going door to door; it hears the order at the earliest of these.
2. Response. A warned household complies with ``comply_share`` and leaves after a lognormal
   preparation time. It leaves by own car (``car_share``), needs assistance
   (``assisted_share``: waits at home for an ``assist`` vehicle) or walks to the town's
   assembly point, where it walks into the town's shelter if there is room, else waits for a
   bus. Households of one town, mode and ``group_window_min`` leave together as one group:
   people are grouped, there is no process per person.
3. Movement. Cars, buses and assist vehicles drive as platoons through
   :class:`sim.evacuation.link_queue.LinkQueue` (link capacities, FIFO queues, spillback); closed roads
   are avoided, and a platoon on a road when it floods is caught there.
4. Shelters. Everyone goes to the nearest reachable shelter of a ``first_types`` type with
   room, not at a node wholly in the zone; a full shelter turns people away to the next; with
   no room anywhere people wait where they are until room appears. Emergency shelters hand
   people on to short/long-term shelters after ``emergency_hold_h``. Arrivals and departures
   are published as :class:`PeopleSheltered` / :class:`PeopleLeftShelter` (relief logistics).
5. Impact. People still at home (not warned, not complying, preparing, waiting for help) or on
   the way out of a town's at-risk area when the hazard reaches it are caught, as are people
   waiting at a node wholly in the zone.
6. Casualties followed through. Under the order's :class:`CasualtyRule` every caught group
   becomes rescue :class:`Incident` s (at most ``max_people`` each) published on the World
   bus, as hazard incidents are: the rescue module sends teams without knowing where they
   came from. Their survival window runs from the moment they were caught (shorter on a
   road); whether a team got there in time is judged from the log (metrics).

Everything is logged with the one schema; KPIs, tables and figures come from the log
(:mod:`sim.evacuation.metrics`).
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.config import Config
from sim.core.eventlog import INCIDENT_WINDOW
from sim.core.events import CasualtyRule, EvacuationOrder, Incident, WarningIssued, ZoneImpact
from sim.core.places import towns_by_population
from sim.core.signals import PeopleLeftShelter, PeopleSheltered
from sim.core.streams import unit_id
from sim.core.world import World
from sim.evacuation.households import (
    Departure,
    TownPlan,
    household_sizes,
    plan_households,
    warned_in_time,
)
from sim.evacuation.link_queue import LinkQueue, Platoon
from sim.evacuation.shelters import ShelterSystem, build_shelters

if TYPE_CHECKING:
    pass


# ----------------------------------------------------------------------------- state
@dataclass(eq=False)
class Group:
    """People moving or waiting together (not at home, not in a shelter)."""

    id: str
    order: str
    origin: int
    people: int
    households: int
    mode: str
    node: int
    state: str = "local"  # local | assembly | waiting | road | boarding | done
    pending_out: list[tuple[int, str, int]] = field(default_factory=list)  # not yet out
    dead: bool = False
    allowed: np.ndarray | None = None  # shelter sites it may use
    wait_start: float = -1.0
    since: float = 0.0  # joined a queue at


@dataclass(eq=False)
class OrderState:
    id: str
    kind: str
    t: float
    home: dict[int, int]  # people still at home per town node
    unsafe: set[int]
    impacted: set[int] = field(default_factory=set)
    impact_t: float = math.inf  # forecast impact (what the command post plans with)


@dataclass(eq=False)
class Vehicle:
    id: str
    role: str
    capacity: int
    home: int
    loc: int
    load_min: float
    per_household_min: float
    busy: bool = False
    alive: bool = True


class EvacuationService:
    """Runs every evacuation of one replication."""

    def __init__(self, world: World, cfg: Config) -> None:
        self.world = world
        self.env = world.env
        self.net = world.net
        self.cfg = cfg.layout.evacuation
        ec = self.cfg
        self.shelters = ShelterSystem(build_shelters(cfg.layout, self.net), self.net)
        for s in self.shelters.sites:
            world.assets.add("shelter", s, s.id, s.node)
        self.first_mask = self.shelters.mask(ec.first_types)
        self.handover_mask = self.shelters.mask(ec.handover_types)
        self.lq = LinkQueue(
            self.env,
            self.net,
            vehicle_length_m=ec.vehicle_length_m,
            lane_capacity_vph=ec.lane_capacity_vph,
            stuck_min=ec.stuck_min,
            log_delay=self._log_delay,
        )
        self.banned = np.zeros(self.net.n, dtype=bool)  # nodes wholly in a zone
        self.orders: dict[str, OrderState] = {}
        self.active: dict[str, Group] = {}
        self.at_risk = 0
        self.caught_people = 0
        self.casualty_people = 0  # caught people handed to rescue as incidents
        self.rules: dict[str, CasualtyRule | None] = {}
        self._last_rule: CasualtyRule | None = None
        self._cas_rng = None
        self._seq = 0
        self._room = self.env.event()
        self.fleet: dict[str, list[Vehicle]] = {"bus": [], "assist": []}
        self._build_fleet(cfg)
        self.demand: dict[str, dict[int, deque[Group]]] = {
            r: defaultdict(deque) for r in self.fleet
        }
        self.demand_people: dict[str, dict[int, int]] = {r: defaultdict(int) for r in self.fleet}
        self.enroute: dict[str, dict[int, int]] = {r: defaultdict(int) for r in self.fleet}
        self._logged_sites = False
        world.subscribe(EvacuationOrder, self.on_order)
        world.subscribe(ZoneImpact, self.on_impact)
        world.subscribe(WarningIssued, self.on_warning)

    def _build_fleet(self, cfg: Config) -> None:
        net = self.net
        towns = towns_by_population(net)
        for key, fc in self.cfg.fleet.items():
            where = f"layout.evacuation.fleet.{key}"
            if fc.home == "each_town":
                homes = [towns[i % len(towns)] for i in range(fc.count)]
            else:
                homes = [net.idx(fc.home, f"{where}.home")] * fc.count
            for j, h in enumerate(homes):
                vid = unit_id(key, j, fc.count)
                v = Vehicle(vid, fc.role, fc.capacity, h, h, fc.load_min, fc.load_min_per_household)
                self.fleet[fc.role].append(v)
                self.world.assets.add("evac_vehicle", v, vid, h)

    # ------------------------------------------------------------------ bookkeeping
    def _gid(self, prefix: str) -> str:
        self._seq += 1
        return f"{prefix}{self._seq:06d}"

    def _log(self, event: str, entity: str, node: int | str = "", ref: str = "", qty=0.0, info=""):
        nd = self.net.nodes[node] if isinstance(node, int | np.integer) else node
        self.world.log.log(self.env.now, event, entity, nd, ref, float(qty), info)

    def _log_delay(self, k: int, p: Platoon, delay: float) -> None:
        self.world.log.log(
            self.env.now, "link_delay", self.lq.link_name(k), "", p.id, delay, f"{p.veh} veh"
        )

    def people_at_home(self) -> int:
        """People at risk who have not left home (and are not caught)."""
        return sum(sum(o.home.values()) for o in self.orders.values())

    def people_moving(self) -> int:
        """People on the way: walking, waiting, boarding, on roads, waiting for room."""
        return sum(g.people for g in self.active.values())

    def people_sheltered(self) -> int:
        """People in shelters now."""
        return int(self.shelters.occ.sum())

    def _notify_room(self) -> None:
        """Shelter room or roads changed: waiting groups look again."""
        if not self._room.triggered:
            self._room.succeed()
        self._room = self.env.event()

    def on_network_change(self) -> None:
        """Roads closed or reopened: catch platoons on closed roads, retry the stuck."""
        self.lq.roads_changed()
        self._notify_room()
        for role in self.fleet:
            self._dispatch(role)

    # ------------------------------------------------------------------ public warning
    def on_warning(self, ev: WarningIssued) -> None:
        """Disseminate a hazard warning to every resident of the warned towns.

        The same channels as evacuation orders (broadcast, SMS, grid workers) reach each
        household after their delays; the log keeps, per town, the residents warned and those
        reached before the expected impact (``ev.t + ev.lead_min``), with one uniform per
        household (:func:`warned_in_time`: only the count in time is needed). Streams
        ``warning/public/...`` are the warning's own (an order's draws do not change).
        """
        nodes = [self.net.index[n] for n in ev.nodes if n in self.net.index]
        if not nodes or not self.cfg.channels:
            return
        sizes = [
            household_sizes(int(self.net.population[i]), self.cfg.household_size) for i in nodes
        ]
        impact = ev.t + ev.lead_min
        before = warned_in_time(
            sizes, ev.t, impact, self.cfg.channels, self.world.streams, "warning/public/"
        )
        for j, i in enumerate(nodes):
            people = int(sizes[j].sum())
            self._log("public_warning", self.net.nodes[i], i, ev.level, people, f"{impact:.1f}")
            self._log("public_warned_in_time", self.net.nodes[i], i, ev.level, float(before[j]))

    # ------------------------------------------------------------------ order
    def on_order(self, ev: EvacuationOrder) -> None:
        """Plan every at-risk household's response and start the towns' departures."""
        net = self.net
        if not self._logged_sites:
            self._logged_sites = True
            for s in self.shelters.sites:
                self._log("shelter_site", s.id, s.node, s.type, s.capacity, s.tier)
        plans = plan_households(ev, net.index, self.cfg, self.world.streams)
        st = OrderState(
            ev.id,
            ev.kind,
            ev.t,
            {p.node: p.people for p in plans},
            {net.index[n] for n in ev.unsafe_nodes},
            impact_t=ev.impact_t,
        )
        self.orders[ev.id] = st
        self.rules[ev.id] = self._last_rule = ev.casualties
        for i in st.unsafe:
            self.banned[i] = True
        total = sum(p.people for p in plans)
        self.at_risk += total
        self._log("evac_order", ev.id, "", ev.hazard, total, ev.kind)
        for p in plans:
            self._log("at_risk", net.nodes[p.node], p.node, ev.id, p.people, f"{ev.impact_t:.1f}")
            # decided at the order (logged now): people who will leave once warned and ready,
            # and warned people who will stay
            complied = sum(d.people for d in p.departures)
            self._log("complied", net.nodes[p.node], p.node, ev.id, complied)
            self._log("refused", net.nodes[p.node], p.node, ev.id, p.refused)
            self.env.process(self._departures(st, p))
            if p.warned:
                self.env.process(self._warned(st, p))

    def _warned(self, st: OrderState, plan: TownPlan):
        for t, channel, people in plan.warned:
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            if plan.node in st.impacted:
                return
            self._log("warned", self.net.nodes[plan.node], plan.node, channel, people, st.id)

    def _departures(self, st: OrderState, plan: TownPlan):
        node = plan.node
        for d in plan.departures:
            if d.t > self.env.now:
                yield self.env.timeout(d.t - self.env.now)
            if node in st.impacted:
                return
            self._leave_home(st, node, d)

    def _new_group(self, st: OrderState, node: int, people: int, hh: int, mode: str) -> Group:
        g = Group(self._gid(mode[0].upper()), st.id, node, people, hh, mode, node)
        g.pending_out = [(node, st.id, people)]
        g.allowed = self.first_mask
        return g

    def _leave_home(self, st: OrderState, node: int, d: Departure) -> None:
        ec = self.cfg
        if d.mode == "assist":
            g = self._new_group(st, node, d.people, d.households, "assist")
            g.state, g.since = "home", self.env.now
            self._log("assist_request", g.id, node, st.id, g.people, f"{g.households} hh")
            self._add_demand("assist", node, g)
            return
        chunk = ec.max_platoon_veh if d.mode == "car" else d.households
        done_h = done_p = 0
        while done_h < d.households:  # car groups: platoons of at most max_platoon_veh
            h = min(chunk, d.households - done_h)
            p = round(d.people * (done_h + h) / d.households) - done_p
            done_h, done_p = done_h + h, done_p + p
            g = self._new_group(st, node, p, h, d.mode)
            st.home[node] -= p
            self.active[g.id] = g
            self._log("depart_home", g.id, node, d.mode, p, f"{h} hh")
            if d.mode == "car":
                self.env.process(self._car(g))
            else:
                self.env.process(self._walk(g))

    # ------------------------------------------------------------------ zone exit
    def _mark_out(self, g: Group, node: int) -> None:
        if not g.pending_out:
            return
        keep = []
        for origin, oid, people in g.pending_out:
            st = self.orders[oid]
            if node in st.unsafe:
                keep.append((origin, oid, people))
            else:
                self._log("out_of_zone", g.id, origin, oid, people, self.net.nodes[node])
        g.pending_out = keep

    def _catch(self, g: Group, where: str) -> None:
        if g.dead:
            return
        g.dead = True
        self.active.pop(g.id, None)
        self.caught_people += g.people
        # info: the order's kind, or "transfer" for people caught while being handed on
        kind = self.orders[g.order].kind if g.order in self.orders else "transfer"
        self._log("caught_by_hazard", g.id, g.node, where, g.people, kind)
        self._casualties(g.order, g.node, g.people, where, g.id)
        g.people = 0
        g.state = "done"

    def _casualties(self, oid: str, node: int, people: int, where: str, gid: str) -> None:
        """Hand ``people`` caught at ``node`` to rescue: incidents of at most ``max_people``
        with a survival window from now (people handed on between shelters use the rule of
        the latest order)."""
        rule = self.rules.get(oid, self._last_rule)
        if rule is None or people <= 0:
            return
        if self._cas_rng is None:
            self._cas_rng = self.world.streams("evacuation/casualties")
        on_road = where.startswith("road:")
        window = rule.swept_window_min if on_road else rule.trapped_window_min
        kind = "caught_on_road" if on_road else "caught_trapped"
        name = self.net.nodes[node]
        k, left = 0, int(people)
        while left > 0:
            n = min(left, max(1, rule.max_people))
            left -= n
            k += 1
            mean = rule.report_delay_min_mean
            delay = float(self._cas_rng.exponential(mean)) if mean > 0 else 0.0
            inc = Incident(
                t=self.env.now,
                hazard="evacuation",
                id=f"cas-{gid}-{k}",
                node=name,
                kind=kind,
                severity=3,
                people=n,
                capabilities=rule.capabilities,
                work_min=n * rule.work_min_per_person,
                window_min=window,
                report_delay_min=delay,
            )
            self.casualty_people += n
            self._log("casualty", inc.id, node, gid, n, kind)
            self.world.log.log(self.env.now, INCIDENT_WINDOW, inc.id, name, kind, window, "3")
            self.world.publish(inc)

    # ------------------------------------------------------------------ own car / walking
    def _car(self, g: Group):
        ec = self.cfg
        yield self.env.timeout(60.0 * ec.walk_km / ec.local_drive_kmh)
        if g.dead:
            return
        self._mark_out(g, g.node)
        yield from self._seek_shelter(g, g.households)

    def _walk(self, g: Group):
        ec = self.cfg
        yield self.env.timeout(60.0 * ec.walk_km / ec.walk_kmh)
        if g.dead:
            return
        self._mark_out(g, g.node)
        s = self.shelters.nearest(g.node, g.allowed, self.banned)
        if s is not None and self.shelters.node[s] == g.node:
            self._admit(g, s)
            if g.people == 0:
                return
            self._turned_away(g, s)
        g.state, g.since = "assembly", self.env.now
        self._log("at_assembly", g.id, g.node, g.order, g.people)
        self._add_demand("bus", g.node, g)

    def _seek_shelter(self, g: Group, vehicles: int):
        """Drive to the nearest shelter with room until all are in; wait when none has room."""
        while g.people > 0 and not g.dead:
            s = self.shelters.nearest(g.node, g.allowed, self.banned)
            if s is None:
                if g.wait_start < 0:
                    g.wait_start = self.env.now
                    self._log("no_shelter", g.id, g.node, g.order, g.people)
                g.state = "waiting"
                yield self._room
                continue
            if g.wait_start >= 0:
                self._log("wait_end", g.id, g.node, g.order, g.people)
                g.wait_start = -1.0
            dest = int(self.shelters.node[s])
            if dest != g.node:
                res = yield from self._drive(g, dest, vehicles, self.shelters.sites[s].id)
                if res == "caught":
                    return
                if res == "stranded":
                    g.state = "waiting"
                    yield self._room
                    continue
            self._admit(g, s)
            if g.people > 0:
                self._turned_away(g, s)

    def _drive(self, g: Group, dest: int, vehicles: int, target: str):
        """Drive group ``g`` in ``vehicles`` vehicles to ``dest``: arrived, caught or stranded."""
        done = self.env.event()
        p = Platoon(g.id, vehicles, g.people, self, (g, done))
        p.watch = bool(g.pending_out)
        origin = g.node
        if not self.lq.depart(p, origin, dest):
            return "stranded"
        g.state = "road"
        self._log("on_road", g.id, origin, target, g.people, f"{g.mode} {p.veh} veh")
        res = yield done
        return res if isinstance(res, str) else "stranded"

    # LinkQueue owner interface
    def arrived(self, p: Platoon) -> None:
        g, done = p.data
        if g is not None:
            g.node = p.dest
            self._mark_out(g, p.dest)
        done.succeed("arrived")

    def caught(self, p: Platoon, edge: int) -> None:
        g, done = p.data
        if g is not None:
            g.node = p.route[max(p.pos - 1, 0)]
            self._catch(g, f"road:{self.net.edge_name(edge)}")
        done.succeed("caught")

    def stranded(self, p: Platoon, node: int) -> None:
        g, done = p.data
        self._log("stranded", p.id, node, "", p.people)
        if g is not None:
            g.node = node
        done.succeed(("stranded", node))

    def passed(self, p: Platoon, node: int) -> None:
        g = p.data[0]
        if g is not None and g.pending_out:
            self._mark_out(g, node)

    # ------------------------------------------------------------------ shelters
    def _admit(self, g: Group, s: int, held: int = 0) -> None:
        n = self.shelters.admit(s, g.people, held)
        if n <= 0:
            return
        site = self.shelters.sites[s]
        node = self.net.nodes[site.node]
        self._log("sheltered", site.id, site.node, g.id, n, f"{site.type}/{g.mode}")
        self.world.publish(
            PeopleSheltered(self.env.now, site.id, node, n, self.net.nodes[g.origin], site.type)
        )
        g.people -= n
        if g.people == 0:
            g.state = "done"
            self.active.pop(g.id, None)
        ec = self.cfg
        if site.type == "emergency" and ec.emergency_hold_h > 0 and self.handover_mask.any():
            self.env.process(self._handover(s, n, g.origin))

    def _turned_away(self, g: Group, s: int) -> None:
        site = self.shelters.sites[s]
        self._log("turned_away", site.id, site.node, g.id, g.people, site.type)

    def _handover(self, s: int, people: int, origin: int):
        """After the hold time, move ``people`` on from emergency shelter ``s``.

        Hand-overs are organised: only as many leave as a short/long-term shelter has places
        for, and those places are held for them; the rest stay until room appears.
        """
        ec = self.cfg
        yield self.env.timeout(ec.emergency_hold_h * 60.0)
        node = int(self.shelters.node[s])
        site = self.shelters.sites[s]
        per = max(1, ec.transfer_vehicle_capacity) * max(1, ec.max_platoon_veh)
        while people > 0:
            target = self.shelters.nearest(node, self.handover_mask, self.banned)
            if target is None:
                yield self._room  # stay until a short/long-term shelter has room
                continue
            to = self.shelters.sites[target]
            n = min(people, per, self.shelters.free(target))
            people -= n
            self.shelters.reserve(target, n)
            self.shelters.release(s, n)
            self._log("shelter_transfer", site.id, node, to.id, n, self.net.nodes[origin])
            self.world.publish(
                PeopleLeftShelter(self.env.now, site.id, self.net.nodes[node], n, to.id)
            )
            g = Group(self._gid("T"), "", origin, n, 0, "transfer", node, state="waiting")
            g.allowed = self.handover_mask
            self.active[g.id] = g
            veh = math.ceil(n / max(1, ec.transfer_vehicle_capacity))
            self.env.process(self._transfer(g, target, veh))
            self._notify_room()

    def _transfer(self, g: Group, target: int, vehicles: int):
        """Drive a handed-on group to the places held for it (then as any group)."""
        held = g.people
        dest = int(self.shelters.node[target])
        if dest != g.node:
            res = yield from self._drive(g, dest, vehicles, self.shelters.sites[target].id)
            if res != "arrived":
                self.shelters.reserved[target] -= held
                if res == "stranded":
                    yield from self._seek_shelter(g, vehicles)
                return
        self._admit(g, target, held)  # the held places take them all

    # ------------------------------------------------------------------ buses / assistance
    def _add_demand(self, role: str, node: int, g: Group) -> None:
        self.demand[role][node].append(g)
        self.demand_people[role][node] += g.people
        self._dispatch(role)

    def _dispatch(self, role: str) -> None:
        """Send idle vehicles to the towns whose waiting people are oldest and uncovered."""
        idle = [v for v in self.fleet[role] if v.alive and not v.busy]
        if not idle:
            return
        waiting = self.demand[role]
        nodes = [
            n
            for n, q in waiting.items()
            if q
            and self.demand_people[role][n] > self.enroute[role][n]
            and not (role == "bus" and self._cut_off(q))
        ]
        nodes.sort(key=lambda n: (waiting[n][0].since, n))
        for n in nodes:
            while idle and self.demand_people[role][n] > self.enroute[role][n]:
                locs = np.array([v.loc for v in idle], dtype=np.int64)
                times = self.net.times_to(n)[locs]
                j = int(np.argmin(times))
                if not math.isfinite(times[j]):
                    break
                v = idle.pop(j)
                v.busy = True
                self.enroute[role][n] += v.capacity
                self._log("vehicle_dispatch", v.id, v.loc, self.net.nodes[n], v.capacity, role)
                self.env.process(self._trip(v, n))

    def _cut_off(self, queue: deque) -> bool:
        """Whether bus runs to the assembly point of ``queue`` are suspended (assistance runs
        never are: those people wait at home, in the zone): its town is in the zone of
        the order its first group left but not wholly in it (waiting there is safe), within
        ``vehicle_cutoff_min`` of the forecast impact and not yet reached by the hazard (a
        run then would drive people from a safe assembly point onto roads about to flood).
        Pickups in a town wholly in the zone go on: waiting there is not safe."""
        cutoff = self.cfg.vehicle_cutoff_min
        if cutoff is None:
            return False
        g = queue[0]
        st = self.orders.get(g.order)
        if st is None or g.node not in st.home or g.node in st.impacted or g.node in st.unsafe:
            return False
        return self.env.now >= st.impact_t - cutoff

    def _board(self, v: Vehicle, node: int) -> Group | None:
        """Take waiting people at ``node`` up to the vehicle's capacity (first come first)."""
        q = self.demand[v.role][node]
        room, taken, hh = v.capacity, [], 0
        while q and room > 0:
            g = q[0]
            if g.dead or g.people == 0:
                q.popleft()
                continue
            if g.people <= room:
                q.popleft()
                part = g
            else:  # split: the rest keeps its place in the queue
                share = max(1, round(g.households * room / g.people)) if g.households else 0
                part = Group(
                    self._gid(g.id[0]),
                    g.order,
                    g.origin,
                    room,
                    share,
                    g.mode,
                    node,
                    since=g.since,
                )
                if g.pending_out:  # queued groups are single-origin
                    o, oid, _ = g.pending_out[0]
                    part.pending_out = [(o, oid, room)]
                    g.pending_out = [(o, oid, g.people - room)]
                g.people -= room
                g.households -= share
            taken.append(part)
            room -= part.people
            hh += part.households
        if not taken:
            return None
        people = sum(g.people for g in taken)
        self.demand_people[v.role][node] -= people
        mode = "bus" if v.role == "bus" else "assist"
        pax = Group(self._gid("V"), taken[0].order, node, people, hh, mode, node, state="boarding")
        pax.allowed = self.first_mask
        for g in taken:
            if v.role == "assist":  # they leave home now
                self.orders[g.order].home[g.origin] -= g.people
                self._log("depart_home", g.id, g.origin, "assist", g.people, v.id)
            else:
                self.active.pop(g.id, None)
            pax.pending_out.extend(g.pending_out)
            g.people, g.state = 0, "done"
        self.active[pax.id] = pax
        self._log("board", v.id, node, pax.id, people, f"{hh} hh")
        return pax

    def _trip(self, v: Vehicle, node: int):
        role = v.role
        if v.loc != node:
            res = yield from self._drive_vehicle(v, node, None)
            if res != "arrived":
                self.enroute[role][node] -= v.capacity
                if res != "caught":
                    v.busy = False
                return
        self.enroute[role][node] -= v.capacity
        pax = self._board(v, node)
        if pax is None:  # nobody left to fetch (all caught or taken by another vehicle)
            self.demand_people[role][node] = sum(g.people for g in self.demand[role][node])
            v.busy = False
            self._dispatch(role)
            return
        yield self.env.timeout(v.load_min + v.per_household_min * pax.households)
        if pax.dead:  # caught while boarding
            v.alive = False
            self._log("vehicle_lost", v.id, v.loc, pax.id)
            return
        pax.state = "road"
        self._mark_out(pax, v.loc)
        while pax.people > 0:
            s = self.shelters.nearest(v.loc, pax.allowed, self.banned)
            if s is None:  # no room anywhere: they wait here, the vehicle goes on
                pax.node = v.loc
                self.env.process(self._wait_then_assemble(pax))
                break
            dest = int(self.shelters.node[s])
            if dest != v.loc:
                res = yield from self._drive_vehicle(v, dest, pax, self.shelters.sites[s].id)
                if res == "caught":
                    return
                if res == "stranded":
                    pax.node, pax.state = v.loc, "waiting"
                    yield self._room
                    if pax.dead:  # caught where the vehicle was stuck
                        v.alive = False
                        self._log("vehicle_lost", v.id, v.loc, pax.id)
                        return
                    pax.state = "road"
                    continue
            self._admit(pax, s)
            if pax.people > 0:
                self._turned_away(pax, s)
        v.busy = False
        self._dispatch(role)

    def _drive_vehicle(self, v: Vehicle, dest: int, pax: Group | None, target: str = ""):
        done = self.env.event()
        p = Platoon(v.id, 1, pax.people if pax is not None else 0, self, (pax, done))
        p.watch = pax is not None and bool(pax.pending_out)
        if not self.lq.depart(p, v.loc, dest):
            return "stranded"
        if pax is not None:
            pax.node = v.loc
            self._log("on_road", pax.id, v.loc, target, pax.people, f"{pax.mode} {v.id}")
        res = yield done
        if res == "arrived":
            v.loc = dest
        elif res == "caught":
            v.alive = False
            self._log("vehicle_lost", v.id, p.route[max(p.pos - 1, 0)], pax.id if pax else "")
        else:
            v.loc = res[1]
            res = "stranded"
        return res

    def _wait_then_assemble(self, g: Group):
        """People left where no shelter had room: wait, then walk in or queue for a bus."""
        g.state = "waiting"
        if g.wait_start < 0:
            g.wait_start = self.env.now
            self._log("no_shelter", g.id, g.node, g.order, g.people)
        while not g.dead:
            yield self._room
            if g.dead:
                return
            s = self.shelters.nearest(g.node, g.allowed, self.banned)
            if s is None:
                continue
            self._log("wait_end", g.id, g.node, g.order, g.people)
            g.wait_start = -1.0
            if self.shelters.node[s] == g.node:
                self._admit(g, s)
                if g.people == 0:
                    return
                self._turned_away(g, s)
            g.state, g.since = "assembly", self.env.now
            self._add_demand("bus", g.node, g)
            return

    # ------------------------------------------------------------------ impact
    def on_impact(self, ev: ZoneImpact) -> None:
        """The hazard reaches a town: everyone still in its at-risk area is caught."""
        st = self.orders.get(ev.order)
        if st is None:
            return
        x = self.net.index[ev.node]
        st.impacted.add(x)
        self._log("evac_impact", ev.node, x, st.id, 0.0, st.kind)
        home = st.home.get(x, 0)
        if home > 0:
            st.home[x] = 0
            self.caught_people += home
            self._log("caught_by_hazard", f"{st.id}:{ev.node}", x, "home", home, st.kind)
            self._casualties(st.id, x, home, "home", f"{st.id}:{ev.node}")
        for role in self.fleet:  # requests of people who were still at home
            q = self.demand[role].get(x)
            if q:
                keep = deque()
                for g in q:
                    if role == "assist" and g.order == st.id:
                        self.demand_people[role][x] -= g.people
                        g.dead, g.people = True, 0
                    else:
                        keep.append(g)
                self.demand[role][x] = keep
        wholly = x in st.unsafe
        for g in list(self.active.values()):
            if g.node != x or g.dead:
                continue
            if g.state == "local" and g.origin == x and g.pending_out:
                self._catch(g, "leaving")
            elif wholly and g.state in ("assembly", "waiting", "boarding", "local"):
                self._catch(g, g.state)
        if wholly:
            for p in self.lq.drain_origin(x):
                g = p.data[0]
                if g is not None:
                    self._catch(g, "queue")
                p.data[1].succeed("caught")
            for role in self.fleet:
                q = self.demand[role].get(x)
                if q:
                    self.demand_people[role][x] = 0
                    self.demand[role][x] = deque()
        if self.cfg.vehicle_cutoff_min is not None:  # runs suspended for this town go on
            for role in self.fleet:
                self._dispatch(role)
