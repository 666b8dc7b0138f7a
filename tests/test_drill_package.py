"""Drill packages (issue 15): secret draw, MSEL from the event log, player cards, seal."""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sim.cli import compose_config
from sim.config import DrillConfig, DrillHazardConfig
from sim.core.errors import UserError
from sim.drill.draw import draw_drill
from sim.drill.mode import load_sealed, make_package, plan_drill
from sim.drill.msel import _slower_after
from sim.drill.seal import SealError, seal, sha256_file, unseal
from sim.drill.sheets import cards_html
from sim.run.replication import run_replication

ROOT = Path(__file__).resolve().parent.parent
BASE = [
    "experiment=drill",
    "district=beibei",
    "experiment.drill.benchmark_replications=3",
    "experiment.executor=serial",
    "experiment.drill.not_before=2090-01-01",  # a past not_before is refused
    "experiment.drill.hold_s=0",  # (the CLI's runs: no hold before the result is shown)
]
SEED_A, SEED_B = 123456789, 987654321


@pytest.fixture(scope="module")
def pkg_a() -> dict:
    return make_package(compose_config, BASE, SEED_A, "drill-test")


@pytest.fixture(scope="module")
def pkg_b() -> dict:
    return make_package(compose_config, BASE, SEED_B, "drill-test")


def test_same_secret_seed_reproduces_the_package(pkg_a):
    again = make_package(compose_config, BASE, SEED_A, "drill-test")
    assert json.dumps(again, sort_keys=True) == json.dumps(pkg_a, sort_keys=True)


def test_two_secret_seeds_give_different_drills(pkg_a, pkg_b):
    assert pkg_a["secret"]["seed"] != pkg_b["secret"]["seed"]
    a = [(i["t_min"], i["inject"]["en"]) for i in pkg_a["msel"]]
    b = [(i["t_min"], i["inject"]["en"]) for i in pkg_b["msel"]]
    assert a != b
    assert (pkg_a["draw"]["date"], pkg_a["clock"]["start"]) != (
        pkg_b["draw"]["date"],
        pkg_b["clock"]["start"],
    )


def test_msel_has_the_hseep_fields(pkg_a):
    assert len(pkg_a["msel"]) >= 3
    for i, inj in enumerate(pkg_a["msel"], start=1):
        assert inj["seq"] == i
        for f in (
            "scenario_time",
            "clock",
            "synopsis",
            "inject",
            "from",
            "to",
            "method",
            "expected",
            "capability",
            "evaluator_notes",
        ):
            assert inj[f], f
        # a contingency needs a benchmark to be late against (plan limit or simulated P90):
        # an inject whose actions have none (a barrier-lake warning) gets none, by design
        timed = [a for a in inj["expected"] if _slower_after(a) is not None]
        assert bool(inj["contingency"]) or not timed, inj["seq"]
        for lang in ("zh", "en"):
            assert inj["inject"][lang] and inj["synopsis"][lang]
        for a in inj["expected"]:
            assert a["benchmark_text"]["en"]
    assert pkg_a["msel"][0]["scenario_time"] == "T+00:00"
    times = [i["t_min"] for i in pkg_a["msel"]]
    assert times == sorted(times)


def test_every_inject_time_and_place_comes_from_the_event_log(pkg_a):
    conf, net, _, _ = plan_drill(compose_config, BASE, pkg_a["secret"]["seed"], dt.date(2027, 1, 1))
    conf.experiment.seed = pkg_a["secret"]["seed"]
    ev = run_replication(conf, net, pkg_a["secret"]["replication"]).events()
    rows = set(
        zip(ev.t.round(6), ev.event, ev.entity.astype(str), ev.node.astype(str), strict=True)
    )
    names_zh = set(net.node_attr["name_zh"])
    for inj in pkg_a["msel"]:
        s = inj["source_event"]
        assert (round(s["t"], 6), s["event"], s["entity"], s["node"]) in rows, s
        assert abs(inj["t_min"] - s["t"]) < 1e-3
        assert inj["place"]["node"] in net.index
        assert inj["place"]["zh"] in names_zh
        if inj["kind"] == "road_close":
            u, _, v = s["entity"].partition("--")
            assert net.graph.has_edge(u, v)


def test_player_cards_reveal_nothing_of_a_later_inject(pkg_a):
    msel, cards = pkg_a["msel"], pkg_a["player_cards"]
    assert [c["seq"] for c in cards] == [i["seq"] for i in msel]
    for k, card in enumerate(cards):
        text = json.dumps(card, ensure_ascii=False)
        page = cards_html(pkg_a, upto=k + 1)
        for later in msel[k + 1 :]:
            for lang in ("zh", "en"):
                if later["inject"][lang] != msel[k]["inject"][lang]:
                    assert later["inject"][lang] not in text
                    assert later["inject"][lang] not in page
        for inj in msel:  # no controller-only field on any card
            for a in inj["expected"]:
                assert a["en"] not in page and a["benchmark_text"]["en"] not in page
            assert inj["synopsis"]["en"] not in page
    # number and clock are filled in at release (in order of release, at its time)
    assert set(cards[0]) == {"seq", "from", "to", "method", "zh", "en"}


def test_seal_needs_the_passphrase_and_refuses_a_modified_file(tmp_path, pkg_a):
    path = tmp_path / "d.sealed"
    digest = seal(pkg_a, "a good passphrase", path, {"drill_id": "d", "district": "beibei"})
    assert len(digest) == 64 and (tmp_path / "d.sealed.sha256").read_text().startswith(digest)
    assert pkg_a["scenario"]["label_en"] not in path.read_text()
    assert unseal(path, "a good passphrase") == pkg_a
    with pytest.raises(SealError, match="wrong passphrase"):
        unseal(path, "another passphrase")
    env = json.loads(path.read_text())
    ct = bytearray(env["ciphertext"].encode())
    ct[100] = ord("A") if ct[100] != ord("A") else ord("B")
    bad = tmp_path / "bad.sealed"
    bad.write_text(json.dumps({**env, "ciphertext": ct.decode()}))
    with pytest.raises(SealError):
        unseal(bad, "a good passphrase")
    bad.write_text(json.dumps({**env, "district": "bishan"}))  # header is authenticated too
    with pytest.raises(SealError, match="modified"):
        unseal(bad, "a good passphrase")
    with pytest.raises(SealError, match="does not match"):
        load_sealed(path, "a good passphrase", sha256="0" * 64)


