"""Printable documents of an opened drill package: MSEL, player cards, evaluator sheet.

HTML files open in any browser and print cleanly (A4, one player card per page); the
evaluator sheet and the MSEL are also written as XLSX (openpyxl) for typing in times.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from sim.drill.msel import blank_times
from sim.drill.names import package_word, tier_text
from sim.run.outputs import atomic_write, safe_mkdir

CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:1.5em;color:#111}
h1{font-size:1.4em;margin:.2em 0} h2{font-size:1.1em;margin:1em 0 .3em}
table{border-collapse:collapse;width:100%;font-size:.82em}
th,td{border:1px solid #999;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#e8eef5} .en{color:#444;font-size:.92em} .meta{color:#333;font-size:.9em}
.secret{border:2px solid #b00;color:#b00;padding:.3em .6em;display:inline-block;font-weight:bold}
.card{border:2px solid #333;border-radius:6px;padding:1em 1.2em;margin:1em 0;page-break-after:always;max-width:42em}
.card .no{font-size:.9em;color:#555} .card .msg{font-size:1.25em;margin:.6em 0}
.ref{font-size:.8em;color:#b00;margin-top:1.5em}
td.obs{min-width:7em} .cont{font-size:.9em;color:#333}
@media print{body{margin:0} .noprint{display:none} tr{page-break-inside:avoid}}
"""


def esc(x: object) -> str:
    return html.escape("" if x is None else str(x))


def bi(d: dict | None) -> str:
    """A bilingual {'zh','en'} record as HTML."""
    if not d:
        return ""
    return f"{esc(d.get('zh'))}<br><span class=en>{esc(d.get('en'))}</span>"


def page(title: str, body: str, secret: bool) -> str:
    flag = "<p class=secret>导调组机密 CONTROLLER ONLY</p>" if secret else ""
    return (
        f"<!doctype html><html lang=zh><head><meta charset=utf-8><title>{esc(title)}</title>"
        f"<style>{CSS}</style></head><body>{flag}{body}</body></html>"
    )


def header(pkg: dict) -> str:
    d, s, c = pkg["district"], pkg["scenario"], pkg["clock"]
    how = "按可能性随机抽取" if s["drawn"] else "由设计人员指定"
    how_en = "drawn by likelihood" if s["drawn"] else "given by the designer"
    return (
        f"<h1>{esc(d['zh'])} 双盲应急演练 {esc(pkg['drill_id'])}</h1>"
        f"<p class=meta>{esc(d['en'])} double-blind drill · 情景 scenario: "
        f"{esc(s['label_zh'])} / {esc(s['label_en'])} ({esc(how)}, {esc(how_en)}) · "
        f"演练开始 STARTEX {esc(c['startex'])} · 情景时长 window {c['window_h']:g} h · "
        f"地点 focus {esc(pkg['focus'].get('zh'))} {esc(pkg['focus'].get('en'))}</p>"
    )


def msel_html(pkg: dict) -> str:
    word = package_word(pkg)
    rows = []
    for inj in pkg["msel"]:
        acts = "".join(
            f"<p><b>{esc(inj['seq'])}{esc(a['id'])}</b> {bi(a)}"
            f"<br><i>{esc(tier_text(a['who'], word))} {esc(a['plan_source'])}</i><br>"
            f"{bi(a['benchmark_text'])}</p>"
            for a in inj["expected"]
        )
        cont = "".join(
            f"<p class=cont>[{esc(c['when'])}] {esc(c['zh'])}<br><span class=en>{esc(c['en'])}</span></p>"
            for c in inj.get("contingency", [])
        )
        rows.append(
            f"<tr><td>{inj['seq']}</td><td>{esc(inj['scenario_time'])}</td><td>{esc(inj['clock'])}</td>"
            f"<td>{bi(inj['synopsis'])}</td><td>{bi(inj['inject'])}</td>"
            f"<td>{bi(inj['from'])}</td><td>{bi(inj['to'])}</td><td>{bi(inj['method'])}</td>"
            f"<td>{acts}</td><td>{bi(inj['capability'])}</td><td>{bi(inj['evaluator_notes'])}</td>"
            f"<td>{cont}</td></tr>"
        )
    head = (
        "<tr><th>序号<br>Seq</th><th>情景时间<br>Scenario time</th><th>时钟时间<br>Clock</th>"
        "<th>事件概要<br>Synopsis</th><th>注入内容<br>Inject</th><th>发出<br>From</th>"
        "<th>接收<br>To</th><th>方式<br>Method</th><th>预期行动与基准<br>Expected action, benchmark</th>"
        "<th>核心能力<br>Core capability</th><th>评估要点<br>Evaluator notes</th>"
        "<th>应变注入<br>Contingency</th></tr>"
    )
    body = header(pkg) + f"<h2>主情景事件清单 MSEL</h2><table>{head}{''.join(rows)}</table>"
    return page(f"MSEL {pkg['drill_id']}", body, secret=True)


