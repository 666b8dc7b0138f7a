"""Command line: a pre-flight check of the overrides, then Hydra's own main.

Hydra reports bad overrides with several lines and exit status 1. Planners need one line
and exit status 2, *before* any run directory is created, so the overrides are first
composed and validated here with Hydra's compose API (every combination of a ``-m`` sweep,
up to a cap), and only then handed to ``hydra.main``.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from sim.config import Config
from sim.core.errors import UserError
from sim.core.paths import CONF_DIR
from sim.run.app import omegaconf_message, prepare, run
from sim.run.audit import ScenarioRun, design_scenarios, run_audit

# Flags after which Hydra does not run the task (help/info/completion): no pre-flight.
_NO_RUN_FLAGS = ("--help", "-h", "--hydra-help", "--info", "-i", "--shell-completion", "-sc")
_FLAGS_WITH_VALUE = (
    "--config-path",
    "-cp",
    "--config-name",
    "-cn",
    "--config-dir",
    "-cd",
    "--experimental-rerun",
    "--cfg",
    "-c",
    "--package",
    "-p",
    "--info",
    "-i",
)
MAX_PREFLIGHT_COMBOS = 64


def _register_schema() -> None:
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name="schema", node=Config)


def compose_config(overrides: list[str] | None = None) -> DictConfig:
    """The config ``python run_sim.py <overrides>`` would run, composed in-process (no run dir).

    For scripts, benchmarks and tests; pass the result to :func:`sim.run.app.prepare`.
    """
    from hydra import compose, initialize_config_dir

    _register_schema()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides or []))


def user_overrides(argv: list[str]) -> list[str]:
    """The ``key=value`` overrides in ``argv`` (flags and their values removed)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in _FLAGS_WITH_VALUE:
            skip = a not in ("--info", "-i")
            continue
        if a.startswith("-"):
            continue
        out.append(a)
    return out


def expand_sweeps(overrides: list[str]) -> list[list[str]]:
    """Every combination of sweep values (``a=x,y``) as plain override lists."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    choices: list[list[str]] = []
    for o in parsed:
        key = o.get_key_element()
        if key.lstrip("+~").startswith("hydra"):
            continue
        if o.is_sweep_override():
            choices.append([f"{key}={v}" for v in o.sweep_string_iterator()])
        else:
            choices.append([o.input_line])
    combos = itertools.product(*choices) if choices else [()]
    return [list(c) for c in itertools.islice(combos, MAX_PREFLIGHT_COMBOS)]


def preflight(argv: list[str]) -> None:
    """Compose and validate the config for the given overrides; raise UserError if bad."""
    from hydra import initialize_config_dir

    try:
        combos = expand_sweeps(user_overrides(argv))
    except Exception as exc:  # override syntax errors
        raise UserError(f"bad override: {str(exc).strip().splitlines()[0]}") from None
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        for overrides in combos:
            cfg = _compose(overrides)
            if cfg.scenario.name == "audit":
                for run in audit_runs(overrides, cfg):
                    prepare(run.cfg)
            else:
                prepare(cfg)
            alternatives(cfg, overrides)  # compare/search: every alternative composes


def _compose(overrides: list[str]) -> DictConfig:
    """Compose with Hydra's config loader (set up here if no caller did); UserError if bad."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    if not GlobalHydra.instance().is_initialized():
        _register_schema()
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            return _compose(overrides)
    try:
        return compose(config_name="config", overrides=list(overrides))
    except Exception as exc:
        raise UserError(_compose_message(exc, overrides)) from None


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def audit_runs(overrides: list[str], cfg: DictConfig) -> list[ScenarioRun]:
    """The design scenarios of the audit, each composed with the user's overrides.

    An override of a scenario section (``scenario.storm.closures_mean=10``) applies to every
    design scenario that has the section and is reported as not applied to the others.
    """
    targets = cfg.district.targets
    for key, t in targets.items():
        if not t.get("scenario"):
            raise UserError(
                f"district.targets.{key}.scenario: the plan audit needs the design scenario "
                "that judges this target (or run one scenario: scenario=NAME)"
            )
    plain = [o for o in overrides if _key(o) != "scenario"]
    sections = [o for o in plain if _key(o).startswith("scenario.")]
    rest = [o for o in plain if o not in sections]
    experiment = next((o.split("=", 1)[1] for o in plain if _key(o) == "experiment"), "default")
    runs = []
    for name in design_scenarios(targets):
        base = _compose([*rest, f"scenario={name}"])
        keep, skipped = [], []
        for o in sections:
            parts = _key(o).split(".")
            exists = len(parts) <= 2 or OmegaConf.select(base, ".".join(parts[:2])) is not None
            (keep if exists else skipped).append(o)
        composed = _compose([*rest, f"scenario={name}", *keep]) if keep else base
        choices = {
            "district": str(composed.district.name),
            "scenario": name,
            "layout": str(composed.layout.name),
            "experiment": experiment,
        }
        runs.append(ScenarioRun(name, composed, choices, skipped))
    return runs


