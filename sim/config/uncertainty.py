"""``uncertainty``: plausible ranges of assumed settings (per layout and per scenario).

A layout or scenario file may carry ``uncertainty: {<dotted config key>: {low, high, source}}``
next to its values. The robustness mode (``experiment=robustness``, sim/run/robustness.py)
screens every ranged key against every target that reads it. ``source`` cites where the
range comes from or says why it was chosen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from omegaconf import MISSING

from sim.config.checks import ConfigError


@dataclass
class UncertaintyRange:
    """A plausible range of one configured value."""

    low: float = MISSING
    high: float = MISSING
    source: str = ""  # citation, or ``ASSUMPTION: <reason>``


class SectionOff(KeyError):
    """The key lies in a section that is switched off (``None``, e.g. ``layout.relief=null``)."""


def config_value(cfg: Any, key: str) -> Any:
    """The value at the dotted ``key`` of a typed config (attributes and dict keys).

    Raises KeyError naming the first missing part (:class:`SectionOff` if a section on the
    way is switched off)."""
    node = cfg
    for part in key.split("."):
        if node is None:
            raise SectionOff(part)
        if isinstance(node, dict):
            if part not in node:
                raise KeyError(part)
            node = node[part]
        elif node is not None and hasattr(node, part):
            node = getattr(node, part)
        else:
            raise KeyError(part)
    return node


def set_config_value(cfg: Any, key: str, value: Any) -> None:
    """Set the value at the dotted ``key`` of a typed config, in place."""
    *path, last = key.split(".")
    parent = config_value(cfg, ".".join(path)) if path else cfg
    if isinstance(parent, dict):
        parent[last] = value
    else:
        setattr(parent, last, value)


def validate_uncertainty(
    cfg: Any, ranges: dict[str, UncertaintyRange], where: str, screening: bool = False
) -> None:
    """Every ranged key exists, is a number, and its range is ordered and cited; when
    ``screening`` (``experiment=robustness``) the range also holds the configured value.

    Other runs may set a value outside its plausible range: "what if only 80% comply" is
    a what-if question, the range only bounds what the robustness screen tries."""
    for key, r in ranges.items():
        name = f"{where}.uncertainty.{key}"
        try:
            value = config_value(cfg, key)
        except SectionOff:
            continue  # its section is off in this config: nothing to screen
        except KeyError as exc:
            raise ConfigError(f"{name}: no config key '{key}' (missing '{exc.args[0]}')") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{name}: '{key}' is not a number (only numbers can be ranged)")
        if not (math.isfinite(r.low) and math.isfinite(r.high)) or not r.low < r.high:
            raise ConfigError(f"{name}: needs low < high (got {r.low}, {r.high})")
        if not r.source.strip():
            raise ConfigError(f"{name}.source: cite a source or give the reason for the range")
        if screening and not r.low <= value <= r.high:
            raise ConfigError(
                f"{key}={value}: outside the range [{r.low}, {r.high}] the robustness screen"
                f" tries ('{key}' under {where}.uncertainty in the {where} file); screen a value"
                " inside it, or widen the range there"
            )
