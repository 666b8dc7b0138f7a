"""Mutual aid: regional emergency centres and neighbouring districts send teams on request.

The Chongqing plan builds four regional emergency centres (Wanzhou, Qianjiang, Fuling,
Yongchuan; 004 L181, L358); the networks hold them (and the central city, neighbouring
districts) as external nodes ``ext_*`` joined to the district by long roads.

A request goes out when local teams are exhausted: ``trigger_waiting`` incidents wait with
no team free for them, one incident has waited ``trigger_wait_min``, or an incident needs a
capability no local team has or it cannot be reached at all (no team in the pool, free or
busy, could get there: known at the alarm, or when a freed team finds a waiting case out
of its reach after a road closed). Centres are asked nearest
first (road time to the district's hubs); for a given incident a centre whose teams can
serve and reach it is preferred (a helicopter for a town cut off by water, at night too:
it takes off when flying resumes). The centre's
teams join the dispatch pool after an activation delay (gamma, mean ``activation_min``)
and then travel the long road in (or fly); a centre asked for a case out of reach sends
its teams there first. While pressure persists, the next centre is
asked ``re_request_min`` after the last request.

A team leaving for a case it reaches only after the case's life-saving window makes a
``late`` request (:meth:`MutualAid.on_late`) to the centre that could be there first; its
team is sent too when free and faster (``RescueService.send_faster``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.config import AidCentreConfig, MutualAidConfig
from sim.core.streams import GAMMA_SHAPE

if TYPE_CHECKING:
    from sim.core.world import World
    from sim.rescue.dispatch import Case
    from sim.rescue.service import RescueService
    from sim.rescue.teams import Team


def build_aid_teams(
    cfg: MutualAidConfig, world: World, first_slot: int
) -> list[tuple[str, AidCentreConfig, list[Team]]]:
    """The teams of every centre, inactive, at the centre's node: ``(key, cfg, teams)``."""
    from sim.rescue.teams import make_team

    out = []
    slot = first_slot
    for key, c in cfg.centres.items():
        node = world.net.idx(c.node, f"layout.mutual_aid.centres.{key}.node")
        group = []
        for j in range(c.count):
            team = make_team(key, j, c.count, c, node, slot, regional=True)
            slot += 1
            group.append(team)
            world.assets.add("aid_team", team, team.id, node)
        out.append((key, c, group))
    return out


