"""The event log: the single source of truth for every metric, figure and drill inject.

During a run each event is a plain tuple appended to a list (cheap in the event loop).
After the run, :meth:`EventLog.frame` turns it into a pandas DataFrame with one schema.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np
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


def event_kinds(events: pd.DataFrame) -> list[str]:
    """The kinds of event that occur in ``events`` (in order of first occurrence)."""
    split = derived(events, "arrays_of", lambda: _kind_arrays(events))
    return sorted(split, key=lambda k: split[k].pos[0])


def rows_of(events: pd.DataFrame, name: str) -> pd.DataFrame:
    """The rows of ``events`` whose event is ``name``: what ``events[events.event == name]``
    gives (same rows, order, index and columns), taken by the row positions of
    :func:`arrays_of` (the frame is split by kind once) and kept for the next call.

    A module's measures filter the same log by kind several times per replication; each
    filter scanned and copied the whole frame. Each caller gets its own (copy-on-write)
    frame, so changing one does not change the next answer.
    """
    return derived(events, ("rows_of", name), lambda: events.take(arrays_of(events, name).pos))


@dataclass(frozen=True, slots=True)
class KindRows:
    """Rows of the log as read-only arrays, in log order: ``t`` and ``qty`` float64, the
    text columns object arrays (a missing value is NaN, as in the frame), ``pos`` each row's
    position in the frame."""

    t: np.ndarray
    event: np.ndarray
    entity: np.ndarray
    node: np.ndarray
    ref: np.ndarray
    qty: np.ndarray
    info: np.ndarray
    pos: np.ndarray

    def __len__(self) -> int:
        return len(self.t)


_TEXT = ("event", "entity", "node", "ref", "info")
_FIELDS = ("t", "event", "entity", "node", "ref", "qty", "info", "pos")


def _kind_arrays(events: pd.DataFrame) -> dict[str, KindRows]:
    """Every kind of event of ``events`` as :class:`KindRows` (one stable sort of the rows
    by kind; each kind's arrays are slices of the sorted columns)."""
    import numpy as np
    import pandas as pd

    kind = events["event"]
    if isinstance(kind.dtype, pd.CategoricalDtype):
        codes, kinds = kind.cat.codes.to_numpy(), list(kind.cat.categories)
    else:
        codes, uniques = pd.factorize(kind)  # (a missing kind: code -1, no kind's rows)
        kinds = list(uniques)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(kinds) + 1))
    cols = {c: events[c].to_numpy(dtype=float)[order] for c in ("t", "qty")}
    cols.update({c: events[c].to_numpy(dtype=object)[order] for c in _TEXT})
    cols["pos"] = order
    for a in cols.values():
        a.flags.writeable = False  # shared by every caller
    return {
        k: KindRows(**{c: a[bounds[i] : bounds[i + 1]] for c, a in cols.items()})
        for i, k in enumerate(kinds)
        if bounds[i + 1] > bounds[i]
    }


def arrays_of(events: pd.DataFrame, name: str) -> KindRows:
    """The rows of ``events`` whose event is ``name`` as arrays (:class:`KindRows`): the
    rows :func:`rows_of` gives, in the same order, without a DataFrame (a measure that only
    counts, sums or loops over a few hundred rows spends most of its time in pandas' calls
    otherwise). Split once per frame; the arrays are read-only."""
    rows = derived(events, "arrays_of", lambda: _kind_arrays(events)).get(name)
    if rows is None:
        import numpy as np

        none = {c: np.empty(0, dtype=object if c in _TEXT else float) for c in _FIELDS}
        none["pos"] = np.empty(0, dtype=np.intp)
        for a in none.values():
            a.flags.writeable = False
        rows = KindRows(**none)
    return rows


def arrays_of_kinds(events: pd.DataFrame, names: Iterable[str]) -> KindRows:
    """The rows of several kinds of event, in log order (what
    ``events[events.event.isin(names)]`` gives, as :class:`KindRows`)."""
    import numpy as np

    parts = [arrays_of(events, n) for n in names]
    pos = np.concatenate([p.pos for p in parts])
    order = np.argsort(pos, kind="stable")
    return KindRows(**{f: np.concatenate([getattr(p, f) for p in parts])[order] for f in _FIELDS})


# --------------------------------------------------------------- pandas' sums, in Python
# Measures made with plain Python and numpy instead of pandas must give the same floats as
# before, to the last bit. pandas (3.1) adds a group's values in one of two ways: with
# ``np.add.reduceat`` (its first value plus numpy's pairwise sum of the rest) when the rows
# are already in the groups' sorted order and no value is NaN, else compensated (Kahan) in
# row order, NaN skipped; a Series' sum is numpy's pairwise sum with NaN taken as 0. These
# helpers give exactly those (tests/test_eventlog.py checks them against pandas).


def isnan(x) -> bool:
    """``x`` is NaN (a missing number or name in the log: the one value not equal to
    itself)."""
    return x != x


def kahan_sum(values: Iterable[float]) -> float:
    """Compensated (Kahan) sum in order, NaN skipped (0.0 if nothing is left): pandas'
    ``group_sum`` of one group. An infinite value stays infinite (pandas resets the
    compensation where inf - inf would make the sum NaN)."""
    total = comp = 0.0
    for v in values:
        if v != v:
            continue
        y = v - comp
        t = total + y
        comp = t - total - y
        if not math.isfinite(comp):
            comp = 0.0
        total = t
    return total


