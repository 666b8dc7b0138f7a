"""Road-repair crews: reopen closures that do not clear by themselves.

A closure with ``clear_min = inf`` (landslide debris, a collapsed embankment, a damaged
bridge approach) becomes a repair job needing ``repair_min`` minutes of work by a reference
crew; a crew with ``productivity`` p needs ``repair_min / p``. A free crew takes the job
that reconnects the most people to the hubs (priority ``isolation``: the population cut off
behind the road, from the connected components of the open network) or the oldest
(``fifo``), drives by road to the nearer end it can reach, works, and reopens the road with
``RoadState.release(edge, "repaired")``. Crews mobilise from home (gamma, mean
``mobilise_min``), go from job to job, and return home when nothing is left. A job no crew
can reach waits for the roads to change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy
from scipy.sparse.csgraph import connected_components

from sim.config import RepairConfig
from sim.core.events import RoadClosure
from sim.core.roads import RoadState
from sim.core.streams import GAMMA_SHAPE, unit_id, unit_stream
from sim.core.world import World
from sim.rescue.access import ROAD, Router


@dataclass(eq=False)
class Crew:
    id: str
    home: int
    productivity: float
    mobilise_min: float
    location: int = 0
    at_home: bool = True
    busy: bool = False
    homing: bool = False
    proc: simpy.Process | None = field(default=None, repr=False)
    stream: str = ""  # the name it draws under (streams.unit_stream; "" = its id)


@dataclass(eq=False)
class Job:
    edge: int
    repair_min: float
    t: float
    seq: int
    done: bool = False
    crew: Crew | None = None


class RepairService:
    """Assigns repair crews to blocked roads and reopens them."""

    def __init__(self, world: World, cfg: RepairConfig, roads: RoadState, router: Router) -> None:
        self.world = world
        self.cfg = cfg
        self.roads = roads
        self.router = router
        net = world.net
        self.crews: list[Crew] = []
        for key, c in cfg.crews.items():
            home = net.idx(c.home, f"layout.repair.crews.{key}.home")
            for j in range(c.count):
                cid = unit_id(key, j, c.count)
                crew = Crew(
                    cid, home, c.productivity, c.mobilise_min, home, stream=unit_stream(key, j)
                )
                self.crews.append(crew)
                world.assets.add("repair_crew", crew, cid, home)
        self.jobs: list[Job] = []
        self._seq = 0
        world.subscribe(RoadClosure, self.on_closure)
        roads.listeners.append(self.on_change)

    def on_closure(self, ev: RoadClosure) -> None:
        if math.isfinite(ev.clear_min):
            return
        w = self.world
        e = w.net.edge_id(ev.u, ev.v, field_name=f"{ev.hazard} road closure")
        job = Job(e, max(ev.repair_min, 0.0), w.now, self._seq)
        self._seq += 1
        self.jobs.append(job)
        w.log.log(w.now, "repair_request", w.net.edge_name(e), ev.u, ev.cause, job.repair_min)
        self.dispatch()

    def on_change(self) -> None:
        self.dispatch()

    # ------------------------------------------------------------- choosing jobs
    def _scores(self, open_jobs: list[Job]) -> dict[Job, float]:
        """People reconnected to a hub by reopening each job's road (0 if none)."""
        w = self.world
        net = w.net
        if self.cfg.priority == "fifo" or not w.hubs:
            return {j: 0.0 for j in open_jobs}
        m = self.router._matrix(self.router.key(), ROAD)
        _, labels = connected_components(m, directed=net.directed, connection="weak")
        hub_labels = set(labels[w.hubs].tolist())
        pop = np.bincount(labels, weights=net.population.astype(float))
        out = {}
        for j in open_jobs:
            a, b = labels[net.edge_u[j.edge]], labels[net.edge_v[j.edge]]
            if a == b:
                out[j] = 0.0
            elif a in hub_labels and b not in hub_labels:
                out[j] = float(pop[b])
            elif b in hub_labels and a not in hub_labels:
                out[j] = float(pop[a])
            else:
                out[j] = 0.0
        return out

    def _reach(self, crew: Crew, job: Job) -> tuple[int, float] | None:
        """The nearer end of the job's road the crew can drive to, and the minutes."""
        net = self.world.net
        best = None
        for end in (int(net.edge_u[job.edge]), int(net.edge_v[job.edge])):
            t = float(self.router.row_to(ROAD, end)[crew.location])
            if math.isfinite(t) and (best is None or t < best[1]):
                best = (end, t)
        return best

    def dispatch(self) -> None:
        """Give every free crew the best open job it can reach."""
        self.jobs = [j for j in self.jobs if not j.done]
        free = [c for c in self.crews if not c.busy]
        open_jobs = [j for j in self.jobs if j.crew is None]
        if not free or not open_jobs:
            return
        score = self._scores(open_jobs)
        open_jobs.sort(key=lambda j: (-score[j], j.t, j.seq))
        for job in open_jobs:
            best = None
            for crew in free:
                r = self._reach(crew, job)
                if r is not None and (best is None or r[1] < best[2]):
                    best = (crew, r[0], r[1])
            if best is None:
                continue
            crew, end, _ = best
            free.remove(crew)
            job.crew = crew
            crew.busy = True
            if crew.homing and crew.proc is not None and crew.proc.is_alive:
                crew.proc.interrupt("job")  # on its way home: turn round
                crew.homing = False
            crew.proc = self.world.env.process(self._work(crew, job, end))
            if not free:
                break

    # ------------------------------------------------------------- crew cycle
    def _work(self, crew: Crew, job: Job, end: int):
        w, env, net = self.world, self.world.env, self.world.net
        name = net.edge_name(job.edge)
        w.log.log(env.now, "repair_dispatch", crew.id, net.nodes[crew.location], name)
        if crew.at_home and crew.mobilise_min > 0:
            rng = w.streams(f"repair/{crew.stream or crew.id}")
            yield env.timeout(rng.gamma(GAMMA_SHAPE, crew.mobilise_min / GAMMA_SHAPE))
        crew.at_home = False
        travel = float(self.router.row_to(ROAD, end)[crew.location])
        if not math.isfinite(travel):  # cut off while mobilising: give the job back
            job.crew = None
            crew.busy = False
            w.log.log(env.now, "repair_abort", crew.id, net.nodes[crew.location], name)
            self.dispatch()
            return
        yield env.timeout(travel)
        crew.location = end
        w.log.log(env.now, "repair_start", name, net.nodes[end], crew.id, job.repair_min)
        yield env.timeout(job.repair_min / crew.productivity)
        job.done = True
        w.log.log(env.now, "repaired", name, net.nodes[end], crew.id, env.now - job.t)
        crew.busy = False
        self.roads.release(job.edge, "repaired")  # triggers dispatch() via on_change
        if not crew.busy:
            self.dispatch()
        if not crew.busy and crew.location != crew.home:
            crew.proc = env.process(self._go_home(crew))

    def _go_home(self, crew: Crew):
        w, env = self.world, self.world.env
        travel = float(self.router.row_to(ROAD, crew.home)[crew.location])
        if not math.isfinite(travel):
            return
        crew.homing = True
        try:
            yield env.timeout(travel)
        except simpy.Interrupt:
            return  # a new job: it leaves from the last work site
        crew.homing = False
        crew.location = crew.home
        crew.at_home = True
        w.log.log(env.now, "repair_home", crew.id, w.net.nodes[crew.home])
