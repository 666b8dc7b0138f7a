"""Forest-fire suppression as Chongqing's districts practise it: one SimPy process per fire.

ignition -> detection delay (video/infrared-monitored zones report faster) -> report -> the
dispatcher sends every available unit that improves the fire's predicted outcome (local
forest teams with hand tools, wind blowers and portable pumps; reinforcement teams of the
neighbouring districts and regional centres; helicopters of the municipal forest aviation
station in daylight) -> contained in initial attack, or escaped and held in extended attack
-> mopped up by the local teams -> *out*.

The outcome of a fire is a deterministic function of the units that work on it
(``sim.fire.tactics.predict``); everything random about the fire and about each team's
call-out is drawn from named streams per fire (and per team and fire) before the first
prediction, so the dispatcher's prediction is what happens, and two layouts run with the same
seed face the same fires with the same draws (common random numbers). When a unit is added
later (a team freed by another fire), the prediction is simply recomputed: nothing before the
new arrival changes. Teams rest after work (``rest_ratio``) before the next call-out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from sim.config.fire import FireLayoutConfig, FireTeamConfig
from sim.config.hazards import FireScenarioConfig
from sim.core.events import Ignition
from sim.core.network import great_circle_m
from sim.core.places import expand_homes
from sim.core.streams import GAMMA_SHAPE, unit_id, unit_stream
from sim.core.world import World
from sim.fire.containment import FireSpread, diurnal_cosine
from sim.fire.tactics import (
    AVIATION,
    LOCAL,
    REINFORCEMENT,
    FireCase,
    Outcome,
    Unit,
    daylight_windows,
    flame_factor,
    flame_length_m,
    predict,
    useful,
)

DAY_MIN = 1440.0
#: Days ahead for which a helicopter's daylight windows are listed.
AIR_DAYS = 30


@dataclass
class FireTeam:
    id: str
    cfg: FireTeamConfig
    home: int
    slot: int
    stream: str = ""  # the name it draws under (streams.unit_stream; "" = its id)


@dataclass
class Helicopter:
    id: str
    slot: int


@dataclass
class Kit:
    """A fire's flame-length factors and water: how much each kind of kit can do there."""

    hand: float
    blower: float
    pump: float
    hose_m: float


@dataclass
class Fire:
    ign: Ignition
    node: int
    report_t: float
    walk_min: float
    case: FireCase
    kit: Kit
    units: list[Unit] = field(default_factory=list)
    assets: dict[str, FireTeam | Helicopter] = field(default_factory=dict)
    outcome: Outcome | None = None
    out: bool = False
    released: set[str] = field(default_factory=set)
    changed: simpy.Event | None = None


def team_production(fc: FireLayoutConfig, team: FireTeamConfig, kit: Kit) -> tuple[float, float]:
    """(hand tools + blowers, pumps) line production of a team at a fire, m/min.

    Hand line: headcount x the tier's rate; blowers count only in groups (a single machine
    is of little use); each part scaled by its flame-length factor at this fire.
    """
    eq = fc.equipment
    rate = fc.production_m_min_per_person.get(
        team.tier, fc.production_m_min_per_person.get("default", 0.0)
    )
    blowers = team.blowers if team.blowers >= eq.blower_group else 0
    ground = team.headcount * rate * kit.hand + blowers * eq.blower_m_min * kit.blower
    pumps = team.pumps * eq.pump_m_min * kit.pump if kit.hose_m <= eq.max_hose_m else 0.0
    return ground, pumps


def nominal_production(fc: FireLayoutConfig, team: FireTeamConfig) -> float:
    """A team's production with no flame-length limit and water at hand, m/min."""
    return sum(team_production(fc, team, Kit(1.0, 1.0, 1.0, 0.0)))


