"""``experiment``: replications, seed, executor and checkpointing (conf/experiment/)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from sim.config.checks import ConfigError, at_most, check_share, positive


def period_days(text: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """``"MM-DD/MM-DD"`` as ((month, day), (month, day)); ValueError if it is not a period
    of real days (29 February allowed) running forward within the year."""
    ends = []
    for part in text.split("/"):
        m, d = (int(x) for x in part.strip().split("-"))
        datetime.date(2024, m, d)  # (a leap year: 02-29 is a day)
        ends.append((m, d))
    if len(ends) != 2 or ends[0] > ends[1]:
        raise ValueError(text)
    return ends[0], ends[1]


@dataclass
class DrillHazardConfig:
    """One hazard of the drill menu: which scenario it runs, how likely, when in the year/day.

    ``likelihood`` maps a district name to a relative weight (a district not listed never
    draws it); ``month_weights`` are 12 relative weights, January first; ``start_hours`` is
    the clock window ``[from, to)`` the scenario's start hour is drawn from ([] keeps the
    scenario's own ``start_hour``); ``overrides`` are extra Hydra overrides for the drill.
    """

    scenario: str = ""  # conf/scenario option ('' = the menu key)
    likelihood: dict[str, float] = field(default_factory=dict)
    month_weights: list[float] = field(default_factory=lambda: [1.0] * 12)
    # days of the year it can fall on, as "MM-DD/MM-DD" periods, both ends included ([]:
    # any day its month allows): month weights cannot say "1-10 May"
    periods: list[str] = field(default_factory=list)
    start_hours: list[float] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    min_injects: int = 0  # fewest injects of its MSEL (0: experiment.drill.min_injects)
    label_zh: str = ""
    label_en: str = ""
    source: str = ""


@dataclass
class DrillConfig:
    """Drill mode (``experiment=drill``): the secret draw, the MSEL and the seal."""

    benchmark_replications: int = 30  # replications behind each simulated median / P90
    window_h: float = 24.0  # scenario hours covered by the MSEL, from the first alarm
    max_injects: int = 40  # injects kept in the MSEL (most important first, then in time order)
    # fewest injects a sealed MSEL may have: a draw with fewer is drawn again (the next seed
    # of the secret seed's stream ``drill/redraw``), at most ``max_draws`` draws in all
    min_injects: int = 5
    max_draws: int = 20
    # the sealed file's lines are printed no earlier than this many seconds after the start:
    # how long the draw took (a storm seconds, a flood evacuation longer) hints at the hazard
    hold_s: float = 60.0
    not_before: str = ""  # ISO date: the drill date is drawn from here on ('' = tomorrow)
    horizon_days: int = 365  # ... within this many days
    passphrase_env: str = "DRILL_PASSPHRASE"  # environment variable holding the passphrase
    hazards: dict[str, DrillHazardConfig] = field(default_factory=dict)


@dataclass
class ExperimentConfig:
    replications: int = 10
    seed: int = 20261124
    hours: float = 72.0
    executor: str = "processes"  # serial | processes | dask
    workers: int = 0  # 0 = all cores
    scheduler: str = ""  # dask: scheduler address (tcp://host:8786); "" = local cluster
    save_events: bool = False
    events_format: str = "csv"  # csv | parquet
    sequential: bool = False  # add batches of replications until every verdict is decided
    batch: int = 10  # sequential: replications per batch
    max_replications: int = 200  # sequential: cap
    resume: bool = False  # reuse finished replications checkpointed in the run directory
    mode: str = "run"  # run | drill (experiment=drill: a sealed double-blind drill package)
    drill: DrillConfig = field(default_factory=DrillConfig)
    robustness_from: str = ""  # a robustness.json: the audit shows each verdict's label
    # ASSUMPTION: 10,000 replications are far beyond what a verdict needs; more is a typo
    # (10**9 would run for years) unless the user raises this cap on purpose.
    max_replications_cap: int = 10000
    # share of replications that may fail before the run ends with exit status 1; 0: any
    # failure does (a verdict over the survivors only would be biased). Outputs are written.
    max_failed_share: float = 0.0
    reps_per_task: int = 0  # replications per worker task (0: automatic, see experiment.py)


EXECUTORS = ("serial", "processes", "dask")

# ASSUMPTION: a horizon of more than 400 days (a whole-year fire season plus its tail) is a
# typo; the cap keeps a mistyped horizon from running for days.
MAX_HOURS = 24.0 * 400
MAX_WORKERS = 1024  # a local pool or local Dask cluster larger than this is a typo

_ADDRESS = re.compile(
    r"^(tcp|tls|ws|wss|ucx|inproc)://(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?/?$"
)


def scheduler_address(address: str) -> tuple[str, str, int | None]:
    """``tcp://host:8786`` -> ("tcp", "host", 8786); ConfigError naming the field if not one."""
    m = _ADDRESS.match(address)
    port = int(m.group(3)[1:]) if m and m.group(3) else None
    if not m or (port is not None and not 0 < port < 65536):
        raise ConfigError(
            f"experiment.scheduler={address!r}: not a scheduler address "
            "(give protocol://host:port, e.g. tcp://10.0.0.5:8786, or '' for a local cluster)"
        )
    return m.group(1), m.group(2).strip("[]"), port


