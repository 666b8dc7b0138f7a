"""The planner's report: one self-contained HTML file (figures embedded), no Python needed.

The verdict table comes first (simulated targets), then the plan inputs checked (targets
computed from the layout, and configured inputs shown beside the plan's figure), the
overrides used, one section per simulated scenario (what ran, KPIs, figures) and the
assumptions of the config files actually composed, each whole, with the verdicts that read
them.
"""

from __future__ import annotations

import base64
import html
import math
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sim.config import Config
from sim.config.uncertainty import config_value
from sim.core.kpi import infer_spec
from sim.core.paths import CONF_DIR
from sim.run.metrics import kpi_specs
from sim.run.targets import TargetResult, goal_text, is_plan_input, level_text, unit_sign

_VERDICT_COLOUR = {
    "PASS": "#2e7d32",
    "FAIL": "#c62828",
    "INCONCLUSIVE": "#ef6c00",
    "NOT MODELLED": "#757575",
    "INPUT": "#455a64",
}
_GROUP_PACKAGE = {"district": "district", "layout": "layout", "scenario": "scenario"}


@dataclass(frozen=True)
class Assumption:
    """One ``# ASSUMPTION`` note: where it stands, the setting it is about, its whole text."""

    file: str
    key: str  # dotted config path (e.g. layout.evacuation.channels.sms.reach), "" if a note
    text: str


@dataclass
class Section:
    """One simulated scenario of the report."""

    conf: Config
    summary: dict
    folder: Path  # where its figures are
    link: str = ""  # relative folder name in an audit ("" in a single run)


def config_dirs() -> list[Path]:
    """The folders configs were composed from, in Hydra's search order: ``conf/`` and then
    any ``--config-dir`` (read from the running Hydra job; ``conf/`` alone outside one)."""
    from hydra.core.hydra_config import HydraConfig

    dirs = [CONF_DIR]
    if HydraConfig.initialized():
        for src in HydraConfig.get().runtime.config_sources:
            if src.schema == "file" and src.path and Path(src.path).resolve() != CONF_DIR:
                dirs.append(Path(src.path).resolve())
    return dirs


def _find(dirs: list[Path], rel: str) -> Path:
    """The first of ``dirs`` holding ``rel`` (the first folder if none does)."""
    return next((d / rel for d in dirs if (d / rel).exists()), dirs[0] / rel)


def config_files(choices: dict[str, str], dirs: list[Path] | None = None) -> list[tuple[Path, str]]:
    """The config files behind the chosen options, with the files their defaults pull in,
    each with the config package its keys land in (e.g. ``scenario.flood.rivers``); a file
    is looked for in ``dirs`` (default :func:`config_dirs`: a layout copied under a
    ``--config-dir`` keeps its assumption notes)."""
    dirs = dirs or config_dirs()
    todo = [(_find(dirs, f"{g}/{o}.yaml"), _GROUP_PACKAGE.get(g, g)) for g, o in choices.items()]
    seen: list[tuple[Path, str]] = []
    while todo:
        path, pkg = todo.pop(0)
        if any(path == p for p, _ in seen) or not path.exists():
            continue
        seen.append((path, pkg))
        text = path.read_text(encoding="utf-8")
        block = re.search(r"^defaults:\n((?:[ \t]+-.*\n?)+)", text, re.M)
        for line in block.group(1).splitlines() if block else []:
            entry = line.strip()[1:].strip()
            if entry.startswith("_self_"):
                continue
            if ":" in entry:  # - /group@package: option  or  - group: option
                group, _, option = entry.partition(":")
                group, _, package = group.strip().partition("@")
                sub = f"{pkg}.{package}" if package else pkg
                rel = f"{group.strip('/')}/{option.strip()}.yaml"
                if group.startswith("/"):
                    todo.append((_find(dirs, rel), sub))
                else:
                    todo.append((path.parent / rel, sub))
            else:  # - option  (same group)
                todo.append((path.parent / f"{entry}.yaml", pkg))
    return seen


_KEY = re.compile(r"^(\s*)(?:-\s+)?([A-Za-z0-9_\-]+)\s*:")


