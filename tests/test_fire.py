"""Forest-fire module: simulation agrees with the containment model; ignitions; CRN."""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from scenarios import fire as fire_scenario
from sim.config import (
    Config,
    DangerClassConfig,
    DistrictConfig,
    ExperimentConfig,
    FireDetectionConfig,
    FireLayoutConfig,
    FireScenarioConfig,
    LayoutConfig,
    ScenarioConfig,
    TeamConfig,
)
from sim.core.events import Ignition
from sim.core.network import RoadNetwork
from sim.core.streams import Streams
from sim.core.world import World
from sim.fire.containment import FireSpread, Resource, contain, diurnal_cosine
from sim.fire.metrics import fire_table
from sim.fire.service import FireService, team_production
from sim.run.experiment import run_one
from tests.conftest import line_graph, node, road


def forest_graph() -> nx.Graph:
    g = line_graph()
    node(g, "forest", kind="forest_zone", pop=0)
    g.nodes["forest"].update(forest_area_ha=5000.0, walk_in_m=0.0)
    road(g, "c", "forest", 10)
    return g


NET = RoadNetwork(forest_graph(), source="forest")


def layout(teams: int = 1, home: str = "forest", headcount: int = 20) -> FireLayoutConfig:
    return FireLayoutConfig(
        teams={
            "crew": TeamConfig(
                tier="professional", home=home, count=teams, headcount=headcount, assembly_min=0.0
            )
        },
        production_m_min_per_person={"professional": 0.4},
        detection=FireDetectionConfig(camera_delay_min_mean=0.0, other_delay_min_mean=0.0),
        initial_attack_teams=1,
        max_teams_per_fire=1,
        water_dependent_share=0.0,
    )


def run_fires(fc: FireLayoutConfig, ignitions: list[Ignition]) -> World:
    world = World(NET.fresh(), Streams(3, 0), hubs=[0])
    FireService(world, fc)
    world.env.process(world.replay(ignitions))
    world.env.run(until=20 * 1440)
    return world


def test_simulated_containment_equals_the_containment_model():
    fc = layout()
    ign = Ignition(
        t=0.0, hazard="t", id="f1", zone="forest", head_ros_m_min=1.5, lb_ratio=2.0, clock_h=13.0
    )
    ev = run_fires(fc, [ign]).log.frame()
    spread = FireSpread(
        1.5, 2.0, diurnal_cosine(fc.diurnal_peak_hour, fc.diurnal_min_multiplier), 13.0
    )
    expected = contain(
        spread,
        [Resource(0.0, 20 * 0.4)],
        max_time_min=fc.max_ia_hours * 60,
        max_area_ha=fc.max_ia_area_ha,
    )
    assert expected.contained
    got = ev[ev.event == "fire_contained"].iloc[0]
    assert got.t == pytest.approx(expected.time_min, rel=1e-9)
    assert got.qty == pytest.approx(expected.area_ha, rel=1e-9)


def test_competing_fires_wait_for_the_only_team():
    fc = layout(home="c")
    igns = [
        Ignition(
            t=0.0,
            hazard="t",
            id=f"f{k}",
            zone="forest",
            head_ros_m_min=0.5,
            lb_ratio=1.5,
            clock_h=10.0,
        )
        for k in (1, 2)
    ]
    t = fire_table(run_fires(fc, igns).log.frame()).set_index("fire")
    out1 = t.loc["f1", "out_t"]
    # the team rests rest_ratio x hours worked, drives home (10 min) and back (10 min)
    assert t.loc["f2", "first_arrival"] >= out1 + 20.0 - 1e-9
    assert t.loc["f2", "area_ha"] > t.loc["f1", "area_ha"]  # it burned while waiting
    from sim.fire.metrics import teams_committed_max

    assert teams_committed_max(run_fires(fc, igns).log.frame()) == 1.0  # one team, never two
    assert t["out_t"].notna().all()


def test_production_falls_with_water_distance():
    near = FireLayoutConfig(production_m_min_per_person={"p": 0.4}, water_distance_km=1.0)
    far = FireLayoutConfig(production_m_min_per_person={"p": 0.4}, water_distance_km=3.0)
    assert team_production(far, "p", 20) < team_production(near, "p", 20) <= 8.0


