"""Replications: serial, on local processes or on a Dask cluster, identical results either way.

Every replication is a pure function of (config, network, replication number): its random
streams come from ``SeedSequence(seed)`` with spawn key ``(rep, stream)``, so the order in
which workers finish does not matter and common random numbers hold across layouts.

A replication that raises is recorded with its error and the others still finish. With a
checkpoint folder every finished replication is saved there at once (signed JSON,
:mod:`sim.run.checkpoints`), so an interrupted run resumes without redoing them
(``experiment.resume=true``).

Faults the executors survive:

- **A worker process dies** (killed, out of memory, a crash in native code): the process pool
  breaks, every task in flight is lost. Those replications are re-run one at a time in a
  fresh pool; one that kills its worker again is recorded as failed (with its replication
  number and seed, in ``summary.json``) and the others finish. On Dask the scheduler re-runs a
  lost task elsewhere (``retries``); a task that kills worker after worker ends as a failed
  replication.
- **Ctrl-C** (or SIGTERM): workers ignore SIGINT, the main process terminates them, and the
  replications already checkpointed stay resumable. No worker outlives the run: each one
  also watches its parent and exits when the parent is gone (even after ``kill -9``).
- **Dask data**: the config and network travel with each task (a few tens of kB), so no
  worker holds the only copy of shared data; a lost worker costs only its own tasks.

Short replications are grouped into tasks (``experiment.reps_per_task``; 0 = automatic: a
task lasts at least about half a second once the first replications have been timed) so
the per-task overhead stays small.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import pandas as pd
from tqdm import tqdm

from sim.config import Config
from sim.core.errors import UserError
from sim.core.eventlog import kind_table
from sim.core.network import RoadNetwork
from sim.modules import RESPONSE_MODULES
from sim.run.metrics import replication_kpis
from sim.run.replication import run_replication

if TYPE_CHECKING:
    from sim.run.checkpoints import Checkpoints


@dataclass
class RepResult:
    """The outcome of one replication (sent between processes; saved as signed JSON)."""

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
    # (minutes from the scenario's start)
    columns = {"t_min": "t", "entity": "entity", "node": "node", "ref": "ref"}
    closures = kind_table(ev, "road_close", columns)
    tables = {"road_closures": with_rep(closures, rep)}
    for module in RESPONSE_MODULES:
        for name, table in module.tables(r, ev).items():
            tables[name] = with_rep(table, rep)
    # (kept as plain strings: the categorical event column is for the metrics' filters)
    keep = ev.assign(rep=rep, event=ev["event"].astype(str)) if cfg.experiment.save_events else None
    return RepResult(rep, kpis, tables, keep, len(ev))


def with_rep(table: pd.DataFrame, rep: int) -> pd.DataFrame:
    """``table`` with a first column ``rep`` (the replication of every row; the table
    itself is not changed)."""
    out = table.copy(deep=False)
    out.insert(0, "rep", rep)
    return out


def run_one_safe(cfg: Config, net: RoadNetwork, rep: int) -> RepResult:
    """:func:`run_one`, with an exception turned into a failed :class:`RepResult`."""
    try:
        return run_one(cfg, net, rep)
    except Exception as exc:  # a model bug or an impossible draw must not sink the others
        where = traceback.extract_tb(exc.__traceback__)[-1]
        text = " ".join(str(exc).split())  # one line
        msg = f"{type(exc).__name__}: {text} (at {Path(where.filename).name}:{where.lineno})"
        return RepResult(rep, {}, error=msg)


# ---------------------------------------------------------------------------- executors
LOST_WORKER = "worker process died while running this replication (killed or out of memory?)"
TASK_SECONDS = 0.5  # automatic batching: aim for tasks at least this long
_WORKER: dict = {}


def _watch_parent(parent: int) -> None:
    """Exit this worker as soon as its parent is gone (no orphans after ``kill -9``)."""
    while True:
        if os.getppid() != parent:
            os._exit(3)
        time.sleep(0.5)


def _init_worker(cfg: Config, net: RoadNetwork, parent: int) -> None:
    _WORKER["cfg"], _WORKER["net"] = cfg, net
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the main process stops us with SIGTERM
    try:  # Linux: the kernel also sends SIGTERM when the parent dies
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def run_chunk(cfg: Config, net: RoadNetwork, reps: list[int]) -> tuple[list[RepResult], float]:
    """Run replications ``reps`` one after the other; also the seconds they took."""
    t0 = time.perf_counter()
    results = [run_one_safe(cfg, net, r) for r in reps]
    return results, time.perf_counter() - t0


def _run_in_worker(reps: list[int]) -> tuple[list[RepResult], float]:
    return run_chunk(_WORKER["cfg"], _WORKER["net"], reps)


def lost(rep: int, why: str = LOST_WORKER) -> RepResult:
    """A replication recorded as failed because its worker was lost."""
    return RepResult(rep, {}, error=why)


class Batcher:
    """Chooses replications per task: fixed, or sized from the timed replications."""

    def __init__(self, fixed: int, workers: int) -> None:
        self.fixed, self.workers = fixed, workers
        self.reps, self.seconds = 0, 0.0

    def record(self, n: int, seconds: float) -> None:
        self.reps += n
        self.seconds += seconds

    def size(self, remaining: int) -> int:
        if self.fixed:
            return self.fixed
        if self.reps < self.workers:  # not timed yet: one replication per task
            return 1
        per_rep = self.seconds / self.reps
        want = math.ceil(TASK_SECONDS / per_rep) if per_rep > 0 else remaining
        fair = math.ceil(remaining / (2 * self.workers))  # keep every worker busy to the end
        return max(1, min(want, fair))


def _serial(cfg: Config, net: RoadNetwork, reps: list[int]) -> Iterator[RepResult]:
    for r in reps:
        yield run_one_safe(cfg, net, r)


def _pool(cfg: Config, net: RoadNetwork, workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(cfg, net, os.getpid()))


def _stop_pool(pool: ProcessPoolExecutor, wait_for_tasks: bool) -> None:
    """Shut the pool down; unless waiting, terminate its workers (no orphans, no stragglers)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    if wait_for_tasks:
        pool.shutdown(wait=True)
        return
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():
            p.kill()
            p.join(timeout=5)
    if manager is not None:  # let it finish before exit (its wake-up pipe races with atexit)
        manager.join(timeout=10)


