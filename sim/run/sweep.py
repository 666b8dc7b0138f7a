"""Multirun summary: one table of every run of a ``-m`` sweep (a Hydra callback).

Registered in ``conf/config.yaml`` under ``hydra.callbacks``. After each job it writes the
job's overrides to ``overrides.json`` in the job's folder (whatever process ran the job);
when the sweep ends it reads every job folder's ``overrides.json`` and ``summary.json``
(JSON only: nothing read back can execute code) and writes ``multirun_summary.csv`` in the
sweep folder: one row per run, the overrides as columns (swept ones first), then each
target's estimate, interval and verdict, then each KPI's mean.

The analyst modes write no ``summary.json``; their job gets one row from its own summary,
with a ``mode`` column: compare (``compare_summary.json``: per target each alternative's
estimate and verdict and each paired difference to the baseline with its interval and
call; per KPI each estimate and each difference with its call), search
(``search_summary.json``: the best layout, whether the selection's guarantee holds, the
objective, the paired gain over the reference and the gain on fresh replications) and
robustness (``robustness.json``: per target the base estimate, verdict and label).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

SUMMARY_NAME = "multirun_summary.csv"
# the launch a job belongs to: set by on_multirun_start (inherited by the launcher's worker
# processes) and written beside the job's overrides, so that a sweep resumed into a folder
# with other jobs summarises its own (an earlier launch's folders are left out)
SWEEP_ENV = "DISTRICT_SIM_SWEEP_ID"
SWEEP_FILE = "sweep_id"


class MultirunSummary(Callback):
    """Hydra callback writing ``multirun_summary.csv`` at the end of a sweep."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self.sweep_id = os.environ[SWEEP_ENV] = uuid.uuid4().hex

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        try:
            if str(config.hydra.mode) != "RunMode.MULTIRUN":
                return  # a single run: nothing to summarise
            outdir = Path(config.hydra.runtime.output_dir)
            overrides = list(job_return.overrides or [])
        except Exception:  # not in a job context: nothing to record
            return
        if outdir.is_dir():
            (outdir / "overrides.json").write_text(
                json.dumps(overrides, ensure_ascii=False), encoding="utf-8"
            )
            (outdir / SWEEP_FILE).write_text(os.environ.get(SWEEP_ENV, ""), encoding="utf-8")

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        table = multirun_table(sweep_dir, getattr(self, "sweep_id", None))
        if table.empty:
            print(
                f"multirun summary: none written ({sweep_dir}: no job wrote "
                f"{', '.join(SUMMARY_FILES)})",
                file=sys.stderr,
            )
            return
        table.to_csv(sweep_dir / SUMMARY_NAME, index=False, encoding="utf-8-sig")
        jobs = table["run"].map(lambda r: Path(r).parts[0]).nunique()
        rows = f", {len(table)} rows with the audits' scenarios" if len(table) > jobs else ""
        print(f"multirun summary: {sweep_dir / SUMMARY_NAME} ({jobs} runs{rows})", file=sys.stderr)


def _split(override: str) -> tuple[str, str]:
    key, _, value = override.partition("=")
    return key.lstrip("+~"), value


def _sweep_of(job_dir: Path) -> str:
    """The launch that ran the job in ``job_dir`` ("" for a job of an older version)."""
    try:
        return (job_dir / SWEEP_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def multirun_table(sweep_dir: Path, sweep_id: str | None = None) -> pd.DataFrame:
    """One row per run folder under ``sweep_dir`` that holds a ``summary.json`` (a plan
    audit's scenario sub-folders too, with the overrides of the job they belong to), and one
    per compare, search or robustness job (its ``compare_summary.json``,
    ``search_summary.json`` or ``robustness.json``). With ``sweep_id``, only the jobs that
    launch ran (an earlier launch's jobs in the same folder are left out, and counted)."""
    rows, keys, earlier = [], [], set()
    found = sorted(
        (p for name in SUMMARY_FILES for p in sweep_dir.glob(f"**/{name}")),
        key=lambda p: (str(p.parent), SUMMARY_FILES.index(p.name)),
    )
    for summary_path in found:
        run_dir = summary_path.parent
        if any(part.startswith(".staging-") for part in run_dir.relative_to(sweep_dir).parts):
            continue  # (an interrupted publish: not a result)
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            print(f"multirun summary: skipped unreadable {summary_path}", file=sys.stderr)
            continue
        if not isinstance(summary, dict):
            print(f"multirun summary: skipped {summary_path} (not a summary)", file=sys.stderr)
            continue
        job_dir = next(
            (d for d in (run_dir, *run_dir.parents) if (d / "overrides.json").exists()), run_dir
        )
        if sweep_id is not None and _sweep_of(job_dir) != sweep_id:
            earlier.add(job_dir)
            continue
        ovr_path = job_dir / "overrides.json"
        overrides = []
        if ovr_path.exists():
            try:
                overrides = [str(o) for o in json.loads(ovr_path.read_text(encoding="utf-8"))]
            except ValueError:
                overrides = []
        row: dict[str, Any] = {"run": str(run_dir.relative_to(sweep_dir))}
        for o in overrides:
            k, v = _split(o)
            row[k] = v
            if k not in keys:
                keys.append(k)
        row.update(_FIGURES[summary_path.name](summary))
        rows.append(row)
    if earlier:
        print(
            f"multirun summary: {len(earlier)} run(s) of an earlier launch in {sweep_dir} left "
            "out (this summary covers the jobs this launch ran)",
            file=sys.stderr,
        )
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows)
    swept = [k for k in keys if frame[k].nunique(dropna=False) > 1]
    fixed = [k for k in keys if k not in swept]
    rest = [c for c in frame.columns if c not in ("run", *keys)]
    return frame[["run", *swept, *fixed, *rest]]


