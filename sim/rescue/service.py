"""Rescue teams and incident response.

A team's cycle: alarm -> staged assembly (only when called out from home, slower at night;
:mod:`sim.rescue.mobilisation`) -> travel by the fastest of its modes (road, on foot over blocked
roads, boat, helicopter; :mod:`sim.rescue.access`) -> on-scene work shared with the other teams
on the case -> free at the scene (re-tasked at once if something waits) -> drive home. A
team that has worked ``max_duty_h`` on scene since its last rest is relieved (the case
needs another team) and goes home to rest ``rest_h``. Mutual aid teams
(:mod:`sim.rescue.mutual_aid`) join the pool when activated; road-repair crews
(:mod:`sim.rescue.repair`) reopen blocked roads.

Which team goes where is decided by :mod:`sim.rescue.dispatch` (priority queue, pluggable
policies). Teams live in index arrays (location, availability, capability masks), so
choosing the best team for a case is one vectorised ``argmin`` over a shortest-path row.

Teams on the road are rerouted when a road ahead of them closes: they finish the road they
are on (or turn back if it is that road that closed) and plan again from there. A team cut
off from its destination waits for the roads to change. Teams sent to a case that is
finished before they arrive stand down where they are.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import simpy

from sim.config import RescueConfig
from sim.core.events import Incident
from sim.core.world import World
from sim.rescue.access import FOOT, ROAD, WALK, Router
from sim.rescue.dispatch import Case, WaitQueue, make_policy
from sim.rescue.mobilisation import Mobiliser, expected_assembly_min
from sim.rescue.teams import Team, Trip

if TYPE_CHECKING:
    pass


class RescueService:
    """Receives incidents, queues them, dispatches teams, runs their cycles, logs everything."""

    def __init__(
        self,
        world: World,
        teams: list[Team],
        cfg: RescueConfig,
        router: Router | None = None,
        start_hour: float = 8.0,
    ) -> None:
        self.world = world
        self.teams = teams
        self.cfg = cfg
        self.router = router if router is not None else Router(world, cfg.access)
        self.policy = make_policy(cfg)
        self.mob = Mobiliser(world, cfg.mobilisation, start_hour)
        n = len(teams)
        for i, t in enumerate(teams):
            t.slot = i
        self.loc = np.array([t.home for t in teams], dtype=np.int64)
        self.home = self.loc.copy()
        # Dispatch ranks teams by expected arrival: assembly (if called out from home) + travel.
        self.mob_mean = np.array([expected_assembly_min(t.stages, t.depart_share) for t in teams])
        self.night_factor = np.array([t.night_factor for t in teams])
        self.needs_assembly = np.array([t.at_home for t in teams], dtype=bool)
        for t in teams:
            t.flags = self.needs_assembly
        self.active = np.array([not t.regional for t in teams], dtype=bool)
        self.available = self.active.copy()
        self.level = np.array([self.policy.team_level(t.tier) for t in teams], dtype=np.int64)
        self.local = np.array([self.policy.is_local(t.tier) for t in teams], dtype=bool)
        self.any_local = bool(self.local.any())
        land = [WALK if t.vehicles == 0 else (FOOT if "foot" in t.modes else ROAD) for t in teams]
        has_land = np.array(
            [t.vehicles == 0 or bool(t.modes & {"road", "foot"}) for t in teams], dtype=bool
        )
        self.land_kind = np.array(land, dtype=object)
        self.land_groups = [
            (k, np.flatnonzero(has_land & (self.land_kind == k))) for k in (ROAD, FOOT, WALK)
        ]
        self.land_groups = [(k, idx) for k, idx in self.land_groups if idx.size]
        self.air_idx = np.flatnonzero([("air" in t.modes) for t in teams])
        self.water_idx = np.flatnonzero([("water" in t.modes) for t in teams])
        self.class_ids: dict[frozenset[str], int] = {}
        self.cls_mask: list[np.ndarray] = []
        self.cls_local_any: list[bool] = []
        self.spare: list[np.ndarray] = []
        self.queue = WaitQueue(with_local=self.any_local)
        self.open_cases: set[Case] = set()
        self.unreachable: set[Case] = set()
        # Per-destination arrival times, memoised while one road change retries many cases
        # (no simulated time passes then, and the teams it assigns are masked out anyway).
        self._arrival_memo: dict[int, np.ndarray] | None = None
        self.travelling: dict[int, Team] = {}
        self.waiting_hooks: list = []  # called with a case that is left waiting
        self.roads_changed = world.env.event()
        self.max_open = 0  # most cases waiting at once
        self._seq = 0
        self.n_slots = n
        world.subscribe(Incident, self.on_incident)

    # ------------------------------------------------------------- classes
    def class_of(self, caps: tuple[str, ...]) -> int:
        key = frozenset(caps)
        cid = self.class_ids.get(key)
        if cid is None:
            cid = len(self.class_ids)
            self.class_ids[key] = cid
            mask = np.array([key <= t.capabilities for t in self.teams], dtype=bool)
            self.cls_mask.append(mask)
            self.cls_local_any.append(
                bool((mask & ~np.array([t.regional for t in self.teams], dtype=bool)).any())
            )
            self.spare.append(
                np.array([len(t.capabilities - key) for t in self.teams], dtype=float)
            )
            for t in self.teams:
                if key <= t.capabilities:
                    t.classes.append(cid)
        return cid

    def local_capable(self, cid: int) -> bool:
        """Whether any non-regional team has the capabilities of class ``cid``."""
        return self.cls_local_any[cid]

    @property
    def n_open(self) -> int:
        """Cases waiting for (more) teams."""
        return len(self.open_cases)

    # ------------------------------------------------------------- incidents in
    def on_incident(self, inc: Incident) -> None:
        if inc.report_delay_min > 0:
            ev = self.world.env.timeout(inc.report_delay_min)
            ev.callbacks.append(lambda _e: self._alarm(inc))
        else:
            self._alarm(inc)

    def _alarm(self, inc: Incident) -> None:
        """The alarm reaches the district: open a case and match it."""
        w = self.world
        w.log.log(w.now, "incident", inc.id, inc.node, inc.hazard, inc.people, inc.kind)
        case = Case(
            inc=inc,
            seq=self._seq,
            node=w.net.index[inc.node],
            cls=self.class_of(inc.capabilities),
            alarm=w.now,
            needed=self.policy.teams_needed(inc),
            level=self.policy.start_level(inc),
            work_left=inc.work_min,
            last_t=w.now,
        )
        case.done_ev = w.env.event()
        self._seq += 1
        self.open_cases.add(case)
        self.queue.push(case)
        self.match_case(case)
        if case.open:
            self._left_waiting(case)

    def _left_waiting(self, case: Case) -> None:
        """A case still needs teams after matching: escalation timer and mutual-aid hooks.

        Starts the escalation timer unless one is already running for the case (a case
        that was fully staffed and reopens later escalates again).
        """
        self.max_open = max(self.max_open, len(self.open_cases))
        after = self.policy.escalate_after_min
        if after is not None and case.level < self.policy.max_level and not case.escalating:
            self._escalation_timer(case, after)
        for hook in self.waiting_hooks:
            hook(case)

    def _escalation_timer(self, case: Case, after: float) -> None:
        level = case.level
        case.escalating = True
        ev = self.world.env.timeout(after)
        ev.callbacks.append(lambda _e: self._escalate(case, level))

    def _escalate(self, case: Case, level: int) -> None:
        case.escalating = False
        if not case.open or case.level != level:
            return
        case.level += 1
        w = self.world
        w.log.log(w.now, "escalate", case.inc.id, case.inc.node, "", case.level)
        self.queue.push(case)
        self.match_case(case)
        if case.open:
            self._left_waiting(case)

    # ------------------------------------------------------------- matching
    def team_times(self, dest: int) -> np.ndarray:
        """Minutes from every team's position to node ``dest`` by its fastest mode."""
        r = self.router
        times = np.full(self.n_slots, np.inf)
        for kind, idx in self.land_groups:
            times[idx] = r.row_to(kind, dest)[self.loc[idx]]
        if r.cfg.local_min:
            times[self.loc == dest] += r.cfg.local_min  # inf stays inf (air/water only)
        if self.air_idx.size:
            a = self.air_idx
            times[a] = np.minimum(times[a], r.air_min(self.loc[a], dest))
        if self.water_idx.size and r.water[dest]:
            wi = self.water_idx
            times[wi] = np.minimum(times[wi], r.water_min(self.loc[wi], self.land_kind[wi], dest))
        return times

    def expected_arrival(self, dest: int) -> np.ndarray:
        """Expected minutes until each team could be at ``dest``: mean assembly if it is
        stood down at home (slower at night), plus travel by its fastest mode."""
        if self._arrival_memo is not None and dest in self._arrival_memo:
            return self._arrival_memo[dest]
        factor = self.night_factor if self.mob.night(self.world.env.now) else 1.0
        out = self.team_times(dest) + np.where(self.needs_assembly, self.mob_mean * factor, 0.0)
        if self._arrival_memo is not None:
            self._arrival_memo[dest] = out
        return out

    def eligible(self, case: Case) -> np.ndarray:
        mask = self.available & self.cls_mask[case.cls]
        if self.policy.max_level:
            mask &= self.level <= case.level
        if self.any_local:
            mask &= ~self.local | (self.home == case.node)
        return mask

    def match_case(self, case: Case) -> None:
        """Send free eligible teams to ``case`` (best cost first) until it has enough."""
        need = case.needed - case.assigned
        if need <= 0 or case.done:
            return
        mask = self.eligible(case)
        if not mask.any():
            return
        cost = self.policy.cost(self.expected_arrival(case.node), self.spare[case.cls])
        cost = np.where(mask, cost, np.inf)
        if need == 1:
            order = [int(np.argmin(cost))]
        else:
            order = [int(j) for j in np.argsort(cost, kind="stable")[:need]]
        sent = 0
        for j in order:
            if not math.isfinite(cost[j]):
                break
            self.assign(self.teams[j], case)
            sent += 1
        if sent == 0:
            self.unreachable.add(case)

    def match_team(self, team: Team) -> None:
        """A team became free: give it the best open case it can serve and reach."""
        if not self.available[team.slot]:
            return
        levels = range(int(self.level[team.slot]), self.policy.max_level + 1)
        node = team.home if self.local[team.slot] else None
        skipped: list = []
        for h, entry in self.queue.candidates(team.classes, levels, node):
            case = entry[3]
            skipped.append((h, entry))
            plan = self.router.plan(team.location, case.node, team.modes, team.vehicles)
            if plan is not None:
                team.plan = plan  # reused by _travel if nothing changes before departure
                self.assign(team, case)
                break
            self.unreachable.add(case)
        self.queue.restore(skipped)

    def set_available(self, team: Team, stand_down: bool = True) -> None:
        """``team`` can take work again: match it, else send it home (or stand it down there)."""
        self.available[team.slot] = True
        self.loc[team.slot] = team.location
        self.match_team(team)
        if self.available[team.slot] and team.location != team.home:
            team.state = "returning"
            team.proc = self.world.env.process(self._return(team))
        elif self.available[team.slot] and team.state != "home" and not stand_down:
            team.state = "idle"
        elif self.available[team.slot] and team.state != "home":
            # free in its home town: it stands down, the next call-out assembles again
            team.at_home = True
            team.state = "home"
            self.world.log.log(self.world.now, "home", team.id, self.world.net.nodes[team.home])

    def activate(self, team: Team) -> None:
        """A mutual-aid team arrives in the pool."""
        self.active[team.slot] = True
        team.at_home = False  # activation delay covered its assembly
        team.state = "idle"
        self.set_available(team, stand_down=False)

    # ------------------------------------------------------------- assignment
    def assign(self, team: Team, case: Case) -> None:
        w = self.world
        self.available[team.slot] = False
        case.assigned += 1
        case.teams.add(team.slot)
        if not case.open:
            self.open_cases.discard(case)
            self.unreachable.discard(case)
        team.case = case
        w.log.log(
            w.now, "dispatch", team.id, w.net.nodes[team.location], case.inc.id, 0.0, team.tier
        )
        if team.state == "returning" and team.proc is not None and team.proc.is_alive:
            team.pending = case
            team.proc.interrupt("stop")
        else:
            team.proc = w.env.process(self._task(team, case))

    def _stop(self, team: Team) -> None:
        """Stand a committed team down (its case was finished by others)."""
        if team.proc is not None and team.proc.is_alive and team.state in ("mobilising", "travel"):
            team.proc.interrupt("stop")

    # ------------------------------------------------------------- team cycle
    def _task(self, team: Team, case: Case):
        w, env = self.world, self.world.env
        team.state = "mobilising"
        if team.at_home:
            try:
                team.crew = yield from self.mob.assemble(team, len(team.stages) > 1)
            except simpy.Interrupt:
                self._end(team, case, "stood_down")
                return
            team.at_home = False
        team.state = "travel"
        arrived = yield from self._travel(team, case.node, case.inc.id, local=True)
        if not arrived or case.done:
            self._end(team, case, "stood_down")
            return
        team.state = "scene"
        w.log.log(env.now, "arrive", team.id, case.inc.node, case.inc.id, 0.0, team.tier)
        if math.isnan(case.first_arrival):
            case.first_arrival = env.now
        self._join(case, team)
        limit = self.cfg.mobilisation.max_duty_h * 60.0
        if limit > 0:
            start = env.now
            yield case.done_ev | env.timeout(max(limit - team.worked, 0.0))
            team.worked += env.now - start
            if not case.done:
                self._leave(case, team)
                w.log.log(env.now, "relieved", team.id, case.inc.node, case.inc.id, 0.0)
                self._end(team, case, "relieved")
                return
        else:
            yield case.done_ev
        self._end(team, case, "done")

    def _end(self, team: Team, case: Case, how: str) -> None:
        """The team's part in ``case`` is over: log, then rest, re-task or go home."""
        w = self.world
        if how != "done" and how != "relieved":
            case.teams.discard(team.slot)
            if not case.done:
                case.assigned -= 1
                self._reopen(case)
        w.log.log(w.now, "free", team.id, w.net.nodes[team.location], case.inc.id, 0.0, how)
        team.case = None
        team.rate = 0.0
        if how == "relieved" or self._duty_over(team):
            team.state = "resting"
            team.proc = w.env.process(self._rest(team))
            return
        team.state = "idle"
        self.set_available(team)

    def _duty_over(self, team: Team) -> bool:
        """Whether the team has worked its limit since the last rest (tolerance for rounding)."""
        limit = self.cfg.mobilisation.max_duty_h * 60.0
        return limit > 0 and team.worked >= limit - 1e-6

    def _return(self, team: Team):
        w = self.world
        arrived = yield from self._travel(team, team.home, "home")
        if arrived:
            team.at_home = True
            team.state = "home"
            self.loc[team.slot] = team.home
            w.log.log(w.now, "home", team.id, w.net.nodes[team.home])
        if team.pending is not None:
            case, team.pending = team.pending, None
            self.loc[team.slot] = team.location
            team.proc = w.env.process(self._task(team, case))

    def _rest(self, team: Team):
        w, env = self.world, self.world.env
        self.available[team.slot] = False
        plan = self.router.plan(team.location, team.home, team.modes, team.vehicles)
        if plan is not None:  # cut off from home: rest where it is
            team.plan = plan
            yield from self._travel(team, team.home, "rest")
        self.loc[team.slot] = team.location
        w.log.log(
            env.now, "rest", team.id, w.net.nodes[team.location], "", self.cfg.mobilisation.rest_h
        )
        yield env.timeout(self.cfg.mobilisation.rest_h * 60.0)
        team.worked = 0.0
        team.at_home = team.location == team.home
        team.state = "home" if team.at_home else "idle"
        w.log.log(env.now, "ready", team.id, w.net.nodes[team.location])
        self.set_available(team)

    # ------------------------------------------------------------- travel
    def _travel(self, team: Team, dest: int, ref: str, local: bool = False):
        """Sub-process: move ``team`` to ``dest``. True on arrival, False if told to stop.

        ``local``: a scene trip, which takes ``local_min`` even from ``dest`` itself.
        """
        w, env, r = self.world, self.world.env, self.router
        while True:
            if team.location == dest and not local:
                return True
            local = False
            plan, team.plan = team.plan, None
            if (
                plan is None
                or plan.t != env.now
                or plan.origin != team.location
                or plan.dest != dest
                or plan.key != r.key()
            ):
                plan = r.plan(team.location, dest, team.modes, team.vehicles)
            if plan is None:  # cut off: wait until the roads change
                try:
                    yield self.roads_changed
                except simpy.Interrupt as it:
                    if it.cause == "stop":
                        return False
                continue
            w.log.log(
                env.now, "depart", team.id, w.net.nodes[team.location], ref, plan.minutes, plan.mode
            )
            team.trip = Trip(plan, team.location, dest, env.now)
            self.travelling[team.slot] = team
            try:
                yield env.timeout(plan.minutes)
                team.trip = None
                self.travelling.pop(team.slot, None)
                team.location = dest
                return True
            except simpy.Interrupt as it:
                stop = it.cause == "stop"
                trip, team.trip = team.trip, None
                self.travelling.pop(team.slot, None)
                node, dt = self._stop_point(trip, env.now)
                end = env.now + dt
                while env.now < end - 1e-12:  # finish the road it is on (or turn back)
                    try:
                        yield env.timeout(end - env.now)
                    except simpy.Interrupt as it2:
                        stop = stop or it2.cause == "stop"
                team.location = node
                if stop:
                    return False
                w.log.log(env.now, "reroute", team.id, w.net.nodes[node], ref)

    def _stop_point(self, trip: Trip, now: float) -> tuple[int, float]:
        """Where a travelling team can stop or replan, and how long it takes to get there."""
        plan = trip.plan
        elapsed = now - trip.depart
        if not plan.land_kind or elapsed >= plan.land_min:
            return trip.dest, max(trip.depart + plan.minutes - now, 0.0)
        nodes, cum = self.router.route(plan.land_kind, trip.origin, plan.land_to, plan.key)
        if len(nodes) < 2:
            return trip.origin, 0.0
        k = int(np.searchsorted(cum, elapsed, side="right")) - 1
        if k >= len(nodes) - 1:
            return nodes[-1], 0.0
        e = self.world.net.edge_id(nodes[k], nodes[k + 1])
        if self.router.passable(plan.land_kind, e):
            return nodes[k + 1], float(cum[k + 1] - elapsed)
        return nodes[k], float(elapsed - cum[k])

    def _blocked_ahead(self, team: Team) -> bool:
        trip = team.trip
        if trip is None or not trip.plan.land_kind:
            return False
        plan = trip.plan
        elapsed = self.world.now - trip.depart
        if elapsed >= plan.land_min:
            return False
        nodes, cum = self.router.route(plan.land_kind, trip.origin, plan.land_to, plan.key)
        k = max(int(np.searchsorted(cum, elapsed, side="right")) - 1, 0)
        net = self.world.net
        return any(
            not self.router.passable(plan.land_kind, net.edge_id(a, b))
            for a, b in zip(nodes[k:], nodes[k + 1 :], strict=False)
        )

    # ------------------------------------------------------------- scene work
    def _progress(self, case: Case) -> None:
        now = self.world.now
        case.work_left = max(case.work_left - case.rate * (now - case.last_t), 0.0)
        case.last_t = now

    def _schedule(self, case: Case) -> None:
        case.version += 1
        if case.rate <= 0:
            return
        v = case.version
        ev = self.world.env.timeout(case.work_left / case.rate)
        ev.callbacks.append(lambda _e: self._complete(case, v))

    def _join(self, case: Case, team: Team) -> None:
        self._progress(case)
        team.rate = min(team.crew / self.cfg.ref_crew, self.cfg.max_crew_speedup)
        case.rate += max(team.rate, 1e-9)
        case.on_scene.add(team.slot)
        self._schedule(case)

    def _leave(self, case: Case, team: Team) -> None:
        """A team leaves an unfinished scene (relieved): the case needs another team."""
        self._progress(case)
        case.rate = max(case.rate - max(team.rate, 1e-9), 0.0)
        case.on_scene.discard(team.slot)
        case.teams.discard(team.slot)
        case.assigned -= 1
        self._schedule(case)
        self._reopen(case)

    def _reopen(self, case: Case) -> None:
        if case.open and case not in self.open_cases:
            self.open_cases.add(case)
            self.queue.push(case)
            self.match_case(case)
            if case.open:
                self._left_waiting(case)

    def _complete(self, case: Case, version: int) -> None:
        if case.version != version or case.done:
            return
        w = self.world
        case.done = True
        case.work_left = 0.0
        ids = "+".join(self.teams[s].id for s in sorted(case.on_scene))
        w.log.log(
            w.now, "resolved", case.inc.id, case.inc.node, ids, case.inc.people, case.inc.kind
        )
        self.open_cases.discard(case)
        self.unreachable.discard(case)
        for slot in sorted(case.teams - case.on_scene):
            self._stop(self.teams[slot])
        case.done_ev.succeed()

    # ------------------------------------------------------------- roads change
    def on_network_change(self) -> None:
        """Roads changed: wake cut-off teams, reroute blocked trips, retry unreachable cases."""
        ev, self.roads_changed = self.roads_changed, self.world.env.event()
        ev.succeed()
        for team in list(self.travelling.values()):
            if self._blocked_ahead(team) and team.proc is not None and team.proc.is_alive:
                team.proc.interrupt("reroute")
        self._arrival_memo = {}
        try:
            for case in sorted(self.unreachable, key=lambda c: c.prio):
                self.unreachable.discard(case)
                if case.open:
                    self.match_case(case)
        finally:
            self._arrival_memo = None
