"""Forest-fire suppression: detection, initial attack, containment, escape, mop-up.

Each ignition runs one SimPy process:

ignition -> detection delay (video/infrared-monitored zones report faster) -> report ->
the nearest available forest teams are sent (mobilisation, road travel to the zone's
access node, walk-in) -> the fire grows as an ellipse and the crews build line from the
rear (Fried & Fried 1996, ``sim.fire.containment.contain``) -> contained, then mopped up,
then *out*; or escaped (time or size limit), then an extended-attack outcome (final size
and duration) drawn from ``extended_attack``.

Containment depends only on the resources' arrival times and production, so when a
reinforcement is assigned later the containment is simply recomputed with the longer list:
what happened before the new arrival is unchanged. Simultaneous fires compete for the same
teams (first come, first served), which is what decides bad days.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import simpy

from sim.config import FireLayoutConfig
from sim.core.events import Ignition
from sim.core.places import expand_homes
from sim.core.streams import GAMMA_SHAPE
from sim.core.world import World
from sim.fire.containment import (
    FireSpread,
    Resource,
    contain,
    diurnal_cosine,
    extended_attack,
    mopup_duration_min,
    water_production_factor,
)

if TYPE_CHECKING:
    pass

DAY_MIN = 1440.0


@dataclass
class FireTeam:
    id: str
    tier: str
    home: int
    headcount: int
    production_m_min: float  # line production of the whole team at the fire
    assembly_min: float
    slot: int
    location: int


@dataclass
class Fire:
    ign: Ignition
    node: int
    report_t: float
    walk_min: float
    resources: list[Resource] = field(default_factory=list)
    arrivals: list[tuple[FireTeam, float]] = field(default_factory=list)
    wanted: int = 0  # teams still wanted (queued requests)
    out: bool = False
    changed: simpy.Event | None = None


def team_production(fc: FireLayoutConfig, tier: str, headcount: int) -> float:
    """Line production (m/min) of a team: people x rate of its tier x water availability."""
    rate = fc.production_m_min_per_person.get(
        tier, fc.production_m_min_per_person.get("default", 0.0)
    )
    water = water_production_factor(fc.water_distance_km)
    share = fc.water_dependent_share
    return headcount * rate * ((1.0 - share) + share * water)


class FireService:
    """Receives ignitions, dispatches forest teams, runs each fire to 'out'."""

    def __init__(self, world: World, cfg: FireLayoutConfig) -> None:
        self.world, self.cfg = world, cfg
        net = world.net
        self.teams: list[FireTeam] = []
        for key, tc in cfg.teams.items():
            for j, home in enumerate(
                expand_homes(net, f"layout.fire.teams.{key}", tc.home, tc.count)
            ):
                tid = key if tc.count == 1 else f"{key}_{j + 1:03d}"
                prod = team_production(cfg, tc.tier, tc.headcount)
                team = FireTeam(
                    tid, tc.tier, home, tc.headcount, prod, tc.assembly_min, len(self.teams), home
                )
                self.teams.append(team)
                world.assets.add("fire_team", team, f"fire:{tid}", home)
        self.loc = np.array([t.home for t in self.teams], dtype=np.int64)
        # Teams wait at home between fires, so each call-out costs its mean assembly time.
        self.assembly = np.array([t.assembly_min for t in self.teams], dtype=float)
        self.available = np.ones(len(self.teams), dtype=bool)
        self.waiting: deque[Fire] = deque()
        self.diurnal = diurnal_cosine(cfg.diurnal_peak_hour, cfg.diurnal_min_multiplier)
        self.camera_zones = set(cfg.detection.camera_zones)
        world.subscribe(Ignition, lambda ign: world.env.process(self._fire(ign)))

    # ----------------------------------------------------------------- teams
    def _nearest(self, node: int) -> int | None:
        if not self.available.any():
            return None
        arrival = self.world.net.times_to(node)[self.loc] + self.assembly  # expected
        times = np.where(self.available, arrival, np.inf)
        best = int(np.argmin(times))
        return best if math.isfinite(times[best]) else None

    def _request(self, fire: Fire, n: int) -> None:
        """Ask for ``n`` more teams: the nearest available now, the rest queued."""
        for _ in range(n):
            slot = self._nearest(fire.node)
            if slot is None:
                fire.wanted += 1
                if fire not in self.waiting:
                    self.waiting.append(fire)
                continue
            self._assign(self.teams[slot], fire)

    def _assign(self, team: FireTeam, fire: Fire) -> None:
        w, env = self.world, self.world.env
        self.available[team.slot] = False
        delay = 0.0
        if team.location == team.home:
            mean = team.assembly_min
            if mean > 0:  # ASSUMPTION: Gamma(shape 4) call-out time, as for rescue teams
                delay = float(
                    w.streams(f"fire/mobilisation/{team.id}").gamma(GAMMA_SHAPE, mean / GAMMA_SHAPE)
                )
        travel = w.net.travel_time(team.location, fire.node)
        arrival = env.now + delay + travel + fire.walk_min
        fire.resources.append(Resource(arrival - fire.ign.t, team.production_m_min, team.id))
        fire.arrivals.append((team, arrival))
        w.log.log(
            env.now,
            "fire_dispatch",
            team.id,
            w.net.nodes[team.location],
            fire.ign.id,
            arrival - env.now,
            team.tier,
        )
        env.process(self._arrive(team, fire, arrival))
        if fire.changed is not None and not fire.changed.triggered:
            fire.changed.succeed()

    def _arrive(self, team: FireTeam, fire: Fire, arrival: float):
        yield self.world.env.timeout(arrival - self.world.env.now)
        if not fire.out:
            self.world.log.log(
                arrival,
                "fire_arrive",
                team.id,
                fire.ign.zone,
                fire.ign.id,
                team.production_m_min,
                team.tier,
            )

    def _release(self, fire: Fire) -> None:
        """The fire is out: its teams go home, rest, and become available again."""
        env = self.world.env
        fire.wanted = 0
        for team, arrival in fire.arrivals:
            worked_h = max(env.now - arrival, 0.0) / 60.0
            env.process(self._home(team, fire.node, worked_h))

    def _home(self, team: FireTeam, from_node: int, worked_h: float):
        w = self.world
        travel = w.net.travel_time(from_node, team.home)
        rest = self.cfg.rest_ratio * worked_h * 60.0
        yield w.env.timeout((travel if math.isfinite(travel) else 0.0) + rest)
        team.location = team.home
        self.available[team.slot] = True
        w.log.log(w.env.now, "fire_team_ready", team.id, w.net.nodes[team.home])
        self._serve_waiting()

    def _serve_waiting(self) -> None:
        while self.waiting and self.available.any():
            fire = self.waiting[0]
            if fire.out or fire.wanted <= 0:
                self.waiting.popleft()
                continue
            slot = self._nearest(fire.node)
            if slot is None:
                return  # the waiting fire is cut off: keep it first in line
            fire.wanted -= 1
            self._assign(self.teams[slot], fire)

    # ----------------------------------------------------------------- one fire
    def _fire(self, ign: Ignition):
        w, env, fc = self.world, self.world.env, self.cfg
        net = w.net
        node = net.idx(ign.zone, f"fire {ign.id} zone")
        mean = (
            fc.detection.camera_delay_min_mean
            if ign.zone in self.camera_zones
            else fc.detection.other_delay_min_mean
        )
        delay = float(w.streams(f"fire/detect/{ign.id}").exponential(mean)) if mean > 0 else 0.0
        yield env.timeout(delay)
        walk_m = float(net.attr(node, "walk_in_m") or 0.0)
        fire = Fire(ign, node, env.now, walk_m / 1000.0 / fc.walk_speed_kmh * 60.0)
        w.log.log(env.now, "fire_report", ign.id, ign.zone, ign.danger, delay, ign.danger)
        spread = FireSpread(ign.head_ros_m_min, ign.lb_ratio, self.diurnal, ign.clock_h % 24.0)
        self._request(fire, fc.initial_attack_teams)
        escalated = False
        while True:
            res = contain(
                spread,
                fire.resources,
                attack=fc.attack,
                max_time_min=fc.max_ia_hours * 60.0,
                max_area_ha=fc.max_ia_area_ha,
            )
            if not res.contained and not escalated:  # size-up predicts escape: call more
                escalated = True
                extra = fc.max_teams_per_fire - len(fire.arrivals) - fire.wanted
                if extra > 0:
                    self._request(fire, extra)
                    continue
            end = ign.t + res.time_min
            fire.changed = env.event()
            yield env.any_of([env.timeout(max(end - env.now, 0.0)), fire.changed])
            if env.now >= end - 1e-9:
                break
        zone_area = float(net.attr(node, "forest_area_ha") or math.inf)
        if res.contained:
            w.log.log(
                env.now,
                "fire_contained",
                ign.id,
                ign.zone,
                "ia",
                res.area_ha,
                f"perimeter_m={res.perimeter_m:.0f}",
            )
            crew = sum(t.headcount for t, a in fire.arrivals if a <= env.now) or 1
            yield env.timeout(mopup_duration_min(res.perimeter_m, crew))
            area, how = res.area_ha, "initial attack"
        else:
            w.log.log(env.now, "fire_escaped", ign.id, ign.zone, res.escape_reason, res.area_ha)
            rng = w.streams(f"fire/extended/{ign.id}")
            area, dur = extended_attack(
                rng,
                min(res.area_ha, zone_area),
                p_contain_per_day=fc.ea_p_contain_per_day,
                max_final_area_ha=zone_area,
            )
            yield env.timeout(dur)
            how = "extended attack"
        fire.out = True
        w.log.log(env.now, "fire_out", ign.id, ign.zone, how, min(area, zone_area), ign.danger)
        self._release(fire)