def _reason(comment: str) -> str:
    """The reason of an ASSUMPTION note: what follows the marker, or, where the marker closes
    its comment ("... (split: ASSUMPTION)."), the whole comment."""
    before, _, after = comment.strip().partition("ASSUMPTION")
    after = after.lstrip(":").strip()
    if after.strip(" .,;:)"):
        return after
    if not before.strip(" (#"):
        return ""  # a bare marker (the config test asks for a reason)
    text = before.rstrip(" :;,") + after  # (the marker itself is not shown)
    return re.sub(r"\(\s*\)", "", text).strip()


def parse_assumptions(text: str, file: str, package: str) -> list[Assumption]:
    """Every ASSUMPTION note of one YAML file, whole, with the dotted key it is about.

    An inline note is about its line's key; a comment block that starts with ASSUMPTION runs
    to the next setting and is about that setting.
    """
    out: list[Assumption] = []
    stack: list[tuple[int, str]] = []
    pending: list[str] | None = None

    def path_for(line: str) -> str:
        m = _KEY.match(line)
        if not m:
            return ".".join([package] + [k for _, k in stack])
        indent = len(m.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, m.group(2)))
        return ".".join([package] + [k for _, k in stack])

    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            body = stripped.lstrip("#").strip()
            if "ASSUMPTION" in body:
                if pending:
                    out.append(Assumption(file, "", " ".join(pending)))
                pending = [_reason(body)]
            elif pending is not None:
                pending.append(body)
            continue
        if not stripped:
            if pending:
                out.append(Assumption(file, "", " ".join(pending)))
            pending = None
            continue
        key = path_for(line) if _KEY.match(line) else ""
        if pending:
            out.append(Assumption(file, key, " ".join(p for p in pending if p)))
            pending = None
        code, hash_, comment = line.partition("#")
        if hash_ and "ASSUMPTION" in comment and _KEY.match(code):
            out.append(Assumption(file, key, _reason(comment)))
    if pending:
        out.append(Assumption(file, "", " ".join(pending)))
    return out


def assumptions(choices_list: list[dict[str, str]]) -> list[Assumption]:
    """The ASSUMPTION notes of every config file composed (no file twice)."""
    out, seen = [], set()
    dirs = config_dirs()
    for choices in choices_list:
        for path, pkg in config_files(choices, dirs):
            if path in seen:
                continue
            seen.add(path)
            home = next(d for d in dirs if path.is_relative_to(d))
            name = str(path.relative_to(home))
            if home != CONF_DIR:
                name = f"{home}/{name}"  # (a --config-dir file: its full path)
            out += parse_assumptions(path.read_text(encoding="utf-8"), name, pkg)
    return out


def reads(v: TargetResult) -> tuple[str, ...]:
    """Config prefixes the verdict's metric reads."""
    spec = kpi_specs().get(v.metric) or infer_spec(v.metric)
    return (*spec.reads, f"district.targets.{v.key}")


def in_config(conf: Config, key: str) -> bool:
    """Whether ``key`` is a setting of this run: present, in no section switched off, and
    not another district's entry (zones, points and precedents are keyed by district)."""
    try:
        if config_value(conf, key) is None:
            return False
    except KeyError:  # (SectionOff too)
        return False
    others = {p.stem for p in (CONF_DIR / "district").glob("*.yaml")} - {conf.district.name}
    return not others.intersection(key.split("."))


def assumptions_read(
    v: TargetResult, notes: list[Assumption], conf: Config | None = None
) -> list[Assumption]:
    """The notes about a setting under one of the prefixes the verdict reads (with ``conf``,
    of the run that judged it: only its own settings)."""
    prefixes = reads(v)
    return [
        a
        for a in notes
        if a.key
        and any(a.key.startswith(p) for p in prefixes)
        and (conf is None or in_config(conf, a.key))
    ]


def district_title(d) -> str:
    """The district's names as configured (Chinese and English, either may be empty)."""
    return " ".join(n for n in (d.name_zh, d.name_en) if n) or d.name


# Tables too large for a planner's workbook stay CSV only.
WORKBOOK_SKIP = ("events.csv",)


