"""The shipped district networks: valid, reproducible from the gazetteer, usable by config."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.core.network import RoadNetwork

ROOT = Path(__file__).resolve().parent.parent
DISTRICTS = ("bishan", "nanan", "fengdu", "beibei")
GAZETTEER = ROOT.parent / "shared" / "data" / "gazetteer"


@pytest.mark.parametrize("district", DISTRICTS)
def test_network_loads_and_every_town_reaches_a_depot(district):
    net = RoadNetwork.load(ROOT / "networks" / f"{district}.graphml")
    towns = net.nodes_of_kind("street", "town", "township")
    depots = net.nodes_of_kind("depot")
    assert len(towns) >= 15 and depots
    assert net.isolated(towns, depots) == []
    assert (net.population[towns] > 0).all()


@pytest.mark.skipif(not GAZETTEER.exists(), reason="shared gazetteer not beside the repo")
def test_build_is_reproducible(tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "networks" / "build_networks.py"),
            "--gazetteer",
            str(GAZETTEER),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    for d in DISTRICTS:
        assert (tmp_path / f"{d}.graphml").read_bytes() == (
            ROOT / "networks" / f"{d}.graphml"
        ).read_bytes(), d
