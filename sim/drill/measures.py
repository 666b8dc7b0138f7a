"""Drill measures read from an event log, and their simulated distributions.

A *measure* is the time from a cue players receive (an alarm, a road closure, a fire
report, ...) to the action or outcome an evaluator can observe (first team on scene, road
reopened, fire out, basic needs met). The same function reads the drill replication (what
the simulation expects in this drill) and the benchmark replications (the distribution an
observed time is placed in). Values are minutes; an outcome that never happened within the
horizon is ``inf`` (worse than any observed time), so quantiles never flatter the plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

# measure -> (cue, outcome) in words (zh, en)
MEASURES: dict[str, tuple[str, str]] = {
    "first_depart": ("接警至首支队伍出发", "alarm to first team leaving"),
    "first_arrival": ("接警至首支队伍到场", "alarm to first team on scene"),
    "resolved": ("接警至救援完成", "alarm to rescue completed"),
    "repair_on_site": ("道路中断至抢通队伍到场", "road closed to repair crew on site"),
    "road_reopen": ("道路中断至恢复通行", "road closed to road reopened"),
    "isolation": ("街镇孤立至恢复连通", "town cut off to reconnected"),
    "aid_arrival": ("请求支援至支援队伍到场", "mutual-aid request to first aid team on scene"),
    "fire_first_arrival": ("火情报告至首支扑火队到场", "fire report to first crew at the fire"),
    "fire_out": ("火情报告至明火扑灭", "fire report to fire out"),
    "evac_sheltered_90": (
        "转移令至90%转移群众安置",
        "evacuation order to 90% of evacuees sheltered",
    ),
    "needs_met": ("群众到达安置点至基本生活得到保障", "arrival at shelter to basic needs met"),
    "warning_relay": ("收到预警至转发各街镇", "warning received to warning passed to the towns"),
}
MIN_GROUP = (
    20  # ASSUMPTION: below 20 values a subgroup (e.g. one incident kind) pools with its measure
)


@dataclass
class Benchmark:
    """Simulated distribution of one measure (pooled over events of all replications)."""

    measure: str
    sub: str
    n: int
    reps: int
    median: float
    p90: float
    median_ci: tuple[float, float]
    p90_ci: tuple[float, float]
    never_share: float  # share of cues whose outcome never came within the horizon
    sample: list[float]  # sorted values (inf = never), for placing an observed time

    @property
    def p90_done(self) -> float:
        """P90 of the outcomes that came within the horizon (inf if none came): a slowness
        threshold where the P90 itself is "never" (more than 10% never came)."""
        done = np.array([v for v in self.sample if math.isfinite(v)])
        return quantile(done, 0.9) if len(done) else math.inf

    def as_dict(self) -> dict:
        return {
            "measure": self.measure,
            "sub": self.sub,
            "n": self.n,
            "reps": self.reps,
            "median": _num(self.median),
            "p90": _num(self.p90),
            "median_ci": [_num(x) for x in self.median_ci],
            "p90_ci": [_num(x) for x in self.p90_ci],
            "never_share": self.never_share,
            "p90_done": _num(self.p90_done),
            "sample": [_num(x) for x in self.sample],
        }


def fmt_minutes(x: float | None) -> tuple[str, str]:
    """A duration in words (zh, en): minutes below 3 h, else hours; None/inf = never."""
    if x is None or not math.isfinite(x):
        return "未发生", "never"
    if x >= 180:
        return f"{x / 60:.1f} 小时", f"{x / 60:.1f} h"
    return f"{x:.0f} 分钟", f"{x:.0f} min"


def _num(x: float) -> float | None:
    """JSON-safe number: inf (never happened) becomes None."""
    return None if x is None or not math.isfinite(x) else round(float(x), 2)


def _first_after(events: pd.DataFrame, name: str, key: str) -> pd.Series:
    """First time of event ``name`` per value of column ``key``."""
    sel = events[events.event == name]
    return sel.groupby(key)["t"].min() if len(sel) else pd.Series(dtype=float)


def measure_rows(events: pd.DataFrame) -> pd.DataFrame:
    """One row per cue: measure, key (incident/road/town/fire id), sub, node, t, value (min)."""
    rows: list[tuple] = []
    inc = events[events.event == "incident"]
    dep = _first_after(events[events.ref.isin(set(inc.entity))], "depart", "ref")
    arr = _first_after(events, "arrive", "ref")
    res = _first_after(events, "resolved", "entity")
    for e, t, node, kind in zip(inc.entity, inc.t, inc.node, inc["info"], strict=True):
        for m, s in (("first_depart", dep), ("first_arrival", arr), ("resolved", res)):
            rows.append((m, e, kind, node, t, s.get(e, math.inf) - t))
    closes = events[events.event == "road_close"]
    for road, grp in closes.groupby("entity"):
        opens = events[(events.event == "road_open") & (events.entity == road)].t.to_numpy()
        starts = events[(events.event == "repair_start") & (events.entity == road)].t.to_numpy()
        for t, node, cause in zip(grp.t, grp.node, grp.ref, strict=True):
            o, s = opens[opens >= t], starts[starts >= t]
            rows.append(
                ("road_reopen", road, cause, node, t, (o.min() if len(o) else math.inf) - t)
            )
            if (events.event == "repair_request").any():
                rows.append(
                    ("repair_on_site", road, cause, node, t, (s.min() if len(s) else math.inf) - t)
                )
    iso = events[events.event.isin(["isolated", "reconnected"])]
    for town, grp in iso.groupby("entity"):
        back = grp[grp.event == "reconnected"].t.to_numpy()
        for t in grp[grp.event == "isolated"].t:
            b = back[back >= t]
            rows.append(("isolation", town, "", town, t, (b.min() if len(b) else math.inf) - t))
    aid = events[events.event == "aid_request"]
    if len(aid):
        act = events[events.event == "aid_activated"]
        aid_teams = dict(zip(act.entity, act.ref, strict=True))  # team -> centre
        arrivals = events[(events.event == "arrive") & events.entity.isin(set(aid_teams))]
        for key, t, node in zip(aid.entity, aid.t, aid.node, strict=True):
            teams = {k for k, c in aid_teams.items() if c == key}
            a = arrivals[arrivals.entity.isin(teams) & (arrivals.t >= t)].t
            rows.append(("aid_arrival", key, "", node, t, (a.min() if len(a) else math.inf) - t))
    rep = events[events.event == "fire_report"]
    farr = _first_after(events, "fire_arrive", "ref")
    fout = _first_after(events, "fire_out", "entity")
    for f, t, zone, danger in zip(rep.entity, rep.t, rep.node, rep.ref, strict=True):
        rows.append(("fire_first_arrival", f, danger, zone, t, farr.get(f, math.inf) - t))
        rows.append(("fire_out", f, danger, zone, t, fout.get(f, math.inf) - t))
    orders = events[events.event == "evac_order"]
    if len(orders):
        for oid, t, v in sheltered_90(events):
            rows.append(("evac_sheltered_90", oid, "", "", t, v))
    groups = events[events.event == "relief_group"]
    if len(groups):
        met = _first_after(events, "needs_met", "entity")
        for g, t, node in zip(groups.entity, groups.t, groups.node, strict=True):
            rows.append(("needs_met", g, "", node, t, met.get(g, math.inf) - t))
    cols = ["measure", "key", "sub", "node", "t", "value"]
    return pd.DataFrame.from_records(rows, columns=cols)


# the log's rows that tie an evacuating group (entity) to its order (ref); out_of_zone also
# counts the group's people of each order (a bus may carry people of several orders)
GROUP_ORDER_EVENTS = ("out_of_zone", "assist_request", "at_assembly", "no_shelter", "wait_end")


def sheltered_90(events: pd.DataFrame) -> list[tuple[str, float, float]]:
    """(order, order time, minutes from the order until 90% of *its* complying people are
    in a first shelter; inf: never) per evacuation order.

    Each first-shelter arrival (``sheltered``, not a hand-over between shelters) is counted
    for the order(s) of its group: by the group's ``out_of_zone`` rows (people per order),
    else by another row naming the group's order, else - a group the log ties to no order -
    for the latest order issued at or before the arrival. Pooling all orders (as before)
    judged a late small order by an earlier large one: order A at 0 (100 people sheltered by
    50) and order B at 100 (10 people sheltered at 400) gave B -50 min instead of 300."""
    orders = events[events.event == "evac_order"].sort_values("t", kind="stable")
    if orders.empty:
        return []
    ids = list(dict.fromkeys(orders.entity.astype(str)))
    issued = orders.groupby("entity")["t"].min()
    complied = events[events.event == "complied"].groupby("ref")["qty"].sum()
    links = events[events.event.isin(GROUP_ORDER_EVENTS) & events.ref.isin(ids)]
    shares: dict[str, dict[str, float]] = {}
    out = links[links.event == "out_of_zone"]
    for gid, oid, qty in zip(out.entity, out.ref, out.qty, strict=True):
        d = shares.setdefault(str(gid), {})
        d[str(oid)] = d.get(str(oid), 0.0) + float(qty)
    for gid, oid in zip(links.entity, links.ref, strict=True):
        shares.setdefault(str(gid), {str(oid): 1.0})
    sh = events[
        (events.event == "sheltered") & ~events["info"].astype(str).str.endswith("/transfer")
    ]
    sh = sh.sort_values("t", kind="stable")
    times = orders.t.to_numpy(dtype=float)
    arrivals: dict[str, list[tuple[float, float]]] = {o: [] for o in ids}
    for t, gid, n in zip(sh.t, sh.ref, sh.qty, strict=True):
        part = shares.get(str(gid))
        if not part:  # no order named: the latest one issued by then
            k = int(np.searchsorted(times, float(t), side="right")) - 1
            part = {str(orders.entity.iloc[max(k, 0)]): 1.0}
        whole = sum(part.values())
        for oid, w in part.items():
            share = w / whole if whole > 0 else 1.0 / len(part)
            arrivals[oid].append((float(t), float(n) * share))
    result = []
    for oid in ids:
        t0, total = float(issued[oid]), float(complied.get(oid, 0.0))
        v = math.inf
        if total > 0:
            got = 0.0
            for t, n in arrivals[oid]:
                got += n
                if got >= 0.9 * total - 1e-9:
                    v = t - t0
                    break
        result.append((oid, t0, v))
    return result


def quantile(values: np.ndarray, q: float) -> float:
    """Empirical quantile without interpolation (values may hold inf)."""
    if len(values) == 0:
        return math.nan
    return float(np.quantile(values, q, method="inverted_cdf"))


def percentile_of(sample: list[float | None], x: float) -> float:
    """Mid-rank percentile (0-100) of ``x`` in a sample (None = never happened = inf)."""
    vals = np.array([math.inf if v is None else v for v in sample], dtype=float)
    if len(vals) == 0:
        return math.nan
    below = float(np.sum(vals < x))
    ties = float(np.sum(vals == x))
    return 100.0 * (below + 0.5 * ties) / len(vals)


def benchmark(
    rows: pd.DataFrame, measure: str, sub: str, rng: np.random.Generator, boot: int = 400
) -> Benchmark | None:
    """Median and P90 of a measure over the benchmark replications, with a 95% interval.

    Events of one replication are not independent (they share the storm, the teams, the
    roads), so the interval is a cluster bootstrap that resamples whole replications
    (Davison & Hinkley 1997, ch. 3.8). ``rows`` needs a ``rep`` column.
    """
    sel = rows[rows.measure == measure]
    if sub and (sel["sub"] == sub).sum() >= MIN_GROUP:
        sel = sel[sel["sub"] == sub]
    else:
        sub = ""
    if sel.empty:
        return None
    vals = sel.value.to_numpy(dtype=float)
    by_rep = [g.value.to_numpy(dtype=float) for _, g in sel.groupby("rep")]
    med, p90 = quantile(vals, 0.5), quantile(vals, 0.9)
    meds, p90s = [], []
    for _ in range(boot):
        pick = rng.integers(0, len(by_rep), len(by_rep))
        v = np.concatenate([by_rep[i] for i in pick])
        meds.append(quantile(v, 0.5))
        p90s.append(quantile(v, 0.9))

    def ci(xs: list[float]) -> tuple[float, float]:
        a = np.array(xs)
        return quantile(a, 0.025), quantile(a, 0.975)

    return Benchmark(
        measure,
        sub,
        len(vals),
        len(by_rep),
        med,
        p90,
        ci(meds),
        ci(p90s),
        float(np.mean(~np.isfinite(vals))),
        sorted(float(v) for v in vals),
    )
