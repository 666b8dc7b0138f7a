"""One replication end to end on a small network: determinism, CRN, expert expectations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.config import (
    Config,
    DistrictConfig,
    ExperimentConfig,
    LayoutConfig,
    ScenarioConfig,
    StormConfig,
    TeamConfig,
)
from sim.core.network import RoadNetwork
from sim.run.experiment import run_one
from sim.run.metrics import incident_table
from sim.run.replication import run_replication
from tests.conftest import line_graph


def make_config(teams: int = 1, seed: int = 5) -> Config:
    return Config(
        district=DistrictConfig(name="line", network="<memory>", seat="a"),
        scenario=ScenarioConfig(
            name="storm",
            storm=StormConfig(incidents_per_100k=800.0, closures_mean=1.0, duration_h=4.0),
        ),
        layout=LayoutConfig(
            name=f"{teams}teams",
            teams={
                "t": TeamConfig(
                    tier="town",
                    home="depot",
                    count=teams,
                    headcount=10,
                    capabilities=["rescue", "water_rescue"],
                    assembly_min=10.0,
                )
            },
        ),
        experiment=ExperimentConfig(replications=1, seed=seed, hours=24.0, executor="serial"),
    )


NET = RoadNetwork(line_graph(), source="line")


def test_same_seed_gives_identical_event_log():
    a = run_replication(make_config(), NET, 0).events()
    b = run_replication(make_config(), NET, 0).events()
    pd.testing.assert_frame_equal(a, b)
    c = run_replication(make_config(seed=6), NET, 0).events()
    assert not a.equals(c)


def test_two_layouts_see_the_same_disaster():
    one = run_replication(make_config(teams=1), NET, 3)
    three = run_replication(make_config(teams=3), NET, 3)
    assert one.timeline == three.timeline
    cols = ["t", "entity", "node", "qty"]
    for kind in ("incident", "road_close", "warning"):
        e1, e3 = one.events(), three.events()
        pd.testing.assert_frame_equal(
            e1[e1.event == kind][cols].reset_index(drop=True),
            e3[e3.event == kind][cols].reset_index(drop=True),
        )


def test_more_teams_never_slower_on_common_random_numbers():
    means = {}
    for k in (1, 2, 4):
        cfg = make_config(teams=k)
        rts = [run_one(cfg, NET, r).kpis["response_mean_min"] for r in range(12)]
        means[k] = float(np.nanmean(rts))
    assert means[1] >= means[2] >= means[4]
    assert means[1] > means[4]  # and it matters under this load


def test_people_in_incidents_are_conserved():
    cfg = make_config(teams=1)
    cfg.experiment.hours = 6.0  # cut the run while incidents are still open
    rep = run_replication(cfg, NET, 1)
    table = incident_table(rep.events())
    resolved = table["resolved"].notna()
    assert len(table) > 0
    assert (
        table["people"].sum()
        == table.loc[resolved, "rescued"].sum() + table.loc[~resolved, "people"].sum()
    )
    assert (table.loc[resolved, "rescued"] == table.loc[resolved, "people"]).all()
