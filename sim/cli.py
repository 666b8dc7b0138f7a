"""Command line: a pre-flight check of the overrides, then Hydra's own main.

Hydra reports bad overrides with several lines and exit status 1, and creates the run folder
before the task sees the config. Planners need one line and exit status 2 *before* any run
folder exists, so :func:`preflight` first

1. parses every override on its own (a syntax error names the override's field),
2. checks every YAML file of the config folders (``conf/`` and a ``--config-dir``) for size,
   syntax, tabs, duplicate keys and alias bombs (file, line and field in the message),
3. composes the config for every combination of config-group choices of a ``-m`` sweep and
   validates every value of every sweep (all combinations while there are at most
   :data:`MAX_PREFLIGHT_COMBOS`, else each member on its own, so a bad value past the
   64th member is still caught before anything runs),
4. checks the output folder (``hydra.run.dir`` / ``hydra.sweep.dir``): creatable and
   writable, not an earlier run unless ``experiment.resume=true``, no planted symlinks,
5. checks that a Dask scheduler address answers,

and only then runs. A single run (no ``-m``, no ``--cfg``/``--info``/``--help`` flags) is
composed once: the config the pre-flight check composed and validated (and, for the plan
audit and the compare and search modes, the design scenarios and alternatives it composed)
is the one the task runs, through Hydra's own job runner (run folder, ``.hydra``, logging,
callbacks: :func:`launch`). A sweep (``-m``) and Hydra's informational flags go through
``hydra.main`` as usual. Exit status: 2 bad input, 1 too many failed replications, 130
interrupted (Ctrl-C).
"""

from __future__ import annotations

import copy
import difflib
import itertools
import signal
import socket
import sys
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf, open_dict, read_write
from omegaconf.errors import OmegaConfBaseException

from sim.config import Config, ConfigError
from sim.config.checks import refuse_hydra_code
from sim.config.experiment import scheduler_address
from sim.config.yamlfiles import check_config_dir
from sim.core.errors import NetworkError, RunFailed, UserError
from sim.core.paths import CONF_DIR
from sim.run.app import omegaconf_message, prepare, run
from sim.run.audit import ScenarioRun, design_scenarios, run_audit
from sim.run.console_log import tee_console
from sim.run.outputs import check_run_folder, os_error_line

if TYPE_CHECKING:  # (sim.run.search imports scipy.stats: only for a search)
    from sim.run.search import SearchPlan

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
    """What Hydra needs before it composes: the typed schema, and YAML parsed by libyaml."""
    from hydra.core.config_store import ConfigStore

    from sim.config.yamlfiles import use_libyaml_for_omegaconf

    ConfigStore.instance().store(name="schema", node=Config)
    use_libyaml_for_omegaconf()


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


def _flag(argv: list[str], *names: str) -> str | None:
    """The value of a ``--flag value`` / ``--flag=value`` option (last one wins)."""
    value = None
    for i, a in enumerate(argv):
        for n in names:
            if a == n and i + 1 < len(argv):
                value = argv[i + 1]
            elif a.startswith(n + "="):
                value = a.split("=", 1)[1]
    return value


