"""The planner's report and figures: one self-contained HTML file; CJK names or pinyin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

import sim.core.plotting as figures
from sim.config import TargetConfig
from sim.run import report
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
    # each figure captioned with what it shows (saved in the PNG) and linked to its file
    assert "Incidents of every replication by place" in page
    assert "The district&#x27;s road network" in page and 'href="network_map.png"' in page
    assert 'href="incident_map.png"' in page and 'href="response_time_cdf.png"' in page
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


def test_chinese_labels_use_a_simplified_chinese_sans_face_whatever_the_font_order(monkeypatch):
    from types import SimpleNamespace

    fonts = ["DejaVu Sans", "Noto Serif CJK JP", "Noto Sans CJK JP", "Noto Sans CJK TC"]
    for extra, best in (
        ([], "Noto Sans CJK JP"),  # no Chinese face: a sans variant before the serif one
        (["Noto Serif CJK SC"], "Noto Serif CJK SC"),  # the Chinese forms before the style
        (["Noto Serif CJK SC", "Noto Sans CJK SC"], "Noto Sans CJK SC"),
    ):
        for order in (fonts + extra, list(reversed(fonts + extra))):
            ttf = [SimpleNamespace(name=n) for n in order]
            monkeypatch.setattr(figures.font_manager.fontManager, "ttflist", ttf)
            figures.cjk_font.cache_clear()
            assert figures.cjk_font() == best, order
    monkeypatch.setattr(
        figures.font_manager.fontManager, "ttflist", [SimpleNamespace(name="DejaVu Sans")]
    )
    figures.cjk_font.cache_clear()
    assert figures.cjk_font() is None
    monkeypatch.undo()
    figures.cjk_font.cache_clear()


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
    ("comment", "reason"),
    [
        (" ASSUMPTION: one van per team", "one van per team"),
        (" ASSUMPTION", ""),  # bare: tests/test_shipped_configs.py refuses it
        ("Team sizes and delays: ASSUMPTION.", "Team sizes and delays."),  # the marker closes it
        ("60% of fires (split ASSUMPTION).", "60% of fires (split)."),
    ],
)
def test_an_assumption_note_keeps_its_reason_wherever_the_marker_sits(comment, reason):
    from sim.run.report import _reason

    assert _reason(comment) == reason


def test_a_verdict_lists_only_the_settings_of_the_run_that_judged_it():
    from sim.cli import compose_config
    from sim.run.app import prepare
    from sim.run.report import assumptions_read

    conf, _ = prepare(compose_config(["scenario=storm"]))
    notes = assumptions(  # (an audit's notes: every scenario's files, and another district's)
        [
            {"district": "bishan", "scenario": "storm", "layout": "bishan"},
            {"district": "bishan", "scenario": "fire_season", "layout": "bishan"},
            {"district": "fengdu", "scenario": "flood_evacuation", "layout": "fengdu"},
        ]
    )
    v = next(t for t in evaluate_all(conf.district.targets, {}) if t.key == "rescue_response")
    every = {a.key for a in assumptions_read(v, notes)}
    own = {a.key for a in assumptions_read(v, notes, conf)}
    assert own and own < every
    assert any(k.startswith("layout.teams.community") for k in own)
    assert not any(k.startswith(("scenario.fire", "scenario.evacuation")) for k in own)
    assert not any(d in k.split(".") for k in own for d in ("fengdu", "beibei", "nanan"))
    # the warning lead echoes one storm setting: no other scenario assumption is "read"
    lead = next(t for t in evaluate_all(conf.district.targets, {}) if t.key == "warning_lead")
    read = {a.key for a in assumptions_read(lead, notes, conf)}
    assert read <= {"scenario.storm.warning_lead_min"}
    assert any(k.startswith("scenario.storm.") for k in every)  # (there were others to list)


@pytest.mark.parametrize(
    ("x", "text"),
    [(4073.0, "4,073"), (4.07e3, "4,070"), (0.93912, "0.9391"), (12.0, "12"), (2e-5, "0.00002"),
     (1697.4, "1,697"), (-3.5, "-3.5"), (float("nan"), "n/a"), (None, "n/a"), (5000, "5,000")],
)  # fmt: skip
def test_numbers_are_formatted_for_people(x, text):
    from sim.run.report import human_number

    assert human_number(x) == text


def crowded_network():
    """40 streets and towns packed in a few km (their names would pile up) round a depot."""
    import networkx as nx

    from sim.core.network import RoadNetwork
    from tests.conftest import node, road

    g = nx.Graph()
    node(g, "depot", kind="depot", pop=0, lat=29.50, lon=106.20)
    rng = np.random.default_rng(3)
    for i in range(40):
        kind = "street" if i % 3 == 0 else "town"
        lat, lon = 29.50 + rng.uniform(-0.03, 0.03), 106.20 + rng.uniform(-0.03, 0.03)
        node(g, f"place_{i:02d}_long_name", kind=kind, pop=1000 + 100 * i, lat=lat, lon=lon)
        road(g, "depot", f"place_{i:02d}_long_name", 5 + i % 7)
    return RoadNetwork(g, source="crowded")


def test_network_map_labels_never_overlap_and_streets_differ_from_towns(tmp_path, monkeypatch):
    """No two place names drawn on the map overlap (measured in pixels of the saved figure);
    names with no free spot are left out and counted; streets and towns get their own marker
    and legend entry."""
    import matplotlib.pyplot as plt

    from sim.run.figures import network_map

    net = crowded_network()
    monkeypatch.setattr(figures, "cjk_font", lambda: None)
    kept = []
    real_close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig: kept.append(fig))
    labels = network_map(net, make_config(), tmp_path / "network_map.png")
    monkeypatch.setattr(plt, "close", real_close)
    fig = kept[0]
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in labels]
    assert 5 <= len(boxes) < 40  # some drawn, the crowd thinned out
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    ax = fig.axes[0]
    assert "names of smaller places left out" in ax.get_xlabel().replace("name(s)", "names")
    assert str(40 - len(labels)) in ax.get_xlabel()
    drawn = {t.get_text() for t in labels}
    biggest = max(range(net.n), key=lambda i: net.population[i])
    assert net.node_attr["name_en"][biggest] in drawn  # the most populous keeps its name
    leg = ax.get_legend()
    legend = {t.get_text(): h for t, h in zip(leg.get_texts(), leg.legend_handles, strict=True)}
    assert "street (urban) (14)" in legend and "town (26)" in legend  # no CJK font: no 街道
    square, circle = (legend[k].get_paths()[0] for k in ("street (urban) (14)", "town (26)"))
    assert len(square.vertices) != len(circle.vertices)  # a square is not a circle
    real_close(fig)


def test_place_labels_leave_out_what_cannot_fit():
    """Twenty labels on one point: the first takes a spot, each spot is taken once, the rest
    are left out; none overlaps another."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 3))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    texts, left_out = figures.place_labels(ax, [(0.5, 0.5, f"label {i}") for i in range(20)])
    assert texts[0].get_text() == "label 0"
    assert len(texts) + left_out == 20 and len(texts) <= len(figures.LABEL_OFFSETS)
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in texts]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    plt.close(fig)


