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
from omegaconf import DictConfig

from sim.config import Config
from sim.core.errors import UserError
from sim.core.paths import CONF_DIR
from sim.run.app import omegaconf_message, prepare, run

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
    from hydra import compose, initialize_config_dir

    try:
        combos = expand_sweeps(user_overrides(argv))
    except Exception as exc:  # override syntax errors
        raise UserError(f"bad override: {str(exc).strip().splitlines()[0]}") from None
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        for overrides in combos:
            try:
                cfg = compose(config_name="config", overrides=overrides)
            except Exception as exc:
                raise UserError(_compose_message(exc, overrides)) from None
            prepare(cfg)


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
        run(cfg, Path(hc.runtime.output_dir), choices)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


def _check_at_compose() -> None:
    """Make Hydra's own composition of a single run the pre-flight check (composed once).

    Hydra composes the config before it creates the run directory; checking that config
    right there gives the pre-flight's one-line errors (exit 2, nothing written) without
    composing it a second time. (A multirun sweep is still checked up front by
    :func:`preflight`: every combination before the first job.)
    """
    from hydra._internal.hydra import Hydra
    from hydra.errors import OverrideParseException
    from omegaconf import open_dict, read_write

    compose = Hydra.compose_config
    if getattr(compose, "checked", False):
        return

    def compose_config(self, config_name, overrides, run_mode, *args, **kwargs):
        try:
            cfg = compose(self, config_name, overrides, run_mode, *args, **kwargs)
        except OverrideParseException as exc:
            _fail(f"bad override: {str(exc).strip().splitlines()[0]}")
        except Exception as exc:
            _fail(_compose_message(exc, list(overrides)))
        job = cfg.copy()
        with read_write(job), open_dict(job):
            del job["hydra"]
        try:
            prepare(job)
        except UserError as exc:
            _fail(str(exc))
        return cfg

    compose_config.checked = True  # type: ignore[attr-defined]
    Hydra.compose_config = compose_config  # type: ignore[method-assign]


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python run_sim.py``."""
    argv = sys.argv[1:] if argv is None else argv
    _register_schema()
    if not any(a in _NO_RUN_FLAGS or a.startswith("--shell-completion") for a in argv):
        if "-m" in argv or "--multirun" in argv:
            try:
                preflight(argv)
            except UserError as exc:
                _fail(str(exc))
        else:
            _check_at_compose()
    _hydra_task()
