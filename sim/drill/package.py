"""The drill package: one replication's MSEL, benchmarks, player cards and evaluator sheet.

Everything here is a pure function of (config, network, secret draw): the same secret seed
and config give the same package, byte for byte (only the drill id and the seal's random
salt and nonce differ between two sealings).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from dataclasses import dataclass

import pandas as pd

from sim.config import Config
from sim.core.network import RoadNetwork
from sim.core.streams import Streams
from sim.drill.draw import DrillDraw
from sim.drill.measures import MEASURES, Benchmark, benchmark, fmt_minutes, measure_rows
from sim.drill.msel import CONTINGENCY_PLAYER, DrillClock, MselBuilder, contingencies, fill_times
from sim.drill.names import Namer
from sim.run.experiment import run_replications
from sim.run.replication import run_replication

FORMAT = "sim-drill/1"
DRILL_REP = 0  # the drill is replication 0 of the secret seed; benchmarks use 1..N


def drill_config(conf: Config, draw: DrillDraw) -> Config:
    """A copy of ``conf`` that runs with the secret seed."""
    out = copy.deepcopy(conf)
    out.experiment.seed = int(draw.secret_seed)
    return out


def benchmark_rows(conf: Config, net: RoadNetwork, n: int) -> pd.DataFrame:
    """Measure rows of replications 1..n of the same scenario (a ``rep`` column added)."""
    bconf = copy.deepcopy(conf)
    bconf.experiment.save_events = True
    results = run_replications(bconf, net, range(DRILL_REP + 1, DRILL_REP + 1 + n))
    frames = [measure_rows(r.events).assign(rep=r.rep) for r in results if not r.error]
    if not frames:
        return pd.DataFrame(columns=["measure", "key", "sub", "node", "t", "value", "rep"])
    return pd.concat(frames, ignore_index=True)


def lead_standard(std: dict, forecast: dict | None, reach: dict | None) -> dict | None:
    """The standard of passing on a severe-convection warning that came ``std["lead_min"]``
    ahead: to the towns before the storm arrives, i.e. within that lead (the district's
    warned-before-impact target ``reach``, e.g. 003 L210), with the plan's forecast lead
    (``forecast``: 45 min, 003 L173) shown beside it - the weather office's standard, met or
    not by the inject itself, never the players'. None without either target."""
    if not (forecast or reach):
        return None
    return {
        **std,
        "forecast_min": forecast["threshold"] if forecast else None,
        "forecast_source": forecast["source"] if forecast else "",
        "source": (reach or forecast)["source"],
    }


def whole_minute(when: dt.datetime) -> dt.datetime:
    """``when`` rounded to the nearest whole minute (half a minute up)."""
    return (when + dt.timedelta(seconds=30)).replace(second=0, microsecond=0)


def drill_clock_of(date: dt.date, start_hour: float, startex_t: float) -> DrillClock:
    """The drill's clock for a drill drawn on ``date`` at ``start_hour`` (the scenario's
    clock hour at its minute 0) whose first inject comes at scenario minute ``startex_t``.

    Rounded once, to whole minutes: the drawn start (23.0833 h is 23:05, which the float
    showed as 23:04) and STARTEX (start + ``startex_t``); the clock's minute 0 is then put
    ``startex_t`` before that STARTEX, to the microsecond. Every clock time shown is STARTEX
    plus the drill minutes, truncated like ``T+`` (:func:`~sim.drill.console.clock.t_plus`),
    so clock - STARTEX is T+ for every inject (a fractional STARTEX put 10 of 14 injects a
    minute off)."""
    day = dt.datetime.combine(date, dt.time())
    start = day + dt.timedelta(minutes=round(float(start_hour) * 60.0))
    startex = whole_minute(start + dt.timedelta(minutes=startex_t))
    return DrillClock(startex - dt.timedelta(minutes=startex_t), startex_t)


