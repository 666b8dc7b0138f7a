"""The planner's report and figures: one self-contained HTML file; CJK names or pinyin."""

from __future__ import annotations

import numpy as np
import pytest
from omegaconf import OmegaConf

import sim.core.plotting as figures
from sim.config import TargetConfig
from sim.run.app import write_outputs
from sim.run.experiment import run_replications
from sim.run.report import assumptions
from sim.run.targets import evaluate_all
from tests.test_model import NET, make_config


def test_report_is_self_contained_with_verdicts_figures_and_assumptions(tmp_path):
    conf = make_config(teams=2)
    conf.experiment.replications = 3
    conf.district.targets = {
        "lead": TargetConfig(
            metric="warning_lead_min",
            comparator=">=",
            threshold=45,
            source="000 L164",
            description="warning 45 min ahead",
        ),
        "fires": TargetConfig(
            metric="fires_out_24h_share",
            comparator=">=",
            threshold=0.95,
            numerator="fires_out_24h",
            denominator="fires",
        ),
    }
    results = run_replications(conf, NET)
    verdicts = evaluate_all(
        conf.district.targets, {k: np.array([r.kpis[k] for r in results]) for k in results[0].kpis}
    )
    choices = {"district": "bishan", "scenario": "storm", "layout": "bishan"}
    write_outputs(conf, OmegaConf.structured(conf), results, verdicts, tmp_path, NET, choices)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "warning 45 min ahead" in page and "INPUT" in page and "NOT MODELLED" in page
    assert page.count("data:image/png;base64,") >= 2  # CDF and map embedded
    assert "ASSUMPTION" not in page  # reasons are shown, not the marker
    assert any("life-saving window" in a.text for a in assumptions([choices]))
    assert "life-saving window" in page
    assert (tmp_path / "targets.csv").read_text(encoding="utf-8-sig").startswith("key,")


def test_labels_fall_back_to_pinyin_without_cjk_font(monkeypatch):
    i = NET.index["a"]
    names = {a: list(NET.node_attr[a]) for a in ("name_zh", "name_en")}
    names["name_zh"][i], names["name_en"][i] = "甲镇", "Jia Zhen"
    for a, values in names.items():
        monkeypatch.setitem(NET.node_attr, a, values)
    monkeypatch.setattr(figures, "cjk_font", lambda: None)
    assert figures.place_label(NET, i) == "Jia Zhen"
    monkeypatch.setattr(figures, "cjk_font", lambda: "Noto Sans CJK SC")
    assert figures.place_label(NET, i) == "甲镇"


def test_assumptions_follow_the_defaults_lists_of_the_config_files():
    from sim.run.report import config_files

    files = config_files({"scenario": "cascade", "layout": "fengdu_prepositioned"})
    names = {p.parent.name + "/" + p.stem for p, _ in files}
    packages = {p.parent.name + "/" + p.stem: pkg for p, pkg in files}
    assert packages["rivers/chongqing"] == "scenario.cascade.flood.rivers"
    assert packages["layout/fengdu"] == "layout"
    assert {
        "scenario/cascade",
        "rivers/chongqing",
        "geohazards/chongqing",
        "layout/fengdu_prepositioned",
        "layout/fengdu",
    } <= names


@pytest.mark.parametrize(
    ("x", "text"),
    [(4073.0, "4,073"), (4.07e3, "4,070"), (0.93912, "0.9391"), (12.0, "12"), (2e-5, "0.00002"),
     (1697.4, "1,697"), (-3.5, "-3.5"), (float("nan"), "n/a"), (None, "n/a"), (5000, "5,000")],
)  # fmt: skip
def test_numbers_are_formatted_for_people(x, text):
    from sim.run.report import human_number

    assert human_number(x) == text