def _cells(column) -> list:
    """A column's values as Python objects, None where missing (an empty cell): what
    ``astype(object).where(notna(), None)`` gives, some 10x faster on a column."""
    values = column.tolist()
    if column.hasnans:
        values = [None if gap else v for v, gap in zip(values, column.isna().tolist(), strict=True)]
    return values


def write_workbook(outdir: Path) -> Path | None:
    """``tables.xlsx``: every CSV table of the run (audit: of every design scenario), one sheet
    each, named ``scenario.table`` (Excel's 31-character limit, unique whatever the case);
    None without XlsxWriter (the ``report`` extra)."""
    try:
        import xlsxwriter
    except ImportError:
        return None
    import pandas as pd

    files = sorted(
        p
        for p in outdir.rglob("*.csv")
        if p.name not in WORKBOOK_SKIP and "replications" not in p.relative_to(outdir).parts
    )
    frames = []
    for f in files:
        try:
            frames.append((f, pd.read_csv(f, encoding="utf-8-sig")))
        except pd.errors.EmptyDataError:  # a table with no rows and no columns
            continue
    if not frames:
        return None
    path = outdir / "tables.xlsx"
    # a private folder for XlsxWriter's row files (constant memory), removed even if writing
    # fails: nothing of it is left in the run folder, nothing is written outside it
    with tempfile.TemporaryDirectory(dir=outdir, prefix=".xlsx-") as tmp:
        wb = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_formulas": False,  # text that looks like a formula stays text
                "strings_to_urls": False,  # and a web address too
                "tmpdir": tmp,
            },
        )
        used: set[str] = set()
        for f, frame in frames:
            ws = wb.add_worksheet(_sheet_name(f.relative_to(outdir), used))
            _write_sheet(ws, frame)
        wb.close()
    return path


XLSX_ROWS = 1_048_576  # Excel's rows a sheet (the header one of them)


def _sheet_name(rel: Path, used: set[str]) -> str:
    """``scenario.table`` as Excel allows it: no ``[]:*?/\\``, no quote at either end, 31
    characters, unique whatever the case (``used``: the lower-case names so far)."""
    name = re.sub(r"[\\[\]:*?/]", "_", ".".join(rel.with_suffix("").parts))[:31].strip("'")
    name = name or "table"
    k = 2
    while name.lower() in used:
        name, k = f"{name[:28]}~{k}", k + 1
    used.add(name.lower())
    return name


def _write_sheet(ws, frame) -> None:
    """The header and the rows of ``frame``, typed by column; rows past Excel's limit are
    cut, with a line on stderr (the CSV keeps them all)."""
    for c, title in enumerate(frame.columns):
        ws.write_string(0, c, str(title))
    if len(frame) >= XLSX_ROWS:
        print(
            f"tables.xlsx: sheet {ws.name} cut at {XLSX_ROWS - 1:,} of {len(frame):,} rows "
            "(Excel's limit; the CSV has them all)",
            file=sys.stderr,
        )
        frame = frame.iloc[: XLSX_ROWS - 1]
    columns = [_cells(frame[c]) for c in frame.columns]
    writers = [_cell_writer(ws, frame[c]) for c in frame.columns]
    for r, row in enumerate(zip(*columns, strict=True), start=1):
        for c, value in enumerate(row):
            if value is not None:
                writers[c](r, c, value)


def _cell_writer(ws, column):
    """The XlsxWriter method for a column's cells: numbers, booleans, or by each value's
    type. A number cell cannot hold an infinity: it is written as the text inf / -inf."""
    if column.dtype == bool:
        return ws.write_boolean

    def number(r: int, c: int, value) -> None:
        if math.isfinite(value):
            ws.write_number(r, c, value)
        else:
            ws.write_string(r, c, "inf" if value > 0 else "-inf")

    if column.dtype.kind in "iu":
        return ws.write_number
    if column.dtype.kind == "f":
        return number

    def write(r: int, c: int, value) -> None:
        if isinstance(value, str):
            ws.write_string(r, c, value)
        elif isinstance(value, bool):
            ws.write_boolean(r, c, value)
        elif isinstance(value, (int, float)):
            number(r, c, value)
        else:
            ws.write_string(r, c, str(value))

    return write