def test_the_audit_writes_its_workbook_once(tmp_path, monkeypatch):
    """tables.xlsx of an audit is some 150,000 cells (2 s of CPU): written once, not twice."""
    from types import SimpleNamespace

    import sim.run.report as report

    calls = []
    monkeypatch.setattr(report, "write_workbook", lambda outdir: calls.append(outdir))
    monkeypatch.setattr(report, "render", lambda *a, **k: "<html></html>")
    district = SimpleNamespace(name="bishan", name_zh="璧山区", name_en="Bishan")
    conf = SimpleNamespace(district=district, scenario=SimpleNamespace(name="storm"))
    report.write_audit_report([SimpleNamespace(conf=conf)], [], tmp_path, [{}], [], {})
    assert calls == [tmp_path]
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == "<html></html>"


def test_workbook_sheets_hold_every_csv_cell_typed_with_gaps_empty(tmp_path):
    """tables.xlsx: one sheet per CSV, numbers as numbers, text as text, a missing value an
    empty cell (not 'nan'), in the CSV's row order."""
    openpyxl = pytest.importorskip("openpyxl")
    pytest.importorskip("xlsxwriter")
    pd.DataFrame(
        {
            "rep": [0, 1, 2],
            "t_min": [1.5, float("nan"), 2.0],
            "town": ["璧城街道", None, "x"],
            "ok": [True, False, True],
        }
    ).to_csv(tmp_path / "a.csv", index=False, encoding="utf-8-sig")
    (tmp_path / "sub").mkdir()
    pd.DataFrame({"n": [7]}).to_csv(tmp_path / "sub" / "b.csv", index=False)
    path = report.write_workbook(tmp_path)
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["a", "sub.b"]
    rows = [list(r) for r in wb["a"].iter_rows(values_only=True)]
    assert rows == [
        ["rep", "t_min", "town", "ok"],
        [0, 1.5, "璧城街道", True],
        [1, None, None, False],
        [2, 2.0, "x", True],
    ]
    assert [list(r) for r in wb["sub.b"].iter_rows(values_only=True)] == [["n"], [7]]