def benchmark_text(action: dict) -> dict:
    """The benchmark an evaluator judges an action against, in words."""
    std = action.get("standard")
    b = action.get("benchmark")
    if std and std["kind"] == "limit":
        z, e = fmt_minutes(std["limit_min"])
        return {
            "zh": f"预案标准：≤ {z}（{std['source']}）",
            "en": f"plan standard: <= {e} ({std['source']})",
        }
    if std and std["kind"] == "people":
        n = int(std["min_people"])
        return {
            "zh": f"预案标准：≥ {n} 人（{std['source']}）",
            "en": f"plan standard: >= {n} people ({std['source']})",
        }
    if std and std["kind"] == "lead":
        # The plans' 45 minutes (000 L164, 002 L147, 003 L173: 强对流天气预警时间提前45分钟) is
        # the forecast lead of the weather office's warning - what the inject brings, played
        # by control - not a relay time; what the players must do is get the warning to the
        # towns before the storm arrives (003 L210, 002 L165: 预警信息到村到户到人): within
        # the lead the warning came with. See docs/drills.md, "Benchmarks".
        lead = float(std["lead_min"])
        need = std.get("forecast_min", std.get("threshold"))
        fsrc = std.get("forecast_source", std.get("source", ""))
        src = std.get("source", "")
        z, e = fmt_minutes(lead)
        fz = fe = ""
        if need is not None:
            ok = lead >= float(need)
            fz = (
                f"（预报提前量标准 ≥ {float(need):.0f} 分钟，{fsrc}：{'达到' if ok else '未达到'}）"
            )
            fe = (
                f" (forecast lead standard >= {float(need):.0f} min, {fsrc}: "
                f"{'met' if ok else 'not met'} by the weather office)"
            )
        return {
            "zh": f"预案标准：预警在强对流到来前转发到各街镇（{src}）；本次预警提前 {lead:.0f} 分钟"
            f"发出{fz}，转发须在 {z} 内",
            "en": f"plan standard: the warning reaches the towns before the storm ({src}); this "
            f"one was issued {lead:.0f} min ahead{fe}, so pass it on within {e}",
        }
    if b:
        mz, me = fmt_minutes(b["median"])
        pz, pe = fmt_minutes(b["p90"])
        return {
            "zh": f"模拟中位数 {mz}，90%分位 {pz}（{b['n']} 次事件，{b['reps']} 次重复模拟）",
            "en": f"simulated median {me}, P90 {pe} ({b['n']} events over {b['reps']} replications)",
        }
    return {"zh": "无基准（记录时刻供复盘）", "en": "no benchmark (record the time for the review)"}


@dataclass
class Draft:
    """A drawn drill's replication and the injects selected from it (before benchmarks)."""

    conf: Config  # the config that runs with the secret seed
    events: pd.DataFrame
    builder: MselBuilder
    chosen: pd.DataFrame  # the log rows that become injects

    @property
    def n_injects(self) -> int:
        return len(self.chosen)


def draft_msel(conf: Config, net: RoadNetwork, draw: DrillDraw) -> Draft:
    """Run the drill replication of a draw and select its injects (what decides whether the
    draw gives enough of them, ``experiment.drill.min_injects``)."""
    conf = drill_config(conf, draw)
    dcfg = conf.experiment.drill
    events = run_replication(conf, net, DRILL_REP).events()
    builder = MselBuilder(events, Namer(net, conf), measure_rows(events))
    return Draft(conf, events, builder, builder.select(dcfg.window_h * 60.0, dcfg.max_injects))