def _parse(overrides: list[str]) -> list:
    """Hydra's parse of each override; a syntax error names the override's field."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    parsed = []
    for text in overrides:
        try:
            parsed.extend(parser.parse_overrides([text]))
        except Exception as exc:
            key = text.split("=", 1)[0].lstrip("+~") or text
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UserError(f"{key}: bad override syntax in '{text}' ({reason})") from None
    return parsed


def expand_sweeps(overrides: list[str]) -> list[list[str]]:
    """Every combination of sweep values (``a=x,y``) as plain override lists (up to the cap)."""
    choices: list[list[str]] = []
    for o in _parse(overrides):
        key = o.get_key_element()
        if key.lstrip("+~").startswith("hydra"):
            continue
        if o.is_sweep_override():
            choices.append([f"{key}={v}" for v in o.sweep_string_iterator()])
        else:
            choices.append([o.input_line])
    combos = itertools.product(*choices) if choices else [()]
    return [list(c) for c in itertools.islice(combos, MAX_PREFLIGHT_COMBOS)]


class _Preflight:
    """The config folders of a command line and the composition of its overrides."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.multirun = any(a in ("-m", "--multirun") for a in argv)
        self.hours_noted = False  # (the scenario-hours note is printed once)
        self.config_name = _flag(argv, "--config-name", "-cn") or "config"
        cp = _flag(argv, "--config-path", "-cp")
        here = Path(__file__).resolve().parent  # Hydra: relative to the file of hydra.main
        self.conf_dir = CONF_DIR if cp is None else (here / cp).resolve()
        cd = _flag(argv, "--config-dir", "-cd")
        self.extra_dirs = [] if cd is None else [Path(cd).expanduser().resolve()]
        self._nets: dict = {}
        self._plans: dict = {}  # a search's plan by what decides it (sweep variants share it)
        self.yaml_problems: dict[Path, str] = {}

    def check_files(self) -> None:
        for d in (self.conf_dir, *self.extra_dirs):
            if not d.is_dir():
                flag = "--config-path" if d == self.conf_dir else "--config-dir"
                raise UserError(f"{flag} {d}: no such folder")
            try:
                self.yaml_problems.update(check_config_dir(d))
            except ConfigError as exc:
                raise UserError(str(exc)) from None

    @property
    def search(self) -> list[str]:
        """The override that adds a ``--config-dir`` to the search path of a compose."""
        if not self.extra_dirs:
            return []
        return [f"hydra.searchpath=[{','.join('file://' + str(d) for d in self.extra_dirs)}]"]

    def compose(self, overrides: list[str]) -> DictConfig:
        from hydra import compose

        try:
            return compose(
                config_name=self.config_name,
                overrides=[*overrides, *self.search],
                return_hydra_config=True,
            )
        except Exception as exc:

            def retry(ov: list[str]) -> DictConfig:
                return compose(config_name=self.config_name, overrides=[*ov, *self.search])

            message = _compose_message(exc, overrides, self.yaml_problems, retry)
            raise UserError(message) from None

    def check_design_scenarios(self, job: DictConfig) -> None:
        """Every target's design scenario is a scenario option (also in a single-scenario
        run, where it is not composed: the audit would fail on it later)."""
        options = sorted(
            {
                p.stem
                for d in (self.conf_dir, *self.extra_dirs)
                for p in (d / "scenario").glob("*.yaml")
            }
            - {"audit"}
        )
        for key, t in (job.district.get("targets") or {}).items():
            name = t.get("scenario") if t is not None else None
            if name and name not in options:
                raise UserError(
                    f"district.targets.{key}.scenario='{name}': no such scenario "
                    f"(available: {', '.join(options)})"
                )

    def validate(
        self, job: DictConfig, overrides: list[str]
    ) -> tuple[list | None, list, SearchPlan | None]:
        """Typed config, network and nodes of one composed job config (networks cached);
        for the plan audit, of every design scenario composed with the same overrides, and
        the robustness labels it is to show (``experiment.robustness_from``: a screening of
        this configuration); for compare and search, of every alternative and the mode's
        settings (search: its analytic cut and alternatives, :func:`sim.run.search.plan_search`);
        for robustness, the keys and targets it is to screen. Returns the audit's design
        scenarios (None if not an audit), the alternatives and the search's plan (None if
        not a search), for the run to reuse."""
        runs, plan = None, None
        if job.experiment.mode == "drill":  # a past not_before, scenario=audit
            from sim.drill.draw import check_drill_config
            from sim.drill.mode import check_menu

            check_drill_config(job, overrides)
            check_menu(overrides, job.experiment.drill, lambda ov: _job(self.compose(ov)))
        self.check_design_scenarios(job)
        if job.scenario.name == "audit":
            runs = audit_runs([*overrides, *self.search], job, self.yaml_problems)
            prepared = [prepare(r.cfg, self._nets) for r in runs]
        else:
            prepared = [prepare(job, self._nets)]
        confs = [c for c, _ in prepared]
        conf, net = prepared[0]
        if not self.hours_noted:
            self.hours_noted = _note_scenario_hours(confs, overrides)
        if conf.robustness is not None:
            from sim.run.robustness import check_selection

            check_selection(conf.robustness, confs)
        elif runs is not None and conf.experiment.robustness_from:
            from sim.run.robustness import load_labels

            load_labels(conf.experiment.robustness_from, runs)
        alts = alternatives(job, [*overrides, *self.search])
        if runs is None and (conf.compare is not None or conf.search is not None):
            from sim.run.compare import Alternative, check_analyst_mode

            check_analyst_mode(conf, alts)
            if conf.search is not None:
                from sim.run.search import plan_search

                # a sweep over other settings (replications, ...) need not solve it again
                key = repr((conf.search, conf.layout, conf.district, conf.scenario,
                            conf.experiment.seed, conf.experiment.hours,
                            [(a.name, a.overrides) for a in alts]))  # fmt: skip
                plan = self._plans.get(key)
                if plan is None:
                    base = Alternative(conf.layout.name, [], conf, net)
                    plan = self._plans[key] = plan_search(base, alts, conf.search)
        return runs, alts, plan