def test_the_opening_record_shows_only_openings_through_the_tool_of_that_copy(
    tmp_path, pkg_a, monkeypatch
):
    """What docs/drills.md says of ``<file>.openings.jsonl``: ``drill open`` writes it beside
    the file it opened, so a copy opened elsewhere leaves the original's record empty, and
    the passphrase alone opens the file without any record."""
    from sim.drill.mode import open_package

    monkeypatch.setenv("DRILL_PASSPHRASE", "a good passphrase")
    path = tmp_path / "orig" / "d.sealed"
    path.parent.mkdir()
    seal(pkg_a, "a good passphrase", path, {"drill_id": "d", "district": "beibei"})
    copy = tmp_path / "elsewhere" / "d.sealed"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    assert unseal(copy, "a good passphrase") == pkg_a  # no tool, no record
    open_package(copy, tmp_path / "opened", sha256=sha256_file(path))
    record = path.with_name(path.name + ".openings.jsonl")
    assert not record.exists()  # the original's record saw nothing
    lines = (copy.parent / "d.sealed.openings.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["out"] == str(tmp_path / "opened")
    monkeypatch.setenv("WRONG_PASS", "not the passphrase")
    with pytest.raises(SealError, match="wrong passphrase"):
        open_package(path, tmp_path / "o2", "WRONG_PASS")
    assert not record.exists()  # a failed opening leaves no line


def test_hazard_is_drawn_by_likelihood_in_its_season():
    menu = {
        "storm": DrillHazardConfig(
            likelihood={"x": 3.0}, month_weights=[0] * 4 + [1] * 5 + [0] * 3, start_hours=[12, 21]
        ),
        "earthquake": DrillHazardConfig(likelihood={"x": 1.0}, start_hours=[0, 24]),
        "fire": DrillHazardConfig(likelihood={"y": 1.0}),
    }
    cfg = DrillConfig(hazards=menu, not_before="2027-01-01")
    draws = [draw_drill(s, "x", cfg, None, dt.date(2027, 1, 1)) for s in range(2000)]
    n = collections.Counter(d.hazard for d in draws)
    assert set(n) == {"storm", "earthquake"}  # 'fire' has no likelihood in district x
    assert 0.71 < n["storm"] / 2000 < 0.79  # 3:1 (binomial sd ~ 0.01)
    for d in draws:
        if d.hazard == "storm":
            assert 5 <= dt.date.fromisoformat(d.date).month <= 9
            assert 12 <= d.start_hour < 21
        assert 0 <= d.start_hour < 24
    given = draw_drill(1, "x", cfg, "earthquake", dt.date(2027, 1, 1))
    assert given.scenario == "earthquake" and not given.drawn


def test_a_hazard_without_a_season_day_in_the_horizon_is_never_drawn_nor_named():
    """Reviewer: horizon_days=20 from 8 December drew flood_evacuation, then failed naming it
    ('experiment.drill.hazards.flood_evacuation.month_weights: no day ...'): a re-run told
    the secret hazard. Only hazards with a season day in the horizon are drawn."""
    summer = [0] * 5 + [1] * 4 + [0] * 3
    menu = {
        "flood": DrillHazardConfig(likelihood={"x": 5.0}, month_weights=summer),
        "quake": DrillHazardConfig(likelihood={"x": 1.0}),
    }
    cfg = DrillConfig(hazards=menu, not_before="2027-12-08", horizon_days=20)
    draws = {draw_drill(s, "x", cfg, None, dt.date(2027, 1, 1)).hazard for s in range(200)}
    assert draws == {"quake"}
    cfg = DrillConfig(hazards={"flood": menu["flood"]}, not_before="2027-12-08", horizon_days=20)
    msgs = set()
    for s in range(20):  # the same line whatever the seed: it names no drawn hazard
        with pytest.raises(UserError) as err:
            draw_drill(s, "x", cfg, None, dt.date(2027, 1, 1))
        msgs.add(str(err.value))
    (msg,) = msgs
    assert msg.startswith("experiment.drill.horizon_days=20:") and "\n" not in msg
    assert "hazards.flood" not in msg


def test_forest_fire_drills_are_dated_inside_the_fire_periods():
    """Reviewer: about 9% of forest-fire drills fell outside the documented fire periods
    (1 Jan-10 May, 10 Jul-10 Oct): the season was weighted by whole months (May, July,
    October). Dates are drawn by day, only inside the periods."""
    cfg = compose_config(BASE).experiment.drill
    cfg.not_before = "2027-01-01"
    cfg.horizon_days = 366
    months = collections.Counter()
    for s in range(3000):
        d = dt.date.fromisoformat(
            draw_drill(s, "beibei", cfg, "fire_extreme_day", dt.date(2027, 1, 1)).date
        )
        md = (d.month, d.day)
        assert (1, 1) <= md <= (5, 10) or (7, 10) <= md <= (10, 10), d
        months[d.month] += 1
    assert months[8] > months[1] > 0 and months[5] > 0 and months[10] > 0  # August heaviest


def _run(args: list[str], env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_drill_mode_end_to_end_keeps_the_scenario_secret(tmp_path):
    env = {**os.environ, "DRILL_PASSPHRASE": "end-to-end pass"}
    out = tmp_path / "run"
    r = _run([sys.executable, "run_sim.py", *BASE, f"hydra.run.dir={out}"], env, ROOT)
    assert r.returncode == 0, r.stderr
    sealed = next(out.glob("drill-*.sealed"))
    assert "sha256: " in r.stdout
    assert sorted(p.name for p in out.iterdir() if not p.name.endswith(".log")) == sorted(
        ["README.txt", sealed.name, sealed.name + ".sha256"]
    )
    # nothing in the folder tells how long the run took (a hint at the hazard drawn): the
    # log's lines carry no time, every file's time and the header's creation are the start
    log_text = (out / "run_sim.log").read_text(encoding="utf-8")
    assert "sealed package:" in log_text and "drawing a secret drill" in log_text
    assert not re.search(r"\d\d:\d\d:\d\d", log_text), log_text
    created = dt.datetime.fromisoformat(json.loads(sealed.read_text())["created"])
    times = {p.name: p.stat().st_mtime for p in [out, *out.iterdir()]}
    assert set(times.values()) == {created.timestamp()}, times
    o = _run(
        [sys.executable, "-m", "sim.drill", "open", str(sealed), "--out", str(tmp_path / "o")],
        env,
        ROOT,
    )
    assert o.returncode == 0, o.stderr
    pkg = json.loads((tmp_path / "o" / "package.json").read_text(encoding="utf-8"))
    for secret in (
        pkg["scenario"]["option"],
        pkg["scenario"]["label_en"],
        pkg["draw"]["date"],
        str(pkg["secret"]["seed"]),
    ):
        assert secret not in r.stdout + r.stderr
        assert secret not in (out / "README.txt").read_text()
        assert secret not in (out / "run_sim.log").read_text(encoding="utf-8")
    log = (out / (sealed.name + ".openings.jsonl")).read_text().splitlines()
    assert len(log) == 1 and json.loads(log[0])["sha256"] in r.stdout
    ws = load_workbook(tmp_path / "o" / "evaluator_sheet.xlsx")["evaluator"]
    assert ws.max_row == 1 + len(pkg["evaluator"]) and ws.max_row > 2
    assert "Observed" in ws.cell(1, 8).value
    html = (tmp_path / "o" / "evaluator_sheet.html").read_text(encoding="utf-8")
    assert pkg["evaluator"][0]["action"]["zh"] in html
    bad = _run(
        [sys.executable, "-m", "sim.drill", "open", str(sealed), "--out", str(tmp_path / "o2")],
        {**env, "DRILL_PASSPHRASE": "not the passphrase"},
        ROOT,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error: cannot open")
    assert "Traceback" not in bad.stderr


def test_bad_drill_option_is_one_line_exit_2(tmp_path):
    r = _run(
        [
            sys.executable,
            "run_sim.py",
            "experiment=drill",
            "experiment.drill.window_h=-1",
            f"hydra.run.dir={tmp_path / 'x'}",
        ],
        dict(os.environ),
        ROOT,
    )
    assert r.returncode == 2
    assert r.stderr.strip() == "error: experiment.drill.window_h: must be > 0" or (
        r.stderr.count("\n") == 1 and "experiment.drill.window_h" in r.stderr
    )
    assert not (tmp_path / "x").exists()


def test_a_passphrase_made_for_the_user_is_shown_once_and_written_nowhere(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DRILL_PASSPHRASE"}
    out = tmp_path / "run"
    args = [sys.executable, "run_sim.py", *BASE, "experiment.drill.benchmark_replications=1"]
    r = subprocess.run(
        [*args, f"hydra.run.dir={out}"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if "made for you" in ln)
    passphrase = line.rsplit(": ", 1)[1]
    assert len(passphrase) >= 16
    for f in out.rglob("*"):
        if f.is_file():
            assert passphrase.encode() not in f.read_bytes(), f
    assert "sealed package:" in (out / "run_sim.log").read_text(encoding="utf-8")


def _zh_texts(obj) -> list[str]:
    if isinstance(obj, dict):
        return [v for k, v in obj.items() if k == "zh" and isinstance(v, str)] + [
            t for k, v in obj.items() if k != "zh" for t in _zh_texts(v)
        ]
    if isinstance(obj, list):
        return [t for v in obj for t in _zh_texts(v)]
    return []


def test_chinese_texts_carry_no_config_ids_or_english_names(pkg_a):
    """Players read 茨竹镇发生滑坡掩埋, not 茨竹镇发生landslide_burial, and 嘉陵江, not
    嘉陵江 Jialing (found by the drill review)."""
    texts = _zh_texts(pkg_a)
    assert len(texts) > 50
    ids = [t for t in texts if re.search(r"[A-Za-z]+_[a-z]+", t)]
    assert not ids, ids[:3]
    from sim.drill.names import INCIDENT_KINDS, bilingual

    assert (bilingual("嘉陵江 Jialing").zh, bilingual("嘉陵江 Jialing").en) == ("嘉陵江", "Jialing")
    assert bilingual("Yangtze").zh == "Yangtze"
    # every kind a shipped scenario or module publishes has its words
    published = set()
    for f in [*(ROOT / "scenarios").glob("*.py"), ROOT / "sim/evacuation/service.py"]:
        published |= set(re.findall(r'kind="([a-z_]+)"', f.read_text(encoding="utf-8")))
        for rhs in re.findall(r"\bkind = (.*caught.*)", f.read_text(encoding="utf-8")):
            published |= set(re.findall(r'"([a-z_]+)"', rhs))  # the casualty incidents' kinds
    assert published >= {"landslide_burial", "caught_trapped", "caught_on_road"}
    assert published <= set(INCIDENT_KINDS), published - set(INCIDENT_KINDS)


def test_a_drill_refuses_a_past_not_before_and_the_plan_audit():
    """A not_before before today, or scenario=audit (the whole-plan audit: no injects, an
    empty package), is one line naming the field (drill review: both were accepted)."""
    from sim.core.errors import UserError
    from sim.drill.draw import check_drill_config

    today = dt.date(2027, 3, 1)
    past = compose_config([*BASE, "experiment.drill.not_before=2027-02-28"])
    with pytest.raises(
        UserError, match=r"^experiment\.drill\.not_before='2027-02-28': is in the past"
    ):
        check_drill_config(past, [], today)
    check_drill_config(past, [], dt.date(2027, 2, 28))  # today itself is not the past
    plain = compose_config(BASE)  # scenario: the default (the audit), a hazard is drawn
    check_drill_config(plain, BASE, today)
    with pytest.raises(UserError, match=r"^scenario=audit: a drill needs a single scenario") as e:
        check_drill_config(plain, [*BASE, "scenario=audit"], today)
    assert "flood_evacuation" in str(e.value) and "\n" not in str(e.value)
    run = compose_config(["district=beibei", "experiment.drill.not_before=2020-01-01"])
    check_drill_config(run, ["scenario=audit"], today)  # not a drill: nothing to refuse
    with pytest.raises(UserError, match="scenario=audit"):  # before anything is simulated
        make_package(compose_config, [*BASE, "scenario=audit"], SEED_A, "drill-test")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (["scenario=audit"], "scenario=audit"),
        (["experiment.drill.not_before=2020-01-01"], "not_before"),
        (
            ["experiment.drill.hazards.fire_extreme_day.periods=[05-10/01-01]"],
            "fire_extreme_day.periods: '05-10/01-01' is not MM-DD/MM-DD",
        ),
    ],
)
def test_a_refused_drill_is_one_line_exit_2_and_seals_nothing(tmp_path, extra, field):
    env = {**os.environ, "DRILL_PASSPHRASE": "refused pass"}
    out = tmp_path / "x"
    r = _run([sys.executable, "run_sim.py", *BASE, *extra, f"hydra.run.dir={out}"], env, ROOT)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and field in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()  # refused in the pre-flight: no run folder at all


def test_no_contingency_falls_after_the_drill_window(pkg_a):
    """A slower-than-benchmark contingency due after ENDEX is dropped with a note, never
    clamped; the others say when they fall due on the drill clock (drill review: a 24 h
    standard on an inject at T+20 h put its prompt 20 h after the window)."""
    from sim.drill.msel import DrillClock, contingencies

    clock = DrillClock(dt.datetime(2027, 6, 1, 14, 0), 100.0)  # STARTEX at scenario minute 100
    std = {"kind": "limit", "limit_min": 1440.0, "source": "002 L180"}
    act = {"id": "A", "zh": "物资", "en": "relief", "standard": std, "benchmark": None}
    late = {"t_min": 100.0 + 1200.0, "expected": [act]}  # released at T+20:00
    [note] = contingencies(late, None, clock, end_min=1440.0)
    assert note["when"] == "dropped" and "player" not in note and note["at_min"] == 2640.0
    assert "ENDEX T+24:00" in note["en"] and "T+44:00" in note["en"]
    fast = {**act, "standard": None, "benchmark": {"p90": 60.0}}
    [ok] = contingencies({"t_min": 100.0 + 1200.0, "expected": [fast]}, None, clock, 1440.0)
    assert ok["when"] == "slower" and ok["at_min"] == 1260.0 and ok["clock"] == "2027-06-02 12:40"
    # drill minutes count from STARTEX, not from the scenario's start; the end itself is in
    [edge] = contingencies({"t_min": 100.0 + 1380.0, "expected": [fast]}, None, clock, 1440.0)
    assert edge["when"] == "slower" and edge["at_min"] == 1440.0
    end = pkg_a["clock"]["window_h"] * 60.0
    for inj in pkg_a["msel"]:
        for c in inj["contingency"]:
            if c["when"] == "slower":
                assert c["at_min"] <= end + 1e-6, (inj["seq"], c)
                assert c["at_min"] == pytest.approx(
                    inj["t_min"] - pkg_a["clock"]["startex_t_min"] + c["after_min"], abs=0.11
                )
            else:
                assert c["when"] in ("faster", "dropped") and "player" not in c


def test_a_contingency_is_timed_by_a_benchmark_never_by_the_drills_own_draw():
    """Plan limit, else simulated P90, else (P90 "never": over 10% never came) the P90 of the
    outcomes that came; with none of them, no "slower" contingency (drill review: it fell back
    to the drill's own simulated time, one draw - 0 min for a road already being repaired)."""
    from sim.drill.measures import Benchmark
    from sim.drill.msel import DrillClock, contingencies

    inf = float("inf")
    b = Benchmark(
        "road_reopen",
        "",
        8,
        2,
        100.0,
        inf,
        (0, 0),
        (0, 0),
        0.25,
        [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, inf, inf],
    )
    assert b.p90_done == 60.0 and b.as_dict()["p90"] is None and b.as_dict()["p90_done"] == 60.0
    clock = DrillClock(dt.datetime(2027, 6, 1, 14, 0), 0.0)
    inj = {"t_min": 10.0}
    bench = {"p90": None, "p90_done": 60.0, "never_share": 0.25}
    came = {
        "id": "A",
        "zh": "抢通",
        "en": "reopen",
        "standard": None,
        "benchmark": bench,
        "sim_min": 0.0,
    }
    [c] = contingencies({**inj, "expected": [came]}, None, clock, 1440.0)
    assert c["when"] == "slower" and c["after_min"] == 60.0 and c["at_min"] == 70.0
    assert "P90 of the simulated outcomes that came; 25% never came" in c["en"]
    assert "25%模拟中未完成" in c["zh"]
    p90 = {**came, "benchmark": {"p90": 45.0, "p90_done": 40.0, "never_share": 0.05}}
    [c] = contingencies({**inj, "expected": [p90]}, None, clock, 1440.0)
    assert c["after_min"] == 45.0 and "(simulated P90)" in c["en"]
    std = {**p90, "standard": {"kind": "limit", "limit_min": 30.0, "source": "003 L31"}}
    [c] = contingencies({**inj, "expected": [std]}, None, clock, 1440.0)
    assert c["after_min"] == 30.0 and "(plan limit 003 L31)" in c["en"]
    draw_only = {**came, "benchmark": None}
    never = {**came, "benchmark": {"p90": None, "p90_done": None, "never_share": 1.0}}
    assert contingencies({**inj, "expected": [draw_only, never]}, None, clock, 1440.0) == []


# ---------------------------------------------------------------- drill review 3 (designer)


def _forbidden(pkg: dict) -> set[str]:
    """What no player text may hold: every expected action's text, the teams' config ids
    and where the teams are based, as the expected actions name them."""
    conf = compose_config(BASE)
    lay = conf.layout
    keys = [
        *lay.teams,
        *(lay.fire.teams if lay.fire else []),
        *(lay.repair.crews if lay.repair else []),
    ]
    out = {f"({k})" for k in keys} | {k for k in keys if "_" in k}
    for inj in pkg["msel"]:
        for a in inj["expected"]:
            out |= {a["zh"], a["en"]}
            out |= {f"based at {m}" for m in re.findall(r"based at ([^)]+)\)", a["en"])}
            out |= {f"驻{m}" for m in re.findall(r"驻([^）]+)）", a["zh"])}
    return out


def _paused_at(console, drill_min: float) -> None:
    """Stand the console's drill clock at ``drill_min`` (paused: it stays there)."""
    import time

    console.store.set_clock("paused", drill_min, time.time(), 60.0)


def test_no_player_text_names_the_expected_action_its_team_or_base(pkg_a, tmp_path):
    """Reviewer: a slower contingency's card read "Report now on the progress of: Send
    district comprehensive rescue team (district_team) (based at Beiwenquan Jiedao) to ...",
    the simulated answer. No player-visible text - cards, contingency texts, the player's
    /api/state with every inject and contingency out, the printable cards - holds any
    expected action's text, team id or team base."""
    from sim.drill.console.server import Console
    from sim.drill.console.store import Store
    from sim.drill.package import contingency_text

    forbidden = _forbidden(pkg_a)
    assert any(f.startswith("based at ") for f in forbidden)  # (the check has teeth)
    console = Console(pkg_a, Store(tmp_path / "d.sqlite"), speed=60.0)
    _paused_at(console, 1.0)
    slower = 0
    for inj in pkg_a["msel"]:
        assert console.release_by_hand(inj["seq"])
        for k, c in enumerate(inj["contingency"]):
            if "player" in c:
                assert console.release_contingency(inj["seq"], k)
                slower += 1
    assert slower >= 1
    texts = [json.dumps(console.state("player"), ensure_ascii=False), cards_html(pkg_a)]
    texts += [json.dumps(pkg_a["player_cards"], ensure_ascii=False)]
    for inj in pkg_a["msel"]:
        for c in inj["contingency"]:
            if "player" in c:
                texts.append(json.dumps(c["player"], ensure_ascii=False))
                texts.append(json.dumps(contingency_text(c, 3, "18:15"), ensure_ascii=False))
    for text in texts:
        hits = [f for f in forbidden if f in text]
        assert not hits, hits[:3]
    cards = console.state("player")["cards"]
    prompt = next(c for c in cards if "Municipal emergency bureau" in c["en"])
    assert re.search(r"on card \d+ \(received \d\d:\d\d\)", prompt["en"])
    assert re.search(r"第\d+号信息卡（\d\d:\d\d收到）", prompt["zh"])
    console.clock.stop()


def test_player_cards_carry_the_actual_release_in_order_of_release(pkg_a, tmp_path):
    """Reviewer: released by hand at 18:15, the card said "22:18 call received" with the
    clock 22:18, and card numbers 1, 6, 2 told players other injects exist. A card now
    carries its release time (header and text) and a number in order of release; the
    controller keeps the MSEL numbers, the player never sees them."""
    import datetime as _dt

    from sim.drill.console.server import Console
    from sim.drill.console.store import Store

    late = next(i for i in reversed(pkg_a["msel"]) if "{release}" in i["player_text"]["en"])
    first = pkg_a["msel"][0]
    assert late["seq"] > first["seq"] + 1
    console = Console(pkg_a, Store(tmp_path / "d.sqlite"), speed=60.0)
    _paused_at(console, 15.1)  # released early, by hand, at a fraction of a minute
    assert console.release_by_hand(late["seq"])
    _paused_at(console, 20.0)
    assert console.release_by_hand(first["seq"])
    assert console.release_contingency(late["seq"], 0)
    at = console.startex + _dt.timedelta(minutes=15.1)
    cards = console.state("player")["cards"]
    assert [c["card"] for c in cards] == [1, 2, 3]
    assert cards[0]["clock"] == at.strftime("%Y-%m-%d %H:%M") == cards[0]["released_clock"]
    assert f"{at:%H:%M} call received" in cards[0]["en"]
    scheduled = late["clock"][11:]
    assert scheduled != at.strftime("%H:%M") and scheduled not in cards[0]["en"]
    assert f"{at:%H:%M}" in cards[0]["zh"]
    assert f"on card 1 (received {at:%H:%M})" in cards[2]["en"]
    for c in cards:  # no MSEL number, no way it was released
        assert set(c) <= {"card", "clock", "released_clock", "from", "to", "method", "zh", "en"}
    ctl = console.state("controller")["cards"]
    assert [c["ref"] for c in ctl] == [
        f"MSEL {late['seq']}",
        f"MSEL {first['seq']}",
        f"C{late['seq']}.1",
    ]
    assert [c["kind"] for c in ctl] == ["inject", "inject", "contingency"]
    page = cards_html(pkg_a)  # the printable cards: blanks for number and times
    assert "CONTROLLER ONLY" in page and "Card No. ____" in page
    assert all(i["clock"] not in page for i in pkg_a["msel"])
    assert late["inject"]["en"] not in page and "{release" not in page
    console.clock.stop()


def test_a_drill_run_folder_is_results_district_drill_whatever_the_hazard():
    """Reviewer: drills went to results/beibei/audit/<ts>/ (and .../flood_evacuation/...,
    naming the hazard): conf/config.yaml's own hydra.run.dir came after the drill's. The
    folder of a drill is results/<district>/drill/<ts>/; other runs' folders are as before."""
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    compose_config([])  # (registers the schema)

    def run_dir(overrides: list[str]) -> tuple[str, str]:
        with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
            cfg = compose(config_name="config", overrides=overrides, return_hydra_config=True)
        raw = OmegaConf.to_container(cfg.hydra.run, resolve=False)["dir"]
        logged = cfg.hydra.job_logging.formatters.simple.format  # (drill: no times)
        assert ("asctime" in logged) == ("experiment=drill" not in overrides), logged
        return raw, str(cfg.hydra.output_subdir)

    stamp = "${now:%Y-%m-%d_%H-%M-%S-%f}"
    drill = f"results/${{district.name}}/drill/{stamp}"
    assert run_dir(["experiment=drill", "district=beibei"]) == (drill, "None")
    assert run_dir(["experiment=drill", "scenario=flood_evacuation"]) == (drill, "None")
    normal = f"results/${{district.name}}/${{scenario.name}}/{stamp}"
    assert run_dir([]) == (normal, ".hydra")
    assert run_dir(["scenario=storm", "district=fengdu"]) == (normal, ".hydra")
    assert run_dir(["experiment=robustness"]) == (normal, ".hydra")


def _open(argv: list[str], capsys) -> tuple[int, str]:
    from sim.drill.__main__ import main

    code = main(argv)
    return code, capsys.readouterr().err


def test_drill_writes_refuse_symbolic_links(tmp_path, pkg_a, monkeypatch, capsys):
    """Reviewer: with drill-XXXX_opened a link to an outside folder and the openings record
    a link to an outside file, `drill open` wrote the cleartext outside and appended to the
    outside file. Every drill write now refuses a link (one line, exit 2), writes nothing
    through it and leaves the outside untouched; so do the seal, the review and SQLite."""
    from sim.core.errors import OutputError, UserError
    from sim.drill.console.store import Store

    monkeypatch.setenv("DRILL_PASSPHRASE", "a good passphrase")
    pkg = {**pkg_a, "drill_id": "drill-0a1b"}
    folder = tmp_path / "run"
    folder.mkdir()
    sealed = folder / "drill-0a1b.sealed"
    seal(pkg, "a good passphrase", sealed, {"drill_id": "drill-0a1b", "district": "beibei"})
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = tmp_path / "victim.jsonl"
    victim.write_text("precious\n")
    opened = folder / "drill-0a1b_opened"
    opened.symlink_to(outside, target_is_directory=True)
    code, err = _open(["open", str(sealed)], capsys)
    assert code == 2 and err.count("\n") == 1 and "symbolic link" in err, err
    assert list(outside.iterdir()) == []
    assert not (folder / "drill-0a1b.sealed.openings.jsonl").exists()  # nothing was opened
    opened.unlink()
    record = folder / "drill-0a1b.sealed.openings.jsonl"
    record.symlink_to(victim)
    code, err = _open(["open", str(sealed)], capsys)
    assert code == 2 and err.count("\n") == 1 and "symbolic link" in err, err
    assert victim.read_text() == "precious\n" and not opened.exists()
    record.unlink()
    assert _open(["open", str(sealed)], capsys)[0] == 0  # no link: opened, recorded
    assert len(record.read_text().splitlines()) == 1 and (opened / "msel.html").is_file()
    # the seal, the review's folder, the SQLite file
    link = folder / "drill-0b.sealed"
    link.symlink_to(victim)
    with pytest.raises(OutputError, match="symbolic link"):
        seal({"x": 1}, "a good passphrase", link, {"drill_id": "drill-0b"})
    assert victim.read_text() == "precious\n"
    db = folder / "drill-0a1b.sqlite"
    db.symlink_to(victim)
    with pytest.raises(UserError, match="symbolic link"):
        Store(db)
    db.unlink()
    store = Store(db)
    store.set_meta("package", json.dumps(pkg, ensure_ascii=False))
    store.close()
    review = folder / "drill-0a1b_review"
    review.symlink_to(outside, target_is_directory=True)
    code, err = _open(["review", str(db)], capsys)
    assert code == 2 and err.count("\n") == 1 and "symbolic link" in err, err
    assert list(outside.iterdir()) == []


def _tampered(tmp_path, change) -> Path:
    """A small sealed file, its header changed by ``change(env)`` (no .sha256 beside it)."""
    path = tmp_path / "t.sealed"
    seal({"x": 1}, "a good passphrase", path, {"drill_id": "drill-0c", "district": "beibei"})
    path.with_name("t.sealed.sha256").unlink()
    env = json.loads(path.read_text())
    change(env)
    path.write_text(json.dumps(env))
    return path


def _shorter_nonce(env: dict) -> None:
    import base64

    env["nonce"] = base64.b64encode(b"12345").decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_shorter_nonce, "nonce of 5 bytes"),
        (lambda env: env["kdf"].update(n=2**14 + 1), "out of bounds"),
        (lambda env: env["kdf"].update(n=True), "out of bounds"),
        (lambda env: env["kdf"].update(salt="AAAA"), "salt of 3 bytes"),
        (lambda env: env.update(ciphertext="AAAA"), "wrong passphrase, or the file was modified"),
    ],
)
def test_a_tampered_sealed_file_is_one_line_exit_2(tmp_path, monkeypatch, capsys, change, message):
    """Reviewer: a 5-byte nonce, n = 2^14+1 gave a traceback (ValueError) and exit 1."""
    monkeypatch.setenv("DRILL_PASSPHRASE", "a good passphrase")
    path = _tampered(tmp_path, change)
    code, err = _open(["open", str(path), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("content", [b"", b"   \n", b"not-a-hash  t.sealed\n", b"\xff\xfe\x00"])
def test_a_bad_sha256_file_is_one_line_exit_2(tmp_path, monkeypatch, capsys, content):
    """Reviewer: an empty .sha256 file gave IndexError (mode.py split()[0])."""
    monkeypatch.setenv("DRILL_PASSPHRASE", "a good passphrase")
    path = _tampered(tmp_path, lambda env: None)
    path.with_name("t.sealed.sha256").write_bytes(content)
    code, err = _open(["open", str(path), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and err.count("\n") == 1 and "holds no SHA-256" in err, err
    assert not (tmp_path / "o").exists()


def test_a_costly_key_derivation_is_refused_before_it_runs(tmp_path, monkeypatch):
    """Reviewer: n=2^20, r=16, p=4 was within bounds; opening took 33 s and 2.2 GB before
    "wrong passphrase". Accepted now: what the tool writes plus a margin (n <= 2^16, r <= 8,
    p <= 2: 64 MiB at most)."""
    import time

    import sim.drill.seal as sealmod

    path = _tampered(tmp_path, lambda env: env["kdf"].update(n=2**20, r=16, p=4))
    t0 = time.perf_counter()
    with pytest.raises(SealError, match="out of bounds"):
        unseal(path, "a good passphrase")
    assert time.perf_counter() - t0 < 1.0
    for kdf in ({"n": 2**17}, {"r": 9}, {"p": 3}):
        bad = _tampered(tmp_path, lambda env, kdf=kdf: env["kdf"].update(kdf))
        with pytest.raises(SealError, match="out of bounds"):
            unseal(bad, "a good passphrase")
    # the largest accepted: 128 * 2^16 * 8 bytes = 64 MiB
    monkeypatch.setattr(sealmod, "SCRYPT_N", 2**16)
    monkeypatch.setattr(sealmod, "SCRYPT_P", 2)
    top = tmp_path / "top.sealed"
    seal({"x": 1}, "a good passphrase", top, {"drill_id": "drill-0d"})
    assert json.loads(top.read_text())["kdf"] | {"salt": ""} == {
        "name": "scrypt",
        "n": 2**16,
        "r": 8,
        "p": 2,
        "salt": "",
    }
    assert unseal(top, "a good passphrase") == {"x": 1}
    assert 128 * sealmod.SCRYPT_N_RANGE[1] * sealmod.SCRYPT_R_MAX <= 64 * 2**20


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.pop("player_cards"), "missing 'player_cards'"),
        (lambda p: p.pop("benchmarks"), "missing 'benchmarks'"),
        (lambda p: p.update(format="drill-package/0"), "format 'drill-package/0' is not"),
        (lambda p: p.update(player_cards=[1]), "'player_cards' is not a list of records"),
        (lambda p: p.update(msel={}), "'msel' is not a list of records"),
        (lambda p: p["player_cards"][0].update(seq=10**6), "a player card names no inject"),
        (lambda p: p["evaluator"][0].update(seq=10**6), "names no inject"),
        (lambda p: p["msel"][0].pop("clock"), "an inject lacks 'clock'"),
        (lambda p: p["clock"].update(window_h="24"), "clock 'window_h' is not a number"),
    ],
)
def test_a_package_of_the_wrong_shape_is_refused(pkg_a, change, message):
    """A package read back from a seal is data of unknown shape: each part the console and
    the review read is checked (one SealError line), and a sound package passes."""
    import copy

    from sim.drill.package import check_package, check_records_package

    assert check_package(copy.deepcopy(pkg_a)) == pkg_a
    bad = copy.deepcopy(pkg_a)
    change(bad)
    with pytest.raises(SealError, match=re.escape(message)):
        check_package(bad)
    records = {k: v for k, v in copy.deepcopy(pkg_a).items() if k not in ("format", "secret")}
    assert check_records_package(records) == records  # the SQLite record needs no seal's parts


@pytest.mark.parametrize("cmd", ["open", "serve"])
def test_a_package_whose_drill_id_is_a_path_is_refused_in_one_line(
    pkg_a, tmp_path, monkeypatch, capsys, cmd
):
    """Reviewer: a package whose drill_id is '../escaped' gave a ValueError traceback (open:
    mode.py with_name; serve: the SQLite file's name). Refused when the package is read."""
    from sim.drill.__main__ import main

    bad = json.loads(json.dumps(pkg_a)) | {"drill_id": "../escaped"}
    path = tmp_path / "d.sealed"
    seal(bad, "long passphrase", path, {"drill_id": "drill-x", "district": "beibei"})
    monkeypatch.setenv("DRILL_PASSPHRASE", "long passphrase")
    import socket

    with socket.socket() as s:  # (serve binds its port first: a free one)
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    rc = main([cmd, str(path), *(["--port", port] if cmd == "serve" else [])])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "drill_id '../escaped'" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.sealed", "d.sealed.sha256"]
    assert not (tmp_path.parent / "escaped.sqlite").exists()


def test_warning_and_road_rows_cite_the_plan_lines_their_standards_cite(pkg_a):
    """Reviewer: the review recommended "not in the plan" for the warning relay (its standard
    cites 003 L210 in Beibei) and for the road reopening (the layout's repair crews cite
    004 L247, 快速抢通保通能力). Both rows now carry those lines as their plan_source."""
    reopen = [a for i in pkg_a["msel"] for a in i["expected"] if a["measure"] == "road_reopen"]
    assert reopen and {a["plan_source"] for a in reopen} == {"004 L247"}
    storm = make_package(compose_config, [*BASE, "scenario=storm"], 7, "drill-storm")
    relay = [a for i in storm["msel"] for a in i["expected"] if a["measure"] == "warning_relay"]
    led = [a for a in relay if a["standard"]]
    assert led and all(a["standard"]["source"] == "003 L210" for a in led)
    assert {a["plan_source"] for a in led} == {"003 L210"}


def test_the_cut_off_towns_water_or_air_access_gets_no_road_reopening_benchmark(pkg_a):
    """Reviewer: "use the town's local stock; arrange access by water or air" was benchmarked
    against town cut off to reconnected (the roads' reopening, median 503 min) although the
    evaluator records when water or air access starts. The simulation logs no such time, so
    the action has no time benchmark (nor percentile), and its note says why."""
    acts = [(i, a) for i in pkg_a["msel"] for a in i["expected"] if a["measure"] == "isolation"]
    if not acts:
        pkg = make_package(compose_config, [*BASE, "scenario=flood_isolation"], 3, "drill-iso")
        acts = [(i, a) for i in pkg["msel"] for a in i["expected"] if a["measure"] == "isolation"]
    assert acts
    for inj, a in acts:
        assert a["benchmark"] is None and a["sim_min"] is None
        assert "no simulated benchmark" in inj["evaluator_notes"]["en"]
        assert "median" not in a["benchmark_text"]["en"]


def test_a_countys_cards_use_its_own_word():
    """Reviewer: Fengdu is a county (丰都县) but its cards said 全区, 区气象台, 区交通运输局,
    区应急指挥中心. The district's own word (its name_zh: 县) is used; Beibei keeps 区."""
    base = [o.replace("district=beibei", "district=fengdu") for o in BASE]
    ov = [*base, "scenario=storm", "experiment.drill.window_h=6", "experiment.drill.max_injects=6"]
    text = json.dumps(make_package(compose_config, ov, 5, "drill-fengdu"), ensure_ascii=False)
    assert "县应急指挥中心" in text
    for phrase in ("全区", "区气象台", "区交通运输局", "区应急指挥中心"):
        assert phrase not in text, phrase
    from sim.drill.names import local_words

    same = {"to": {"zh": "区应急指挥中心", "en": "district EOC"}}
    assert local_words(same, "区") == same


def test_a_broken_menu_entry_is_refused_whatever_is_drawn(tmp_path):
    """A menu entry naming a scenario that does not exist was found only when drawn, so its
    error named the drawn hazard (and a run that succeeded told it was another). The
    pre-flight now refuses it whatever the (fresh, random) secret seed draws, before
    anything is written: two runs, each of which the old code passed unless it drew the
    landslide."""
    env = {**os.environ, "DRILL_PASSPHRASE": "menu pass"}
    broken = "experiment.drill.hazards.landslide.scenario=nonexistent"
    for run in ("a", "b"):
        out = tmp_path / f"run_{run}"
        args = [sys.executable, "run_sim.py", *BASE, broken, f"hydra.run.dir={out}"]
        r = _run(args, env, ROOT)
        assert r.returncode == 2, r.stderr
        assert r.stderr.strip() == (
            "error: experiment.drill.hazards.landslide.scenario=nonexistent: no such scenario "
            "(available: audit, cascade, chemical, chemical_evacuation, earthquake, "
            "fire_extreme_day, fire_season, flood, flood_evacuation, flood_evacuation_stress, "
            "flood_isolation, geohazard_evacuation, landslide, storm)"
        )
        assert not out.exists()


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        ("scenario.landslide.no_such_key=3", "no key 'no_such_key' in scenario.landslide"),
        ("scenario.start_hour=-5", "scenario.start_hour=-5.0: must be within [0, 24)"),
    ],
)
def test_a_menu_entrys_own_broken_overrides_are_refused_whatever_is_drawn(
    tmp_path, override, problem
):
    """A menu entry's own overrides were composed only when it was drawn, and their error
    named it: a run that failed told the designer the drawn hazard (and one that passed,
    that it was another). Every entry with overrides is composed and typed before the draw."""
    from sim.cli import preflight
    from sim.core.errors import UserError

    entry = f'experiment.drill.hazards.landslide.overrides=["{override}"]'
    with pytest.raises(UserError) as err:
        preflight([*BASE, entry, f"hydra.run.dir={tmp_path / 'run'}"])
    msg = str(err.value)
    assert msg.startswith("experiment.drill.hazards.landslide.overrides: ") and problem in msg, msg
    assert "\n" not in msg and not (tmp_path / "run").exists()


