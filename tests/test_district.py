"""Bring your own district: an OSM extract -> network + configs -> the plan audit."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from sim.district.build import read_osm_features

ROOT = Path(__file__).resolve().parent.parent
OSM = ROOT / "tests" / "data" / "lianhe.osm"  # synthetic, made for these tests (CC0)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def district_name():
    """A district name unique to this test run; its files are removed afterwards."""
    name = f"test_lianhe_{os.getpid()}"
    yield name
    for p in [
        ROOT / "networks" / f"{name}.graphml",
        ROOT / "conf" / "district" / f"{name}.yaml",
        ROOT / "conf" / "layout" / f"{name}.yaml",
        ROOT / "conf" / "scenario" / f"{name}_flood_evacuation.yaml",
    ]:
        p.unlink(missing_ok=True)


def test_features_are_read_from_the_tags():
    towns, facilities, forests, rivers = read_osm_features(OSM)
    by = {t.name: t for t in towns}
    assert set(by) == {"Lianhe", "Shiqiao", "Dongcheng", "Xiwan"}
    assert by["Lianhe"].kind == "town" and by["Lianhe"].population == 24000
    assert by["Dongcheng"].kind == "street" and by["Dongcheng"].population == 0
    assert sorted(f.kind for f in facilities) == ["fire_station", "hospital", "school", "school"]
    # the forest polygon is 0.015 deg x 0.02 deg at 29.55 N: 1.668 km x 1.935 km = 322.7 ha
    assert len(forests) == 1 and forests[0].forest_area_ha == pytest.approx(322.7, abs=1.0)
    assert [name for name, _ in rivers] == ["Lian River"]


def test_new_district_from_osm_runs_its_plan_audit(tmp_path, district_name):
    pop = tmp_path / "pop.csv"
    # the CSV overrides the OSM tag (24,000): enough residents for storm incidents in 2 runs
    pop.write_text(
        "name_zh,name_pinyin,population\n东城街道,Dongcheng,8000\n联合镇,Lianhe,400000\n",
        encoding="utf-8",
    )
    r = run(
        "-m", "sim.district", "new", district_name, "--network", str(OSM), "--population", str(pop)
    )
    assert r.returncode == 0, r.stderr
    assert "not derived" in r.stdout and "layout.mutual_aid.centres" in r.stdout
    assert "xiwan" in r.stdout  # the hamlet with no population is listed with the key to set
    g = nx.read_graphml(ROOT / "networks" / f"{district_name}.graphml")
    assert g.nodes["dongcheng"]["population"] == 8000  # from the CSV
    assert g.nodes["lianhe_fire_station"]["kind"] == "fire_station"
    out = tmp_path / "audit"
    r = run(
        "run_sim.py",
        f"district={district_name}",
        "experiment.replications=2",
        "experiment.executor=serial",
        f"hydra.run.dir={out}",
    )
    assert r.returncode == 0, r.stderr
    audit = json.loads((out / "summary.json").read_text())
    assert set(audit["scenarios"]) == {"storm", "fire_season", f"{district_name}_flood_evacuation"}
    verdicts = {t["key"]: t["verdict"] for t in audit["targets"]}
    assert {"rescue_response", "fires_out_24h", "relocation_sheltered", "relief_stock"} <= set(
        verdicts
    )
    # a 323 ha forest has about one fire in a thousand years at Chongqing's recorded rate: with no
    # fire the 24 h share and the damaged share (受害率, zero by the ignition rate) are NOT
    # MODELLED (no events), and must say so; nothing else may be
    notes = {t["key"]: t["note"] for t in audit["targets"]}
    for key, v in verdicts.items():
        if v == "NOT MODELLED":
            assert key in ("fires_out_24h", "forest_damage_share"), (key, notes[key])
            assert "no fires" in notes[key], (key, notes[key])
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f"<h1>{district_name.replace('_', ' ').title()} — plan audit</h1>" in page
    assert "璧山" not in page  # nothing of the template district but the cited target lines
    import openpyxl

    sheets = openpyxl.load_workbook(out / "tables.xlsx", read_only=True).sheetnames
    assert "targets" in sheets and "storm.kpis" in sheets and "fire_season.fires" in sheets


def test_no_settlements_is_one_clear_error(tmp_path, district_name):
    bare = tmp_path / "bare.osm"
    text = OSM.read_text(encoding="utf-8")
    bare.write_text(text.replace('k="place"', 'k="was_place"'), encoding="utf-8")
    r = run("-m", "sim.district", "new", district_name, "--network", str(bare))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "no settlements found" in r.stderr
    assert not (ROOT / "conf" / "district" / f"{district_name}.yaml").exists()


# ------------------------------------------------- settings that make no sense for a network
def _bishan(overrides: list[str], towns: bool = True, residents: bool = True):
    """Bishan's config and network, with its towns turned into junctions or emptied."""
    from sim.cli import compose_config
    from sim.core.network import RoadNetwork
    from sim.run.app import typed_config

    conf = typed_config(compose_config(overrides))
    g = nx.read_graphml(ROOT / "networks" / "bishan.graphml")
    for _, a in g.nodes(data=True):
        if a["kind"] in ("town", "street", "township"):
            a["kind"] = a["kind"] if towns else "junction"
            a["population"] = a["population"] if residents else 0
    return conf, RoadNetwork(g, "bishan (edited)")