@dataclass
class Checked:
    """What the pre-flight check composed and validated, for a single run to reuse.

    ``cfg`` is the composed config with its ``hydra`` node (the run folder it names was
    checked); ``runs`` the plan audit's design scenarios (None if not an audit); ``alts``
    the alternatives of a compare or search run. None / empty after a sweep (``-m``) or
    ``--cfg``, which Hydra's main composes itself; ``plan`` the search's analytic cut and
    alternatives (None if not a search).
    """

    cfg: DictConfig | None = None
    config_name: str = "config"
    runs: list[ScenarioRun] | None = None
    alts: list = field(default_factory=list)
    search: list[str] = field(default_factory=list)  # a --config-dir, for later composes
    plan: SearchPlan | None = None  # a search's analytic cut and alternatives


def _job(cfg: DictConfig) -> DictConfig:
    """A copy of a composed config without its ``hydra`` node (what the task receives)."""
    job = copy.deepcopy(cfg)
    with open_dict(job):
        job.pop("hydra", None)
    return job


def _is_group(key: str, dirs: list[Path]) -> bool:
    return any((d / key.lstrip("+~")).is_dir() for d in dirs)


def _unnamed_keys(pf: _Preflight) -> set[str]:
    """The keys a sweep's job folders are not named by (``exclude_keys`` of the config)."""
    try:
        cfg = OmegaConf.load(pf.conf_dir / f"{pf.config_name}.yaml")
        keys = OmegaConf.select(cfg, "hydra.job.config.override_dirname.exclude_keys")
    except (OSError, ValueError, OmegaConfBaseException):
        return set()
    return {str(k) for k in keys or ()}


def preflight(argv: list[str]) -> Checked:
    """Compose and validate the config for the given overrides; raise UserError if bad.

    Uses Hydra's config loader if one is set up (:func:`main` sets it up for the run that
    follows), else sets one up for the check.
    """
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    _register_schema()
    pf = _Preflight(argv)
    parsed = _parse(user_overrides(argv))
    pf.check_files()
    dirs = [pf.conf_dir, *pf.extra_dirs]
    groups, values = [], []  # (sweep members as override strings) per override
    for o in parsed:
        key = o.get_key_element()
        if o.is_sweep_override() and not pf.multirun:
            raise UserError(
                f"{key.lstrip('+~')}: '{o.input_line}' is a sweep; add -m (--multirun) to run "
                f"one job per value (a list is {key.lstrip('+~')}=[a,b], a string is quoted)"
            )
        try:
            members = (
                [f"{key}={v}" for v in o.sweep_string_iterator()]
                if o.is_sweep_override()
                else [o.input_line]
            )
        except Exception:  # noqa: BLE001  (Hydra: "Can only enumerate CHOICE and RANGE sweeps")
            raise UserError(
                f"{key.lstrip('+~')}: '{o.input_line}' cannot be listed as jobs: the sweeper runs "
                "choices (a,b,c) and ranges (range(0,10,2)), not an interval() (which needs a "
                "sampling sweeper): list the values"
            ) from None
        if len(members) > 1 and key.lstrip("+~") in _unnamed_keys(pf):
            raise UserError(
                f"{key.lstrip('+~')}: a sweep over how the runs are executed gives the same "
                "numbers, and its jobs would share one folder (the key is left out of the "
                "folder names, hydra.job.config.override_dirname.exclude_keys); run each value "
                "on its own"
            )
        is_hydra = key.lstrip("+~").startswith("hydra")
        (groups if is_hydra or _is_group(key, dirs) else values).append(members)
    ready = GlobalHydra.instance().is_initialized()
    setup = (
        nullcontext()
        if ready
        else initialize_config_dir(
            config_dir=str(pf.conf_dir), version_base="1.3", job_name="run_sim"
        )
    )
    checked = Checked(config_name=pf.config_name, search=pf.search)
    with setup:
        first_values = [m[0] for m in values]
        combos = list(itertools.product(*values)) if values else [()]
        for group_choice in itertools.product(*groups) if groups else [()]:
            # a single run keeps the command line's order (it is recorded in the outputs)
            over = [*group_choice, *first_values] if pf.multirun else [o.input_line for o in parsed]
            base = pf.compose(over)
            _refuse_hydra_code(base)
            job = _job(base)
            checked.runs, checked.alts, checked.plan = pf.validate(job, over)
            if len(combos) <= MAX_PREFLIGHT_COMBOS:
                variants = [list(c) for c in combos[1:]]
            else:  # too many to try all: each member of each sweep once
                variants = [[m] for members in values for m in members[1:]]
            for variant in variants:
                over = [*group_choice, *_with(first_values, variant)]
                pf.validate(apply_overrides(job, variant), over)
        if _flag(argv, "--cfg", "-c") is None:  # --cfg only prints: no folder is made
            _check_outputs(base, pf.multirun)
            if not pf.multirun:
                _check_checkpoints(base, checked.runs)
    if pf.multirun:  # Hydra's main composes every job of a sweep itself
        return Checked(config_name=pf.config_name)
    checked.cfg = base
    return checked


