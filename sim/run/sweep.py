"""Multirun summary: one table of every run of a ``-m`` sweep (a Hydra callback).

Registered in ``conf/config.yaml`` under ``hydra.callbacks``. After each job it writes the
job's overrides to ``overrides.json`` in the job's folder (whatever process ran the job);
when the sweep ends it reads every job folder's ``overrides.json`` and ``summary.json``
(JSON only: nothing read back can execute code) and writes ``multirun_summary.csv`` in the
sweep folder: one row per run, the overrides as columns (swept ones first), then each
target's estimate, interval and verdict, then each KPI's mean.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

SUMMARY_NAME = "multirun_summary.csv"


class MultirunSummary(Callback):
    """Hydra callback writing ``multirun_summary.csv`` at the end of a sweep."""

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

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        table = multirun_table(sweep_dir)
        if table.empty:
            return
        table.to_csv(sweep_dir / SUMMARY_NAME, index=False, encoding="utf-8-sig")
        jobs = table["run"].map(lambda r: Path(r).parts[0]).nunique()
        rows = f", {len(table)} rows with the audits' scenarios" if len(table) > jobs else ""
        print(f"multirun summary: {sweep_dir / SUMMARY_NAME} ({jobs} runs{rows})", file=sys.stderr)


def _split(override: str) -> tuple[str, str]:
    key, _, value = override.partition("=")
    return key.lstrip("+~"), value


def multirun_table(sweep_dir: Path) -> pd.DataFrame:
    """One row per run folder under ``sweep_dir`` that holds a ``summary.json`` (a plan
    audit's scenario sub-folders too, with the overrides of the job they belong to)."""
    rows, keys = [], []
    for summary_path in sorted(sweep_dir.glob("**/summary.json")):
        run_dir = summary_path.parent
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            print(f"multirun summary: skipped unreadable {summary_path}", file=sys.stderr)
            continue
        job_dir = next(
            (d for d in (run_dir, *run_dir.parents) if (d / "overrides.json").exists()), run_dir
        )
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
        for t in summary.get("targets", []) or []:
            key = t.get("key", "")
            for fld in ("estimate", "ci_low", "ci_high", "verdict"):
                row[f"{key}.{fld}"] = t.get(fld)
        for name, est in (summary.get("kpis") or {}).items():
            row[name] = est.get("mean") if isinstance(est, dict) else est
        rows.append(row)
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows)
    swept = [k for k in keys if frame[k].nunique(dropna=False) > 1]
    fixed = [k for k in keys if k not in swept]
    rest = [c for c in frame.columns if c not in ("run", *keys)]
    return frame[["run", *swept, *fixed, *rest]]