def season(fires: float = 8.0) -> FireScenarioConfig:
    return FireScenarioConfig(
        mode="season",
        season_days=100,
        fires_per_season=fires,
        classes={
            "low": DangerClassConfig(p_day=0.7, ignition_weight=1.0, head_ros_m_min=0.5),
            "high": DangerClassConfig(p_day=0.3, ignition_weight=4.0, head_ros_m_min=3.0),
        },
    )


def test_season_fire_count_matches_its_poisson_rate():
    counts = np.array(
        [len(fire_scenario.generate(season(), NET, np.random.default_rng(s))) for s in range(400)]
    )
    # mean 8: the standard error of the mean of 400 draws is about sqrt(8/400) ~ 0.14,
    # plus the day-class mixing; 4 standard errors either side
    assert abs(counts.mean() - 8.0) < 4 * np.sqrt(counts.var() / len(counts))
    # Poisson dispersion (day-class mixing adds only ~0.3 to the variance here)
    assert 0.8 < counts.var(ddof=1) / counts.mean() < 1.25


def test_high_danger_days_carry_more_fires_per_day():
    igns = [
        e
        for s in range(200)
        for e in fire_scenario.generate(season(), NET, np.random.default_rng(s))
    ]
    share_high = np.mean([e.danger == "high" for e in igns])
    assert share_high == pytest.approx(0.3 * 4 / (0.3 * 4 + 0.7 * 1), abs=0.03)


def fire_config(teams: int) -> Config:
    fc = layout(teams=teams, home="a")
    fc.initial_attack_teams, fc.max_teams_per_fire = 1, 3
    fc.detection = FireDetectionConfig(camera_delay_min_mean=20.0, other_delay_min_mean=20.0)
    return Config(
        district=DistrictConfig(name="f", network="<memory>", forest_area_ha=5000.0),
        scenario=ScenarioConfig(name="fire", fire=season(fires=15.0), hours=105 * 24.0),
        layout=LayoutConfig(name=f"{teams}", fire=fc),
        experiment=ExperimentConfig(replications=1, seed=11, executor="serial"),
    )


def test_more_fire_teams_never_worse_on_common_random_numbers():
    share, burned = {}, {}
    for k in (1, 3):
        cfg = fire_config(k)
        kp = [run_one(cfg, NET, r).kpis for r in range(12)]
        share[k] = np.mean([x["fires_out_24h"] for x in kp]) / np.mean([x["fires"] for x in kp])
        burned[k] = np.mean([x["burned_area_ha"] for x in kp])
    assert share[3] >= share[1]
    assert burned[3] <= burned[1]


def test_every_reported_fire_is_out_or_flagged():
    res = run_one(fire_config(2), NET, 0)
    t = res.tables["fires"]
    assert res.kpis["fires"] == len(t) > 0
    assert res.kpis["fires_not_out_at_end"] == t["out_t"].isna().sum()
    assert (t["area_ha"].dropna() <= 5000.0).all()  # never more than the zone's forest


def test_first_team_sent_is_the_earliest_to_arrive_not_the_closest():
    fc = layout()
    fc.teams = {
        "volunteers": TeamConfig(tier="professional", home="c", headcount=10, assembly_min=45.0),
        "crew": TeamConfig(tier="professional", home="b", headcount=10, assembly_min=5.0),
    }
    world = World(NET.fresh(), Streams(3, 0), hubs=[0])
    FireService(world, fc)
    ign = Ignition(t=0.0, hazard="t", id="f", zone="forest", head_ros_m_min=0.3, clock_h=10.0)
    world.env.process(world.replay([ign]))
    world.env.run(until=600)
    ev = world.log.frame()
    # volunteers: 10 min drive + 45 min call-out; crew: 40 min drive + 5 min turnout
    assert ev[ev.event == "fire_dispatch"].entity.tolist()[0] == "crew"


# ----------------------------------------------------------------- monotone dispatch
# Expert expectation on common random numbers: adding a forest team, or making one faster
# (shorter call-out) or stronger (more people), never makes any fire of the season burn more
# or go out later. Seeded sweep over random small layouts and seasons.


def monotone_graph() -> nx.Graph:
    g = line_graph()
    for z, at, minutes in (("f1", "c", 10), ("f2", "a", 15)):
        node(g, z, kind="forest_zone", pop=0)
        g.nodes[z].update(forest_area_ha=1.0e6, walk_in_m=300.0)  # the zone never burns out
        road(g, at, z, minutes)
    return g


