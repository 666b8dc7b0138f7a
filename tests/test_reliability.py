"""Reliability and security (issue 17): every class of bad input, hostile file and fault.

Each test stands for a class of problem, not one example: bad numbers and keys, config files,
output folders, checkpoints, symlinks, resolvers, lost workers, Ctrl-C, failed runs. Most run
in-process (the pre-flight check and ``sim.cli.main`` as the command line calls them); only
the signal tests start a real ``run_sim.py``.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim.run.experiment as experiment
from sim.cli import MAX_PREFLIGHT_COMBOS, apply_overrides, compose_config, main, preflight
from sim.config import ConfigError
from sim.config.yamlfiles import MAX_NODES, check_yaml_file
from sim.core.errors import CheckpointError, OutputError, RunFailed, UserError
from sim.run.app import prepare
from sim.run.checkpoints import Checkpoints
from sim.run.outputs import atomic_write_text, publish, staging
from tests.test_experiment import _kpis, config
from tests.test_model import NET

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "conf"


def bad(overrides: list[str]) -> str:
    """The one-line UserError that the overrides give (fails if they are accepted)."""
    with pytest.raises(UserError) as info:
        prepare(compose_config(["scenario=storm", *overrides]))
    msg = str(info.value)
    assert "\n" not in msg and msg
    return msg


@pytest.fixture
def cli(capsys, monkeypatch):
    """``python run_sim.py <argv>`` in this process -> (exit status, stderr)."""

    def call(argv: list[str]) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["run_sim.py", *argv])
        with pytest.raises(SystemExit) as info:
            main(argv)
        return int(info.value.code or 0), capsys.readouterr().err

    return call


def one_line(err: str) -> str:
    lines = [x for x in err.strip().splitlines() if not x.startswith("replications")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# ------------------------------------------------------------------ overrides and values
@pytest.mark.parametrize(
    "override, message",
    [
        ("experiment.replications=1000000000", "experiment.replications=1000000000: must be <="),
        ("experiment.hours=nan", "experiment.hours=nan: must be a finite number"),
        ("experiment.hours=inf", "experiment.hours=inf: must be a finite number"),
        ("experiment.hours=100000", "experiment.hours=100000: must be <= 9600"),
        ("scenario.storm.closures_mean=inf", "scenario.storm.closures_mean=inf: must be a finite"),
        ("scenario.storm.incidents_per_100k=1e12", "scenario.storm.incidents_per_100k=1e+12"),
        ("scenario.storm.closure_hours_sigma=50", "scenario.storm.closure_hours_sigma=50"),
        ("layout.teams.community.count=1000000", "layout.teams.community.count=1000000: must be"),
        ("experiment.seed=-1", "experiment.seed=-1: must be >= 0"),
        ("district.forest_area_ha=-5", "district.forest_area_ha=-5.0: must be >= 0"),
        ("district.population_total=-1", "district.population_total=-1: must be >= 0"),
        ("district.targets.warning_lead.threshold=nan", "threshold=nan: must be a finite number"),
        ("experiment.max_failed_share=1.5", "experiment.max_failed_share=1.5: must be within"),
    ],
)
def test_huge_non_finite_and_negative_numbers_are_one_line(override, message):
    assert message in bad([override])


def test_replication_cap_is_configurable():
    conf, _ = prepare(
        compose_config(
            [
                "scenario=storm",
                "experiment.replications=20000",
                "experiment.max_replications_cap=20000",
            ]
        )
    )
    assert conf.experiment.replications == 20000


def test_misspelt_target_metric_and_missing_threshold():
    msg = bad(["district.targets.warning_lead.metric=warnin_lead_min"])  # storm judges it
    assert "district.targets.warning_lead.metric='warnin_lead_min': no such KPI" in msg
    assert "did you mean warning_lead_min" in msg
    msg = bad(
        [
            "district.targets.fires_out_24h.numerator=fires_out_24h",
            "district.targets.fires_out_24h.denominator=fire",
        ]
    )
    assert "district.targets.fires_out_24h.denominator='fire': no such KPI" in msg


def test_target_without_threshold_in_a_user_file(tmp_path):
    ucd = _user_dir(tmp_path, lambda t: t.replace("    threshold: 45\n", "", 1))
    with pytest.raises(UserError) as info:
        preflight(["--config-dir", str(ucd), "district=mine", "layout=bishan", "scenario=storm"])
    msg = str(info.value)
    assert msg.startswith("district.targets.warning_lead.threshold:") and "missing mandatory" in msg
    with pytest.raises(UserError, match=r"^district\.targets\.mine\.metric: Invalid type"):
        preflight(["scenario=storm", "+district.targets.mine.metric=incidents"])


@pytest.mark.parametrize(
    "override, field",
    [
        ("+experiment.foo=1", "experiment.foo: unknown key"),
        ("+layout.teams.community.speed=3", "layout.teams.community.speed: unknown key"),
        ("+nonsense=1", "nonsense: unknown key"),
    ],
)
def test_unknown_key_appended_with_plus_is_refused(override, field):
    assert field in bad([override])


@pytest.mark.parametrize(
    "overrides, line",
    [
        (
            ["experiment.replication=5"],
            "experiment.replication=5: no key 'replication' in experiment"
            " (did you mean 'replications'?)",
        ),
        (
            ["scenario=storm", "scenario.storm.closures_meen=10"],
            "scenario.storm.closures_meen=10: no key 'closures_meen' in scenario.storm"
            " (did you mean 'closures_mean'?)",
        ),
        (
            ["layout.teams.nonexistent.count=3"],
            "layout.teams.nonexistent.count=3: no key 'nonexistent' in layout.teams (keys: "
            "fire_qinggang, fire_bicheng, district_team, community)",
        ),
        (
            ["scenario=fire_season", "scenario.storm.closures_mean=10"],
            "scenario.storm.closures_mean=10: scenario.storm is switched off (null) in this"
            " config (scenario=fire_season has no such section)",
        ),
    ],
)
def test_a_misspelt_or_switched_off_key_is_named_with_what_exists(overrides, line):
    """Hydra says only 'Could not override' (or an assertion about NoneType): the line says
    which part is wrong and what there is instead."""
    with pytest.raises(UserError) as info:
        preflight(overrides)
    assert str(info.value).startswith(line) and "\n" not in str(info.value)


@pytest.mark.parametrize("mode", [[], ["scenario=storm"]])
def test_an_unknown_design_scenario_names_the_target_field(mode):
    with pytest.raises(UserError) as info:
        preflight([*mode, "district.targets.rescue_response.scenario=stormy"])
    assert str(info.value).startswith(
        "district.targets.rescue_response.scenario='stormy': no such scenario (available: "
    )


def test_a_threshold_outside_its_metrics_range_is_refused():
    msg = bad(["district.targets.rescue_response.threshold=2"])
    assert msg.startswith("district.targets.rescue_response.threshold=2: share_within_standard")
    assert "[0, 1]" in msg


def test_bad_override_syntax_names_the_field():
    with pytest.raises(UserError, match=r"^experiment\.seed: bad override syntax"):
        preflight(["scenario=storm", "experiment.seed=[1,2"])
    with pytest.raises(UserError, match=r"^layout\.teams\.community\.count: bad override syntax"):
        preflight(["scenario=storm", "layout.teams.community.count=5)"])


def test_sweep_with_a_bad_member_past_the_64th_is_caught(tmp_path):
    seeds = ",".join(str(s) for s in range(MAX_PREFLIGHT_COMBOS + 6))
    argv = ["-m", "scenario=storm", f"experiment.seed={seeds},-5"]
    argv.append(f"hydra.sweep.dir={tmp_path / 'sw'}")
    with pytest.raises(UserError, match=r"experiment\.seed=-5: must be >= 0"):
        preflight(argv)
    # more combinations than the cap: each member of each sweep is still validated
    counts = ",".join(str(c) for c in range(1, 10))
    argv = [
        "-m",
        "scenario=storm",
        f"layout.teams.community.count={counts}",
        "scenario.storm.closures_mean=1,2,3,4,5,6,7,8,nan",
        f"hydra.sweep.dir={tmp_path / 'sw2'}",
    ]
    with pytest.raises(UserError, match=r"scenario\.storm\.closures_mean=nan: must be a finite"):
        preflight(argv)
    assert not (tmp_path / "sw").exists() and not (tmp_path / "sw2").exists()


def test_group_sweep_with_a_bad_district_value(tmp_path):
    argv = ["-m", "scenario=storm", "district=bishan,fengdu", "layout.teams.community.count=2"]
    with pytest.raises(UserError, match=r"layout\.teams\.community"):  # Fengdu has no such team
        preflight([*argv, f"hydra.sweep.dir={tmp_path / 'sw'}"])


# ------------------------------------------------------------------ config files
def _user_dir(tmp_path: Path, text_edit=None, name: str = "mine") -> Path:
    d = tmp_path / "myconf" / "district"
    d.mkdir(parents=True)
    text = (CONF / "district" / "bishan.yaml").read_text(encoding="utf-8")
    text = text.replace("name: bishan", f"name: {name}", 1)
    (d / f"{name}.yaml").write_text(text_edit(text) if text_edit else text, encoding="utf-8")
    return d.parent


def test_user_config_dir_is_honoured(tmp_path):
    ucd = _user_dir(tmp_path)
    preflight(
        ["--config-dir", str(ucd), "district=mine", "layout=bishan", "scenario=storm"]
    )  # no error
    with pytest.raises(UserError, match="--config-dir .*: no such folder"):
        preflight(["--config-dir", str(tmp_path / "nowhere"), "district=mine"])


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda t: t.replace("seat:", "seat: x\nseat:", 1),
            r"mine\.yaml:\d+: duplicate key 'seat' \(field district\.seat\)",
        ),
        (
            lambda t: t.replace("\n  warning_lead:", "\n\twarning_lead:", 1),
            r"mine\.yaml:\d+: a tab character; indent with spaces "
            r"\(field district\.targets\.warning_lead\)",
        ),
        (
            lambda t: t.replace("    threshold: 45\n", "    threshold: 45\n    threshold: 50\n", 1),
            r"duplicate key 'threshold' \(field district\.targets\.warning_lead\.threshold\)",
        ),
    ],
)
def test_duplicate_keys_and_tabs_name_file_line_and_field(tmp_path, cli, edit, message):
    ucd = _user_dir(tmp_path, edit)
    out = tmp_path / "out"
    argv = ["--config-dir", str(ucd), "district=mine", "scenario=storm", f"hydra.run.dir={out}"]
    code, err = cli(argv)
    assert code == 2
    line = one_line(err)
    assert str(ucd / "district" / "mine.yaml") in line
    assert __import__("re").search(message, line), line
    assert not out.exists()


def _bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_in_a_district_file_is_refused_fast(tmp_path, cli):
    ucd = _user_dir(tmp_path, lambda t: t + _bomb())
    t0 = time.perf_counter()
    code, err = cli(["--config-dir", str(ucd), "district=mine", "scenario=storm"])
    assert code == 2 and time.perf_counter() - t0 < 30
    assert f"aliases expand to more than {MAX_NODES:,} values" in one_line(err)
    # a recursive alias and an oversized file are refused too
    p = tmp_path / "rec.yaml"
    p.write_text("a: &a [*a]\n")
    with pytest.raises(ConfigError, match="recursive YAML alias"):
        check_yaml_file(p)
    p.write_text("x: " + "1" * (2 << 20) + "\n")
    with pytest.raises(ConfigError, match="larger than"):
        check_yaml_file(p)


def test_xml_entity_bomb_in_a_network_file_is_refused_fast(tmp_path):
    ents = ['<!ENTITY e0 "lol">'] + [f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10)]
    p = tmp_path / "bomb.graphml"
    p.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE g [' + "".join(ents) + "]>\n"
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="undirected">'
        '<node id="&e9;"/></graph></graphml>\n'
    )
    t0 = time.perf_counter()
    msg = bad([f"district.network={p}"])
    assert msg.startswith("district.network:") and "amplification" in msg
    assert time.perf_counter() - t0 < 30


def test_resolvers_are_refused_and_never_reach_outputs(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "hunter2")
    msg = bad(["district.name_zh=${oc.env:SECRET_TOKEN}"])
    assert "district.name_zh: resolver '${oc.env:...}' is not allowed" in msg
    ucd = _user_dir(tmp_path, lambda t: t.replace("name_zh: 璧山区", "name_zh: ${oc.env:HOME}"))
    with pytest.raises(UserError, match=r"district\.name_zh: resolver"):
        preflight(["--config-dir", str(ucd), "district=mine", "layout=bishan", "scenario=storm"])
    # plain interpolations (the shipped configs use them) stay fine
    prepare(compose_config(["scenario=flood"]))  # flood.district: ${district.name}


def test_a_config_naming_code_for_hydra_to_run_is_refused(tmp_path, cli):
    """Failure-mode review: a shared district file (``# @package _global_``) with
    ``hydra.callbacks.x._target_: builtins.open`` made Hydra create a file outside the run
    folder (``pandas.read_pickle`` ran a pickle); a logging handler or ``output_subdir``
    wrote outside it. Each is now refused before Hydra builds or writes anything."""
    outside = tmp_path / "OUTSIDE.txt"
    shared = tmp_path / "myconf" / "district"
    shared.mkdir(parents=True)
    (shared / "shared.yaml").write_text(
        "# @package _global_\ndefaults:\n  - /district/bishan@district\nhydra:\n"
        f"  callbacks:\n    log:\n      _target_: builtins.open\n      _args_: [{outside}, w]\n"
    )
    run = tmp_path / "run"
    code, err = cli(
        ["--config-dir", str(shared.parent), "district=shared", "layout=bishan",
         "scenario=storm", "experiment.replications=1", f"hydra.run.dir={run}"]
    )  # fmt: skip
    assert code == 2 and not outside.exists() and not run.exists()
    assert one_line(err) == (
        "error: hydra.callbacks.log._target_=builtins.open: not allowed (a config may not name "
        "code to run; Hydra's own launchers, sweepers and this tool's callback only)"
    )
    for override, problem in (
        ("+hydra.callbacks.x._target_=pandas.read_pickle", "_target_=pandas.read_pickle: not"),
        ("hydra.callbacks.multirun_summary.x._target_=builtins.exec", "x._target_=builtins.exec"),
        (f"hydra.job_logging.handlers.file.filename={outside}", "must stay inside the run folder"),
        ("hydra.job_logging.handlers.file.class=builtins.exec", "class=builtins.exec: not"),
        ("+hydra.job_logging.handlers.file.stream=ext://antigravity", "ext:// imports code"),
        ("hydra.output_subdir=../../x", "hydra.output_subdir=../../x: must be a folder inside"),
        ("hydra.sweeper._target_=hydra.utils.call", "hydra.sweeper._target_=hydra.utils.call"),
    ):
        code, err = cli(["scenario=storm", override, f"hydra.run.dir={run}"])
        assert code == 2 and problem in one_line(err), (override, err)
        assert not run.exists() and not outside.exists()
    from sim.config.checks import refuse_hydra_code  # ("()" cannot be an override key)

    with pytest.raises(ConfigError, match=r"formatters\.f\.\(\): a logging factory"):
        refuse_hydra_code({"job_logging": {"formatters": {"f": {"()": "builtins.exec"}}}})
    # Hydra's own defaults and the shipped callback pass
    preflight(["scenario=storm", "hydra.job_logging.root.level=DEBUG", f"hydra.run.dir={run}"])


# ------------------------------------------------------------------ output folders
def test_earlier_run_folder_is_not_reused_without_resume(tmp_path, cli):
    run = tmp_path / "run"
    run.mkdir()
    (run / "summary.json").write_text('{"earlier": true}')
    code, err = cli(["scenario=storm", "experiment.replications=1", f"hydra.run.dir={run}"])
    assert code == 2
    assert "holds an earlier run (summary.json)" in one_line(err)
    assert "experiment.resume=true" in err
    assert sorted(p.name for p in run.iterdir()) == ["summary.json"]  # not even .hydra
    assert (run / "summary.json").read_text() == '{"earlier": true}'


def test_an_interval_sweep_is_one_line_not_a_traceback(tmp_path, cli):
    """Failure-mode review: interval(0,10) in a sweep printed Hydra's traceback."""
    sweep = tmp_path / "sweep"
    argv = ["-m", "scenario=storm", "layout.teams.community.assembly_min=interval(0,10)"]
    code, err = cli([*argv, f"hydra.sweep.dir={sweep}"])
    assert code == 2 and not sweep.exists()
    assert one_line(err).startswith(
        "error: layout.teams.community.assembly_min: 'layout.teams.community.assembly_min="
        "interval(0,10)' cannot be listed as jobs"
    )


def test_earlier_sweep_folder_is_not_reused_without_resume(tmp_path, cli):
    sweep = tmp_path / "sweep"
    (sweep / "0_bishan_storm_bishan").mkdir(parents=True)
    (sweep / "multirun.yaml").write_text("earlier")
    code, err = cli(["-m", "scenario=storm", "experiment.seed=1,2", f"hydra.sweep.dir={sweep}"])
    assert code == 2 and "hydra.sweep.dir=" in one_line(err) and "earlier run" in err
    assert (sweep / "multirun.yaml").read_text() == "earlier"


def test_a_sweep_over_how_runs_are_executed_is_refused_before_it_starts(tmp_path, cli):
    """Analyst review: a sweep over experiment.executor aborted halfway (its jobs share one
    folder: the key is not in the folder names) and wrote no summary."""
    sweep = tmp_path / "sweep"
    for key, values in (("experiment.executor", "serial,processes"), ("experiment.workers", "1,2")):
        code, err = cli(["-m", "scenario=storm", f"{key}={values}", f"hydra.sweep.dir={sweep}"])
        assert code == 2 and one_line(err).startswith(f"error: {key}: a sweep over how the runs")
        assert not sweep.exists()


def test_unwritable_output_folders_are_one_line(tmp_path, cli):
    afile = tmp_path / "afile"
    afile.write_text("x")
    cases = [
        ("/dev/null", "hydra.run.dir=/dev/null: exists and is not a folder"),
        (str(afile / "sub"), f"cannot be created, {afile} is not a folder"),
    ]
    for folder, message in cases:
        code, err = cli(["scenario=storm", f"hydra.run.dir={folder}"])
        assert code == 2 and message in one_line(err)
    ro = tmp_path / "ro"
    ro.mkdir()
    with _read_only(ro):
        code, err = cli(["scenario=storm", f"hydra.run.dir={ro / 'run'}"])
        assert code == 2 and f"cannot write in {ro}" in one_line(err)
        with pytest.raises(OutputError, match=rf"^{ro}/.*(not permitted|Permission denied)"):
            atomic_write_text(ro / "x.json", "{}", ro)
    assert not (ro / "run").exists()


class _read_only:
    """A folder nobody may write in, root included (chmod; for root also chattr +i)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.chattr = folder, False

    def __enter__(self):
        self.folder.chmod(0o555)
        if os.geteuid() == 0:
            r = subprocess.run(["chattr", "+i", str(self.folder)], capture_output=True)
            if r.returncode != 0:
                self.folder.chmod(0o755)
                pytest.skip("running as root without chattr: cannot make a read-only folder")
            self.chattr = True
        return self

    def __exit__(self, *exc):
        if self.chattr:
            subprocess.run(["chattr", "-i", str(self.folder)], check=True)
        self.folder.chmod(0o755)


def test_scheduler_that_is_not_an_address_leaves_no_run_folder(tmp_path, cli):
    out = tmp_path / "out"
    for address, message in [
        ("localhost", "experiment.scheduler='localhost': not a scheduler address"),
        ("tcp://host:99999", "not a scheduler address"),
        ("tcp://127.0.0.1:1", "experiment.scheduler=tcp://127.0.0.1:1: cannot connect"),
    ]:
        argv = ["scenario=storm", "experiment.executor=dask", f"experiment.scheduler={address}"]
        code, err = cli([*argv, f"hydra.run.dir={out}"])
        assert code == 2 and message in one_line(err)
        assert not out.exists()


# ------------------------------------------------------------------ symlinks, atomic writes
def test_symlinks_planted_in_the_run_folder_are_refused(tmp_path, cli):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    run = tmp_path / "run"
    run.mkdir()
    (run / "summary.json").symlink_to(victim)
    code, err = cli(["scenario=storm", "experiment.resume=true", f"hydra.run.dir={run}"])
    assert code == 2 and "summary.json: is a symbolic link" in one_line(err)
    assert victim.read_text() == "precious"
    # a link made after the pre-flight check (or one planted in replications/) is refused
    # at write time too, and the rename never writes through it
    stage = staging(run)
    (stage / "summary.json").write_text("new")
    with pytest.raises(OutputError, match="is a symbolic link"):
        publish(stage, run)
    (run / "summary.json").unlink()
    (run / "replications").symlink_to(tmp_path)
    ck = Checkpoints(run / "replications", "fp", root=run)
    res = experiment.run_one_safe(config("serial", 1), NET, 0)
    with pytest.raises(OutputError, match="replications: is a symbolic link"):
        ck.save(res)
    with pytest.raises(OutputError, match="is a symbolic link"):
        ck.existing()
    assert victim.read_text() == "precious" and not list(tmp_path.glob("rep_*"))


def test_outputs_are_published_atomically_and_only_inside_the_folder(tmp_path):
    run = tmp_path / "run"
    stage = staging(run)
    (stage / "a.csv").write_text("1")
    (stage / "sub").mkdir()
    (stage / "sub" / "b.csv").write_text("2")
    assert sorted(p.name for p in publish(stage, run)) == ["a.csv", "b.csv"]
    assert not stage.exists() and (run / "sub" / "b.csv").read_text() == "2"
    with pytest.raises(OutputError, match="outside the run folder"):
        atomic_write_text(tmp_path / "elsewhere.txt", "x", run)


# ------------------------------------------------------------------ checkpoints
@pytest.fixture
def checkpointed(tmp_path):
    """A run folder with two signed checkpoints (rescue tables included)."""
    run = tmp_path / "run"
    cfg = config("serial", 2)
    cfg.experiment.save_events = True
    ck = Checkpoints(run / "replications", "fp-1", root=run)
    results = experiment.run_replications(cfg, NET, checkpoints=ck)
    return run, ck, results


def test_checkpoints_round_trip_exactly_as_json(checkpointed):
    run, ck, results = checkpointed
    loaded = ck.existing()
    assert sorted(loaded) == [0, 1]
    for r in results:
        back = loaded[r.rep]
        assert back.kpis.keys() == r.kpis.keys()
        pd.testing.assert_frame_equal(_kpis([back]), _kpis([r]))
        for name, table in r.tables.items():
            pd.testing.assert_frame_equal(back.tables[name], table.reset_index(drop=True))
        pd.testing.assert_frame_equal(back.events, r.events.reset_index(drop=True))
    text = (run / "replications" / "rep_00000.json").read_bytes()
    head, _, payload = text.partition(b"\n")
    assert json.loads(head)["format"] == "district-sim-checkpoint" and json.loads(payload)


def test_crafted_pickle_is_never_loaded(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    folder = tmp_path / "run" / "replications"
    folder.mkdir(parents=True)
    for name in ("rep_00000.pkl", "rep_00000.json"):
        (folder / name).write_bytes(pickle.dumps(Evil()))
        with pytest.raises(CheckpointError):
            Checkpoints(folder, "fp-1").existing()
        (folder / name).unlink()
    assert not marker.exists()


def test_edited_foreign_or_unexpected_checkpoints_are_refused(checkpointed, tmp_path):
    run, ck, _ = checkpointed
    p = run / "replications" / "rep_00001.json"
    original = p.read_bytes()
    head, _, payload = original.partition(b"\n")
    body = json.loads(payload)
    body["kpis"]["incidents"] = 363.0  # an edit keeping the old signature
    p.write_bytes(head + b"\n" + json.dumps(body).encode())
    with pytest.raises(CheckpointError, match="rep_00001.json: signature does not match"):
        ck.existing()
    p.write_bytes(original)
    # another key (another user or machine) and another config are refused
    with pytest.raises(CheckpointError, match="signature does not match"):
        Checkpoints(ck.folder, "fp-1", root=run, key=b"k" * 32).existing()
    with pytest.raises(CheckpointError, match="made with a different config"):
        Checkpoints(ck.folder, "fp-2", root=run).existing()
    # a checkpoint renamed to pose as another replication
    os.rename(p, run / "replications" / "rep_00007.json")
    with pytest.raises(CheckpointError, match="holds replication 1, not 7"):
        ck.existing()
    os.rename(run / "replications" / "rep_00007.json", p)
    (run / "replications" / "notes.txt").write_text("hello")
    with pytest.raises(CheckpointError, match="notes.txt: unexpected entry"):
        ck.existing()


def test_resume_in_the_cli_refuses_an_edited_checkpoint(checkpointed, cli):
    run, _, _ = checkpointed
    p = run / "replications" / "rep_00000.json"
    head, _, payload = p.read_bytes().partition(b"\n")
    p.write_bytes(head + b"\n" + payload.replace(b'"rep":0', b'"rep":0 ', 1))
    before = {q.name: q.read_bytes() for q in (run / "replications").iterdir()}
    argv = ["scenario=storm", "experiment.replications=2", "experiment.executor=serial"]
    argv.append("experiment.resume=true")
    code, err = cli([*argv, f"hydra.run.dir={run}"])
    assert code == 2
    assert "rep_00000.json: signature does not match" in one_line(err)
    assert {q.name: q.read_bytes() for q in (run / "replications").iterdir()} == before
    assert not (run / "summary.json").exists()


# ------------------------------------------------------------------ faults
def _die_once(marker: Path, rep: int):
    real = experiment.run_one

    def run_one(cfg, net, r):
        if r == rep and not marker.exists():
            marker.write_text("died")
            os.kill(os.getpid(), signal.SIGKILL)
        return real(cfg, net, r)

    return run_one


def test_killed_worker_replication_is_rerun_and_others_finish(tmp_path, monkeypatch):
    serial = _kpis(experiment.run_replications(config("serial", 5), NET))
    monkeypatch.setattr(experiment, "run_one", _die_once(tmp_path / "died", 2))
    results = experiment.run_replications(config("processes", 5), NET)
    assert (tmp_path / "died").exists()  # the worker really was killed
    assert all(not r.error for r in results)
    pd.testing.assert_frame_equal(_kpis(results), serial)


def test_replication_that_always_kills_its_worker_is_recorded_failed(monkeypatch):
    real = experiment.run_one

    def run_one(cfg, net, r):
        if r == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(cfg, net, r)

    monkeypatch.setattr(experiment, "run_one", run_one)
    results = experiment.run_replications(config("processes", 4), NET)
    assert [r.rep for r in results] == [0, 1, 2, 3]
    assert results[1].error == experiment.LOST_WORKER
    assert all(not r.error for r in results if r.rep != 1)


def test_dask_survives_a_lost_worker(tmp_path, monkeypatch):
    pytest.importorskip("dask.distributed")
    import dask

    serial = _kpis(experiment.run_replications(config("serial", 4), NET))
    monkeypatch.setattr(experiment, "run_one", _die_once(tmp_path / "died", 1))
    with dask.config.set({"distributed.worker.multiprocessing-method": "fork"}):
        cfg = config("dask", 4)
        cfg.experiment.reps_per_task = 1
        results = experiment.run_replications(cfg, NET)
    assert (tmp_path / "died").exists()
    pd.testing.assert_frame_equal(_kpis(results), serial)


def test_every_replication_failed_exits_1_with_one_line(tmp_path, monkeypatch, cli):
    def boom(cfg, net, rep):
        raise RuntimeError("model bug")

    monkeypatch.setattr(experiment, "run_one", boom)
    run = tmp_path / "run"
    argv = ["scenario=storm", "experiment.replications=2", "experiment.executor=serial"]
    argv.append(f"hydra.run.dir={run}")
    monkeypatch.setattr(sys, "argv", ["run_sim.py", *argv])
    code, err = cli(argv)
    assert code == 1
    line = one_line(err)
    assert "2 of 2 replications failed" in line and "RuntimeError: model bug" in line
    summary = json.loads((run / "summary.json").read_text())
    assert [f["rep"] for f in summary["failed_replications"]] == [0, 1]
    assert summary["failed_replications"][0]["seed"] == 20261124


def test_max_failed_share_allows_some_failures(tmp_path, monkeypatch):
    from sim.run.app import run

    real = experiment.run_one

    def flaky(cfg, net, rep):
        if rep == 0:
            raise RuntimeError("boom")
        return real(cfg, net, rep)

    monkeypatch.setattr(experiment, "run_one", flaky)
    base = ["scenario=storm", "experiment.replications=2", "experiment.executor=serial"]
    with pytest.raises(RunFailed, match="1 of 2 replications failed"):
        run(compose_config(base), tmp_path / "a")
    summary = run(compose_config([*base, "experiment.max_failed_share=0.5"]), tmp_path / "b")
    assert summary["replications_ok"] == 1


def _run_args(out: Path) -> list[str]:
    """Replications of about a second each (Fengdu's design flood evacuation), 2 workers."""
    return [
        "scenario=flood_evacuation",
        "district=fengdu",
        "experiment.replications=4",
        "experiment.workers=2",
        f"hydra.run.dir={out}",
    ]


def _start_run(out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "run_sim.py"), *_run_args(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _workers(p: subprocess.Popen, out: Path, checkpointed: bool) -> list[int]:
    """The pool workers of a running ``run_sim.py`` (once one replication is saved)."""
    for _ in range(1200):
        if p.poll() is not None:
            break
        kids = Path(f"/proc/{p.pid}/task/{p.pid}/children").read_text().split()
        saved = list((out / "replications").glob("rep_*.json"))
        if len(kids) >= 2 and (saved or not checkpointed):
            return [int(k) for k in kids]
        time.sleep(0.1)
    raise AssertionError(f"run ended before the test could interrupt it: {p.communicate()}")


def _gone(pids: list[int], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        alive = [k for k in pids if Path(f"/proc/{k}").exists() and not _zombie(k)]
        if not alive:
            return True
        time.sleep(0.1)
    return False


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_ctrl_c_is_one_line_no_orphans_and_resumable(tmp_path):
    out = tmp_path / "run"
    p = _start_run(out)
    workers = _workers(p, out, checkpointed=True)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130
    line = one_line(err)
    assert line.startswith("interrupted:") and f"hydra.run.dir={out}" in line
    assert _gone(workers)
    kept = {p.name for p in (out / "replications").glob("rep_*.json")}
    assert kept
    # resume: the kept replications are not run again and the run completes
    r = subprocess.run(
        [sys.executable, str(ROOT / "run_sim.py"), *_run_args(out), "experiment.resume=true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replications_ok"] == 4


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_killing_the_main_process_leaves_no_pool_workers(tmp_path):
    out = tmp_path / "run"
    p = _start_run(out)
    workers = _workers(p, out, checkpointed=False)
    p.kill()
    p.communicate(timeout=60)
    assert _gone(workers), "pool workers outlived the main process"


# ------------------------------------------------------------------ KPI names
def test_each_module_declares_exactly_the_kpis_it_emits():
    from sim.modules import RESPONSE_MODULES
    from sim.run.metrics import RUN_KPI_NAMES, replication_kpis
    from sim.run.replication import run_replication

    seen: dict[str, set[str]] = {m.__name__: set() for m in RESPONSE_MODULES}
    run_level: set[str] = set()
    for overrides in (["scenario=storm"], ["scenario=fire_extreme_day"], FLOOD_EVAC):
        conf, net = prepare(compose_config(overrides))
        rep = run_replication(conf, net, 0)
        ev = rep.events()
        for m in RESPONSE_MODULES:
            got = set(m.kpis(rep, ev))
            assert got <= set(m.KPI_NAMES), (m.__name__, got - set(m.KPI_NAMES))
            seen[m.__name__] |= got
        run_level |= set(replication_kpis(rep)) - set().union(
            *(m.KPI_NAMES for m in RESPONSE_MODULES)
        )
    for m in RESPONSE_MODULES:  # every declared name is produced by some scenario
        assert seen[m.__name__] == set(m.KPI_NAMES), m.__name__
        for name, spec in m.kpi_specs().items():  # the estimation specs name known KPIs
            assert {name, *(spec.ratio or ())} <= set(m.KPI_NAMES), (m.__name__, name)
    assert run_level == set(RUN_KPI_NAMES)


FLOOD_EVAC = ["scenario=flood_evacuation", "district=fengdu"]

SHIPPED_SCENARIOS = sorted(
    p.stem
    for p in (Path(__file__).resolve().parent.parent / "conf" / "scenario").glob("*.yaml")
    if p.stem not in ("audit", "flood_evacuation_stress")  # (the stress run: 1-2 s a replication)
)


def test_the_warning_sections_are_exactly_the_hazards_that_warn():
    """``sim.evacuation.WARNING_SECTIONS`` (which scenario sections may give warning KPIs)
    is kept by hand: a hazard generator that issues a WarningIssued, itself or through the
    generators it calls (a cascade's storm, flood and landslide), must be listed, or a search
    on its warning reach would be refused."""
    import importlib
    import inspect
    import re

    from scenarios import GENERATORS
    from sim.evacuation import WARNING_SECTIONS

    def warns(module, seen: set[str]) -> bool:
        src = inspect.getsource(module)
        if "WarningIssued(" in src:
            return True
        seen.add(module.__name__)
        called = re.findall(r"^from scenarios import ([\w, ]+)$", src, re.M)
        names = [n.strip() for line in called for n in line.split(",")]
        return any(
            warns(importlib.import_module(f"scenarios.{n}"), seen)
            for n in names
            if f"scenarios.{n}" not in seen
        )

    warning = {s for s, gen in GENERATORS.items() if warns(inspect.getmodule(gen), set())}
    assert warning == set(WARNING_SECTIONS)
    assert "cascade" in warning and "earthquake" not in warning  # (the check sees through)


@pytest.mark.parametrize("scenario", SHIPPED_SCENARIOS)
def test_each_module_produces_what_it_says_it_produces(scenario):
    """``produces(cfg)``, which the pre-flight checks a search objective and compared KPIs
    against, holds every KPI a replication of that scenario returns, and is exactly them
    except where a draw decides (public warning reach: only where a warning went out)."""
    from sim.evacuation.metrics import WARNING_KPI_NAMES
    from sim.modules import RESPONSE_MODULES
    from sim.run.app import produced_kpis
    from sim.run.metrics import replication_kpis
    from sim.run.replication import run_replication

    conf, net = prepare(compose_config([f"scenario={scenario}"]))
    rep = run_replication(conf, net, 0)
    ev = rep.events()
    for m in RESPONSE_MODULES:
        got, says = set(m.kpis(rep, ev)), m.produces(conf)
        assert got <= says, (m.__name__, got - says)
        assert says - got <= set(WARNING_KPI_NAMES), (m.__name__, says - got)
    assert set(replication_kpis(rep)) <= produced_kpis(conf)


# ------------------------------------------------------------------ property test
def _numeric_fields(overrides: list[str]) -> list[str]:
    from dataclasses import fields, is_dataclass

    conf, _ = prepare(compose_config(overrides))
    out: list[str] = []

    def walk(obj, path):
        if is_dataclass(obj):
            for f in fields(obj):
                walk(getattr(obj, f.name), f"{path}.{f.name}" if path else f.name)
        elif isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, f"{path}.{k}")
        elif isinstance(obj, int | float) and not isinstance(obj, bool):
            out.append(path)

    walk(conf, "")
    return sorted(out)


STORM = ["scenario=storm", "experiment.replications=1", "experiment.executor=serial"]
_BASES: dict = {}


def _base(overrides: tuple[str, ...]):
    if overrides not in _BASES:
        _BASES[overrides] = compose_config(list(overrides))
    return _BASES[overrides]


VALUES = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "0", "-1", "1e-9", "1e300", "10**9"]),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=0, max_value=1e4).map(repr),
)