def test_a_drawn_hazard_that_cannot_run_does_not_name_itself():
    """What fails only after the draw (the drawn scenario's compose or network checks) named
    the drawn hazard in its error: the message now says nothing of the draw."""
    from sim.cli import compose_config
    from sim.core.errors import UserError
    from sim.drill.mode import plan_drill

    calls = []

    def compose(overrides):
        calls.append(overrides)
        if len(calls) == 2:  # the drawn scenario
            name = next(o for o in overrides if o.startswith("scenario="))
            raise UserError(f"{name}: scenario.storm.closures_mean: bad")
        return compose_config(overrides)

    with pytest.raises(UserError) as err:
        plan_drill(compose, BASE, secret_seed=7, today=dt.date(2026, 12, 1))
    msg = str(err.value)
    assert len(calls) == 2 and msg.startswith("experiment.drill: the drawn hazard cannot be run")
    for hazard in ("storm", "cascade", "flood", "landslide", "earthquake", "chemical", "fire"):
        assert hazard not in msg


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p["msel"][0].update(capability="x"),
        lambda p: p["msel"][0].update(expected=["x", 3]),
        lambda p: p["msel"][0].update(inject=None),
        lambda p: p["evaluator"][0].update(action=None),
    ],
)
def test_a_sealed_package_of_another_shape_is_one_line_and_nothing_is_recorded(
    pkg_a, tmp_path, monkeypatch, capsys, mutate
):
    """Failure-mode review: a package sealed with the right passphrase but contents of
    another shape (another version's layout) gave a traceback from the documents, after the
    opening was recorded and an empty *_opened/ folder made."""
    from sim.drill.__main__ import main

    bad = json.loads(json.dumps(pkg_a)) | {"drill_id": "drill-0e"}
    mutate(bad)
    path = tmp_path / "d.sealed"
    seal(bad, "long passphrase", path, {"drill_id": "drill-0e", "district": "beibei"})
    monkeypatch.setenv("DRILL_PASSPHRASE", "long passphrase")
    rc = main(["open", str(path)])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1, err
    assert "contents do not have the shape of this version's documents" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.sealed", "d.sealed.sha256"]


