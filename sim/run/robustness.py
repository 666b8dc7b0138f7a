"""Which assumptions decide each verdict: one-at-a-time screening on common random numbers.

Every ranged assumption (``uncertainty:`` of the layout and scenario files) is set to its low
and its high end, the others kept at base, and every target that reads it is judged again on
its design scenario, with the same seed and replications (common random numbers: the same
disasters, so a change of verdict is the assumption's doing, not sampling noise). Where the
verdict at an end differs from the base verdict, bisection between the base value and that
end (on the same replications) brackets the value where it flips. Influence is the change of
the target's estimate across the range, |estimate(high) - estimate(low)| (the "swing" of a
tornado diagram; Saltelli et al. 2008, *Global Sensitivity Analysis: The Primer*, ch. 1 and 3;
Howard 1988 for tornado diagrams). With ``robustness.method=morris`` the Morris elementary
effects (Morris 1991; Campolongo et al. 2007 mu*) over all ranged keys are added (SALib).

Labels: "robust" (same verdict at every value screened), "robust (no screened assumption
changes its estimate)" (the estimate is identical at every value screened: nothing screened
moves it), "hinges on X (flips at v)", or "not screened" (no ranged assumption is read by
the target, or the verdict is an input echo or NOT MODELLED).

Cost: for each design scenario, 1 + 2 x (ranged keys it reads) screening runs + up to
``bisect_steps`` per flip, each of ``experiment.replications`` replications.
"""

from __future__ import annotations

import copy
import json
import math
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim.config import Config, ConfigError, UncertaintyRange, validate
from sim.config.uncertainty import config_value, set_config_value
from sim.core.errors import UserError, did_you_mean
from sim.core.kpi import infer_spec
from sim.core.network import RoadNetwork
from sim.run.app import config_digest
from sim.run.metrics import kpi_specs
from sim.run.outputs import check_run_folder, json_safe, staged, write_json, write_run_info
from sim.run.targets import INPUT_ECHO, NOT_MODELLED, TargetResult

ROBUST, NOT_SCREENED = "robust", "not screened"
# a verdict whose estimate is the same at every value screened: nothing screened moves it,
# so "robust" says nothing about the assumptions (e.g. a key read by forces that never act)
ROBUST_INERT = "robust (no screened assumption changes its estimate)"

# judge(conf) -> verdicts of the case's targets, keyed by target
Judge = Callable[[Config], dict[str, TargetResult]]


@dataclass
class Case:
    """One design scenario: its config, network and the targets it judges."""

    name: str
    conf: Config
    net: RoadNetwork | None
    targets: dict


@dataclass
class Point:
    """A target judged with one assumption at one value."""

    key: str
    side: str  # low | high | bisect
    value: float
    estimate: float
    ci_low: float
    ci_high: float
    verdict: str


@dataclass
class Flip:
    """The verdict changes between ``inside`` (base verdict) and ``outside`` (``to``)."""

    key: str
    side: str  # low | high
    inside: float  # last value screened with the base verdict
    outside: float  # first value screened with the other verdict
    to: str

    @property
    def at(self) -> float:
        """Midpoint of the bracket: the flip value reported."""
        return 0.5 * (self.inside + self.outside)