def _refuse_hydra_code(cfg: DictConfig) -> None:
    """What Hydra would build or write from the config's ``hydra`` node is checked before it
    does (a config file or override naming code, or a log file outside the run folder)."""
    try:
        refuse_hydra_code(OmegaConf.to_container(cfg.hydra, resolve=False))
    except ConfigError as exc:
        raise UserError(str(exc)) from None


def _note_scenario_hours(confs: list[Config], overrides: list[str]) -> bool:
    """A note on stderr when ``experiment.hours`` is overridden but a scenario sets its own
    ``scenario.hours``, which wins (a 20-h what-if of the design flood still ran 72 h);
    True if it was printed."""
    if not any(_key(o) == "experiment.hours" for o in overrides):
        return False
    own = [
        f"{c.scenario.name} ({c.scenario.hours:g} h)"
        for c in confs
        if c.scenario.hours and c.scenario.hours != c.experiment.hours
    ]
    if own:
        print(
            f"note: experiment.hours={confs[0].experiment.hours:g} does not apply to "
            f"{', '.join(own)}: a scenario's own scenario.hours wins; override scenario.hours "
            "to change it",
            file=sys.stderr,
        )
    return bool(own)


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def _compose(overrides: list[str], yaml_problems: dict[Path, str] | None = None) -> DictConfig:
    """Compose with Hydra's config loader (set up here if no caller did); UserError if bad."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    if not GlobalHydra.instance().is_initialized():
        _register_schema()
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            return _compose(overrides, yaml_problems)
    try:
        return compose(config_name="config", overrides=list(overrides))
    except Exception as exc:

        def retry(ov: list[str]) -> DictConfig:
            return compose(config_name="config", overrides=list(ov))

        raise UserError(_compose_message(exc, overrides, yaml_problems, retry)) from None


def audit_runs(
    overrides: list[str], cfg: DictConfig, yaml_problems: dict[Path, str] | None = None
) -> list[ScenarioRun]:
    """The design scenarios of the audit, each composed with the user's overrides.

    An override of a scenario section (``scenario.storm.closures_mean=10``) applies to every
    design scenario that has the section and is reported as not applied to the others.
    """
    targets = cfg.district.targets
    if not targets:
        raise UserError(
            f"district.targets: district '{cfg.district.name}' has no targets, so the plan audit "
            "has nothing to judge; add its plan's targets (conf/district/<name>.yaml) or run "
            "one scenario: scenario=NAME"
        )
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
        base = _compose([*rest, f"scenario={name}"], yaml_problems)
        keep, skipped = [], []
        for o in sections:
            parts = _key(o).split(".")
            exists = len(parts) <= 2 or OmegaConf.select(base, ".".join(parts[:2])) is not None
            (keep if exists else skipped).append(o)
        composed = _compose([*rest, f"scenario={name}", *keep], yaml_problems) if keep else base
        choices = {
            "district": str(composed.district.name),
            "scenario": name,
            "layout": str(composed.layout.name),
            "experiment": experiment,
        }
        runs.append(ScenarioRun(name, composed, choices, skipped))
    return runs


def apply_overrides(base: DictConfig, overrides: list[str]) -> DictConfig:
    """``base`` with more value overrides applied as Hydra applies them after composing."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra.core.override_parser.overrides_parser import OverridesParser

    cfg = copy.deepcopy(base)
    # '+key=v' added by the base already: replace it (Hydra would refuse a second add)
    texts = ["+" + t if t.startswith("+") and not t.startswith("++") else t for t in overrides]
    parsed = OverridesParser.create().parse_overrides(texts)
    try:
        ConfigLoaderImpl._apply_overrides_to_config(parsed, cfg)
    except Exception as exc:
        raise UserError(_compose_message(exc, overrides)) from None
    return cfg