class MutualAid:
    """Watches the rescue service for exhaustion and activates centres' teams."""

    def __init__(
        self,
        world: World,
        cfg: MutualAidConfig,
        service: RescueService,
        groups: list[tuple[str, AidCentreConfig, list[Team]]],
    ) -> None:
        self.world = world
        self.cfg = cfg
        self.service = service
        net = world.net
        hubs = world.hubs or list(range(net.n))

        def distance(item) -> float:
            node = net.idx(item[1].node)
            return float(np.min(net.times_from(node)[hubs]))

        self.groups = sorted(groups, key=distance)  # nearest centre first
        self.requested: set[str] = set()
        self.last_request = -math.inf
        self._watched: set[Case] = set()  # cases with a wait check pending
        service.waiting_hooks.append(self.on_waiting)
        service.unreachable_hooks.append(self.on_unreachable)
        service.late_hooks.append(self.on_late)

    @property
    def exhausted(self) -> bool:
        return len(self.requested) == len(self.groups)

    def on_waiting(self, case: Case) -> None:
        """A case is left waiting for teams."""
        if self.exhausted:
            return
        s = self.service
        if not s.local_capable(case.cls) and not self._has_active(case.cls):
            self.request("capability", case)
        elif case in s.unreachable:
            self.request("unreachable", case)
        else:
            if s.n_open >= self.cfg.trigger_waiting:
                self.request("waiting", case)
            # Every waiting case is watched, also one whose "waiting" request went out or
            # was held back by re_request_min: if it still waits trigger_wait_min later
            # (the queue may have shrunk meanwhile), the wait rule asks the next centre.
            self._watch(case, self.cfg.trigger_wait_min)

    def on_unreachable(self, case: Case) -> None:
        """A freed team found a waiting case out of its reach (a road closed after the
        alarm, or no team was free to tell at the alarm). Ask a centre that can reach it,
        unless a team in the pool could get there or a centre already asked can."""
        if self.exhausted or not case.open:
            return
        if self.service.within_reach(case):
            return  # (it waits for that team)
        for key, _, teams in self.groups:
            if key in self.requested and self._can_help(teams, case):
                return
        self.request("unreachable", case)

    def on_late(self, case: Case, eta: float) -> None:
        """A team left for ``case`` but arrives (at ``eta``) after its life-saving window:
        ask the centre that could be there first, if it beats that team (its mean
        activation, the wait for flying to resume, the trip), and send its team too."""
        s = self.service
        if self.exhausted or case in s.late_cases:
            return
        now = self.world.now
        best, best_t = None, eta
        for g in self.groups:
            if g[0] not in self.requested:
                t = self._arrival(g, case, now)
                if t < best_t:
                    best, best_t = g, t
        if best is not None:
            s.late_cases[case] = eta
            self._ask(best, "late")

    def _arrival(self, group: tuple, case: Case, now: float) -> float:
        """When the group's fastest team able to serve ``case`` could be there if asked now:
        mean activation, then by air once flying resumes, or its trip by its other modes."""
        _, c, teams = group
        r = self.service.router
        ready = now + c.activation_min
        out = math.inf
        for t in teams:
            if case.cls not in t.classes:
                continue
            if "air" in t.modes:
                out = min(out, r.flying_resumes(ready) + r.air_time(t.home, case.node))
            land = t.modes - {"air"}
            plan = r.plan(t.home, case.node, land, t.vehicles) if land else None
            if plan is not None:
                out = min(out, ready + plan.minutes)
        return out

    def _watch(self, case: Case, after: float) -> None:
        """Check ``case`` again ``after`` minutes from now (one watch per case at a time)."""
        if case in self._watched:
            return
        self._watched.add(case)
        ev = self.world.env.timeout(after)
        ev.callbacks.append(lambda _e: self._check_wait(case))

    def _has_active(self, cls: int) -> bool:
        return self.service.has_active(cls)

    def _check_wait(self, case: Case) -> None:
        """A watched case is still waiting: ask the next centre, and keep watching."""
        self._watched.discard(case)
        if case.open and not self.exhausted:
            self.request("unreachable" if case in self.service.unreachable else "wait_time", case)
            self._watch(case, self.cfg.re_request_min)

    def _can_help(self, group: list[Team], case: Case) -> bool:
        """Some team of the group serves the case's class and can get there now, or, by
        air, once flying resumes: a helicopter asked for at night is activated meanwhile
        and takes off at first light (asking only by day left a town cut off by water at
        night without one until the roads reopened)."""
        reach = self.service.router.can_reach
        return any(
            case.cls in t.classes and reach(t.home, case.node, t.modes, t.vehicles, True)
            for t in group
        )

    def request(self, reason: str, case: Case | None = None) -> None:
        """Ask the next centre for its teams, preferring one that can serve ``case``.

        Requests are at least ``re_request_min`` apart, except when no active team has the
        capability a case needs or can reach it at all.
        """
        now = self.world.now
        urgent = reason in ("capability", "unreachable")
        if now - self.last_request < self.cfg.re_request_min and not urgent:
            return
        todo = [g for g in self.groups if g[0] not in self.requested]
        if case is not None:
            able = [g for g in todo if self._can_help(g[2], case)]
            if urgent and not able:
                return  # nobody left who could help this case: do not waste a request
            todo = able or todo
        if not todo:
            return
        self._ask(todo[0], reason, case if reason == "unreachable" else None)

    def _ask(self, group: tuple, reason: str, case: Case | None = None) -> None:
        """Request ``group``'s teams for ``reason``: logged, activated after the delay.

        ``case``: the case out of every local team's reach the centre is asked for; its
        teams go there first when they are activated (if it still waits for one).
        """
        now = self.world.now
        key, c, teams = group
        self.requested.add(key)
        self.last_request = now
        w = self.world
        w.log.log(now, "aid_request", key, c.node, reason, float(len(teams)), c.tier)
        w.env.process(self._activate(key, c, teams, case))
        ev = w.env.timeout(self.cfg.re_request_min)
        ev.callbacks.append(lambda _e: self._persisting())

    def _persisting(self) -> None:
        if not self.exhausted and self.service.n_open >= self.cfg.trigger_waiting:
            self.request("persisting")

    def _activate(self, key: str, c: AidCentreConfig, teams: list[Team], case: Case | None):
        w = self.world
        rng = w.streams(f"mutual_aid/{key}")
        if c.activation_min > 0:
            yield w.env.timeout(rng.gamma(GAMMA_SHAPE, c.activation_min / GAMMA_SHAPE))
        for t in teams:
            w.log.log(w.now, "aid_activated", t.id, c.node, key, float(t.headcount), t.tier)
            self.service.activate(t, case)