def _compose_message(exc: BaseException, overrides: list[str]) -> str:
    text = str(exc)
    if "Could not find" in text and "Available options" in text:
        # e.g. In 'config': Could not find 'district/nowhere' ... Available options in 'district':
        missing = text.split("Could not find '", 1)[1].split("'", 1)[0]
        group, _, option = missing.rpartition("/")
        opts = []
        for line in text.split("Available options", 1)[1].splitlines()[1:]:
            if not line.startswith("\t"):
                break
            opts.append(line.strip())
        return f"{group}={option}: no such {group} (available: {', '.join(opts)})"
    return omegaconf_message(exc)


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def _hydra_task(cfg: DictConfig) -> None:
    try:
        hc = HydraConfig.get()
        choices = {g: str(c) for g, c in hc.runtime.choices.items() if not g.startswith("hydra")}
        outdir = Path(hc.runtime.output_dir)
        overrides = [o for o in hc.overrides.task if not _key(o).startswith("hydra")]
        if cfg.experiment.mode == "drill":
            return _run_drill(cfg, outdir, overrides)
        if cfg.get("robustness") is not None:  # experiment=robustness (sim/run/robustness.py)
            from sim.run.robustness import run_robustness

            audit = cfg.scenario.name == "audit"
            runs = (
                audit_runs(overrides, cfg)
                if audit
                else [ScenarioRun(str(cfg.scenario.name), cfg, choices)]
            )
            return run_robustness(runs, outdir, overrides)
        if cfg.get("compare") is not None or cfg.get("search") is not None:
            return run_analyst_mode(cfg, outdir, overrides)
        if cfg.scenario.name == "audit":
            run_audit(audit_runs(overrides, cfg), outdir, overrides)
        else:
            run(cfg, outdir, choices)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


def _run_drill(cfg: DictConfig, outdir: Path, overrides: list[str]) -> None:
    """``experiment=drill``: the drill mode composes the drawn scenario itself."""
    from sim.drill.mode import run_drill

    run_drill(cfg, outdir, overrides, _compose)


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python run_sim.py``."""
    argv = sys.argv[1:] if argv is None else argv
    _register_schema()
    if not any(a in _NO_RUN_FLAGS or a.startswith("--shell-completion") for a in argv):
        try:
            preflight(argv)
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
    _hydra_task()


# ------------------------------------------------------------- compare and search modes
def _with(base: list[str], extra: list[str]) -> list[str]:
    """``base`` overrides with ``extra`` replacing any of the same key."""
    keys = {_key(o) for o in extra}
    return [o for o in base if _key(o) not in keys] + extra


def alternative_overrides(cfg: DictConfig, overrides: list[str]) -> list[tuple[str, list[str]]]:
    """(name, overrides) of every alternative of a compare run or baseline of a search."""
    import shlex

    base = [o for o in overrides if not _key(o).startswith(("compare", "search"))]
    if cfg.get("search") is not None:
        named = dict(cfg.search.baselines or {})
        return [(n, _with(base, shlex.split(str(v)))) for n, v in named.items()]
    out = [(str(n), _with(base, [f"layout={n}"])) for n in cfg.compare.layouts]
    if not out:
        out.append((str(cfg.layout.name), base))
    for name, text in (cfg.compare.variants or {}).items():
        try:
            extra = shlex.split(str(text))
        except ValueError as exc:
            raise UserError(f"compare.variants.{name}: {exc}") from None
        out.append((str(name), _with(base, extra)))
    return out


def alternatives(cfg: DictConfig, overrides: list[str]) -> list:
    """Compose and validate every alternative; raise UserError naming the bad one."""
    from sim.run.compare import Alternative

    if cfg.get("compare") is None and cfg.get("search") is None:
        return []
    if cfg.scenario.name == "audit":
        mode = "search" if cfg.get("search") is not None else "compare"
        raise UserError(f"{mode}: choose the scenario to compare on (scenario=NAME), not the audit")
    out = []
    for name, ovr in alternative_overrides(cfg, overrides):
        where = f"search.baselines.{name}" if cfg.get("search") is not None else f"compare: {name}"
        try:
            conf, net = prepare(_compose(ovr))
        except UserError as exc:
            raise UserError(f"{where}: {exc}") from None
        extra = [o for o in ovr if o not in overrides]
        out.append(Alternative(name, extra, conf, net))
    return out


def run_analyst_mode(cfg: DictConfig, outdir: Path, overrides: list[str]) -> None:
    """``experiment=compare`` / ``experiment=search``: compose the alternatives, then run."""
    conf, net = prepare(cfg)
    alts = alternatives(cfg, overrides)
    if conf.search is not None:
        from sim.run.compare import Alternative
        from sim.run.search import run_search

        run_search(Alternative(conf.layout.name, [], conf, net), alts, conf.search, outdir)
        return
    c = conf.compare
    from sim.run.compare import run_compare

    run_compare(alts, outdir, c.baseline, c.alpha, c.correction, list(c.kpis))