def _processes(cfg: Config, net: RoadNetwork, reps: list[int]) -> Iterator[RepResult]:
    """Local process pool that survives a dead worker (see the module docstring)."""
    workers = min(cfg.experiment.workers or os.cpu_count() or 1, len(reps))
    batcher = Batcher(cfg.experiment.reps_per_task, workers)
    todo = deque(reps)
    suspects: deque[int] = deque()  # in flight when a worker died: re-run one at a time
    while todo or suspects:
        pool = _pool(cfg, net, workers)
        inflight: dict[Future, tuple[list[int], bool]] = {}
        broken = False
        clean = False
        try:
            while (todo or suspects or inflight) and not broken:
                chunk, alone = [], False
                try:
                    if suspects:
                        if not inflight:
                            chunk, alone = [suspects.popleft()], True
                            inflight[pool.submit(_run_in_worker, chunk)] = (chunk, True)
                    else:
                        while todo and len(inflight) < 2 * workers:
                            n = batcher.size(len(todo))
                            chunk = [todo.popleft() for _ in range(min(n, len(todo)))]
                            inflight[pool.submit(_run_in_worker, chunk)] = (chunk, False)
                except BrokenProcessPool:  # broke before this chunk was even submitted
                    (suspects if alone else todo).extendleft(reversed(chunk))
                    broken = True
                    break
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in done:
                    chunk, alone = inflight.pop(fut)
                    try:
                        results, seconds = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        inflight[fut] = (chunk, alone)  # handled with the others below
                        continue
                    if not alone:
                        batcher.record(len(chunk), seconds)
                    yield from results
            if broken:
                for fut, (chunk, alone) in inflight.items():
                    if fut.done() and not fut.cancelled() and fut.exception() is None:
                        yield from fut.result()[0]  # finished before the pool broke
                    elif alone:  # it ran by itself and its worker died again
                        yield from (lost(r) for r in chunk)
                    else:
                        suspects.extend(chunk)
                inflight.clear()
            clean = not broken
        finally:
            _stop_pool(pool, wait_for_tasks=clean)


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
        except (OSError, TimeoutError, ValueError) as exc:
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
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        size = ex.reps_per_task or max(1, math.ceil(len(reps) / (4 * workers)))

        # cfg and net go with every task (no scatter): no worker holds the only copy.
        def submit(chunk: list[int]) -> Future:
            return client.submit(run_chunk, cfg, net, chunk, pure=False)

        futures = {}
        for i in range(0, len(reps), size):
            chunk = reps[i : i + size]
            futures[submit(chunk)] = chunk
        pending = dask_completed(list(futures))
        for fut in pending:
            chunk = futures.pop(fut)
            try:
                results, _ = fut.result()
            except Exception as exc:  # KilledWorker and friends: the task's worker was lost
                if len(chunk) > 1:  # retry its replications one by one
                    for r in chunk:
                        new = submit([r])
                        futures[new] = [r]
                        pending.add(new)
                    continue
                why = f"{LOST_WORKER}: {type(exc).__name__}"
                results = [lost(chunk[0], why)]
            yield from results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