class FireService:
    """Receives ignitions, dispatches forest-fire units, runs each fire to 'out'."""

    def __init__(
        self, world: World, cfg: FireLayoutConfig, scenario: FireScenarioConfig | None = None
    ) -> None:
        self.world, self.cfg = world, cfg
        self.scen = scenario if scenario is not None else FireScenarioConfig()
        net = world.net
        self.teams: list[FireTeam] = []
        for key, tc in cfg.teams.items():
            for j, home in enumerate(
                expand_homes(net, f"layout.fire.teams.{key}", tc.home, tc.count)
            ):
                tid = unit_id(key, j, tc.count)
                team = FireTeam(tid, tc, home, len(self.teams), unit_stream(key, j))
                self.teams.append(team)
                world.assets.add("fire_team", team, f"fire:{tid}", home)
        self.team_free = np.ones(len(self.teams), dtype=bool)
        av = cfg.aviation
        self.helis = [Helicopter(f"heli_{k + 1}", k) for k in range(av.helicopters if av else 0)]
        self.air_base = net.idx(av.base, "layout.fire.aviation.base") if av else -1
        self.heli_free = np.ones(len(self.helis), dtype=bool)
        self.diurnal = diurnal_cosine(cfg.diurnal_peak_hour, cfg.diurnal_min_multiplier)
        self.camera_zones = set(cfg.detection.camera_zones)
        self.burning: list[Fire] = []
        self.zone_burned: dict[int, float] = {}
        self.reserved: dict[str, tuple[int, float]] = {}  # fire id -> (zone, predicted area)
        world.subscribe(Ignition, lambda ign: world.env.process(self._fire(ign)))

    # ----------------------------------------------------------------- per-fire draws
    def _case(self, ign: Ignition, node: int) -> tuple[FireCase, Kit]:
        w, fc, sc = self.world, self.cfg, self.scen
        spread = FireSpread(ign.head_ros_m_min, ign.lb_ratio, self.diurnal, ign.clock_h % 24.0)
        eq = fc.equipment
        # crews work the flanks: flank flame length at the day's peak (conservative)
        flame = flame_length_m(spread.flank_ros_m_min, sc.fuel_consumed_kg_m2)
        # distance to the nearest water source: a random point within the plan's radius
        u_water = float(w.streams(f"fire/water/{ign.id}").uniform())
        hose_m = 1000.0 * fc.water_distance_km * math.sqrt(u_water) * eq.route_factor
        kit = Kit(
            flame_factor(flame, eq.hand_full_flame_m, eq.hand_max_flame_m),
            flame_factor(flame, eq.blower_full_flame_m, eq.blower_max_flame_m),
            1.0 if flame < eq.pump_max_flame_m else 0.0,
            hose_m,
        )
        rng = w.streams(f"fire/extended/{ign.id}")
        size_u = float(rng.uniform())
        nights = int(rng.geometric(fc.ea_p_contain_per_day))
        ia_end = w.env.now + fc.max_ia_hours * 60.0  # counted from the report
        # escaped fires are held at night, at the quietest hour (12 h after the peak)
        quiet = (fc.diurnal_peak_hour + 12.0) % 24.0
        clock_end = (ign.clock_h + (ia_end - ign.t) / 60.0) % 24.0
        hold = ia_end + ((quiet - clock_end) % 24.0) * 60.0 + (nights - 1) * DAY_MIN
        zone_forest = float(w.net.attr(node, "forest_area_ha") or 0.0)
        left = zone_forest - self.zone_burned.get(node, 0.0)
        left -= sum(a for z, a in self.reserved.values() if z == node)
        case = FireCase(
            spread=spread,
            t_ign=ign.t,
            ia_end=ia_end,
            area_cap_ha=max(left, 0.0) if zone_forest > 0 else math.inf,
            size_u=size_u,
            hold_t=hold,
            burned_log_mean=sc.size.log_mean - math.log(sc.damaged_per_burned),
            burned_log_sd=sc.size.log_sd,
            mopup_m_per_person_h=fc.mopup_m_per_person_h,
            mopup_m_per_person=fc.mopup_m_per_person,
            mopup_setup_min=fc.mopup_setup_min,
            clock0_h=ign.clock_h % 24.0,
            ea_hourly=tuple(
                flame_factor(
                    flame_length_m(
                        spread.flank_ros_m_min * self.diurnal[h], sc.fuel_consumed_kg_m2
                    ),
                    eq.hand_full_flame_m,
                    eq.hand_max_flame_m,
                )
                for h in range(24)
            ),
        )
        return case, kit

    def _delay(self, team: FireTeam, fire: Fire) -> float:
        """Call-out time of ``team`` for ``fire`` (one standard-gamma draw per pair)."""
        mean = team.cfg.assembly_min
        if mean <= 0:
            return 0.0
        g = float(
            self.world.streams(
                f"fire/mobilisation/{team.stream or team.id}/{fire.ign.id}"
            ).standard_gamma(GAMMA_SHAPE)
        )
        return g * mean / GAMMA_SHAPE  # ASSUMPTION: Gamma(shape 4) call-out, as for rescue teams

    # ----------------------------------------------------------------- units
    def _team_unit(self, team: FireTeam, fire: Fire) -> Unit | None:
        env, fc = self.world.env, self.cfg
        travel = self.world.net.travel_time(team.home, fire.node)
        if not math.isfinite(travel):
            return None
        arrival = env.now + self._delay(team, fire) + travel + fire.walk_min
        ground, pumps = team_production(fc, team.cfg, fire.kit)
        pieces = []
        if ground > 0:
            pieces.append((arrival, ground))
        if pumps > 0:
            pieces.append((arrival + fire.kit.hose_m / fc.equipment.hose_lay_m_min, pumps))
        ea = fc.ea_line_factor * nominal_production(fc, team.cfg)
        return Unit(team.id, team.cfg.role, arrival, tuple(pieces), team.cfg.headcount, ea)

    def _flight_min(self, node: int) -> float:
        """Helicopter flight between the station's base and ``node`` (great circle), min."""
        net, av = self.world.net, self.cfg.aviation
        a, b = self.air_base, node
        km = great_circle_m(
            float(net.attr(a, "lat")),
            float(net.attr(a, "lon")),
            float(net.attr(b, "lat")),
            float(net.attr(b, "lon")),
        )
        return km / 1000.0 / av.speed_kmh * 60.0

    def _heli_unit(self, heli: Helicopter, fire: Fire) -> Unit | None:
        av, now = self.cfg.aviation, self.world.env.now
        u = float(self.world.streams(f"fire/aviation/{fire.ign.id}/{heli.id}").uniform())
        if u >= av.availability:
            return None  # busy elsewhere in the municipality, upkeep or weather
        flight = self._flight_min(fire.node)
        clock = (fire.ign.clock_h + (now - fire.ign.t) / 60.0) % 24.0
        days = daylight_windows(
            now, clock, av.daylight_start_h, av.daylight_end_h, AIR_DAYS * DAY_MIN
        )
        windows = []
        for a, b in days:  # flies only in daylight: leaves the base at dawn at the earliest
            start = max(a, now + av.dispatch_min) + flight if not windows else a + flight
            if start < b:
                windows.append((start, b))
        if not windows:
            return None
        cycle = 2.0 * av.dip_km / av.speed_kmh * 60.0 + av.fill_drop_min
        prod = av.held_m_per_t * av.bucket_t / cycle
        arrival = windows[0][0]
        return Unit(heli.id, AVIATION, arrival, ((arrival, prod),), 0, prod, tuple(windows))

    def _offer(self, fire: Fire, teams: list[FireTeam], helis: list[Helicopter]) -> int:
        """Send the offered units that improve ``fire``'s predicted outcome; how many went."""
        offered: list[tuple[Unit, FireTeam | Helicopter]] = []
        for t in teams:
            u = self._team_unit(t, fire)
            if u is not None:
                offered.append((u, t))
        if self.cfg.aviation is not None:
            for h in helis:
                u = self._heli_unit(h, fire)
                if u is not None:
                    offered.append((u, h))
        if not offered:
            return 0
        sent, outcome = useful(fire.case, fire.units, [u for u, _ in offered], fire.outcome)
        chosen = {id(u) for u in sent}
        for u, asset in offered:
            if id(u) in chosen:
                self._commit(fire, u, asset)
        if sent:
            fire.outcome = outcome
            if fire.changed is not None and not fire.changed.triggered:
                fire.changed.succeed()
        return len(sent)

    def _commit(self, fire: Fire, unit: Unit, asset: FireTeam | Helicopter) -> None:
        w, env = self.world, self.world.env
        if isinstance(asset, Helicopter):
            self.heli_free[asset.slot] = False
            tier, home = AVIATION, self.cfg.aviation.base
        else:
            self.team_free[asset.slot] = False
            tier, home = asset.cfg.tier, w.net.nodes[asset.home]
        fire.units.append(unit)
        fire.assets[unit.key] = asset
        w.log.log(
            env.now, "fire_dispatch", unit.key, home, fire.ign.id, unit.arrival - env.now, tier
        )
        env.process(self._arrive(fire, unit, tier))

    def _arrive(self, fire: Fire, unit: Unit, tier: str):
        yield self.world.env.timeout(unit.arrival - self.world.env.now)
        if not fire.out and unit.key not in fire.released:
            prod = sum(p for _, p in unit.pieces)
            self.world.log.log(
                unit.arrival, "fire_arrive", unit.key, fire.ign.zone, fire.ign.id, prod, tier
            )

    # ----------------------------------------------------------------- release
    def _release(self, fire: Fire, kinds: tuple[str, ...]) -> None:
        """Units of ``kinds`` leave the fire: teams go home and rest, helicopters refuel."""
        env = self.world.env
        for unit in fire.units:
            if unit.kind not in kinds or unit.key in fire.released:
                continue
            fire.released.add(unit.key)
            asset = fire.assets[unit.key]
            worked_h = max(env.now - unit.arrival, 0.0) / 60.0
            env.process(self._back(asset, fire, worked_h))

    def _back(self, asset: FireTeam | Helicopter, fire: Fire, worked_h: float):
        w = self.world
        if isinstance(asset, Helicopter):
            yield w.env.timeout(self._flight_min(fire.node) + self.cfg.aviation.turnaround_min)
            self.heli_free[asset.slot] = True
            w.log.log(w.env.now, "fire_team_ready", asset.id, self.cfg.aviation.base)
        else:
            travel = w.net.travel_time(fire.node, asset.home)
            rest = min(self.cfg.rest_ratio * worked_h, self.cfg.rest_max_h) * 60.0
            yield w.env.timeout((travel if math.isfinite(travel) else 0.0) + rest)
            self.team_free[asset.slot] = True
            w.log.log(w.env.now, "fire_team_ready", asset.id, w.net.nodes[asset.home])
        self._serve()

    def _serve(self) -> None:
        """Offer each free unit to the burning fires in the order they were reported."""
        for team in [t for t in self.teams if self.team_free[t.slot]]:
            for fire in self.burning:
                if not fire.out and self._offer(fire, [team], []):
                    break
        for heli in [h for h in self.helis if self.heli_free[h.slot]]:
            for fire in self.burning:
                if not fire.out and self._offer(fire, [], [heli]):
                    break

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
        case, kit = self._case(ign, node)
        fire = Fire(ign, node, env.now, walk_m / 1000.0 / fc.walk_speed_kmh * 60.0, case, kit)
        w.log.log(env.now, "fire_report", ign.id, ign.zone, ign.danger, delay, ign.danger)
        if case.area_cap_ha <= 0.0:  # the zone's forest has burned already
            w.log.log(env.now, "fire_out", ign.id, ign.zone, "no forest left", 0.0, ign.danger)
            return
        self.burning.append(fire)
        free_teams = [t for t in self.teams if self.team_free[t.slot]]
        free_helis = [h for h in self.helis if self.heli_free[h.slot]]
        fire.outcome = predict(case, [])
        self._offer(fire, free_teams, free_helis)
        phase = "ia"
        while True:
            o = fire.outcome
            self.reserved[ign.id] = (node, o.area_ha)
            if phase == "ia":
                t_next = o.control_t if o.contained_ia else o.escape_t
            else:
                t_next = o.control_t if phase == "ea" else o.out_t
            fire.changed = env.event()
            if math.isfinite(t_next):
                yield env.any_of([env.timeout(max(t_next - env.now, 0.0)), fire.changed])
            else:
                yield fire.changed
            if env.now < t_next - 1e-9:
                continue  # a unit was added: predict again
            if phase == "ia" and not o.contained_ia:
                w.log.log(
                    env.now, "fire_escaped", ign.id, ign.zone, o.escape_reason, o.escape_area_ha
                )
                phase = "ea"
            elif phase in ("ia", "ea"):
                how = "ia" if phase == "ia" else "ea"
                w.log.log(
                    env.now,
                    "fire_contained",
                    ign.id,
                    ign.zone,
                    how,
                    o.area_ha,
                    f"perimeter_m={o.perimeter_m:.0f}",
                )
                self._release(fire, (REINFORCEMENT, AVIATION))
                phase = "mopup"
            else:
                break
        fire.out = True
        how = "initial attack" if o.contained_ia else "extended attack"
        w.log.log(env.now, "fire_out", ign.id, ign.zone, how, o.area_ha, ign.danger)
        self.burning.remove(fire)
        del self.reserved[ign.id]
        self.zone_burned[node] = self.zone_burned.get(node, 0.0) + o.area_ha
        self._release(fire, (LOCAL, REINFORCEMENT, AVIATION))
