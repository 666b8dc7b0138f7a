"""Robustness screening: planted decisive assumption found, no-effect one not flagged,
bisection brackets the true flip, common random numbers make screenings repeatable."""

from __future__ import annotations

import importlib.util
import json
import math

import numpy as np
import pytest

from sim.config import TargetConfig, UncertaintyRange, validate
from sim.config.checks import ConfigError
from sim.run.robustness import (
    NOT_SCREENED,
    ROBUST,
    Case,
    bisect_flip,
    experiment_judge,
    run_robustness,
    screen_case,
    write_robustness,
)
from sim.run.targets import evaluate
from tests.conftest import assert_planted_link_refused
from tests.test_model import NET, make_config

STD = "layout.rescue.response_standard_min"
PENALTY = "layout.rescue.capability_penalty_min"  # only read by dispatch=capability: no effect here


def _case(threshold: float = 0.6, reps: int = 3) -> Case:
    conf = make_config(teams=1)
    conf.experiment.replications = reps
    conf.layout.rescue.response_standard_min = 60.0
    targets = {
        "response": TargetConfig(
            metric="share_within_standard", comparator=">=", threshold=threshold, scenario="storm"
        ),
        "lead": TargetConfig(metric="warning_lead_min", threshold=30.0, scenario="storm"),
    }
    conf.district.targets = targets
    return Case("storm", conf, NET, targets)


RANGES = {
    STD: UncertaintyRange(20.0, 240.0, "test"),
    PENALTY: UncertaintyRange(0.0, 60.0, "test"),
}


EVENTS = 1e7  # incidents per synthetic replication


def _synthetic_judge(true_flip: float):
    """A known monotone case: the estimate rises with the standard, the penalty does nothing."""
    calls = []

    def judge(conf):
        calls.append(conf.layout.rescue.response_standard_min)
        x = conf.layout.rescue.response_standard_min
        value = 1.0 / (1.0 + math.exp(-(x - true_flip) / 10.0))  # 0.5 exactly at true_flip
        # identical in every replication: the share gets the exact binomial interval over
        # its events (sim.run.targets), so many events keep it narrow around the estimate
        kpis = {
            "incidents_within_standard": np.full(4, EVENTS * value),
            "incidents": np.full(4, EVENTS),
            "warning_lead_min": np.full(4, 45.0),
        }
        t = conf.district.targets
        return {k: evaluate(k, t[k], kpis) for k in t}

    return judge, calls


def test_planted_decisive_assumption_is_found_and_no_effect_one_is_not_flagged():
    case = _case(threshold=0.5)
    # off the bisection grid (40, 50, 45, ...): at the flip itself the estimate sits on the
    # threshold and its exact binomial interval straddles it (INCONCLUSIVE)
    judge, _ = _synthetic_judge(true_flip=44.0)
    screens = {s.key: s for s in screen_case(case, RANGES, judge, steps=4)}
    r = screens["response"]
    assert r.base.verdict == "PASS"  # 60 > 45
    assert {f.key for f in r.flips} == {STD}  # the penalty never flips it
    assert r.flips[0].side == "low" and r.flips[0].to == "FAIL"
    assert r.label.startswith(f"hinges on {STD}")
    assert PENALTY not in r.label
    assert r.influence[0][0] == STD and r.influence[1] == (PENALTY, 0.0)
    assert screens["lead"].label == NOT_SCREENED  # a configured input is never judged


@pytest.mark.parametrize("true_flip", [31.7, 47.0, 58.2])
def test_bisection_brackets_the_true_flip_on_a_monotone_case(true_flip):
    verdict = lambda x: "PASS" if x > true_flip else "FAIL"  # noqa: E731
    inside, outside, to = bisect_flip(verdict, 60.0, 20.0, "PASS", steps=5)
    assert to == "FAIL"
    assert outside <= true_flip <= inside
    assert inside - outside == pytest.approx(40.0 / 2**5)
    # through the screening, with a synthetic estimate crossing the threshold at true_flip
    case = _case(threshold=0.5)
    judge, _ = _synthetic_judge(true_flip)
    (flip,) = screen_case(case, {STD: RANGES[STD]}, judge, steps=5)[0].flips
    assert min(flip.inside, flip.outside) <= true_flip <= max(flip.inside, flip.outside)