EXECUTORS = {"serial": _serial, "processes": _processes, "dask": _dask}


# ASSUMPTION: a log (stderr not a terminal) gets a line per tenth of the run, at most one per
# LOG_SECONDS, and the last one always: a long run shows that it moves and how fast, a short
# one writes a single line, and a 10,000-replication log stays readable.
LOG_LINES = 10
LOG_SECONDS = 5.0
LOG_FORMAT = "{desc}: {n_fmt}/{total_fmt} ({percentage:3.0f}%), {elapsed} elapsed, {remaining} left"


class _LogBar(tqdm):
    """tqdm for a log: one plain line each time another tenth of the total is done and
    ``LOG_SECONDS`` have passed since the last line, and one at the end (no carriage
    returns, no redraws)."""

    monitor_interval = 0  # no monitor thread re-timing the refreshes
    clock = staticmethod(time.monotonic)

    def __init__(self, *args, **kwargs) -> None:
        self._printed = 0  # last tenth printed (the start is not)
        self._printed_at = self.clock()
        super().__init__(*args, **kwargs)

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        if msg == "":  # close(leave=False) clearing the line: nothing to clear in a log
            return False
        last = self.n >= self.total
        tenth = LOG_LINES if last else int(LOG_LINES * self.n / self.total)
        now = self.clock()
        if tenth <= self._printed or (not last and now - self._printed_at < LOG_SECONDS):
            return False
        self._printed, self._printed_at = tenth, now
        self.fp.write(self.__str__() + "\n")
        self.fp.flush()
        return True


def progress_bar(
    total: int, enabled: bool = True, label: str = "replications", file: TextIO | None = None
) -> tqdm:
    """A tqdm progress bar on ``file`` (default stderr): a live bar in a terminal, in a log a
    line per tenth of ``total`` at most every ``LOG_SECONDS`` and the last line; writes
    nothing when not ``enabled``."""
    file = sys.stderr if file is None else file
    tty = bool(getattr(file, "isatty", lambda: False)())
    off = not enabled or total <= 0
    if tty:
        return tqdm(total=total, desc=label, unit="rep", file=file, disable=off)
    return _LogBar(
        total=total,
        desc=label,
        file=file,
        disable=off,
        bar_format=LOG_FORMAT,
        mininterval=0,
        miniters=1,
        leave=False,
    )


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
    bar = progress_bar(len(reps), enabled=progress, label=f"replications ({cfg.scenario.name})")
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
    bar.close()  # (on an exception tqdm closes it when it is collected)
    return [results[r] for r in reps]