def cards_html(pkg: dict, upto: int | None = None) -> str:
    """Printable player cards, for a drill run on paper; ``upto`` = only the first n (what
    players may know at that moment). The file holds every card to come: controller only.
    A card's number (in order of release), its release time and the times in its text
    counted from the release are left blank, to be written in when it is handed over: a
    printed time or MSEL number would tell players the schedule. The MSEL number below the
    card is the controller's, to be cut off."""
    cards = pkg["player_cards"][: upto if upto is not None else None]
    out = [f"<h1>{esc(pkg['district']['zh'])} 应急演练 · 参演人员信息卡 Player cards</h1>"]
    for c in cards:
        out.append(
            f"<div class=card><div class=no>信息卡 Card No. ____ · 发布时刻 released ____ · "
            f"{bi(c['method'])}</div><div class=no>发出 From: {bi(c['from'])} → 接收 To: {bi(c['to'])}</div>"
            f"<div class=msg>{esc(blank_times(c['zh'], 'zh'))}</div>"
            f"<div class=en>{esc(blank_times(c['en'], 'en'))}</div>"
            f"<div class=ref>✂ 导调组参考（发放前剪下）controller's reference, cut off before "
            f"handing over: MSEL {esc(c.get('seq'))}</div></div>"
        )
    return page(f"Player cards {pkg['drill_id']}", "".join(out), secret=True)


EVAL_COLS = [
    ("id", "编号 ID", 7),
    ("clock", "注入时刻 Inject clock", 17),
    ("place", "地点 Place", 16),
    ("action", "预期行动 Expected action", 48),
    ("who", "层级 Tier", 12),
    ("plan_source", "预案依据 Plan line", 12),
    ("benchmark", "基准 Benchmark", 44),
    ("observed", "实际完成时刻 Observed (HH:MM)", 16),
    ("notes", "评估记录 Notes", 36),
]


def _cell(row: dict, key: str, word: str) -> str:
    """One evaluator-sheet cell (``word``: the district's own, for the tier label)."""
    if key == "place":
        return f"{row['place'].get('zh', '')} {row['place'].get('en', '')}"
    if key == "action":
        return f"{row['action']['zh']}\n{row['action']['en']}"
    if key == "benchmark":
        return f"{row['benchmark_text']['zh']}\n{row['benchmark_text']['en']}"
    if key == "who":
        return tier_text(str(row.get("who") or ""), word)
    return "" if row.get(key) is None else str(row.get(key))


def evaluator_html(pkg: dict) -> str:
    head = "".join(f"<th>{esc(t)}</th>" for _, t, _ in EVAL_COLS)
    word = package_word(pkg)
    rows = []
    for r in pkg["evaluator"]:
        cells = []
        for key, _, _ in EVAL_COLS:
            cls = " class=obs" if key in ("observed", "notes") else ""
            cells.append(f"<td{cls}>{esc(_cell(r, key, word)).replace(chr(10), '<br>')}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    body = (
        header(pkg)
        + "<h2>评估表 Evaluator sheet</h2><p class=meta>填写实际完成时刻（HH:MM，时钟时间）。"
        "Write the clock time the action was observed.</p>"
        + f"<table><tr>{head}</tr>{''.join(rows)}</table>"
    )
    return page(f"Evaluator sheet {pkg['drill_id']}", body, secret=True)


def _sheet(wb: Workbook, title: str, cols: list[tuple[str, int]], rows: list[list]) -> None:
    ws = wb.create_sheet(title)
    ws.append([c for c, _ in cols])
    for i, (_, w) in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EEF5")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if cell.data_type == "f":  # typed text such as an evaluator's '=...': never a formula
                cell.data_type = "s"
    ws.freeze_panes = "B2"


