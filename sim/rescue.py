"""Rescue teams and incident dispatch.

Incidents wait in a priority queue (severity first, then alarm time). Teams are held in
index arrays (location, availability, capability masks), so choosing the nearest available
capable team is one vectorised ``argmin`` over a shortest-path row, not a scan in Python.

A team's cycle: alarm -> assembly (mobilisation delay, only when called out from home)
-> travel on the open road network -> on-scene work -> free at the scene (can be re-tasked
at once) -> drive home. Unreachable incidents (all routes closed) wait and are retried
whenever the road network changes.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import simpy

from scenarios.events import Incident
from sim.config import Config, LayoutConfig, RescueConfig
from sim.world import World

if TYPE_CHECKING:
    import pandas as pd

    from sim.model import Replication
    from sim.roads import RoadState


@dataclass
class Team:
    """One rescue team (a SimPy process runs its current task)."""

    id: str
    tier: str
    home: int
    headcount: int
    capabilities: frozenset[str]
    assembly_min: float
    slot: int = 0
    location: int = 0
    at_home: bool = True
    returning: simpy.Process | None = field(default=None, repr=False)


def build_teams(layout: LayoutConfig, world: World) -> list[Team]:
    """Expand the layout's team groups into individual teams at their home nodes."""
    net = world.net
    towns = sorted(
        net.nodes_of_kind("street", "town", "township"), key=lambda i: -net.population[i]
    )
    teams: list[Team] = []
    for key, tc in layout.teams.items():
        if tc.home == "each_town":
            homes = [towns[i % len(towns)] for i in range(tc.count)]
        else:
            homes = [net.idx(tc.home, f"layout.teams.{key}.home")] * tc.count
        for j, h in enumerate(homes):
            tid = key if tc.count == 1 else f"{key}_{j + 1:03d}"
            team = Team(
                id=tid,
                tier=tc.tier,
                home=h,
                headcount=tc.headcount,
                capabilities=frozenset(tc.capabilities),
                assembly_min=tc.assembly_min,
                slot=len(teams),
                location=h,
            )
            teams.append(team)
            world.assets.add("team", team, tid, h)
    return teams


