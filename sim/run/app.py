"""The application: typed config -> replications -> summary files in the run directory."""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.config import Config, ConfigError, validate
from sim.config.checks import refuse_resolvers
from sim.core.errors import NetworkError, RunFailed, UserError, did_you_mean
from sim.core.kpi import KpiSpec, infer_spec
from sim.core.network import RoadNetwork
from sim.core.paths import resolve_path
from sim.modules import RESPONSE_MODULES
from sim.run.checkpoints import Checkpoints
from sim.run.experiment import RepResult, run_replications
from sim.run.figures import network_map
from sim.run.metrics import kpi_specs
from sim.run.outputs import check_run_folder, staged, write_run_info
from sim.run.report import assumptions, human_number, in_config, write_report
from sim.run.sequential import sequential_verdicts
from sim.run.stats import mean_interval
from sim.run.targets import (
    FAIL,
    TargetResult,
    estimate_metric,
    evaluate_all,
    goal_text,
    is_plan_input,
    level_text,
    unit_sign,
)

AUDIT_PLACEHOLDERS = (
    "storm",
    "fire",
    "flood",
    "landslide",
    "earthquake",
    "chemical",
    "cascade",
    "evacuation",
)


def typed_config(cfg: DictConfig) -> Config:
    """The composed DictConfig as the typed :class:`Config` dataclass (validated).

    The plan audit's scenario sections are placeholders for overrides (conf/scenario/audit.yaml),
    never simulated: they are dropped here, so the audit's own config validates as hazard-free.
    """
    if cfg.scenario.get("name") == "audit":
        cfg = cfg.copy()
        for section in AUDIT_PLACEHOLDERS:
            cfg.scenario[section] = None
    try:
        refuse_resolvers(OmegaConf.to_container(cfg, resolve=False))  # before anything resolves
        obj = OmegaConf.to_object(cfg)
    except OmegaConfBaseException as exc:
        raise UserError(omegaconf_message(exc)) from None
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    if not isinstance(obj, Config):
        raise UserError("config does not follow the schema sim.config.Config")
    try:
        validate(obj)
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    return obj


def check_nodes(cfg: Config, net: RoadNetwork) -> None:
    """Every node named in config exists in the network (each module checks its own)."""
    from scenarios import check_nodes as check_hazard_nodes

    if cfg.district.seat:
        net.idx(cfg.district.seat, "district.seat")
    for i, h in enumerate(cfg.layout.hubs):
        net.idx(h, f"layout.hubs[{i}]")
    check_hazard_nodes(cfg.scenario, net)
    for module in RESPONSE_MODULES:
        module.check_nodes(cfg, net)


def prepare(cfg: DictConfig, nets: dict | None = None) -> tuple[Config, RoadNetwork]:
    """Validate config and load the network; raise :class:`UserError` on any bad input.

    ``nets`` caches loaded networks by path (the pre-flight check of a sweep loads each once).
    """
    conf = typed_config(cfg)
    path = resolve_path(conf.district.network)
    try:
        net = nets[path] if nets is not None and path in nets else RoadNetwork.load(path)
    except NetworkError as exc:
        raise UserError(f"district.network: {exc}") from None
    if nets is not None:
        nets[path] = net
    try:
        check_nodes(conf, net)
    except NetworkError as exc:
        raise UserError(str(exc)) from None
    check_targets(conf)
    return conf, net


def known_kpis() -> set[str]:
    """Every KPI a replication can produce: the run's own and each module's ``KPI_NAMES``."""
    from sim.run.metrics import RUN_KPI_NAMES

    return set(RUN_KPI_NAMES).union(*(m.KPI_NAMES for m in RESPONSE_MODULES))


def produced_kpis(conf: Config) -> set[str]:
    """The KPIs a replication of ``conf`` may produce: the run's own and what each module
    ``produces`` for it (known before any runs; a name outside is never in its kpis.csv)."""
    from sim.run.metrics import RUN_KPI_NAMES

    return set(RUN_KPI_NAMES).union(*(m.produces(conf) for m in RESPONSE_MODULES))


def kpi_owner(name: str) -> str:
    """The response module declaring KPI ``name`` (``fire``, ...), or ``run`` for the run's."""
    for m in RESPONSE_MODULES:
        if name in m.KPI_NAMES:
            return m.__name__.rpartition(".")[2]
    return "run"


