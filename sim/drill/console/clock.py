"""The drill clock: SimPy's real-time environment releasing injects on time.

Drill minute 0 is STARTEX (the first inject). ``simpy.rt.RealtimeEnvironment`` with
``factor = 60 / speed`` seconds per drill minute paces the releases (speed 60 = one drill hour
per real minute, for rehearsal). The clock state (running/paused, drill minute at an anchor
wall time, speed) is in SQLite, so a restarted console continues the same drill: injects that
fell due while it was down are released at once, marked ``catch-up`` - unless the window ran
out meanwhile: then ENDEX is recorded at the window's end and nothing is released after it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import simpy.rt

TICK_S = 0.1  # real seconds between checks for pause/stop while waiting for the next inject


def startex_of(pkg: dict) -> dt.datetime:
    """The clock time of STARTEX (drill minute 0): the package's clock ``start`` (scenario
    minute 0) plus ``startex_t_min``."""
    clock = pkg["clock"]
    return dt.datetime.fromisoformat(clock["start"]) + dt.timedelta(
        minutes=float(clock["startex_t_min"])
    )


def clock_minute(startex: dt.datetime, drill_min: float) -> dt.datetime:
    """The clock minute (seconds dropped) of drill minute ``drill_min``, STARTEX being at
    ``startex``: what an evaluator types (HH:MM), and so what observed times compare by."""
    return (startex + dt.timedelta(minutes=drill_min)).replace(second=0, microsecond=0)


def t_plus(drill_min: float) -> str:
    """``T+hh:mm`` of a drill minute, truncated to the minute like every clock time (the
    console's clock, ``clock_minute``): the one rule for the MSEL, the console and the
    review (the review rounded, and showed ENDEX at T+06:53 where the console said 06:52).
    The minutes are those of ``timedelta(minutes=drill_min)`` (to the microsecond, as every
    clock time is: 14.9999999999 is 15), so that a clock time STARTEX + ``drill_min``, from
    a whole-minute STARTEX, is always STARTEX + T+."""
    m = int(dt.timedelta(minutes=float(drill_min)) // dt.timedelta(minutes=1))
    sign = "-" if m < 0 else "+"
    m = abs(m)
    return f"T{sign}{m // 60:02d}:{m % 60:02d}"


def minutes_after(startex: dt.datetime, released_min: float, observed_min: float) -> float:
    """Drill minutes from a release to an observation, by the clock minute an evaluator types:
    an action seen in the minute of its release (released 18:15:06, typed 18:15) is 0 minutes
    after it, one typed in an earlier minute is negative (before the release). The console
    refuses a negative one; the review measures against the standard with it."""
    elapsed = observed_min - released_min
    if clock_minute(startex, observed_min) == clock_minute(startex, released_min):
        return max(elapsed, 0.0)
    return elapsed


def window_end_min(pkg: dict) -> float:
    """The drill minute at which the drill window ends (ENDEX at the latest): ``window_h``
    after STARTEX, or the last inject if it comes later."""
    t0 = float(pkg["clock"]["startex_t_min"])
    last = max((float(i["t_min"]) - t0 for i in pkg["msel"]), default=0.0)
    return max(float(pkg["clock"]["window_h"]) * 60.0, last)


def wall_at(clock: tuple, drill_min: float) -> float:
    """The real time at which a running clock (``Store.clock()``: state, drill minute at the
    anchor, anchor wall time, speed) reaches ``drill_min``."""
    _, m, wall, speed = clock
    return wall + (drill_min - m) * 60.0 / speed


def ran_out(clock: tuple | None, end_min: float) -> bool:
    """Whether a clock recorded as running has passed the end of its window (ENDEX by the
    window, not yet recorded: the console was down when it came)."""
    if clock is None or clock[0] != "running":
        return False
    return wall_at(clock, end_min) <= time.time()


class DrillClock:
    """Runs a SimPy real-time environment in a thread; pausing stops it, resuming restarts it."""

    def __init__(
        self,
        store,
        schedule: list[tuple[float, int]],
        release: Callable,
        speed: float,
        end_min: float,
    ) -> None:
        self.store = store
        self.schedule = sorted(schedule)  # (drill minute, seq)
        self.release = release  # release(seq, drill_min, how)
        self.end_min = end_min
        self._gen = 0
        self._thread: threading.Thread | None = None
        if store.clock() is None:
            store.set_clock("ready", 0.0, time.time(), float(speed))

    # ------------------------------------------------------------------ state
    @property
    def speed(self) -> float:
        return self.store.clock()[3]

    def state(self) -> str:
        return self.store.clock()[0]

    def now(self) -> float:
        """The drill minute now."""
        state, m, wall, speed = self.store.clock()
        if state == "running":
            return min(m + (time.time() - wall) * speed / 60.0, self.end_min)
        return m

    # ------------------------------------------------------------------ control
    def start(self) -> None:
        if self.state() == "ready":
            self.store.set_clock("running", 0.0, time.time(), self.speed)
        self.resume_thread(overdue="clock")

    def pause(self) -> None:
        if self.state() == "running":
            self._gen += 1
            self.store.set_clock("paused", self.now(), time.time(), self.speed)

    def resume(self) -> None:
        if self.state() == "paused":
            _, m, _, speed = self.store.clock()
            self.store.set_clock("running", m, time.time(), speed)
            self.resume_thread(overdue="clock")

    def ended(self) -> bool:
        """ENDEX is past: recorded, or the drill window is over (a clock running or paused
        at its end before the SimPy thread recorded it)."""
        state = self.state()
        return state == "ended" or (state != "ready" and self.now() >= self.end_min)

    def end(self) -> None:
        """ENDEX declared by the controller; an ended drill keeps its ENDEX."""
        if self.state() == "ended":
            return
        self._gen += 1
        self.store.end_clock(self.now(), time.time(), self.speed, "controller")

    def resume_thread(self, overdue: str = "catch-up") -> None:
        """(Re)start the SimPy thread from the current drill minute.

        Injects already due are released at once, marked ``overdue``: ``clock`` when the
        controller starts or resumes (thread start-up jitter only), ``catch-up`` when a
        restarted console finds injects that fell due while it was down - none when the
        drill window ran out meanwhile (only ENDEX is recorded then).
        """
        if self.state() != "running":
            return
        self._gen += 1
        gen = self._gen
        self._thread = threading.Thread(target=self._run, args=(gen, overdue), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the SimPy thread (it notices within ``TICK_S``) and wait for it, so that
        nothing writes to the records after they are closed."""
        self._gen += 1
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)

    # ------------------------------------------------------------------ the SimPy loop
    def _run(self, gen: int, overdue: str) -> None:
        t0 = self.now()
        done = {r["seq"] for r in self.store.released() if r["kind"] == "inject"}
        due = [(m, s) for m, s in self.schedule if s not in done]
        if t0 >= self.end_min:
            # the window ran out while the console was down: ENDEX came then, and nothing
            # is released at or after it (the review shows those injects "not released")
            due = []
        for _m, s in [x for x in due if x[0] <= t0]:
            self.release(s, t0, overdue)
        pending = [x for x in due if x[0] > t0]
        env = simpy.rt.RealtimeEnvironment(initial_time=t0, factor=60.0 / self.speed, strict=False)

        def releases():
            for m, s in pending:
                yield env.timeout(m - env.now)
                if gen != self._gen:
                    return
                self.release(s, env.now, "clock")
            yield env.timeout(max(self.end_min - env.now, 0.0))
            if gen == self._gen:
                # the real time the window ran out, also when a restarted console catches up
                # (it was down then): the clock's anchor says when, not this thread
                at = min(wall_at(self.store.clock(), self.end_min), time.time())
                self.store.end_clock(self.end_min, at, self.speed, "window")

        def ticks():  # wake up often so that a pause is noticed within TICK_S
            while gen == self._gen:
                yield env.timeout(TICK_S * self.speed / 60.0)

        proc = env.process(releases())
        env.process(ticks())
        while gen == self._gen and proc.is_alive:
            env.step()
