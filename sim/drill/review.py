"""After-action review of a drill run in the console (``python -m sim.drill review``).

For every expected action: when its inject was released, when the evaluators observed the
action, the elapsed time, and where that time falls in the simulated distribution of the
same scenario (mid-rank percentile over the benchmark replications' events) and against the
plan standard where there is one. Gaps (standard missed, slower than the simulated P90, or
never observed) get their likely causes - the team tier and plan line of the expected
action, the roads closed at the time, the depot - and a recommendation keyed to the plan's
own line. The evaluators' notes, the contingency injects released (when, on which trigger,
what text) and the ENDEX time, declared by the controller or the drill window run out ("not
declared" if the console never recorded one), are reported too, and so is the console's
own log: every login, clock change, release and observation with its real time, and the
requests the console refused (a wrong access code, a role asking for another role's view or
action), grouped, with the player role's counted apart: a player reaching for the
controller's view is a breach of the double blind. Written as HTML (opens without Python) and
XLSX.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sqlite3
from pathlib import Path

from openpyxl import Workbook

from sim.core.errors import UserError
from sim.drill.console.clock import (
    clock_minute,
    minutes_after,
    ran_out,
    startex_of,
    t_plus,
    wall_at,
    window_end_min,
)
from sim.drill.measures import percentile_of
from sim.drill.msel import DrillClock
from sim.drill.names import package_word, tier_label, tier_text
from sim.drill.package import benchmark_text, check_records_package
from sim.drill.sheets import _sheet, bi, esc, header, page, save_workbook
from sim.run.outputs import atomic_write_text, one_line_os_errors, safe_mkdir

# measure -> recommendation (zh, en); {src} = the plan line of the action
ADVICE: dict[str, tuple[str, str]] = {
    "first_depart": (
        "复核{who}的接警、集结和出动机制（{src}）",
        "Review call-out and assembly of the {who} teams ({src})",
    ),
    "first_arrival": (
        "优化{who}的布点与路线，考虑前置力量，绕开中断道路（{src}）",
        "Re-site or pre-position {who} teams and plan routes around closed roads ({src})",
    ),
    "resolved": ("复核现场救援力量配置（{src}）", "Review the on-scene rescue capacity ({src})"),
    "repair_on_site": (
        "复核道路抢通队伍备勤与调派（{src}）",
        "Review road-repair crew standby and dispatch ({src})",
    ),
    "road_reopen": ("复核抢通保通安排（{src}）", "Review the road clearance arrangements ({src})"),
    "isolation": (
        "复核孤岛街镇本地储备与水路、空中通道（{src}）",
        "Review local stock and water/air access of cut-off towns ({src})",
    ),
    "aid_arrival": (
        "复核跨区域支援请求条件与集结地（{src}）",
        "Review the mutual-aid trigger and staging ({src})",
    ),
    "fire_first_arrival": (
        "复核扑火队伍布点与出动（{src}）",
        "Review forest-fire team sites and call-out ({src})",
    ),
    "fire_out": (
        "复核扑火力量与增援机制，确保24小时内扑灭（{src}）",
        "Review suppression forces and reinforcement for out-within-24 h ({src})",
    ),
    "evac_sheltered_90": (
        "复核转移令、运力与安置点开放（{src}）",
        "Review the order, transport and shelter opening ({src})",
    ),
    "needs_met": (
        "复核物资储备与向安置点配送，确保24小时内保障基本生活（{src}）",
        "Review relief stock and delivery to shelters for basic needs within 24 h ({src})",
    ),
    "warning_relay": (
        "缩短预警转发链条，保证提前量（{src}）",
        "Shorten the warning relay chain to keep the lead time ({src})",
    ),
    "": ("复核相关预案条款（{src}）", "Review the plan provision ({src})"),
}


DRILL_ID = r"drill-[0-9A-Za-z]{1,32}"  # what a package's drill_id may be (a file name part)


NO_PLAN_LINE = ("预案未列明", "not in the plan")  # an action the plan sets no line for


def _load(drill: Path) -> tuple[dict, object]:
    """The package and records of a drill from its ``.sqlite`` file, or from its sealed file
    (only the public header is read, for the drill id: no passphrase, nothing unsealed)."""
    from sim.drill.console.store import Store

    drill = Path(drill)
    if drill.suffix != ".sqlite":
        from sim.drill.seal import SealError, read_header

        try:
            drill_id = read_header(drill).get("drill_id")
        except SealError as exc:
            raise UserError(str(exc)) from None
        if not isinstance(drill_id, str) or not re.fullmatch(r"drill-[0-9a-f]{1,32}", drill_id):
            raise UserError(f"{drill}: its header names no drill id of the form drill-<hex>")
        drill = drill.with_name(f"{drill_id}.sqlite")
    if not drill.is_file():
        raise UserError(
            f"{drill}: no drill records (run the console first: python -m sim.drill serve)"
        )
    from sim.drill.seal import SealError

    # read-only: the review never changes the file it reviews (no table made, no WAL switch;
    # a file that is not SQLite, or has not the drill's tables: one line)
    store = Store(drill, readonly=True)
    try:
        pkg = store.package()
    except (sqlite3.Error, ValueError, RecursionError) as exc:  # (ValueError: its JSON)
        raise UserError(f"{drill}: its drill package cannot be read ({exc})") from None
    if pkg is None:
        raise UserError(f"{drill}: holds no drill package")
    try:
        check_records_package(pkg)
    except SealError as exc:
        raise UserError(f"{drill}: {exc}") from None
    drill_id = pkg.get("drill_id")
    if not isinstance(drill_id, str) or not re.fullmatch(DRILL_ID, drill_id):
        raise UserError(  # (it names the review's folder: never a path)
            f"{drill}: its package's drill_id {str(drill_id)[:40]!r} is not of the form "
            "drill-<letters and digits>"
        )
    return pkg, store


def review_rows(
    pkg: dict,
    released: list[dict],
    observations: list[dict],
    endex_min: float | None = None,
    endex_wall: float | None = None,
) -> list[dict]:
    """One review row per expected action. The observed time that counts is the last entry
    of the action that carries a time (a time typed again corrects it); an entry without a
    time (a note) never changes it, and a time after ENDEX (``endex_min``, by the clock
    minute) is not an observation: not done by ENDEX, the action is reviewed as not
    observed - or as :data:`NOT_EVALUABLE`, not a gap, when the time it is expected within
    (:func:`expected_within`) from its inject's release ends after ENDEX (``endex_min``, else
    the end of the drill window). The last number of people entered counts for a people standard; one entered
    after ENDEX (its record's real time after ``endex_wall``, the real time of ENDEX) does
    not."""
    rel = {r["seq"]: r for r in released if r["kind"] == "inject"}
    obs: dict[str, dict] = {}  # the last timed entry of each action
    qty: dict[str, int] = {}  # the last number of people entered (people standards)
    notes: dict[str, list[str]] = {}  # every note entered, in order
    startex = startex_of(pkg)
    for o in observations:
        if (o.get("notes") or "").strip():
            notes.setdefault(o["row_id"], []).append(_note(o))
        m = re.fullmatch(r"(\d+) people", o["observed_text"] or "")
        if o["observed_min"] is None:
            late = endex_wall is not None and float(o.get("wall") or 0.0) > float(endex_wall)
            if m and not late:  # (a count typed after ENDEX, let through by a console: no)
                qty[o["row_id"]] = int(m.group(1))
            continue  # a note: no time
        if endex_min is not None and clock_minute(startex, float(o["observed_min"])) > clock_minute(
            startex, float(endex_min)
        ):
            continue  # after ENDEX (an entry of a console that let it through)
        obs[o["row_id"]] = o
    t0 = float(pkg["clock"]["startex_t_min"])
    end = window_end_min(pkg) if endex_min is None else float(endex_min)
    sched = {i["seq"]: float(i["t_min"]) - t0 for i in pkg["msel"]}
    injects = {i["seq"]: i for i in pkg["msel"]}
    out = []
    for r in pkg["evaluator"]:
        b = pkg["benchmarks"].get(r.get("benchmark_key") or "", None)
        rr = rel.get(r["seq"])
        o = obs.get(r["id"])
        elapsed = None
        if rr is not None and o is not None and o["observed_min"] is not None:
            elapsed = minutes_after(startex, float(rr["drill_min"]), float(o["observed_min"]))
        pct = percentile_of(b["sample"], elapsed) if (b and elapsed is not None) else None
        std = r.get("standard") or {}
        verdict = ""
        if elapsed is not None and std.get("kind") == "limit":
            verdict = "met" if elapsed <= std["limit_min"] else "not met"
        elif std.get("kind") == "people" and r["id"] in qty:
            verdict = "met" if qty[r["id"]] >= std["min_people"] else "not met"
        elif elapsed is not None and std.get("kind") == "lead":  # before the storm arrives
            verdict = "met" if elapsed <= float(std["lead_min"]) + 1e-9 else "not met"
        if rr is None:
            status = "not released"
        elif verdict == "not met":
            status = "outside standard"
        elif elapsed is None and verdict == "met":
            status = "ok"
        elif elapsed is None and not_evaluable(r, b, float(rr["drill_min"]), end):
            status = NOT_EVALUABLE  # (not a gap: it could still have been on time)
        elif elapsed is None:
            status = "not observed"
        elif b and b.get("p90") is not None and elapsed > b["p90"]:
            status = "slower than P90"
        else:
            status = "ok"
        out.append(
            {
                "id": r["id"],
                "seq": r["seq"],
                "action": r["action"],
                "who": r["who"],
                "plan_source": r["plan_source"],
                "measure": r["measure"],
                "place": r["place"],
                "scheduled_min": sched.get(r["seq"]),
                "released_min": rr["drill_min"] if rr else None,
                "released_how": rr["how"] if rr else "",
                "observed": (o["observed_text"] if o else "")
                + (f" ({qty[r['id']]} people)" if r["id"] in qty else ""),
                "notes": notes.get(r["id"], []),
                "elapsed_min": elapsed,
                "sim_min": r["sim_min"],
                "median": b["median"] if b else None,
                "p90": b["p90"] if b else None,
                "p10": _q(b["sample"], 0.1) if b else None,
                "percentile": pct,
                # (a warning's text from the rule the verdict follows, also in old packages)
                "standard": (
                    benchmark_text(r) if std.get("kind") == "lead" else r["benchmark_text"]
                )
                if std
                else None,
                "verdict": verdict,
                "status": status,
                "causes": _causes(r, injects, pkg, rr),
            }
        )
    return out


NOT_EVALUABLE = "not evaluable before ENDEX"  # a status, not a gap
NOT_GAPS = ("ok", "not released", NOT_EVALUABLE)  # statuses that are not the players' gaps


def expected_within(row: dict, bench: dict | None) -> float | None:
    """Minutes after its inject's release within which an action is expected, by the rule
    its row is judged with: the plan limit, the warning's lead (pass it on before the storm),
    else the simulated P90 (slower is a gap; the P90 of the outcomes that came where the P90
    is "never"), else this drill's own simulated time; None without any of them. The same
    rule times the "slower" contingency (:func:`sim.drill.msel._slower_after`)."""
    std = row.get("standard") or {}
    if std.get("kind") == "limit":
        return float(std["limit_min"])
    if std.get("kind") == "lead":
        return float(std["lead_min"])
    for k in ("p90", "p90_done"):
        if bench and bench.get(k) is not None:
            return float(bench[k])
    return None if row.get("sim_min") is None else float(row["sim_min"])


def not_evaluable(row: dict, bench: dict | None, released_min: float, end_min: float) -> bool:
    """Whether an action not observed cannot be judged by ENDEX (``end_min``): released at
    ``released_min``, it was expected within :func:`expected_within` minutes, which end
    after ENDEX (Fengdu's MSEL 19 at T+23:55 with 50 min expected, Bishan's T+07:48 in an
    8 h window were the players' gaps). A row with no time (a people standard) is judged
    by its number, never this."""
    due = expected_within(row, bench)
    std = row.get("standard") or {}
    if due is None or std.get("kind") == "people":
        return False
    return released_min + due > end_min + 1e-9


def _note(o: dict) -> str:
    """One evaluator note: the observed entry and who wrote it, then the free text."""
    who = " ".join(x for x in (o.get("observed_text") or "", o.get("evaluator") or "") if x)
    text = o["notes"].strip()
    return f"{who}: {text}" if who else text


def drill_clock(pkg: dict) -> DrillClock:
    """The package's clock: drill minute ``m`` (from STARTEX) is scenario minute ``t0 + m``."""
    start = dt.datetime.fromisoformat(pkg["clock"]["start"])
    return DrillClock(start, float(pkg["clock"]["startex_t_min"]))


ENDEX_BY = {  # who ended the drill (Store.endex) -> (zh, en)
    "controller": ("导调组宣布", "declared by the controller"),
    "window": ("演练时段结束", "the drill window ran out"),
}


def _wall_text(wall: float) -> str:
    """A real (wall) time in UTC, labelled: the reviewing machine's own zone, unlabelled,
    made a review read differently on another machine."""
    return dt.datetime.fromtimestamp(wall, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def endex_record(pkg: dict, endex: tuple[float, float, str] | None) -> dict | None:
    """ENDEX as recorded by the console (drill minute, wall time, who ended the drill:
    ``controller`` or ``window``); None: never declared."""
    if endex is None:
        return None
    m, wall, by = endex
    c = drill_clock(pkg)
    return {
        "drill_min": m,
        "clock": c.clock(c.startex_t + m),
        "drill_time": t_plus(m),
        "wall": _wall_text(wall),
        "by": by,
    }


def recorded_endex(pkg: dict, store) -> tuple[float, float, str] | None:
    """ENDEX as the console recorded it, or, for a clock still recorded as running past the
    end of its window (the console was down when the window ran out, and has not been
    restarted since), the window's end and the real time it came."""
    rec = store.endex()
    end = window_end_min(pkg)
    clock = store.clock()
    if rec is None and ran_out(clock, end):
        return end, wall_at(clock, end), "window"
    return rec


def _audit_drill_time(drill_min: float | None, state: str | None) -> str:
    """The drill time of an audit record: ``T+hh:mm`` (with ``paused`` or ``after ENDEX``),
    ``before STARTEX``, or '' for a record of a console that did not keep it."""
    if drill_min is None or state is None:
        return ""
    if state == "ready":
        return "before STARTEX"
    t = t_plus(drill_min)
    return {"paused": f"{t} paused", "ended": f"{t} after ENDEX"}.get(state, t)


def console_log(audit: list[dict]) -> dict:
    """The console's audit table for the review: ``rows`` (every record: real time, drill
    time, role, what, refused) and ``refused`` (the refused requests grouped by role and
    request, with their count and first and last real time, most frequent first)."""
    rows = [
        {
            "wall": _wall_text(a["wall"]),
            "drill_time": _audit_drill_time(a.get("drill_min"), a.get("clock_state")),
            "role": a["role"],
            "what": a["what"],
            "refused": a["what"].startswith("refused "),
        }
        for a in audit
    ]
    groups: dict[tuple[str, str], dict] = {}
    for r in rows:
        if r["refused"]:
            g = groups.setdefault(
                (r["role"], r["what"]),
                {"role": r["role"], "what": r["what"], "count": 0, "first": r["wall"]},
            )
            g["count"] += 1
            g["last"] = r["wall"]
    refused = sorted(groups.values(), key=lambda g: (-g["count"], g["first"]))
    return {"rows": rows, "refused": refused}


def _log_summary(log: dict) -> str:
    n_ref = sum(g["count"] for g in log["refused"])
    by_player = sum(g["count"] for g in log["refused"] if g["role"] == "player")
    return (
        f"actions recorded: {len(log['rows']) - n_ref} · requests refused: {n_ref}"
        f" ({by_player} with the player's access code)"
    )


def _log_html(log: dict) -> str:
    if not log["rows"]:
        return "<p class=meta>the console recorded nothing</p>"
    if log["refused"]:
        head = (
            "<tr><th>角色 Role</th><th>被拒请求 Refused request</th><th>次数 Times</th>"
            "<th>首次 First (real time)</th><th>末次 Last</th></tr>"
        )
        body = "".join(
            f"<tr><td>{'<b>player</b>' if g['role'] == 'player' else esc(g['role'])}</td>"
            f"<td>{esc(g['what'])}</td><td>{g['count']}</td><td>{esc(g['first'])}</td>"
            f"<td>{esc(g['last'])}</td></tr>"
            for g in log["refused"]
        )
        refused = f"<table>{head}{body}</table>"
    else:
        refused = "<p class=meta>no request was refused</p>"
    every = "".join(
        f"<tr><td>{esc(r['wall'])}</td><td>{esc(r['drill_time'])}</td><td>{esc(r['role'])}</td>"
        f"<td>{esc(r['what'])}</td></tr>"
        for r in log["rows"]
    )
    return (
        f"<p class=meta>{esc(_log_summary(log))}. Role '-': no valid session.</p>{refused}"
        f"<details><summary>全部记录 every record ({len(log['rows'])})</summary><table>"
        f"<tr><th>时间 Real time</th><th>演练时间 Drill time</th><th>角色 Role</th>"
        f"<th>记录 Record</th></tr>{every}"
        "</table></details>"
    )


def released_contingencies(pkg: dict, released: list[dict]) -> list[dict]:
    """The contingency injects released in the drill: when, for which trigger, what text."""
    injects = {i["seq"]: i for i in pkg["msel"]}
    at = {r["seq"]: float(r["drill_min"]) for r in released if r["kind"] == "inject"}
    c = drill_clock(pkg)
    out = []
    for r in released:
        if r["kind"] != "contingency":
            continue
        seq, k = r["seq"], r["contingency"]
        options = injects.get(seq, {}).get("contingency", [])
        trig = options[k] if k is not None and 0 <= k < len(options) else {}
        since = float(r["drill_min"]) - at[seq] if seq in at else None
        due = trig.get("after_min")
        ref = r["card"].get("ref")  # (records of an earlier console: the card was "C2.1")
        out.append(
            {
                "card": ref or r["card"].get("card", ""),
                "player_card": r["card"].get("card", "") if ref else "",
                "seq": seq,
                "for": f"{seq}{trig['for']}" if trig.get("for") else "",
                "released_min": float(r["drill_min"]),
                "released_clock": c.clock(c.startex_t + float(r["drill_min"])),
                "how": r["how"],
                "trigger": {"zh": trig.get("zh", ""), "en": trig.get("en", "")},
                "after_min": due,
                "since_inject_min": since,
                "early": since is not None and due is not None and since < due - 1e-9,
                "text": {"zh": r["card"].get("zh", ""), "en": r["card"].get("en", "")},
            }
        )
    return out


def _q(sample: list, q: float) -> float | None:
    vals = sorted(math.inf if v is None else v for v in sample)
    if not vals:
        return None
    v = vals[min(int(q * len(vals)), len(vals) - 1)]
    return None if not math.isfinite(v) else v


def _causes(row: dict, injects: dict, pkg: dict, rel: dict | None) -> list[dict]:
    """Likely causes of a gap: the tier and plan line, roads closed then in the inject's own
    town (those in other towns only counted: the package holds no routes to tell whether
    the responders needed them), the depot."""
    out = []
    word = package_word(pkg)  # (丰都县: 县内)
    if row["who"]:
        zh, en = tier_label(row["who"], word) or (row["who"], row["who"])
        out.append(
            {
                "zh": f"承担层级：{zh}（{row['plan_source'] or '预案未列明'}）",
                "en": f"tier in charge: {en} ({row['plan_source'] or 'not in the plan'})",
            }
        )
    here = injects[row["seq"]]
    t, town = here["t_min"], here.get("place", {}).get("en")
    elsewhere = 0
    for inj in pkg["msel"]:
        if inj["kind"] != "road_close" or inj["t_min"] > t:
            continue
        reopen = next(
            (a.get("sim_min") for a in inj["expected"] if a["measure"] == "road_reopen"), None
        )
        if reopen is not None and inj["t_min"] + reopen <= t:
            continue  # (open again by then)
        if inj.get("place", {}).get("en") != town:
            elsewhere += 1  # a road closed in another town: counted, not listed as a cause
            continue
        out.append(
            {
                "zh": f"当时本地道路中断：{inj['inject']['zh'].split('】')[-1]}",
                "en": f"road closed here at the time: {inj['synopsis']['en']}",
            }
        )
    if elsewhere:
        out.append(
            {
                "zh": f"同时{word}内其他乡镇（街道）另有{elsewhere}条道路中断",
                "en": f"{elsewhere} other road{'s' if elsewhere > 1 else ''} closed elsewhere "
                "in the district at the time",
            }
        )
    if (
        row["measure"] == "needs_met"
        or "depot" in row["action"]["en"]
        or "supplier" in row["action"]["en"]
    ):
        out.append(
            {"zh": f"物资来源：{row['action']['zh']}", "en": f"supply: {row['action']['en']}"}
        )
    return out[:5]


def recommendation(row: dict, pkg: dict) -> dict:
    """What to review after a gap, keyed to the action's own plan line (``plan_source``);
    an action the plan sets no line for says so - never the hazard's source lines (e.g. the
    45-minute forecast lines of three districts' plans), which are not about this action."""
    zh, en = ADVICE.get(row["measure"], ADVICE[""])
    src = (row.get("plan_source") or "").strip()
    word = package_word(pkg)
    who_zh, who_en = tier_label(row["who"], word) or (row["who"], row["who"])
    return {
        "zh": zh.format(who=who_zh or "相关", src=src or NO_PLAN_LINE[0]),
        "en": en.format(who=who_en or "the", src=src or NO_PLAN_LINE[1]),
    }


def _fmt(m: float | None) -> str:
    if m is None or (isinstance(m, float) and not math.isfinite(m)):
        return ""
    return f"{m:.0f}"


def _strip(r: dict) -> str:
    """An inline SVG: the simulated P10-P90 bar, the median tick and the observed time."""
    vals = [v for v in (r["p10"], r["p90"], r["median"], r["elapsed_min"]) if v is not None]
    if not vals:
        return ""
    hi = max(vals) * 1.15 or 1.0
    x = lambda v: 4 + 192 * v / hi  # noqa: E731
    svg = ["<svg width=200 height=22 role=img>"]
    if r["p10"] is not None and r["p90"] is not None:
        svg.append(
            f"<rect x={x(r['p10']):.1f} y=7 width={max(x(r['p90']) - x(r['p10']), 1):.1f} height=8 fill='#a8c5e6'/>"
        )
    if r["median"] is not None:
        svg.append(
            f"<line x1={x(r['median']):.1f} x2={x(r['median']):.1f} y1=4 y2=18 stroke='#1d3557' stroke-width=2/>"
        )
    if r["elapsed_min"] is not None:
        col = "#2a9d8f" if r["status"] == "ok" else "#c1121f"
        svg.append(f"<circle cx={x(r['elapsed_min']):.1f} cy=11 r=5 fill='{col}'/>")
    return "".join(svg) + "</svg>"


def endex_text(endex: dict | None) -> str:
    """ENDEX in words: its clock time, drill time, real time and who ended the drill, or
    'not declared'."""
    if endex is None:
        return "not declared"
    by = ENDEX_BY[endex["by"]][1]
    return f"{endex['clock']} ({endex['drill_time']}; real time {endex['wall']}), {by}"


def _contingency_html(conts: list[dict]) -> str:
    if not conts:
        return "<p class=meta>none</p>"
    head = (
        "<tr><th>信息卡 Card</th><th>发布 Released</th><th>注入后 After inject (min)</th>"
        "<th>触发条件 Trigger</th><th>内容 Text</th></tr>"
    )
    body = []
    for c in conts:
        early = " <b>早于触发 before its trigger</b>" if c["early"] else ""
        due = "" if c["after_min"] is None else f" / due {_fmt(c['after_min'])}"
        card = esc(c["card"]) + (f" (card {esc(c['player_card'])})" if c["player_card"] else "")
        body.append(
            f"<tr><td>{card}</td><td>{esc(c['released_clock'])} "
            f"({esc(t_plus(c['released_min']))}) {esc(c['how'])}</td>"
            f"<td>{_fmt(c['since_inject_min'])}{due}{early}</td>"
            f"<td><b>{esc(c['for'] or c['seq'])}</b> {bi(c['trigger'])}</td>"
            f"<td>{bi(c['text'])}</td></tr>"
        )
    return f"<table>{head}{''.join(body)}</table>"


def review_html(
    pkg: dict,
    rows: list[dict],
    conts: list[dict],
    endex: dict | None,
    log: dict | None = None,
    digest: str = "",
) -> str:
    n = len(rows)
    cnt = {
        s: sum(r["status"] == s for r in rows)
        for s in (
            "ok",
            "slower than P90",
            "outside standard",
            "not observed",
            NOT_EVALUABLE,
            "not released",
        )
    }
    summary = " · ".join(f"{k}: {v}" for k, v in cnt.items())
    head = (
        "<tr><th>ID</th><th>预期行动 Expected action</th><th>发布 Released (drill min)</th>"
        "<th>观察 Observed</th><th>评估记录 Notes</th><th>用时 Elapsed (min)</th><th>本次模拟 Sim (min)</th>"
        "<th>模拟中位数 / P90</th><th>百分位 Percentile</th><th>预案标准 Standard</th>"
        "<th>分布 Distribution</th><th>结论 Status</th></tr>"
    )
    body = []
    for r in rows:
        pct = "" if r["percentile"] is None else f"P{r['percentile']:.0f}"
        std = "" if not r["standard"] else f"{bi(r['standard'])}<br><b>{esc(r['verdict'])}</b>"
        body.append(
            f"<tr><td>{esc(r['id'])}</td><td>{bi(r['action'])}</td>"
            f"<td>{_fmt(r['released_min'])} {esc(r['released_how'])}</td><td>{esc(r['observed'])}</td>"
            f"<td>{'<br>'.join(esc(n) for n in r['notes'])}</td><td>{_fmt(r['elapsed_min'])}</td><td>{_fmt(r['sim_min'])}</td>"
            f"<td>{_fmt(r['median'])} / {_fmt(r['p90'])}</td><td>{pct}</td><td>{std}</td>"
            f"<td>{_strip(r)}</td><td>{esc(r['status'])}</td></tr>"
        )
    gaps = [r for r in rows if r["status"] not in NOT_GAPS]
    glist = []
    for r in gaps:
        rec = recommendation(r, pkg)
        causes = "".join(f"<li>{bi(c)}</li>" for c in r["causes"])
        glist.append(
            f"<li><b>{esc(r['id'])}</b> {bi(r['action'])} — <b>{esc(r['status'])}</b>"
            f"<ul>{causes}</ul><p>建议 Recommendation: {bi(rec)}</p></li>"
        )
    by_zh = "" if endex is None else f" · {ENDEX_BY[endex['by']][0]}"
    html = (
        header(pkg)
        + f"<p class=meta>演练结束 ENDEX: {esc(endex_text(endex))}{by_zh}</p>"
        + (
            f"<p class=meta>记录摘要 Records digest (SHA-256): <code>{esc(digest)}</code>"
            " — compare it with the one the console printed when it stopped.</p>"
            if digest
            else ""
        )
        + f"<h2>复盘评估 After-action review</h2><p class=meta>{n} expected actions · {esc(summary)}. "
        "Percentile: where the observed time falls among the simulated times of the same scenario "
        f"({esc(pkg['simulation'].get('benchmark_replications'))} replications, events pooled; "
        "never reached counts as slowest). Bar: simulated P10-P90, tick: median, dot: observed.</p>"
        f"<table>{head}{''.join(body)}</table>"
        f"<h2>已发布的应变注入 Contingency injects released</h2>{_contingency_html(conts)}"
        f"<h2>差距与原因 Gaps and likely causes</h2><ol>{''.join(glist) or '<li>none</li>'}</ol>"
        f"<h2>控制台记录 Console log</h2>{_log_html(log or console_log([]))}"
    )
    return page(f"Review {pkg['drill_id']}", html, secret=False)


CONTINGENCY_COLS = [
    ("Card", 8),
    ("Released (clock)", 17),
    ("Released (drill min)", 12),
    ("How", 10),
    ("Inject / action", 10),
    ("Trigger", 50),
    ("Due after inject (min)", 12),
    ("After inject (min)", 12),
    ("Before its trigger", 10),
    ("Text", 50),
    ("Player card", 8),
]


def _contingency_cells(c: dict) -> list:
    return [
        c["card"],
        c["released_clock"],
        round(c["released_min"], 1),
        c["how"],
        c["for"] or c["seq"],
        c["trigger"]["en"],
        c["after_min"],
        None if c["since_inject_min"] is None else round(c["since_inject_min"], 1),
        "yes" if c["early"] else "",
        f"{c['text']['zh']}\n{c['text']['en']}",
        c["player_card"],
    ]


def _drill_cells(pkg: dict, endex: dict | None, digest: str = "") -> list[list]:
    return [
        ["drill", pkg["drill_id"]],
        ["district", f"{pkg['district']['zh']} {pkg['district']['en']}"],
        ["scenario", f"{pkg['scenario']['label_zh']} / {pkg['scenario']['label_en']}"],
        ["STARTEX", pkg["clock"]["startex"]],
        ["ENDEX", endex_text(endex)],
        ["ENDEX (drill min)", None if endex is None else round(endex["drill_min"], 1)],
        ["ENDEX by", None if endex is None else ENDEX_BY[endex["by"]][1]],
        ["records digest", digest],
    ]


def review_xlsx(
    pkg: dict,
    rows: list[dict],
    conts: list[dict],
    endex: dict | None,
    path: Path,
    log: dict | None = None,
    digest: str = "",
) -> None:
    cols = [
        ("ID", 7),
        ("Expected action", 50),
        ("Tier", 12),
        ("Plan line", 12),
        ("Released (drill min)", 12),
        ("Observed", 16),
        ("Elapsed (min)", 10),
        ("Sim this drill (min)", 10),
        ("Sim median (min)", 10),
        ("Sim P90 (min)", 10),
        ("Percentile", 10),
        ("Standard", 40),
        ("Verdict", 10),
        ("Status", 16),
        ("Likely causes", 50),
        ("Recommendation", 50),
        ("Notes", 30),
    ]
    data = []
    word = package_word(pkg)
    for r in rows:
        data.append(
            [
                r["id"],
                f"{r['action']['zh']}\n{r['action']['en']}",
                tier_text(r["who"], word),
                r["plan_source"],
                r["released_min"],
                r["observed"],
                r["elapsed_min"],
                r["sim_min"],
                r["median"],
                r["p90"],
                None if r["percentile"] is None else round(r["percentile"], 1),
                r["standard"]["en"] if r["standard"] else "",
                r["verdict"],
                r["status"],
                "\n".join(c["en"] for c in r["causes"]),
                recommendation(r, pkg)["en"] if r["status"] not in NOT_GAPS else "",
                "\n".join(r["notes"]),
            ]
        )
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "review", cols, data)
    _sheet(wb, "contingencies", CONTINGENCY_COLS, [_contingency_cells(c) for c in conts])
    _sheet(wb, "drill", [("Field", 18), ("Value", 60)], _drill_cells(pkg, endex, digest))
    log = log or console_log([])
    _sheet(
        wb,
        "console log",
        [("Real time", 20), ("Drill time", 20), ("Role", 12), ("Record", 80), ("Refused", 9)],
        [
            [r["wall"], r["drill_time"], r["role"], r["what"], "yes" if r["refused"] else ""]
            for r in log["rows"]
        ],
    )
    save_workbook(wb, path)  # (atomic, no link followed)


def review(drill: Path, out: Path | None) -> Path:
    """Write ``review.html`` and ``review.xlsx`` for a drill's records (a file that is not
    a drill's records, or whose package is malformed: one line naming it)."""
    pkg, store = _load(drill)
    try:
        released = store.released()
        observations = store.observations()
        rec = recorded_endex(pkg, store)
        audit = store.audit_log()
        digest = store.digest()
    except (sqlite3.Error, ValueError, TypeError, RecursionError) as exc:  # (a card's JSON)
        raise UserError(f"{drill}: its records cannot be read ({exc})") from None
    try:
        rows = review_rows(
            pkg,
            released,
            observations,
            None if rec is None else rec[0],
            None if rec is None else rec[1],
        )
        conts = released_contingencies(pkg, released)
        endex = endex_record(pkg, rec)
        log = console_log(audit)
        html = review_html(pkg, rows, conts, endex, log, digest)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
        # (OverflowError: a time beyond any date, e.g. observed_min 1e999 = inf)
        what = f"{type(exc).__name__}: {exc}"
        raise UserError(f"{drill}: its drill package or records are malformed ({what})") from None
    out = Path(out) if out else Path(store.path).with_name(f"{pkg['drill_id']}_review")
    # an earlier review is never replaced (it may be the one handed over): choose --out
    with one_line_os_errors(out):
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise UserError(
                f"{out}: already exists and is not an empty folder (an earlier review is "
                "never replaced; choose another folder with --out)"
            )
    safe_mkdir(out, out.parent)  # (the folder itself may not be a link either)
    atomic_write_text(out / "review.html", html, out)
    review_xlsx(pkg, rows, conts, endex, out / "review.xlsx", log, digest)
    print(f"review of {pkg['drill_id']}: {out / 'review.html'}, {out / 'review.xlsx'}")
    print(f"records digest {digest} (compare it with the one the console printed at its stop)")
    return out
