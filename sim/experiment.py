"""Replications: serial or on local processes, identical results either way.

Every replication is a pure function of (config, network, replication number): its random
streams come from ``SeedSequence(seed)`` with spawn key ``(rep, stream)``, so the order
in which workers finish does not matter and common random numbers hold across layouts.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import pandas as pd

from sim.config import Config
from sim.metrics import replication_kpis
from sim.model import run_replication
from sim.modules import RESPONSE_MODULES
from sim.network import RoadNetwork


@dataclass
class RepResult:
    """The picklable outcome of one replication."""

    rep: int
    kpis: dict[str, float]
    tables: dict[str, pd.DataFrame]  # per-module detail tables, each with a 'rep' column
    events: pd.DataFrame | None
    n_events: int


def run_one(cfg: Config, net: RoadNetwork, rep: int) -> RepResult:
    """Run and measure replication ``rep``."""
    r = run_replication(cfg, net, rep)
    ev = r.events()
    kpis = replication_kpis(r)
    tables = {}
    for module in RESPONSE_MODULES:
        for name, table in getattr(module, "tables", lambda r, e: {})(r, ev).items():
            tables[name] = table.assign(rep=rep)[["rep", *table.columns]]
    keep = ev.assign(rep=rep) if cfg.experiment.save_events else None
    return RepResult(rep, kpis, tables, keep, len(ev))


_WORKER: dict = {}


def _init_worker(cfg: Config, net: RoadNetwork) -> None:
    _WORKER["cfg"], _WORKER["net"] = cfg, net


def _run_in_worker(rep: int) -> RepResult:
    return run_one(_WORKER["cfg"], _WORKER["net"], rep)


def run_replications(cfg: Config, net: RoadNetwork) -> list[RepResult]:
    """All replications of the experiment, in replication order."""
    n = cfg.experiment.replications
    workers = cfg.experiment.workers or os.cpu_count() or 1
    if cfg.experiment.executor == "serial" or n == 1 or workers == 1:
        return [run_one(cfg, net, r) for r in range(n)]
    with ProcessPoolExecutor(
        max_workers=min(workers, n), initializer=_init_worker, initargs=(cfg, net)
    ) as pool:
        return list(pool.map(_run_in_worker, range(n)))