def test_integer_keys_bisect_on_integers():
    verdict = lambda x: "PASS" if x >= 3 else "FAIL"  # noqa: E731
    inside, outside, _ = bisect_flip(verdict, 8, 1, "PASS", steps=10, integer=True)
    assert (inside, outside) == (3, 2)


def test_screening_on_the_simulator_finds_the_standard_and_repeats_exactly_on_crn(tmp_path):
    case = _case(threshold=0.6, reps=2)
    runs = []
    for _ in range(2):
        judge = experiment_judge(case)
        runs.append(screen_case(case, RANGES, judge, steps=2))
    a, b = ([s.as_dict() for s in r] for r in runs)
    assert a == b  # same seed, same replications: identical screening
    r = runs[0][0]
    swing = dict(r.influence)
    assert swing[PENALTY] == 0.0  # no effect under nearest dispatch, exactly (CRN)
    assert swing[STD] > 0.0
    # the share within the standard never falls as the standard is relaxed (same arrivals)
    pts = sorted((p.value, p.estimate) for p in r.points if p.key == STD)
    assert all(e1 <= e2 + 1e-12 for (_, e1), (_, e2) in zip(pts, pts[1:], strict=False))
    assert PENALTY not in r.label
    data = write_robustness(runs[0], tmp_path, {"district": "line", "runs": 1})
    assert (tmp_path / "robustness.csv").exists() and (tmp_path / "report.html").exists()
    saved = json.loads((tmp_path / "robustness.json").read_text(encoding="utf-8"))
    assert saved["targets"][0]["label"] == data["targets"][0]["label"]
    if r.label != ROBUST:
        assert (tmp_path / "tornado_response.png").exists()


def test_bad_range_is_one_clear_config_error():
    from sim.config import RobustnessConfig

    conf = make_config()
    conf.layout.uncertainty = {STD: UncertaintyRange(90.0, 120.0, "x")}
    validate(conf)  # a what-if run may set a value outside its plausible range ...
    conf.robustness = RobustnessConfig()
    with pytest.raises(ConfigError, match=rf"^{STD}=\S+: outside the range \[90.0, 120.0\]"):
        validate(conf)  # ... the robustness screen may not (its baseline is the value)
    conf.robustness = None
    conf.layout.uncertainty = {"layout.rescue.nowhere": UncertaintyRange(1.0, 2.0, "x")}
    with pytest.raises(ConfigError, match="no config key"):
        validate(conf)
    conf.layout.uncertainty = {STD: UncertaintyRange(30.0, 120.0, "")}
    with pytest.raises(ConfigError, match="source"):
        validate(conf)
    # a range in a section switched off (layout.relief=null) is simply not screened
    conf.layout.relief = None
    conf.layout.uncertainty = {"layout.relief.kit.tent.per_person": UncertaintyRange(0, 1, "x")}
    validate(conf)


def test_morris_ranks_the_decisive_assumption_and_gives_zero_to_the_inert_one():
    pytest.importorskip("SALib")
    from sim.run.robustness import morris_case

    case = _case(threshold=0.5)
    judge, calls = _synthetic_judge(true_flip=45.0)
    out = morris_case(case, RANGES, judge, trajectories=4, levels=4, seed=3)
    assert len(calls) == 4 * (len(RANGES) + 1)  # runs = trajectories x (keys + 1)
    assert out["response"][STD]["mu_star"] > 0.05
    assert out["response"][PENALTY]["mu_star"] == 0.0
    # an effect is the change over a step of levels / (2 (levels - 1)) = 2/3 of the key's
    # range, divided by that step: a share, which moves by at most 1, gives at most 1.5
    assert out["response"][STD]["mu_star"] <= 1.5 + 1e-9


