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
        return df


def alarms(events: pd.DataFrame) -> pd.DataFrame:
    """The ``incident`` (alarm) rows of the log as incident, alarm, node, people, kind, hazard."""
    inc = events[events.event == "incident"][["entity", "t", "node", "qty", "info", "ref"]]
    return inc.rename(
        columns={
            "entity": "incident",
            "t": "alarm",
            "qty": "people",
            "info": "kind",
            "ref": "hazard",
        }
    )