def build_package(
    conf: Config,
    net: RoadNetwork,
    draw: DrillDraw,
    overrides: list[str],
    drill_id: str,
    draft: Draft | None = None,
) -> dict:
    """The full drill package (a JSON-able dict) for a config that runs the drawn scenario
    (``draft``: its drill replication and MSEL selection, if already made)."""
    draft = draft or draft_msel(conf, net, draw)
    conf, events, builder, chosen = draft.conf, draft.events, draft.builder, draft.chosen
    namer = builder.nm
    dcfg = conf.experiment.drill
    startex_t = float(chosen.t.min()) if len(chosen) else 0.0
    clock = drill_clock_of(dt.date.fromisoformat(draw.date), conf.scenario.start_hour, startex_t)
    start = clock.start
    msel = [builder.inject(r, clock) for _, r in chosen.iterrows()]
    for i, inj in enumerate(msel, start=1):
        inj["seq"] = i
    # benchmarks: the distribution of every measure an expected action names
    brows = benchmark_rows(conf, net, dcfg.benchmark_replications)
    rng = Streams(draw.secret_seed, DRILL_REP)("drill/bootstrap")
    benches: dict[str, dict] = {}
    warn_std = builder.nm_standard("warning_lead_min")  # the forecast lead (45 min)
    reach_std = builder.nm_standard("warning_reached_in_time_share")  # warned before impact
    for inj in msel:
        for a in inj["expected"]:
            if a["standard"] and a["standard"]["kind"] == "lead":
                a["standard"] = lead_standard(a["standard"], warn_std, reach_std)
                # the row's plan line is its standard's (warned before impact: 002 L165,
                # 003 L210, ...): the review said "not in the plan" for it
                if a["standard"] is not None and reach_std is not None:
                    a["plan_source"] = a["plan_source"] or reach_std["source"]
            a["benchmark"] = None
            if a["measure"] in NO_TIME_BENCHMARK:
                a["sim_min"] = None  # (the measure's time is not this action's)
            if not a["measure"] or a["measure"] in ("warning_relay", *NO_TIME_BENCHMARK):
                continue
            key = f"{a['measure']}/{a['sub']}"
            if key not in benches:
                bm: Benchmark | None = benchmark(brows, a["measure"], a["sub"], rng)
                benches[key] = bm.as_dict() if bm else None
            b = benches[key]
            if b is not None:
                a["benchmark"] = {
                    k: b[k]
                    for k in (
                        "measure",
                        "sub",
                        "n",
                        "reps",
                        "median",
                        "p90",
                        "median_ci",
                        "p90_ci",
                        "never_share",
                        "p90_done",
                    )
                }
                a["benchmark_key"] = f"{b['measure']}/{b['sub']}"
                benches.setdefault(a["benchmark_key"], b)
            a["benchmark_text"] = benchmark_text(a)
        for a in inj["expected"]:
            a.setdefault("benchmark_text", benchmark_text(a))
    for inj in msel:
        nxt = next(
            (
                j
                for j in msel
                if j["seq"] > inj["seq"] and j["place"]["node"] == inj["place"]["node"]
            ),
            None,
        )
        inj["contingency"] = contingencies(inj, nxt, clock, dcfg.window_h * 60.0)
    d = namer.district()
    h = dcfg.hazards.get(draw.hazard) if draw.hazard else None
    focus = msel[0]["place"] if msel else {"node": "", "zh": "", "en": ""}
    return {
        "format": FORMAT,
        "drill_id": drill_id,
        "secret": {"seed": int(draw.secret_seed), "replication": DRILL_REP},
        "draw": draw.as_dict(),
        "overrides": list(overrides),
        "district": {"name": conf.district.name, "zh": d.zh, "en": d.en},
        "scenario": {
            "option": draw.scenario,
            "description": conf.scenario.description,
            "label_zh": h.label_zh if h else draw.scenario,
            "label_en": h.label_en if h else draw.scenario,
            "source": h.source if h else "",
            "drawn": draw.drawn,
            "hours": conf.scenario.hours or conf.experiment.hours,
        },
        "clock": {
            # (to the microsecond: start + startex_t_min is STARTEX, a whole minute)
            "start": start.isoformat(timespec="microseconds"),
            "startex": clock.clock(startex_t),
            "startex_t_min": startex_t,
            "window_h": dcfg.window_h,
        },
        "focus": focus,
        "msel": msel,
        "benchmarks": {k: v for k, v in benches.items() if v is not None},
        "measures": {k: {"zh": z, "en": e} for k, (z, e) in MEASURES.items()},
        "player_cards": player_cards(msel),
        "evaluator": evaluator_rows(msel),
        "objectives": objectives(msel),
        "simulation": {
            "events": int(len(events)),
            "benchmark_replications": int(brows["rep"].nunique()) if len(brows) else 0,
            "incidents": int((events.event == "incident").sum()),
            "roads_closed": int((events.event == "road_close").sum()),
            "towns_isolated": int(events[events.event == "isolated"].entity.nunique()),
        },
    }


