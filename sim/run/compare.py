"""Compare mode: alternatives (layouts or overrides) on common random numbers.

Every alternative runs the same replications with the same seed, so replication *r* of each
faces the same hazards (``Streams(seed, rep)``); differences between alternatives are
differences of the alternatives. For every plan target and KPI this reports each
alternative's estimate, the paired difference to the baseline with its interval, the
unpaired (Welch) interval for comparison and the variance reduction pairing bought, and calls
each alternative better, worse or indistinguishable with a family-wise correction over the
comparisons against the baseline (Bonferroni, or Holm's step-down). Method: docs/compare.md.

The alternatives arrive composed (``sim.cli`` composes configs; this layer never does).
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import html
import io
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config import Config
from sim.core.errors import UserError, did_you_mean
from sim.core.kpi import COMPUTED, INPUT, SIMULATED
from sim.core.network import RoadNetwork
from sim.run.experiment import RepResult, run_replications
from sim.run.metrics import kpi_specs
from sim.run.outputs import check_run_folder, staged, write_json, write_run_info
from sim.run.paired import Diff, bonferroni, exact, holm, paired, ratio_paired, welch
from sim.run.report import overrides_html, write_workbook
from sim.run.stats import at_bound_where_missing
from sim.run.targets import evaluate_all

CORRECTIONS = ("bonferroni", "holm", "none")


@dataclass
class Alternative:
    """One alternative: a name, the overrides that made it, its typed config and network."""

    name: str
    overrides: list[str]
    conf: Config
    net: RoadNetwork
    description: str = ""


@dataclass
class Metric:
    """What is compared: a plan target or a KPI column."""

    key: str
    kind: str  # target | kpi
    column: str
    better: str = ""  # higher | lower | '' (no direction known)
    numerator: str = ""
    denominator: str = ""
    source: str = ""
    comparator: str = ""
    threshold: float = math.nan
    description: str = ""
    provenance: str = SIMULATED  # the KPI spec's: computed/input differences are exact

    @property
    def pooled(self) -> bool:
        return bool(self.numerator and self.denominator)


@dataclass
class Outcome:
    """The replications of every alternative, aligned by replication number."""

    alternatives: list[Alternative]
    frames: dict[str, pd.DataFrame]  # name -> KPI frame indexed by rep (NaN: failed)
    results: dict[str, list[RepResult]] = field(default_factory=dict)

    def column(self, name: str, col: str) -> np.ndarray:
        """Per replication, a time that never came counted at the run's length
        (:func:`kpi_values`)."""
        return kpi_values(self.frames[name], col)[0]

    def censored(self, name: str, col: str) -> int:
        """Replications of ``name`` in which the time ``col`` never came (0: not a time)."""
        return kpi_values(self.frames[name], col)[1]


def kpi_values(frame: pd.DataFrame, col: str) -> tuple[np.ndarray, int]:
    """A KPI column of a per-replication frame (NaN if absent) and how many replications
    count at their bound: a time that never came in one counts at the run's length, as in
    the verdicts (``KpiSpec.censored``); dropping those replications would favour the
    alternative that misses most often."""
    if col not in frame:
        return np.full(len(frame), np.nan), 0
    bound = _censoring().get(col, "")
    if bound not in frame:
        return frame[col].to_numpy(dtype=float), 0
    return at_bound_where_missing(frame[col], frame[bound])


@functools.cache
def _censoring() -> dict[str, str]:
    return {k: spec.censored for k, spec in kpi_specs().items() if spec.censored}


def direction(comparator: str) -> str:
    """Which way is better for a target with this comparator."""
    return "higher" if comparator in (">=", ">") else "lower" if comparator in ("<=", "<") else ""


def check_crn(alts: list[Alternative]) -> None:
    """Alternatives must share seed, replications and horizon, and face the same disaster
    (district and scenario): else they are not paired."""
    if len(alts) < 2:
        raise UserError("compare: needs at least two alternatives (layouts or variants)")
    names = [a.name for a in alts]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise UserError(f"compare: alternative name '{dup[0]}' used twice")
    check_same_experiment(alts, ("seed", "replications", "hours"), "compare")
    check_same_disaster(alts, "compare")
    check_same_targets(alts, "compare")


def check_same_targets(alts: list[Alternative], mode: str, where: str = "alternative") -> None:
    """Every alternative is judged against the plan of the first (``district.targets``): a
    variant that moved a threshold would get a verdict against a goal the comparison table
    does not show (it gives the baseline's). One line naming the first target that differs."""
    ref = alts[0]
    mine = {k: dataclasses.asdict(t) for k, t in ref.conf.district.targets.items()}
    for a in alts[1:]:
        theirs = {k: dataclasses.asdict(t) for k, t in a.conf.district.targets.items()}
        diff = _first_difference(theirs, mine, "district.targets")
        if diff:
            raise UserError(
                f"{mode}: {where} '{a.name}' changes the plan's targets ({diff}); "
                "alternatives are judged against the same plan: change a target for every "
                "alternative (on the command line), not in one"
            )


# What a disaster is made of: the district (its network, people, forest) and the scenario's
# hazards. Not: the plan's targets (judged, not simulated), text, the assumption ranges.
_NOT_THE_DISASTER = {
    "district": ("targets", "name_zh", "name_en"),
    "scenario": ("description", "uncertainty"),
}


def disaster_difference(a: Config, b: Config) -> str:
    """The first setting of the disaster (district or scenario) in which ``a`` differs from
    ``b``, as ``key (a vs b)``; '' if they face the same disaster."""
    for section, skip in _NOT_THE_DISASTER.items():
        da, db = (dataclasses.asdict(getattr(c, section)) for c in (a, b))
        for d in (da, db):
            for k in skip:
                d.pop(k, None)
        if da.get("name") != db.get("name"):
            return f"{section}={da.get('name')} vs {db.get('name')}"
        found = _first_difference(da, db, section)
        if found:
            return found
    return ""


def _first_difference(a: object, b: object, where: str) -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in dict.fromkeys([*a, *b]):
            found = _first_difference(a.get(k), b.get(k), f"{where}.{k}")
            if found:
                return found
        return ""
    if a != b and not (isinstance(a, float) and isinstance(b, float) and a != a and b != b):
        return f"{where}={_short(a)} vs {_short(b)}"
    return ""


def _short(v: object, limit: int = 40) -> str:
    text = "null" if v is None else str(v)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_same_experiment(
    alts: list[Alternative], fields: tuple[str, ...], mode: str, where: str = "alternative"
) -> None:
    """Every alternative runs the experiment of the first in ``fields`` (seed, horizon, ...):
    else the replications are not paired on common random numbers. One line naming the
    first alternative and setting that differ."""
    ref = alts[0].conf.experiment
    for a in alts[1:]:
        for fld in fields:
            mine, theirs = getattr(a.conf.experiment, fld), getattr(ref, fld)
            if mine != theirs:
                raise UserError(
                    f"{mode}: {where} '{a.name}' changes experiment.{fld} ({mine} vs {theirs}); "
                    f"alternatives must share experiment.{'/'.join(fields)} (common random "
                    "numbers)"
                )


def check_same_disaster(alts: list[Alternative], mode: str, where: str = "alternative") -> None:
    """Every alternative faces the disaster of the first (district and scenario): paired
    differences between two different disasters compare the disasters, not the plans, and a
    "better" on them would be wrong. One line naming the first setting that differs."""
    ref = alts[0]
    for a in alts[1:]:
        diff = disaster_difference(a.conf, ref.conf)
        if diff:
            raise UserError(
                f"{mode}: {where} '{a.name}' faces another disaster than '{ref.name}' ({diff}); "
                "alternatives must face the same district and scenario (common random "
                "numbers): vary the layout, and run another scenario or district separately"
            )


def kpi_frame(results: list[RepResult], reps: list[int]) -> pd.DataFrame:
    """KPIs by replication number (rows of failed replications are NaN)."""
    ok = [r for r in results if not r.error]
    frame = pd.DataFrame([r.kpis for r in ok], index=[r.rep for r in ok], dtype=float)
    return frame.reindex(reps)


def run_alternatives(
    alts: list[Alternative], reps: list[int] | None = None, progress: bool = True
) -> Outcome:
    """Run every alternative on the same replications (``reps``, default all)."""
    reps = list(range(alts[0].conf.experiment.replications) if reps is None else reps)
    frames, results = {}, {}
    for a in alts:
        if progress:
            print(f"alternative {a.name}: {len(reps)} replications", file=sys.stderr)
        res = run_replications(a.conf, a.net, reps, None, progress)
        for r in res:
            if r.error:
                print(f"{a.name}: replication {r.rep} FAILED: {r.error}", file=sys.stderr)
        frames[a.name], results[a.name] = kpi_frame(res, reps), res
    return Outcome(alts, frames, results)


def metrics_of(conf: Config, kpi_names: list[str], wanted: list[str] | None = None) -> list[Metric]:
    """The targets of the (baseline) district, then every KPI (or those in ``wanted``)."""
    out = []
    target_metrics = {}
    specs = kpi_specs()
    for key, t in conf.district.targets.items():
        # the pooled share the verdict uses: the target's own ratio, else the KPI's (e.g.
        # share_within_standard = incidents_within_standard / incidents), as the audit does
        ratio = (t.numerator, t.denominator) if t.numerator and t.denominator else None
        spec = specs.get(t.metric)
        ratio = ratio or (spec.ratio if spec is not None else None) or ("", "")
        m = Metric(
            key=key,
            kind="target",
            column=t.metric,
            better=direction(t.comparator),
            numerator=ratio[0],
            denominator=ratio[1],
            source=t.source,
            comparator=t.comparator,
            threshold=float(t.threshold),
            description=t.description,
            provenance=spec.provenance if spec is not None else SIMULATED,
        )
        out.append(m)
        target_metrics[t.metric] = m.better
    for col in kpi_names:
        if wanted and col not in wanted:
            continue
        # a share the KPI table pools over events (its spec's ratio, as the single run's
        # summary and the targets estimate it): compared as the pooled ratio, so a KPI row
        # gives the number its target row and the single run give (one metric, one number)
        spec = specs.get(col)
        ratio = spec.ratio if spec is not None and spec.ratio else None
        if ratio and not all(k in kpi_names for k in ratio):
            ratio = None  # (the single run then falls back to the plain mean too)
        out.append(
            Metric(
                key=col,
                kind="kpi",
                column=col,
                better=target_metrics.get(col, ""),
                numerator=ratio[0] if ratio else "",
                denominator=ratio[1] if ratio else "",
                provenance=spec.provenance if spec is not None else SIMULATED,
            )
        )
    return out


def _estimate(o: Outcome, name: str, m: Metric) -> float:
    if m.pooled:
        y, x = o.column(name, m.numerator), o.column(name, m.denominator)
        ok = np.isfinite(y) & np.isfinite(x)
        return float(y[ok].sum() / x[ok].sum()) if ok.any() and x[ok].sum() > 0 else math.nan
    v = o.column(name, m.column)
    return float(np.nanmean(v)) if np.isfinite(v).any() else math.nan


def _exact(o: Outcome, alt: str, base: str, m: Metric) -> Diff | None:
    """The exact difference of a KPI computed from the inputs (the same in every
    replication), else None."""
    if m.provenance not in (COMPUTED, INPUT) or m.pooled:
        return None
    return exact(o.column(alt, m.column), o.column(base, m.column))


def _diffs(o: Outcome, alt: str, base: str, m: Metric, level: float) -> tuple[Diff, Diff]:
    known = _exact(o, alt, base, m)
    if known is not None:  # no sampling error: one replication judges it
        return known, known
    if m.pooled:
        return ratio_paired(
            o.column(alt, m.numerator),
            o.column(alt, m.denominator),
            o.column(base, m.numerator),
            o.column(base, m.denominator),
            level,
        )
    a, b = o.column(alt, m.column), o.column(base, m.column)
    ok = np.isfinite(a) & np.isfinite(b)  # Welch on the same replications as the pairs
    return paired(a, b, level), welch(a[ok], b[ok], level)


NO_PAIRS = "no replication where both have it (not produced in this scenario, or undefined)"


def _method(o: Outcome, alt: str, base: str, m: Metric) -> str:
    if _exact(o, alt, base, m) is not None:
        return "computed from the inputs: exact difference"
    if m.pooled:
        return "pooled ratio, delta method"
    cut = {n: o.censored(n, m.column) for n in (alt, base)}
    if not any(cut.values()):
        return "paired t"
    return (
        f"paired t; never came in {cut[alt]} ({alt}) and {cut[base]} ({base}) replications: "
        "counted at the run's length (a lower bound)"
    )


def _family_text(correction: str, alpha: float, comparisons: int) -> str:
    """What the intervals' level controls, as the report says it."""
    if correction.startswith("none") and comparisons > 1:
        return (
            f"none: each comparison at {1 - alpha:.0%} on its own, so over the {comparisons}"
            f" comparisons with the baseline the chance of a wrong call can reach"
            f" {min(1.0, comparisons * alpha):.0%}"
        )
    if comparisons > 1:
        return f"{correction}: family-wise {1 - alpha:.0%} over the {comparisons} comparisons"
    return "one comparison with the baseline"


def _call(diff: Diff, significant: bool, better: str) -> str:
    if not math.isfinite(diff.estimate):
        return "n/a"
    if not significant or diff.estimate == 0:
        return "indistinguishable"
    up = diff.estimate > 0
    if not better:
        return "higher" if up else "lower"
    return "better" if up == (better == "higher") else "worse"


def analyse(
    o: Outcome,
    baseline: str,
    alpha: float = 0.05,
    correction: str = "bonferroni",
    wanted: list[str] | None = None,
    better: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One row per (metric, alternative other than the baseline): the comparison table.
    ``better``: which way is better for KPI columns no target judges (a search's objective
    by its sense), so that their calls read better/worse."""
    if correction not in CORRECTIONS:
        raise UserError(f"compare.correction='{correction}': use {', '.join(CORRECTIONS)}")
    names = [a.name for a in o.alternatives]
    if baseline not in names:
        raise UserError(f"compare.baseline='{baseline}': not an alternative ({', '.join(names)})")
    base_alt = o.alternatives[names.index(baseline)]
    others = [n for n in names if n != baseline]
    m_cmp = len(others)
    level = 1 - alpha / m_cmp if correction != "none" and m_cmp > 1 else 1 - alpha
    kpi_names = list(dict.fromkeys(c for n in names for c in o.frames[n].columns))
    verdicts = {
        n: {v.key: v for v in evaluate_all(a.conf.district.targets, _columns(o.frames[n]))}
        for n, a in zip(names, o.alternatives, strict=True)
    }
    rows = []
    for m in metrics_of(base_alt.conf, kpi_names, wanted):
        if not m.better and m.column in (better or {}):
            m = dataclasses.replace(m, better=better[m.column])
        diffs = [_diffs(o, n, baseline, m, level) for n in others]
        pvals = [d[0].p for d in diffs]
        if correction == "holm":
            sig = holm(pvals, alpha)
        elif correction == "bonferroni":
            sig = bonferroni(pvals, alpha)
        else:
            sig = [math.isfinite(p) and p <= alpha for p in pvals]
        for n, (dp, du), s in zip(others, diffs, sig, strict=True):
            wp, wu = dp.high - dp.low, du.high - du.low
            ratio = wp / wu if wu > 0 else math.nan
            vr = 1 - (dp.se / du.se) ** 2 if du.se and du.se > 0 else math.nan
            va, vb = verdicts[n].get(m.key), verdicts[baseline].get(m.key)
            rows.append(
                {
                    "metric": m.key,
                    "kind": m.kind,
                    "column": m.column,
                    "source": m.source,
                    "target": f"{m.comparator} {m.threshold:g}" if m.kind == "target" else "",
                    "better_is": m.better,
                    "alternative": n,
                    "baseline": baseline,
                    "n_pairs": dp.n,
                    "estimate_alt": _estimate(o, n, m),
                    "estimate_base": _estimate(o, baseline, m),
                    "verdict_alt": va.verdict if va and m.kind == "target" else "",
                    "verdict_base": vb.verdict if vb and m.kind == "target" else "",
                    "diff": dp.estimate,
                    "paired_low": dp.low,
                    "paired_high": dp.high,
                    "unpaired_low": du.low,
                    "unpaired_high": du.high,
                    "width_ratio": ratio,
                    "variance_reduction": vr,
                    "p_paired": dp.p,
                    "level": level,
                    "correction": correction if m_cmp > 1 else "none (one comparison)",
                    "call": _call(dp, s, m.better),
                    "method": _method(o, n, baseline, m) if dp.n else NO_PAIRS,
                }
            )
    return pd.DataFrame(rows)


def _columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    ok = frame.dropna(how="all")
    return {c: ok[c].to_numpy(dtype=float) for c in ok.columns}


def _replications_ok(o: Outcome, name: str) -> int:
    return int(o.frames[name].notna().any(axis=1).sum())


def _metric_summary(sub: pd.DataFrame, baseline: str) -> dict:
    """One metric of the comparison table: estimates, verdicts and each paired difference."""
    first = sub.iloc[0]

    def by_alternative(alt_col: str, base_col: str) -> dict:
        return {baseline: first[base_col], **sub.set_index("alternative")[alt_col].to_dict()}

    out = {
        "metric": first.metric,
        "kind": first.kind,
        "column": first.column,
        "better_is": first.better_is,
        "estimates": by_alternative("estimate_alt", "estimate_base"),
    }
    if first.kind == "target":
        out |= {"source": first.source, "goal": first.target}
        out["verdicts"] = by_alternative("verdict_alt", "verdict_base")
    out["differences"] = [
        {
            "alternative": r.alternative,
            "diff": r["diff"],
            "low": r.paired_low,
            "high": r.paired_high,
            "level": r.level,
            "method": r["method"],
            "replications": r.n_pairs,
            "p": r.p_paired,
            "unpaired_low": r.unpaired_low,
            "unpaired_high": r.unpaired_high,
            "width_ratio": r.width_ratio,
            "call": r["call"],
        }
        for _, r in sub.iterrows()
    ]
    return out


def comparison_summary(
    o: Outcome,
    table: pd.DataFrame,
    baseline: str,
    alpha: float,
    overrides: list[str] | None = None,
) -> dict:
    """compare_summary.json: the command line's ``overrides`` (as in summary.json), the
    alternatives and, per target and KPI, every estimate and each alternative's paired
    difference to the baseline (interval, method, replications, call); the machine-readable
    form of comparison.csv and the report."""
    a0 = o.alternatives[0].conf
    return {
        "mode": "compare",
        "district": a0.district.name,
        "scenario": a0.scenario.name,
        "seed": a0.experiment.seed,
        "replications": max(len(f) for f in o.frames.values()),
        "overrides": list(overrides or []),
        "baseline": baseline,
        "alpha": alpha,
        "level": float(table.level.iloc[0]) if len(table) else 1 - alpha,
        "correction": str(table.correction.iloc[0]) if len(table) else "none",
        "alternatives": [
            {
                "name": a.name,
                "overrides": a.overrides,
                "layout": a.conf.layout.name,
                "description": a.description or a.conf.layout.description,
                "replications_ok": _replications_ok(o, a.name),
            }
            for a in o.alternatives
        ],
        "metrics": [
            _metric_summary(table[table.metric == m], baseline) for m in dict.fromkeys(table.metric)
        ],
    }


# ------------------------------------------------------------------------- outputs
def _png(fig) -> bytes:
    from sim.core.plotting import FIGURE_DPI

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    return buf.getvalue()


def diff_figure(table: pd.DataFrame, kind: str, title: str, max_panels: int = 24) -> bytes | None:
    """Paired (thick) and unpaired (thin) intervals of each alternative's difference."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.core.plotting import subplots

    t = table[(table.kind == kind) & np.isfinite(table["diff"].astype(float))]
    if kind == "kpi":  # only KPIs where something differs
        moved = t.groupby("metric")["diff"].apply(lambda s: bool((s.abs() > 0).any()))
        t = t[t.metric.isin(moved[moved].index)]
    metrics = list(dict.fromkeys(t.metric))[:max_panels]
    if not metrics:
        return None
    cols = min(3, len(metrics))
    rows = math.ceil(len(metrics) / cols)
    fig, axes = subplots(rows, cols, figsize=(4.6 * cols, 0.5 + 1.9 * rows), squeeze=False)
    colour = {"better": "#2e7d32", "worse": "#c62828", "higher": "#1565c0", "lower": "#6a1b9a"}
    for ax, name in zip(axes.flat, metrics, strict=False):
        sub = t[t.metric == name].reset_index(drop=True)
        y = np.arange(len(sub))[::-1]
        for yi, (_, r) in zip(y, sub.iterrows(), strict=True):
            c = colour.get(r["call"], "#616161")
            if math.isfinite(r["unpaired_low"]):
                ax.plot([r.unpaired_low, r.unpaired_high], [yi, yi], color=c, lw=1, alpha=0.45)
            if math.isfinite(r["paired_low"]):
                ax.plot([r.paired_low, r.paired_high], [yi, yi], color=c, lw=5, alpha=0.85)
            ax.plot([r["diff"]], [yi], "o", color="black", ms=4)
        ax.axvline(0, color="#9e9e9e", lw=1, ls="--")
        ax.set_yticks(y, list(sub.alternative))
        better = sub.better_is.iloc[0]
        ax.set_title(f"{name}" + (f" ({better} is better)" if better else ""), fontsize=9)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    data = _png(fig)
    plt.close(fig)
    return data


def _fmt(x, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return ""
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return html.escape(str(x))


def html_table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


_CALL_STYLE = {"better": "#2e7d32", "worse": "#c62828"}


def diff_rows(table: pd.DataFrame) -> list[list]:
    """Rows for the HTML difference table."""
    out = []
    for _, r in table.iterrows():
        out.append(
            [
                r.metric,
                r.alternative,
                r.estimate_alt,
                r.estimate_base,
                r["diff"],
                f"[{_fmt(r.paired_low)}, {_fmt(r.paired_high)}]" if r.n_pairs > 1 else "",
                f"[{_fmt(r.unpaired_low)}, {_fmt(r.unpaired_high)}]" if r.n_pairs > 1 else "",
                r.width_ratio,
                r["call"],
            ]
        )
    return out


DIFF_HEADER = [
    "metric",
    "alternative",
    "alternative estimate",
    "baseline estimate",
    "difference",
    "paired interval",
    "unpaired (Welch) interval",
    "paired / unpaired width",
    "call",
]

CSS = (
    "body{font-family:sans-serif;max-width:1150px;margin:2em auto;color:#212121}"
    "table{border-collapse:collapse;margin:1em 0;font-size:13px}"
    "td,th{border:1px solid #ccc;padding:3px 7px;text-align:left}th{background:#eee}"
    "img{max-width:100%}.note{color:#555;font-size:13px}"
)


def html_page(title: str, sections: list[tuple[str, str]]) -> str:
    """A self-contained HTML page from (heading, html) sections."""
    body = "".join(f"<h2>{html.escape(h)}</h2>{s}" if h else s for h, s in sections)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def img_tag(png: bytes | None, alt: str) -> str:
    if png is None:
        return ""
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"


def comparison_sections(
    o: Outcome,
    table: pd.DataFrame,
    baseline: str,
    alpha: float,
    overrides: list[str] | None = None,
) -> tuple[list[tuple[str, str]], bytes | None, bytes | None]:
    """Report sections: the command line's overrides (if given), alternatives, target
    verdicts, differences, figures, method."""
    a0 = o.alternatives[0].conf
    alt_rows = [
        [
            a.name + (" (baseline)" if a.name == baseline else ""),
            " ".join(a.overrides) or "(as composed)",
            a.conf.layout.name,
            a.description or a.conf.layout.description,
            _replications_ok(o, a.name),
        ]
        for a in o.alternatives
    ]
    targets = table[table.kind == "target"]
    level = float(table.level.iloc[0]) if len(table) else 1 - alpha
    corr = str(table.correction.iloc[0]) if len(table) else "none"
    verdict_rows = []
    for key in dict.fromkeys(targets.metric):
        sub = targets[targets.metric == key]
        first = sub.iloc[0]
        row = [key, first.source, first.target, f"{_fmt(first.estimate_base)} {first.verdict_base}"]
        row += [f"{_fmt(r.estimate_alt)} {r.verdict_alt}" for _, r in sub.iterrows()]
        verdict_rows.append(row)
    others = [a.name for a in o.alternatives if a.name != baseline]
    intro = (
        f"<p>{a0.district.name} / {a0.scenario.name}: {len(o.alternatives)} alternatives, "
        f"{max(len(f) for f in o.frames.values())} replications each (as run), seed "
        f"{a0.experiment.seed}, on common "
        f"random numbers (replication r of every alternative faces the same hazards). Differences "
        f"are alternative minus baseline <b>{html.escape(baseline)}</b>; intervals at "
        f"{level:.4g} ({_family_text(corr, alpha, len(others))}). Simulated figures, but for"
        " KPIs computed from the inputs, whose differences are exact.</p>"
    )
    method = (
        "<p class='note'>Paired interval: Student t on the per-replication differences (CRN; the "
        "replication is the unit). Unpaired: Welch's interval on the same replications, as if "
        "the alternatives had been run with independent seeds; 'paired / unpaired width' below 1 "
        "is what common random numbers bought. Pooled shares (numerator/denominator targets) "
        "compare the pooled ratios, linearised per replication (delta method, Cochran 1977). "
        "Calls: better/worse when the corrected test rejects 'no difference' (Bonferroni: Dunn "
        "1961; Holm 1979), else indistinguishable; for a KPI with no known direction, higher/"
        "lower. See docs/compare.md.</p>"
    )
    t_png = diff_figure(table, "target", "Plan targets: difference to the baseline")
    k_png = diff_figure(table, "kpi", "KPIs that differ: difference to the baseline")
    used = (
        [("Overrides used (every alternative)", overrides_html(overrides))]
        if overrides is not None
        else []
    )
    return (
        [
            ("", intro),
            *used,
            (
                "Alternatives",
                html_table(
                    ["name", "overrides", "layout", "description", "replications ok"], alt_rows
                ),
            ),
            (
                "Plan targets per alternative",
                html_table(
                    ["target", "source", "goal", f"{baseline} (baseline)", *others], verdict_rows
                ),
            ),
            ("Target differences to the baseline", html_table(DIFF_HEADER, diff_rows(targets))),
            ("", img_tag(t_png, "target differences")),
            (
                "KPI differences to the baseline",
                html_table(DIFF_HEADER, diff_rows(table[table.kind == "kpi"])),
            ),
            ("", img_tag(k_png, "kpi differences")),
            ("Method", method),
        ],
        t_png,
        k_png,
    )


def write_comparison(
    o: Outcome,
    table: pd.DataFrame,
    baseline: str,
    alpha: float,
    outdir: Path,
    title: str = "Comparison of alternatives",
    extra: list[tuple[str, str]] | None = None,
    overrides: list[str] | None = None,
) -> None:
    """comparison.csv, kpis.csv (long: one row per alternative and replication), figures,
    alternatives.json, report.html and tables.xlsx (every CSV of ``outdir``). ``outdir``: a
    staging folder (:func:`sim.run.outputs.staged`), never the run folder itself;
    ``overrides``: the command line's, listed in the report (applied to every alternative)."""
    outdir.mkdir(parents=True, exist_ok=True)
    table.to_csv(outdir / "comparison.csv", index=False, encoding="utf-8-sig")
    long = pd.concat(
        [f.rename_axis("rep").reset_index().assign(alternative=n) for n, f in o.frames.items()],
        ignore_index=True,
    )
    long = long[
        ["alternative", "rep", *[c for c in long.columns if c not in ("alternative", "rep")]]
    ]
    long.to_csv(outdir / "kpis.csv", index=False, encoding="utf-8-sig")
    if any(a.conf.experiment.save_events for a in o.alternatives):  # to check the pairing by hand
        from sim.run.app import write_events

        logs = [
            r.events.assign(alternative=name)
            for name, res in o.results.items()
            for r in res
            if r.events is not None
        ]
        write_events(logs, o.alternatives[0].conf, outdir)
    sections, t_png, k_png = comparison_sections(o, table, baseline, alpha, overrides)
    for name, png in (("compare_targets.png", t_png), ("compare_kpis.png", k_png)):
        if png is not None:
            (outdir / name).write_bytes(png)
    write_json(
        outdir / "alternatives.json",
        [
            {"name": a.name, "overrides": a.overrides, "layout": a.conf.layout.name}
            for a in o.alternatives
        ],
    )
    page = html_page(title, (extra or []) + sections)
    (outdir / "report.html").write_text(page, encoding="utf-8")
    write_workbook(outdir)  # tables.xlsx: every CSV of the folder (the audit's writer)


def format_comparison(table: pd.DataFrame, max_kpis: int = 15) -> str:
    """Target differences (modelled ones) and the KPIs that moved, printed after a run."""
    lines = [
        f"{'target / KPI':30s} {'alternative':22s} {'alt':>9s} {'base':>9s} {'diff':>9s}  "
        f"{'paired CI':24s} {'unpaired CI':24s} call"
    ]
    est = table[["estimate_alt", "estimate_base"]].astype(float)
    modelled = table[np.isfinite(est).any(axis=1)]
    t = modelled[modelled.kind == "target"]
    k = modelled[(modelled.kind == "kpi") & ~modelled["call"].isin(["indistinguishable", "n/a"])]
    for _, r in pd.concat([t, k.head(max_kpis)]).iterrows():
        pc = f"[{_fmt(r.paired_low)}, {_fmt(r.paired_high)}]" if math.isfinite(r.paired_low) else ""
        uc = (
            f"[{_fmt(r.unpaired_low)}, {_fmt(r.unpaired_high)}]"
            if math.isfinite(r.unpaired_low)
            else ""
        )
        lines.append(
            f"{r.metric:30s} {r.alternative:22s} {_fmt(r.estimate_alt):>9s} "
            f"{_fmt(r.estimate_base):>9s} {_fmt(r['diff']):>9s}  {pc:24s} {uc:24s} {r['call']}"
        )
    if len(k) > max_kpis:
        lines.append(f"... {len(k) - max_kpis} more KPIs differ: see comparison.csv")
    return "\n".join(lines)


def _known_kpi(name: str, field_name: str) -> None:
    from sim.run.app import known_kpis

    known = known_kpis()
    if name not in known:  # (a typo would compare nothing of it and still finish)
        hint = did_you_mean(name, known, "see the KPI list in README")
        raise UserError(f"{field_name}: no KPI '{name}' ({hint})")


def check_produced(name: str, confs: dict[str, Config], field_name: str, every: bool) -> None:
    """Refuse a KPI that no alternative (``every``: some alternative) can produce with its
    scenario and layout, before anything runs: it would compare nothing, or stop a search
    once its run folder exists (:func:`sim.run.app.produced_kpis`). ``confs``: each
    alternative's name and config."""
    from sim.run.app import known_kpis, kpi_owner, produced_kpis

    if name not in known_kpis():
        return  # (a name no module declares: _known_kpi's refusal, with the nearest name)
    sets = {n: produced_kpis(c) for n, c in confs.items()}
    lacking = [n for n, got in sets.items() if name not in got]
    if not lacking or (not every and len(lacking) < len(sets)):
        return
    alt, conf = lacking[0], confs[lacking[0]]
    owner = kpi_owner(name)
    kin = sorted(k for k in sets[alt] if kpi_owner(k) == owner)
    an = "an" if owner[0] in "aeiou" else "a"
    gives = f"of those it gives {', '.join(kin[:3])}{', ...' if len(kin) > 3 else ''}"
    if not kin:
        gives = f"it gives no {owner} KPIs"
    if len(confs) == 1:
        who = ""
    elif every:
        who = f" (alternative {alt})"
    else:
        who = f" (nor does any other alternative: {', '.join(confs)})"
    raise UserError(
        f"{field_name}='{name}': scenario '{conf.scenario.name}' with layout "
        f"'{conf.layout.name}'{who} never produces it ({an} {owner} KPI; {gives})"
    )


def check_compare(
    alts: list[Alternative], baseline: str = "", kpis: list[str] | None = None
) -> None:
    """What compare mode needs before anything runs (the pre-flight check calls it too, so a
    mistake is one line and no run folder): paired alternatives, a baseline among them, KPIs
    that exist."""
    check_crn(alts)
    reps = alts[0].conf.experiment.replications
    if reps < 2:  # one pair gives a difference but no interval, and every call would read
        # "indistinguishable" however large the difference
        raise UserError(
            f"experiment.replications={reps}: compare needs at least 2 replications (its"
            " intervals are over the per-replication differences)"
        )
    names = [a.name for a in alts]
    if baseline and baseline not in names:
        raise UserError(f"compare.baseline='{baseline}': not an alternative ({', '.join(names)})")
    for k in kpis or []:
        _known_kpi(k, "compare.kpis")
        check_produced(k, {a.name: a.conf for a in alts}, "compare.kpis", every=False)


def check_no_resume(conf: Config, mode: str) -> None:
    """Compare and search keep no checkpoints, so ``experiment.resume=true`` has nothing to
    reuse: it would only let them write into a folder holding an earlier (unrelated) run and
    mix their outputs with its files. One line, before anything is written."""
    if conf.experiment.resume:
        raise UserError(
            f"experiment.resume=true: {mode} keeps no checkpoints and reuses nothing (every "
            "alternative runs afresh); leave it out and choose a new run folder"
        )


def check_analyst_mode(conf: Config, alts: list[Alternative]) -> None:
    """Pre-flight checks of compare and search settings (before any run folder exists)."""
    check_no_resume(conf, "search" if conf.search is not None else "compare")
    if conf.search is not None:
        _known_kpi(conf.search.objective, "search.objective")
    elif conf.compare is not None:
        check_compare(alts, conf.compare.baseline, list(conf.compare.kpis))


def run_compare(
    alts: list[Alternative],
    outdir: Path,
    baseline: str = "",
    alpha: float = 0.05,
    correction: str = "bonferroni",
    kpis: list[str] | None = None,
    progress: bool = True,
    overrides: list[str] | None = None,
) -> pd.DataFrame:
    """Compare mode end to end: run, analyse, write outputs (staged, then published into
    ``outdir``; ``overrides``: the command line's, for compare_summary.json) and
    run_info.json; returns the comparison table."""
    check_compare(alts, baseline, kpis)
    for a in alts:
        check_no_resume(a.conf, "compare")
    check_run_folder(outdir, False, resumable=False)  # earlier run, links, writable
    t0 = time.perf_counter()
    baseline = baseline or alts[0].name
    o = run_alternatives(alts, progress=progress)
    table = analyse(o, baseline, alpha, correction, kpis)
    with staged(outdir) as stage:
        write_comparison(o, table, baseline, alpha, stage, overrides=list(overrides or []))
        summary = comparison_summary(o, table, baseline, alpha, overrides)
        write_json(stage / "compare_summary.json", summary)
    write_run_info(outdir, time.perf_counter() - t0)
    if progress:
        print(format_comparison(table))
        print(f"outputs: {outdir}")
    return table