class _CpuTimeout(Exception):
    pass


def _on_cpu_limit(signum, frame):
    raise _CpuTimeout


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_any_numeric_override_runs_or_is_one_line(data):
    """Random values for every numeric field of the default config: each is refused in one
    line or runs a replication without error (within 60 s of CPU: no hang)."""
    field = data.draw(st.sampled_from(STORM_FIELDS), label="field")
    value = data.draw(VALUES, label="value")
    value = "1000000000" if value == "10**9" else value
    try:
        cfg = apply_overrides(_base(tuple(STORM)), [f"{field}={value}"])
        conf, net = prepare(cfg)
    except UserError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    old = signal.signal(signal.SIGVTALRM, _on_cpu_limit)
    signal.setitimer(signal.ITIMER_VIRTUAL, 60.0)
    try:
        res = experiment.run_one_safe(conf, net, 0)
    except _CpuTimeout:
        pytest.fail(f"{field}={value}: accepted but the replication ran over 60 s of CPU")
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, old)
    assert not res.error, f"{field}={value}: accepted but the replication failed: {res.error}"


STORM_FIELDS = _numeric_fields(STORM)


@pytest.mark.parametrize("value", ["nan", "1e300"])
def test_numeric_override_through_the_real_command_line(tmp_path, value):
    out = tmp_path / "out"
    r = subprocess.run(
        [sys.executable, str(ROOT / "run_sim.py"), f"scenario.storm.duration_h={value}"]
        + [f"hydra.run.dir={out}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 2
    assert one_line(r.stderr).startswith("error: scenario.storm.duration_h=")
    assert not out.exists()