def _check_outputs(cfg: DictConfig, multirun: bool) -> None:
    """The run (or sweep) folder and, for Dask, the scheduler: before Hydra creates anything."""
    ex = cfg.experiment
    field = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    try:
        folder = Path(str(OmegaConf.select(cfg, field)))
    except Exception:  # an interpolation only Hydra can fill in at launch: nothing to check
        folder = None
    if folder is not None:
        analyst = multirun is False and (
            OmegaConf.select(cfg, "compare") is not None
            or OmegaConf.select(cfg, "search") is not None
        )
        check_run_folder(folder, bool(ex.resume), field, resumable=not analyst)
    if ex.executor == "dask" and ex.scheduler:
        proto, host, port = scheduler_address(str(ex.scheduler))
        if proto == "tcp":
            try:
                socket.create_connection((host, port or 8786), timeout=3).close()
            except OSError as exc:
                reason = exc.strerror or type(exc).__name__
                raise UserError(
                    f"experiment.scheduler={ex.scheduler}: cannot connect ({reason})"
                ) from None


def _check_checkpoints(cfg: DictConfig, runs: list[ScenarioRun] | None) -> None:
    """A resumed run's checkpoints are this config's (signed, same fingerprint), checked
    before Hydra writes ``.hydra/`` and ``run_sim.log`` into the folder: a refused resume
    leaves the earlier run's record as it was. ``runs``: the audit's design scenarios (each
    checkpoints in its sub-folder). The modes without checkpoints (compare, search,
    robustness, drill) have nothing to check."""
    from sim.run.app import fingerprint
    from sim.run.checkpoints import Checkpoints

    ex = cfg.experiment  # (read on the composed config: a copy without hydra only if resumed)
    if not ex.resume or ex.mode == "drill":
        return
    if any(cfg.get(mode) is not None for mode in ("compare", "search", "robustness")):
        return
    try:
        folder = Path(str(OmegaConf.select(cfg, "hydra.run.dir")))
    except Exception:  # an interpolation only Hydra can fill in: a new folder, nothing there
        return
    if not folder.is_dir():
        return
    pairs = [(folder / r.name, r.cfg) for r in runs] if runs is not None else [(folder, _job(cfg))]
    for where, conf in pairs:
        try:
            Checkpoints(where / "replications", fingerprint(conf), root=folder).check()
        except UserError as exc:
            raise UserError(f"experiment.resume: {exc}") from None


def _walk_to(cfg: DictConfig, key: str) -> tuple[str, str, object]:
    """Follow dotted ``key`` in ``cfg``: ("ok", key, value), ("null", prefix, None) where a
    section on the way is switched off, or ("missing", parent, (part, keys)) where a part
    does not exist."""
    node: object = cfg
    done: list[str] = []
    for part in key.split("."):
        if node is None:
            return "null", ".".join(done), None
        if not isinstance(node, DictConfig) or part not in node:
            keys = [str(k) for k in node] if isinstance(node, DictConfig) else []
            return "missing", ".".join(done), (part, keys)
        node = node._get_node(part)
        node = None if node is None or node._is_none() else node
        done.append(part)
    return "ok", key, node


def _override_problem(
    exc: BaseException, overrides: list[str], retry: Callable[[list[str]], DictConfig]
) -> str | None:
    """Why an override could not be applied, found by composing without it: a key that does
    not exist (with the closest existing one) or a section switched off in this config."""
    text = str(exc)
    if text.startswith("Could not override '"):
        suspects = [text.split("'", 2)[1]]
    elif isinstance(exc, AssertionError) and "NoneType" in text:
        suspects = [_key(o) for o in overrides if "." in _key(o)]
    else:
        return None
    for key in suspects:
        rest = [o for o in overrides if _key(o) != key]
        given = next((o for o in overrides if _key(o) == key), key)
        try:
            base = retry(rest)
        except Exception:
            continue
        state, where, info = _walk_to(base, key)
        if state == "null":
            scen = base.get("scenario")
            which = (
                f" (scenario={scen.name} has no such section)"
                if where.startswith("scenario.") and scen is not None and "name" in scen
                else ""
            )
            return (
                f"{given}: {where} is switched off (null) in this config{which}, so there is"
                " nothing to set; use it with a config that has the section"
            )
        if state == "missing":
            part, keys = info  # type: ignore[misc]
            near = difflib.get_close_matches(part, keys, n=1)
            hint = (
                f"did you mean '{near[0]}'?"
                if near
                else (f"keys: {', '.join(keys)}" if 0 < len(keys) <= 15 else "")
            )
            parent = where or "the root"
            return f"{given}: no key '{part}' in {parent}" + (f" ({hint})" if hint else "")
        if state == "ok" and isinstance(info, DictConfig):
            new = _new_dict_key(exc)
            if new:  # ``key={name: ...}`` merges into the section and names a key it lacks
                near = difflib.get_close_matches(new[0], [str(k) for k in info], n=1)
                hints = [f"did you mean '{near[0]}'?"] if near else []
                if new[1]:  # a dict of named entries takes new ones with ++
                    hints.append(f"to add one, write ++{key}=...")
                more = f" ({' '.join(hints)})" if hints else ""
                return f"{key}: no key '{new[0]}' to change{more}"
    return None


