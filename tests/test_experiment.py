"""Replications: serial = processes = Dask, failures recorded, resume without redoing work."""

from __future__ import annotations

import copy
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim.run.experiment as experiment
from sim.core.errors import CheckpointError
from sim.run.checkpoints import Checkpoints
from sim.run.experiment import progress_bar, run_replications
from tests.test_model import NET, make_config


def _kpis(results) -> pd.DataFrame:
    return pd.DataFrame([{"rep": r.rep, **r.kpis} for r in results])


def config(executor: str, reps: int = 4):
    cfg = make_config(teams=2)
    cfg.experiment.replications = reps
    cfg.experiment.executor = executor
    cfg.experiment.workers = 2
    return cfg


def test_processes_equal_serial():
    serial = _kpis(run_replications(config("serial"), NET))
    parallel = _kpis(run_replications(config("processes"), NET))
    pd.testing.assert_frame_equal(serial, parallel)
    assert serial["incidents"].sum() > 0


def test_dask_local_cluster_equals_serial():
    pytest.importorskip("dask.distributed")
    serial = _kpis(run_replications(config("serial", 3), NET))
    dask = _kpis(run_replications(config("dask", 3), NET))
    pd.testing.assert_frame_equal(serial, dask)


_CACHED_THEN_DASK = """
import pandas as pd
from sim.cli import compose_config
from sim.run.app import prepare
from sim.run.experiment import run_replications
over = ["scenario=flood_evacuation", "district=fengdu", "experiment.replications=2"]
conf, net = prepare(compose_config([*over, "experiment.executor=serial"]))
kpis = lambda rs: pd.DataFrame([{"rep": r.rep, **r.kpis} for r in rs])
serial = kpis(run_replications(conf, net))  # fills net's cache under closures
conf.experiment.executor, conf.experiment.workers = "dask", 1
pd.testing.assert_frame_equal(serial, kpis(run_replications(conf, net)))
"""