MONO_NET = RoadNetwork(monotone_graph(), source="monotone")
MONO_RATES = {"professional": 0.4, "semi_professional": 0.27, "volunteer": 0.13}


def monotone_teams(rng: np.random.Generator) -> dict[str, TeamConfig]:
    teams = {}
    for k in range(int(rng.integers(2, 5))):
        teams[f"t{k}"] = TeamConfig(
            tier=str(rng.choice(list(MONO_RATES))),
            home=str(rng.choice(["depot", "a", "b", "c"])),
            headcount=int(rng.integers(8, 31)),
            assembly_min=float(rng.uniform(5.0, 60.0)),
        )
    return teams


def monotone_config(teams: dict[str, TeamConfig], seed: int) -> Config:
    fc = FireLayoutConfig(
        teams=teams,
        production_m_min_per_person=dict(MONO_RATES),
        detection=FireDetectionConfig(camera_delay_min_mean=15.0, other_delay_min_mean=15.0),
        initial_attack_teams=2,
        max_teams_per_fire=4,
    )
    sc = FireScenarioConfig(
        mode="season",
        season_days=60,
        fires_per_season=6.0,
        classes={
            "moderate": DangerClassConfig(p_day=0.6, ignition_weight=1.0, head_ros_m_min=1.0),
            "high": DangerClassConfig(p_day=0.4, ignition_weight=3.0, head_ros_m_min=3.0),
        },
    )
    return Config(
        district=DistrictConfig(name="m", network="<memory>", forest_area_ha=2.0e6),
        scenario=ScenarioConfig(name="fire", fire=sc, hours=64 * 24.0),
        layout=LayoutConfig(name="m", fire=fc),
        experiment=ExperimentConfig(replications=1, seed=seed, executor="serial"),
    )


def monotone_variants(rng: np.random.Generator, teams: dict[str, TeamConfig]):
    """(label, teams) with one team added, one made faster and one made stronger."""
    key = str(rng.choice(list(teams)))
    added = dict(teams)
    added["extra"] = monotone_teams(rng)["t0"]
    faster = dict(teams)
    faster[key] = dataclasses.replace(teams[key], assembly_min=teams[key].assembly_min * 0.5)
    stronger = dict(teams)
    stronger[key] = dataclasses.replace(teams[key], headcount=teams[key].headcount + 10)
    return [
        (f"add {describe({'extra': added['extra']})}", added),
        (f"{key} call-out x0.5", faster),
        (f"{key} +10 people", stronger),
    ]


def describe(teams: dict[str, TeamConfig]) -> str:
    return ", ".join(
        f"{k}={t.tier}@{t.home}x{t.headcount}/{t.assembly_min:.0f}min" for k, t in teams.items()
    )


def season_outcome(cfg: Config) -> pd.DataFrame:
    t = run_one(cfg, MONO_NET, 0).tables["fires"].set_index("fire")
    return t[["area_ha", "out_t"]].fillna(np.inf)


def monotone_violations(cases: range) -> list[str]:
    bad = []
    for case in cases:
        rng = np.random.default_rng(case)
        teams = monotone_teams(rng)
        base = season_outcome(monotone_config(teams, seed=case))
        for label, better in monotone_variants(rng, teams):
            got = season_outcome(monotone_config(better, seed=case))
            assert got.index.equals(base.index)  # common random numbers: the same fires
            worse = (got.area_ha > base.area_ha * (1 + 1e-9) + 1e-9) | (
                got.out_t > base.out_t + 1e-6
            )
            for fire in got.index[worse]:
                bad.append(
                    f"case {case}: {label}: {fire} burned {base.area_ha[fire]:.3g} -> "
                    f"{got.area_ha[fire]:.3g} ha, out {base.out_t[fire]:.0f} -> "
                    f"{got.out_t[fire]:.0f} min; base teams {describe(teams)}"
                )
    return bad


def test_more_faster_or_stronger_teams_never_make_a_fire_worse():
    bad = monotone_violations(range(40))
    assert not bad, f"{len(bad)} fires got worse, e.g.\n" + "\n".join(bad[:5])