def check_targets(conf: Config) -> None:
    """Each target's metric (and numerator/denominator) is a KPI some module produces.

    Checked before anything runs, against the names the modules declare, so that a misspelt
    metric is an error and not a silent NOT MODELLED (which means: this scenario does not
    exercise that module).
    """
    names = known_kpis()
    for key, t in conf.district.targets.items():
        for part in ("metric", "numerator", "denominator"):
            value = getattr(t, part)
            if value and value not in names:
                hint = did_you_mean(value, names, "see the KPI list in README")
                raise UserError(f"district.targets.{key}.{part}={value!r}: no such KPI ({hint})")
        spec = kpi_specs().get(t.metric) or infer_spec(t.metric)
        if t.metric and not t.numerator and not spec.lower <= t.threshold <= spec.upper:
            raise UserError(
                f"district.targets.{key}.threshold={t.threshold:g}: {t.metric} lies in "
                f"[{spec.lower:g}, {spec.upper:g}]{' (a share)' if spec.unit == 'share' else ''};"
                " a threshold outside it cannot be met or missed"
            )


def omegaconf_message(exc: BaseException) -> str:
    """One line from an OmegaConf/Hydra exception chain: 'field: problem'."""
    seen = exc
    while seen is not None:
        if isinstance(seen, OmegaConfBaseException) and getattr(seen, "full_key", None):
            msg = str(getattr(seen, "msg", "") or seen).splitlines()[0]
            return f"{seen.full_key}: {msg}"
        seen = seen.__cause__ or seen.__context__
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def kpi_columns(results: list[RepResult]) -> dict[str, np.ndarray]:
    """Per-replication KPI columns over the successful replications."""
    ok = [r for r in results if not r.error]
    frame = pd.DataFrame([r.kpis for r in ok])
    return {c: frame[c].to_numpy(dtype=float) for c in frame.columns}


def kpi_estimates(kpis: dict[str, np.ndarray], specs: dict[str, KpiSpec]) -> dict[str, dict]:
    """Every KPI's estimate, by the same method its targets use (one number per metric)."""
    out = {}
    for name in kpis:
        est = estimate_metric(name, kpis, specs.get(name) or infer_spec(name))
        if isinstance(est, str):
            est = mean_interval(kpis[name])  # a ratio with no events: the plain mean (NaN)
        out[name] = est.as_dict()
    return out


def summarise(conf: Config, results: list[RepResult], verdicts: list[TargetResult]) -> dict:
    """summary.json content: per-KPI estimate and 95% interval; target verdicts; failures."""
    failed = [
        {"rep": r.rep, "seed": conf.experiment.seed, "spawn_key": [r.rep], "error": r.error}
        for r in results
        if r.error
    ]
    return {
        "district": conf.district.name,
        "scenario": conf.scenario.name,
        "layout": conf.layout.name,
        "seed": conf.experiment.seed,
        "replications": len(results),
        "replications_ok": len(results) - len(failed),
        "hours": conf.scenario.hours or conf.experiment.hours,
        "events_logged": int(sum(r.n_events for r in results)),
        "targets": [v.as_dict() for v in verdicts],
        "kpis": kpi_estimates(kpi_columns(results), kpi_specs()),
        "failed_replications": failed,
    }


def combine_tables(results: list[RepResult]) -> dict[str, pd.DataFrame]:
    """Each detail table over all replications (its rows carry a ``rep`` column)."""
    tables: dict[str, pd.DataFrame] = {}
    for name in dict.fromkeys(k for r in results for k in r.tables):
        tables[name] = pd.concat(
            [r.tables[name] for r in results if name in r.tables], ignore_index=True
        )
    return tables


def explain_failures(verdicts: list[TargetResult], tables: dict[str, pd.DataFrame]) -> None:
    """Fill in, for every FAIL, what drives it (the module that owns the metric says)."""
    for v in verdicts:
        if v.verdict == FAIL:
            for module in RESPONSE_MODULES:
                v.contributors += module.contributors(v.metric, tables)


def mark_assumed_inputs(
    verdicts: list[TargetResult], conf: Config, choices: dict[str, str]
) -> None:
    """Name, on each verdict, the inputs that alone decide its metric (the modules'
    ``deciding_inputs``) whose values are ASSUMPTIONs in the config files composed: such a
    verdict checks the assumption, not the plan (a stock assumed at the standard passes it)."""
    notes = [a for a in assumptions([choices]) if a.key and in_config(conf, a.key)]
    for v in verdicts:
        keys = [k for m in RESPONSE_MODULES for k in m.deciding_inputs(v.metric, conf)]
        hit = sorted(
            {a.key for a in notes if any(a.key == k or a.key.startswith(k + ".") for k in keys)}
        )
        if hit:
            v.assumed_inputs = hit
            why = (
                f"rests on assumed inputs ({', '.join(hit)}): their values are ASSUMPTIONs, "
                "not plan figures (see the notes)"
            )
            v.note = f"{v.note}; {why}" if v.note else why