class RescueService:
    """Receives incidents, queues them, dispatches teams, logs everything."""

    def __init__(self, world: World, teams: list[Team], cfg: RescueConfig) -> None:
        self.world = world
        self.teams = teams
        self.cfg = cfg
        n = len(teams)
        self.loc = np.array([t.home for t in teams], dtype=np.int64)
        self.available = np.ones(n, dtype=bool)
        caps = {c for t in teams for c in t.capabilities}
        self.cap_mask = {
            c: np.array([c in t.capabilities for t in teams], dtype=bool) for c in caps
        }
        self._queue: list[tuple[int, float, int, Incident]] = []
        self._seq = 0
        self.first_arrival: dict[str, float] = {}
        world.subscribe(Incident, self.on_incident)

    # ------------------------------------------------------------- incidents in
    def on_incident(self, inc: Incident) -> None:
        self.world.env.process(self._alarm(inc))

    def _alarm(self, inc: Incident):
        w = self.world
        if inc.report_delay_min > 0:
            yield w.env.timeout(inc.report_delay_min)
        w.log.log(w.now, "incident", inc.id, inc.node, inc.hazard, inc.people, inc.kind)
        heapq.heappush(self._queue, (-inc.severity, w.now, self._seq, inc))
        self._seq += 1
        self.dispatch()

    # ------------------------------------------------------------- dispatch
    def _eligible(self, inc: Incident) -> np.ndarray:
        mask = self.available.copy()
        for c in inc.capabilities:
            m = self.cap_mask.get(c)
            if m is None:
                return np.zeros_like(mask)
            mask &= m
        return mask

    def choose(self, inc: Incident) -> int | None:
        """Slot of the nearest available capable team that can reach ``inc`` (or None)."""
        mask = self._eligible(inc)
        if not mask.any():
            return None
        net = self.world.net
        times = net.times_to(net.index[inc.node])[self.loc]
        times = np.where(mask, times, np.inf)
        best = int(np.argmin(times))
        return best if math.isfinite(times[best]) else None

    def dispatch(self) -> None:
        """Assign available teams to queued incidents in priority order."""
        if not self._queue or not self.available.any():
            return
        waiting: list[tuple[int, float, int, Incident]] = []
        while self._queue and self.available.any():
            item = heapq.heappop(self._queue)
            slot = self.choose(item[3])
            if slot is None:
                waiting.append(item)
                continue
            self._start(self.teams[slot], item[3])
        for item in waiting:
            heapq.heappush(self._queue, item)

    def _start(self, team: Team, inc: Incident) -> None:
        self.available[team.slot] = False
        if team.returning is not None and team.returning.is_alive:
            team.returning.interrupt()
        team.returning = None
        w = self.world
        w.log.log(w.now, "dispatch", team.id, w.net.nodes[team.location], inc.id, 0.0, team.tier)
        w.env.process(self._task(team, inc))

    # ------------------------------------------------------------- team cycle
    def _task(self, team: Team, inc: Incident):
        w, net, env = self.world, self.world.net, self.world.env
        if team.at_home and team.assembly_min > 0:
            rng = w.streams(f"mobilisation/{team.id}")
            # ASSUMPTION: assembly time ~ Gamma(shape 4, mean assembly_min): right-skewed,
            # rarely below a third of the mean (no data in the plans on call-out times).
            yield env.timeout(rng.gamma(4.0, team.assembly_min / 4.0))
        team.at_home = False
        dest = net.index[inc.node]
        travel = net.travel_time(team.location, dest)
        while not math.isfinite(travel):  # cut off while assembling: wait for a reopening
            yield env.timeout(15.0)
            travel = net.travel_time(team.location, dest)
        w.log.log(env.now, "depart", team.id, net.nodes[team.location], inc.id, travel)
        yield env.timeout(travel)
        team.location = dest
        w.log.log(env.now, "arrive", team.id, inc.node, inc.id, 0.0, team.tier)
        self.first_arrival.setdefault(inc.id, env.now)
        speedup = min(team.headcount / self.cfg.ref_crew, self.cfg.max_crew_speedup)
        yield env.timeout(inc.work_min / max(speedup, 1e-9))
        w.log.log(env.now, "resolved", inc.id, inc.node, team.id, inc.people, inc.kind)
        w.log.log(env.now, "free", team.id, inc.node, inc.id)
        self.loc[team.slot] = dest
        self.available[team.slot] = True
        self.dispatch()
        if self.available[team.slot] and team.location != team.home:
            team.returning = env.process(self._return(team))

    def _return(self, team: Team):
        w, net, env = self.world, self.world.net, self.world.env
        travel = net.travel_time(team.location, team.home)
        if not math.isfinite(travel):
            return  # stays at the scene until needed or the run ends
        try:
            yield env.timeout(travel)
        except simpy.Interrupt:
            return  # re-tasked from the road: treated as leaving from the last scene
        team.location = team.home
        team.at_home = True
        self.loc[team.slot] = team.home
        w.log.log(env.now, "home", team.id, net.nodes[team.home])

    def on_network_change(self) -> None:
        """Roads changed: queued incidents that were unreachable may now be reachable."""
        self.dispatch()


def attach(world: World, cfg: Config, roads: RoadState) -> RescueService:
    """Build the layout's teams and start receiving incidents."""
    service = RescueService(world, build_teams(cfg.layout, world), cfg.layout.rescue)
    roads.listeners.append(service.on_network_change)
    return service


def kpis(rep: Replication, events: pd.DataFrame) -> dict[str, float]:
    """Rescue measures of one replication (see README, 'Output files')."""
    from sim.metrics import incident_table, response_kpis, team_utilisation

    inc = incident_table(events)
    window = {e.id: e.window_min for e in rep.timeline.of_type(Incident)}
    out = response_kpis(inc, window, rep.cfg.layout.rescue.response_standard_min)
    n_teams = len(rep.world.assets.of_kind("team"))
    out["team_utilisation"] = team_utilisation(events, n_teams, rep.horizon_min)
    return out


def tables(rep: Replication, events: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``incidents.csv``: one row per incident with alarm, first arrival, response time."""
    from sim.metrics import incident_table

    return {"incidents": incident_table(events)}


def figures(tables: dict[str, pd.DataFrame], conf: Config, outdir) -> None:
    """``response_time_cdf.png``."""
    from sim.figures import response_cdf

    if "incidents" in tables:
        response_cdf(tables["incidents"], conf, outdir / "response_time_cdf.png")