def player_cards(msel: list[dict]) -> list[dict]:
    """One card per inject: only what players are told, by whom and how. Its number and
    clock, and the times in its text, are filled in when it is released
    (:func:`released_card`): players see the actual release, never the schedule; ``seq``
    is the controller's MSEL number and never reaches the player."""
    return [
        {
            "seq": inj["seq"],
            "from": inj["from"],
            "to": inj["to"],
            "method": inj["method"],
            "zh": inj.get("player_text", inj["inject"])["zh"],
            "en": inj.get("player_text", inj["inject"])["en"],
        }
        for inj in msel
    ]


# what a player's view holds of a released card (never its MSEL number, nor how it came)
PLAYER_CARD_KEYS = ("card", "clock", "released_clock", "from", "to", "method", "zh", "en")


def released_card(card: dict, number: int, at: dt.datetime, ref: str) -> dict:
    """A player card as released: ``number`` in order of release (players who see 1, 2, 3
    cannot tell that other injects exist), the clock of its release ``at`` and the times in
    its text counted from it; ``seq`` and ``ref`` (``MSEL 6``, ``C6.1``) are kept for the
    controller and the review."""
    clock = at.strftime("%Y-%m-%d %H:%M")
    return {
        **{k: card[k] for k in ("from", "to", "method") if k in card},
        "card": number,
        "clock": clock,
        "released_clock": clock,
        "zh": fill_times(str(card.get("zh", "")), at),
        "en": fill_times(str(card.get("en", "")), at),
        "seq": card.get("seq"),
        "ref": ref,
    }


def player_view(card: dict) -> dict:
    """What the player's view may hold of a released card."""
    return {k: card[k] for k in PLAYER_CARD_KEYS if k in card}


def contingency_text(contingency: dict, card: int | str, card_clock: str) -> dict:
    """The text players get from a "slower" contingency: the package's, naming only their
    own card ``card`` and when it came (a package sealed before this rule - whose text named
    the expected action - gets :data:`CONTINGENCY_PLAYER` instead)."""
    text = contingency.get("player") or {}
    if not all("{card}" in str(text.get(k, "")) for k in ("zh", "en")):
        text = CONTINGENCY_PLAYER
    return {
        k: str(text[k]).replace("{card}", str(card)).replace("{received}", card_clock)
        for k in ("zh", "en")
    }


def evaluator_rows(msel: list[dict]) -> list[dict]:
    """One row per expected action: benchmark, plan line, and an empty observed field."""
    out = []
    for inj in msel:
        for a in inj["expected"]:
            out.append(
                {
                    "id": f"{inj['seq']}{a['id']}",
                    "seq": inj["seq"],
                    "clock": inj["clock"],
                    "scenario_time": inj["scenario_time"],
                    "place": inj["place"],
                    "capability": inj["capability"],
                    "action": {"zh": a["zh"], "en": a["en"]},
                    "who": a["who"],
                    "plan_source": a["plan_source"],
                    "measure": a["measure"],
                    "benchmark_key": a.get("benchmark_key", ""),
                    "benchmark_text": a["benchmark_text"],
                    "standard": a["standard"],
                    "sim_min": a["sim_min"],
                    "observed": "",
                    "notes": "",
                }
            )
    return out


def objectives(msel: list[dict]) -> list[dict]:
    """The drill's objectives: each core capability the MSEL exercises, with its injects."""
    caps: dict[str, dict] = {}
    for inj in msel:
        c = inj["capability"]
        o = caps.setdefault(c["en"], {"zh": c["zh"], "en": c["en"], "injects": []})
        o["injects"].append(inj["seq"])
    return list(caps.values())


REQUIRED = (
    "format",
    "drill_id",
    "secret",
    "district",
    "scenario",
    "clock",
    "msel",
    "player_cards",
    "evaluator",
    "benchmarks",
)
# measures whose simulated time is not the expected action's, so no time benchmark (no
# median, P90, percentile, "slower" prompt): the cut-off town's action is "use the local
# stock; arrange access by water or air", but the simulation logs no time at which water or
# air access starts - its 'isolation' time (cut off to reconnected) is the roads' reopening
NO_TIME_BENCHMARK = ("isolation",)
DRILL_ID = r"drill-[0-9A-Za-z]{1,32}"  # what a package's drill_id may be (a file name part)
# what the console and the review read of a package (the SQLite file holds it in the clear)
RECORDS = ("drill_id", "district", "scenario", "clock", "msel", "evaluator", "benchmarks")
INJECT_FIELDS = ("seq", "t_min", "kind", "inject", "synopsis", "expected")
EVALUATOR_FIELDS = (
    "id",
    "seq",
    "action",
    "who",
    "plan_source",
    "measure",
    "place",
    "benchmark_text",
    "sim_min",
)


