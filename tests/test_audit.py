"""The plan audit: every shipped target judged on a design scenario that produces it.

Also the provenance of every shipped target: computed targets do not move with the dynamics
(another seed, a harsher storm), input targets echo their configured value, simulated ones
come from the runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import audit_runs, compose_config
from sim.core.kpi import COMPUTED, INPUT, SIMULATED
from sim.core.paths import CONF_DIR
from sim.run.app import prepare, run_experiment
from sim.run.metrics import kpi_specs

DISTRICTS = sorted(p.stem for p in (Path(CONF_DIR) / "district").glob("*.yaml"))
EXPECTED = {"relief_stock": COMPUTED, "relief_stock_remote_town": COMPUTED, "warning_lead": INPUT}


@pytest.mark.parametrize("district", DISTRICTS)
def test_every_shipped_target_is_judged_on_its_design_scenario(district):
    base = compose_config([f"district={district}", "experiment.executor=serial"])
    runs = audit_runs([f"district={district}", "experiment.executor=serial"], base)
    scenarios = {p.stem for p in (Path(CONF_DIR) / "scenario").glob("*.yaml")}
    seen = {}
    for run in runs:
        assert run.name in scenarios
        conf, net = prepare(run.cfg)
        # enough to show each metric is produced (Nan'an's first fire season has no fire, and
        # a fire rate with no fire is NOT MODELLED: its third has one)
        conf.experiment.replications = 3 if run.name == "fire_season" else 1
        subset = {k: t for k, t in conf.district.targets.items() if t.scenario == run.name}
        _, verdicts = run_experiment(conf, net, None, progress=False, targets=subset)
        for v in verdicts:
            assert v.verdict != "NOT MODELLED", (district, v.key, v.note)
            seen[v.key] = v
    assert set(seen) == set(base.district.targets)
    specs = kpi_specs()
    for key, v in seen.items():
        assert v.provenance == EXPECTED.get(key, SIMULATED), key
        assert v.provenance == specs[v.metric].provenance if v.metric in specs else SIMULATED
        assert v.source, key  # a seed line or the word ASSUMPTION


def _judge(overrides: list[str], keys: set[str]):
    base = compose_config(["experiment.executor=serial", *overrides])
    out = {}
    for run in audit_runs(["experiment.executor=serial", *overrides], base):
        subset = {k: t for k, t in base.district.targets.items() if k in keys}
        subset = {k: t for k, t in subset.items() if t.scenario == run.name}
        if not subset:
            continue
        conf, net = prepare(run.cfg)
        conf.experiment.replications = 2
        for v in run_experiment(conf, net, None, progress=False, targets=subset)[1]:
            out[v.key] = v
    return out


def test_computed_targets_do_not_move_with_the_dynamics_and_inputs_echo_config():
    keys = {"relief_stock", "warning_lead", "rescue_response"}
    a = _judge([], keys)
    b = _judge(
        [
            "experiment.seed=7",
            "scenario.storm.closures_mean=10",
            "layout.teams.community.assembly_min=90",
        ],
        keys,
    )
    c = _judge(["scenario.storm.warning_lead_min=30"], keys)
    assert a["relief_stock"].estimate == b["relief_stock"].estimate == 4073
    assert c["warning_lead"].estimate == 30 and c["warning_lead"].verdict == "INPUT"
    assert a["rescue_response"].estimate != b["rescue_response"].estimate  # simulated: it moves


def test_run_audit_checks_its_run_folder_as_a_single_run_does(tmp_path, monkeypatch):
    """run_audit relied on the command line's pre-flight check of the run folder (review): a
    direct caller wrote over an earlier run. Now it checks the folder first, as
    sim.run.app.run does (earlier run unless experiment.resume, links), before anything runs."""
    import json

    from sim.core.errors import OutputError
    from sim.run import audit
    from sim.run.audit import run_audit

    over = ["experiment.executor=serial", "experiment.replications=1", "experiment.hours=6"]
    runs = audit_runs(over, compose_config(over))[:1]  # one design scenario is enough

    def must_not_run(*args, **kw):
        raise AssertionError("a replication ran before the run folder was checked")

    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.json").write_text("an earlier run", encoding="utf-8")
    with monkeypatch.context() as m:
        m.setattr(audit, "run_experiment", must_not_run)
        with pytest.raises(OutputError, match=r"holds an earlier run \(summary.json\).*resume"):
            run_audit(runs, out, over)
        assert [p.name for p in out.iterdir()] == ["summary.json"]
        linked = tmp_path / "linked"
        linked.mkdir()
        (linked / runs[0].name).symlink_to(tmp_path)
        runs[0].cfg.experiment.resume = True  # past the earlier-run check: the link is refused
        with pytest.raises(OutputError, match=f"{runs[0].name}: is a symbolic link"):
            run_audit(runs, linked, over)
    run_audit(runs, out, over)  # experiment.resume=true: the earlier run is continued
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["mode"] == "audit"
    info = json.loads((out / "run_info.json").read_text(encoding="utf-8"))
    assert set(info) == {"wall_time_s", "numpy"}  # the single run's keys
