"""Shared field checks and the error they raise (a one-line message naming the field)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from typing import Any


class ConfigError(ValueError):
    """Bad configuration value (one-line message that names the field)."""


# ASSUMPTION: no quantity in these configs (people, stock, metres, minutes, kg) comes near a
# billion; a larger number is a typo or an attempt to exhaust memory or time, so it is refused.
MAX_MAGNITUDE = 1e9

# Fields that may be negative; every other number in the config must be >= 0. Keyed by
# "<dataclass name>.<field>" (a number inside a dict or list field takes that field's key).
SIGNED_FIELDS = frozenset(
    {
        "TargetConfig.threshold",  # a planner's own target may compare with a negative value
        "EarthquakeConfig.i0_a",  # regression coefficients of the intensity relations
        "EarthquakeConfig.i0_b",
        "EarthquakeConfig.att_a",
        "EarthquakeConfig.att_b",
        "FireSizeConfig.log_mean",  # mean of ln(damaged ha): negative below 1 ha (docs/fire_calibration.md)
    }
)

# Fields with a larger magnitude than MAX_MAGNITUDE (key as above -> largest allowed value).
WIDE_FIELDS = {"ExperimentConfig.seed": 2**63 - 1}  # numpy SeedSequence takes any int >= 0

# ASSUMPTION: no group of identical units (teams, vehicles, crews, shelter sites) in a district
# plan comes near 10,000 (the largest in the seeds is Beibei's 190 village teams, 003 L27);
# a larger count would only exhaust memory and time.
MAX_UNITS = 10_000
# ASSUMPTION: a lognormal shape above 5 (one sd = x148) describes no physical spread here and
# overflows the draws.
MAX_SIGMA = 5.0
# ASSUMPTION: rates beyond these describe no disaster a district plan is tested against (1,000
# incidents per 100,000 residents is 1% of the population calling for rescue at once); they
# bound the work of one replication (tests/test_reliability.py fuzzes every numeric field).
MAX_PER_100K = 1_000.0
UPPER_BOUNDS = {
    "TeamConfig.count": MAX_UNITS,
    "AidCentreConfig.count": MAX_UNITS,
    "RepairCrewConfig.count": MAX_UNITS,
    "ShelterGroupConfig.count": MAX_UNITS,
    "EvacFleetConfig.count": MAX_UNITS,
    "FleetConfig.count": MAX_UNITS,
    "DepotConfig.calloff_batches": MAX_UNITS,
    "StormConfig.incidents_per_100k": MAX_PER_100K,
    "FloodConfig.flash_trapped_per_100k": MAX_PER_100K,
    "FloodConfig.trapped_per_100k_per_m": MAX_PER_100K,
    "FloodConfig.flash_events_mean": 1_000.0,
    "FloodConfig.peak_factor": 10.0,  # x the reach's median flood peak
    "RiverReachConfig.peak_m_median": 100.0,  # metres above the gauge datum
    "LandslideConfig.lake_trapped_per_100k": MAX_PER_100K,
    "LandslideConfig.points_default": 100_000,  # geo-hazard points (Beibei: 255, 003 L40)
    "LandslideConfig.points": 100_000,
    "EarthquakeConfig.sites_per_100k_at_7": MAX_PER_100K,
    "EarthquakeConfig.sites_growth_per_degree": 100.0,
    "ChemicalConfig.releases_mean": 1_000.0,
    "FireScenarioConfig.fires_per_season": 10_000.0,
    "FireScenarioConfig.extreme_ignitions_mean": 1_000.0,
    "FireScenarioConfig.season_days": 366,
    "DangerClassConfig.lb_ratio": 100.0,  # the containment model's own limit
}


def check_numbers(obj: Any, path: str = "", signs: bool = False) -> None:
    """Every number in a config tree is finite, within +-MAX_MAGNITUDE and its field's upper
    bound (:data:`UPPER_BOUNDS`, ``*_sigma`` <= :data:`MAX_SIGMA`); with ``signs``, also
    >= 0 unless the field is in :data:`SIGNED_FIELDS`.

    Also refuses keys the schema does not have (Hydra's ``+key=value`` bypasses the schema's
    struct mode and OmegaConf then sets them as plain attributes). Walks dataclasses, dicts
    and lists; raises :class:`ConfigError` naming the first bad field. :func:`validate` runs
    it once before the sections' own checks (which give the more precise messages, e.g.
    "must be > 0") and once with ``signs`` after them, for the fields they do not cover.
    """
    _walk(obj, path, "", signs)


def _walk(obj: Any, path: str, rule: str, signs: bool) -> None:
    if is_dataclass(obj) and not isinstance(obj, type):
        names = [f.name for f in fields(obj)]
        extra = sorted(set(vars(obj)) - set(names))
        if extra:
            where = f"{path}.{extra[0]}" if path else extra[0]
            raise ConfigError(f"{where}: unknown key (not in the schema; check the spelling)")
        cls = type(obj).__name__
        for name in names:
            _walk(getattr(obj, name), f"{path}.{name}" if path else name, f"{cls}.{name}", signs)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _walk(value, f"{path}.{key}", rule, signs)
    elif isinstance(obj, list | tuple):
        for i, value in enumerate(obj):
            _walk(value, f"{path}[{i}]", rule, signs)
    elif isinstance(obj, int | float) and not isinstance(obj, bool):
        signed = not signs or rule in SIGNED_FIELDS
        check_number(obj, path, signed=signed, limit=WIDE_FIELDS.get(rule))
        top = MAX_SIGMA if rule.endswith("_sigma") else UPPER_BOUNDS.get(rule)
        if top is not None:
            at_most(obj, path, top)


def check_number(value: float, name: str, signed: bool = False, limit: float | None = None) -> None:
    """One number: finite, within +-limit (default MAX_MAGNITUDE), >= 0 unless ``signed``."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{name}={value}: must be a finite number")
    top = MAX_MAGNITUDE if limit is None else limit
    if abs(value) > top:
        raise ConfigError(f"{name}={_fmt(value)}: too large (at most {_fmt(top)})")
    if value < 0 and not signed:
        raise ConfigError(f"{name}={value}: must be >= 0")