@pytest.mark.parametrize(
    ("module", "overrides", "field"),
    [
        ("rescue", ["scenario=storm"], "layout.teams.community.home=each_town"),
        ("fire", ["scenario=fire_season"], "layout.fire.teams.town_forest_teams.home=each_town"),
        ("evacuation", ["scenario=flood_evacuation"], "layout.shelters.town_sites.home=each_town"),
        (
            "evacuation",
            [
                "scenario=flood_evacuation",
                "~layout.shelters.town_sites",
                "~layout.shelters.village_sites",
            ],
            "layout.evacuation.fleet.community_assist.home=each_town",
        ),
    ],
)
@pytest.mark.parametrize("towns", [False, True])
def test_each_town_without_towns_or_residents_names_the_field(module, overrides, field, towns):
    """each_town on a network without towns (or whose towns hold nobody) is one NetworkError
    naming the field, raised by the module's check before any replication (was a
    ZeroDivisionError, or every replication failing while the run exited 0)."""
    import importlib

    from sim.core.errors import NetworkError

    conf, net = _bishan(overrides, towns=towns, residents=False)
    with pytest.raises(NetworkError) as exc:
        importlib.import_module(f"sim.{module}").check_nodes(conf, net)
    msg = str(exc.value)
    assert msg.startswith(field) and "\n" not in msg
    assert (
        "no towns/streets" if not towns else "no town/street of the network has residents"
    ) in msg


def test_each_town_error_is_exit_2_from_the_command_line(tmp_path, district_name):
    """A derived district whose towns have no population: the audit stops with one line."""
    bare = tmp_path / "nopop.osm"
    text = OSM.read_text(encoding="utf-8")
    bare.write_text(text.replace('k="population"', 'k="was_population"'), encoding="utf-8")
    r = run("-m", "sim.district", "new", district_name, "--network", str(bare))
    assert r.returncode == 0 and "no town has a population tag" in r.stdout
    r = run("run_sim.py", f"district={district_name}", "experiment.replications=1")
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "each_town: no town/street of the network has residents" in r.stderr


def test_help_is_short_and_lists_groups_options_and_examples():
    r = run("run_sim.py", "--help")
    assert r.returncode == 0
    assert "district: beibei, bishan" in r.stdout and "scenario: audit" in r.stdout
    assert "python -m sim.district new" in r.stdout and "--cfg job" in r.stdout
    assert len(r.stdout.splitlines()) < 40


def test_console_shows_only_kpis_with_something_to_say():
    from sim.run.app import format_table

    est = {"mean": 4073.0, "ci95_low": 4073.0, "ci95_high": 4073.0}
    zero = {"mean": 0.0, "ci95_low": 0.0, "ci95_high": 0.0}
    na = {"mean": None, "ci95_low": None, "ci95_high": None}
    summary = {"district": "x", "scenario": "storm", "layout": "x", "replications": 2,
               "seed": 1, "hours": 72.0,
               "kpis": {"relief_stock_people": est, "fire_count": zero, "relief_trips_air": na}}  # fmt: skip
    text = format_table(summary)
    assert "relief_stock_people                     4,073   [4,073, 4,073]" in text
    assert "fire_count" not in text and "relief_trips_air" not in text
    assert "(2 more KPIs are 0 or n/a in every replication" in text
    # a time reached in only some replications says so (the mean is of those alone)
    rare = {"mean": 8.09, "ci95_low": None, "ci95_high": None, "n": 1}
    summary["kpis"] = {"evac_time_to_90pct_sheltered_h": rare}
    assert format_table(summary).endswith("8.09   only 1 of 2 replications")


def test_a_population_csv_with_a_bad_number_is_refused_and_a_blank_is_unknown(tmp_path):
    """Failure-mode review: a row "联合镇,lianhe,-5" or "...,lots" silently became 0 (the OSM
    tag used instead, no note), and 1e15 was written as the district's residents."""
    from sim.core.errors import UserError
    from sim.district.build import read_population_csv

    csv_file = tmp_path / "pop.csv"
    for bad in ("-5", "lots", "1e15", "12.5"):
        csv_file.write_text(
            f"name_zh,name_pinyin,population\n东城街道,Dongcheng,8000\n联合镇,Lianhe,{bad}\n"
        )
        with pytest.raises(UserError, match=rf"line 3: population '{re.escape(bad)}' is not a"):
            read_population_csv(csv_file)
    csv_file.write_text(
        'name_zh,name_pinyin,population\n东城街道,Dongcheng,"8,000"\n联合镇,Lianhe,\n'
    )
    got = read_population_csv(csv_file)
    assert got["dongcheng"] == 8000 and "lianhe" not in got  # blank: unknown, not 0