def validate_experiment(ex: ExperimentConfig) -> None:
    """Counts, caps, the executor and the scheduler address of ``experiment``."""
    positive(ex.max_replications_cap, "experiment.max_replications_cap")
    cap_why = "raise experiment.max_replications_cap if you mean it"
    for name in ("replications", "batch", "max_replications"):
        positive(getattr(ex, name), f"experiment.{name}")
        at_most(getattr(ex, name), f"experiment.{name}", ex.max_replications_cap, cap_why)
    positive(ex.hours, "experiment.hours")
    at_most(ex.hours, "experiment.hours", MAX_HOURS)
    positive(ex.workers, "experiment.workers", allow_zero=True)
    at_most(ex.workers, "experiment.workers", MAX_WORKERS)
    positive(ex.reps_per_task, "experiment.reps_per_task", allow_zero=True)
    at_most(ex.reps_per_task, "experiment.reps_per_task", ex.max_replications_cap)
    check_share(ex.max_failed_share, "experiment.max_failed_share")
    if ex.executor not in EXECUTORS:
        raise ConfigError(
            f"experiment.executor='{ex.executor}': must be one of {', '.join(EXECUTORS)}"
        )
    if ex.events_format not in ("csv", "parquet"):
        raise ConfigError(f"experiment.events_format='{ex.events_format}': use csv or parquet")
    if ex.scheduler:
        scheduler_address(ex.scheduler)


@dataclass
class CompareConfig:
    """``compare``: alternatives run on common random numbers (sim/run/compare.py).

    Alternatives are the ``layouts`` (conf/layout options) and the ``variants`` (name ->
    overrides, space-separated, applied to the composed config). With no ``layouts`` the
    composed config itself is the first alternative, named after its layout.
    """

    layouts: list[str] = field(default_factory=list)
    variants: Any = (
        None  # dict name -> overrides; Any (not a typed dict) so `compare.variants={...}` sets it
    )
    baseline: str = ""  # name of the baseline alternative ('' = the first)
    alpha: float = 0.05  # family-wise error rate of the calls
    correction: str = "bonferroni"  # bonferroni | holm | none (more than one comparison)
    kpis: list[str] = field(default_factory=list)  # KPIs to compare ([] = all)