def test_the_command_lines_own_bad_setting_is_not_blamed_on_a_menu_entry(tmp_path):
    """Failure-mode review: experiment.drill.not_before=notadate read 'error:
    experiment.drill.hazards.fire_extreme_day.overrides: experiment.drill.not_before=...'."""
    from sim.cli import preflight
    from sim.core.errors import UserError

    with pytest.raises(UserError) as err:
        preflight([*BASE, "experiment.drill.not_before=notadate", f"hydra.run.dir={tmp_path}/r"])
    assert str(err.value) == "experiment.drill.not_before='notadate': use an ISO date (2027-05-01)"


# ---------------------------------------------------------------- drill review 4 (designer)

FENGDU_FLOOD_SEED = 8280453132671869355  # drill-9d9f7809: shelter moves 12 h after arrival
FENGDU_FLOOD = [
    *(o.replace("district=beibei", "district=fengdu") for o in BASE),
    "scenario=flood_evacuation",
]


@pytest.fixture(scope="module")
def pkg_fengdu() -> dict:
    return make_package(compose_config, FENGDU_FLOOD, FENGDU_FLOOD_SEED, "drill-fengdu")


def test_a_move_between_shelters_is_no_inject(pkg_fengdu):
    """Reviewer: Fengdu's MSEL 12-15 repeated the text of 2-5 twelve hours later - groups
    moved from a temporary to an overnight shelter (``relief_transfer_in ... met``), scored
    as gaps with "Sim (min) 0". Only first arrivals at a shelter are injects."""
    conf, net, draw, _ = plan_drill(
        compose_config, FENGDU_FLOOD, pkg_fengdu["secret"]["seed"], dt.date(2027, 1, 1)
    )
    conf.experiment.seed = pkg_fengdu["secret"]["seed"]
    ev = run_replication(conf, net, 0).events()
    moved = set(ev.loc[ev.event == "relief_transfer_in", "entity"].astype(str))
    assert moved  # (the check has teeth: this drill moves groups between shelters)
    groups = [i for i in pkg_fengdu["msel"] if i["kind"] == "relief_group"]
    assert groups
    for inj in groups:
        assert inj["source_event"]["entity"] not in moved, inj["seq"]
    texts = [i["inject"]["zh"] for i in groups]
    assert len(texts) == len(set(texts)), texts


