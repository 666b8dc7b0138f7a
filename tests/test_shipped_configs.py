"""Every shipped scenario composes and validates for every district, and runs end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import compose_config
from sim.core.paths import CONF_DIR
from sim.run.app import prepare
from sim.run.experiment import run_one

SCENARIOS = sorted(p.stem for p in (Path(CONF_DIR) / "scenario").glob("*.yaml"))
DISTRICTS = ("bishan", "fengdu", "beibei", "nanan")


def composed(district: str, scenario: str):
    return prepare(compose_config([f"district={district}", f"scenario={scenario}"]))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_validates_for_every_district_and_runs(scenario):
    for district in DISTRICTS:
        conf, net = composed(district, scenario)
        assert conf.scenario.name == scenario
    # one full replication, in a district chosen by the scenario's position (all get covered)
    district = DISTRICTS[SCENARIOS.index(scenario) % len(DISTRICTS)]
    conf, net = composed(district, scenario)
    res = run_one(conf, net, 0)
    assert not res.error and res.n_events > 0
    assert res.kpis  # every scenario measures something