@dataclass
class SearchConfig:
    """``search``: where to place depots, teams or trucks (sim/run/search.py).

    ``items`` are keys of the layout entries to move: ``layout.depots.<key>.node``
    (place=depots), ``layout.teams.<key>.home`` (teams) or ``layout.relief.fleets.<key>.base``
    (trucks: candidate bases are the layout's stock-holding depots).
    """

    place: str = "depots"  # depots | teams | trucks
    items: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=lambda: ["town", "township", "street"])
    exclude: list[str] = field(default_factory=list)  # nodes never proposed
    demand: list[str] = field(default_factory=lambda: ["scenario", "population"])
    background_share: float = 0.1  # demand=scenario: weight spread over all towns by population
    method: str = "p_median"  # p_median | max_cover
    cover_min: float = 60.0  # max_cover: a demand node is covered within this drive
    solver: str = "highs"  # highs | cbc (PuLP)
    alternatives: int = 4  # analytic layouts per demand weighting carried to simulation
    baselines: Any = None  # dict name -> overrides to compare with (Any: settable as {...})
    reference: str = ""  # baseline the gain is measured against ('' = the first baseline)
    objective: str = "needs_met_mean_h"  # KPI column the selection optimises
    sense: str = "min"  # min | max
    delta: float = 0.25  # indifference zone of the selection, in the objective's unit
    alpha: float = 0.05  # 1 - alpha = probability of correct selection (KN)
    n0: int = 10  # first-stage replications of every alternative
    batch: int = 5  # replications fetched per sequential step
    budget_runs: int = 300  # replications in all (selection + final comparison)
    report_top: int = 3  # best layouts in the final paired comparison


@dataclass
class RobustnessConfig:
    """``robustness``: screen the ranged assumptions against the targets (sim/run/robustness.py).

    One-at-a-time (``oat``): every ranged key at its low and high end, the rest at base, on
    common random numbers; where a verdict changes between base and an end, bisection finds
    the value where it flips. ``morris``: Morris elementary effects (SALib) in addition.
    """

    method: str = "oat"  # oat | morris
    bisect_steps: int = 3  # bisection steps per flip (bracket = range / 2**steps)
    keys: list[str] = field(default_factory=list)  # ranged keys to screen ([] = all)
    targets: list[str] = field(default_factory=list)  # targets to screen ([] = all)
    morris_trajectories: int = 4  # morris: trajectories (runs = trajectories x (keys + 1))
    morris_levels: int = 4  # morris: grid levels


ROBUSTNESS_METHODS = ("oat", "morris")


def validate_robustness(rob: RobustnessConfig | None) -> None:
    """Checks of the ``robustness`` section (when present)."""
    if rob is None:
        return
    if rob.method not in ROBUSTNESS_METHODS:
        raise ConfigError(f"robustness.method='{rob.method}': use {', '.join(ROBUSTNESS_METHODS)}")
    positive(rob.bisect_steps, "robustness.bisect_steps", allow_zero=True)
    positive(rob.morris_trajectories, "robustness.morris_trajectories")
    if rob.morris_levels < 2:
        raise ConfigError(f"robustness.morris_levels={rob.morris_levels}: needs at least 2")


PLACE_KINDS = ("depots", "teams", "trucks")
SEARCH_METHODS = ("p_median", "max_cover")
SEARCH_DEMAND = ("scenario", "population")
SOLVERS = ("highs", "cbc")


