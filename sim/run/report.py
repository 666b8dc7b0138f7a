"""The planner's report: one self-contained HTML file (figures embedded), no Python needed."""

from __future__ import annotations

import base64
import html
import math
import re
from pathlib import Path

from sim.config import Config
from sim.core.paths import CONF_DIR
from sim.run.targets import TargetResult

_VERDICT_COLOUR = {
    "PASS": "#2e7d32",
    "FAIL": "#c62828",
    "INCONCLUSIVE": "#ef6c00",
    "NOT MODELLED": "#757575",
}


def config_files(choices: dict[str, str]) -> list[Path]:
    """The config files behind the chosen options, with the files their defaults pull in."""
    todo = [CONF_DIR / g / f"{o}.yaml" for g, o in choices.items()]
    seen: list[Path] = []
    while todo:
        path = todo.pop(0)
        if path in seen or not path.exists():
            continue
        seen.append(path)
        text = path.read_text(encoding="utf-8")
        block = re.search(r"^defaults:\n((?:[ \t]+-.*\n?)+)", text, re.M)
        for line in block.group(1).splitlines() if block else []:
            entry = line.strip()[1:].strip()
            if entry.startswith("_self_"):
                continue
            if ":" in entry:  # - /group@package: option  or  - group: option
                group, _, option = entry.partition(":")
                group = group.split("@", 1)[0].strip()
                base = (
                    CONF_DIR / group.lstrip("/") if group.startswith("/") else path.parent / group
                )
                todo.append(base / f"{option.strip()}.yaml")
            else:  # - option  (same group)
                todo.append(path.parent / f"{entry}.yaml")
    return seen


def assumptions(choices: dict[str, str]) -> list[tuple[str, str, str]]:
    """(file, setting, reason) for every ``ASSUMPTION`` note in the config files used."""
    out = []
    for path in config_files(choices):
        name = str(path.relative_to(CONF_DIR))
        for line in path.read_text(encoding="utf-8").splitlines():
            if "ASSUMPTION" not in line:
                continue
            setting = line.split("#", 1)[0].strip() if "#" in line else ""
            reason = line.split("ASSUMPTION", 1)[1].lstrip(":").strip()
            out.append((name, setting or "(note)", reason))
    return out


def _fmt(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.4g}" if isinstance(x, float) else html.escape(str(x))


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    title = html.escape(path.stem.replace("_", " "))
    return f'<figure><img alt="{title}" src="data:image/png;base64,{data}"><figcaption>{title}</figcaption></figure>'


def _all_zero(est: dict) -> bool:
    return est["mean"] == 0 and est["sd"] in (0, 0.0, None)


def write_report(
    conf: Config,
    summary: dict,
    verdicts: list[TargetResult],
    outdir: Path,
    choices: dict[str, str],
) -> Path:
    """Write ``report.html`` in ``outdir`` and return its path."""
    d, s, lay, ex = conf.district, conf.scenario, conf.layout, conf.experiment
    target_rows = []
    for v in verdicts:
        colour = _VERDICT_COLOUR.get(v.verdict, "#000")
        ci = "" if math.isnan(v.ci_low) else f"[{v.ci_low:.4g}, {v.ci_high:.4g}]"
        target_rows.append(
            [
                html.escape(v.description or v.key),
                html.escape(v.metric),
                f"{html.escape(v.comparator)} {v.threshold:g}",
                _fmt(v.estimate),
                ci,
                str(v.n),
                f'<b style="color:{colour}">{v.verdict}</b>',
                html.escape(v.source),
                html.escape(v.method + (f"; {v.note}" if v.note else "")),
            ]
        )
    kpi_rows = [
        [
            html.escape(k),
            _fmt(e["mean"]),
            "" if e["ci95_low"] is None else f"[{e['ci95_low']:.4g}, {e['ci95_high']:.4g}]",
            str(e["n"]),
        ]
        for k, e in summary["kpis"].items()
        if e["n"] and not _all_zero(e)
    ]
    zero = [k for k, e in summary["kpis"].items() if e["n"] and _all_zero(e)]
    zero_html = f"<p>Zero in every replication: {html.escape(', '.join(zero))}.</p>" if zero else ""
    teams = sum(t.count for t in lay.teams.values())
    people = sum(t.count * t.headcount for t in lay.teams.values())
    failed = summary.get("failed_replications", [])
    figures = "".join(_img(p) for p in sorted(outdir.glob("*.png")))
    assum = assumptions(choices)
    assum_rows = [[html.escape(f), html.escape(k), html.escape(r)] for f, k, r in assum]
    failed_html = (
        (
            "<p class='warn'>"
            + "<br>".join(
                html.escape(f"replication {f['rep']} failed (seed {f['seed']}): {f['error']}")
                for f in failed
            )
            + "</p>"
        )
        if failed
        else ""
    )
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{html.escape(d.name_zh)} {html.escape(d.name_en)}: {html.escape(s.name)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       max-width: 1100px; margin: 2em auto; color: #222; line-height: 1.45; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f0f0f0; }}
figure {{ display: inline-block; margin: 0.5em; }} img {{ max-width: 520px; }}
.warn {{ color: #c62828; }}
</style></head><body>
<h1>{html.escape(d.name_zh)} {html.escape(d.name_en)} — {html.escape(s.name)}</h1>
<h2>What was simulated</h2>
<p><b>Scenario.</b> {html.escape(s.description)}</p>
<p><b>Resource layout “{html.escape(lay.name)}”.</b> {html.escape(lay.description)}
({teams} rescue teams, {people} responders.)</p>
<p><b>Experiment.</b> {summary["replications"]} replications ({summary["replications_ok"]}
succeeded), seed {ex.seed}, {summary["hours"]:g} simulated hours per replication, road network
<code>{html.escape(d.network)}</code>. Layouts run with the same seed face the same disasters.</p>
{failed_html}
<h2>Plan targets</h2>
<p>PASS: the whole 95% interval meets the target. FAIL: none of it does. INCONCLUSIVE: the
interval straddles the threshold (run more replications). NOT MODELLED: this scenario does not
produce the metric.</p>
{
        _table(
            [
                "target",
                "metric",
                "goal",
                "estimate",
                "95% CI",
                "replications",
                "verdict",
                "source (seed line)",
                "method",
            ],
            target_rows,
        )
    }
<h2>Key performance indicators (mean over replications)</h2>
{_table(["KPI", "mean", "95% CI", "n"], kpi_rows)}
{zero_html}
<h2>Figures</h2>
{figures or "<p>No figures.</p>"}
<h2>Assumptions used</h2>
<p>Every value below is not from the plans; the reason is in the config file.</p>
{_table(["config file", "setting", "assumption"], assum_rows)}
<p>Output files: summary.json, targets.csv, kpis.csv (one row per replication) and the
detail tables beside this report; CSV files are UTF-8 with BOM for Excel.</p>
</body></html>
"""
    path = outdir / "report.html"
    path.write_text(re.sub(r"[ \t]+\n", "\n", page), encoding="utf-8")
    return path