def at_most(value: float, name: str, top: float, why: str = "") -> None:
    """``value <= top`` (a cap that keeps a run's time and memory bounded)."""
    if value > top:
        reason = f"; {why}" if why else ""
        raise ConfigError(f"{name}={_fmt(value)}: must be <= {_fmt(top)}{reason}")


def at_least(value: float, name: str, low: float, why: str = "") -> None:
    """``value >= low`` (a physical floor, e.g. a household has at least one person)."""
    if value < low:
        reason = f"; {why}" if why else ""
        raise ConfigError(f"{name}={_fmt(value)}: must be >= {_fmt(low)}{reason}")


def _fmt(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


_RESOLVER = re.compile(r"\$\{\s*([\w.\-]+)\s*:")


def entries(container: Any, path: str = "") -> Iterator[tuple[str, str | None, Any]]:
    """Every entry of plain nested containers, depth first: ``(where, key, value)``, with
    ``key`` None for a list item (``where`` names it: ``a.b[2]``)."""
    if isinstance(container, dict):
        for key, value in container.items():
            where = f"{path}.{key}" if path else str(key)
            yield where, str(key), value
            yield from entries(value, where)
    elif isinstance(container, list):
        for i, value in enumerate(container):
            yield f"{path}[{i}]", None, value
            yield from entries(value, f"{path}[{i}]")


def refuse_resolvers(container: Any, path: str = "") -> None:
    """Refuse ``${name:...}`` resolver calls (``oc.env``, ``oc.decode``, ...) in raw config values.

    Plain interpolations (``${district.name}``) are fine; a resolver would pull environment
    variables or other outside data into config.yaml and the report. ``container`` is the
    unresolved config as plain containers (``OmegaConf.to_container(cfg, resolve=False)``).
    """
    for where, _, value in entries(container, path):
        m = _RESOLVER.search(value) if isinstance(value, str) else None
        if m:
            raise ConfigError(
                f"{where}: resolver '${{{m.group(1)}:...}}' is not allowed in a config value "
                "(write the value itself)"
            )


def road_exposure() -> dict[str, float]:
    """ASSUMPTION: relative exposure of road classes to blockage (minor roads block more)."""
    return {"expressway": 0.2, "national": 0.5, "provincial": 1.0, "county": 1.5, "local": 2.0}


COMPARATORS = (">=", "<=", ">", "<")


def positive(value: float, name: str, allow_zero: bool = False) -> None:
    """``value > 0`` (or ``>= 0`` with ``allow_zero``) and finite."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{name}={value}: must be a finite number")
    if value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{name}={value}: must be {'>= 0' if allow_zero else '> 0'}")


def check_prob(value: float, name: str) -> None:
    """A probability within [0, 1] (NaN refused)."""
    if not 0 <= value <= 1:
        raise ConfigError(f"{name}={value}: must be within [0, 1]")


def check_share(value: float, name: str) -> None:
    """A share within [0, 1] (NaN refused)."""
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name}={value}: must be within [0, 1]")


def road_ends(road: Any, field_name: str) -> tuple[str, str]:
    """A road given as "u--v" or [u, v] -> (u, v); ConfigError naming the field if not."""
    ends = road.split("--") if isinstance(road, str) else list(road) if road else []
    if len(ends) != 2 or not all(isinstance(n, str) and n.strip() for n in ends):
        raise ConfigError(f"{field_name}={road!r}: give a road as 'u--v' or [u, v]")
    return ends[0].strip(), ends[1].strip()


def to_plain(obj: Any) -> Any:
    """Dataclass config -> plain dict (for summary.json)."""
    from dataclasses import asdict, is_dataclass

    return asdict(obj) if is_dataclass(obj) else obj


# What Hydra itself may build from the ``hydra`` node of a config (``_target_``: its launcher,
# sweeper and callbacks; ``class``: logging handlers). Anything else would let a shared config
# file run code (``_target_: pandas.read_pickle``) or write outside the run folder (a logging
# file handler, ``hydra.output_subdir``).
HYDRA_TARGETS = ("sim.run.sweep.MultirunSummary",)
HYDRA_TARGET_PREFIXES = (
    "hydra._internal.core_plugins.",  # Hydra's basic launcher and sweeper
    "hydra_plugins.",  # installed launcher and sweeper plugins (joblib, optuna)
    "optuna.samplers.",  # the optuna sweeper's sampler
)
LOGGING_CLASSES = (
    "logging.StreamHandler",
    "logging.FileHandler",
    "logging.NullHandler",
    "logging.Formatter",
)
LOGGING_STREAMS = ("ext://sys.stdout", "ext://sys.stderr")
LOG_FILE_PREFIX = "${hydra.runtime.output_dir}/"  # Hydra's own default: inside the run folder


def refuse_hydra_code(hydra: Any) -> None:
    """Refuse a ``hydra`` node that would run code or write outside the run folder.

    ``hydra``: the composed config's ``hydra`` node as plain containers, unresolved.
    Raises :class:`ConfigError` naming the field."""
    if not isinstance(hydra, dict):
        return
    _refuse_targets(hydra, "hydra")
    for part in ("job_logging", "hydra_logging"):
        _refuse_logging(hydra.get(part), f"hydra.{part}")
    sub = hydra.get("output_subdir")
    if isinstance(sub, str) and (sub.startswith(("/", "~")) or ".." in sub.split("/")):
        raise ConfigError(
            f"hydra.output_subdir={sub}: must be a folder inside the run folder (or null)"
        )


def _refuse_targets(node: Any, path: str) -> None:
    for where, key, value in entries(node, path):
        if key == "_target_" and not (
            value in HYDRA_TARGETS
            or (isinstance(value, str) and value.startswith(HYDRA_TARGET_PREFIXES))
        ):
            raise ConfigError(
                f"{where}={value}: not allowed (a config may not name code to run; "
                "Hydra's own launchers, sweepers and this tool's callback only)"
            )


def _refuse_logging(node: Any, path: str) -> None:
    for where, key, value in entries(node, path):
        if key == "()":
            raise ConfigError(f"{where}: a logging factory is not allowed (it runs code)")
        if key == "class" and value not in LOGGING_CLASSES:
            raise ConfigError(
                f"{where}={value}: not allowed (logging handlers: {', '.join(LOGGING_CLASSES)})"
            )
        if isinstance(value, str) and value.startswith("ext://") and value not in LOGGING_STREAMS:
            raise ConfigError(f"{where}={value}: not allowed (ext:// imports code)")
        if key == "filename" and not (
            isinstance(value, str)
            and value.startswith(LOG_FILE_PREFIX)
            and ".." not in value.split("/")
        ):
            raise ConfigError(
                f"{where}={value}: a log file must stay inside the run folder "
                f"({LOG_FILE_PREFIX}...)"
            )