MACHINE_FIELDS = {"source_event", "node", "kind", "measure", "key", "sub", "benchmark_key"}
MACHINE_FIELDS |= {"when", "for", "who"}  # (a contingency's kind and row, a tier code)


def _texts(obj, key: str = "") -> list[tuple[str, str]]:
    """(key, text) of every string a person reads in ``obj`` (machine fields left out)."""
    if isinstance(obj, dict):
        return [t for k, v in obj.items() if k not in MACHINE_FIELDS for t in _texts(v, k)]
    if isinstance(obj, list):
        return [t for v in obj for t in _texts(v, key)]
    return [(key, obj)] if isinstance(obj, str) else []


def _layout_keys(overrides: list[str]) -> set[str]:
    conf = compose_config(overrides)
    lay = conf.layout
    keys = {*lay.depots, *lay.teams, *lay.shelters}
    keys |= set(lay.fire.teams if lay.fire else [])
    keys |= set(lay.repair.crews if lay.repair else [])
    keys |= set(lay.relief.fleets if lay.relief else [])
    keys |= set(lay.mutual_aid.centres if lay.mutual_aid else [])
    return keys


def test_cards_and_msel_name_places_and_units_never_by_their_keys(pkg_a, pkg_fengdu):
    """Reviewer: 【街镇物资储备点（town_dudu，都督乡）】, 调派车辆（own_trucks_001）,
    安置点（temporary_004）, 协议供应企业（supermarkets，三合街道）. Player cards and MSEL
    texts (both languages) use names and readable numbers, never a layout key or unit id."""
    unit = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
    for pkg, ov in ((pkg_a, BASE), (pkg_fengdu, FENGDU_FLOOD)):
        keys = _layout_keys(ov)
        texts = _texts(pkg["player_cards"]) + _texts(pkg["msel"])
        assert len(texts) > 50
        kinds = {i["kind"] for i in pkg["msel"]}
        for key, text in texts:
            assert not unit.search(text), (key, text)
            for k in keys:
                for form in (f"（{k}，", f"（{k}）", f"（{k}", f"({k}, ", f"({k})"):
                    assert form not in text, (k, text)
            if key == "zh":  # (placeholders such as {release} aside, no ASCII word)
                assert not re.search(r"[a-z]{3,}", re.sub(r"\{[^}]*\}", "", text)), text
    assert {"relief_group", "relief_stockout", "relief_calloff"} <= {
        i["kind"] for i in pkg_fengdu["msel"]
    }, kinds