@dataclass
class TargetScreen:
    """Robustness of one target's verdict."""

    key: str
    scenario: str
    metric: str
    comparator: str
    threshold: float
    base: Point
    points: list[Point] = field(default_factory=list)
    flips: list[Flip] = field(default_factory=list)
    influence: list[tuple[str, float]] = field(default_factory=list)  # (key, swing), largest first
    screened: list[str] = field(default_factory=list)  # ranged keys screened that it reads
    morris: dict[str, dict] = field(default_factory=dict)  # key -> mu_star, sigma
    # every ranged key the target reads, screened or not (robustness.keys may leave some
    # out); empty = the same as ``screened``
    reads: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self._label() + self.partial

    @property
    def partial(self) -> str:
        """'' for a screening of every ranged key the target reads; else what it covered
        (a screening limited by robustness.keys cannot call a verdict robust outright)."""
        if self._label() == NOT_SCREENED:
            return ""
        left_out = [k for k in self.reads if k not in self.screened]
        if not left_out:
            return ""
        n, total = len(self.screened), len(self.screened) + len(left_out)
        keys = ", ".join(self.screened)
        return f" among the {n} screened key{'s' if n > 1 else ''} of {total} ({keys})"

    def _label(self) -> str:
        if not self.screened or self.base.verdict in (INPUT_ECHO, NOT_MODELLED):
            return NOT_SCREENED
        if not self.flips:
            return ROBUST_INERT if self.inert else ROBUST
        parts = []
        for key in dict.fromkeys(f.key for f in self.flips):
            at = ", ".join(
                f"{f.to} at {_num(f.at)} [{_num(min(f.inside, f.outside))}, "
                f"{_num(max(f.inside, f.outside))}]"
                for f in self.flips
                if f.key == key
            )
            parts.append(f"{key} ({at})")
        return "hinges on " + "; ".join(parts)

    @property
    def inert(self) -> bool:
        """The estimate is exactly the base estimate at every value screened (common random
        numbers: a key that changes nothing gives the identical number)."""
        return bool(self.points) and all(p.estimate == self.base.estimate for p in self.points)

    def as_dict(self) -> dict:
        """Plain JSON (:func:`sim.run.compare.json_safe`: NaN as null at any depth)."""
        return json_safe(
            {
                "target": self.key,
                "scenario": self.scenario,
                "metric": self.metric,
                "goal": f"{self.comparator} {self.threshold:g}",
                "base": self.base.__dict__,
                "label": self.label,
                "screened": self.screened,
                "reads": self.reads or self.screened,
                "points": [p.__dict__ for p in self.points],
                "flips": [{**f.__dict__, "at": f.at} for f in self.flips],
                "influence": [{"key": k, "swing": s} for k, s in self.influence],
                "morris": self.morris,
            }
        )


def _num(x: float) -> str:
    return f"{x:.4g}"


def _point(key: str, side: str, value: float, v: TargetResult) -> Point:
    return Point(key, side, value, v.estimate, v.ci_low, v.ci_high, v.verdict)


def reads_key(target, key: str) -> bool:
    """Does the target's metric read the config ``key`` (its KPI spec's ``reads`` prefixes)?"""
    spec = kpi_specs().get(target.metric) or infer_spec(target.metric)
    prefixes = (*spec.reads, "district.targets")
    return any(key == p or key.startswith(p.rstrip(".") + ".") for p in prefixes)


def with_value(conf: Config, key: str, value: float) -> Config:
    """A copy of ``conf`` with ``key`` set to ``value`` (an int key stays an int); validated."""
    out = copy.deepcopy(conf)
    base = config_value(conf, key)
    if isinstance(base, int) and not isinstance(base, bool):
        value = int(round(value))
    set_config_value(out, key, value)
    try:
        validate(out)
    except ConfigError as exc:
        raise UserError(f"uncertainty: {key}={value}: {exc}") from None
    return out


def _cast(conf: Config, key: str, value: float) -> float:
    base = config_value(conf, key)
    return int(round(value)) if isinstance(base, int) and not isinstance(base, bool) else value


def bisect_flip(
    judge_at: Callable[[float], str],
    base_value: float,
    end_value: float,
    base_verdict: str,
    steps: int,
    integer: bool = False,
) -> tuple[float, float, str]:
    """Bracket where the verdict leaves ``base_verdict`` between base and end (on CRN).

    ``judge_at(x)`` gives the verdict at ``x``; the end is known to differ. Returns
    (inside, outside, verdict at outside) with ``|outside - inside| = |end - base| / 2**steps``
    (or 1 for an integer key). For a verdict monotone in ``x`` the flip lies in the bracket."""
    inside, outside = base_value, end_value
    to = judge_at(end_value)
    for _ in range(steps):
        if integer and abs(outside - inside) <= 1:
            break
        mid = 0.5 * (inside + outside)
        if integer:
            mid = int(round(mid))
            if mid in (inside, outside):
                break
        v = judge_at(mid)
        if v == base_verdict:
            inside = mid
        else:
            outside, to = mid, v
    return inside, outside, to


