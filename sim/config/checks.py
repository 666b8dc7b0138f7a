"""Shared field checks and the error they raise (a one-line message naming the field)."""

from __future__ import annotations

from typing import Any


class ConfigError(ValueError):
    """Bad configuration value (one-line message that names the field)."""


def road_exposure() -> dict[str, float]:
    """ASSUMPTION: relative exposure of road classes to blockage (minor roads block more)."""
    return {"expressway": 0.2, "national": 0.5, "provincial": 1.0, "county": 1.5, "local": 2.0}


COMPARATORS = (">=", "<=", ">", "<")


def positive(value: float, name: str, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{name}={value}: must be {'>= 0' if allow_zero else '> 0'}")


def check_prob(value: float, name: str) -> None:
    if not 0 <= value <= 1:
        raise ConfigError(f"{name}={value}: must be within [0, 1]")


def check_share(value: float, name: str) -> None:
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
