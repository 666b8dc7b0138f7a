"""The secret draw of a double-blind drill: seed, hazard, date and start time.

The seed comes from the operating system's CSPRNG (:mod:`secrets`) and is never printed;
everything else is drawn from it through the named stream ``drill/draw`` of
:class:`sim.core.streams.Streams`, so the same secret seed (and the same config) gives the
same drill, and nobody who lacks the seed can say which hazard was drawn. The place is drawn
by the hazard generator itself from its own risk model (population for storm and earthquake
incidents, registered geo-hazard points, forest area, tanker traffic by road class) with
the same secret seed.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import asdict, dataclass

import numpy as np
from omegaconf import DictConfig

from sim.config import Config, DrillConfig, DrillHazardConfig
from sim.config.experiment import period_days
from sim.core.errors import UserError
from sim.core.streams import Streams


@dataclass(frozen=True)
class DrillDraw:
    """What was drawn: the drill's identity inside the seal."""

    secret_seed: int
    hazard: str  # key of experiment.drill.hazards ('' when a scenario outside the menu was given)
    scenario: str  # conf/scenario option
    drawn: bool  # True: drawn by likelihood; False: given by the designer
    date: str  # ISO date of the drill
    start_hour: float | None  # clock hour at scenario minute 0 (None: the scenario's own)
    likelihood: dict[str, float]  # normalised weights the hazard was drawn with

    def as_dict(self) -> dict:
        return asdict(self)


def in_periods(day: dt.date, periods: list[str]) -> bool:
    """Whether ``day`` falls inside one of ``periods`` ("MM-DD/MM-DD", the config's)."""
    md = (day.month, day.day)
    return any(lo <= md <= hi for lo, hi in map(period_days, periods))


def new_secret_seed() -> int:
    """A fresh 63-bit seed from the OS's cryptographic random source."""
    return secrets.randbits(63)


def draw_seeds(secret_seed: int, max_draws: int) -> list[int]:
    """The seeds of the successive draws of one drill: the secret seed itself, then the
    next values of its named stream ``drill/redraw`` (63 bits each). A draw whose MSEL has
    fewer than ``min_injects`` injects is drawn again from the next one, so the secret seed
    still fixes the package (``experiment.drill.min_injects``, docs/drills.md)."""
    rng = Streams(secret_seed, 0)("drill/redraw")
    rest = [int(x) for x in rng.integers(0, 2**63, size=max(int(max_draws) - 1, 0))]
    return [int(secret_seed), *rest]


def _weights(menu: dict[str, DrillHazardConfig], district: str) -> dict[str, float]:
    w = {k: float(h.likelihood.get(district, 0.0)) for k, h in menu.items()}
    total = sum(w.values())
    if total <= 0:
        raise UserError(
            f"experiment.drill.hazards: no hazard has a likelihood for district '{district}'"
        )
    return {k: v / total for k, v in w.items() if v > 0}


def _day_weights(h: DrillHazardConfig | None, days: list[dt.date]) -> np.ndarray:
    """Each day's weight for hazard ``h`` (its month's weight, 0 outside its periods)."""
    months = h.month_weights if h is not None else [1.0] * 12
    periods = h.periods if h is not None else []
    return np.array(
        [months[d.month - 1] * (not periods or in_periods(d, periods)) for d in days], dtype=float
    )