def test_morris_indices_reach_the_report_and_a_table(tmp_path):
    """Morris results were only in robustness.json (analyst review): morris.csv ranks the
    assumptions of each target by mu*, and the report shows them with their 95% half width."""
    pytest.importorskip("SALib")
    import pandas as pd

    from sim.run.robustness import morris_case

    case = _case(threshold=0.5)
    judge, _ = _synthetic_judge(true_flip=45.0)
    screens = screen_case(case, RANGES, judge, steps=1)
    mor = morris_case(case, RANGES, judge, trajectories=4, levels=4, seed=3)
    for ts in screens:
        ts.morris = mor.get(ts.key, {})
    write_robustness(screens, tmp_path, {"district": "line"})
    table = pd.read_csv(tmp_path / "morris.csv", encoding="utf-8-sig")
    resp = table[table.target == "response"].sort_values("rank")
    assert list(resp.key) == [STD, PENALTY] and list(resp["rank"]) == [1, 2]
    assert resp.mu_star.iloc[0] == pytest.approx(mor["response"][STD]["mu_star"])
    assert resp.mu_star_conf95.iloc[0] >= 0 and resp.mu_star.iloc[1] == 0.0
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<h2>Morris elementary effects</h2>" in page and f"<code>{STD}</code>" in page
    assert page.index("Morris elementary effects") < page.index("Tornado figures")
    data = json.loads((tmp_path / "robustness.json").read_text(encoding="utf-8"))
    got = {t["target"]: t["morris"] for t in data["targets"]}
    assert set(got["response"][STD]) == {"mu_star", "mu_star_conf", "sigma"}
    write_robustness(screen_case(case, RANGES, judge, steps=1), tmp_path / "oat", {})
    assert not (tmp_path / "oat" / "morris.csv").exists()  # one-at-a-time only: no table


def test_audit_labels_come_from_a_robustness_json(tmp_path):
    from sim.core.errors import UserError
    from sim.run.robustness import apply_labels, load_labels

    case = _case(threshold=0.5)
    judge, _ = _synthetic_judge(true_flip=45.0)
    screens = screen_case(case, RANGES, judge, steps=2)
    write_robustness(screens, tmp_path, {"district": "line"})
    labels = load_labels(str(tmp_path / "robustness.json"))
    verdicts = list(judge(case.conf).values())
    apply_labels(verdicts, labels)
    by_key = {v.key: v.note for v in verdicts}
    assert f"robustness: hinges on {STD}" in by_key["response"]
    assert by_key["lead"].endswith("robustness: not screened")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match="robustness_from"):
        load_labels(str(tmp_path / "bad.json"))


