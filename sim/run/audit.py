"""The plan audit: every target of the district judged on its design scenario, one report.

The configs of the design scenarios are composed above this layer (``sim.cli``), with the
user's overrides; each scenario runs like a single run into its own sub-folder (tables,
figures, kpis.csv), and the audit writes one targets.csv, summary.json and report.html at the
top of the run folder.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim.config import Config
from sim.core.network import RoadNetwork
from sim.run.app import (
    check_failures,
    fingerprint,
    format_verdicts,
    prepare,
    run_experiment,
    write_outputs,
)
from sim.run.checkpoints import Checkpoints
from sim.run.outputs import check_run_folder, staged, write_run_info
from sim.run.report import Section, write_audit_report
from sim.run.robustness import apply_labels, load_labels
from sim.run.targets import TargetResult


@dataclass
class ScenarioRun:
    """One design scenario of the audit: its composed config and the overrides left out."""

    name: str
    cfg: DictConfig
    choices: dict[str, str]
    skipped: list[str] = field(default_factory=list)


def design_scenarios(targets: dict) -> list[str]:
    """The design scenarios the targets name, in the order the targets first name them."""
    return list(dict.fromkeys(t.scenario for t in targets.values() if t.scenario))


def run_audit(runs: list[ScenarioRun], outdir: Path, overrides: list[str]) -> dict:
    """Run every design scenario and write the audit's outputs to ``outdir`` (checked first,
    as a single run checks it: no earlier run unless ``experiment.resume``, no links)."""
    prepared = [prepare(run.cfg) for run in runs]
    labels = None
    if runs[0].cfg.experiment.get("robustness_from"):  # an earlier screening of this audit
        labels = load_labels(str(runs[0].cfg.experiment.robustness_from), runs)
    check_run_folder(outdir, prepared[0][0].experiment.resume)  # earlier run, links, writable
    t0 = time.perf_counter()
    final = outdir
    with staged(final) as stage:  # outputs go to a private folder, then are published
        audit = _run_audit(runs, prepared, stage, overrides, final, labels)
    wall = time.perf_counter() - t0
    write_run_info(final, wall)
    for name, summary in audit["scenarios"].items():
        check_failures(audit["confs"][name], summary, final / name)
    ordered = audit.pop("verdicts")
    first = audit.pop("confs")[runs[0].name]
    print()
    print(
        f"{first.district.name_en} plan audit, layout {first.layout.name}, seed {first.experiment.seed}"
    )
    print(format_verdicts(ordered))
    print(f"outputs: {final}  ({wall:.1f} s)")
    return audit


def _run_audit(
    runs: list[ScenarioRun],
    prepared: list[tuple[Config, RoadNetwork]],
    outdir: Path,
    overrides: list[str],
    final: Path,
    labels,
) -> dict:
    """The scenarios' runs (``prepared``: each one's typed config and network; checkpoints in
    ``final``) and the audit's files (in ``outdir``)."""
    verdicts: dict[str, TargetResult] = {}
    sections, summaries, confs = [], {}, {}
    district_targets = None
    for run, (conf, net) in zip(runs, prepared, strict=True):
        confs[run.name] = conf
        district_targets = conf.district.targets
        targets = {k: t for k, t in conf.district.targets.items() if t.scenario == run.name}
        sub = outdir / run.name
        checkpoints = Checkpoints(
            final / run.name / "replications", fingerprint(run.cfg), root=final
        )
        results, judged = run_experiment(conf, net, checkpoints, targets=targets)
        summary = write_outputs(conf, run.cfg, results, judged, sub, net, run.choices, report=False)
        for v in judged:
            verdicts[v.key] = v
        sections.append(Section(conf, summary, sub, run.name))
        summaries[run.name] = summary
        print(f"{run.name}: {summary['replications_ok']}/{summary['replications']} replications")
    ordered = [verdicts[k] for k in district_targets if k in verdicts]
    first = sections[0].conf
    if labels is not None:
        apply_labels(ordered, labels)
    (outdir / "config.yaml").write_text(
        OmegaConf.to_yaml(runs[0].cfg, resolve=True), encoding="utf-8"
    )
    pd.DataFrame([v.as_dict() for v in ordered]).to_csv(
        outdir / "targets.csv", index=False, encoding="utf-8-sig"
    )
    audit = {
        "mode": "audit",
        "district": first.district.name,
        "layout": first.layout.name,
        "seed": first.experiment.seed,
        "overrides": overrides,
        "targets": [v.as_dict() for v in ordered],
        "scenarios": {
            name: {k: v for k, v in s.items() if k != "targets"} for name, s in summaries.items()
        },
    }
    (outdir / "summary.json").write_text(
        json.dumps(audit, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    write_audit_report(
        sections,
        ordered,
        outdir,
        [r.choices for r in runs],
        overrides,
        {r.name: r.skipped for r in runs},
    )
    return {**audit, "verdicts": ordered, "confs": confs}
