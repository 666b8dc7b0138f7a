"""Layout search: the analytic cut finds the known optimum; the search runs end to end."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from sim.config import SearchConfig
from sim.run.compare import Alternative
from sim.run.search import (
    analytic_layouts,
    brute_force_p_median,
    demand_weights,
    layout_cost,
    place,
    run_search,
    solve_sites,
)
from tests.conftest import assert_planted_link_refused
from tests.test_model import NET, make_config


def _case(seed: int, nc: int = 9, nd: int = 14):
    rng = np.random.default_rng(seed)
    xy_c, xy_d = rng.uniform(0, 100, (nc, 2)), rng.uniform(0, 100, (nd, 2))
    cost = np.linalg.norm(xy_c[:, None, :] - xy_d[None, :, :], axis=2)
    return cost, rng.integers(1, 50, nd).astype(float)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_p_median_finds_the_brute_force_optimum(seed, solver):
    cost, w = _case(seed)
    rows, obj = solve_sites(cost, w, 3, solver=solver)
    best_rows, best = brute_force_p_median(cost, w, 3)
    assert obj == pytest.approx(best, rel=1e-6)
    assert layout_cost(cost, w, rows) == pytest.approx(best, rel=1e-6)
    assert sorted(rows) == sorted(best_rows)  # continuous coordinates: a unique optimum


def test_p_median_with_fixed_sites_and_second_best():
    cost, w = _case(5)
    fixed = cost[0]  # candidate 0 is an existing depot that stays
    cost = cost[1:]
    rows, obj = solve_sites(cost, w, 2, fixed_cost=fixed)
    assert obj == pytest.approx(brute_force_p_median(cost, w, 2, fixed)[1], rel=1e-6)
    # the no-good cut gives the second-best layout
    rows2, obj2 = solve_sites(cost, w, 2, fixed_cost=fixed, exclude=[rows])
    ranked = sorted(
        layout_cost(cost, w, list(c), fixed) for c in itertools.combinations(range(len(cost)), 2)
    )
    assert obj2 == pytest.approx(ranked[1], rel=1e-6)
    assert sorted(rows2) != sorted(rows)


def test_max_cover_covers_as_much_as_enumeration():
    cost, w = _case(8)
    rows, _ = solve_sites(cost, w, 2, method="max_cover", cover_min=30.0)
    covered = lambda r: w[(cost[list(r)] <= 30.0).any(axis=0)].sum()  # noqa: E731
    best = max(covered(c) for c in itertools.combinations(range(len(cost)), 2))
    assert covered(rows) == pytest.approx(best)


def _line_search(**kw) -> SearchConfig:
    base = dict(
        place="teams",
        items=["t"],
        candidates=["town"],
        demand=["population"],
        alternatives=3,
        objective="response_mean_min",
        sense="min",
        delta=5.0,
        n0=3,
        batch=2,
        budget_runs=40,
        report_top=2,
    )
    base.update(kw)
    return SearchConfig(**base)


def test_line_network_analytic_cut_puts_the_team_in_the_middle():
    conf = make_config(teams=1)
    s = _line_search()
    w = demand_weights(conf, NET, "population", 0.0)
    assert w[NET.idx("depot")] == 0 and w[NET.idx("a")] == 1000
    layouts, table = analytic_layouts(conf, NET, s)
    # towns a, b, c at 0, 20, 50 min along the line (via a-b-c): b minimises the sum
    assert [NET.nodes[i] for i in layouts[0].sites] == ["b"]
    assert len(layouts) == 3 and len(table) == 3
    moved = place(conf, NET, s, layouts[0].sites)
    assert moved.layout.teams["t"].home == "b" and conf.layout.teams["t"].home == "depot"


def test_search_end_to_end_on_a_small_network(tmp_path):
    conf = make_config(teams=1)
    conf.experiment.replications = 3
    s = _line_search()
    summary = run_search(Alternative("as_composed", [], conf, NET), [], s, tmp_path)
    for name in (
        "search_candidates.csv",
        "search_selection.csv",
        "comparison.csv",
        "report.html",
        "best_overrides.txt",
    ):
        assert (tmp_path / name).exists(), name
    assert not list(tmp_path.glob(".staging-*"))  # published and removed
    assert summary["runs"] <= s.budget_runs
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"{summary['final_replications']} replications each (as run)" in page  # not the config's
    assert summary["best"] in (
        "as_composed",
        "p_median_population_1",
        "p_median_population_2",
        "p_median_population_3",
    )
    assert "layout.teams.t.home=" in (tmp_path / "best_overrides.txt").read_text() or (
        summary["best"] == "as_composed"
    )


def test_best_overrides_name_what_they_apply_to_and_compose_as_they_are():
    """best_overrides.txt pastes into a run: the district, scenario and base layout come
    first (``layout.depots.X.node=`` alone fails on the plan layout; analyst review)."""
    from sim.cli import compose_config
    from sim.run.app import prepare
    from sim.run.search import runnable_overrides

    over = ["district=fengdu", "scenario=flood_evacuation", "layout=fengdu_prepositioned"]
    conf, _ = prepare(compose_config(over))
    depot = next(iter(conf.layout.depots))
    line = runnable_overrides(
        conf, [f"layout.depots.{depot}.node={conf.layout.depots[depot].node}"]
    )
    assert line[:3] == over
    assert prepare(compose_config(line))[0].layout.name == "fengdu_prepositioned"
    assert runnable_overrides(conf, ["layout=fengdu"]) == over[:2] + ["layout=fengdu"]
    # the search's own run settings come along; its mode, search.* and hydra.* do not
    cmd = [
        "experiment=search_fengdu_depots",
        "layout.relief.fleets.own_trucks.count=1",
        "experiment.hours=48",
        "search.budget_runs=24",
        "hydra.run.dir=/tmp/x",
    ]
    line = runnable_overrides(conf, ["layout=fengdu"], cmd)
    assert line == [
        *over[:2],
        "layout.relief.fleets.own_trucks.count=1",
        "experiment.hours=48",
        "layout=fengdu",
    ]
    rerun = prepare(compose_config(line))[0]
    assert rerun.layout.relief.fleets["own_trucks"].count == 1 and rerun.experiment.hours == 48


def test_search_says_which_final_replications_chose_the_winner(tmp_path, capsys):
    """The final comparison reuses the selection's replications (analyst review): the report,
    summary and console say how many, and give the gain on the fresh ones alone."""
    conf = make_config(teams=1)
    conf.experiment.replications = 3
    # one team, loaded but not saturated: where it stands decides the response (at the
    # default 800 per 100k its queue hides the layout, and the composed one may win)
    conf.scenario.storm.incidents_per_100k = 200.0
    s = _line_search()
    summary = run_search(Alternative("as_composed", [], conf, NET), [], s, tmp_path)
    k = summary["final_reuses_selection_replications"]
    assert 0 < k <= summary["final_replications"]
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"the first {k} of them also took part in the selection" in page
    import json

    assert json.loads((tmp_path / "search_summary.json").read_text())["best"] == summary["best"]
    g = summary["gain_on_fresh_replications"]
    assert summary["best"] != "as_composed" and g["n"] == summary["final_replications"] - k
    out = capsys.readouterr().out
    assert f"best: {summary['best']}" in out
    sel = pd.read_csv(tmp_path / "search_selection.csv", encoding="utf-8-sig")
    status = sel.set_index("alternative").status[summary["best"]]
    if summary["guaranteed"]:  # the console and the table say how sure the pick is
        assert status == "selected" and "probability of correct selection >= 95%" in out
    else:
        assert status.startswith("selected (no guarantee: the budget stopped it with ")
        assert "no guarantee" in out.split(f"best: {summary['best']}")[1].splitlines()[0]
    gain = summary["gain"]
    assert gain["better_is"] == "lower" and gain["call"] in ("better", "worse", "indistinguishable")
    assert f"mean_response_mean_min_first_{_line_search().n0}" in out  # the common replications
    assert (
        f"{k} of those pairs also chose it" in out
        and f"fresh ones alone: gain {g['diff']:+.3g}" in out
    )


def test_search_lists_what_it_held_fixed(tmp_path):
    """The report and search_summary.json name what was not searched over: the other teams
    where they stand and the excluded nodes (analyst review: neither was listed)."""
    import copy
    import json

    conf = make_config(teams=1)
    conf.experiment.replications = 3
    conf.layout.teams["reserve"] = copy.deepcopy(conf.layout.teams["t"])
    conf.layout.teams["reserve"].home = "c"
    s = _line_search(exclude=["c"], alternatives=2)
    summary = run_search(Alternative("as_composed", [], conf, NET), [], s, tmp_path)
    fixed = json.loads((tmp_path / "search_summary.json").read_text(encoding="utf-8"))["held_fixed"]
    assert fixed == summary["held_fixed"]
    assert [(f["what"], f["key"], f["node"]) for f in fixed] == [
        ("team", "reserve", "c"),
        ("excluded node", "", "c"),
    ]
    assert not any(f["in_analytic_cut"] for f in fixed)  # teams: no fixed sites in the cut
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Held fixed (not searched over)" in page and "<td>reserve</td>" in page
    assert "Only t moved" in page
    openpyxl = pytest.importorskip("openpyxl")
    sheets = openpyxl.load_workbook(tmp_path / "tables.xlsx", read_only=True).sheetnames
    assert {"search_candidates", "search_selection", "comparison", "kpis"} <= set(sheets)


def test_held_fixed_depots_say_which_serve_demand_in_the_analytic_cut():
    """Depots not moved stay where they are; those with stock are fixed sites of the cut."""
    from sim.cli import compose_config
    from sim.run.app import prepare
    from sim.run.search import held_fixed

    over = ["district=fengdu", "scenario=flood_evacuation", "layout=fengdu_prepositioned"]
    conf, net = prepare(compose_config(over))
    s = SearchConfig(place="depots", items=["fwd_baohe"], exclude=["longhe_zhen"])
    rows = {(r["what"], r["key"] or r["node"]): r for r in held_fixed(conf, net, s)}
    assert ("depot", "fwd_baohe") not in rows and rows[("depot", "fwd_longhe")]["in_analytic_cut"]
    assert rows[("depot", "county")]["in_analytic_cut"]
    assert rows[("excluded node", "longhe_zhen")]["name_zh"]  # named as on the map
    assert {r["what"] for r in rows.values()} == {"depot", "excluded node"}


def test_search_never_writes_through_a_symlink_planted_in_the_run_folder(tmp_path, monkeypatch):
    """Search wrote straight into the run folder: a link planted there (before the run, or
    while it runs) was written through. Now its outputs are staged and published by rename."""
    from sim.run import outputs, search

    conf = make_config(teams=1)
    conf.experiment.replications, conf.experiment.hours = 2, 6.0
    s = _line_search(alternatives=1, budget_runs=12)
    base = Alternative("as_composed", [], conf, NET)
    assert_planted_link_refused(
        tmp_path,
        monkeypatch,
        "best_overrides.txt",
        lambda folder: run_search(base, [], s, folder),
        # (search refuses experiment.resume: past the earlier-run check another way)
        lambda: monkeypatch.setattr(outputs, "earlier_run", lambda root: []),
        search,
        "runnable_overrides",
    )


def test_search_records_its_overrides_and_keeps_its_wall_time_in_run_info(tmp_path):
    """search_summary.json did not record the command line's overrides and search wrote no
    run_info.json (review): now both, as the single run does (summary.json: ``overrides``)."""
    import json

    conf = make_config(teams=1)
    conf.experiment.replications, conf.experiment.hours = 2, 6.0
    s = _line_search(alternatives=1, budget_runs=12)
    over = ["experiment=search", "search.budget_runs=12"]
    summary = run_search(Alternative("as_composed", [], conf, NET), [], s, tmp_path, over)
    saved = json.loads((tmp_path / "search_summary.json").read_text(encoding="utf-8"))
    assert summary["overrides"] == saved["overrides"] == over
    assert "wall_time_s" not in saved
    info = json.loads((tmp_path / "run_info.json").read_text(encoding="utf-8"))
    assert set(info) == {"wall_time_s", "numpy"} and info["wall_time_s"] >= 0


def test_the_command_line_passes_its_overrides_to_search_and_compare(tmp_path, monkeypatch):
    """sim.cli.run_analyst_mode dropped the overrides it was given: compare_summary.json and
    search_summary.json could not record them (review)."""
    from sim import cli
    from sim.run import compare, search

    seen = {}
    monkeypatch.setattr(search, "run_search", lambda *a, **kw: seen.update(search=kw))
    monkeypatch.setattr(compare, "run_compare", lambda *a, **kw: seen.update(compare=kw))
    over = ["experiment=search_fengdu_depots", "search.budget_runs=40"]
    cli.run_analyst_mode(cli.compose_config(over), tmp_path / "s", over)
    assert seen["search"]["overrides"] == over
    over = ["experiment=compare", "scenario=storm", "compare.layouts=[bishan]"]
    over.append("compare.variants={more: 'layout.teams.community.count=44'}")
    cli.run_analyst_mode(cli.compose_config(over), tmp_path / "c", over)
    assert seen["compare"]["overrides"] == over
    assert not (tmp_path / "s").exists() and not (tmp_path / "c").exists()


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_max_cover_breaks_ties_on_travel_time(solver):
    """Among the layouts of maximal cover, the one with the least weighted travel time
    (analyst review: ranks 1 and 2 covered 0.946 each and rank 1 was the slower one; the
    tie-break weight, about 1e-6 of the objective, sat far below the solvers' MIP gap of
    1e-4). Checked against enumeration on small instances where many layouts tie on cover."""
    for seed in range(4):
        rng = np.random.default_rng(seed)
        xy_c, xy_d = rng.uniform(0, 100, (9, 2)), rng.uniform(0, 100, (14, 2))
        cost = np.linalg.norm(xy_c[:, None, :] - xy_d[None, :, :], axis=2)
        w = rng.integers(1000, 50000, 14).astype(float)  # people: large weights

        def covered(rows, cost=cost, w=w):
            return w[(cost[list(rows)] <= 70.0).any(axis=0)].sum()

        layouts = list(itertools.combinations(range(9), 2))
        best = max(covered(c) for c in layouts)
        tied = [c for c in layouts if covered(c) == best]
        assert len(tied) > 3  # the tie-break decides
        rows, obj = solve_sites(cost, w, 2, method="max_cover", cover_min=70.0, solver=solver)
        assert obj == pytest.approx(best) and covered(rows) == best
        assert layout_cost(cost, w, rows) == pytest.approx(
            min(layout_cost(cost, w, list(c)) for c in tied), rel=1e-9
        )
    # two sites both cover everything: the nearer one is chosen
    cost = np.array([[19.0, 19.0], [5.0, 6.0]])
    rows, obj = solve_sites(cost, np.array([3.0, 2.0]), 1, method="max_cover", cover_min=20.0)
    assert rows == [1] and obj == 5.0


def _selection(**kw):
    from sim.run.paired import Selection

    base = dict(
        best=0,
        survivors=[0],
        reps=[10, 4, 8, 4],
        eliminated_at=[0, 4, 8, 4],
        means=[5.0, 4.8, 5.5, 6.0],
        runs=26,
        guaranteed=True,
        eta=0.1,
        h2=1.0,
        stage=10,
    )
    base.update(kw)
    return Selection(**base)


def test_layouts_are_ranked_by_elimination_order_not_by_means_over_other_replications():
    """search.py ranked the layouts for the final comparison by their means over different
    numbers of replications: one eliminated after 4 replications (a mean of 4.8 there) came
    before one that survived to 8 and beat it on the replications they shared (analyst
    review). Now: the selected one, survivors, then the later eliminated first; those
    eliminated together by their mean over the replications they shared."""
    from sim.run.search import rank_alternatives

    data = [np.full(10, 5.0), np.full(4, 4.8), np.r_[np.full(4, 4.7), np.full(4, 6.3)]]
    data.append(np.full(4, 4.9))
    sel = _selection(data=data)
    assert rank_alternatives(sel, maximise=False) == [0, 2, 1, 3]
    assert rank_alternatives(sel, maximise=True) == [0, 2, 3, 1]
    # a budget stop: survivors (compared on the stage they all reached) before the others
    sel = _selection(data=data, survivors=[0, 3], eliminated_at=[0, 4, 8, 0], stage=4)
    assert rank_alternatives(sel, maximise=False) == [0, 3, 2, 1]


def test_search_merges_a_baseline_identical_to_an_analytic_layout(tmp_path):
    """A baseline that puts the team where the analytic cut does gives the same numbers in
    every replication: the selection merges the later into the earlier, says so, and does
    not spend its budget telling them apart (analyst review: the real search produces such
    pairs and ran to its budget with no guarantee)."""
    import json

    conf = make_config(teams=1)
    conf.experiment.replications = 3
    at_b = place(conf, NET, _line_search(), [NET.idx("b")])
    s = _line_search(budget_runs=200, alternatives=1, delta=30.0)
    base = Alternative("as_composed", [], conf, NET)
    summary = run_search(base, [Alternative("plan_b", ["x"], at_b, NET)], s, tmp_path)
    merged = summary["merged"]
    assert merged == {"p_median_population_1": {"into": "plan_b", "identical": True}}
    rows = (tmp_path / "search_selection.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("rank,alternative,")
    assert "mean_response_mean_min_first_3" in rows[0]
    assert any("identical to plan_b (merged)" in r for r in rows)
    assert summary["guaranteed"] and summary["ranking"][0] == summary["best"]
    saved = json.loads((tmp_path / "search_summary.json").read_text(encoding="utf-8"))
    assert saved["merged"] == merged
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Merged as ties" in page and "p_median_population_1 into plan_b" in page


def test_a_generic_search_composes_its_baselines_with_the_command_line_search_settings():
    """experiment=search with search.items on the command line: the baselines were composed
    without any search.* override, so search.items was empty and the baseline refused
    ('search.baselines.plan: search.items: name the layout entries to place'; review)."""
    from sim import cli

    over = [
        "experiment=search",
        "scenario=storm",
        "search.place=teams",
        "search.items=[district_team,fire_bicheng]",
        "search.objective=share_within_standard",
        'search.baselines={plan: "layout=bishan"}',
    ]
    (plan,) = cli.alternatives(cli.compose_config(over), over)
    assert plan.name == "plan" and plan.overrides == ["layout=bishan"]
    assert plan.conf.search.items == ["district_team", "fire_bicheng"]


def test_search_inputs_are_checked_by_its_plan_before_any_run_folder(tmp_path):
    """plan_search refuses what run_search refused after Hydra made the run folder (items
    not in the layout, unknown excluded nodes, a reference that is no alternative, a budget
    below the first stage); run_search then writes nothing."""
    from sim.core.errors import UserError
    from sim.run.search import plan_search

    conf = make_config(teams=1)
    base = Alternative("as_composed", [], conf, NET)
    plan = plan_search(base, [], _line_search())
    assert [a.name for a in plan.alts][0] == "as_composed" and plan.reference == "as_composed"
    for kw, message in (
        ({"items": ["nosuch"]}, r"search.items: 'nosuch' is not in layout.teams \(t\)"),
        ({"exclude": ["nosuch"]}, "search.exclude: unknown node 'nosuch'"),
        ({"reference": "nosuch"}, r"search.reference='nosuch': not a baseline \(as_composed\)"),
        ({"budget_runs": 10}, "search.budget_runs=10: the first stage alone needs 3 x 4"),
    ):
        with pytest.raises(UserError, match=message):
            plan_search(base, [], _line_search(**kw))
        with pytest.raises(UserError, match=message):
            run_search(base, [], _line_search(**kw), tmp_path / "out")
        assert not (tmp_path / "out").exists()
    other = make_config(teams=1)
    other.scenario.storm.closures_mean = 3.0
    with pytest.raises(UserError, match="search: search.baselines entry 'harsh' faces another"):
        plan_search(base, [Alternative("harsh", [], other, NET)], _line_search())
    shorter = make_config(teams=1)
    shorter.experiment.hours = base.conf.experiment.hours / 2
    with pytest.raises(UserError, match=r"entry 'short' changes experiment.hours \("):
        plan_search(base, [Alternative("short", [], shorter, NET)], _line_search())


def test_a_site_named_twice_in_search_items_is_refused():
    """search.items=[fwd_baohe,fwd_baohe] was accepted: two moves set the same key and one
    site was silently dropped while the candidates table showed two (analyst review)."""
    from sim.config import validate
    from sim.config.checks import ConfigError

    conf = make_config(teams=1)
    conf.search = _line_search(items=["t", "t"])
    with pytest.raises(ConfigError) as exc:
        validate(conf)
    assert str(exc.value) == (
        "search.items: 't' named twice; each layout entry is placed once "
        "(name as many entries as sites to place)"
    )


def test_compare_and_search_refuse_experiment_resume_before_writing(tmp_path):
    """experiment.resume=true let compare and search write into a folder holding an
    unrelated run and mix their outputs with its files (analyst review): they keep no
    checkpoints, so resume is refused in one line, exit 2, the folder left as it was."""
    import subprocess
    import sys

    from sim.core.errors import UserError
    from sim.run.compare import run_compare
    from tests.test_cli import ROOT

    conf = make_config(teams=1)
    conf.experiment.replications, conf.experiment.hours = 2, 6.0
    conf.experiment.resume = True
    base = Alternative("as_composed", [], conf, NET)
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "summary.json").write_text("{}", encoding="utf-8")
    with pytest.raises(UserError, match=r"^experiment.resume=true: search keeps no checkpoints"):
        run_search(base, [], _line_search(alternatives=1, budget_runs=12), earlier)
    other = Alternative("other", [], make_config(teams=2), NET)
    other.conf.experiment.replications, other.conf.experiment.hours = 2, 6.0
    with pytest.raises(UserError, match=r"^experiment.resume=true: compare keeps no checkpoints"):
        run_compare([base, other], earlier, progress=False)
    assert sorted(p.name for p in earlier.iterdir()) == ["summary.json"]
    for mode in (
        ["experiment=compare", "district=fengdu", "scenario=storm",
         "compare.variants={a: 'layout.teams.town_teams.count=1'}"],
        ["experiment=search_fengdu_depots"],
    ):  # fmt: skip
        r = subprocess.run(
            [sys.executable, str(ROOT / "run_sim.py"), *mode, "experiment.resume=true",
             f"hydra.run.dir={earlier}"],
            capture_output=True, text=True, timeout=300, cwd=ROOT,
        )  # fmt: skip
        assert r.returncode == 2, r.stderr
        assert r.stderr.strip().splitlines() == [
            f"error: experiment.resume=true: {mode[0].split('=')[1].split('_')[0]} keeps no "
            "checkpoints and reuses nothing (every alternative runs afresh); leave it out and "
            "choose a new run folder"
        ]
        assert sorted(p.name for p in earlier.iterdir()) == ["summary.json"]


def test_a_pooled_share_or_input_echo_objective_is_refused_before_anything_runs(tmp_path):
    """search.objective=warning_lead_min (an input echo, undefined in the flood scenario)
    was caught only after the first stage ran, leaving a run folder; a pooled share
    (share_within_standard) was selected on the mean of per-replication shares, a number
    the targets and compare never report (analyst review). Both are refused by the plan,
    which the pre-flight check makes, before any run folder."""
    from sim.core.errors import UserError
    from sim.run.search import plan_search

    conf = make_config(teams=1)
    base = Alternative("as_composed", [], conf, NET)
    for objective, message in (
        ("share_within_standard", r"a share pooled over events \(incidents_within_standard / "),
        ("warning_lead_min", r"an input echoed back \(scenario.storm.warning_lead_min\)"),
    ):
        s = _line_search(objective=objective, sense="max")
        with pytest.raises(UserError, match=f"^search.objective='{objective}': {message}"):
            plan_search(base, [], s)
        with pytest.raises(UserError, match=f"^search.objective='{objective}'"):
            run_search(base, [], s, tmp_path / "out")
        assert not (tmp_path / "out").exists()
    plan_search(base, [], _line_search(objective="incidents_within_standard", sense="max"))


def test_an_objective_the_scenario_never_produces_is_refused_before_anything_runs(tmp_path):
    """search.objective=burned_area_ha in a flood search was caught only once the first
    stage had run, leaving a run folder (analyst review 8): each module says what it
    produces for a config, and an objective outside an alternative's set is refused by the
    plan, which the pre-flight check makes."""
    from sim.core.errors import UserError
    from sim.run.search import plan_search

    base = Alternative("as_composed", [], make_config(teams=1), NET)
    for objective, owner, gives in (
        ("burned_area_ha", "a fire", "it gives no fire KPIs"),
        ("evac_deaths", "an evacuation", "it gives no evacuation KPIs"),  # (nor warnings:
        # this layout has no warning channels)
    ):
        s = _line_search(objective=objective, sense="min")
        message = (
            f"^search.objective='{objective}': scenario 'storm' with layout '1teams' never "
            f"produces it \\({owner} KPI; {gives}"
        )
        with pytest.raises(UserError, match=message):
            plan_search(base, [], s)
        with pytest.raises(UserError, match=message):
            run_search(base, [], s, tmp_path / "out")
        assert not (tmp_path / "out").exists()


def test_a_sense_that_would_select_the_worse_layout_is_refused(tmp_path):
    """search.objective=incidents_within_standard with the default sense=min kept the layout
    reaching fewer incidents within the standard and called it guaranteed (analyst review):
    the targets say which way is better, and a sense against them is refused."""
    from sim.config import TargetConfig
    from sim.core.errors import UserError
    from sim.run.search import objective_direction, plan_search

    conf = make_config(teams=1)
    conf.district.targets = targets = {
        "rescue_response": TargetConfig(metric="share_within_standard", threshold=0.9),
        "arrival": TargetConfig(metric="first_arrival_mean_min", comparator="<=", threshold=30),
    }
    judged = "rescue_response"
    base = Alternative("as_composed", [], conf, NET)
    better, why = objective_direction("incidents_within_standard", targets)
    assert (better, why.split(" (")[0]) == ("higher", f"it is the numerator of target {judged}")
    with pytest.raises(
        UserError,
        match=r"^search.sense=min: search.objective='incidents_within_standard' is better when "
        r"higher \(it is the numerator of target .*\); use search.sense=max$",
    ):
        plan_search(base, [], _line_search(objective="incidents_within_standard", sense="min"))
    with pytest.raises(UserError, match="^search.sense=min"):
        run_search(base, [], _line_search(objective="incidents_within_standard"), tmp_path / "o")
    assert not (tmp_path / "o").exists()
    assert objective_direction("first_arrival_mean_min", targets)[0] == "lower"  # judged
    with pytest.raises(UserError, match="^search.sense=max: .* use search.sense=min$"):
        plan_search(base, [], _line_search(objective="first_arrival_mean_min", sense="max"))
    plan_search(base, [], _line_search(objective="first_arrival_mean_min", sense="min"))
    assert objective_direction("relief_trips", targets) == ("", "")  # no target: no check


def test_the_selected_layout_says_when_the_budget_stopped_the_selection():
    """Analyst review: with the budget spent and two layouts in contention, the console and
    search_selection.csv said 'selected' with no word that nothing is guaranteed."""
    from types import SimpleNamespace

    from sim.run.search import _status

    alts = [Alternative(n, [], None, NET) for n in ("a", "b", "c")]
    sel = SimpleNamespace(best=0, survivors=[0, 1], merged={}, identical=set(), guaranteed=False)
    assert _status(sel, 0, alts) == (
        "selected (no guarantee: the budget stopped it with 2 in contention)"
    )
    assert _status(sel, 1, alts) == "survivor" and _status(sel, 2, alts) == "eliminated"
    sel.guaranteed = True
    assert _status(sel, 0, alts) == "selected"