def _new_dict_key(exc: BaseException) -> tuple[str, bool] | None:
    """The key a merged ``{...}`` override names that its section lacks, from OmegaConf's
    error under Hydra's, and whether the section takes new keys with ``++`` (a dict of
    named entries: "is not in struct"; a typed section's fields are fixed); None otherwise."""
    seen = exc.__cause__ or exc.__context__
    while seen is not None:
        first = (str(seen).splitlines() or [""])[0]
        if first.startswith("Key '") and " not in " in first:
            return first.split("'", 2)[1], first.endswith("is not in struct")
        seen = seen.__cause__ or seen.__context__
    return None


def _compose_message(
    exc: BaseException,
    overrides: list[str],
    yaml_problems: dict[Path, str] | None = None,
    retry: Callable[[list[str]], DictConfig] | None = None,
) -> str:
    text = str(exc)
    if retry is not None:
        problem = _override_problem(exc, overrides, retry)
        if problem:
            return problem
    if "Could not find" in text and "Available options" in text:
        # e.g. In 'config': Could not find 'district/nowhere' ... Available options in 'district':
        missing = text.split("Could not find '", 1)[1].split("'", 1)[0]
        group, _, option = missing.rpartition("/")
        opts = []
        for line in text.split("Available options", 1)[1].splitlines()[1:]:
            if not line.startswith("\t"):
                break
            opts.append(line.strip())
        line = f"{group}={option}: no such {group} (available: {', '.join(opts)})"
        if group == "layout" and not any(_key(o) == "layout" for o in overrides):
            line += "; the layout defaults to the district's name: pass layout=<one of these>"
        return line
    seen: BaseException | None = exc
    while seen is not None:  # a YAML error: the file and line are in its marks
        mark = getattr(seen, "problem_mark", None)
        if mark is not None:
            known = (yaml_problems or {}).get(Path(str(mark.name)).resolve())
            if known:
                return known
            problem = str(getattr(seen, "problem", "") or "YAML error")
            return f"{mark.name}:{mark.line + 1}: {problem}"
        seen = seen.__cause__ or seen.__context__
    if "Could not override" in text or "Could not append" in text or "Could not delete" in text:
        return text.strip().splitlines()[0]
    if text.startswith("Error merging override "):  # name the override's own field
        line = text.removeprefix("Error merging override ").strip().splitlines()[0]
        key = line.split("=", 1)[0].lstrip("+~")
        inner = exc.__cause__ or exc.__context__
        msg = str(getattr(inner, "msg", "") or inner or text).strip().splitlines()[0]
        return f"{key}: {msg}"
    return omegaconf_message(exc)


def _interrupted(outdir: Path | None) -> None:
    """One line after Ctrl-C: what was kept and how to resume."""
    if outdir is not None and (outdir / "replications").is_dir():
        n = len(list((outdir / "replications").glob("rep_*.json")))
        print(
            f"interrupted: {n} finished replications kept in {outdir / 'replications'}; "
            f"resume with the same overrides plus hydra.run.dir={outdir} experiment.resume=true",
            file=sys.stderr,
        )
    else:
        print("interrupted: nothing was kept", file=sys.stderr)
    sys.exit(130)


def _task(cfg: DictConfig, checked: Checked | None = None) -> None:
    """The run of one composed config (``checked``: what the pre-flight check composed),
    with what the console shows copied into the run folder's ``run_sim.log``."""
    drill = cfg.experiment.mode == "drill"  # (no times in a drill's log: sim.drill.mode)
    with tee_console(Path(HydraConfig.get().runtime.output_dir), timed=not drill):
        _run_task(cfg, checked)