def write_outputs(
    conf: Config,
    cfg: DictConfig,
    results: list[RepResult],
    verdicts: list[TargetResult],
    outdir: Path,
    net: RoadNetwork,
    choices: dict[str, str] | None = None,
    report: bool = True,
    overrides: list[str] | None = None,
) -> dict:
    """Write config.yaml, summary.json, targets.csv, kpis.csv, the modules' tables and
    figures, the event log if asked, and (unless ``report`` is false) report.html.
    ``overrides``: the command line's, recorded in summary.json and the report."""
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True), encoding="utf-8")
    tables = combine_tables(results)
    explain_failures(verdicts, tables)
    mark_assumed_inputs(verdicts, conf, choices or default_choices(conf))
    summary = summarise(conf, results, verdicts)
    if overrides is not None:
        summary["overrides"] = list(overrides)
    pd.DataFrame([v.as_dict() for v in verdicts]).to_csv(
        outdir / "targets.csv", index=False, encoding="utf-8-sig"
    )
    (outdir / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False, sort_keys=False), encoding="utf-8"
    )
    kpis = pd.DataFrame([{"rep": r.rep, **r.kpis} for r in results if not r.error])
    kpis.to_csv(outdir / "kpis.csv", index=False, encoding="utf-8-sig")
    for name, table in tables.items():
        table.to_csv(outdir / f"{name}.csv", index=False, encoding="utf-8-sig")
    if conf.experiment.save_events:
        write_events([r.events for r in results if r.events is not None], conf, outdir)
    for module in RESPONSE_MODULES:
        module.write_figures(tables, conf, outdir)
    layers = [layer for m in RESPONSE_MODULES for layer in m.map_layers(conf, net, tables)]
    network_map(net, conf, outdir / "network_map.png", tables.get("road_closures"), layers)
    if report:
        write_report(conf, summary, verdicts, outdir, choices or default_choices(conf), overrides)
    return summary


def write_events(logs: list[pd.DataFrame], conf: Config, outdir: Path) -> None:
    """``events.csv`` (or ``events.parquet``, ``experiment.events_format``): the event logs
    of the replications, one after the other, in the one event-log schema (each row has its
    ``rep``; a comparison's also its ``alternative``)."""
    if not logs:
        return
    ev = pd.concat(logs, ignore_index=True)
    if conf.experiment.events_format == "parquet":
        ev.to_parquet(outdir / "events.parquet", index=False)
    else:
        ev.to_csv(outdir / "events.csv", index=False, encoding="utf-8-sig")


def format_table(summary: dict) -> str:
    """The KPI table printed at the end of a run."""
    lines = [
        f"{summary['district']} / {summary['scenario']} / layout {summary['layout']}: "
        f"{summary['replications']} replications, seed {summary['seed']}, "
        f"{summary['hours']:g} h",
        f"{'KPI':34s} {'mean':>10s}   95% CI",
    ]
    idle = [n for n, e in summary["kpis"].items() if idle_kpi(e)]  # targets table: all of them
    for name, est in summary["kpis"].items():
        if name in idle:
            continue
        m, lo, hi = est["mean"], est["ci95_low"], est["ci95_high"]
        if m is None:
            lines.append(f"{name:34s} {'n/a':>10s}")
            continue
        ci = f"[{human_number(lo)}, {human_number(hi)}]" if lo is not None else ""
        n, total = est.get("n"), summary.get("replications_ok", summary["replications"])
        if n is not None and n < total:  # (a time never reached in some replications)
            ci = f"{ci}  only {n} of {total} replications".lstrip()
        lines.append(f"{name:34s} {human_number(m):>10s}   {ci}")
    if idle:
        lines.append(
            f"({len(idle)} more KPIs are 0 or n/a in every replication: measures of modules this "
            "scenario does not use; all in kpis.csv)"
        )
    return "\n".join(lines)


def idle_kpi(est: dict) -> bool:
    """A KPI that is n/a, or 0 with a [0, 0] interval, over all replications."""
    return est["mean"] is None or (
        est["mean"] == 0 and not est["ci95_low"] and not est["ci95_high"]
    )


def default_choices(conf: Config) -> dict[str, str]:
    """Config files used, when Hydra did not say (e.g. in tests)."""
    return {
        "district": conf.district.name,
        "scenario": conf.scenario.name,
        "layout": conf.layout.name,
        "experiment": "default",
    }