def _xlsx(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def save_workbook(wb: Workbook, path: Path) -> None:
    """Save a workbook to ``path`` atomically, never through a symbolic link."""
    atomic_write(path, _xlsx(wb), path.parent)


def evaluator_xlsx(pkg: dict) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    word = package_word(pkg)
    rows = [[_cell(r, k, word) for k, _, _ in EVAL_COLS] for r in pkg["evaluator"]]
    _sheet(wb, "evaluator", [(t, w) for _, t, w in EVAL_COLS], rows)
    info = wb.create_sheet("drill")
    for k, v in (
        ("drill", pkg["drill_id"]),
        ("district", f"{pkg['district']['zh']} {pkg['district']['en']}"),
        ("STARTEX", pkg["clock"]["startex"]),
        ("scenario", f"{pkg['scenario']['label_zh']} / {pkg['scenario']['label_en']}"),
    ):
        info.append([k, v])
    return _xlsx(wb)


# the MSEL's columns, in Chinese and English as in msel.html: (header, width)
MSEL_COLS = [
    ("序号 Seq", 6),
    ("情景时间 Scenario time", 10),
    ("时钟时间 Clock", 17),
    ("事件概要 Synopsis", 40),
    ("注入内容 Inject", 50),
    ("发出 From", 24),
    ("接收 To", 24),
    ("方式 Method", 18),
    ("预期行动 Expected action", 50),
    ("基准 Benchmark", 44),
    ("核心能力 Core capability", 24),
    ("评估要点 Evaluator notes", 40),
    ("应变注入 Contingency", 50),
]


def _both(d: dict) -> str:
    """A bilingual record as one cell: Chinese, then English."""
    return f"{d.get('zh', '')}\n{d.get('en', '')}"


def msel_xlsx(pkg: dict) -> bytes:
    """The MSEL as a workbook, headers and texts in Chinese and English (like msel.html)."""
    rows = []
    for inj in pkg["msel"]:
        acts = "\n".join(f"{inj['seq']}{a['id']} {a['zh']} / {a['en']}" for a in inj["expected"])
        bench = "\n".join(
            f"{inj['seq']}{a['id']} {a['benchmark_text']['zh']} / {a['benchmark_text']['en']}"
            for a in inj["expected"]
        )
        cont = "\n".join(f"[{c['when']}] {c['zh']} / {c['en']}" for c in inj.get("contingency", []))
        rows.append(
            [
                inj["seq"],
                inj["scenario_time"],
                inj["clock"],
                _both(inj["synopsis"]),
                _both(inj["inject"]),
                _both(inj["from"]),
                _both(inj["to"]),
                _both(inj["method"]),
                acts,
                bench,
                _both(inj["capability"]),
                _both(inj["evaluator_notes"]),
                cont,
            ]
        )
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "MSEL", MSEL_COLS, rows)
    return _xlsx(wb)


def render_documents(pkg: dict) -> dict[str, bytes]:
    """Every printable document of an opened package, by file name, in memory. A package
    whose contents do not have the shape the documents read (sealed by another version, or
    by hand) raises :class:`~sim.drill.seal.SealError` in one line, before anything is
    written or the opening recorded."""
    from sim.drill.seal import SealError

    try:
        return {
            "msel.html": msel_html(pkg).encode(),
            "player_cards.html": cards_html(pkg).encode(),
            "evaluator_sheet.html": evaluator_html(pkg).encode(),
            "evaluator_sheet.xlsx": evaluator_xlsx(pkg),
            "msel.xlsx": msel_xlsx(pkg),
        }
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
        what = f"no '{exc.args[0]}'" if isinstance(exc, KeyError) and exc.args else str(exc)
        raise SealError(
            f"drill package: its contents do not have the shape of this version's documents "
            f"({type(exc).__name__}: {what[:80]})"
        ) from None


def write_documents(docs: dict[str, bytes], out: Path) -> list[Path]:
    """Write the documents of :func:`render_documents` into ``out`` (atomically, never
    through a symbolic link: ``out`` itself may not be one either)."""
    safe_mkdir(out, out.parent)
    for name, data in docs.items():
        atomic_write(out / name, data, out)
    return [out / name for name in docs]