def _run_task(cfg: DictConfig, checked: Checked | None = None) -> None:
    outdir = None
    try:
        hc = HydraConfig.get()
        outdir = Path(hc.runtime.output_dir)
        choices = {g: str(c) for g, c in hc.runtime.choices.items() if not g.startswith("hydra")}
        overrides = [o for o in hc.overrides.task if not _key(o).startswith("hydra")]
        runs = checked.runs if checked is not None else None
        if cfg.experiment.mode == "drill":
            return _run_drill(cfg, outdir, overrides, checked.search if checked else [])
        audit = cfg.scenario.name == "audit"
        if audit and runs is None:
            runs = audit_runs(overrides, cfg)
        if cfg.get("robustness") is not None:  # experiment=robustness (sim/run/robustness.py)
            from sim.run.robustness import run_robustness

            if not audit:
                runs = [ScenarioRun(str(cfg.scenario.name), cfg, choices)]
            return run_robustness(runs, outdir, overrides)
        if cfg.get("compare") is not None or cfg.get("search") is not None:
            alts = checked.alts if checked is not None else None
            plan = checked.plan if checked is not None else None
            return run_analyst_mode(cfg, outdir, overrides, alts, plan)
        if audit:
            run_audit(runs, outdir, overrides)
        else:
            run(cfg, outdir, choices, overrides)
    except (UserError, ConfigError, NetworkError) as exc:  # (a node named in a mode's config)
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except OSError as exc:  # a write the output layer did not anticipate
        print(f"error: {os_error_line(exc, outdir)}", file=sys.stderr)
        sys.exit(2)
    except RunFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        _interrupted(outdir)


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def _hydra_task(cfg: DictConfig) -> None:
    """Hydra's main, for sweeps (``-m``) and its informational flags: it composes itself."""
    _task(cfg)


def launch(checked: Checked) -> None:
    """Run the task on the config the pre-flight check composed, without composing again.

    What Hydra's own single run does once it has composed (``Hydra.run``): its logging,
    callbacks and job runner (run folder, ``.hydra``, ``run_sim.log``, ``HydraConfig``), with
    a crash of the task reported as Hydra reports it.
    """
    from hydra._internal.callbacks import Callbacks
    from hydra._internal.utils import run_and_report
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.utils import configure_log, run_job
    from hydra.types import HydraContext, RunMode

    cfg, name = checked.cfg, checked.config_name
    assert cfg is not None, "launch needs the config of a single run"
    if cfg.hydra.mode is None:  # as Hydra's main records it
        cfg.hydra.mode = RunMode.RUN
        with read_write(cfg.hydra.overrides):
            cfg.hydra.overrides.hydra.append("hydra.mode=RUN")
    configure_log(cfg.hydra.hydra_logging, cfg.hydra.verbose)
    callbacks = Callbacks(cfg)
    context = HydraContext(
        config_loader=GlobalHydra.instance().config_loader(), callbacks=callbacks
    )

    def job() -> None:
        callbacks.on_run_start(config=cfg, config_name=name)
        ret = run_job(
            hydra_context=context,
            task_function=lambda job_cfg: _task(job_cfg, checked),
            config=cfg,
            job_dir_key="hydra.run.dir",
            job_subdir_key=None,
        )
        callbacks.on_run_end(config=cfg, config_name=name, job_return=ret)
        _ = ret.return_value  # re-raises a crash of the task

    run_and_report(job)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _run_drill(cfg: DictConfig, outdir: Path, overrides: list[str], search: list[str]) -> None:
    """``experiment=drill``: the drill mode composes the drawn scenario itself (``search``:
    the override that adds a ``--config-dir`` when Hydra's main did not set it up)."""
    from sim.drill.mode import run_drill

    def compose(over: list[str], yaml_problems: dict[Path, str] | None = None) -> DictConfig:
        return _compose([*over, *search], yaml_problems)

    run_drill(cfg, outdir, overrides, compose)


