"""Replications: serial, on local processes or on a Dask cluster, identical results either way.

Every replication is a pure function of (config, network, replication number): its random
streams come from ``SeedSequence(seed)`` with spawn key ``(rep, stream)``, so the order in
which workers finish does not matter and common random numbers hold across layouts.

A replication that raises is recorded with its error and the others still finish. With a
checkpoint directory every finished replication is pickled there at once, so an interrupted
run resumes without redoing them (``experiment.resume=true``).
"""

from __future__ import annotations

import os
import pickle
import sys
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.config import Config
from sim.core.errors import UserError
from sim.core.network import RoadNetwork
from sim.modules import RESPONSE_MODULES
from sim.run.metrics import replication_kpis
from sim.run.replication import run_replication


@dataclass
class RepResult:
    """The picklable outcome of one replication."""

    rep: int
    kpis: dict[str, float]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # each with a 'rep' column
    events: pd.DataFrame | None = None
    n_events: int = 0
    error: str = ""  # non-empty if the replication failed


def run_one(cfg: Config, net: RoadNetwork, rep: int) -> RepResult:
    """Run and measure replication ``rep``."""
    r = run_replication(cfg, net, rep)
    ev = r.events()
    kpis = replication_kpis(r)
    closures = ev[ev.event == "road_close"][["t", "entity", "node", "ref"]]
    tables = {"road_closures": closures.assign(rep=rep)[["rep", *closures.columns]]}
    for module in RESPONSE_MODULES:
        for name, table in module.tables(r, ev).items():
            tables[name] = table.assign(rep=rep)[["rep", *table.columns]]
    keep = ev.assign(rep=rep) if cfg.experiment.save_events else None
    return RepResult(rep, kpis, tables, keep, len(ev))


def run_one_safe(cfg: Config, net: RoadNetwork, rep: int) -> RepResult:
    """:func:`run_one`, with an exception turned into a failed :class:`RepResult`."""
    try:
        return run_one(cfg, net, rep)
    except Exception as exc:  # a model bug or an impossible draw must not sink the others
        where = traceback.extract_tb(exc.__traceback__)[-1]
        msg = f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})"
        return RepResult(rep, {}, error=msg)


# ---------------------------------------------------------------------------- executors
_WORKER: dict = {}


def _init_worker(cfg: Config, net: RoadNetwork) -> None:
    _WORKER["cfg"], _WORKER["net"] = cfg, net


def _run_in_worker(rep: int) -> RepResult:
    return run_one_safe(_WORKER["cfg"], _WORKER["net"], rep)


def _serial(cfg: Config, net: RoadNetwork, reps: list[int]) -> Iterator[RepResult]:
    for r in reps:
        yield run_one_safe(cfg, net, r)


def _processes(cfg: Config, net: RoadNetwork, reps: list[int]) -> Iterator[RepResult]:
    workers = min(cfg.experiment.workers or os.cpu_count() or 1, len(reps))
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(cfg, net)) as pool:
        futures = [pool.submit(_run_in_worker, r) for r in reps]
        for fut in as_completed(futures):
            yield fut.result()


def _dask(cfg: Config, net: RoadNetwork, reps: list[int]) -> Iterator[RepResult]:
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError:
        raise UserError(
            "experiment.executor=dask: needs dask distributed (pip install -e .[cluster])"
        ) from None
    ex = cfg.experiment
    cluster = None
    if ex.scheduler:
        try:
            client = Client(ex.scheduler, timeout="5s")
        except (OSError, TimeoutError) as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UserError(
                f"experiment.scheduler={ex.scheduler}: cannot connect ({msg})"
            ) from None
    else:
        cluster = LocalCluster(
            n_workers=ex.workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        client = Client(cluster)
    try:
        cfg_f, net_f = client.scatter([cfg, net], broadcast=True)
        futures = [client.submit(run_one_safe, cfg_f, net_f, r, pure=False) for r in reps]
        for fut in dask_completed(futures):
            yield fut.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


EXECUTORS = {"serial": _serial, "processes": _processes, "dask": _dask}


# ---------------------------------------------------------------------------- checkpoints
class Checkpoints:
    """Finished replications pickled in ``<run dir>/replications/``, keyed by a fingerprint."""

    def __init__(self, folder: Path, fingerprint: str) -> None:
        self.folder = folder
        self.fingerprint = fingerprint

    def _path(self, rep: int) -> Path:
        return self.folder / f"rep_{rep:05d}.pkl"

    def existing(self) -> dict[int, RepResult]:
        """Finished replications made with the same fingerprint (raises ValueError if not)."""
        fp = self.folder / "fingerprint.txt"
        if not fp.exists():
            return {}
        if fp.read_text().strip() != self.fingerprint:
            raise ValueError(f"checkpoints in {self.folder} were made with a different config")
        out = {}
        for p in sorted(self.folder.glob("rep_*.pkl")):
            try:
                with p.open("rb") as fh:
                    res: RepResult = pickle.load(fh)
            except (pickle.UnpicklingError, ImportError, AttributeError, EOFError) as exc:
                raise ValueError(
                    f"checkpoint {p.name} in {self.folder} cannot be read by this version "
                    f"({type(exc).__name__}); start a new run folder"
                ) from None
            if not res.error:
                out[res.rep] = res
        return out

    def save(self, res: RepResult) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "fingerprint.txt").write_text(self.fingerprint)
        tmp = self._path(res.rep).with_suffix(".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(res, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(self._path(res.rep))


class Progress:
    """A one-line progress bar on stderr (a line per 10% when not a terminal)."""

    def __init__(self, total: int, label: str = "replications", enabled: bool = True) -> None:
        self.total, self.done, self.label, self.enabled = total, 0, label, enabled
        self.tty = sys.stderr.isatty()
        self._last_decile = -1

    def update(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled or self.total == 0:
            return
        frac = self.done / self.total
        if self.tty:
            bar = "#" * int(30 * frac)
            end = "\n" if self.done >= self.total else ""
            print(
                f"\r{self.label} [{bar:<30s}] {self.done}/{self.total}",
                end=end,
                file=sys.stderr,
                flush=True,
            )
        elif int(frac * 10) > self._last_decile:
            self._last_decile = int(frac * 10)
            print(f"{self.label}: {self.done}/{self.total}", file=sys.stderr, flush=True)


def run_replications(
    cfg: Config,
    net: RoadNetwork,
    reps: Iterable[int] | None = None,
    checkpoints: Checkpoints | None = None,
    progress: bool = False,
) -> list[RepResult]:
    """Run replications ``reps`` (default: all), reusing checkpointed ones; in rep order."""
    reps = list(range(cfg.experiment.replications) if reps is None else reps)
    done = checkpoints.existing() if checkpoints and cfg.experiment.resume else {}
    results = {r: done[r] for r in reps if r in done}
    todo = [r for r in reps if r not in results]
    bar = Progress(len(reps), enabled=progress)
    bar.update(len(results))
    if todo:
        ex = cfg.experiment
        serial = (
            ex.executor == "serial"
            or len(todo) == 1
            or (ex.executor == "processes" and (ex.workers or os.cpu_count() or 1) == 1)
        )
        runner = _serial if serial else EXECUTORS[ex.executor]
        for res in runner(cfg, net, todo):
            if checkpoints is not None:
                checkpoints.save(res)
            results[res.rep] = res
            bar.update()
    return [results[r] for r in reps]