def test_every_district_level_word_of_a_countys_drill_says_county(pkg_fengdu):
    """Reviewer: Fengdu (丰都县) still said 区防汛抗旱指挥部（导调组模拟）, 【区防汛抗旱（地灾）
    指挥部】, 区应急管理局物资科, 区水利局（水文站）, 区规划自然资源局, 区森林防灭火指挥部:
    only four phrases were made local. No Chinese text of a county's package - MSEL, cards,
    evaluator rows, the review's causes - says 区 for the county (社区, 区域 and the network's
    own names aside)."""
    from sim.drill.names import district_word, local_words
    from sim.drill.review import _causes

    conf, net, _, _ = plan_drill(
        compose_config, FENGDU_FLOOD, FENGDU_FLOOD_SEED, dt.date(2027, 1, 1)
    )
    assert district_word(conf.district.name_zh) == "县"
    assert district_word("某某市") == "市" and district_word("北碚区") == "区"
    net_names = [str(n) for n in set(net.node_attr["name_zh"]) if "区" in str(n)]

    def strip(text: str) -> str:
        for name in net_names:
            text = text.replace(name, "")
        return text.replace("社区", "").replace("区域", "")

    injects = {i["seq"]: i for i in pkg_fengdu["msel"]}
    texts = [
        t
        for part in ("msel", "player_cards", "evaluator")
        for key, t in _texts(pkg_fengdu[part])
        if key == "zh"
    ]
    for row in pkg_fengdu["evaluator"]:
        texts += [c["zh"] for c in _causes(row, injects, pkg_fengdu, None)]
    assert any("县内其他乡镇" in t for t in texts)  # (the review's causes were looked at)
    assert any("县防汛抗旱" in t for t in texts) and any("县应急管理局物资科" in t for t in texts)
    for text in texts:
        assert "区" not in strip(text), text
    # every sender the writers use, whatever this drill drew: each phrase made local
    for phrase in ("区水利局（水文站）", "区规划自然资源局（群测群防员）", "区森林防灭火指挥部"):
        assert "区" not in local_words({"zh": phrase}, "县")["zh"], phrase
    assert local_words({"zh": "区县级应急物资库"}, "县")["zh"] == "县级应急物资库"
    # and its English texts say county, not district (a whole word: subdistrict stays)
    en = local_words({"en": "District EOC; the district team; Sanhe Subdistrict"}, "县")["en"]
    assert en == "County EOC; the county team; Sanhe Subdistrict"
    for key, text in (kt for part in ("msel", "player_cards") for kt in _texts(pkg_fengdu[part])):
        if key == "en":
            assert not re.search(r"\bdistrict\b", text, re.I), text