def _single_run(argv: list[str]) -> bool:
    """A plain run: no sweep and no Hydra flag but the config folder and name."""
    plain = ("--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd")
    flags = [a.split("=", 1)[0] for a in argv if a.startswith("-")]
    return all(f in plain for f in flags)


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python run_sim.py``."""
    from hydra import initialize_config_dir

    argv = sys.argv[1:] if argv is None else argv
    if any(a.split("=", 1)[0] == "--experimental-rerun" for a in argv):
        # Hydra's rerun unpickles .hydra/config.pickle: a file in a run folder would run
        # code (docs/security.md). A run is repeated from its .hydra/overrides.yaml instead.
        print(
            "error: --experimental-rerun is refused: it unpickles a file from a run folder, "
            "which can run code; rerun with the overrides in <run>/.hydra/overrides.yaml",
            file=sys.stderr,
        )
        sys.exit(2)
    _register_schema()
    signal.signal(signal.SIGTERM, _terminate)  # `kill`: stop as cleanly as after Ctrl-C
    try:
        if _single_run(argv):  # compose once: the checked config is the one that runs
            try:
                conf_dir = _Preflight(argv).conf_dir
                with initialize_config_dir(
                    config_dir=str(conf_dir), version_base="1.3", job_name="run_sim"
                ):
                    checked = preflight(argv)
                    launch(checked)
            except UserError as exc:
                print(f"error: {exc}", file=sys.stderr)
                sys.exit(2)
            return
        if not any(a in _NO_RUN_FLAGS or a.startswith("--shell-completion") for a in argv):
            try:
                preflight(argv)
            except UserError as exc:
                print(f"error: {exc}", file=sys.stderr)
                sys.exit(2)
        _hydra_task()
    except KeyboardInterrupt:
        _interrupted(None)


# ------------------------------------------------------------- compare and search modes
def _with(base: list[str], extra: list[str]) -> list[str]:
    """``base`` overrides with ``extra`` replacing any of the same key."""
    keys = {_key(o) for o in extra}
    return [o for o in base if _key(o) not in keys] + extra


def alternative_overrides(cfg: DictConfig, overrides: list[str]) -> list[tuple[str, list[str]]]:
    """(name, overrides) of every alternative of a compare run or baseline of a search."""
    import shlex

    # every override of the command line, the mode's own settings included: a baseline
    # composed without the command line's search.items would fail its own validation
    base = list(overrides)
    if cfg.get("search") is not None:
        named = {n: shlex.split(str(v)) for n, v in (cfg.search.baselines or {}).items()}
        for n, extra in named.items():
            _check_alternative(f"search.baselines.{n}", extra)
        return [(n, _with(base, extra)) for n, extra in named.items()]
    out = [(str(n), _with(base, [f"layout={n}"])) for n in cfg.compare.layouts]
    if not out:
        out.append((str(cfg.layout.name), base))
    for name, text in (cfg.compare.variants or {}).items():
        try:
            extra = shlex.split(str(text))
        except ValueError as exc:
            raise UserError(f"compare.variants.{name}: {exc}") from None
        _check_alternative(f"compare.variants.{name}", extra)
        out.append((str(name), _with(base, extra)))
    return out


# Settings of the whole run: an alternative's own would be ignored (one compare or search
# runs them all), leaving a copy of the baseline that compares as indistinguishable.
RUN_SETTINGS = ("hydra", "compare", "search", "robustness")


def _check_alternative(where: str, extra: list[str]) -> None:
    """Refuse an alternative that could only compare as a copy of the baseline: no
    override, a word that is no override, a key set twice, or a setting of the whole run
    (``hydra.*`` and the modes' own sections)."""
    if not extra:
        raise UserError(
            f"{where}: empty; an alternative names the settings it changes (key=value ...)"
        )
    for o in extra:
        if "=" not in o and not o.startswith("~"):
            raise UserError(f"{where}: '{o}' is not an override (key=value)")
    keys = [_key(o) for o in extra]
    twice = next((k for i, k in enumerate(keys) if k in keys[:i]), None)
    if twice:
        given = [o for o in extra if _key(o) == twice]
        raise UserError(f"{where}: {twice} set twice ({', '.join(given)}); set it once")
    run = [o for o in extra if _key(o).split(".")[0].split("/")[0] in RUN_SETTINGS]
    if run:
        top = _key(run[0]).split(".")[0].split("/")[0]
        what = "Hydra's settings" if top == "hydra" else f"the {top} mode's settings"
        raise UserError(
            f"{where}: {run[0]}: an alternative changes the model, not {what}"
            f" (set {top}.* on the command line)"
        )


def alternatives(cfg: DictConfig, overrides: list[str]) -> list:
    """Compose and validate every alternative; raise UserError naming the bad one."""
    if cfg.get("compare") is None and cfg.get("search") is None:
        return []
    from sim.run.compare import Alternative  # scipy.stats: only for compare and search

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


def run_analyst_mode(
    cfg: DictConfig,
    outdir: Path,
    overrides: list[str],
    alts: list | None = None,
    plan: SearchPlan | None = None,
) -> None:
    """``experiment=compare`` / ``experiment=search``: compose the alternatives (unless
    given, as the pre-flight check composed them), then run (``overrides``: the command
    line's, recorded in compare_summary.json / search_summary.json as in summary.json;
    ``plan``: the search's analytic cut and alternatives the pre-flight check made)."""
    conf, net = prepare(cfg)
    alts = alternatives(cfg, overrides) if alts is None else alts
    if conf.search is not None:
        from sim.run.compare import Alternative
        from sim.run.search import run_search

        base = Alternative(conf.layout.name, [], conf, net)
        run_search(base, alts, conf.search, outdir, overrides=overrides, plan=plan)
        return
    c = conf.compare
    from sim.run.compare import run_compare

    run_compare(alts, outdir, c.baseline, c.alpha, c.correction, list(c.kpis), overrides=overrides)