def _run_figures(summary: dict) -> dict[str, Any]:
    """A single run's (or an audit scenario's) summary.json: targets, then KPI means."""
    row: dict[str, Any] = {}
    for t in summary.get("targets", []) or []:
        key = t.get("key", "")
        for fld in ("estimate", "ci_low", "ci_high", "verdict"):
            row[f"{key}.{fld}"] = t.get(fld)
    for name, est in (summary.get("kpis") or {}).items():
        row[name] = est.get("mean") if isinstance(est, dict) else est
    return row


def _compare_figures(summary: dict) -> dict[str, Any]:
    """compare_summary.json: ``<metric>.<alternative>.estimate`` (and ``.verdict`` for a
    target) for every alternative, ``<metric>.<alternative>.diff`` and ``.call`` (and the
    interval ``.low``/``.high`` for a target) for each difference to the baseline."""
    row: dict[str, Any] = {"mode": "compare", "baseline": summary.get("baseline")}
    for m in summary.get("metrics") or []:
        if not isinstance(m, dict):
            continue
        key, target = m.get("metric", ""), m.get("kind") == "target"
        for alt, est in (m.get("estimates") or {}).items():
            row[f"{key}.{alt}.estimate"] = est
            if target:
                row[f"{key}.{alt}.verdict"] = (m.get("verdicts") or {}).get(alt)
        for d in m.get("differences") or []:
            alt = d.get("alternative", "")
            fields = ("diff", "low", "high", "call") if target else ("diff", "call")
            for fld in fields:
                row[f"{key}.{alt}.{fld}"] = d.get(fld)
    return row


def _search_figures(summary: dict) -> dict[str, Any]:
    """search_summary.json: the best layout, the guarantee, the objective and the gains."""
    gain, fresh = summary.get("gain") or {}, summary.get("gain_on_fresh_replications") or {}
    return {
        "mode": "search",
        "best": summary.get("best"),
        "guaranteed": summary.get("guaranteed"),
        "objective": summary.get("objective"),
        "reference": summary.get("reference"),
        "runs": summary.get("runs"),
        "final_replications": summary.get("final_replications"),
        "gain.diff": gain.get("diff"),
        "gain.low": gain.get("paired_low"),
        "gain.high": gain.get("paired_high"),
        "gain.call": gain.get("call"),
        "gain_on_fresh.diff": fresh.get("diff"),
        "gain_on_fresh.low": fresh.get("low"),
        "gain_on_fresh.high": fresh.get("high"),
        "gain_on_fresh.n": fresh.get("n"),
    }


def _robustness_figures(summary: dict) -> dict[str, Any]:
    """robustness.json: per target the base estimate and verdict and the label."""
    row: dict[str, Any] = {"mode": "robustness", "runs": summary.get("runs")}
    for t in summary.get("targets") or []:
        if not isinstance(t, dict):
            continue
        key, base = t.get("target", ""), t.get("base") or {}
        row[f"{key}.estimate"] = base.get("estimate")
        row[f"{key}.verdict"] = base.get("verdict")
        row[f"{key}.label"] = t.get("label")
    return row


# what each mode's job leaves in its folder for the sweep's table (JSON only), and its row
_FIGURES = {
    "summary.json": _run_figures,
    "compare_summary.json": _compare_figures,
    "search_summary.json": _search_figures,
    "robustness.json": _robustness_figures,
}
SUMMARY_FILES = tuple(_FIGURES)