def draw_drill(
    secret_seed: int,
    district: str,
    drill: DrillConfig,
    given_scenario: str | None,
    earliest: dt.date,
) -> DrillDraw:
    """Draw hazard (unless given), date and start hour from ``secret_seed``.

    ``earliest`` is the first day a date may be drawn from when ``not_before`` is empty.
    """
    rng: np.random.Generator = Streams(secret_seed, 0)("drill/draw")
    menu = drill.hazards
    likelihood = _weights(menu, district) if menu else {}
    first = dt.date.fromisoformat(drill.not_before) if drill.not_before else earliest
    days = [first + dt.timedelta(days=i) for i in range(drill.horizon_days)]
    if given_scenario:
        hits = [k for k, h in menu.items() if (h.scenario or k) == given_scenario]
        hazard = hits[0] if hits else ""
        scenario, drawn = given_scenario, False
    else:
        if not likelihood:
            raise UserError("experiment.drill.hazards: empty; give scenario=... or a hazard menu")
        # Only hazards with a season day inside the horizon take part in the draw: checked
        # after the draw, the error named the secretly drawn hazard (a re-run revealed it).
        keys = sorted(k for k in likelihood if _day_weights(menu[k], days).sum() > 0)
        if not keys:
            raise UserError(
                f"experiment.drill.horizon_days={drill.horizon_days}: no day of any drill "
                f"hazard's season ({', '.join(sorted(likelihood))}) falls within "
                f"{drill.horizon_days} days from {first}; give a longer horizon or another "
                "not_before"
            )
        total = sum(likelihood[k] for k in keys)
        likelihood = {k: likelihood[k] / total for k in keys}
        hazard = str(rng.choice(keys, p=[likelihood[k] for k in keys]))
        scenario, drawn = menu[hazard].scenario or hazard, True
    h = menu.get(hazard) if hazard else None
    w = _day_weights(h, days)
    if w.sum() <= 0:  # only a scenario given by the designer (not secret) gets here
        raise UserError(
            f"experiment.drill.hazards.{hazard}.month_weights: no day of its season falls "
            f"within {drill.horizon_days} days from {first}"
        )
    date = days[int(rng.choice(len(days), p=w / w.sum()))]
    start_hour = None
    if h is not None and h.start_hours:
        lo, hi = h.start_hours
        # whole 5-minute steps, strictly before 24:00
        steps = int(round((hi - lo) * 12))
        start_hour = lo + int(rng.integers(0, max(steps, 1))) / 12.0
    return DrillDraw(
        int(secret_seed), hazard, scenario, drawn, date.isoformat(), start_hour, likelihood
    )


def drill_overrides(draw: DrillDraw, drill: DrillConfig) -> list[str]:
    """Hydra overrides that turn the drawn hazard into the drill's scenario config."""
    out = [f"scenario={draw.scenario}", f"scenario.name={draw.scenario}"]
    h = drill.hazards.get(draw.hazard) if draw.hazard else None
    if h is not None:
        out += list(h.overrides)
    if draw.start_hour is not None:
        out.append(f"scenario.start_hour={draw.start_hour:.6f}")
    return out


def scenario_override(override: str) -> str | None:
    """The scenario option one override names (``scenario=NAME``), None for another key."""
    key, _, value = override.partition("=")
    return value if key.lstrip("+") == "scenario" else None


def given_scenario(overrides: list[str]) -> str | None:
    """The scenario option a command line names, None if it names none (the menu draws)."""
    return next((v for o in overrides if (v := scenario_override(o))), None)


def check_drill_config(
    conf: Config | DictConfig, overrides: list[str], today: dt.date | None = None
) -> None:
    """Refuse, in one line naming the field, a drill that would seal a wrong package.

    ``conf`` is the composed config (typed or a DictConfig); nothing is checked unless
    ``experiment.mode`` is ``drill``. ``today`` is the machine's local date by default.
    A ``not_before`` before today is refused (the date would be drawn from the past), and
    so are ``scenario=audit`` (the whole-plan audit is not one scenario: no injects) and
    ``experiment.resume=true`` (a second drill sealed over the first one's folder).
    """
    if conf.experiment.mode != "drill":
        return
    drill = conf.experiment.drill
    today = today or dt.date.today()
    try:
        first = dt.date.fromisoformat(drill.not_before) if drill.not_before else None
    except ValueError:  # not an ISO date: sim.config.validate_drill says so
        first = None
    if first is not None and first < today:
        raise UserError(
            f"experiment.drill.not_before='{drill.not_before}': is in the past (today is "
            f"{today.isoformat()}); give today or a later date, or '' for tomorrow"
        )
    if conf.experiment.resume:
        raise UserError(
            "experiment.resume=true: a drill is never resumed (it would seal a second drill "
            "into the folder and replace README.txt, the first one's SHA-256 note); leave "
            "experiment.resume out, or give a new hydra.run.dir"
        )
    if given_scenario(overrides) == "audit":
        menu = sorted({h.scenario or k for k, h in drill.hazards.items()})
        listed = f" (drill menu: {', '.join(menu)})" if menu else ""
        raise UserError(
            "scenario=audit: a drill needs a single scenario, not the whole-plan audit; give "
            f"scenario=NAME{listed}, or leave scenario out to draw one by likelihood"
        )