def test_workbook_text_that_looks_like_a_formula_or_link_stays_text(tmp_path):
    """A town named "=HYPERLINK(...)" or a note with a web address is written as the text
    it is: no formula runs and no link opens when a planner opens the file (the sheet's XML
    has no formula and no hyperlink); an infinity is the text inf (a number cell cannot
    hold it; not a formula showing #DIV/0!); sheet names that differ only in case (Excel
    treats them as one) or start with a quote (Excel refuses them) are made valid."""
    import zipfile

    openpyxl = pytest.importorskip("openpyxl")
    pytest.importorskip("xlsxwriter")
    pd.DataFrame(
        {
            "town": ['=HYPERLINK("http://x","y")', "https://example.org", "+1", "007"],
            "h": [1.0, float("inf"), -float("inf"), 0.0],
        }
    ).to_csv(tmp_path / "A.csv", index=False)
    pd.DataFrame({"n": [1]}).to_csv(tmp_path / "a.csv", index=False)
    pd.DataFrame({"n": [2]}).to_csv(tmp_path / "'q'.csv", index=False)
    path = report.write_workbook(tmp_path)
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = "".join(z.read(n).decode("utf-8") for n in sheets)
        assert "<f>" not in xml and "<hyperlink" not in xml
    wb = openpyxl.load_workbook(path)
    assert [s.lower() for s in wb.sheetnames] == ["q", "a", "a~2"]
    rows = [list(r) for r in wb[wb.sheetnames[1]].iter_rows(values_only=True)]
    assert [r[0] for r in rows[1:]] == [
        '=HYPERLINK("http://x","y")',
        "https://example.org",
        "+1",
        "007",
    ]
    assert [r[1] for r in rows[1:]] == [1.0, "inf", "-inf", 0.0]
    assert all(c.data_type == "s" for c in wb[wb.sheetnames[1]]["A"][1:])
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".xlsx-")]


def test_a_failed_workbook_leaves_no_temporary_files(tmp_path, monkeypatch):
    """XlsxWriter's row files live in a private folder of the run folder, removed even when
    writing fails half-way."""
    pytest.importorskip("xlsxwriter")
    pd.DataFrame({"n": [1, 2]}).to_csv(tmp_path / "a.csv", index=False)
    pd.DataFrame({"n": [3]}).to_csv(tmp_path / "b.csv", index=False)
    calls = []

    def broken(ws, frame):
        calls.append(ws.name)
        if len(calls) == 2:
            raise OSError("disk full")
        ws.write_string(0, 0, "n")

    monkeypatch.setattr(report, "_write_sheet", broken)
    with pytest.raises(OSError):
        report.write_workbook(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]
