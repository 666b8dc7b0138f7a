"""The command line as a planner uses it: outputs, determinism, multirun, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
FAST = ["experiment.replications=3", "experiment.executor=serial"]
RUN_INFO_KEYS = {"wall_time_s", "numpy"}  # run_info.json of every mode (README, Output files)


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "run_sim.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_default_run_is_the_plan_audit(tmp_path):
    """No scenario given: every target of the district judged on its design scenario."""
    out = tmp_path / "audit"
    r = run_cli("experiment.replications=2", "experiment.executor=serial", f"hydra.run.dir={out}")
    assert r.returncode == 0, r.stderr
    audit = json.loads((out / "summary.json").read_text())
    assert audit["mode"] == "audit" and set(audit["scenarios"]) == {
        "storm",
        "fire_season",
        "flood_evacuation",
    }
    keys = {t["key"]: t for t in audit["targets"]}
    assert set(keys) == {
        "warning_reach", "warning_lead", "rescue_response", "fires_out_24h", "forest_damage_share",
        "relief_stock", "relief_stock_remote_town", "relocation_sheltered",
        "relocation_none_caught", "needs_met_24h",
    }  # fmt: skip
    assert all(t["verdict"] != "NOT MODELLED" for t in audit["targets"]), audit["targets"]
    assert keys["warning_lead"]["verdict"] == "INPUT"
    assert keys["relief_stock"]["provenance"] == "computed"
    assert keys["relief_stock"]["contributors"]  # the limiting item is named
    for scen in audit["scenarios"]:
        assert (out / scen / "kpis.csv").exists() and (out / scen / "network_map.png").exists()
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.index("Verdicts on the plan") < page.index("Plan inputs checked")
    assert page.count("data:image/png;base64,") >= 6
    assert "FAIL" in r.stdout and "[computed" in r.stdout  # "[computed; assumed input]" too
    assert set(json.loads((out / "run_info.json").read_text())) == RUN_INFO_KEYS
    assert "wall_time_s" not in audit


def test_single_scenario_run_writes_outputs_and_is_deterministic(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    r = run_cli("scenario=storm", *FAST, f"hydra.run.dir={a}")
    assert r.returncode == 0, r.stderr
    for name in (
        "config.yaml",
        "summary.json",
        "kpis.csv",
        "targets.csv",
        "incidents.csv",
        "report.html",
        "response_time_cdf.png",
        "network_map.png",
    ):
        assert (a / name).exists(), name
    assert "verdict" in r.stdout and "warning_reach" in r.stdout
    assert set(json.loads((a / "run_info.json").read_text())) == RUN_INFO_KEYS
    # run_sim.log: what the console showed, each line with its time (README, Output files)
    log = (a / "run_sim.log").read_text(encoding="utf-8").splitlines()
    verdict_line = next(ln for ln in r.stdout.splitlines() if ln.startswith("warning_reach"))
    assert any(ln.startswith("[20") and ln.endswith(verdict_line) for ln in log), log[:5]
    assert any("[stderr] replications (storm): 3/3" in ln for ln in log)
    assert (a / "kpis.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for Excel
    # clock times name their unit (README, Output files)
    inc_cols = (a / "incidents.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert {"alarm_min", "first_arrival_min", "response_min"} <= set(inc_cols)
    assert "t_min" in (a / "road_closures.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert run_cli("scenario=storm", *FAST, f"hydra.run.dir={b}").returncode == 0
    assert (a / "summary.json").read_text() == (b / "summary.json").read_text()
    assert (
        run_cli("scenario=storm", *FAST, "experiment.seed=99", f"hydra.run.dir={c}").returncode == 0
    )
    sa, sc = (
        json.loads((a / "summary.json").read_text()),
        json.loads((c / "summary.json").read_text()),
    )
    assert sa["kpis"] != sc["kpis"]


def test_a_harsher_storm_changes_the_audit_verdict_table(tmp_path):
    """scenario.storm.* overrides reach the storm design scenario of the audit (and only it)."""
    from sim.cli import audit_runs, compose_config

    base = compose_config([])
    runs = {r.name: r for r in audit_runs(["scenario.storm.closures_mean=10"], base)}
    assert runs["storm"].cfg.scenario.storm.closures_mean == 10
    assert runs["fire_season"].skipped == ["scenario.storm.closures_mean=10"]


def test_multirun_over_districts(tmp_path):
    r = run_cli(
        "-m", "district=bishan,fengdu", "scenario=storm", *FAST, f"hydra.sweep.dir={tmp_path}"
    )
    assert r.returncode == 0, r.stderr
    summaries = sorted(tmp_path.glob("*/summary.json"))
    assert [json.loads(p.read_text())["district"] for p in summaries] == ["bishan", "fengdu"]
    # run folders are named by their overrides; one table of all runs in the sweep folder
    assert sorted(p.parent.name for p in summaries) == [
        "district=bishan,experiment.replications=3,scenario=storm",
        "district=fengdu,experiment.replications=3,scenario=storm",
    ]
    table = (tmp_path / "multirun_summary.csv").read_text(encoding="utf-8-sig").splitlines()
    assert table[0].startswith("run,district,scenario,experiment.replications,")
    assert len(table) == 3 and "relief_stock.verdict" in table[0]


def test_a_sweep_resumed_into_its_folder_summarises_only_its_own_jobs(tmp_path):
    """Reviewer: a sweep resumed into a folder with other jobs listed them all in its
    multirun_summary.csv (runs of 2 and of 3 replications in one table)."""
    first = run_cli("-m", "scenario=storm", *FAST, f"hydra.sweep.dir={tmp_path}")
    assert first.returncode == 0, first.stderr
    again = run_cli(
        "-m",
        "scenario=storm",
        "experiment.replications=2",
        "experiment.resume=true",
        f"hydra.sweep.dir={tmp_path}",
    )
    assert again.returncode == 0, again.stderr
    assert "1 run(s) of an earlier launch" in again.stderr
    table = (tmp_path / "multirun_summary.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(table) == 2 and "experiment.replications=2" in table[1], table
    assert len(list(tmp_path.glob("*/summary.json"))) == 2  # (the earlier job is kept)


def test_compare_mode_from_the_command_line(tmp_path):
    over = [
        "experiment=compare",
        "scenario=storm",
        *FAST,
        "compare.variants={more_teams: 'layout.teams.community.count=44'}",
    ]
    r = run_cli(*over, f"hydra.run.dir={tmp_path}")
    assert r.returncode == 0, r.stderr
    assert "paired CI" in r.stdout and "more_teams" in r.stdout
    rows = (tmp_path / "comparison.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("metric,kind,") and ",more_teams,bishan," in rows[1]
    # the command line's overrides as summary.json records them (review: they were dropped)
    assert json.loads((tmp_path / "compare_summary.json").read_text())["overrides"] == over
    assert set(json.loads((tmp_path / "run_info.json").read_text())) == RUN_INFO_KEYS
    bad = run_cli(
        "experiment=compare",
        "scenario=storm",
        *FAST,
        "compare.variants={oops: 'layout.teams.nosuch.count=3'}",
        f"hydra.run.dir={tmp_path / 'bad'}",
    )
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    assert bad.stderr.startswith("error: compare: oops:") and not (tmp_path / "bad").exists()


def test_resume_from_cli_matches_a_fresh_run(tmp_path):
    run_dir, fresh = tmp_path / "run", tmp_path / "fresh"
    assert (
        run_cli(
            "scenario=storm",
            "experiment.replications=2",
            "experiment.executor=serial",
            f"hydra.run.dir={run_dir}",
        ).returncode
        == 0
    )
    r = run_cli(
        "scenario=storm",
        "experiment.replications=4",
        "experiment.executor=serial",
        "experiment.resume=true",
        f"hydra.run.dir={run_dir}",
    )
    assert r.returncode == 0, r.stderr
    assert (
        run_cli(
            "scenario=storm",
            "experiment.replications=4",
            "experiment.executor=serial",
            f"hydra.run.dir={fresh}",
        ).returncode
        == 0
    )
    a = json.loads((run_dir / "summary.json").read_text())
    b = json.loads((fresh / "summary.json").read_text())
    assert a["kpis"] == b["kpis"]
    # the resumed run adds to the first run's log
    log = (run_dir / "run_sim.log").read_text(encoding="utf-8")
    assert log.count("] outputs: ") == 2 and "4 replications" in log and "2 replications" in log


def test_a_single_run_records_its_overrides_in_summary_and_report(tmp_path):
    """A what-if run must never be labelled as the shipped configuration."""
    out = tmp_path / "run"
    over = ["scenario=storm", "layout.teams.community.count=5", "experiment.replications=2"]
    r = run_cli(*over, "experiment.executor=serial", f"hydra.run.dir={out}")
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overrides"] == [*over, "experiment.executor=serial"]  # (not hydra.*)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "None: the shipped configuration" not in page
    assert "<code>layout.teams.community.count=5</code>" in page
    assert "as run, with the layout overrides" in page  # the header's team count is the run's


def _broken_network(tmp_path: Path) -> Path:
    g = nx.read_graphml(ROOT / "networks" / "bishan.graphml")
    first = next(iter(g.nodes))
    del g.nodes[first]["lat"]
    p = tmp_path / "broken.graphml"
    nx.write_graphml(g, p)
    return p


@pytest.mark.parametrize(
    "override, message",
    [
        ("district=nowhere", "district=nowhere: no such district"),
        ("experiment.replications=-3", "experiment.replications=-3: must be > 0"),
        ("experiment.seed=abc", "experiment.seed:"),
        ("district.network=/no/such/file.graphml", "does not exist"),
        ("experiment.nonsense=1", "experiment.nonsense"),
        ("layout.teams.community.home=atlantis", "layout.teams.community.home: unknown node"),
        ("BROKEN", "lacks attribute 'lat'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, override, message):
    if override == "BROKEN":
        override = f"district.network={_broken_network(tmp_path)}"
    out = tmp_path / "out"
    r = run_cli(override, f"hydra.run.dir={out}")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert message in lines[0]
    assert "Traceback" not in r.stderr + r.stdout
    assert not out.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["experiment=compare", "district=fengdu", "scenario=flood_evacuation",
             "compare.layouts=[fengdu,fengdu_prepositioned]", "compare.baseline=nope"],
            "compare.baseline='nope': not an alternative (fengdu, fengdu_prepositioned)",
        ),
        (
            ["experiment=search_fengdu_depots", "search.objective=needs_met_mean"],
            "search.objective: no KPI 'needs_met_mean' (did you mean needs_met_mean_h?)",
        ),
    ],
)  # fmt: skip
def test_a_bad_mode_setting_is_one_line_before_any_run_folder(tmp_path, args, message):
    """Compare and search settings are checked with the rest of the config (analyst review:
    these left .hydra/ and run_sim.log behind, the objective only after replications ran)."""
    out = tmp_path / "out"
    r = run_cli(*args, f"hydra.run.dir={out}")
    assert r.returncode == 2 and r.stderr.strip() == f"error: {message}", r.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["district=fengdu", "robustness.keys=[layout.evacuation.prep_median_mi]"],
            "robustness.keys: no key 'layout.evacuation.prep_median_mi' "
            "(did you mean layout.evacuation.prep_median_min?)",
        ),
        (
            ["district=fengdu", "scenario=flood_evacuation", "robustness.targets=[relocation_shelterd]"],
            "robustness.targets: no target 'relocation_shelterd' (did you mean relocation_sheltered?)",
        ),
    ],
)  # fmt: skip
def test_a_misspelt_robustness_selection_is_one_line_before_any_run_folder(tmp_path, args, message):
    """robustness.keys / robustness.targets are checked in the pre-flight, on the audit's
    design scenarios or the one scenario run (analyst review: a typo left .hydra/ and
    run_sim.log behind)."""
    out = tmp_path / "out"
    r = run_cli("experiment=robustness", *args, f"hydra.run.dir={out}")
    assert r.returncode == 2 and r.stderr.strip() == f"error: {message}", r.stderr
    assert not out.exists()


def test_cfg_job_prints_config_without_running(tmp_path):
    r = run_cli("--cfg", "job", "district=fengdu")
    assert r.returncode == 0, r.stderr
    assert "name: fengdu" in r.stdout


def test_the_did_you_mean_hint_has_one_home_and_keeps_the_messages():
    """The nearest-name hint was written out in app, compare and robustness (analyst review):
    one function now, the messages as they were."""
    from sim.config import TargetConfig
    from sim.core.errors import UserError, did_you_mean
    from sim.run.app import check_targets
    from tests.test_model import make_config

    known = ["response_mean_min", "incidents"]
    assert did_you_mean("respons_mean_min", known) == "did you mean response_mean_min?"
    assert did_you_mean("zzz", known, "known: x") == "known: x"
    conf = make_config()
    for metric, hint in (
        ("respons_mean_min", "did you mean response_mean_min?"),
        ("zzz", "see the KPI list in README"),
    ):
        conf.district.targets = {"rt": TargetConfig(metric=metric, threshold=30)}
        with pytest.raises(UserError) as exc:
            check_targets(conf)
        assert str(exc.value) == f"district.targets.rt.metric='{metric}': no such KPI ({hint})"
    for module in ("app", "compare", "robustness"):
        text = (ROOT / "sim" / "run" / f"{module}.py").read_text(encoding="utf-8")
        assert "get_close_matches" not in text and "did_you_mean(" in text, module


def test_every_mode_writes_its_run_info_through_one_helper():
    """The single run and the audit wrote run_info.json each their own way (different keys);
    compare, search and robustness wrote none (review): one helper now, used by all five."""
    from sim.run.outputs import write_run_info

    root = ROOT / "sim" / "run"
    for module in ("app", "audit", "compare", "search", "robustness"):
        text = (root / f"{module}.py").read_text(encoding="utf-8")
        assert "write_run_info(" in text and 'run_info.json"' not in text, module
    assert write_run_info.__module__ == "sim.run.outputs"


def test_starting_the_tool_imports_no_heavy_library_it_may_not_need():
    """scipy.stats (0.5 s) is for compare/search, matplotlib for the figures, XlsxWriter for
    the workbook (openpyxl for the drill's sheets): none is imported by ``import sim.cli``."""
    import subprocess
    import sys

    code = (
        "import sys, sim.cli; "
        "print(','.join(m for m in ('scipy.stats', 'matplotlib', 'openpyxl', 'xlsxwriter', "
        "'SALib', 'pulp') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_run_with_bootstrap_intervals_never_imports_scipy_stats(tmp_path):
    """The BCa intervals (sim.run.bootstrap) cost no ``import scipy.stats`` (0.4-0.6 s of a
    short run's CPU): a fire season of 20 replications takes them (burned area and the other
    skewed means) and still has not loaded it when its outputs are written."""
    import subprocess
    import sys

    code = (
        "import sys; from sim.cli import main; "
        f"sys.argv = ['run_sim.py', 'scenario=fire_season', 'experiment.replications=20', "
        f"'experiment.executor=serial', 'hydra.run.dir={tmp_path / 'run'}']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED', 'scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "LOADED False" in out.stdout
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    methods = {e.get("method", "") for e in summary["kpis"].values()}
    assert any("BCa" in m for m in methods), methods


def test_a_district_without_targets_is_one_line_not_a_traceback():
    """The plan audit of a district with no targets has nothing to judge (review: an
    IndexError in the pre-flight, a traceback and exit 1)."""
    from omegaconf import open_dict

    from sim.cli import audit_runs, compose_config
    from sim.core.errors import UserError

    cfg = compose_config([])
    with open_dict(cfg):
        cfg.district.targets = {}
    with pytest.raises(UserError, match="district.targets: district 'bishan' has no targets"):
        audit_runs([], cfg)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_refused_resume_leaves_the_earlier_run_folder_byte_identical(tmp_path):
    """A resume with another config was refused only inside Hydra's job, after Hydra had
    rewritten .hydra/ (overrides.yaml then named count=7 beside the old results) and the
    error line had gone into run_sim.log (planner review). The checkpoints are checked in
    the pre-flight now: one line, exit 2, every file of the folder as it was."""
    run_dir = tmp_path / "storm"
    over = ["scenario=storm", "experiment.replications=2", "experiment.executor=serial"]
    assert run_cli(*over, f"hydra.run.dir={run_dir}").returncode == 0
    before = _files(run_dir)
    assert {".hydra/overrides.yaml", ".hydra/config.yaml", "run_sim.log"} <= set(before)
    r = run_cli(
        *over,
        f"hydra.run.dir={run_dir}",
        "experiment.resume=true",
        "layout.teams.community.count=7",
    )
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("error: experiment.resume: ") and len(r.stderr.splitlines()) == 1
    assert "rep_00000.json: made with a different config" in r.stderr
    assert _files(run_dir) == before  # .hydra/, run_sim.log, results: untouched


@pytest.mark.parametrize(
    "override, message",
    [
        ("search.items=[nosuch]", "search.items: 'nosuch' is not in layout.depots ("),
        ("search.budget_runs=10", "search.budget_runs=10: the first stage alone needs 10 x "),
        ("search.reference=nosuch", "search.reference='nosuch': not a baseline (plan"),
        ("search.exclude=[nosuch]", "search.exclude: unknown node 'nosuch'"),
        ("search.demand=[]", "search.demand: empty; name at least one"),  # (failure review)
    ],
)
def test_a_bad_search_input_is_one_line_before_any_run_folder(tmp_path, override, message):
    """These were checked inside run_search, after Hydra had made the run folder (.hydra/,
    run_sim.log; analyst review): the pre-flight check now makes the search's plan."""
    out = tmp_path / "out"
    r = run_cli("experiment=search_fengdu_depots", override, f"hydra.run.dir={out}")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith(f"error: {message}"), r.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["district=fengdu", "scenario=flood_evacuation", 'compare.variants={x: "scenario=storm"}'],
            "compare: alternative 'x' faces another disaster than 'fengdu' "
            "(scenario=storm vs flood_evacuation)",
        ),
        (
            ["district=fengdu", "scenario=storm",
             'compare.variants={bishan: "district=bishan layout=bishan"}'],
            "compare: alternative 'bishan' faces another disaster than 'fengdu' "
            "(district=bishan vs fengdu)",
        ),
    ],
)  # fmt: skip
def test_a_compare_variant_facing_another_disaster_is_refused_before_any_run(
    tmp_path, args, message
):
    """Such variants ran, exit 0, and were called "better" on a "paired" interval (analyst
    review): refused like a change of seed, replications or horizon."""
    out = tmp_path / "out"
    r = run_cli("experiment=compare", *args, f"hydra.run.dir={out}")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith(f"error: {message}"), r.stderr
    assert not out.exists()