def screen_case(
    case: Case,
    ranges: dict[str, UncertaintyRange],
    judge: Judge,
    steps: int = 3,
    progress: Callable[[str], None] | None = None,
    all_ranges: dict[str, UncertaintyRange] | None = None,
) -> list[TargetScreen]:
    """Screen every ranged key the case's targets read: low/high, then bisect the flips.

    ``all_ranges``: every range of the case when ``ranges`` is a selection of them
    (robustness.keys): a target reading a ranged key left out gets a label that says so."""
    cache: dict[tuple[str, float], dict[str, TargetResult]] = {}

    def at(key: str, value: float) -> dict[str, TargetResult]:
        value = _cast(case.conf, key, value)
        if value == config_value(case.conf, key):
            return base  # the base value: already run
        if (key, value) not in cache:
            if progress:
                progress(f"{case.name}: {key}={_num(value)}")
            cache[(key, value)] = judge(with_value(case.conf, key, value))
        return cache[(key, value)]

    base = judge(case.conf)
    keys = [
        k
        for k in ranges
        if _on(case.conf, k) and any(reads_key(t, k) for t in case.targets.values())
    ]
    out = []
    for tkey, target in case.targets.items():
        b = base[tkey]
        out.append(
            TargetScreen(
                tkey,
                case.name,
                target.metric,
                target.comparator,
                float(target.threshold),
                _point("", "base", math.nan, b),
                screened=[k for k in keys if reads_key(target, k)],
                reads=[
                    k for k in (all_ranges or ranges) if _on(case.conf, k) and reads_key(target, k)
                ],
            )
        )
    for key in keys:
        r = ranges[key]
        base_value = config_value(case.conf, key)
        ends = {"low": at(key, r.low), "high": at(key, r.high)}
        for ts in out:
            if key not in ts.screened:
                continue
            lo, hi = ends["low"][ts.key], ends["high"][ts.key]
            ts.points += [
                _point(key, "low", _cast(case.conf, key, r.low), lo),
                _point(key, "high", _cast(case.conf, key, r.high), hi),
            ]
            swing = abs(hi.estimate - lo.estimate)
            ts.influence.append((key, swing))
            if ts.base.verdict == INPUT_ECHO:
                continue
            for side, end, v in (("low", r.low, lo), ("high", r.high, hi)):
                if v.verdict == ts.base.verdict:
                    continue
                inside, outside, to = bisect_flip(
                    lambda x, k=key, t=ts.key: at(k, x)[t].verdict,
                    base_value,
                    _cast(case.conf, key, end),
                    ts.base.verdict,
                    steps,
                    integer=isinstance(base_value, int),
                )
                ts.flips.append(Flip(key, side, inside, outside, to))
    for ts in out:
        ends = {(p.key, p.value) for p in ts.points}
        for (k, val), res in cache.items():
            if k in ts.screened and (k, val) not in ends:
                ts.points.append(_point(k, "bisect", val, res[ts.key]))
    for ts in out:
        ts.influence.sort(key=lambda kv: -1.0 if math.isnan(kv[1]) else -kv[1])
    return out


def experiment_judge(case: Case, progress: bool = False) -> Judge:
    """Judge the case's targets by running its replications (the configured executor)."""
    from sim.run.app import run_experiment

    def judge(conf: Config) -> dict[str, TargetResult]:
        _, verdicts = run_experiment(conf, case.net, None, progress, targets=case.targets)
        return {v.key: v for v in verdicts}

    return judge


def case_ranges(case: Case, keys: list[str] | None = None) -> dict[str, UncertaintyRange]:
    """The ranges of the case's layout and scenario (scenario wins on a shared key)."""
    ranges = {**case.conf.layout.uncertainty, **case.conf.scenario.uncertainty}
    return {k: r for k, r in ranges.items() if (not keys or k in keys) and _on(case.conf, k)}


def _on(conf: Config, key: str) -> bool:
    """The key exists in this config (its section is not switched off)."""
    try:
        config_value(conf, key)
    except KeyError:
        return False
    return True