def test_dask_equals_serial_after_the_parent_cached_rows_under_closures():
    """A network whose cache holds closure states and rows of an earlier run in the parent
    gives a Dask worker (a fresh process) the same replications: cached ids are unique only
    per process, so a shipped cache would answer for other closed roads in the worker.
    In a fresh interpreter, so that the parent's ids are those of a command-line run."""
    pytest.importorskip("dask.distributed")
    root = Path(__file__).resolve().parent.parent
    r = subprocess.run(
        [sys.executable, "-c", _CACHED_THEN_DASK], cwd=root, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr[-2000:]


def test_failing_replication_is_recorded_and_others_finish(monkeypatch):
    real = experiment.run_one

    def flaky(cfg, net, rep):
        if rep == 2:
            raise RuntimeError("boom")
        return real(cfg, net, rep)

    monkeypatch.setattr(experiment, "run_one", flaky)
    results = run_replications(config("serial"), NET)
    assert [r.rep for r in results] == [0, 1, 2, 3]
    assert "RuntimeError: boom" in results[2].error
    assert all(not r.error for r in results if r.rep != 2)


def test_resume_reuses_finished_replications(tmp_path, monkeypatch):
    ck = Checkpoints(tmp_path / "replications", "fp-1")
    cfg = config("serial", 3)
    first = run_replications(cfg, NET, checkpoints=ck)  # "interrupted" after 3 of 6
    calls = []
    real = experiment.run_one_safe

    def counting(cfg, net, rep):
        calls.append(rep)
        return real(cfg, net, rep)

    monkeypatch.setattr(experiment, "run_one_safe", counting)
    more = copy.deepcopy(cfg)
    more.experiment.replications = 6
    more.experiment.resume = True
    resumed = run_replications(more, NET, checkpoints=ck)
    assert calls == [3, 4, 5]
    fresh = run_replications(config("serial", 6), NET)
    pd.testing.assert_frame_equal(_kpis(resumed), _kpis(fresh))
    pd.testing.assert_frame_equal(_kpis(resumed[:3]), _kpis(first))


def test_resume_refuses_checkpoints_of_another_config(tmp_path):
    run_replications(config("serial", 2), NET, checkpoints=Checkpoints(tmp_path, "fp-1"))
    cfg = config("serial", 2)
    cfg.experiment.resume = True
    with pytest.raises(CheckpointError, match="different config"):
        run_replications(cfg, NET, checkpoints=Checkpoints(tmp_path, "fp-2"))


def test_checkpoints_can_be_checked_without_loading_them(tmp_path):
    """The pre-flight check of a resumed run (sim.cli) refuses what loading would refuse,
    before Hydra rewrites anything in the run folder (planner review)."""
    run_replications(config("serial", 2), NET, checkpoints=Checkpoints(tmp_path, "fp-1"))
    assert Checkpoints(tmp_path, "fp-1").check() == 2
    assert Checkpoints(tmp_path / "none", "fp-1").check() == 0  # nothing to resume yet
    with pytest.raises(CheckpointError, match=r"rep_00000\.json: made with a different config"):
        Checkpoints(tmp_path, "fp-2").check()
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(CheckpointError, match="unexpected entry"):
        Checkpoints(tmp_path, "fp-1").check()


def test_sequential_mode_stops_when_every_verdict_is_decided():
    from sim.config import TargetConfig
    from sim.run.app import run_experiment

    cfg = config("serial")
    cfg.experiment.sequential, cfg.experiment.batch, cfg.experiment.max_replications = True, 3, 12
    cfg.district.targets = {"lead": TargetConfig(metric="incidents", comparator=">=", threshold=0)}
    results, verdicts = run_experiment(cfg, NET, None, progress=False)
    assert len(results) == 3 and verdicts[0].verdict == "PASS" and verdicts[0].n == 3
    # a target whose estimate sits on its threshold can never be decided: sequential mode
    # stops at once and says so instead of burning replications up to the cap
    cfg.district.targets["mean"] = TargetConfig(
        metric="incidents",
        comparator=">=",
        threshold=float(pd.DataFrame([r.kpis for r in results])["incidents"].mean()),
    )
    results, verdicts = run_experiment(cfg, NET, None, progress=False)
    by_key = {v.key: v for v in verdicts}
    assert by_key["lead"].n == 3
    assert by_key["mean"].verdict == "INCONCLUSIVE" and len(results) == 3
    assert "cannot decide" in by_key["mean"].note
    # batches of one: the first replication gives no interval, so it is no reason to stop
    # (reviewer: sequential mode stopped after one replication, "cannot decide it")
    cfg.experiment.batch = 1
    results, verdicts = run_experiment(cfg, NET, None, progress=False)
    assert len(results) >= 2
    cfg.experiment.batch = 3
    # a target absent from the scenario is NOT MODELLED at once (no replications burned)
    cfg.district.targets = {"fire": TargetConfig(metric="fires_out_24h_share", threshold=0.95)}
    results, verdicts = run_experiment(cfg, NET, None, progress=False)
    assert len(results) == 3 and verdicts[0].verdict == "NOT MODELLED"


def test_unreachable_dask_scheduler_is_a_clear_error():
    pytest.importorskip("dask.distributed")
    from sim.core.errors import UserError

    cfg = config("dask", 2)
    cfg.experiment.scheduler = "tcp://127.0.0.1:1"  # nothing listens on port 1
    with pytest.raises(UserError, match=r"experiment.scheduler=tcp://127.0.0.1:1: cannot connect"):
        run_replications(cfg, NET)


def test_pickled_checkpoint_of_an_older_version_is_refused_not_loaded(tmp_path):
    """A pickle in replications/ is never unpickled (it could run code): one-line refusal."""
    folder = tmp_path / "replications"
    folder.mkdir()
    (folder / "rep_00000.pkl").write_bytes(b"csim.experiment\nRepResult\n.")
    with pytest.raises(CheckpointError, match="pickles are never loaded"):
        Checkpoints(folder, "fp-1").existing()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_in_a_terminal_redraws_one_line():
    out = _Terminal()
    bar = progress_bar(50, file=out)
    for _ in range(50):
        bar.update()
    bar.close()
    text = out.getvalue()
    assert "\r" in text and text.rstrip("\n").count("\n") == 0  # redrawn in place
    assert "50/50" in text and "100%" in text


def test_progress_bar_in_a_log_writes_a_line_per_tenth_at_most_every_few_seconds(monkeypatch):
    from sim.run import experiment

    clock = [0.0]
    monkeypatch.setattr(experiment._LogBar, "clock", staticmethod(lambda: clock[0]))
    out = io.StringIO()  # not a terminal, like a log file
    bar = progress_bar(200, file=out)
    for k in range(200):
        clock[0] = k * 0.5  # a replication every half second: 100 s in all
        bar.update()
    bar.close()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert len(lines) == 10  # a line per tenth (each 10 s apart), none at the start
    assert lines[-1].startswith("replications: 200/200 (100%)")
    done = [int(line.split(": ")[1].split("/")[0]) for line in lines]
    assert done == list(range(20, 201, 20))

    out = io.StringIO()  # a short run: the tenths come faster than LOG_SECONDS
    bar = progress_bar(200, file=out)
    for k in range(200):
        clock[0] = 100 + k * 0.01
        bar.update()
    bar.close()
    assert out.getvalue().splitlines() == [out.getvalue().splitlines()[-1]]
    assert out.getvalue().startswith("replications: 200/200 (100%)")


def test_progress_flag_off_writes_nothing_and_run_replications_reports_on_stderr(capsys):
    out = io.StringIO()
    bar = progress_bar(10, enabled=False, file=out)
    bar.update(10)
    bar.close()
    assert out.getvalue() == ""
    run_replications(config("serial", 3), NET, progress=False)
    assert capsys.readouterr().err == ""
    run_replications(config("serial", 3), NET, progress=True)
    err = capsys.readouterr().err  # pytest's stderr is no terminal: the log lines
    assert err.splitlines()[-1].startswith("replications (storm): 3/3 (100%)")


def test_a_resume_after_the_network_file_changed_is_refused(tmp_path):
    """Failure-mode review: with every speed in the network file divided by 3, a resume
    reused the replications of the old network (response 31.4 min against 66 fresh), since
    the checkpoints' fingerprint covered the config only."""
    import shutil

    from sim.cli import compose_config
    from sim.core.paths import resolve_path
    from sim.run.app import fingerprint

    shipped = resolve_path(compose_config([]).district.network)
    copy = tmp_path / shipped.name
    shutil.copy(shipped, copy)
    cfg = compose_config([f"district.network={copy}"])
    before = fingerprint(cfg)
    assert fingerprint(compose_config([f"district.network={copy}"])) == before
    copy.write_bytes(copy.read_bytes() + b"\n")  # any change of the file
    assert fingerprint(cfg) != before