def _t_plus_minutes(text: str) -> int:
    sign = -1 if text[1] == "-" else 1
    h, m = text[2:].split(":")
    return sign * (int(h) * 60 + int(m))


def test_every_clock_time_is_startex_plus_its_t_plus(pkg_a, pkg_b, pkg_fengdu):
    """Reviewer (drill-f37d9f6c, Bishan, window_h=8): the drawn start 23.0833 h showed 23:04,
    STARTEX 02:16, but MSEL 5 said T+01:48 at 04:05: 10 of 14 injects a minute off. Start
    and STARTEX are rounded to whole minutes once and every clock time shown is STARTEX plus
    the T+ minutes, for every inject of several drills and for any start and first alarm."""
    import random

    from sim.drill.console.clock import startex_of, t_plus
    from sim.drill.package import drill_clock_of

    for pkg in (pkg_a, pkg_b, pkg_fengdu):
        startex = dt.datetime.fromisoformat(pkg["clock"]["startex"])
        assert startex_of(pkg) == startex  # (to the microsecond: a whole minute)
        assert startex.second == 0 and startex.microsecond == 0
        for inj in pkg["msel"]:
            clock = dt.datetime.fromisoformat(inj["clock"])
            assert (clock - startex) / dt.timedelta(minutes=1) == _t_plus_minutes(
                inj["scenario_time"]
            ), (inj["seq"], inj["clock"], inj["scenario_time"], pkg["clock"])
        for row in pkg["evaluator"]:
            inj = next(i for i in pkg["msel"] if i["seq"] == row["seq"])
            assert (row["clock"], row["scenario_time"]) == (inj["clock"], inj["scenario_time"])
    rng = random.Random(7)
    for _ in range(2000):
        start_hour = rng.randrange(0, 24 * 12) / 12.0  # the draw's 5-minute steps
        startex_t = rng.uniform(0, 600)
        clock = drill_clock_of(dt.date(2027, 5, 1), start_hour, startex_t)
        assert clock.startex.second == 0 and clock.startex.microsecond == 0
        minute0 = dt.datetime(2027, 5, 1) + dt.timedelta(minutes=round(start_hour * 60))
        assert abs(clock.start - minute0) <= dt.timedelta(seconds=30)  # (rounded once)
        for t in (startex_t, startex_t + rng.uniform(0, 1440), startex_t + rng.randrange(1440)):
            shown = dt.datetime.strptime(clock.clock(t), "%Y-%m-%d %H:%M")
            assert (shown - clock.startex) / dt.timedelta(minutes=1) == _t_plus_minutes(
                t_plus(t - startex_t)
            )


EMPTY_FIRE_SEED = 6456507472454098177  # Beibei: a fire day without an ignition, "msel": []


def test_a_draw_with_too_few_injects_is_drawn_again_from_the_same_seed():
    """Reviewer: ``experiment=drill district=beibei`` sealed fire_extreme_day with no
    ignition ("msel": []); earthquakes were empty, fires a single inject, in some seeds. A
    draw with fewer than ``min_injects`` injects is drawn again from the next seed of the
    secret seed's stream, so the secret seed still fixes the package."""
    from sim.drill.draw import draw_seeds
    from sim.drill.package import draft_msel

    conf, net, draw, _ = plan_drill(compose_config, BASE, EMPTY_FIRE_SEED, dt.date(2027, 1, 1))
    assert conf.experiment.drill.min_injects == 5  # (the shipped default)
    assert draft_msel(conf, net, draw).n_injects == 0  # (the seed that sealed an empty MSEL)
    pkg = make_package(compose_config, BASE, EMPTY_FIRE_SEED, "drill-test")
    assert len(pkg["msel"]) >= 5
    seeds = draw_seeds(EMPTY_FIRE_SEED, 20)
    assert seeds[0] == EMPTY_FIRE_SEED and len(set(seeds)) == 20
    assert pkg["secret"]["seed"] in seeds[1:]
    again = make_package(compose_config, BASE, EMPTY_FIRE_SEED, "drill-test")
    assert json.dumps(again, sort_keys=True) == json.dumps(pkg, sort_keys=True)


