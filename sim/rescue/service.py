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
policies). A new or escalated case is matched against the free teams of its capability
class (a list per class), ranked by expected arrival; a freed team looks only at the heads
of the queues it can serve and tests reachability from connected components before it
plans a trip.

Teams on the road are rerouted when a road ahead of them closes: they finish the road they
are on (or turn back if it is that road that closed) and plan again from there. A team cut
off from its destination waits for the roads to change. Teams sent to a case that is
finished before they arrive stand down where they are.

The hot path is written for speed: a team's cycle is a chain of callbacks on bare events
(:meth:`World.call_in <sim.core.world.World.call_in>`), not a SimPy process per task, and
the per-team state is kept in plain lists. The chain keeps SimPy's order of events exactly:
where the former process-based cycle started a process or interrupted one, an urgent
zero-delay call stands in for SimPy's ``Initialize`` or ``Interruption`` event; where it
waited for an event with several teams behind it (the end of the work, a change of roads),
one call resumes them in order. So the same seed gives the same event log, row for row
(``tests/test_rescue.py::test_event_logs_are_unchanged``).
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from heapq import heappush
from operator import attrgetter

import numpy as np
from simpy.events import NORMAL, URGENT

from sim.config import RescueConfig
from sim.core.events import Incident
from sim.core.streams import GAMMA_SHAPE
from sim.core.world import Call, World
from sim.rescue.access import FOOT, OPEN, ROAD, WALK, Plan, Router
from sim.rescue.dispatch import Case, WaitQueue, make_policy
from sim.rescue.mobilisation import Mobiliser, expected_assembly_min
from sim.rescue.teams import Team

# What a team's activity waits for (Team.phase).
START, ASSEMBLY, TRIP, ROAD_END, ROADS, SCENE, REST = range(1, 8)

