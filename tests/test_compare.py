"""Compare mode: pairing on common random numbers, paired statistics, multirun summary."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from sim.run.compare import Alternative, analyse, run_alternatives, run_compare
from sim.run.paired import bonferroni, holm, kn_select, paired, ratio_paired, welch
from sim.run.sweep import multirun_table
from tests.conftest import assert_planted_link_refused
from tests.test_model import NET, make_config

HAZARD_EVENTS = ("incident", "road_close", "warning")


def _alts(teams=(1, 3), reps: int = 4, save_events: bool = False) -> list[Alternative]:
    out = []
    for k in teams:
        cfg = make_config(teams=k)
        cfg.experiment.replications = reps
        cfg.experiment.save_events = save_events
        out.append(Alternative(f"{k}teams", [f"layout.teams.t.count={k}"], cfg, NET))
    return out


def test_pairing_gives_every_alternative_identical_hazards():
    o = run_alternatives(_alts(save_events=True), progress=False)
    cols = ["t", "entity", "node", "qty"]
    one, three = o.results["1teams"], o.results["3teams"]
    assert [r.rep for r in one] == [r.rep for r in three] == [0, 1, 2, 3]
    for r1, r3 in zip(one, three, strict=True):
        e1, e3 = r1.events, r3.events
        for kind in HAZARD_EVENTS:
            pd.testing.assert_frame_equal(
                e1[e1.event == kind][cols].reset_index(drop=True),
                e3[e3.event == kind][cols].reset_index(drop=True),
            )
        assert len(e1[e1.event == "incident"]) > 0
    # the responses do differ: the layouts are different
    assert (
        o.frames["1teams"]["response_mean_min"].mean()
        > o.frames["3teams"]["response_mean_min"].mean()
    )


def test_paired_interval_is_narrower_under_positive_correlation():
    rng = np.random.default_rng(1)
    common = rng.normal(50, 10, 30)  # the shared disaster dominates both alternatives
    base = common + rng.normal(0, 1, 30)
    alt = common - 2.0 + rng.normal(0, 1, 30)
    p, u = paired(alt, base), welch(alt, base)
    assert p.estimate == pytest.approx(u.estimate)
    assert (p.high - p.low) < 0.3 * (u.high - u.low)
    assert p.high < 0 < u.high  # pairing finds the gain the unpaired interval misses
    # independent draws: no gain from pairing (the widths are alike)
    a, b = rng.normal(0, 1, 200), rng.normal(0, 1, 200)
    ratio = (paired(a, b).high - paired(a, b).low) / (welch(a, b).high - welch(a, b).low)
    assert 0.85 < ratio < 1.15


def test_paired_t_interval_covers_at_its_level():
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(400):
        c = rng.normal(0, 3, 8)
        d = paired(c + 1.0 + rng.normal(0, 1, 8), c + rng.normal(0, 1, 8))
        hits += d.low <= 1.0 <= d.high
    assert abs(hits / 400 - 0.95) < 0.035


def test_identical_differences_are_judged_by_the_sign_test():
    """The same difference in every pair has no spread for a t interval. Two such pairs
    are no evidence (two-sided sign test p = 0.5: no interval, "indistinguishable" at any
    usual level); six are (p = 2 / 64 < 0.05: the interval is that difference); none at
    all is exact."""
    two = paired(np.array([5.0, 7.0]), np.array([4.0, 6.0]))
    assert two.estimate == 1.0 and two.p == 0.5
    assert np.isnan(two.low) and np.isnan(two.high)
    six = paired(np.arange(6.0) + 1.0, np.arange(6.0))
    assert (six.low, six.high) == (1.0, 1.0) and six.p == pytest.approx(2 / 64)
    five = paired(np.arange(5.0) + 1.0, np.arange(5.0))
    assert five.p == pytest.approx(2 / 32) and np.isnan(five.low)
    same = paired(np.arange(3.0), np.arange(3.0))
    assert (same.low, same.high, same.p) == (0.0, 0.0, 1.0)
    # a constant difference of two pooled ratios follows the same rule
    pr, _ = ratio_paired(np.array([1.0, 2.0]), np.array([2.0, 4.0]), np.zeros(2), np.ones(2))
    assert pr.p == 0.5 and np.isnan(pr.low)


def test_ratio_estimator_with_constant_denominators_is_the_paired_t_of_the_ratios():
    rng = np.random.default_rng(3)
    x = np.full(12, 50.0)
    ya, yb = rng.binomial(50, 0.9, 12).astype(float), rng.binomial(50, 0.8, 12).astype(float)
    pr, ur = ratio_paired(ya, x, yb, x)
    pt = paired(ya / 50, yb / 50)
    assert pr.estimate == pytest.approx(pt.estimate)
    assert (pr.low, pr.high) == pytest.approx((pt.low, pt.high))
    assert ur.high - ur.low > 0


def test_holm_and_bonferroni():
    p = [0.01, 0.04, 0.03, 0.5]
    assert bonferroni(p, 0.05) == [True, False, False, False]
    # Holm: 0.01 <= 0.05/4, 0.03 > 0.05/3 stops
    assert holm(p, 0.05) == [True, False, False, False]
    assert holm([0.01, 0.02, 0.04], 0.05) == [True, True, True]
    assert bonferroni([0.01, 0.02, 0.04], 0.05) == [True, False, False]
    # an undefined comparison (one pair) is still one of the family: the calls are made at
    # the level of the family's intervals, 1 - alpha / 2 here, not at alpha / 1
    assert bonferroni([0.03, math.nan], 0.05) == [False, False]
    assert holm([0.03, math.nan], 0.05) == [False, False]
    assert holm([0.02, math.nan], 0.05) == [True, False]


@pytest.mark.parametrize("maximise", [True, False])
def test_kn_selects_the_planted_best_at_its_stated_rate(maximise):
    """Slippage configuration: the best is delta better than 4 equal others, CRN (rho=0.5)."""
    k, n0, delta, alpha, trials = 5, 10, 1.0, 0.05, 300
    rng = np.random.default_rng(2026)
    mu = np.zeros(k)
    best = 2
    mu[best] = delta if maximise else -delta
    correct, runs = 0, []
    for _ in range(trials):
        data = (
            rng.normal(0, 1, (1, 400)) * math.sqrt(0.5) * 2
            + rng.normal(0, 1, (k, 400)) * math.sqrt(0.5) * 2
        )
        data += mu[:, None]

        def draw(idx, r0, r1, data=data):
            return data[idx, r0:r1]

        sel = kn_select(draw, k, n0, delta, alpha, maximise=maximise, batch=3)
        assert sel.guaranteed
        correct += sel.best == best
        runs.append(sel.runs)
    pcs = correct / trials
    # stated: P(correct selection) >= 1 - alpha; allow 3 binomial standard errors
    assert pcs >= 1 - alpha - 3 * math.sqrt(alpha * (1 - alpha) / trials)
    assert np.mean(runs) < k * 400  # it stops early, not at the end of the data


def test_kn_respects_its_budget_and_says_so():
    rng = np.random.default_rng(5)
    data = rng.normal(0, 1, (4, 500))  # all equal: KN would run long

    sel = kn_select(lambda i, a, b: data[i, a:b], 4, 10, 0.01, 0.05, max_runs=80, batch=5)
    assert sel.runs <= 80
    assert not sel.guaranteed
    assert sel.best in sel.survivors


def test_compare_end_to_end_writes_report_and_table(tmp_path):
    alts = _alts(teams=(1, 2, 4), reps=6)
    for a in alts:
        # loaded but not saturated: one team's queue at 400 per 100k ran so long that its
        # response barely followed the disaster drawn (replication to replication), and the
        # pairing had no correlation to use (paired no narrower than unpaired)
        a.conf.scenario.storm.incidents_per_100k = 200.0
    table = run_compare(alts, tmp_path, progress=False)
    for name in ("comparison.csv", "report.html", "kpis.csv", "compare_kpis.png"):
        assert (tmp_path / name).exists(), name
    assert not list(tmp_path.glob(".staging-*"))  # published and removed
    csv = pd.read_csv(tmp_path / "comparison.csv", encoding="utf-8-sig")
    assert set(csv.alternative) == {"2teams", "4teams"} and set(csv.baseline) == {"1teams"}
    rt = table[(table.metric == "response_mean_min")].set_index("alternative")
    assert (rt["diff"] < 0).all() and (rt["call"] == "lower").all()
    assert rt.width_ratio.max() < 1  # common random numbers narrowed the interval
    assert rt.width_ratio["2teams"] < 0.5
    assert rt.level.iloc[0] == pytest.approx(1 - 0.05 / 2)  # Bonferroni over two comparisons
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "Welch" in html


def _one_target_comparison(key: str, metric: str, comparator: str, threshold: float):
    """1 vs 4 teams judged on a single target: (outcome, the target's comparison row)."""
    from sim.config import TargetConfig

    alts = _alts(teams=(1, 4))
    for a in alts:
        a.conf.scenario.storm.incidents_per_100k = 200.0  # (as above: loaded, not saturated)
        a.conf.district.targets = {
            key: TargetConfig(
                metric=metric, comparator=comparator, threshold=threshold, source="test"
            )
        }
    o = run_alternatives(alts, progress=False)
    t = analyse(o, "1teams")
    return o, t[(t.metric == key) & (t.kind == "target")].iloc[0]


def test_analyse_calls_on_a_target_direction():
    _, row = _one_target_comparison("rt", "response_mean_min", "<=", 30)
    assert row.better_is == "lower" and row["call"] == "better"


def test_multirun_table_reads_summaries_and_overrides(tmp_path):
    for i, n in enumerate((11, 22)):
        d = tmp_path / f"layout.teams.community.count={n}"
        d.mkdir()
        (d / "overrides.json").write_text(
            json.dumps([f"layout.teams.community.count={n}", "district=bishan"])
        )
        summary = {
            "targets": [
                {
                    "key": "warning_lead",
                    "estimate": 45.0 + i,
                    "ci_low": 44.0,
                    "ci_high": 46.0,
                    "verdict": "PASS",
                }
            ],
            "kpis": {"response_mean_min": {"mean": 30.0 - i}},
        }
        (d / "summary.json").write_text(json.dumps(summary))
    t = multirun_table(tmp_path)
    assert list(t.columns[:3]) == ["run", "layout.teams.community.count", "district"]
    assert list(t["layout.teams.community.count"]) == ["11", "22"]
    assert list(t["warning_lead.estimate"]) == [45.0, 46.0]
    assert list(t["response_mean_min"]) == [30.0, 29.0]
    # an audit job's scenario sub-folder carries the overrides of its job
    sub = tmp_path / "layout.teams.community.count=22" / "storm"
    sub.mkdir()
    (sub / "summary.json").write_text(json.dumps({"kpis": {"response_mean_min": {"mean": 7.0}}}))
    t = multirun_table(tmp_path).set_index("run")
    row = t.loc["layout.teams.community.count=22/storm"]
    assert row["layout.teams.community.count"] == "22" and row["district"] == "bishan"


def test_a_share_target_compares_the_pooled_share_the_audit_judges():
    """share_within_standard is pooled over incidents (its KPI spec): compare must estimate
    the pooled ratio (delta method), not the mean of per-replication shares."""
    o, row = _one_target_comparison("rr", "share_within_standard", ">=", 0.9)
    assert row["method"] == "pooled ratio, delta method"
    base = o.frames["1teams"]
    pooled = base["incidents_within_standard"].sum() / base["incidents"].sum()
    assert row["estimate_base"] == pytest.approx(pooled)


def test_a_share_kpi_row_is_the_pooled_share_of_its_target_row_and_the_single_run():
    """comparison.csv gave the rescue_response target 0.714286 but the
    share_within_standard KPI row 0.720833 (the mean of per-replication shares), while the
    single run's summary gives the pooled 0.7143 (analyst review): a KPI the KPI table
    pools as a ratio is estimated and compared as that pooled ratio."""
    from sim.core.kpi import infer_spec
    from sim.run.app import kpi_columns, kpi_estimates
    from sim.run.metrics import kpi_specs

    o, target = _one_target_comparison("rr", "share_within_standard", ">=", 0.9)
    t = analyse(o, "1teams")
    kpi = t[(t.metric == "share_within_standard") & (t.kind == "kpi")].iloc[0]
    base = o.frames["1teams"]
    per_rep_mean = (base["incidents_within_standard"] / base["incidents"]).mean()
    pooled = base["incidents_within_standard"].sum() / base["incidents"].sum()
    assert per_rep_mean != pytest.approx(pooled)  # (the case shows the difference)
    assert kpi["method"] == target["method"] == "pooled ratio, delta method"
    for col in ("estimate_base", "estimate_alt", "diff", "paired_low", "paired_high"):
        assert kpi[col] == pytest.approx(target[col]), col
    specs = kpi_specs()
    single = kpi_estimates(
        kpi_columns(o.results["1teams"]),
        {k: specs.get(k) or infer_spec(k) for k in base.columns},
    )["share_within_standard"]
    assert kpi["estimate_base"] == pytest.approx(single["mean"])
    plain = t[(t.metric == "response_mean_min") & (t.kind == "kpi")].iloc[0]
    assert plain["method"] == "paired t"  # a per-replication KPI stays a paired t


def test_a_misspelt_kpi_to_compare_is_refused_before_anything_runs(tmp_path):
    alts = _alts(teams=(1, 2))
    from sim.core.errors import UserError

    with pytest.raises(
        UserError, match=r"compare.kpis: no KPI 'respons_mean_min' \(did you mean response_mean_min"
    ):
        run_compare(alts, tmp_path, kpis=["respons_mean_min"], progress=False)
    assert not any(tmp_path.iterdir())


def test_a_kpi_no_alternative_produces_is_refused_before_anything_runs(tmp_path):
    """compare.kpis=[fires] on a storm compared nothing and finished (analyst review 8):
    refused in one line naming the module and what the scenario gives of it."""
    from sim.core.errors import UserError

    alts = _alts(teams=(1, 2))
    with pytest.raises(
        UserError,
        match=r"^compare.kpis='fires': scenario 'storm' with layout '1teams' \(nor does any "
        r"other alternative: 1teams, 2teams\) never produces it \(a fire KPI; it gives no fire "
        r"KPIs\)$",
    ):
        run_compare(alts, tmp_path, kpis=["response_mean_min", "fires"], progress=False)
    assert not any(tmp_path.iterdir())


def test_a_variant_of_only_hydra_settings_is_refused_not_a_silent_copy(tmp_path):
    """Failure-mode review: a variant "hydra.run.dir=/tmp/x" was dropped to a copy of the
    baseline and reported indistinguishable from it."""
    from sim.cli import preflight
    from sim.core.errors import UserError

    search = ["search.place=teams", "search.items=[district_team,fire_bicheng]"]
    for key, variant, extra in (
        ("compare.variants", "{a: 'hydra.run.dir=/tmp/x'}", []),
        ("search.baselines", "{a: 'hydra.job.name=x'}", search),
    ):
        mode = key.split(".")[0]
        with pytest.raises(UserError) as err:
            preflight([f"experiment={mode}", "scenario=storm", *extra, f"{key}={variant}"])
        assert str(err.value).startswith(f"{key}.a: hydra.") and "Hydra's settings" in str(
            err.value
        )


def _no_nan(text: str) -> dict:
    """JSON as written for other tools: NaN would not parse there (it must be null)."""
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


def test_compare_writes_a_machine_readable_summary_and_a_workbook(tmp_path):
    """compare_summary.json holds what comparison.csv and the report show, per target and KPI
    (analyst review: compare wrote no machine-readable summary); tables.xlsx every table."""
    from sim.config import TargetConfig

    alts = _alts(teams=(1, 3))
    for a in alts:
        a.conf.district.targets = {
            "rt": TargetConfig(
                metric="response_mean_min", comparator="<=", threshold=30, source="plan L1"
            )
        }
    table = run_compare(alts, tmp_path, progress=False)
    s = _no_nan((tmp_path / "compare_summary.json").read_text(encoding="utf-8"))
    assert s["mode"] == "compare" and s["baseline"] == "1teams" and s["replications"] == 4
    assert [a["name"] for a in s["alternatives"]] == ["1teams", "3teams"]
    assert s["alternatives"][1]["overrides"] == ["layout.teams.t.count=3"]
    metrics = {m["metric"]: m for m in s["metrics"]}
    assert set(metrics) == set(table.metric)
    rt = metrics["rt"]
    row = table[table.metric == "rt"].iloc[0]
    assert rt["kind"] == "target" and rt["goal"] == "<= 30" and rt["source"] == "plan L1"
    assert rt["estimates"] == pytest.approx(
        {"1teams": row.estimate_base, "3teams": row.estimate_alt}
    )
    assert set(rt["verdicts"]) == {"1teams", "3teams"}
    (d,) = rt["differences"]
    assert d["alternative"] == "3teams" and d["replications"] == 4 and d["method"] == "paired t"
    assert (d["diff"], d["low"], d["high"]) == pytest.approx(
        (row["diff"], row.paired_low, row.paired_high)
    )
    assert d["call"] == row["call"] and d["level"] == pytest.approx(0.95)
    assert "verdicts" not in metrics["response_mean_min"]  # a KPI has no verdict, only a call
    openpyxl = pytest.importorskip("openpyxl")
    sheets = openpyxl.load_workbook(tmp_path / "tables.xlsx", read_only=True).sheetnames
    assert sheets == ["comparison", "kpis"]


def test_compare_never_writes_through_a_symlink_planted_in_the_run_folder(tmp_path, monkeypatch):
    """Compare wrote straight into the run folder: a link planted there (before the run, or
    while it runs) was written through. Now its outputs are staged and published by rename."""
    from sim.run import compare

    alts = _alts(teams=(1, 2), reps=2)
    for a in alts:
        a.conf.experiment.hours = 6.0

    def let_resume():  # (compare refuses experiment.resume: past the earlier-run check)
        from sim.run import outputs

        monkeypatch.setattr(outputs, "earlier_run", lambda root: [])

    assert_planted_link_refused(
        tmp_path,
        monkeypatch,
        "compare_summary.json",
        lambda folder: run_compare(alts, folder, progress=False),
        let_resume,
        compare,
        "comparison_summary",
    )


RUN_INFO_KEYS = {"wall_time_s", "numpy"}  # what sim.run.app.run writes (README, Output files)


def test_compare_records_its_overrides_and_keeps_its_wall_time_in_run_info(tmp_path):
    """compare_summary.json did not record the command line's overrides (a what-if compare
    looked like the shipped one), and compare wrote no run_info.json (review): now both, as
    the single run does, and the summary stays free of wall time."""
    alts = _alts(teams=(1, 2), reps=2)
    for a in alts:
        a.conf.experiment.hours = 6.0
    over = ["experiment=compare", "scenario=storm", "layout.teams.community.count=5"]
    run_compare(alts, tmp_path, progress=False, overrides=over)
    s = _no_nan((tmp_path / "compare_summary.json").read_text(encoding="utf-8"))
    assert s["overrides"] == over
    assert "wall_time_s" not in s
    page = (tmp_path / "report.html").read_text(encoding="utf-8")  # and the report lists them
    used = page.index("Overrides used (every alternative)")
    assert used < page.index("<code>layout.teams.community.count=5</code>", used)
    info = json.loads((tmp_path / "run_info.json").read_text(encoding="utf-8"))
    assert set(info) == RUN_INFO_KEYS and info["wall_time_s"] >= 0
    assert not list(tmp_path.glob(".run_info.json.*"))  # written atomically: no temp left


def test_a_refused_publish_leaves_the_run_folder_as_it_was(tmp_path, monkeypatch):
    """publish moved files one at a time: a link planted for a file that sorts late
    (report.html) was refused only after alternatives.json, comparison.csv, ... were already
    in the run folder (review). Now every destination is checked before the first rename."""
    from sim.core.errors import OutputError
    from sim.run import compare
    from sim.run.outputs import publish, staging

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    run = tmp_path / "run"
    run.mkdir()
    alts = _alts(teams=(1, 2), reps=2)
    for a in alts:
        a.conf.experiment.hours = 6.0
    summary = compare.comparison_summary

    def plant_then_summarise(*args, **kw):  # after the pre-flight check, before publishing
        (run / "report.html").symlink_to(victim)
        return summary(*args, **kw)

    monkeypatch.setattr(compare, "comparison_summary", plant_then_summarise)
    with pytest.raises(OutputError, match="report.html: is a symbolic link"):
        run_compare(alts, run, progress=False)
    assert [p.name for p in run.iterdir()] == ["report.html"]  # only the link: nothing moved
    assert victim.read_text() == "precious"
    # a file planted where a folder of the outputs goes (late in the order): refused first too
    other = tmp_path / "other"
    stage = staging(other)
    (stage / "a.csv").write_text("1")
    (stage / "zz").mkdir()
    (stage / "zz" / "b.csv").write_text("2")
    (other / "zz").write_text("planted")
    with pytest.raises(OutputError, match="zz: is not a folder"):
        publish(stage, other)
    assert sorted(p.name for p in other.iterdir()) == [stage.name, "zz"]
    assert (stage / "a.csv").read_text() == "1" and (other / "zz").read_text() == "planted"
    (other / "zz").unlink()
    assert sorted(p.name for p in publish(stage, other)) == ["a.csv", "b.csv"]  # then it works
    assert (other / "zz" / "b.csv").read_text() == "2" and not stage.exists()


def test_kn_merges_alternatives_identical_on_every_replication_and_stops():
    """Two layouts equal in every replication (a team that is never called) have a paired
    variance of 0: Kim & Nelson's continuation region for the pair is closed from the first
    stage (W = 0), but equal means eliminated neither, so the selection ran to its budget
    with "no guarantee" (analyst review). The tie goes to the lower index, is reported, and
    the procedure ends by itself."""
    rng = np.random.default_rng(11)
    common = rng.normal(10, 2, 400)
    twin = common + rng.normal(0, 0.5, 400)
    worse = common - 3 + rng.normal(0, 0.5, (2, 400))
    data = np.vstack([worse[0], twin, twin, worse[1]])  # 1 and 2 are one layout, the best

    def draw(idx, r0, r1):
        return data[idx, r0:r1]

    sel = kn_select(draw, 4, 10, 0.5, 0.05, maximise=True, max_runs=4000, batch=5)
    assert sel.guaranteed and sel.best == 1 and sel.survivors == [1]
    assert sel.merged == {2: 1} and sel.identical == {2}
    assert sel.eliminated_at[2] == 10  # merged in the first screening
    assert sel.runs < 200  # not the budget
    # two identical alternatives only: decided at once, for the first
    pair = kn_select(lambda i, a, b: data[[1, 1]][:, a:b], 2, 10, 0.5, 0.05, max_runs=4000)
    assert (pair.best, pair.guaranteed, pair.runs, pair.merged) == (0, True, 20, {1: 0})
    # an identical pair that is worse than the best is eliminated as usual, and reported as
    # one system (analyst review: two twins eliminated in one step were listed as two)
    low = np.vstack([twin + 3, common, common])
    sel = kn_select(lambda i, a, b: low[i, a:b], 3, 10, 0.5, 0.05, max_runs=4000, batch=5)
    assert sel.best == 0 and sel.guaranteed
    assert (
        sel.merged == {2: 1}
        and sel.identical == {2}
        and sel.eliminated_at[1] == sel.eliminated_at[2]
    )


def test_kn_with_identical_alternatives_keeps_its_rate_on_the_others():
    """Merging identical alternatives does not change which of the others is chosen: the
    planted best (delta better) still wins at the stated rate, with two copies of a worse
    one in the field."""
    k, n0, delta, alpha, trials = 4, 10, 1.0, 0.05, 200
    rng = np.random.default_rng(7)
    correct = 0
    for _ in range(trials):
        x = rng.normal(0, 1, (1, 300)) + rng.normal(0, 1, (3, 300))
        x[0] += delta
        data = np.vstack([x[1], x[0], x[2], x[2]])  # 2 and 3 identical

        def draw(idx, r0, r1, data=data):
            return data[idx, r0:r1]

        sel = kn_select(draw, k, n0, delta, alpha, batch=3)
        assert sel.guaranteed
        correct += sel.best == 1
    assert correct / trials >= 1 - alpha - 3 * math.sqrt(alpha * (1 - alpha) / trials)


def test_compare_refuses_an_alternative_facing_another_disaster():
    """A variant that changes the scenario or district compared two disasters and called one
    "better" on a "paired" interval (analyst review): refused like a change of seed."""
    from sim.core.errors import UserError
    from sim.run.compare import check_compare, disaster_difference

    alts = _alts()
    assert disaster_difference(alts[1].conf, alts[0].conf) == ""  # layouts differ: fine
    check_compare(alts)
    other = _alts()
    other[1].conf.scenario.storm.closures_mean = 4.0
    with pytest.raises(UserError) as exc:
        check_compare(other)
    assert str(exc.value).startswith(
        "compare: alternative '3teams' faces another disaster than '1teams' "
        "(scenario.storm.closures_mean=4.0 vs 1.0)"
    )
    reseeded = _alts()
    reseeded[1].conf.experiment.seed += 1
    with pytest.raises(UserError, match=r"compare: alternative '3teams' changes experiment.seed"):
        check_compare(reseeded)
    renamed = _alts()
    renamed[1].conf.scenario.name = "flood_evacuation"
    with pytest.raises(UserError, match=r"\(scenario=flood_evacuation vs storm\)"):
        check_compare(renamed)
    moved = _alts()
    moved[1].conf.district.name = "bishan"
    with pytest.raises(UserError, match=r"\(district=bishan vs line\)"):
        check_compare(moved)
    # the assumption ranges and texts are not the disaster
    judged = _alts()
    judged[1].conf.scenario.description = "another text"
    check_compare(judged)


def test_compare_refuses_a_variant_that_changes_the_plan_targets():
    """A variant setting district.targets.relief_stock.threshold=5000 was judged against
    5000 while comparison.csv showed the baseline's 3000 (analyst review): alternatives
    are judged against the same plan, so such a variant is refused in one line."""
    from sim.config import TargetConfig
    from sim.core.errors import UserError
    from sim.run.compare import check_compare

    alts = _alts()
    for a in alts:
        a.conf.district.targets = {
            "response": TargetConfig(metric="share_within_standard", threshold=0.5)
        }
    check_compare(alts)
    alts[1].conf.district.targets["response"].threshold = 0.9
    with pytest.raises(UserError) as exc:
        check_compare(alts)
    assert str(exc.value).startswith(
        "compare: alternative '3teams' changes the plan's targets "
        "(district.targets.response.threshold=0.9 vs "
    )
    assert "\n" not in str(exc.value)
    alts[1].conf.district.targets = {}
    with pytest.raises(UserError, match=r"changes the plan's targets \(district.targets.response"):
        check_compare(alts)


def test_compare_writes_the_event_logs_it_was_asked_for(tmp_path):
    """experiment.save_events=true was ignored in compare and search (analyst review), so
    the pairing could not be checked by hand: events.csv holds every alternative's logs,
    with an ``alternative`` column, and their hazards match replication by replication."""
    run_compare(_alts(teams=(1, 3), reps=2, save_events=True), tmp_path, progress=False)
    ev = pd.read_csv(tmp_path / "events.csv", encoding="utf-8-sig")
    assert set(ev.alternative) == {"1teams", "3teams"} and set(ev.rep) == {0, 1}
    cols = ["rep", "t", "event", "entity", "node", "qty"]
    hazards = ev[ev.event.isin(HAZARD_EVENTS)]
    one, three = (hazards[hazards.alternative == a][cols] for a in ("1teams", "3teams"))
    assert len(one) and one.reset_index(drop=True).equals(three.reset_index(drop=True))
    run_compare(_alts(teams=(1, 3), reps=2), tmp_path / "quiet", progress=False)
    assert not (tmp_path / "quiet" / "events.csv").exists()  # only when asked for


def test_multirun_table_has_a_row_for_compare_search_and_robustness_jobs(tmp_path, capsys):
    """Sweeps of compare, search or robustness wrote no multirun_summary.csv and said
    nothing: the table only looked for summary.json (analyst review). Each such job is now
    a row with its overrides and its headline figures from its own summary."""
    from omegaconf import OmegaConf

    from sim.run.sweep import MultirunSummary

    jobs = {
        "seed=1": (
            "compare_summary.json",
            {
                "baseline": "plan",
                "metrics": [
                    {
                        "metric": "relief_stock",
                        "kind": "target",
                        "estimates": {"plan": 3000.0, "more": 3500.0},
                        "verdicts": {"plan": "PASS", "more": "PASS"},
                        "differences": [
                            {"alternative": "more", "diff": 500.0, "low": 480.0,
                             "high": 520.0, "call": "better"}
                        ],
                    },
                    {
                        "metric": "needs_met_mean_h",
                        "kind": "kpi",
                        "estimates": {"plan": 8.0, "more": 7.5},
                        "differences": [{"alternative": "more", "diff": -0.5, "call": "lower"}],
                    },
                ],
            },
        ),
        "seed=2": (
            "search_summary.json",
            {
                "best": "p_median_scenario_1",
                "guaranteed": True,
                "objective": "needs_met_mean_h",
                "reference": "plan",
                "gain": {"diff": -0.6, "paired_low": -0.8, "paired_high": -0.4, "call": "better"},
                "gain_on_fresh_replications": {"n": 20, "diff": -0.5, "low": -0.7, "high": -0.3},
            },
        ),
        "seed=3": (
            "robustness.json",
            {
                "runs": 27,
                "targets": [
                    {"target": "relocation_sheltered", "label": "hinges on x (FAIL at 71)",
                     "base": {"estimate": 1.0, "verdict": "PASS"}}
                ],
            },
        ),
    }  # fmt: skip
    for name, (file, summary) in jobs.items():
        d = tmp_path / name
        d.mkdir()
        (d / "overrides.json").write_text(json.dumps([f"experiment.{name}", "district=fengdu"]))
        (d / file).write_text(json.dumps(summary))
    t = multirun_table(tmp_path).set_index("run")
    assert list(t["mode"]) == ["compare", "search", "robustness"]
    assert list(t["experiment.seed"]) == ["1", "2", "3"]
    c = t.loc["seed=1"]
    assert c["relief_stock.more.estimate"] == 3500.0 and c["relief_stock.plan.verdict"] == "PASS"
    assert (c["relief_stock.more.low"], c["relief_stock.more.call"]) == (480.0, "better")
    assert c["needs_met_mean_h.more.diff"] == -0.5 and c["baseline"] == "plan"
    s = t.loc["seed=2"]
    assert s["best"] == "p_median_scenario_1" and s["gain.diff"] == -0.6
    assert (s["gain.low"], s["gain_on_fresh.high"], s["gain_on_fresh.n"]) == (-0.8, -0.3, 20)
    r = t.loc["seed=3"]
    assert r["relocation_sheltered.label"] == "hinges on x (FAIL at 71)"
    assert r["relocation_sheltered.verdict"] == "PASS" and r["runs"] == 27

    empty = tmp_path / "empty"
    empty.mkdir()
    MultirunSummary().on_multirun_end(OmegaConf.create({"hydra": {"sweep": {"dir": str(empty)}}}))
    assert capsys.readouterr().err.strip().startswith("multirun summary: none written (")
    assert not (empty / "multirun_summary.csv").exists()


def test_a_compare_sweep_writes_its_multirun_summary(tmp_path):
    """The real thing, small: a -m sweep of compare over two seeds."""
    import subprocess
    import sys

    from tests.test_cli import ROOT

    sweep = tmp_path / "sweep"
    r = subprocess.run(
        [sys.executable, str(ROOT / "run_sim.py"), "-m", "experiment=compare",
         "district=fengdu", "scenario=storm", "experiment.replications=2",
         "experiment.hours=6", "experiment.executor=serial",
         "compare.variants={one: 'layout.teams.town_teams.count=1'}",
         "experiment.seed=1,2", f"hydra.sweep.dir={sweep}"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    t = pd.read_csv(sweep / "multirun_summary.csv", encoding="utf-8-sig")
    assert len(t) == 2 and list(t["experiment.seed"]) == [1, 2]
    assert set(t["mode"]) == {"compare"}
    assert t["rescue_response.one.call"].notna().all()
    assert t["rescue_response.fengdu.verdict"].notna().all()


def test_a_time_that_never_came_counts_at_the_runs_length_in_a_comparison():
    """Dropping the replications in which 90% were never sheltered would compare the
    alternative that misses most often on its good runs only."""
    from sim.run.compare import Metric, Outcome, _diffs, _method

    col, bound = "evac_time_to_90pct_sheltered_h", "evac_time_to_90pct_sheltered_censored_h"
    frames = {
        "base": pd.DataFrame({col: [4.0, 5.0, 4.5, 5.5], bound: [np.nan] * 4}),
        "alt": pd.DataFrame({col: [3.0, np.nan, 3.5, np.nan], bound: [np.nan, 47, np.nan, 47]}),
    }
    o = Outcome(alternatives=[], frames=frames)
    assert o.column("alt", col).tolist() == [3.0, 47.0, 3.5, 47.0]
    assert (o.censored("alt", col), o.censored("base", col)) == (2, 0)
    m = Metric(key=col, kind="kpi", column=col, better="lower")
    paired_diff, _ = _diffs(o, "alt", "base", m, 0.95)
    assert paired_diff.n == 4 and paired_diff.estimate > 0  # worse, not 1.25 h better
    assert "never came in 2 (alt) and 0 (base)" in _method(o, "alt", "base", m)
    m = Metric(key="response_mean_min", kind="kpi", column="response_mean_min")
    o.frames["alt"]["response_mean_min"] = o.frames["base"]["response_mean_min"] = 1.0
    assert _method(o, "alt", "base", m) == "paired t"


def test_rounding_noise_is_no_difference_and_a_computed_kpi_differs_exactly():
    """Analyst review: 176.1 t against 176.1 t, differing by 2e-14 from summation order,
    was called "lower" (p 0.016); a stock halved (a KPI computed from the layout) read
    "indistinguishable" with no interval at 3 replications, against its own verdicts."""
    from sim.run.paired import exact

    rng = np.random.default_rng(3)
    base = rng.uniform(100, 200, 5)
    noisy = base + rng.choice([-1, 1], 5) * base * 1e-15 - 3e-14  # same values, other order
    d = paired(noisy, base)
    assert (d.estimate, d.low, d.high, d.p) == (0.0, 0.0, 0.0, 1.0)
    y, x = rng.uniform(50, 90, 5), np.full(5, 100.0)
    pair, _ = ratio_paired(y * (1 + 1e-15), x, y, x)
    assert (pair.estimate, pair.low, pair.high) == (0.0, 0.0, 0.0)
    assert paired(base + 1e-6 * np.arange(1, 6), base).low > 0  # a real difference stays
    # computed from the inputs: the same difference in every replication is exact, any n
    k = exact(np.full(3, 1500.0), np.full(3, 3000.0))
    assert (k.estimate, k.low, k.high, k.p) == (-1500.0, -1500.0, -1500.0, 0.0)
    assert exact(np.full(3, 3000.0), np.full(3, 3000.0)).p == 1.0
    assert exact(np.array([1.0, 2.0, 3.0]), np.full(3, 3000.0)) is None  # varies: simulated


def test_a_computed_target_compares_exactly_at_two_replications():
    from sim.config import TargetConfig
    from sim.core.kpi import COMPUTED
    from sim.run.compare import Outcome, metrics_of
    from sim.run.metrics import kpi_specs

    computed = next(k for k, s in kpi_specs().items() if s.provenance == COMPUTED and not s.ratio)
    alts = _alts(teams=(1, 2), reps=2)
    for a in alts:
        a.conf.district.targets = {"stock": TargetConfig(metric=computed, threshold=1.0)}
    frames = {
        "1teams": pd.DataFrame({computed: [3000.0, 3000.0]}),
        "2teams": pd.DataFrame({computed: [1500.0, 1500.0]}),
    }
    o = Outcome(alts, frames)
    assert metrics_of(alts[0].conf, [computed])[0].provenance == COMPUTED
    row = analyse(o, "1teams").query("kind == 'target'").iloc[0]
    assert (row["diff"], row.paired_low, row.paired_high) == (-1500.0, -1500.0, -1500.0)
    assert row["call"] == "worse" and row.method == "computed from the inputs: exact difference"


def test_compare_refuses_what_could_only_compare_as_a_copy_of_the_baseline():
    """Analyst review: an empty variant, a key set twice, a mode setting inside a variant
    and a single replication all ran and called everything indistinguishable."""
    from sim.cli import preflight
    from sim.core.errors import UserError

    key = "layout.teams.district_team.count"
    for variant, message in (
        ("{v: ''}", "compare.variants.v: empty; "),
        (f"{{v: '{key}=1 {key}=8'}}", f"compare.variants.v: {key} set twice ({key}=1, {key}=8)"),
        ("{v: 'compare.alpha=0.5'}", "compare.variants.v: compare.alpha=0.5: an alternative"),
        (f"{{v: '{key}'}}", f"compare.variants.v: '{key}' is not an override (key=value)"),
    ):
        with pytest.raises(UserError) as err:
            preflight(["experiment=compare", "scenario=storm", f"compare.variants={variant}"])
        assert str(err.value).startswith(message), str(err.value)
    with pytest.raises(UserError, match=r"^experiment.replications=1: compare needs at least 2"):
        preflight(
            [
                "experiment=compare",
                "scenario=storm",
                f"compare.variants={{v: '{key}=2'}}",
                "experiment.replications=1",
            ]
        )


def test_the_report_says_what_no_correction_controls():
    from sim.run.compare import _family_text

    assert _family_text("none", 0.05, 2) == (
        "none: each comparison at 95% on its own, so over the 2 comparisons with the baseline"
        " the chance of a wrong call can reach 10%"
    )
    assert _family_text("bonferroni", 0.05, 3).startswith("bonferroni: family-wise 95% over")
    assert _family_text("none (one comparison)", 0.05, 1) == "one comparison with the baseline"