def validate_modes(compare: CompareConfig | None, search: SearchConfig | None) -> None:
    """Checks of the ``compare`` and ``search`` sections (when present)."""
    if compare is not None:
        _check_named_overrides(compare.variants, "compare.variants")
        if compare.correction not in ("bonferroni", "holm", "none"):
            raise ConfigError(
                f"compare.correction='{compare.correction}': use bonferroni, holm or none"
            )
        if not 0 < compare.alpha < 1:
            raise ConfigError(f"compare.alpha={compare.alpha}: must be between 0 and 1")
    if search is None:
        return
    _check_named_overrides(search.baselines, "search.baselines")
    if search.place not in PLACE_KINDS:
        raise ConfigError(f"search.place='{search.place}': use {', '.join(PLACE_KINDS)}")
    if search.method not in SEARCH_METHODS:
        raise ConfigError(f"search.method='{search.method}': use {', '.join(SEARCH_METHODS)}")
    if search.solver not in SOLVERS:
        raise ConfigError(f"search.solver='{search.solver}': use {', '.join(SOLVERS)}")
    if not search.demand:
        raise ConfigError(
            f"search.demand: empty; name at least one demand weighting ({', '.join(SEARCH_DEMAND)})"
        )
    for d in search.demand:
        if d not in SEARCH_DEMAND:
            raise ConfigError(f"search.demand: '{d}' is not one of {', '.join(SEARCH_DEMAND)}")
    if search.sense not in ("min", "max"):
        raise ConfigError(f"search.sense='{search.sense}': use min or max")
    if not search.items:
        raise ConfigError("search.items: name the layout entries to place")
    dup = sorted({i for i in search.items if list(search.items).count(i) > 1})
    if dup:  # (the two moves would set the same key: one site silently dropped)
        raise ConfigError(
            f"search.items: '{dup[0]}' named twice; each layout entry is placed once "
            "(name as many entries as sites to place)"
        )
    if not 0 < search.alpha < 1:
        raise ConfigError(f"search.alpha={search.alpha}: must be between 0 and 1")
    positive(search.delta, "search.delta")
    positive(search.alternatives, "search.alternatives")
    positive(search.budget_runs, "search.budget_runs")
    positive(search.batch, "search.batch")
    positive(search.report_top, "search.report_top")
    positive(search.cover_min, "search.cover_min")
    if search.n0 < 2:
        raise ConfigError(f"search.n0={search.n0}: needs at least 2 first-stage replications")
    if not 0 <= search.background_share <= 1:
        raise ConfigError(f"search.background_share={search.background_share}: must be in [0, 1]")


def _check_named_overrides(value: Any, field_name: str) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(
            f"{field_name}: must map names to override strings, e.g. {{name: 'a.b=1'}}"
        )


DRILL_MODES = ("run", "drill")


def validate_drill(ex: ExperimentConfig) -> None:
    """Checks of ``experiment.mode`` and ``experiment.drill`` (ConfigError names the field)."""
    if ex.mode not in DRILL_MODES:
        raise ConfigError(f"experiment.mode='{ex.mode}': must be one of {', '.join(DRILL_MODES)}")
    d = ex.drill
    positive(d.benchmark_replications, "experiment.drill.benchmark_replications")
    positive(d.window_h, "experiment.drill.window_h")
    positive(d.max_injects, "experiment.drill.max_injects")
    positive(d.min_injects, "experiment.drill.min_injects")
    positive(d.max_draws, "experiment.drill.max_draws")
    positive(d.hold_s, "experiment.drill.hold_s", allow_zero=True)
    if d.min_injects > d.max_injects:
        raise ConfigError(
            f"experiment.drill.min_injects={d.min_injects}: more than max_injects="
            f"{d.max_injects} (no MSEL could have them)"
        )
    positive(d.horizon_days, "experiment.drill.horizon_days")
    if d.not_before:
        try:
            datetime.date.fromisoformat(d.not_before)
        except ValueError:
            raise ConfigError(
                f"experiment.drill.not_before='{d.not_before}': use an ISO date (2027-05-01)"
            ) from None
    for key, h in d.hazards.items():
        f = f"experiment.drill.hazards.{key}"
        if len(h.month_weights) != 12 or min(h.month_weights) < 0 or sum(h.month_weights) <= 0:
            raise ConfigError(f"{f}.month_weights: need 12 weights >= 0, not all 0")
        if any(w < 0 for w in h.likelihood.values()):
            raise ConfigError(f"{f}.likelihood: weights must be >= 0")
        for text in h.periods:
            try:
                period_days(text)
            except ValueError:
                raise ConfigError(
                    f"{f}.periods: '{text}' is not MM-DD/MM-DD (e.g. 01-01/05-10)"
                ) from None
        if not 0 <= h.min_injects <= d.max_injects:
            raise ConfigError(
                f"{f}.min_injects={h.min_injects}: use 0 (experiment.drill.min_injects) to "
                f"max_injects={d.max_injects}"
            )
        if h.start_hours and not (
            len(h.start_hours) == 2 and 0 <= h.start_hours[0] < h.start_hours[1] <= 24
        ):
            raise ConfigError(f"{f}.start_hours={h.start_hours}: use [from, to) within 0-24")
