"""``run_sim.log``: what the console showed during a run, each line with its time.

The run's tables, verdicts, warnings and errors are printed (to stdout and stderr), not
logged, so Hydra's own job log in the run folder stayed empty. :func:`tee_console` copies
both streams into it while the task runs: a line is written once it is complete, as a
terminal finally shows it (a progress bar redrawn with carriage returns leaves its last
state; a bar that erases itself leaves nothing). The file is opened for appending without
following a symlink, so a resumed run adds to the earlier run's log and a planted link is
never written through. What must not be kept (a passphrase shown once) is written to
:func:`unlogged` ``(sys.stdout)``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

LOG_NAME = "run_sim.log"  # Hydra's job log: ${hydra.job.name}.log, the job being run_sim


def _stamp() -> str:
    t = time.time()
    return time.strftime("[%Y-%m-%d %H:%M:%S", time.localtime(t)) + f",{int(t % 1 * 1000):03d}]"


class Tee:
    """A text stream that writes to ``stream`` and, line by line, to ``log``: each line with
    its time, or (``timed=False``: a drill, whose log must not give the run's wall time)
    without."""

    def __init__(self, stream: TextIO, log: TextIO, tag: str, timed: bool = True) -> None:
        self._stream, self._log, self._tag, self._timed = stream, log, tag, timed
        self._partial = ""

    def _head(self) -> str:
        if self._timed:
            return f"{_stamp()}{self._tag} "
        return f"{self._tag} " if self._tag else ""

    def write(self, text: str) -> int:
        n = self._stream.write(text)
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            shown = line.rsplit("\r", 1)[-1].rstrip()
            self._log.write(f"{self._head()}{shown}\n" if shown else "\n")
        if lines:
            self._log.flush()
        return n

    def close_line(self) -> None:
        """Write what is left of an unfinished line (unless a carriage return erased it)."""
        shown = self._partial.rsplit("\r", 1)[-1].rstrip()
        if shown:
            self._log.write(f"{self._head()}{shown}\n")
            self._log.flush()
        self._partial = ""

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str):  # isatty, fileno, encoding, ... of the console
        return getattr(self._stream, name)


def unlogged(stream: TextIO) -> TextIO:
    """The console behind ``stream``, so that what is written there stays off the log (a
    secret shown once, such as a drill passphrase made for the user)."""
    return stream._stream if isinstance(stream, Tee) else stream


@contextlib.contextmanager
def tee_console(folder: Path, timed: bool = True) -> Iterator[None]:
    """Copy stdout and stderr into ``folder/run_sim.log`` while the block runs, each line
    with its time (``timed=False``: without, for a drill, whose log must not give away the
    run's wall time, a hint at the hazard drawn).

    A log that cannot be opened (a symlink, a read-only folder) leaves the console as it is:
    the run goes on, and its own writes report the folder's problem.
    """
    try:
        fd = os.open(
            folder / LOG_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644
        )
    except OSError:
        yield
        return
    log = open(fd, "w", encoding="utf-8")  # noqa: SIM115 (closed below)
    out, err = sys.stdout, sys.stderr
    tees = (Tee(out, log, "", timed), Tee(err, log, "[stderr]", timed))
    sys.stdout, sys.stderr = tees  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
        for tee in tees:
            tee.close_line()
        log.close()