def test_hydra_rerun_is_refused_unread_since_it_unpickles_a_run_folder_file(tmp_path):
    """``--experimental-rerun`` made Hydra unpickle ``.hydra/config.pickle``: a pickle
    planted in a run folder ran its code (analyst review, 2026-12-07)."""
    import pickle

    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    planted = tmp_path / "config.pickle"
    planted.write_bytes(pickle.dumps(Evil()))
    for flag in (["--experimental-rerun", str(planted)], [f"--experimental-rerun={planted}"]):
        r = run_cli(*flag)
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith("error: --experimental-rerun is refused")
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not marker.exists()


def test_a_layout_copied_under_a_config_dir_keeps_its_assumed_input_labels(tmp_path):
    """The README's way to add a team is a copy of the layout file; under ``--config-dir``
    its ASSUMPTION notes were not found (only ``conf/`` was searched), so the remote-town
    stock PASS, an echo of assumed stock, read as a plan fact (planner review)."""
    import csv

    (tmp_path / "cd" / "layout").mkdir(parents=True)
    text = (ROOT / "conf" / "layout" / "bishan.yaml").read_text(encoding="utf-8")
    (tmp_path / "cd" / "layout" / "bishan_copy.yaml").write_text(text, encoding="utf-8")
    out = tmp_path / "run"
    r = run_cli(
        "--config-dir",
        str(tmp_path / "cd"),
        "layout=bishan_copy",
        "scenario=storm",
        "experiment.replications=2",
        "experiment.executor=serial",
        f"hydra.run.dir={out}",
    )
    assert r.returncode == 0, r.stderr
    text = (out / "targets.csv").read_text(encoding="utf-8-sig")
    rows = {row["key"]: row for row in csv.DictReader(text.splitlines())}
    assert "layout.depots.town_" in rows["relief_stock_remote_town"]["assumed_inputs"]
    assert "assumed input" in r.stdout
    assert str(tmp_path / "cd") in (out / "report.html").read_text(encoding="utf-8")


def test_experiment_hours_that_a_scenario_overrides_gets_a_note(tmp_path):
    """``experiment.hours=20`` on the design flood (``scenario.hours: 72``) ran 72 h with no
    word (planner review): the pre-flight now says which scenario keeps its own hours."""
    r = run_cli(
        "scenario=flood_evacuation",
        "experiment.hours=20",
        "experiment.replications=1",
        "experiment.executor=serial",
        "--cfg",
        "job",
    )
    assert r.returncode == 0, r.stderr
    assert "note: experiment.hours=20 does not apply to flood_evacuation (72 h)" in r.stderr
    quiet = run_cli("scenario=storm", "experiment.hours=20", "--cfg", "job")
    assert quiet.returncode == 0 and "note:" not in quiet.stderr