def test_a_drill_that_cannot_have_enough_injects_is_refused_naming_no_draw(tmp_path):
    """No draw of ``max_draws`` gives ``min_injects`` injects: one line naming the setting,
    exit status 2, nothing sealed, and nothing said of what was drawn."""
    env = {**os.environ, "DRILL_PASSPHRASE": "refused pass"}
    out = tmp_path / "x"
    extra = [
        "experiment.drill.min_injects=40",
        "experiment.drill.hazards.chemical.min_injects=40",  # (its own minimum is 2)
        "experiment.drill.window_h=0.05",
        "experiment.drill.max_draws=3",
        "experiment.drill.benchmark_replications=1",
    ]
    r = _run([sys.executable, "run_sim.py", *BASE, *extra, f"hydra.run.dir={out}"], env, ROOT)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: experiment.drill.min_injects=40: none of the 3 draws")
    assert not list(out.glob("*.sealed"))
    menu = compose_config(BASE).experiment.drill.hazards
    said = (r.stdout + r.stderr).lower()
    for key, h in menu.items():
        for name in (key, h.label_zh, h.label_en, h.scenario):
            assert not name or name.lower() not in said, name
    assert not re.search(r"20\d\d-\d\d-\d\d", r.stdout + r.stderr)
    with pytest.raises(UserError, match=r"^experiment\.drill\.min_injects=41: more than"):
        compose_and_type([*BASE, "experiment.drill.min_injects=41"])


def compose_and_type(overrides: list[str]):
    """The typed config of ``overrides`` (its validation included)."""
    from sim.run.app import typed_config

    return typed_config(compose_config(overrides))


def test_opening_without_the_sha256_file_says_the_hash_was_not_compared(
    tmp_path, pkg_a, monkeypatch, capsys
):
    """Reviewer: the sealed file copied alone (no .sha256) opened with rc 0 and no word that
    its hash was never compared. It opens, with a one-line note saying so (and that the
    authenticated encryption still refuses a changed package); with the .sha256, or with
    --sha256, there is no note."""
    monkeypatch.setenv("DRILL_PASSPHRASE", "a good passphrase")
    sealed = tmp_path / "drill-0a1b.sealed"
    digest = seal(pkg_a, "a good passphrase", sealed, {"drill_id": "drill-0a1b"})
    code, err = _open(["open", str(sealed), "--out", str(tmp_path / "with")], capsys)
    assert code == 0 and err == "", err
    sealed.with_name(sealed.name + ".sha256").unlink()
    code, err = _open(["open", str(sealed), "--out", str(tmp_path / "alone")], capsys)
    assert code == 0 and err.count("\n") == 1, err
    assert err.startswith("note: no drill-0a1b.sealed.sha256 beside it and no --sha256")
    assert digest in err and "was not compared" in err
    assert "authenticated encryption still refuses a changed package" in err
    argv = ["open", str(sealed), "--out", str(tmp_path / "given"), "--sha256", digest]
    code, err = _open(argv, capsys)
    assert code == 0 and err == "", err


def test_opening_a_directory_says_it_is_a_directory(tmp_path, monkeypatch, capsys):
    """Reviewer: ``open <a directory>`` said the package "does not exist"."""
    monkeypatch.setenv("DRILL_PASSPHRASE", "a good passphrase")
    code, err = _open(["open", str(tmp_path)], capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert (
        err
        == f"error: '{tmp_path}' is a directory, not a sealed package file (give the .sealed file)\n"
    )
    code, err = _open(["open", str(tmp_path / "missing.sealed")], capsys)
    assert code == 2 and "does not exist" in err


def test_the_msel_workbook_is_in_chinese_and_english_like_the_html(pkg_fengdu):
    """Reviewer: msel.xlsx had English-only headers (and From, To, Method, capability,
    notes, benchmark, contingency in English only) while msel.html has both languages."""
    import io

    from sim.drill.sheets import msel_html, msel_xlsx

    ws = load_workbook(io.BytesIO(msel_xlsx(pkg_fengdu)))["MSEL"]
    heads = [c.value for c in ws[1]]
    page = msel_html(pkg_fengdu)
    for head in heads:
        zh, _, en = head.partition(" ")
        assert re.fullmatch(r"[\u4e00-\u9fff]+", zh) and re.search(r"[A-Za-z]", en), head
        assert zh in page and en.split(" ")[0].lower() in page.lower(), head  # (the HTML's)
    assert ws.max_row == 1 + len(pkg_fengdu["msel"])
    for i, inj in enumerate(pkg_fengdu["msel"], start=2):
        row = {h: ws.cell(i, k).value for k, h in enumerate(heads, start=1)}
        for head, key in (("发出 From", "from"), ("方式 Method", "method")):
            assert row[head] == f"{inj[key]['zh']}\n{inj[key]['en']}"
        for a in inj["expected"]:
            assert a["benchmark_text"]["zh"] in row["基准 Benchmark"]
        assert inj["capability"]["zh"] in row["核心能力 Core capability"]


def test_the_designer_cannot_tell_the_hazard_from_how_long_the_draw_took(tmp_path):
    """Reviewer: the designer's terminal showed how long the draw took (cascade 6 s, fire 12
    s, flood 14.5 s), a hint at the hazard. The passphrase is asked before the draw, the
    sealed file is shown only ``hold_s`` after the start, whatever was drawn, and no time is
    printed."""
    import time

    env = {**os.environ, "DRILL_PASSPHRASE": "held pass phrase"}
    out = tmp_path / "run"
    args = [*BASE, "experiment.drill.hold_s=12", "experiment.drill.benchmark_replications=1"]
    t0 = time.monotonic()
    r = _run([sys.executable, "run_sim.py", *args, f"hydra.run.dir={out}"], env, ROOT)
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    assert took >= 12.0
    assert "held until 12 s after the start" in r.stdout
    assert not re.search(r"\d+(\.\d+)? ?s\b(?! after the start)", r.stdout + r.stderr), r.stdout
    assert compose_config(BASE[:-1]).experiment.drill.hold_s == 60.0  # (the shipped default)


def test_the_tier_column_names_the_tier_in_words_not_its_layout_code(pkg_a, pkg_fengdu):
    """Reviewer (left over from the names fix): the MSEL, the evaluator sheet and the
    review showed a tier as its config code (fire_rescue); and the tier labels kept the
    generic 区县 / district of every district: a county's sheets now say 县综合应急救援队
    county ..., a 区's 区综合应急救援队."""
    from sim.drill.names import TIER_LABELS, district_word, tier_text
    from sim.drill.review import recommendation
    from sim.drill.sheets import evaluator_html, msel_html

    assert tier_text("fire_rescue", "区") == "消防救援站 fire-rescue station"
    assert tier_text("unknown_tier", "县") == "unknown_tier"
    assert tier_text("district", "县") == "县综合应急救援队 county comprehensive rescue team"
    assert tier_text("district", "区") == "区综合应急救援队 district comprehensive rescue team"
    words = set()
    for pkg in (pkg_a, pkg_fengdu):
        word = district_word(pkg["district"]["zh"])
        words.add(word)
        # the layout's tier codes ("district EOC" and the like are words already)
        tiers = {a["who"] for i in pkg["msel"] for a in i["expected"]} & set(TIER_LABELS)
        assert tiers
        page, sheet = msel_html(pkg), evaluator_html(pkg)
        assert "区县" not in page and "区县" not in sheet
        for t in tiers:
            text = tier_text(t, word)
            assert f"<i>{text} " in page and not re.search(rf"<i>{t} (?!EOC)", page), t
            assert f"<td>{text}</td>" in sheet and f"<td>{t}</td>" not in sheet, t
        for row in pkg["evaluator"]:
            assert "区县" not in json.dumps(recommendation(row, pkg), ensure_ascii=False)
    assert words == {"区", "县"}
