"""The drill package: one replication's MSEL, benchmarks, player cards and evaluator sheet.

Everything here is a pure function of (config, network, secret draw): the same secret seed
and config give the same package, byte for byte (only the drill id and the seal's random
salt and nonce differ between two sealings).
"""

from __future__ import annotations

import copy
import datetime as dt

import pandas as pd

from sim.config import Config
from sim.core.network import RoadNetwork
from sim.core.streams import Streams
from sim.drill.draw import DrillDraw
from sim.drill.measures import MEASURES, Benchmark, benchmark, fmt_minutes, measure_rows
from sim.drill.msel import DrillClock, MselBuilder, contingencies
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
        lead = std["lead_min"]
        need = std.get("threshold", 45.0)
        z, e = fmt_minutes(max(lead - need, 0.0))
        src = std.get("source", "")
        return {
            "zh": f"预案标准：预警提前量 ≥ {need:.0f} 分钟（{src}）；本次提前 {lead:.0f} 分钟，转发须在 {z} 内",
            "en": f"plan standard: warning >= {need:.0f} min ahead ({src}); this one came "
            f"{lead:.0f} min ahead, so pass it on within {e}",
        }
    if b:
        mz, me = fmt_minutes(b["median"])
        pz, pe = fmt_minutes(b["p90"])
        return {
            "zh": f"模拟中位数 {mz}，90%分位 {pz}（{b['n']} 次事件，{b['reps']} 次重复模拟）",
            "en": f"simulated median {me}, P90 {pe} ({b['n']} events over {b['reps']} replications)",
        }
    return {"zh": "无基准（记录时刻供复盘）", "en": "no benchmark (record the time for the review)"}


def build_package(
    conf: Config, net: RoadNetwork, draw: DrillDraw, overrides: list[str], drill_id: str
) -> dict:
    """The full drill package (a JSON-able dict) for a config that runs the drawn scenario."""
    conf = drill_config(conf, draw)
    dcfg = conf.experiment.drill
    rep = run_replication(conf, net, DRILL_REP)
    events = rep.events()
    rows = measure_rows(events)
    namer = Namer(net, conf)
    builder = MselBuilder(events, namer, rows)
    chosen = builder.select(dcfg.window_h * 60.0, dcfg.max_injects)
    start_hour = conf.scenario.start_hour
    start = dt.datetime.combine(dt.date.fromisoformat(draw.date), dt.time()) + dt.timedelta(
        hours=start_hour
    )
    startex_t = float(chosen.t.min()) if len(chosen) else 0.0
    clock = DrillClock(start, startex_t)
    msel = [builder.inject(r, clock) for _, r in chosen.iterrows()]
    for i, inj in enumerate(msel, start=1):
        inj["seq"] = i
    # benchmarks: the distribution of every measure an expected action names
    brows = benchmark_rows(conf, net, dcfg.benchmark_replications)
    rng = Streams(draw.secret_seed, DRILL_REP)("drill/bootstrap")
    benches: dict[str, dict] = {}
    warn_std = builder.nm_standard("warning_lead_min")
    for inj in msel:
        for a in inj["expected"]:
            if a["standard"] and a["standard"]["kind"] == "lead" and warn_std:
                a["standard"].update(threshold=warn_std["threshold"], source=warn_std["source"])
            elif a["standard"] and a["standard"]["kind"] == "lead":
                a["standard"] = None
            a["benchmark"] = None
            if not a["measure"] or a["measure"] == "warning_relay":
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
            "start": start.isoformat(timespec="minutes"),
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
    """One card per inject: only what players are told, when, by whom and how."""
    return [
        {
            "card": i,
            "seq": inj["seq"],
            "clock": inj["clock"],
            "from": inj["from"],
            "to": inj["to"],
            "method": inj["method"],
            "zh": inj["inject"]["zh"],
            "en": inj["inject"]["en"],
        }
        for i, inj in enumerate(msel, start=1)
    ]


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


def check_package(pkg: dict) -> dict:
    """Shape checks of a package read back from a seal (it is untrusted data)."""
    from sim.drill.seal import SealError

    missing = [k for k in REQUIRED if k not in pkg]
    if missing:
        raise SealError(f"drill package: missing '{missing[0]}'")
    if pkg["format"] != FORMAT:
        raise SealError(f"drill package: format '{pkg['format']}' is not {FORMAT}")
    for k in ("msel", "player_cards", "evaluator"):
        if not isinstance(pkg[k], list) or not all(isinstance(x, dict) for x in pkg[k]):
            raise SealError(f"drill package: '{k}' is not a list of records")
    for inj in pkg["msel"]:
        for f in ("seq", "t_min", "clock", "inject", "expected"):
            if f not in inj:
                raise SealError(f"drill package: an inject lacks '{f}'")
    return pkg