INF = math.inf
# ASSUMPTION: open-road rows kept as Python lists up to 2,000 nodes (32 bytes a node: 64 kB a
# row) and 32 MB of them per service: every row of a district network, and a bounded copy
# of what the network's own row cache holds on a large one.
OPEN_ROW_LIST_NODES = 2000
OPEN_ROWS_BYTES = 32 * 2**20
# ASSUMPTION: a crew on a detour is radioed a new route when a road reopens only if it saves
# more than a minute (below that, the call itself and the turn take as long).
REROUTE_GAIN_MIN = 1.0
_act_ids = itertools.count(1)
_prio = attrgetter("prio")


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
        self.env = world.env
        self.teams = teams
        self.cfg = cfg
        self.router = router if router is not None else Router(world, cfg.access)
        self.policy = make_policy(cfg)
        self.mob = Mobiliser(world, cfg.mobilisation, start_hour)
        self._row = world.log.rows.append  # the event log's rows (see EventLog.log)
        self._q = world.env._queue  # events are pushed here directly (World.call_in inlined)
        self._eid = world.env._eid
        # urgent zero-delay calls (Environment.call_soon) wait here, with their event ids
        self._lane = world.env._soon
        self._names = world.net.nodes
        self._index = world.net.index
        self.duty_min = cfg.mobilisation.max_duty_h * 60.0
        self.local_min = self.router.cfg.local_min
        n = len(teams)
        for i, t in enumerate(teams):
            t.slot = i
            t.rng = world.streams(f"mobilisation/{t.stream or t.id}")
        # per-slot state and constants, plain lists (a few to a few hundred teams)
        self.loc = [t.home for t in teams]  # position used for dispatch
        self.home = [t.home for t in teams]
        # Dispatch ranks teams by expected arrival: assembly (if called out from home) + travel.
        self.mob_mean = [expected_assembly_min(t.stages, t.depart_share) for t in teams]
        self.night_factor = [t.night_factor for t in teams]
        self.needs_assembly = [t.at_home for t in teams]
        for t in teams:
            t.flags = self.needs_assembly
        self.active = [not t.regional for t in teams]
        self.available = list(self.active)
        self.level = [self.policy.team_level(t.tier) for t in teams]
        self.local = [self.policy.is_local(t.tier) for t in teams]
        self.any_local = any(self.local)
        self.max_level = self.policy.max_level
        self._escalate_after = self.policy.escalate_after_min
        # Policy.teams_needed, inlined in on_incident (the same for every policy)
        self._per_team, self._max_teams = cfg.people_per_team, cfg.max_teams_per_incident
        self._need_one = int(min(self._max_teams, 1))
        self._ref_crew, self._max_speedup = cfg.ref_crew, cfg.max_crew_speedup
        for t in teams:
            t.work_rate = self._work_rate(t.crew)
        self.cost_spare = self.policy.name == "capability"
        # land route kind of each team (None: no land mode), helicopter, boat
        self.land_kind = [
            WALK if t.vehicles == 0 else (FOOT if "foot" in t.modes else ROAD) for t in teams
        ]
        self.land = [
            self.land_kind[i] if (t.vehicles == 0 or t.modes & {"road", "foot"}) else None
            for i, t in enumerate(teams)
        ]
        self.air = ["air" in t.modes for t in teams]
        self.boat = ["water" in t.modes for t in teams]
        # plain road teams (by road, or road and foot; no air, no boat): with every road open
        # their trips are planned inline (_go_step), and need no plan at dispatch
        self.plain = [
            self.land[i] in (ROAD, FOOT) and not self.air[i] and not self.boat[i] for i in range(n)
        ]
        self._net = world.net
        self._times_to = world.net.times_to
        # Open-road rows the dispatch and the trips read, by destination: plain floats on a
        # small network (they index and add faster than numpy scalars; the same numbers),
        # and at most OPEN_ROWS_BYTES of them (rows of a large network stay arrays).
        self._open_rows: dict[int, list[float] | np.ndarray] = {}
        self._rows_as_lists = world.net.n <= OPEN_ROW_LIST_NODES
        per_row = world.net.n * (32 if self._rows_as_lists else 8)
        self._open_rows_max = max(16, OPEN_ROWS_BYTES // per_row)
        self.has_air = any(self.air)
        self.has_boat = any(self.boat)
        self.direct_start = [bool(t.stages) and t.stages[0].mean_min > 0 for t in teams]
        self.class_ids: dict[frozenset[str], int] = {}
        self._cls_of_caps: dict[tuple[str, ...], int] = {}
        self.cls_slots: list[list[int]] = []  # teams with the capabilities of each class
        self.cls_kind: list[str | None] = []  # their land route kind if all go by land only
        self.cls_local_any: list[bool] = []
        self.spare: list[list[float]] = []
        self.queue = WaitQueue(with_local=self.any_local)
        self.open_cases: set[Case] = set()
        self.unreachable: set[Case] = set()
        # Reachability index: cases a freed team found out of reach, by closure state and
        # reach signature (Router.reach_sig); teams alike skip them without a check. A case
        # in it is in self.unreachable while it waits (only a road change, which clears
        # this, takes it out).
        self._cut_off: dict[tuple, set[Case]] = {}
        self.travelling: dict[int, Team] = {}
        self.waiting_hooks: list = []  # called with a case that is left waiting
        # called with a waiting case a freed team found out of its reach (it had been
        # queued as reachable: the hooks of _left_waiting did not know; see match_team)
        self.unreachable_hooks: list = []
        self._open_reach: dict[
            tuple[int, int], bool
        ] = {}  # (class, node) -> within reach, all roads open
        # called with (case, arrival time) when a team leaves for a case it will reach only
        # after the case's life-saving window, which is still open (see _check_late)
        self.late_hooks: list = []
        # cases whose faster help was asked for (mutual aid), with the arrival to beat: a
        # free team that would be there sooner is sent too (see send_faster)
        self.late_cases: dict[Case, float] = {}
        self._road_waiters: list[tuple[Team, object]] = []  # cut-off teams, in order
        self._key_before: tuple = OPEN  # (closed, flooded) roads at the last change
        self.max_open = 0  # most cases waiting at once
        self._seq = 0
        self.n_slots = n
        # bound methods the hot path schedules, made once
        self._cb_started, self._cb_deliver = self._started, self._deliver
        self._cb_stage_done, self._cb_complete = self._stage_done, self._complete
        self._cb_trip_end, self._cb_road_end = self._trip_end, self._road_end
        self._cb_task_arrived, self._cb_return_done = self._task_arrived, self._return_done
        self._cb_return_start = self._return_start
        world.subscribe(Incident, self.on_incident)

    # ------------------------------------------------------------- classes
    def class_of(self, caps: tuple[str, ...]) -> int:
        cid = self._cls_of_caps.get(caps)
        if cid is not None:
            return cid
        key = frozenset(caps)
        cid = self.class_ids.get(key)
        if cid is None:
            cid = len(self.class_ids)
            self.class_ids[key] = cid
            slots = [t.slot for t in self.teams if key <= t.capabilities]
            self.cls_slots.append(slots)
            kinds = {self.land[j] for j in slots}
            simple = len(kinds) == 1 and not any(self.air[j] or self.boat[j] for j in slots)
            self.cls_kind.append(kinds.pop() if simple else None)
            self.cls_local_any.append(any(not self.teams[j].regional for j in slots))
            self.spare.append([float(len(t.capabilities - key)) for t in self.teams])
            for j in slots:
                self.teams[j].classes.append(cid)
        self._cls_of_caps[caps] = cid
        return cid

    def local_capable(self, cid: int) -> bool:
        """Whether any non-regional team has the capabilities of class ``cid``."""
        return self.cls_local_any[cid]

    def has_active(self, cid: int) -> bool:
        """Whether any team in the pool (local or activated) has the capabilities of ``cid``."""
        act = self.active
        return any(act[j] for j in self.cls_slots[cid])

    def within_reach(self, case: Case) -> bool:
        """Whether some team in the pool that may serve ``case``, free or busy, could get
        there now from where it is by one of its modes (a helicopter counts while flying is
        suspended: it goes when flying resumes; a local-tier team only in its own town).

        Decides whether a case that finds no free team is out of reach of every team (and
        so in ``unreachable``, which brings in mutual aid), not just waiting for one.
        """
        r = self.router
        dest = case.node
        act, local, home, teams = self.active, self.local, self.home, self.teams
        seen = set()
        for j in self.cls_slots[case.cls]:
            if not act[j] or (local[j] and home[j] != dest):
                continue
            t = teams[j]
            k = (t.location, t.modes, t.vehicles)
            if k in seen:
                continue
            seen.add(k)
            if r.can_reach(t.location, dest, t.modes, t.vehicles, True):
                return True
        return False

    def _none_free(self, case: Case) -> None:
        """No free team may be sent to ``case``: mark it unreachable if no team in the pool
        could get there either (before, it was left as merely waiting, and mutual aid was
        asked only under the waiting rules: Beibei's flooded 龙凤桥 never had a helicopter).

        With every road open the answer depends on the case's class and place only (a
        validated network is connected, so where the teams stand does not matter): it is
        kept until a team joins the pool (an overloaded queue asks this for most alarms)."""
        if case in self.unreachable:
            return
        if not self._net._closed:  # (Router.key() is OPEN)
            k = (case.cls, case.node)
            ok = self._open_reach.get(k)
            if ok is None:
                ok = self._open_reach[k] = self.within_reach(case)
        else:
            ok = self.within_reach(case)
        if not ok:
            self.unreachable.add(case)

    @property
    def n_open(self) -> int:
        """Cases waiting for (more) teams."""
        return len(self.open_cases)

    # ------------------------------------------------------------- incidents in
    def on_incident(self, inc: Incident, reported: bool = False) -> None:
        """An incident happens; once reported (``report_delay_min`` later), the alarm
        reaches the district: open a case and match it."""
        if not reported and inc.report_delay_min > 0:
            self.world.call_in(inc.report_delay_min, self._alarm_call, inc)
            return
        now = self.env._now
        self._row((now, "incident", inc.id, inc.node, inc.hazard, inc.people, inc.kind))
        caps = inc.capabilities
        cid = self._cls_of_caps.get(caps)
        people = inc.people
        case = Case(
            inc,
            self._seq,
            self._index[inc.node],
            self.class_of(caps) if cid is None else cid,
            now,
            self._need_one  # (what the formula gives for one team's worth or fewer)
            if people <= self._per_team
            else int(min(self._max_teams, max(1, math.ceil(people / self._per_team)))),
            self.policy.start_level(inc) if self.max_level else 0,
            inc.work_min,
            now,
        )
        self._seq += 1
        self.open_cases.add(case)
        self.match_case(case)
        if case.assigned < case.needed and not case.done:  # (case.open)
            # queued only now: nothing reads the queue while it is matched
            self.queue.push(case)
            self._left_waiting(case)

    def _alarm_call(self, call: Call) -> None:
        self.on_incident(call[1], True)

    def _left_waiting(self, case: Case) -> None:
        """A case still needs teams after matching: escalation timer and mutual-aid hooks.

        Starts the escalation timer unless one is already running for the case (a case
        that was fully staffed and reopens later escalates again).
        """
        n = len(self.open_cases)
        if n > self.max_open:
            self.max_open = n
        after = self._escalate_after
        if after is not None and case.level < self.max_level and not case.escalating:
            case.escalating = True
            self.world.call_in(after, self._escalate, (case, case.level))
        for hook in self.waiting_hooks:
            hook(case)

    def _escalate(self, call: Call) -> None:
        case, level = call[1]
        case.escalating = False
        if not case.open or case.level != level:
            return
        case.level += 1
        w = self.world
        self._row((w.now, "escalate", case.inc.id, case.inc.node, "", case.level, ""))
        self.match_case(case)
        if case.open:
            self.queue.push(case)
            self._left_waiting(case)

    # ------------------------------------------------------------- matching
    def _open_row(self, dest: int) -> list[float] | np.ndarray:
        """Road minutes from every node to ``dest`` with every road open (what
        ``net.times_to`` gives; as a list on a small network), kept in ``_open_rows``."""
        row = self._times_to(dest)
        if self._rows_as_lists:
            row = row.tolist()
        if len(self._open_rows) >= self._open_rows_max:
            self._open_rows.clear()
        self._open_rows[dest] = row
        return row

    def arrival(self, j: int, dest: int, rows: dict, air_ok: bool, factor_on: bool) -> float:
        """Expected minutes until team ``j`` could be at ``dest``: travel by its fastest mode,
        plus its mean assembly (slower at night) if it stands down at home.

        ``rows``: land rows to ``dest`` by route kind (filled as needed); ``air_ok``:
        helicopters may fly; ``factor_on``: the night factor applies.
        """
        r = self.router
        loc = self.loc[j]
        kind = self.land[j]
        if kind is not None:
            row = rows.get(kind)
            if row is None:
                row = rows[kind] = r.row_to(kind, dest)
            t = row[loc]
        else:
            t = math.inf
        if loc == dest and self.local_min:
            t += self.local_min
        if self.air[j]:
            a = r.air_time(loc, dest) if air_ok else math.inf
            if a < t:
                t = a
        if self.boat[j] and r.water[dest]:
            b = r.water_time(loc, self.land_kind[j], dest)
            if b < t:
                t = b
        if self.needs_assembly[j]:
            t = t + self.mob_mean[j] * (self.night_factor[j] if factor_on else 1.0)
        return t

    def eligible(self, case: Case) -> list[int]:
        """Free teams that may be sent to ``case`` (capabilities, level, local tiers)."""
        avail = self.available
        out = [j for j in self.cls_slots[case.cls] if avail[j]]
        if self.max_level:
            lv = case.level
            out = [j for j in out if self.level[j] <= lv]
        if self.any_local:
            node, local, home = case.node, self.local, self.home
            out = [j for j in out if not local[j] or home[j] == node]
        return out

    def match_case(self, case: Case) -> None:
        """Send free eligible teams to ``case`` (best cost first) until it has enough."""
        need = case.needed - case.assigned
        if need <= 0 or case.done:
            return
        avail = self.available
        if True not in avail:
            self._none_free(case)  # (every team is busy)
            return
        dest = case.node
        kind = self.cls_kind[case.cls]
        if need == 1 and kind is not None and not self.cost_spare:
            # every team of the class goes by land only, the same way: arrival() inlined
            cands = (
                self.eligible(case)
                if self.max_level or self.any_local
                else self.cls_slots[case.cls]
            )
            if self._net._closed or kind == WALK:
                row = None  # (fetched for the first free team)
            else:
                row = self._open_rows.get(dest)
                if row is None:
                    row = self._open_row(dest)
            loc, needs, mob, nf, lm = (
                self.loc,
                self.needs_assembly,
                self.mob_mean,
                self.night_factor,
                self.local_min,
            )
            night = None
            best, best_c, free = -1, INF, False
            for j in cands:
                if not avail[j]:
                    continue
                if not free:
                    free = True
                    if row is None:
                        row = self.router.row_to(kind, dest)
                p = loc[j]
                c = row[p]
                if p == dest and lm:
                    c += lm
                if needs[j]:
                    if night is None:
                        night = self.mob.night(self.env._now)
                    c = c + mob[j] * (nf[j] if night else 1.0)
                if c < best_c:
                    best, best_c = j, c
            if not free:
                self._none_free(case)
                return
            if self.has_air:
                self.router.grounded()  # (when grounded, it schedules the wake-up)
            if best < 0:
                self.unreachable.add(case)
                return
            self.assign(self.teams[best], case)
            return
        if self.max_level or self.any_local:
            cands = self.eligible(case)
        else:
            cands = [j for j in self.cls_slots[case.cls] if avail[j]]
        if not cands:
            self._none_free(case)
            return
        # (when grounded, the check schedules the wake-up that retries waiting cases)
        air_ok = self.has_air and not self.router.grounded()
        night = self.mob.night(self.env._now)
        rows: dict = {}
        arrival = self.arrival
        spare = self.spare[case.cls] if self.cost_spare else None
        pen = self.cfg.capability_penalty_min
        if need == 1:
            best, best_c = -1, math.inf
            for j in cands:
                c = arrival(j, dest, rows, air_ok, night)
                if spare is not None:
                    c = c + pen * spare[j]
                if c < best_c:
                    best, best_c = j, c
            if best < 0:
                self.unreachable.add(case)
                return
            self.assign(self.teams[best], case)
            return
        costs = []
        for j in cands:
            c = arrival(j, dest, rows, air_ok, night)
            if spare is not None:
                c = c + pen * spare[j]
            costs.append((c, j))
        costs.sort()
        sent = 0
        for c, j in costs[:need]:
            if not c < math.inf:
                break
            self.assign(self.teams[j], case)
            sent += 1
        if sent == 0:
            self.unreachable.add(case)

    def match_team(self, team: Team, tail: bool = False) -> None:
        """A team became free: give it the best open case it can serve and reach."""
        slot = team.slot
        if not self.available[slot] or not self.open_cases:
            return  # (nothing waits: the queue holds only void entries)
        levels = range(self.level[slot], self.max_level + 1)
        node = team.home if self.local[slot] else None
        r = self.router
        if not self.world.net._closed and self.land[slot] is not None:
            # every road open and the team goes by land: it can reach any case, so the
            # best one is taken (without popping it off and pushing it back)
            case = self.queue.first(team.classes, levels, node)
            if case is not None:
                if not self.plain[slot]:  # (plain trips are planned as they leave)
                    team.plan = r.plan(team.location, case.node, team.modes, team.vehicles)
                self.assign(team, case, tail)
            return
        # Scan the waiting cases it can serve, best first, for the first it can reach (the
        # loop of WaitQueue.candidates, inlined: after a road change it may meet thousands).
        q = self.queue
        parts = q._parts(team.classes, levels, node)
        pos = [0] * len(parts)
        sig = memo = None
        while True:
            best, best_k = None, -1
            for k, part in enumerate(parts):
                i = pos[k]
                while i < len(part):
                    e = part[i]
                    c = e[3]
                    if not c.done and c.assigned < c.needed and e[1] == c.qgen and e[2] == c.level:
                        break
                    del part[i]  # void entry
                    q.pops += 1
                else:
                    continue
                if best is None or e < best:
                    best, best_k = e, k
            if best is None:
                return
            pos[best_k] += 1
            case = best[3]
            if sig is None:
                # (planning would check the sky first: grounded() schedules the wake-up)
                sig = r.reach_sig(team.location, team.modes, team.vehicles) or ()
                if sig:
                    memo = self._cut_off.setdefault((r.key(), sig), set())
            if memo is not None and case in memo:
                continue  # known to be out of its reach (and in self.unreachable already)
            if (
                r.reaches(sig, case.node)
                if sig
                else r.can_reach(team.location, case.node, team.modes, team.vehicles)
            ):
                plan = r.plan(team.location, case.node, team.modes, team.vehicles)
                team.plan = plan  # reused by the trip if nothing changes before departure
                self.assign(team, case, tail)
                return
            if memo is not None:
                memo.add(case)
            if case not in self.unreachable:
                self.unreachable.add(case)
                for hook in self.unreachable_hooks:
                    hook(case)

    def set_available(self, team: Team, stand_down: bool = True, tail: bool = False) -> None:
        """``team`` can take work again: match it, else send it home (or stand it down there)."""
        slot = team.slot
        self.available[slot] = True
        self.loc[slot] = team.location
        if self.open_cases:  # (match_team returns at once when nothing waits)
            self.match_team(team, tail)
            if not self.available[slot]:
                return
        if team.location != team.home:
            team.state = "returning"
            self._start(team, self._cb_return_start, tail)
        elif team.state != "home" and not stand_down:
            team.state = "idle"
        elif team.state != "home":
            # free in its home town: it stands down, the next call-out assembles again
            team.at_home = True
            team.state = "home"
            self._row((self.env._now, "home", team.id, self._names[team.home], "", 0.0, ""))

    def activate(self, team: Team, case: Case | None = None) -> None:
        """A mutual-aid team arrives in the pool; ``case``: the case out of every local
        team's reach its centre was asked for, where it goes first if it still waits and
        the team can get there now (else it takes the best case it can serve, as a freed
        team does: a helicopter asked for a cut-off town went to a case local teams could
        drive to, and reached the town only the next morning)."""
        self.active[team.slot] = True
        self._open_reach.clear()  # (a new team may reach what the pool could not)
        team.at_home = False  # activation delay covered its assembly
        team.state = "idle"
        if case is not None and self._send_first(team, case):
            return
        self.set_available(team, stand_down=False)
        if self.late_cases:
            self.send_faster(team)

    def _send_first(self, team: Team, case: Case) -> bool:
        """Send just-activated ``team`` to ``case`` if the case still needs a team, the team
        may serve it and can be there now (a grounded helicopter cannot); True if sent."""
        j = team.slot
        if not case.open or case.cls not in team.classes:
            return False
        if self.max_level and self.level[j] > case.level:
            return False
        self.available[j] = True
        self.loc[j] = team.location
        air_ok = self.has_air and not self.router.grounded()
        if not self.arrival(j, case.node, {}, air_ok, self.mob.night(self.env._now)) < INF:
            self.available[j] = False  # (set_available decides what it does instead)
            return False
        self.assign(team, case)
        return True

    def send_faster(self, team: Team) -> bool:
        """Send free ``team`` to a case in ``late_cases`` if it would be there before the
        team already on its way (which arrives after the life-saving window); True if sent.

        The case takes one team more than its size asks for; whichever arrives first starts
        the work, and a team still on the way when it is done is stood down.
        """
        j = team.slot
        if not self.available[j] or not self.active[j] or j in self.travelling:
            return False  # (a team on a trip would first finish the road it is on)
        now = self.env._now
        air_ok = self.has_air and not self.router.grounded()  # (grounded: wake-up scheduled)
        night = self.mob.night(now)
        for case, eta in list(self.late_cases.items()):
            if case.done or case.on_scene:
                del self.late_cases[case]
                continue
            if case.cls not in team.classes or (self.max_level and self.level[j] > case.level):
                continue
            if now + self.arrival(j, case.node, {}, air_ok, night) < eta:
                del self.late_cases[case]
                case.needed += 1
                self._row((now, "faster", case.inc.id, case.inc.node, team.id, eta - now, ""))
                self.assign(self.teams[j], case)
                return True
        return False

    # ------------------------------------------------------------- assignment
    def assign(self, team: Team, case: Case, tail: bool = False) -> None:
        self.available[team.slot] = False
        case.assigned += 1
        case.teams.add(team.slot)
        if case.assigned >= case.needed or case.done:  # (no longer open)
            self.open_cases.discard(case)
            self.unreachable.discard(case)
        team.case = case
        self._row(
            (
                self.env._now,
                "dispatch",
                team.id,
                self._names[team.location],
                case.inc.id,
                0.0,
                team.tier,
            )
        )
        if team.state == "returning" and team.act:
            team.pending = case
            self._interrupt(team, "stop")
        elif self.needs_assembly[team.slot] and self.direct_start[team.slot]:  # (at home)
            # Called out from home: the first assembly stage starts now. (Starting it in a
            # zero-delay call, as a process would, changes nothing: the team's own random
            # stream, and a draw > 0 puts the next event in the future.)
            team.act = next(_act_ids)
            self._task_start(team)
        else:
            self._start(team, self._task_start, tail)

    def _start(self, team: Team, fn, tail: bool = False) -> None:
        """Begin a new activity of ``team`` with ``fn(team)`` in an urgent zero-delay call
        (where SimPy would initialise a process).

        ``tail``: nothing observable is left to do in the event being processed (the caller
        knows). Then, unless an urgent event of this instant is queued (it would come
        first), the call would be the very next event, and ``fn`` runs at once instead.
        """
        team.act = act = next(_act_ids)
        if tail:
            q = self._q
            if not self._lane and (not q or (h := q[0])[1] != URGENT or h[0] > self.env._now):
                team.phase = 0
                team.ev = None
                fn(team)
                return
        team.phase = START
        team.ev = c = (self._cb_started, (team, act, fn))
        self._lane.append((next(self._eid), c))  # (env.call_soon(c), inlined)

    @staticmethod
    def _started(call: Call) -> None:
        team, act, fn = call[1]
        if team.act == act:
            fn(team)

    def _interrupt(self, team: Team, cause: str) -> None:
        """Interrupt the running activity of ``team`` (delivered in an urgent call, as SimPy
        delivers an interrupt, to whatever it waits for then)."""
        # (env.call_soon, inlined: call_in(0, ..., urgent=True))
        self._lane.append((next(self._eid), (self._cb_deliver, (team, team.act, cause))))

    def _deliver(self, call: Call) -> None:
        team, act, cause = call[1]
        if team.act != act:
            return  # that activity has ended
        ph = team.phase
        team.ev = None  # what it waited for no longer resumes it
        if ph == ASSEMBLY:
            self._end(team, team.case, "stood_down")
            self._finish(team, act)
        elif ph == TRIP:
            self._trip_interrupted(team, cause == "stop")
        elif ph == ROAD_END:
            team.go_stop = team.go_stop or cause == "stop"
            self._road_end_check(team)
        elif ph == ROADS:
            self._road_waiters = [(t, m) for t, m in self._road_waiters if t is not team]
            if cause == "stop":
                self._go_done(team, False, True)
            else:
                self._go_step(team, True)
        else:  # pragma: no cover - interrupts go only to teams on the move
            raise RuntimeError(f"team {team.id} interrupted while waiting for phase {ph}")

    def _finish(self, team: Team, act: int) -> None:
        """Activity ``act`` of ``team`` is over (unless another one has begun meanwhile)."""
        if team.act == act:
            team.act = 0
            team.phase = 0
            team.ev = None

    def _stop(self, team: Team) -> None:
        """Stand a committed team down (its case was finished by others)."""
        if team.act and team.state in ("mobilising", "travel"):
            self._interrupt(team, "stop")

    # ------------------------------------------------------------- team cycle
    def _task_start(self, team: Team) -> None:
        team.state = "mobilising"
        if self.needs_assembly[team.slot]:  # (team.at_home)
            team.factor = team.night_factor if self.mob.night(self.env._now) else 1.0
            team.stage = 0
            team.share = 0.0
            self._assembly_next(team)
        else:
            self._task_travel(team)

    def _assembly_next(self, team: Team) -> None:
        """Run assembly stages from ``team.stage`` until the departing share is there."""
        stages = team.stages
        while team.stage < len(stages):
            st = stages[team.stage]
            if st.mean_min > 0:
                delay = team.rng.gamma(GAMMA_SHAPE, st.mean_min * team.factor / GAMMA_SHAPE)
                team.phase = ASSEMBLY
                team.ev = self.world.call_in(delay, self._cb_stage_done, team)
                return
            if self._stage_reached(team):
                return
        self._assembled(team)

    def _stage_done(self, call: Call) -> None:
        team = call[1]
        if team.ev is not call:
            return
        team.ev = None
        if not self._stage_reached(team):
            self._assembly_next(team)

    def _stage_reached(self, team: Team) -> bool:
        """Stage ``team.stage`` has ended; True (and the team leaves) if enough are there."""
        st = team.stages[team.stage]
        team.share = st.share
        if len(team.stages) > 1:
            w = self.world
            self._row(
                (w.now, "assembly", team.id, self._names[team.location], "", team.share, st.name)
            )
        team.stage += 1
        if team.share >= team.depart_share - 1e-9:
            self._assembled(team)
            return True
        if team.stage >= len(team.stages):
            self._assembled(team)
            return True
        return False

    def _assembled(self, team: Team) -> None:
        team.crew = max(1, round(team.headcount * team.share))
        team.work_rate = self._work_rate(team.crew)
        team.at_home = False
        self._task_travel(team)

    def _work_rate(self, crew: int) -> float:
        """What a crew of ``crew`` does on a scene, relative to the reference crew (capped)."""
        return min(crew / self._ref_crew, self._max_speedup)

    def _task_travel(self, team: Team) -> None:
        team.state = "travel"
        case = team.case
        # self._go(team, case.node, case.inc.id, True, self._task_arrived), inlined
        team.go_dest = case.node
        team.go_ref = case.inc.id
        team.go_local = True
        team.go_then = self._cb_task_arrived
        self._go_step(team)
        if self.late_hooks and team.phase == TRIP:
            self._check_late(team)

    def _check_late(self, team: Team) -> None:
        """``team`` has left for its case: if it arrives only after the case's life-saving
        window (still open now), tell the late hooks (mutual aid) when it will be there."""
        case = team.case
        trip = team.trip
        now = self.env._now
        eta = now + (trip[0] if trip.__class__ is tuple else trip.minutes)
        inc = case.inc
        if now < inc.t + inc.window_min < eta:
            for hook in self.late_hooks:
                hook(case, eta)

    def _task_arrived(self, team: Team, arrived: bool, tail: bool = False) -> None:
        case = team.case
        act = team.act
        if not arrived or case.done:
            self._end(team, case, "stood_down", tail)
            self._finish(team, act)
            return
        now = self.env._now
        team.state = "scene"
        self._row((now, "arrive", team.id, case.inc.node, case.inc.id, 0.0, team.tier))
        if case.first_arrival != case.first_arrival:  # (NaN: the first team there)
            case.first_arrival = now
        # join: the work goes on at the sum of the crews' rates (_progress, _schedule inlined)
        if case.rate:  # (no one at work yet: nothing done)
            case.work_left = max(case.work_left - case.rate * (now - case.last_t), 0.0)
        case.last_t = now
        team.rate = r = team.work_rate
        case.rate += 1e-9 if r < 1e-9 else r  # (max(r, 1e-9))
        case.on_scene.add(team.slot)
        case.version += 1
        if case.rate > 0:
            c = (self._cb_complete, (case, case.version))
            heappush(self._q, (now + case.work_left / case.rate, NORMAL, next(self._eid), c))
        team.phase = SCENE
        team.cond = False
        case.waiters.append(team)
        if self.duty_min > 0:
            team.on_scene_since = now
            left = max(self.duty_min - team.worked, 0.0)
            team.ev = self.world.call_in(left, self._duty_over_call, (team, act))
        else:
            team.ev = None

    def _duty_over_call(self, call: Call) -> None:
        """The team's duty limit came before the end of the work (or with it)."""
        team, act = call[1]
        if team.act == act and team.phase == SCENE and not team.cond:
            team.cond = True  # as SimPy's condition: its own event, then the team goes on
            self.world.call_in(0, self._scene_over_call, (team, act))

    def _scene_over_call(self, call: Call) -> None:
        team, act = call[1]
        if team.act == act:
            self._scene_over(team, True)  # (the last thing this event does)

    def _work_done_call(self, call: Call) -> None:
        self._work_done(call[1])

    def _work_done(self, case: Case, tail: bool = False) -> None:
        """The work on a case is finished: its teams on scene go on, in order of arrival.

        ``tail``: called as the last thing of the event being processed.
        """
        waiters, case.waiters = case.waiters, []
        if self.duty_min > 0:
            for team in waiters:
                if team.phase == SCENE and team.case is case and not team.cond:
                    team.cond = True
                    self.world.call_in(0, self._scene_over_call, (team, team.act))
        else:
            last = len(waiters) - 1
            for i, team in enumerate(waiters):
                if team.phase == SCENE and team.case is case:
                    # self._scene_over(team, tail and i == last), without duty limits
                    act = team.act
                    team.ev = None
                    self._end(team, case, "done", tail and i == last)
                    if team.act == act:  # self._finish(team, act)
                        team.act = 0
                        team.phase = 0
                        team.ev = None

    def _scene_over(self, team: Team, tail: bool = False) -> None:
        """The team's part on scene ends: the work is done, or its duty limit is reached."""
        case = team.case
        act = team.act
        team.ev = None
        if self.duty_min > 0:
            now = self.env._now
            team.worked += now - team.on_scene_since
            if not case.done:
                self._leave(case, team)
                self._row((now, "relieved", team.id, case.inc.node, case.inc.id, 0.0, ""))
                self._end(team, case, "relieved", tail)
                self._finish(team, act)
                return
        self._end(team, case, "done", tail)
        self._finish(team, act)

    def _end(self, team: Team, case: Case, how: str, tail: bool = False) -> None:
        """The team's part in ``case`` is over: log, then rest, re-task or go home."""
        if how != "done" and how != "relieved":
            case.teams.discard(team.slot)
            if not case.done:
                case.assigned -= 1
                self._reopen(case)
        now = self.env._now
        self._row((now, "free", team.id, self._names[team.location], case.inc.id, 0.0, how))
        team.case = None
        team.rate = 0.0
        team.phase = 0
        if how == "relieved" or (self.duty_min > 0 and self._duty_over(team)):
            team.state = "resting"
            self._start(team, self._rest_start, tail)
            return
        team.state = "idle"
        self.set_available(team, True, tail)

    def _duty_over(self, team: Team) -> bool:
        """Whether the team has worked its limit since the last rest (tolerance for rounding)."""
        limit = self.duty_min
        return limit > 0 and team.worked >= limit - 1e-6

    def _return_start(self, team: Team) -> None:
        # self._go(team, team.home, "home", False, self._return_done), inlined
        team.go_dest = team.home
        team.go_ref = "home"
        team.go_local = False
        team.go_then = self._cb_return_done
        self._go_step(team)

    def _return_done(self, team: Team, arrived: bool, tail: bool = False) -> None:
        act = team.act
        if arrived:
            team.at_home = True
            team.state = "home"
            self.loc[team.slot] = team.home
            self._row((self.env._now, "home", team.id, self._names[team.home], "", 0.0, ""))
        self._finish(team, act)
        if team.pending is not None:
            team.pending = None
            self.loc[team.slot] = team.location
            self._start(team, self._task_start, tail)  # team.case is the pending case

    def _rest_start(self, team: Team) -> None:
        self.available[team.slot] = False
        plan = self.router.plan(team.location, team.home, team.modes, team.vehicles)
        if plan is not None:  # cut off from home: rest where it is
            team.plan = plan
            self._go(team, team.home, "rest", False, self._rest_travelled)
        else:
            self._rest_travelled(team, False)

    def _rest_travelled(self, team: Team, _arrived: bool, _tail: bool = False) -> None:
        self.loc[team.slot] = team.location
        rest_h = self.cfg.mobilisation.rest_h
        self._row((self.env._now, "rest", team.id, self._names[team.location], "", rest_h, ""))
        team.phase = REST
        team.ev = self.world.call_in(rest_h * 60.0, self._rested, (team, team.act))

    def _rested(self, call: Call) -> None:
        team, act = call[1]
        if team.act != act:
            return
        team.ev = None
        team.worked = 0.0
        team.at_home = team.location == team.home
        team.state = "home" if team.at_home else "idle"
        self._row((self.env._now, "ready", team.id, self._names[team.location], "", 0.0, ""))
        self.set_available(team)
        self._finish(team, act)

    # ------------------------------------------------------------- travel
    def _go(self, team: Team, dest: int, ref: str, local: bool, then) -> None:
        """Move ``team`` to ``dest``, then call ``then(team, arrived)``: arrived is False if
        it was told to stop. ``local``: a scene trip, which takes ``local_min`` even from
        ``dest`` itself."""
        team.go_dest = dest
        team.go_ref = ref
        team.go_local = local
        team.go_then = then
        self._go_step(team)

    def _go_done(self, team: Team, arrived: bool, tail: bool = False) -> None:
        then, team.go_then = team.go_then, None
        then(team, arrived, tail)

    def _go_step(self, team: Team, tail: bool = False) -> None:
        """Plan from where the team is and leave (or wait for the roads if cut off)."""
        dest = team.go_dest
        loc = team.location
        if loc == dest and not team.go_local:
            self._go_done(team, True, tail)
            return
        team.go_local = False
        now = self.env._now
        plan, team.plan = team.plan, None
        slot = team.slot
        if self.plain[slot] and not self._net._closed:
            # a plain road trip with every road open: Router.plan inlined (the same numbers)
            row = self._open_rows.get(dest)
            if row is None:
                row = self._open_row(dest)
            t = row[loc] if self._rows_as_lists else float(row[loc])
            if loc == dest:
                t += self.local_min
            if t < INF:  # (kept as a tuple, its Plan made only if needed: see _plan_of)
                trip, minutes, mode = (t, self.land[slot], loc, dest, now), t, ROAD
            else:
                trip = None
        elif (
            plan is None
            or plan.t != now
            or plan.origin != loc
            or plan.dest != dest
            or plan.key != self.router.key()
        ):
            trip = self.router.plan(loc, dest, team.modes, team.vehicles)
            if trip is not None:
                minutes, mode = trip.minutes, trip.mode
        else:
            trip, minutes, mode = plan, plan.minutes, plan.mode
        if trip is None:  # cut off: wait until the roads change
            team.phase = ROADS
            team.ev = mark = object()
            self._road_waiters.append((team, mark))
            return
        self._row((now, "depart", team.id, self._names[loc], team.go_ref, minutes, mode))
        team.trip = trip  # (planned here and now: origin, dest and departure are the plan's)
        self.travelling[slot] = team
        team.phase = TRIP
        team.ev = c = (self._cb_trip_end, team)
        heappush(self._q, (now + minutes, NORMAL, next(self._eid), c))

    @staticmethod
    def _plan_of(trip: Plan | tuple | None) -> Plan | None:
        """The plan of a trip under way: a plain road trip with every road open is kept as
        the tuple ``(minutes, land kind, origin, dest, departure)`` (made on every trip,
        read only if the trip is interrupted or the roads change)."""
        if trip.__class__ is tuple:
            t, land, origin, dest, t0 = trip  # type: ignore[misc]
            return Plan(t, ROAD, land, dest, t, OPEN, origin, dest, t0)
        return trip  # type: ignore[return-value]

    def _trip_end(self, call: Call) -> None:
        team = call[1]
        if team.ev is not call:
            return
        team.ev = None
        team.trip = None
        del self.travelling[team.slot]  # (on the road until now: not interrupted)
        team.location = team.go_dest
        then, team.go_then = team.go_then, None
        then(team, True, True)  # (the last thing of this event)

    def _trip_interrupted(self, team: Team, stop: bool) -> None:
        """Told to stop or reroute on the way: finish the road it is on (or turn back; a
        walker turns round if that is quicker for where it heads next)."""
        trip, team.trip = team.trip, None
        self.travelling.pop(team.slot, None)
        to = None  # where it heads next (a plain road trip is driven: not needed)
        if trip.__class__ is not tuple:
            if not stop:
                to = team.go_dest  # rerouted: the same place
            elif team.pending is not None:
                to = team.pending.node  # re-tasked: its new case
        node, dt = self._stop_point(trip, self.env._now, to)
        team.go_stop = stop
        team.go_node = node
        team.go_end = self.env._now + dt
        self._road_end_check(team)

    def _road_end_check(self, team: Team) -> None:
        """Wait for the end of the road, then stop or replan (always the last thing the
        event being processed does: an interrupt or the end of the road)."""
        now = self.env._now
        end = team.go_end
        if now < end - 1e-12:
            team.phase = ROAD_END
            team.ev = c = (self._cb_road_end, team)  # (world.call_in(end - now, ...))
            heappush(self._q, (now + (end - now), NORMAL, next(self._eid), c))
            return
        team.location = team.go_node
        if team.go_stop:
            self._go_done(team, False, True)
            return
        self._row((now, "reroute", team.id, self._names[team.go_node], team.go_ref, 0.0, ""))
        self._go_step(team, True)

    def _road_end(self, call: Call) -> None:
        team = call[1]
        if team.ev is not call:
            return
        team.ev = None
        self._road_end_check(team)

    def _roads_changed(self, call: Call) -> None:
        """Wake the teams that waited, cut off, for the roads to change (in order)."""
        for team, mark in call[1]:
            if team.ev is mark:
                team.ev = None
                self._go_step(team)

    def _stop_point(
        self, trip: Plan | tuple, now: float, to: int | None = None
    ) -> tuple[int, float]:
        """Where a team on ``trip`` (a plan, or a plain trip's tuple: see _plan_of) can stop
        or replan, and how long it takes to get there; ``to``: where it heads next, if known
        (a team on foot may turn round for it)."""
        if trip.__class__ is tuple:  # (read as its Plan would be, without making one)
            minutes, kind, origin, dest, t0 = trip  # type: ignore[misc]
            land_to, land_min, key = dest, minutes, OPEN
        else:
            p = trip
            minutes, kind, origin, dest, t0 = p.minutes, p.land_kind, p.origin, p.dest, p.t
            land_to, land_min, key = p.land_to, p.land_min, p.key
        elapsed = now - t0
        if not kind or elapsed >= land_min:
            return dest, max(t0 + minutes - now, 0.0)
        nodes, cum = self.router.route(kind, origin, land_to, key)
        if len(nodes) < 2:
            return origin, 0.0
        k = bisect_right(cum, elapsed) - 1
        if k >= len(nodes) - 1:
            return nodes[-1], 0.0
        net = self.world.net
        a, b = nodes[k], nodes[k + 1]
        closed = net._closed
        e = net.edge_id(a, b) if closed else -1
        if closed and not self.router.passable(kind, e):
            return a, elapsed - cum[k]  # the road it is on closed: turn back
        if to is not None and (kind == WALK or (kind == FOOT and e in closed)):
            # on foot (a road walked over debris can take hours): turn round if going back
            # gets it to ``to`` sooner; a vehicle finishes the road it is on
            row = self.router.row_to(kind, to)
            if elapsed - cum[k] + row[a] < cum[k + 1] - elapsed + row[b]:
                return a, elapsed - cum[k]
        return b, cum[k + 1] - elapsed

    def _blocked_ahead(self, team: Team) -> bool:
        plan = self._plan_of(team.trip)
        if plan is None or not plan.land_kind:
            return False
        elapsed = self.world.now - plan.t
        if elapsed >= plan.land_min:
            return False
        nodes, cum = self.router.route(plan.land_kind, plan.origin, plan.land_to, plan.key)
        k = max(bisect_right(cum, elapsed) - 1, 0)
        net = self.world.net
        return any(
            not self.router.passable(plan.land_kind, net.edge_id(a, b))
            for a, b in zip(nodes[k:], nodes[k + 1 :], strict=False)
        )

    def _faster_ahead(self, team: Team) -> bool:
        """A road reopened (or the water left a closed road, which a walker may then take):
        would the team arrive sooner (by more than ``REROUTE_GAIN_MIN``) if it replanned
        where it next can (the end of the road it is on; a walker may turn back)? Only a
        trip planned round closed roads can gain, and only on its land leg."""
        trip = team.trip
        if trip is None or trip.__class__ is tuple or trip.key is OPEN:
            return False  # planned with every road open: nothing can be quicker
        now = self.env._now
        if not trip.land_kind or now - trip.t >= trip.land_min:
            return False  # flying, or past its land leg (on the water)
        left = trip.t + trip.minutes - now
        if left <= REROUTE_GAIN_MIN:
            return False
        node, dt = self._stop_point(trip, now, team.go_dest)
        new = self.router.plan(node, team.go_dest, team.modes, team.vehicles)
        return new is not None and dt + new.minutes < left - REROUTE_GAIN_MIN

    # ------------------------------------------------------------- scene work
    def _progress(self, case: Case) -> None:
        now = self.env._now
        case.work_left = max(case.work_left - case.rate * (now - case.last_t), 0.0)
        case.last_t = now

    def _schedule(self, case: Case) -> None:
        case.version += 1
        if case.rate <= 0:
            return
        self.world.call_in(case.work_left / case.rate, self._complete, (case, case.version))

    def _leave(self, case: Case, team: Team) -> None:
        """A team leaves an unfinished scene (relieved): the case needs another team."""
        self._progress(case)
        case.rate = max(case.rate - max(team.rate, 1e-9), 0.0)
        case.on_scene.discard(team.slot)
        case.teams.discard(team.slot)
        case.assigned -= 1
        if team in case.waiters:
            case.waiters.remove(team)
        self._schedule(case)
        self._reopen(case)

    def _reopen(self, case: Case) -> None:
        if case.open and case not in self.open_cases:
            self.open_cases.add(case)
            self.match_case(case)
            if case.open:
                self.queue.push(case)
                self._left_waiting(case)

    def _complete(self, call: Call) -> None:
        case, version = call[1]
        if case.version != version or case.done:
            return
        now = self.env._now
        case.done = True
        case.work_left = 0.0
        on = case.on_scene
        ids = (
            self.teams[next(iter(on))].id
            if len(on) == 1
            else "+".join(self.teams[s].id for s in sorted(on))
        )
        self._row(
            (now, "resolved", case.inc.id, case.inc.node, ids, case.inc.people, case.inc.kind)
        )
        self.open_cases.discard(case)
        self.unreachable.discard(case)
        if len(case.teams) != len(case.on_scene):
            for slot in sorted(case.teams - case.on_scene):
                self._stop(self.teams[slot])
        q = self._q
        if self._lane or (q and q[0][0] <= now):
            self.world.call_in(0, self._work_done_call, case)  # (SimPy: the case's done event)
        else:
            # Nothing else can happen at this instant before the done event would be
            # processed (the queue holds only later events): go on at once, same order.
            self._work_done(case, True)

    # ------------------------------------------------------------- roads change
    def on_network_change(self) -> None:
        """Roads changed: wake cut-off teams, reroute blocked trips, retry unreachable cases."""
        waiters, self._road_waiters = self._road_waiters, []
        self.world.call_in(0, self._roads_changed, waiters)
        self._cut_off.clear()
        # a road reopened, or the water left a road still closed (a walker may take it)
        key = self.router.key()
        reopened = bool(self._key_before[0] - key[0]) or bool(self._key_before[1] - key[1])
        self._key_before = key
        for team in list(self.travelling.values()):
            if team.act and (self._blocked_ahead(team) or (reopened and self._faster_ahead(team))):
                self._interrupt(team, "reroute")
        # Retry the cases no team could reach, best first. (Each leaves the set and comes
        # back only if its own match fails again: clearing it first is the same.) No team
        # is freed meanwhile, so a class found without a free team is skipped after that.
        todo = sorted(self.unreachable, key=_prio)
        self.unreachable.clear()
        avail, busy_classes = self.available, set()
        for case in todo:
            cls = case.cls
            if cls in busy_classes or case.done or case.assigned >= case.needed:
                continue
            if not any(avail[j] for j in self.cls_slots[cls]):
                busy_classes.add(cls)
                continue
            self.match_case(case)
        # (flying may have resumed, a road reopened: a free team may be faster now)
        for team in self.teams:
            if not self.late_cases:
                break
            self.send_faster(team)