def _segments(keys: Sequence[Hashable], values: np.ndarray) -> tuple[list, list, list | None]:
    """The keys as a list, the rows with a key (not NaN), and, where pandas aggregates with
    ``ufunc.reduceat`` (the rows already in the keys' sorted order, NaN keys first, and no
    value NaN), the first row of each key; else None."""
    import numpy as np

    keys = keys.tolist() if isinstance(keys, np.ndarray) else list(keys)
    if len(values) != len(keys):
        raise ValueError("as many keys as values")
    named = [i for i, k in enumerate(keys) if k == k]  # (NaN keys dropped)
    first = len(keys) - len(named)
    ordered = (
        bool(named)
        and named[0] == first
        and all(keys[i] <= keys[i + 1] for i in range(first, len(keys) - 1))
        and not np.isnan(values).any()
    )
    starts = [i for i in named if i == first or keys[i - 1] != keys[i]] if ordered else None
    return keys, named, starts


def group_sums(keys: Sequence[Hashable], values: Sequence[float]) -> dict:
    """Per key, the float ``pd.Series(values).groupby(keys).sum()`` gives (NaN keys dropped,
    as pandas drops them), in order of first occurrence: sort them where pandas' result is
    sorted (its index)."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    keys, named, starts = _segments(keys, values)
    if starts is not None:  # pandas' reduceat path
        sums = np.add.reduceat(values, starts).tolist()
        return {keys[i]: v for i, v in zip(starts, sums, strict=True)}
    groups: dict = {}
    floats = values.tolist()
    for i in named:
        groups.setdefault(keys[i], []).append(floats[i])
    return {k: kahan_sum(v) for k, v in groups.items()}


def group_cumsums(keys: Sequence[Hashable], values: Sequence[float]) -> np.ndarray:
    """Per row, the running sum of its key's values so far: what pandas'
    ``groupby(keys).cumsum()`` gives (compensated, NaN where the value or the key is NaN)."""
    import numpy as np

    values = np.asarray(values, dtype=float).tolist()
    out = np.full(len(values), np.nan)
    accum: dict = {}
    for i, (k, v) in enumerate(zip(keys, values, strict=True)):
        if k != k or v != v:
            continue
        total, comp = accum.get(k, (0.0, 0.0))
        y = v - comp
        t = total + y
        accum[k] = (t, t - total - y)
        out[i] = t
    return out


def group_min(keys: Sequence[Hashable], values: Sequence[float]) -> dict:
    """Per key, the smallest value (NaN skipped; NaN where a key has no number): pandas'
    ``groupby(keys).min()``, NaN keys dropped. Keys in order of first occurrence."""
    return _group_extreme(keys, values, "min")


def group_max(keys: Sequence[Hashable], values: Sequence[float]) -> dict:
    """Per key, the largest value: pandas' ``groupby(keys).max()`` (see :func:`group_min`)."""
    return _group_extreme(keys, values, "max")


def _group_extreme(keys: Sequence[Hashable], values: Sequence[float], how: str) -> dict:
    import numpy as np

    values = np.asarray(values, dtype=float)
    keys, named, starts = _segments(keys, values)
    if starts is not None:  # pandas' reduceat path (which of -0.0 and 0.0 is kept differs)
        ufunc = np.minimum if how == "min" else np.maximum
        extremes = ufunc.reduceat(values, starts).tolist()
        return {keys[i]: v for i, v in zip(starts, extremes, strict=True)}
    out: dict = {}
    floats = values.tolist()
    for i in named:  # (the first of equal values is kept, as pandas' loop keeps it)
        k, v = keys[i], floats[i]
        best = out.get(k, math.nan)
        if v == v and (best != best or (v < best if how == "min" else v > best)):
            out[k] = v
        elif k not in out:
            out[k] = math.nan
    return out


def series_sum(values: np.ndarray) -> float:
    """What pandas' ``Series.sum()`` gives for float ``values``: numpy's pairwise sum with
    NaN counted as 0."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    return float(np.where(np.isnan(values), 0.0, values).sum())


def own_frame(columns: dict) -> pd.DataFrame:
    """A DataFrame of ``columns`` holding arrays of its own: a read-only array (of the
    log's split, or cached for the next caller) is copied, so that the table can be
    changed like any other."""
    import numpy as np
    import pandas as pd

    return pd.DataFrame(
        {
            c: v.copy() if isinstance(v, np.ndarray) and not v.flags.writeable else v
            for c, v in columns.items()
        }
    )


def kind_table(events: pd.DataFrame, name: str, columns: dict[str, str]) -> pd.DataFrame:
    """The rows of kind ``name`` as a table of ``columns`` (table column -> log column),
    each column of the log's dtype: what ``rows_of(events, name)[[...]].rename(...)`` gives,
    with a new index (0, 1, ...)."""
    import numpy as np
    import pandas as pd

    rows = arrays_of(events, name)

    def column(c: str):
        dtype = events[c].dtype
        values = getattr(rows, c)
        if isinstance(dtype, np.dtype):
            return values.astype(dtype)  # (a copy: the split's arrays are read-only)
        return pd.array(values, dtype=dtype)

    return pd.DataFrame({new: column(c) for new, c in columns.items()})


def series_mean(values: np.ndarray) -> float:
    """What pandas' ``Series.mean()`` gives for float ``values``: :func:`series_sum` over the
    count of numbers (NaN if there is none)."""
    import numpy as np

    n = int((~np.isnan(np.asarray(values, dtype=float))).sum())
    return series_sum(values) / n if n else math.nan


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