def test_bad_robustness_setting_fails_preflight_with_one_line(capsys):
    from sim.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["experiment=robustness", "district=fengdu", "robustness.method=sobol"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: robustness.method='sobol': use oat, morris"


def test_a_misspelt_key_or_target_to_screen_is_refused_before_anything_runs():
    """robustness.keys=[layout.evacuation.nope] screened nothing and finished with exit 0
    (analyst review): now one line naming the field, with the nearest name."""
    from sim.cli import compose_config
    from sim.core.errors import UserError
    from sim.run.app import prepare
    from sim.run.robustness import check_selection

    conf, _ = prepare(
        compose_config(["experiment=robustness", "district=fengdu", "scenario=storm"])
    )
    rob = conf.robustness
    key = next(iter({**conf.layout.uncertainty, **conf.scenario.uncertainty}))
    rob.keys, rob.targets = [key], list(conf.district.targets)[:1]
    check_selection(rob, [conf])  # known names pass
    rob.keys = [key + "x"]
    with pytest.raises(UserError, match=rf"robustness.keys: no key '{key}x' \(did you mean {key}"):
        check_selection(rob, [conf])
    rob.keys, rob.targets = [], ["nope"]
    with pytest.raises(UserError, match=r"robustness.targets: no target 'nope' \(known: "):
        check_selection(rob, [conf])
    rob.targets = ["fires_out_24h"]  # judged in the fire season: a storm run screens its own
    with pytest.raises(
        UserError,
        match=r"^robustness.targets: target 'fires_out_24h' is judged in design scenario "
        r"'fire_season', which this run does not screen: it would screen nothing$",
    ):
        check_selection(rob, [conf])
    # a run whose scenario no target names screens every target: one it cannot produce
    day, _ = prepare(
        compose_config(["experiment=robustness", "district=fengdu", "scenario=fire_extreme_day"])
    )
    day.robustness.targets = ["relocation_sheltered"]
    with pytest.raises(
        UserError,
        match=r"^robustness.targets: target 'relocation_sheltered' reads "
        r"evac_evacuees_not_sheltered, which no screened scenario \(fire_extreme_day\) "
        r"produces with its layout: it would screen nothing$",
    ):
        check_selection(day.robustness, [day])
    day.robustness.targets = ["fires_out_24h"]
    check_selection(day.robustness, [day])  # (it has fires)


def _fengdu_storm_screen(
    keys: tuple[str, ...] = ("layout.teams.town_teams.assembly_min",),
    targets: tuple[str, ...] = ("rescue_response",),
    *extra: str,
) -> list:
    """A tiny robustness run of Fengdu's storm (default: one key, one target), one
    replication, ``extra`` overrides."""
    from sim.cli import compose_config
    from sim.run.audit import ScenarioRun

    cfg = compose_config(
        [
            "experiment=robustness",
            "district=fengdu",
            "scenario=storm",
            "experiment.executor=serial",
            "experiment.replications=1",
            "experiment.hours=6",
            f"robustness.keys=[{','.join(keys)}]",
            f"robustness.targets=[{','.join(targets)}]",
            "robustness.bisect_steps=1",
            *extra,
        ]
    )
    return [ScenarioRun("storm", cfg, {})]


def test_robustness_never_writes_through_a_symlink_planted_in_the_run_folder(tmp_path, monkeypatch):
    """Robustness wrote straight into the run folder: a link planted there (before the run,
    or while it runs) was written through. Now its outputs (tables.xlsx too) are staged and
    published by rename: the link is refused, its target untouched, no staging folder left."""
    from sim.run import robustness
    from sim.run.robustness import run_robustness

    ok, runs = tmp_path / "ok", _fengdu_storm_screen()
    run_robustness(runs, ok, [])
    for name in ("robustness.csv", "robustness.json", "report.html"):
        assert (ok / name).is_file(), name
    if importlib.util.find_spec("xlsxwriter"):
        assert (ok / "tables.xlsx").is_file()
    json.loads((ok / "robustness.json").read_text(), parse_constant=pytest.fail)  # NaN: null
    assert not list(ok.glob(".staging-*"))

    assert_planted_link_refused(
        tmp_path,
        monkeypatch,
        "robustness.json",
        lambda folder: run_robustness(runs, folder, []),
        lambda: setattr(runs[0].cfg.experiment, "resume", True),
        robustness,
        "screen_rows",
    )


def test_robustness_records_its_overrides_and_keeps_its_wall_time_in_run_info(tmp_path):
    """robustness.json held the wall time, so two runs of the same config differed, and no
    run_info.json was written (review): the wall time is in run_info.json now (the keys of
    the single run's), robustness.json is reproducible and records the overrides."""
    runs = _fengdu_storm_screen()
    over = ["experiment=robustness", "district=fengdu", "scenario=storm"]
    a, b = tmp_path / "a", tmp_path / "b"
    run_robustness(runs, a, over)
    run_robustness(runs, b, over)
    text = (a / "robustness.json").read_text(encoding="utf-8")
    assert text == (b / "robustness.json").read_text(encoding="utf-8")  # same seed: same file
    saved = json.loads(text)
    assert saved["overrides"] == over and "wall_time_s" not in saved
    for run in (a, b):
        info = json.loads((run / "run_info.json").read_text(encoding="utf-8"))
        assert set(info) == {"wall_time_s", "numpy"} and info["wall_time_s"] >= 0
    assert " s). Every ranged assumption" in (a / "report.html").read_text(encoding="utf-8")


def test_a_verdict_no_screened_assumption_moves_is_labelled_so():
    """Fengdu's rescue_response read "robust" though its only screened key (the town teams'
    assembly time) gave the identical estimate at both ends: the micro-stations arrive
    first (analyst review). Such a verdict says so; a verdict that moves but never flips
    is plain "robust"."""
    from sim.run.robustness import ROBUST_INERT

    judge, _ = _synthetic_judge(true_flip=45.0)
    inert = screen_case(_case(threshold=0.5), {PENALTY: RANGES[PENALTY]}, judge)
    r = {s.key: s for s in inert}["response"]
    assert r.label == ROBUST_INERT == "robust (no screened assumption changes its estimate)"
    assert r.as_dict()["label"] == ROBUST_INERT
    moving = {s.key: s for s in screen_case(_case(threshold=0.01), RANGES, judge)}["response"]
    assert moving.label == ROBUST and moving.influence[0][1] > 0
    assert {s.key: s for s in inert}["lead"].label == NOT_SCREENED


def _audit_runs(*over: str) -> list:
    from sim.cli import audit_runs, compose_config

    over = ("district=fengdu", "experiment.executor=serial", *over)
    return audit_runs(list(over), compose_config(list(over)))


def test_labels_are_refused_for_another_district_or_configuration(tmp_path):
    """experiment.robustness_from attached a Fengdu screening to Bishan's audit (review):
    the labels are loaded only for the district, layout, seed, horizon and configuration
    they were screened on (any number of replications); one line says what differs."""
    from sim.core.errors import UserError
    from sim.run.robustness import load_labels

    run_robustness(_fengdu_storm_screen(), tmp_path, [])
    path = str(tmp_path / "robustness.json")
    same = _audit_runs("experiment.replications=1", "experiment.hours=6")
    assert load_labels(path, same) == {"rescue_response": load_labels(path)["rescue_response"]}
    # any number of replications: a 1-replication screening labels a 10-replication audit
    assert load_labels(path, _audit_runs("experiment.hours=6")) == load_labels(path, same)
    for over, message in (
        (["district=bishan"], "screened district=fengdu, this audit runs district=bishan"),
        (["layout=fengdu_prepositioned", "experiment.replications=1"], "screened layout=fengdu"),
        (["experiment.seed=7"], "screened experiment.seed=20261124, this audit runs "),
        (["experiment.replications=1"], "screened experiment.hours=6.0, this audit runs "),
        (
            ["experiment.replications=1", "experiment.hours=6", "layout.teams.town_teams.count=9"],
            "screened another configuration of storm",
        ),
    ):
        with pytest.raises(UserError, match=f"^experiment.robustness_from={path}: {message}"):
            load_labels(path, _audit_runs(*over))
    old = json.loads((tmp_path / "robustness.json").read_text(encoding="utf-8"))
    del old["screened"]
    (tmp_path / "old.json").write_text(json.dumps(old), encoding="utf-8")
    with pytest.raises(UserError, match="does not record what it screened"):
        load_labels(str(tmp_path / "old.json"), same)


def test_labels_of_another_district_are_refused_before_any_run_folder(tmp_path):
    """On the command line: one line, exit 2, no run folder (the check is in the pre-flight)."""
    import subprocess
    import sys

    from tests.test_cli import ROOT

    run_robustness(_fengdu_storm_screen(), tmp_path, [])
    out = tmp_path / "audit"
    r = subprocess.run(
        [sys.executable, str(ROOT / "run_sim.py"), "district=bishan",
         f"experiment.robustness_from={tmp_path / 'robustness.json'}", f"hydra.run.dir={out}"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "screened district=fengdu, this audit runs district=bishan" in r.stderr
    assert not out.exists()


def test_morris_table_holds_only_what_each_target_reads(tmp_path):
    """A whole Morris screening of Fengdu's storm: the warning's reach gets a row per ranged
    key it reads; the warning lead, an input echo, gets none (Morris of an echoed input says
    nothing), and neither does a key no target of the row reads."""
    pytest.importorskip("SALib")
    import pandas as pd

    sms, grid = (
        "layout.evacuation.channels.sms.reach",
        "layout.evacuation.channels.grid_workers.reach",
    )
    assembly = "layout.teams.town_teams.assembly_min"  # read by neither target
    runs = _fengdu_storm_screen(
        (sms, grid, assembly),
        ("warning_reach", "warning_lead"),
        "robustness.method=morris",
        "robustness.morris_trajectories=2",
    )
    run_robustness(runs, tmp_path, [])
    table = pd.read_csv(tmp_path / "morris.csv", encoding="utf-8-sig")
    data = json.loads((tmp_path / "robustness.json").read_text(encoding="utf-8"))
    screened = {t["target"]: set(t["screened"]) for t in data["targets"]}
    assert set(table.target) == {"warning_reach"}
    assert set(table.key) == screened["warning_reach"] == {sms, grid}
    assert table.set_index("key").loc[sms, "mu_star"] > 0  # the SMS reach moves the reach
    assert {t["target"]: t["morris"] for t in data["targets"]}["warning_lead"] == {}


def test_a_screening_limited_by_keys_says_so_in_its_labels(tmp_path):
    """robustness.keys=[layout.evacuation.comply_share] labelled Fengdu's
    relocation_sheltered "robust (no screened assumption ...)" while a full screening says
    it hinges on layout.evacuation.prep_median_min (analyst review): a label from a
    screening that left out ranged keys the target reads says which it screened, of how
    many; a target left out of robustness.targets stays "not screened" in the audit."""
    from sim.run.robustness import ROBUST_INERT, apply_labels, load_labels

    judge, _ = _synthetic_judge(true_flip=45.0)
    case = _case(threshold=0.5)
    part = {
        s.key: s for s in screen_case(case, {PENALTY: RANGES[PENALTY]}, judge, all_ranges=RANGES)
    }
    assert part["response"].label == f"{ROBUST_INERT} among the 1 screened key of 2 ({PENALTY})"
    assert part["lead"].label == NOT_SCREENED
    full = {s.key: s for s in screen_case(case, RANGES, judge, all_ranges=RANGES)}
    assert full["response"].label.startswith(f"hinges on {STD}")
    assert "among the" not in full["response"].label

    # a whole run: one key of the several the storm's warning reach reads
    sms = "layout.evacuation.channels.sms.reach"
    run_robustness(_fengdu_storm_screen((sms,), ("warning_reach",)), tmp_path, [])
    data = json.loads((tmp_path / "robustness.json").read_text(encoding="utf-8"))
    (t,) = data["targets"]
    assert len(t["reads"]) > 1 and t["screened"] == [sms]
    assert t["label"].endswith(f" among the 1 screened key of {len(t['reads'])} ({sms})")
    assert data["selection"] == {
        "keys": [sms],
        "targets": ["warning_reach"],
    }
    same = _audit_runs("experiment.replications=1", "experiment.hours=6")
    labels = load_labels(str(tmp_path / "robustness.json"), same)
    verdicts = list(judge(case.conf).values())
    apply_labels(verdicts, labels)  # targets the screening did not cover: not screened
    assert all(v.note.endswith("robustness: not screened") for v in verdicts)
    del data["selection"]  # written before the selection was recorded: refused
    (tmp_path / "old.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(Exception, match="does not record which keys and targets it screened"):
        load_labels(str(tmp_path / "old.json"), same)


def test_a_range_is_changed_or_added_from_the_command_line():
    """A range's key holds dots, so ``layout.uncertainty."a.b".low=`` has no Hydra syntax;
    a dict override merges into the section instead (``++`` adds a new key)."""
    from sim.cli import compose_config
    from sim.run.app import prepare

    key, new = "layout.evacuation.comply_share", "layout.evacuation.prep_sigma"
    base, _ = prepare(compose_config(["experiment=robustness", "district=bishan"]))
    assert new not in base.layout.uncertainty
    conf, _ = prepare(
        compose_config(
            [
                "experiment=robustness",
                "district=bishan",
                f"++layout.uncertainty={{{key}:{{low:0.8}},{new}:{{low:0.5,high:1.2,source:x}}}}",
            ]
        )
    )
    ranges = conf.layout.uncertainty
    assert (ranges[key].low, ranges[key].high) == (0.8, base.layout.uncertainty[key].high)
    assert ranges[key].source == base.layout.uncertainty[key].source
    assert (ranges[new].low, ranges[new].high, ranges[new].source) == (0.5, 1.2, "x")
    others = set(base.layout.uncertainty) - {key}
    assert all(ranges[k] == base.layout.uncertainty[k] for k in others)


def test_a_range_override_naming_an_unknown_key_says_how_to_add_one(capsys):
    from sim.cli import main

    with pytest.raises(SystemExit) as exc:
        main(
            ["experiment=robustness", "layout.uncertainty={layout.evacuation.comply_shar:{low:1}}"]
        )
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "error: layout.uncertainty: no key 'layout.evacuation.comply_shar' to change (did you"
        " mean 'layout.evacuation.comply_share'? to add one, write ++layout.uncertainty=...)"
    )
    with pytest.raises(SystemExit) as exc:
        main(["layout.evacuation={comply_shar:0.8}"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "error: layout.evacuation: no key 'comply_shar' to change (did you mean 'comply_share'?)"
    )
