"""The event log: the single source of truth for every metric, figure and drill inject.

During a run each event is a plain tuple appended to a list (cheap in the event loop).
After the run, :meth:`EventLog.frame` turns it into a pandas DataFrame with one schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import pandas as pd


class Event(NamedTuple):
    """One row of the log.

    t: simulation time in minutes since the scenario start.
    event: what happened (``incident``, ``dispatch``, ``arrive``, ``road_close``, ...).
    entity: who or what it happened to (incident id, team id, road name, town id).
    node: network node id where it happened ('' if none).
    ref: a related entity (the incident a team was sent to, the hazard that closed a road).
    qty: a number that goes with it (people, items, minutes), 0.0 if none.
    info: short free text (incident type, team tier, ...).
    """

    t: float
    event: str
    entity: str
    node: str
    ref: str
    qty: float
    info: str


COLUMNS = list(Event._fields)


class EventLog:
    """Append-only event log. ``log(t, event, entity, node, ref, qty, info)``."""

    __slots__ = ("rows",)

    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def log(
        self,
        t: float,
        event: str,
        entity: str,
        node: str = "",
        ref: str = "",
        qty: float = 0.0,
        info: str = "",
    ) -> None:
        self.rows.append((t, event, entity, node, ref, qty, info))

    def __len__(self) -> int:
        return len(self.rows)

    def frame(self) -> pd.DataFrame:
        """The log as a DataFrame (columns :data:`COLUMNS`), in time order of logging."""
        import pandas as pd

        df = pd.DataFrame.from_records(self.rows, columns=COLUMNS)
        df["t"] = df["t"].astype(float)
        df["qty"] = df["qty"].astype(float)
        # a few dozen kinds of event in thousands of rows, and every metric filters on it:
        # as a categorical, ``events.event == "arrive"`` compares codes (7x faster)
        df["event"] = df["event"].astype("category")
        return df


# What was derived from a frame (rows_of's split, a module's tables): the last few frames,
# each kept with what was derived from it (so that its id cannot be reused by another frame
# while the entry exists).
_DERIVED: dict[int, tuple[pd.DataFrame, int, dict]] = {}
_DERIVED_MAX = 4


def derived(events: pd.DataFrame, key, fn):
    """``fn()``, computed once per frame ``events`` and ``key``: a table that several measures
    of a module derive from the same log. The frame must not change once something has been
    derived from it (the log is final when the run is over: :meth:`Replication.events`)."""
    hit = _DERIVED.get(id(events))
    if hit is None or hit[0] is not events or hit[1] != len(events):
        if len(_DERIVED) >= _DERIVED_MAX:
            _DERIVED.pop(next(iter(_DERIVED)))
        hit = _DERIVED[id(events)] = (events, len(events), {})
    cache = hit[2]
    if key not in cache:
        cache[key] = fn()
    value = cache[key]
    import pandas as pd  # (after the run only: the event loop never needs pandas)

    # each caller its own (copy-on-write) frame: changing it does not change the cache
    return value.copy(deep=False) if isinstance(value, pd.DataFrame) else value


def _split(events: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return derived(
        events, "rows_of", lambda: dict(iter(events.groupby("event", observed=True, sort=False)))
    )


def event_kinds(events: pd.DataFrame) -> list[str]:
    """The kinds of event that occur in ``events`` (in order of first occurrence)."""
    return list(_split(events))


def rows_of(events: pd.DataFrame, name: str) -> pd.DataFrame:
    """The rows of ``events`` whose event is ``name``: what ``events[events.event == name]``
    gives (same rows, order, index and columns), from a split of the frame made once.

    A module's measures filter the same log by kind some fifty times per replication; each
    filter scanned and copied the whole frame. Each caller gets its own (copy-on-write)
    frame, so changing one does not change the split.
    """
    rows = _split(events).get(name)
    return events.iloc[:0] if rows is None else rows.copy(deep=False)


def alarms(events: pd.DataFrame) -> pd.DataFrame:
    """The ``incident`` (alarm) rows of the log as incident, alarm, node, people, kind, hazard."""
    inc = rows_of(events, "incident")[["entity", "t", "node", "qty", "info", "ref"]]
    return inc.rename(
        columns={
            "entity": "incident",
            "t": "alarm",
            "qty": "people",
            "info": "kind",
            "ref": "hazard",
        }
    )


# Row written by a module that publishes an Incident during the run (not in the hazard
# timeline): t = occurrence, entity = incident id, node, ref = kind, qty = survival window
# in minutes, info = severity. Rescue measures read windows of such incidents from it.
INCIDENT_WINDOW = "incident_window"


def incident_windows(events: pd.DataFrame) -> pd.DataFrame:
    """Incidents announced in the log: index incident id, columns occurred, window_min,
    severity, kind, node (empty if none)."""
    import pandas as pd  # after the run only (the event loop never needs pandas)

    w = rows_of(events, INCIDENT_WINDOW)
    return pd.DataFrame(
        {
            "occurred": w.t.to_numpy(dtype=float),
            "window_min": w.qty.to_numpy(dtype=float),
            "severity": pd.to_numeric(w["info"], errors="coerce").fillna(0).astype(int).to_numpy(),
            "kind": w.ref.to_numpy(),
            "node": w.node.to_numpy(),
        },
        index=pd.Index(w.entity.to_numpy(), name="incident"),
    )


def first_arrivals(events: pd.DataFrame) -> pd.Series:
    """Time the first team arrived at each incident (``arrive`` rows, by incident id)."""
    return rows_of(events, "arrive").groupby("ref")["t"].min()