def human_number(x, digits: int = 4) -> str:
    """A number as people read it: 4,073 (not 4.07e+03), 0.9391, 12, 0.00002; None/NaN n/a."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    x = float(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if abs(x) >= 1000 or x == round(x):
        return f"{x:,.0f}"
    text = f"{x:.{digits}g}"
    if "e" in text:  # tiny values: fixed point with the same significant digits
        places = digits - 1 - math.floor(math.log10(abs(x)))
        text = f"{x:.{places}f}".rstrip("0")
    return text


def _fmt(x, digits: int = 4) -> str:
    if x is None or (isinstance(x, (int, float)) and not isinstance(x, bool)):
        return human_number(x, digits)
    return html.escape(str(x))


def _ci(lo, hi, sign: str = "") -> str:
    if lo is None or hi is None or (isinstance(lo, float) and math.isnan(lo)):
        return ""
    return f"[{_fmt(lo)}{sign}, {_fmt(hi)}{sign}]"


def _table(header: list[str], rows: list[list[str]], cls: str = "") -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    c = f' class="{cls}"' if cls else ""
    return f"<table{c}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(path: Path, link: str = "") -> str:
    """A figure embedded in the page, captioned with what it shows (the description it was
    saved with), and linked to its PNG file beside the report for the full size."""
    from sim.core.plotting import figure_description

    data = base64.b64encode(path.read_bytes()).decode("ascii")
    title = html.escape(path.stem.replace("_", " "))
    about = html.escape(figure_description(path))
    href = html.escape(f"{link}/{path.name}" if link else path.name)
    caption = f"<b>{title}</b>" + (f": {about}" if about else "")
    return (
        f'<figure><a href="{href}"><img alt="{title}" src="data:image/png;base64,{data}"></a>'
        f'<figcaption>{caption} <a href="{href}">(full size)</a></figcaption></figure>'
    )


def _verdict(v: TargetResult) -> str:
    colour = _VERDICT_COLOUR.get(v.verdict, "#000")
    return f'<b style="color:{colour}">{v.verdict}</b>'


_CONFIG_KEY = re.compile(r"\b[a-z_]+(?:\.[a-z0-9_]+){2,}\b")  # layout.depots.dalu.stock


def _why(v: TargetResult) -> str:
    parts = [html.escape(v.method)]
    if v.verdict == "FAIL" and not math.isnan(v.margin):
        parts.append(f"misses by {_fmt(abs(v.margin))}")
    if v.note:  # config keys as code: they wrap, so a long one does not widen the table
        parts.append(_CONFIG_KEY.sub(r"<code>\g<0></code>", html.escape(v.note)))
    out = "; ".join(parts)
    if v.contributors:
        out += "<ul>" + "".join(f"<li>{html.escape(c)}</li>" for c in v.contributors) + "</ul>"
    return out


def _reads_cell(v: TargetResult, notes: list[Assumption], conf: Config | None) -> str:
    used = assumptions_read(v, notes, conf)
    if not used:
        return "none found"
    keys = sorted({a.key for a in used})
    items = "".join(f"<li><code>{html.escape(k)}</code></li>" for k in keys)
    return f"<details><summary>{len(keys)} settings</summary><ul>{items}</ul></details>"


def overrides_html(overrides: list[str]) -> str:
    """The command line's overrides as a list (the "Overrides used" section of a report)."""
    if not overrides:
        return "<p>None: the shipped configuration.</p>"
    return "<ul>" + "".join(f"<li><code>{html.escape(o)}</code></li>" for o in overrides) + "</ul>"


