"""``experiment``: replications, seed, executor and checkpointing (conf/experiment/)."""

from __future__ import annotations

from dataclasses import dataclass


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


EXECUTORS = ("serial", "processes", "dask")