# ------------------------------------------------------------------------- Morris (SALib)
def morris_case(
    case: Case,
    ranges: dict[str, UncertaintyRange],
    judge: Judge,
    trajectories: int,
    levels: int,
    seed: int,
) -> dict[str, dict[str, dict]]:
    """Morris elementary effects of every ranged key on every target's estimate (SALib).

    Returns target -> key -> {mu_star, mu_star_conf, sigma}: SALib's unscaled elementary
    effects, each the change of the estimate per whole range of the key (a step of
    levels / (2 (levels - 1)) of the range, divided by that step); ``mu_star_conf`` the half
    width of SALib's 95% bootstrap interval of mu*. Runs: trajectories x (keys + 1)."""
    try:
        from SALib.analyze import morris as morris_analyze
        from SALib.sample import morris as morris_sample
    except ImportError:
        raise UserError(
            'robustness.method=morris needs SALib: pip install -e ".[robust]"'
        ) from None
    keys = [k for k in ranges if any(reads_key(t, k) for t in case.targets.values())]
    if len(keys) < 2:
        return {}
    problem = {
        "num_vars": len(keys),
        "names": keys,
        "bounds": [[ranges[k].low, ranges[k].high] for k in keys],
    }
    x = morris_sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    rows = []
    for row in x:
        conf = case.conf
        for k, v in zip(keys, row, strict=True):
            conf = with_value(conf, k, float(v))
        rows.append(judge(conf))
    out: dict[str, dict[str, dict]] = {}
    for tkey in case.targets:
        y = [r[tkey].estimate for r in rows]
        if any(math.isnan(v) for v in y):
            continue
        res = morris_analyze.analyze(problem, x, np.asarray(y), num_levels=levels, seed=seed)
        out[tkey] = {
            k: {"mu_star": float(m), "mu_star_conf": float(c), "sigma": float(s)}
            for k, m, c, s in zip(
                keys, res["mu_star"], res["mu_star_conf"], res["sigma"], strict=True
            )
        }
    return out


# ------------------------------------------------------------------------------- outputs
def screen_rows(screens: list[TargetScreen]) -> list[dict]:
    """robustness.csv: one row per target and value screened."""
    rows = []
    for ts in screens:
        common = {
            "target": ts.key,
            "scenario": ts.scenario,
            "metric": ts.metric,
            "goal": f"{ts.comparator} {ts.threshold:g}",
            "label": ts.label,
        }
        rows.append({**common, **ts.base.__dict__, "key": "", "side": "base"})
        for p in ts.points:
            rows.append({**common, **p.__dict__})
    return rows


def morris_rows(screens: list[TargetScreen]) -> list[dict]:
    """morris.csv: one row per target and ranged key, the most influential (mu*) first."""
    rows = []
    for ts in screens:
        ranked = sorted(ts.morris.items(), key=lambda kv: -kv[1]["mu_star"])
        for rank, (key, m) in enumerate(ranked, start=1):
            rows.append(
                {
                    "target": ts.key,
                    "scenario": ts.scenario,
                    "metric": ts.metric,
                    "rank": rank,
                    "key": key,
                    "mu_star": m["mu_star"],
                    "mu_star_conf95": m.get("mu_star_conf", math.nan),
                    "sigma": m["sigma"],
                }
            )
    return rows


MORRIS_NOTE = (
    "<p>Morris elementary effects (Morris 1991; mu* of Campolongo, Cariboni and Saltelli "
    "2007) over every ranged assumption at once, computed with SALib: each effect is the "
    "change of the target's estimate when one assumption takes a step (p / (2 (p - 1)) of "
    "its range on a grid of p levels: 2/3 at the default 4), the others standing anywhere in "
    "their ranges, divided by the step's share of the range: a rate per whole range, so a "
    "steep response can give more than the metric's span. <b>mu*</b> (the mean absolute "
    "effect) ranks the assumptions by influence, in the metric's own units; <b>&plusmn;</b> is "
    "SALib's 95% bootstrap half width of mu*; <b>sigma</b> large against mu* means the effect "
    "depends on where the others stand (interactions or a nonlinear response). Unlike the "
    "one-at-a-time swing above, these include the assumptions moving together.</p>"
)