def check_package(pkg: dict) -> dict:
    """Shape checks of a package read back from a seal (it is untrusted data): what
    :func:`check_records_package` checks, and the sealed package's own parts (its format,
    every key of :data:`REQUIRED`, the player cards)."""
    from sim.drill.seal import SealError

    check_records_package(pkg, ("clock", *INJECT_FIELDS), REQUIRED)
    if pkg["format"] != FORMAT:
        raise SealError(f"drill package: format '{pkg['format']}' is not {FORMAT}")
    _check_records(pkg, "player_cards")
    seqs = {inj["seq"] for inj in pkg["msel"]}
    for card in pkg["player_cards"]:
        if card.get("seq") not in seqs:
            raise SealError("drill package: a player card names no inject of the MSEL")
    return pkg


def check_records_package(
    pkg: dict, inject_fields: tuple[str, ...] = INJECT_FIELDS, required: tuple[str, ...] = RECORDS
) -> dict:
    """Shape checks of what the console and the review read of a package: the keys
    ``required``, its clock, the MSEL's injects (``inject_fields`` each), the evaluator rows
    and the benchmarks. Raises :class:`~sim.drill.seal.SealError` (one line)."""
    from sim.drill.seal import SealError

    if not isinstance(pkg, dict):
        raise SealError("drill package: not a record")
    missing = [k for k in required if k not in pkg]
    if missing:
        raise SealError(f"drill package: missing '{missing[0]}'")
    drill_id = pkg["drill_id"]
    if not isinstance(drill_id, str) or not re.fullmatch(DRILL_ID, drill_id):
        # (it names files and folders beside the package: '../escaped' would leave them)
        raise SealError(
            f"drill package: drill_id {str(drill_id)[:40]!r} is not of the form "
            "drill-<letters and digits>"
        )
    for k in ("msel", "evaluator"):
        _check_records(pkg, k)
    for k in ("clock", "benchmarks", "district", "scenario"):
        if not isinstance(pkg[k], dict):
            raise SealError(f"drill package: '{k}' is not a record")
    clock = pkg["clock"]
    for f in ("start", "startex_t_min", "window_h"):
        if f not in clock:
            raise SealError(f"drill package: 'clock' lacks '{f}'")
    for f in ("startex_t_min", "window_h"):
        if not _number(clock[f]):
            raise SealError(f"drill package: clock '{f}' is not a number")
    try:
        dt.datetime.fromisoformat(str(clock["start"]))
    except ValueError:
        raise SealError("drill package: clock 'start' is not a date and time") from None
    for inj in pkg["msel"]:
        for f in inject_fields:
            if f not in inj:
                raise SealError(f"drill package: an inject lacks '{f}'")
        if not isinstance(inj["seq"], int) or isinstance(inj["seq"], bool):
            raise SealError("drill package: an inject's 'seq' is not a whole number")
        if not _number(inj["t_min"]):
            raise SealError(f"drill package: inject {inj['seq']}'s 't_min' is not a number")
        if not isinstance(inj["expected"], list):
            raise SealError(f"drill package: inject {inj['seq']}'s 'expected' is not a list")
    seqs = {inj["seq"] for inj in pkg["msel"]}
    for row in pkg["evaluator"]:
        for f in EVALUATOR_FIELDS:
            if f not in row:
                raise SealError(f"drill package: an evaluator row lacks '{f}'")
        if row["seq"] not in seqs:
            raise SealError(f"drill package: evaluator row {row['id']} names no inject")
    return pkg


def _check_records(pkg: dict, key: str) -> None:
    """``pkg[key]`` is a list of records (dicts); else SealError."""
    from sim.drill.seal import SealError

    if not isinstance(pkg[key], list) or not all(isinstance(x, dict) for x in pkg[key]):
        raise SealError(f"drill package: '{key}' is not a list of records")


def _number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