def fingerprint(cfg: DictConfig) -> str:
    """Hash of everything that changes a replication's numbers (not how many are run)."""
    data = OmegaConf.to_container(cfg, resolve=True)
    for key in (
        "replications",
        "executor",
        "workers",
        "scheduler",
        "resume",
        "sequential",
        "batch",
        "max_replications",
    ):
        data.get("experiment", {}).pop(key, None)
    # the network file's contents too: a resume after the file changed (speeds edited in
    # place) would mix replications of two networks under one config
    network = (data.get("district") or {}).get("network")
    path = resolve_path(network) if isinstance(network, str) else None
    if path is not None and path.is_file():
        data["network_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return config_digest(data)


def config_digest(data: dict) -> str:
    """SHA-256 of a config's plain data, keys sorted: the same settings, the same digest."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def run_experiment(
    conf: Config,
    net: RoadNetwork,
    checkpoints: Checkpoints | None,
    progress: bool = True,
    targets: dict | None = None,
) -> tuple[list[RepResult], list[TargetResult]]:
    """All replications and the verdicts of ``targets`` (default: all the district's).

    In sequential mode (:mod:`sim.run.sequential`), batches of ``experiment.batch``
    replications run until every target is decided, or until no undecided target can be
    decided within ``max_replications``: those say so in their note.
    """
    ex = conf.experiment
    targets = conf.district.targets if targets is None else targets
    specs = kpi_specs()
    try:
        if not ex.sequential:
            results = run_replications(conf, net, None, checkpoints, progress)
            return results, evaluate_all(targets, kpi_columns(results), specs)
        return sequential_verdicts(
            lambda reps: run_replications(conf, net, reps, checkpoints, progress),
            lambda results, level: evaluate_all(targets, kpi_columns(results), specs, level),
            ex.batch,
            ex.max_replications,
        )
    except ValueError as exc:  # checkpoint fingerprint mismatch
        raise UserError(f"experiment.resume: {exc}") from None


def format_verdicts(verdicts: list[TargetResult]) -> str:
    """The plan-target table printed at the end of a run (plan inputs apart, at the end)."""
    w = min(max([10, *(len(v.source) for v in verdicts)]), 28)  # long sources cut with ~
    lines = [
        f"{'target':26s} {'source':{w}s} {'estimate':>10s}  {level_text(verdicts) + ' CI':22s} {'n':>4s}  "
        "verdict (goal) [provenance]"
    ]
    ordered = [v for v in verdicts if not is_plan_input(v)] + [
        v for v in verdicts if is_plan_input(v)
    ]
    for v in ordered:
        sign = unit_sign(v.metric) if not math.isnan(v.estimate) else ""
        est = human_number(v.estimate) + sign
        ci = (
            ""
            if math.isnan(v.ci_low)
            else f"[{human_number(v.ci_low)}{sign}, {human_number(v.ci_high)}{sign}]"
        )
        goal = goal_text(v.comparator, v.threshold, v.metric)
        lines.append(
            f"{v.key:26s} {v.source if len(v.source) <= w else v.source[: w - 1] + '~':{w}s} {est:>10s}  {ci:22s} {v.n:>4d}  {v.verdict} ({goal})"
            f" [{v.provenance}{'; assumed input' if v.assumed_inputs else ''}]"
        )
    return "\n".join(lines)


def run(
    cfg: DictConfig,
    outdir: Path,
    choices: dict[str, str] | None = None,
    overrides: list[str] | None = None,
) -> dict:
    """Run the configured experiment and write its outputs to ``outdir`` (``overrides``: the
    command line's, for summary.json and the report)."""
    conf, net = prepare(cfg)
    check_run_folder(outdir, conf.experiment.resume)  # earlier run, links, writable
    t0 = time.perf_counter()
    checkpoints = Checkpoints(outdir / "replications", fingerprint(cfg), root=outdir)
    results, verdicts = run_experiment(conf, net, checkpoints)
    with staged(outdir) as stage:  # every output is written here, then renamed into outdir
        summary = write_outputs(
            conf, cfg, results, verdicts, stage, net, choices, overrides=overrides or []
        )
    wall = time.perf_counter() - t0
    write_run_info(outdir, wall)
    check_failures(conf, summary, outdir)
    print(format_table(summary))
    print()
    print(format_verdicts(verdicts))
    for f in summary["failed_replications"]:
        print(f"replication {f['rep']} FAILED (seed {f['seed']}): {f['error']}", file=sys.stderr)
    print(f"outputs: {outdir}  ({wall:.1f} s)")
    return summary


def check_failures(conf: Config, summary: dict, outdir: Path) -> None:
    """RunFailed (one line, exit 1) if more replications failed than experiment.max_failed_share."""
    failed, n = summary["failed_replications"], summary["replications"]
    if not failed or len(failed) <= conf.experiment.max_failed_share * n:
        return
    f = failed[0]
    raise RunFailed(
        f"{len(failed)} of {n} replications failed (allowed share "
        f"experiment.max_failed_share={conf.experiment.max_failed_share:g}); first: replication "
        f"{f['rep']} (seed {f['seed']}): {f['error']}; all in {outdir / 'summary.json'}"
    )