def tornado(ts: TargetScreen, path: Path) -> Path | None:
    """Tornado figure: the estimate across each assumption's range, threshold line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.core.plotting import FIGURE_DPI, subplots

    keys = [k for k, _ in ts.influence]
    if not keys or math.isnan(ts.base.estimate):
        return None
    ends = {(p.key, p.side): p for p in ts.points}
    fig, ax = subplots(figsize=(8, 0.5 * len(keys) + 1.6))
    for i, k in enumerate(reversed(keys)):
        for side, colour in (("low", "#1f77b4"), ("high", "#ff7f0e")):
            p = ends.get((k, side))
            if p is None or math.isnan(p.estimate):
                continue
            ax.barh(
                i,
                p.estimate - ts.base.estimate,
                left=ts.base.estimate,
                color=colour,
                alpha=0.8,
                label=side if i == 0 else None,
            )
            ax.text(p.estimate, i, f" {_num(p.value)}", va="center", fontsize=7)
    ax.set_yticks(range(len(keys)), list(reversed(keys)), fontsize=7)
    ax.axvline(ts.base.estimate, color="black", lw=1, label="base estimate")
    ax.axvline(
        ts.threshold,
        color="#c62828",
        ls="--",
        lw=1.5,
        label=f"threshold {ts.comparator} {ts.threshold:g}",
    )
    ax.set_xlabel(ts.metric)
    ax.set_title(textwrap.fill(f"{ts.key} ({ts.scenario}): {ts.label}", 100), fontsize=8)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=FIGURE_DPI)
    plt.close(fig)
    return path


def write_robustness(
    screens: list[TargetScreen], outdir: Path, meta: dict, wall_time_s: float | None = None
) -> dict:
    """robustness.csv, robustness.json (``meta`` and the screens), tornado_<target>.png,
    report.html (with ``wall_time_s``, which stays out of robustness.json: run_info.json
    has it) and tables.xlsx in ``outdir``: a staging folder (:func:`sim.run.outputs.staged`)
    when a run writes them."""
    import html

    from sim.run.report import _img, _table, write_workbook

    outdir.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(screen_rows(screens)).to_csv(
        outdir / "robustness.csv", index=False, encoding="utf-8-sig"
    )
    mrows = morris_rows(screens)
    morris_html = ""
    if mrows:
        pd.DataFrame(mrows).to_csv(outdir / "morris.csv", index=False, encoding="utf-8-sig")
        morris_html = (
            "<h2>Morris elementary effects</h2>"
            + MORRIS_NOTE
            + _table(
                ["target", "rank", "assumption", "mu*", "&plusmn; (95%)", "sigma"],
                [
                    [
                        html.escape(r["target"]),
                        str(r["rank"]),
                        f"<code>{html.escape(r['key'])}</code>",
                        _num(r["mu_star"]),
                        _num(r["mu_star_conf95"]),
                        _num(r["sigma"]),
                    ]
                    for r in mrows
                ],
            )
        )
    data = json_safe({**meta, "targets": [ts.as_dict() for ts in screens]})
    write_json(outdir / "robustness.json", data)
    rows, figs = [], []
    for ts in screens:
        top = ", ".join(f"{k} ({_num(s)})" for k, s in ts.influence[:3] if not math.isnan(s))
        rows.append(
            [
                html.escape(ts.key),
                html.escape(ts.scenario),
                f"{ts.comparator} {ts.threshold:g}",
                _num(ts.base.estimate),
                ts.base.verdict,
                html.escape(", ".join(sorted({p.verdict for p in ts.points})) or "-"),
                html.escape(ts.label),
                html.escape(top or "-"),
            ]
        )
        fig = tornado(ts, outdir / f"tornado_{ts.key}.png")
        if fig is not None:
            figs.append(_img(fig))
    table = _table(
        [
            "target",
            "design scenario",
            "goal",
            "base estimate",
            "base verdict",
            "verdicts across ranges",
            "label",
            "most influential (swing)",
        ],
        rows,
    )
    took = "" if wall_time_s is None else f", {wall_time_s:.1f} s"
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Verdict robustness</title>"
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}"
        "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}table{border-collapse:collapse}"
        "img{max-width:100%}</style></head><body>"
        f"<h1>{html.escape(str(meta.get('district', '')))}: which assumptions decide each verdict</h1>"
        f"<p>One-at-a-time screening on common random numbers (seed {meta.get('seed')}, "
        f"{meta.get('replications')} replications per point, {meta.get('runs')} runs{took}). "
        "Every ranged assumption at its low and high end, "
        "the others at base; where a verdict changes, bisection on the same replications "
        "brackets the flip value. docs/robustness.md explains the labels.</p>"
        f"{table}{morris_html}<h2>Tornado figures</h2>{''.join(figs)}</body></html>"
    )
    (outdir / "report.html").write_text(page, encoding="utf-8")
    write_workbook(outdir)  # tables.xlsx: robustness.csv (the audit's and compare's writer)
    return data


def screen_fingerprint(cfg: DictConfig) -> str:
    """Hash of what decides a design scenario's verdicts, hence its screening: the district
    (with its targets), the scenario, the layout (with its ranges), the seed and the horizon.
    Not: how many replications (checked on its own), how they are run, the mode's settings."""
    data = OmegaConf.to_container(cfg, resolve=True)
    ex = data.get("experiment") or {}
    decides = {k: data.get(k) for k in ("district", "scenario", "layout")}
    decides["experiment"] = {k: ex.get(k) for k in ("seed", "hours")}
    return config_digest(decides)