def verdict_rows(
    verdicts: list[TargetResult], notes: list[Assumption], confs: dict[str, Config] | None = None
) -> list[list[str]]:
    """The verdict table's rows (``confs``: the config of each scenario that ran)."""
    confs = confs or {}
    return [
        [
            html.escape(v.description or v.key) + f"<br><small><code>{v.key}</code></small>",
            html.escape(v.source),
            html.escape(goal_text(v.comparator, v.threshold, v.metric)),
            _fmt(v.estimate) + (unit_sign(v.metric) if not math.isnan(v.estimate) else ""),
            _ci(v.ci_low, v.ci_high, unit_sign(v.metric)),
            _verdict(v),
            html.escape(v.provenance),
            html.escape(v.scenario),
            str(v.n),
            _why(v),
            _reads_cell(v, notes, confs.get(v.scenario))
            if v.scenario in confs or not confs
            else "(its scenario did not run here)",
        ]
        for v in verdicts
    ]


def kpi_rows(summary: dict) -> tuple[list[list[str]], list[str]]:
    rows, zero = [], []
    for k, e in summary["kpis"].items():
        if not e["n"]:
            continue
        if e["mean"] == 0 and e.get("sd") in (0, 0.0):
            zero.append(k)
            continue
        rows.append(
            [
                html.escape(k),
                _fmt(e["mean"]),
                _ci(e["ci95_low"], e["ci95_high"]),
                str(e["n"]),
                html.escape(e.get("method", "")),
            ]
        )
    return rows, zero


def _section_html(s: Section) -> str:
    c, summ = s.conf, s.summary
    rows, zero = kpi_rows(summ)
    zero_html = f"<p>Zero in every replication: {html.escape(', '.join(zero))}.</p>" if zero else ""
    figs = "".join(_img(p, s.link) for p in sorted(s.folder.glob("*.png"))) or "<p>No figures.</p>"
    failed = summ.get("failed_replications", [])
    failed_html = "".join(
        "<p class='warn'>"
        + html.escape(f"replication {f['rep']} failed (seed {f['seed']}): {f['error']}")
        + "</p>"
        for f in failed
    )
    where = f" (files in <code>{html.escape(s.link)}/</code>)" if s.link else ""
    return f"""<h3>Scenario “{html.escape(c.scenario.name)}”{where}</h3>
<p>{html.escape(c.scenario.description)}</p>
<p>{summ["replications"]} replications ({summ["replications_ok"]} succeeded),
{summ["hours"]:g} simulated hours each.</p>
{failed_html}
{_table(["KPI", "estimate", "95% CI", "n", "method"], rows)}
{zero_html}
<div class="figs">{figs}</div>"""


_STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       max-width: 1200px; margin: 2em auto; color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
td li, td code, td small { overflow-wrap: anywhere; }  /* long ids wrap: tables fit the page */
th { background: #f0f0f0; } td ul { margin: 0.2em 0 0 1em; padding: 0; }
figure { display: inline-block; margin: 0.5em; max-width: 520px; vertical-align: top; }
img { max-width: 520px; } figcaption { font-size: 0.85em; color: #333; }
.warn { color: #c62828; } small { color: #666; }
"""


def render(
    district: Config,
    title: str,
    sections: list[Section],
    verdicts: list[TargetResult],
    choices_list: list[dict[str, str]],
    overrides: list[str],
    notes_extra: str = "",
) -> str:
    """The whole report page."""
    d, lay, ex = district.district, district.layout, district.experiment
    notes = assumptions(choices_list)
    confs = {s.conf.scenario.name: s.conf for s in sections}
    judged = [v for v in verdicts if not is_plan_input(v)]
    inputs = [v for v in verdicts if is_plan_input(v)]
    header = [
        "target",
        "plan line",
        "goal",
        "estimate",
        f"{level_text(verdicts)} CI",
        "verdict",
        "provenance",
        "scenario",
        "replications",
        "method; why",
        "assumptions it reads",
    ]
    counts = {k: sum(v.verdict == k for v in judged) for k in _VERDICT_COLOUR}
    tally = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    teams = sum(t.count for t in lay.teams.values())
    people = sum(t.count * t.headcount for t in lay.teams.values())
    # (the description is the shipped layout's text: say when overrides changed the layout)
    changed = any(o.lstrip("+~").startswith("layout.") for o in overrides)
    as_run = "as run, with the layout overrides under “Overrides used”: " if changed else ""
    ov = overrides_html(overrides)
    assum_rows = [
        [
            html.escape(a.file),
            f"<code>{html.escape(a.key)}</code>" if a.key else "(note)",
            html.escape(a.text),
        ]
        for a in notes
    ]
    body = "".join(_section_html(s) for s in sections)
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
<p><b>Resource layout “{html.escape(lay.name)}”.</b> {html.escape(lay.description)}
({as_run}{teams} rescue teams, {people} responders.) Seed {ex.seed}; every layout run with this seed
faces the same disasters (common random numbers).</p>
{notes_extra}
<h2>Verdicts on the plan's targets</h2>
<p>{f"Simulated targets: {tally}." if tally else "No simulated target."} PASS: the whole {level_text(verdicts)} interval meets the target; FAIL: none of
it does; INCONCLUSIVE: the interval straddles the threshold (the note says how many
replications would decide it); NOT MODELLED: the scenario produces no such metric. A target
at the edge of the possible (a share of 100%, a count of 0) is judged on the replications
themselves: PASS only if none shows a single failure, FAIL as soon as one does, even when the
interval still touches the threshold (one disaster that leaves someone out shows the plan
can miss it). Intervals
treat the replication as the unit and respect each metric's range (docs/statistics.md).
<i>simulated</i>: decided by the dynamics of the runs.</p>
{_table(header, verdict_rows(judged, notes, confs))}
<h2>Plan inputs checked</h2>
<p><i>computed</i>: arithmetic on the layout (no dynamics: the same in every replication);
<i>input</i>: a configured value shown beside the plan's figure, never a verdict.</p>
{_table(header, verdict_rows(inputs, notes, confs)) if inputs else "<p>None.</p>"}
<h2>Overrides used</h2>
{ov}
<h2>What was simulated</h2>
<p>Road network <code>{html.escape(d.network)}</code>.</p>
{body}
<h2>Assumptions used</h2>
<p>Every value below is not from the plans; the reason is the note in the config file, whole.
Only the config files composed for this report are listed.</p>
{_table(["config file", "setting", "assumption"], assum_rows)}
<p>Output files: summary.json, targets.csv, kpis.csv (one row per replication) and the
detail tables beside this report; CSV files are UTF-8 with BOM for Excel; tables.xlsx holds
every table in one workbook.</p>
</body></html>
"""
    return re.sub(r"[ \t]+\n", "\n", page)


def write_report(
    conf: Config,
    summary: dict,
    verdicts: list[TargetResult],
    outdir: Path,
    choices: dict[str, str],
    overrides: list[str] | None = None,
) -> Path:
    """Write ``report.html`` of a single-scenario run in ``outdir`` and return its path."""
    d = conf.district
    title = f"{district_title(d)} — {conf.scenario.name}"
    page = render(
        conf, title, [Section(conf, summary, outdir)], verdicts, [choices], overrides or []
    )
    path = outdir / "report.html"
    path.write_text(page, encoding="utf-8")
    write_workbook(outdir)
    return path


def write_audit_report(
    sections: list[Section],
    verdicts: list[TargetResult],
    outdir: Path,
    choices_list: list[dict[str, str]],
    overrides: list[str],
    skipped: dict[str, list[str]],
) -> Path:
    """Write the plan audit's ``report.html``: every target on its design scenario."""
    conf = sections[0].conf
    d = conf.district
    title = f"{district_title(d)} — plan audit"
    extra = ""
    if any(skipped.values()):
        items = "".join(
            f"<li>{html.escape(s)}: {html.escape(', '.join(o))}</li>"
            for s, o in skipped.items()
            if o
        )
        extra = f"<p>Overrides not applied to a scenario without that section:</p><ul>{items}</ul>"
    scen = ", ".join(s.conf.scenario.name for s in sections)
    extra = f"<p><b>Plan audit.</b> Design scenarios run: {html.escape(scen)}.</p>" + extra
    page = render(conf, title, sections, verdicts, choices_list, overrides, extra)
    path = outdir / "report.html"
    path.write_text(page, encoding="utf-8")
    write_workbook(outdir)
    return path