def load_labels(path: str, runs: list | None = None) -> dict[str, str]:
    """Target -> label from a robustness.json (data only: parsed as JSON); UserError if bad.

    With ``runs`` (the audit's design scenarios, sim.run.audit.ScenarioRun), the screening
    must be of this audit: the same district, layout, seed and horizon (any number of
    replications), and,
    for every design scenario both have, the same configuration (:func:`screen_fingerprint`);
    else one line saying what differs (labels of another district's or another
    configuration's screening would be attached to verdicts they were not made for)."""
    from sim.core.paths import resolve_path

    field_name = f"experiment.robustness_from={path}"
    try:
        data = json.loads(resolve_path(path).read_text(encoding="utf-8"))
        labels = {str(t["target"]): str(t["label"]) for t in data["targets"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{field_name}: not a robustness.json ({exc})") from None
    if runs:
        _check_screen_matches(data, runs, field_name)
    return labels


def _check_screen_matches(data: dict, runs: list, field_name: str) -> None:
    """UserError unless the robustness.json ``data`` screened the configuration of ``runs``."""
    screened = data.get("screened") if isinstance(data, dict) else None
    if not isinstance(screened, dict):
        raise UserError(
            f"{field_name}: does not record what it screened (made by an older version); "
            "run the screening again: experiment=robustness with this audit's overrides"
        )
    if not isinstance(data.get("selection"), dict):
        raise UserError(
            f"{field_name}: does not record which keys and targets it screened (made by an "
            "older version, whose labels called a verdict robust after a screening limited by "
            "robustness.keys); run the screening again: experiment=robustness with this "
            "audit's overrides"
        )
    cfg = runs[0].cfg
    mine = {
        "district": str(cfg.district.name),
        "layout": str(cfg.layout.name),
        "seed": int(cfg.experiment.seed),
        # (not the replications: a screening at 5 replications labels an audit at 10 or 50;
        # what the labels say is about the assumptions, the same disasters being drawn)
        "hours": float(cfg.experiment.hours),
    }
    for key, value in mine.items():
        theirs = data.get(key)
        if theirs != value:
            where = key if key in ("district", "layout") else f"experiment.{key}"
            raise UserError(
                f"{field_name}: screened {where}={theirs}, this audit runs {where}={value}; "
                "labels apply only to the screened configuration (run the screening with "
                f"this audit's overrides, or the audit with {where}={theirs})"
            )
    for run in runs:
        theirs = screened.get(run.name)
        if theirs is not None and theirs != screen_fingerprint(run.cfg):
            made = " ".join(str(o) for o in data.get("overrides") or []) or "none"
            raise UserError(
                f"{field_name}: screened another configuration of {run.name} (its overrides: "
                f"{made}); labels apply only to the screened configuration: run the "
                "screening with this audit's overrides"
            )


def apply_labels(verdicts: list[TargetResult], labels: dict[str, str]) -> None:
    """Add each verdict's robustness label to its note (report, targets.csv)."""
    for v in verdicts:
        label = labels.get(v.key, NOT_SCREENED)
        v.note = f"{v.note}; robustness: {label}" if v.note else f"robustness: {label}"


def check_selection(rob, confs: list[Config]) -> None:
    """``robustness.keys`` and ``robustness.targets`` name ranged assumptions and targets that
    exist (a typo would screen nothing and still finish), before anything runs: the CLI's
    pre-flight check calls it (one line, no run folder), and :func:`run_robustness` again
    for a caller that skipped it."""
    ranged = sorted({k for c in confs for k in (*c.layout.uncertainty, *c.scenario.uncertainty)})
    targets = sorted({k for c in confs for k in c.district.targets})
    for field_name, wanted, known in (
        ("keys", rob.keys, ranged),
        ("targets", rob.targets, targets),
    ):
        for name in wanted:
            if name not in known:
                hint = did_you_mean(name, known, f"known: {', '.join(known)}")
                raise UserError(f"robustness.{field_name}: no {field_name[:-1]} '{name}' ({hint})")
    from sim.run.app import produced_kpis

    for name in rob.targets:  # (a target judged nowhere would screen nothing: NOT MODELLED)
        # where run_robustness screens it: the design scenario its target names, or, in a
        # run with no target of its own scenario, every target
        where = [c for c in confs if name in screened_targets(c)]
        if not where:
            judged = next(c.district.targets[name].scenario for c in confs)
            raise UserError(
                f"robustness.targets: target '{name}' is judged in design scenario "
                f"'{judged}', which this run does not screen: it would screen nothing"
            )
        t = where[0].district.targets[name]
        kpi = t.numerator or t.metric
        if not any(kpi in produced_kpis(c) for c in where):
            scenarios = ", ".join(sorted({c.scenario.name for c in where}))
            raise UserError(
                f"robustness.targets: target '{name}' reads {kpi}, which no screened scenario "
                f"({scenarios}) produces with its layout: it would screen nothing"
            )


def screened_targets(conf: Config) -> dict:
    """The targets a robustness run screens on ``conf``'s design scenario: those that name
    it, or every target where none does (a single scenario run on its own)."""
    own = {k: t for k, t in conf.district.targets.items() if t.scenario == conf.scenario.name}
    return own or dict(conf.district.targets)


def run_robustness(runs: list, outdir: Path, overrides: list[str]) -> dict:
    """``experiment=robustness``: screen every design scenario of ``runs`` (sim.run.audit
    ScenarioRun) and write the outputs (staged, then published into ``outdir``; robustness.json
    records ``overrides``, the command line's) and run_info.json."""
    from sim.run.app import prepare

    screens: list[TargetScreen] = []
    runs_made = 0
    conf0 = None
    screened: dict[str, str] = {}
    prepared = [(run, *prepare(run.cfg)) for run in runs]
    check_selection(prepared[0][1].robustness, [c for _, c, _ in prepared])
    rob_keys, rob_targets = prepared[0][1].robustness.keys, prepared[0][1].robustness.targets
    check_run_folder(outdir, prepared[0][1].experiment.resume)  # earlier run, links, writable
    t0 = time.perf_counter()
    for run, conf, net in prepared:
        conf0 = conf0 or conf
        conf.experiment.sequential = False  # every point on the same replications (CRN)
        rob = conf.robustness
        targets = screened_targets(conf)
        if rob.targets:
            targets = {k: t for k, t in targets.items() if k in rob.targets}
        if not targets:
            continue
        case = Case(run.name, conf, net, targets)
        screened[run.name] = screen_fingerprint(run.cfg)
        inner = experiment_judge(case)
        count = [0]

        def judge(c: Config, inner=inner, count=count) -> dict[str, TargetResult]:
            count[0] += 1
            return inner(c)

        ranges = case_ranges(case, list(rob.keys))
        found = screen_case(
            case, ranges, judge, rob.bisect_steps, progress=print, all_ranges=case_ranges(case)
        )
        if rob.method == "morris":
            mor = morris_case(
                case,
                ranges,
                judge,
                rob.morris_trajectories,
                rob.morris_levels,
                conf.experiment.seed,
            )
            for ts in found:  # a target's own keys; none for an input echo or unmodelled one
                own = mor.get(ts.key, {}) if ts._label() != NOT_SCREENED else {}
                ts.morris = {k: v for k, v in own.items() if k in ts.screened}
        screens += found
        runs_made += count[0]
        print(f"{run.name}: {count[0]} runs of {conf.experiment.replications} replications")
    meta = {
        "mode": "robustness",
        "district": conf0.district.name if conf0 else "",
        "layout": conf0.layout.name if conf0 else "",
        "seed": conf0.experiment.seed if conf0 else None,
        "replications": conf0.experiment.replications if conf0 else None,
        "hours": conf0.experiment.hours if conf0 else None,
        "method": conf0.robustness.method if conf0 else "",
        "runs": runs_made,
        # what decided each design scenario's screening (checked by load_labels)
        "screened": screened,
        # what the screening was limited to ([] = everything): a label of a screening
        # limited by keys says so, a target left out is "not screened" in the audit
        "selection": {"keys": list(rob_keys), "targets": list(rob_targets)},
        "overrides": list(overrides),
    }
    with staged(outdir) as stage:
        data = write_robustness(screens, stage, meta, time.perf_counter() - t0)
    wall = time.perf_counter() - t0
    write_run_info(outdir, wall)
    print()
    for ts in screens:
        print(f"{ts.key:26s} {ts.base.verdict:13s} {ts.label}")
    print(f"{runs_made} runs, {wall:.1f} s; outputs: {outdir}")
    return data
