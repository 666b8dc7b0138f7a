"""Fire measures computed from the event log after a run.

Burned area (过火面积) is what the fire model computes; damaged forest area (受害森林面积, the
plans' 森林火灾受害率 = damaged area / forest area, 000 L198, 002 L164, 003 L209, 001 L100) is
burned area x ``damaged_per_burned`` (docs/fire_calibration.md gives the conversion's sources).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.eventlog import (
    arrays_of,
    arrays_of_kinds,
    derived,
    event_kinds,
    group_min,
    rows_of,
    series_mean,
    series_sum,
)

if TYPE_CHECKING:
    import pandas as pd

# Plans' 24-hour standard (24小时森林火灾扑灭率): out within 24 h of the report.
OUT_WITHIN_H = 24.0

COLUMNS = (
    "fire",
    "zone",
    "danger",
    "report_min",
    "detection_min",
    "first_arrival_min",
    "teams_sent",
    "helicopters_sent",
    "contained_ia",
    "escaped",
    "contained_min",
    "out_min",
    "area_ha",
    "damaged_ha",
    "time_to_out_h",
)  # fmt: skip  (times in minutes from the start of the season)


def fire_table(events: pd.DataFrame, damaged_per_burned: float = 1.0) -> pd.DataFrame:
    """One row per reported fire: report, first arrival, containment, out, areas, units."""
    import pandas as pd

    cols = _fire_columns(events, damaged_per_burned)
    if cols is None:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS})  # a year without fire
    return pd.DataFrame(cols)


def _fire_columns(events: pd.DataFrame, damaged_per_burned: float) -> dict | None:
    """The columns of :func:`fire_table` (None: no fire event in the log), made once per log:
    the KPIs and fires.csv both read them. Fire ids are unique in each kind of row."""
    key = ("fire_columns", damaged_per_burned)
    return derived(events, key, lambda: _columns(events, damaged_per_burned))


def _columns(events: pd.DataFrame, damaged_per_burned: float) -> dict | None:
    import pandas as pd

    if not any(kind.startswith("fire_") for kind in event_kinds(events)):
        return None
    rep = arrays_of(events, "fire_report")
    if not len(rep):
        frame = _fire_table_pandas(events, damaged_per_burned)
        return {c: frame[c] for c in frame.columns}
    fires = rep.entity.tolist()
    arr = arrays_of(events, "fire_arrive")
    first = group_min(arr.ref, arr.t)
    disp = arrays_of(events, "fire_dispatch")
    teams = _counts(disp.ref[disp.info != "aviation"])
    helicopters = _counts(disp.ref[disp.info == "aviation"])
    cont = arrays_of(events, "fire_contained")
    contained = dict(zip(cont.entity, cont.t.tolist(), strict=True))
    by_ia = set(cont.entity[cont.ref == "ia"].tolist())
    escaped = set(arrays_of(events, "fire_escaped").entity.tolist())
    done = arrays_of(events, "fire_out")
    out_at = dict(zip(done.entity, done.t.tolist(), strict=True))
    area = dict(zip(done.entity, done.qty.tolist(), strict=True))
    nan = float("nan")

    def column(values: dict) -> np.ndarray:
        return np.array([values.get(f, nan) for f in fires], dtype=float)

    def text(a: np.ndarray, c: str) -> pd.Series:  # (of the log's dtype, as pandas kept it)
        return pd.Series(a, dtype=events[c].dtype)

    area_ha = column(area)
    out_min = column(out_at)
    return {
        "fire": text(rep.entity, "entity"),
        "zone": text(rep.node, "node"),
        "danger": text(rep.info, "info"),
        "report_min": rep.t.copy(),
        "detection_min": rep.qty.copy(),
        "first_arrival_min": column(first),
        "teams_sent": np.array([teams.get(f, 0) for f in fires], dtype=np.int64),
        "helicopters_sent": np.array([helicopters.get(f, 0) for f in fires], dtype=np.int64),
        "contained_ia": np.array([f in by_ia for f in fires], dtype=bool),
        "escaped": np.array([f in escaped for f in fires], dtype=bool),
        "contained_min": column(contained),
        "out_min": out_min,
        "area_ha": area_ha,
        "damaged_ha": area_ha * damaged_per_burned,
        "time_to_out_h": (out_min - rep.t) / 60.0,
    }


def _fire_table_pandas(events: pd.DataFrame, damaged_per_burned: float) -> pd.DataFrame:
    """:func:`fire_table` of a log with fire rows but no report (the model reports every
    fire first): the pandas formulation, whose frame of no report takes its rows from the
    first measure assigned to it, kept as it was."""
    import pandas as pd

    rep = rows_of(events, "fire_report").set_index("entity")
    out = pd.DataFrame(
        {
            "zone": rep["node"],
            "danger": rep["info"],
            "report_min": rep["t"],
            "detection_min": rep["qty"],
        }
    )
    arr = rows_of(events, "fire_arrive").groupby("ref").t.min()
    disp = rows_of(events, "fire_dispatch")
    cont = rows_of(events, "fire_contained").set_index("entity")
    esc = rows_of(events, "fire_escaped").set_index("entity")
    done = rows_of(events, "fire_out").set_index("entity")
    out["first_arrival_min"] = arr
    out["teams_sent"] = disp[disp["info"] != "aviation"].groupby("ref").size()
    out["helicopters_sent"] = disp[disp["info"] == "aviation"].groupby("ref").size()
    out["contained_ia"] = out.index.isin(cont.index[cont["ref"] == "ia"])
    out["escaped"] = out.index.isin(esc.index)
    out["contained_min"] = cont["t"]
    out["out_min"] = done["t"]
    out["area_ha"] = done["qty"]
    out["damaged_ha"] = done["qty"] * damaged_per_burned
    out["time_to_out_h"] = (out["out_min"] - out["report_min"]) / 60.0
    for col in ("teams_sent", "helicopters_sent"):
        out[col] = out[col].fillna(0).astype(int)
    return out.rename_axis("fire").reset_index()


def _counts(keys: np.ndarray) -> dict:
    """Rows per key (NaN keys dropped): pandas' ``groupby(keys).size()``."""
    out: dict = {}
    for k in keys.tolist():
        if k == k:
            out[k] = out.get(k, 0) + 1
    return out


def teams_committed_max(events: pd.DataFrame) -> float:
    """Most forest teams committed at once (dispatched and not yet ready again)."""
    ev = arrays_of_kinds(events, ("fire_dispatch", "fire_team_ready"))  # in log order
    ground = np.array([not _starts(e, "heli_") for e in ev.entity], dtype=bool)
    if not ground.any():
        return 0.0
    step = np.where(ev.event[ground] == "fire_dispatch", 1, -1)
    order = np.lexsort((step, ev.t[ground]))  # at equal times a team is freed first
    return float(np.cumsum(step[order]).max())


def _starts(x, prefix: str) -> bool:
    """``x`` is a text starting with ``prefix`` (pandas' ``str.startswith``, False for NaN)."""
    return isinstance(x, str) and x.startswith(prefix)


def fire_kpis(
    events: pd.DataFrame,
    forest_area_ha: float,
    damaged_per_burned: float = 1.0,
    years: int = 1,
    yearly: bool = True,
) -> dict[str, float]:
    """The fire KPIs of one replication's event log.

    Counts and shares are over this replication's fires; areas and area shares are per fire
    year (a ``fire_season`` replication holds ``years`` independent fire years). Not
    ``yearly`` (one extreme day, not a year of fires): the per-year measures (fires a year,
    the 受害率 and burned shares of the forest) are undefined (NaN), so the yearly targets
    read NOT MODELLED; the day's areas stay.
    """
    t = _fire_columns(events, damaged_per_burned)
    if t is None:
        t = {c: np.empty(0) for c in COLUMNS}  # a year without fire
    n = len(t["report_min"])
    nan = float("nan")
    out24 = float((t["time_to_out_h"] <= OUT_WITHIN_H).sum())
    area = series_sum(t["area_ha"]) / years
    damaged = series_sum(t["damaged_ha"]) / years
    forest = forest_area_ha
    out = {
        "fires": float(n),
        "fires_per_year": n / years,
        "fires_out_24h": out24,
        "fires_out_24h_share": out24 / n if n else nan,
        "fires_contained_ia": float(t["contained_ia"].sum()),
        "fires_contained_ia_share": float(t["contained_ia"].sum()) / n if n else nan,
        "fires_escaped": float(t["escaped"].sum()),
        "fires_not_out_at_end": float(np.isnan(t["out_min"]).sum()),
        "fires_with_aviation": float((t["helicopters_sent"] > 0).sum()),
        "fire_first_arrival_mean_min": series_mean(t["first_arrival_min"] - t["report_min"])
        if n
        else nan,
        "fire_teams_committed_max": teams_committed_max(events),
        "burned_area_ha": area,
        "burned_share_permille": 1000.0 * area / forest if forest > 0 else nan,
        "damaged_area_ha": damaged,
        "damaged_share_permille": 1000.0 * damaged / forest if forest > 0 else nan,
    }
    if not yearly:
        for k in ("fires_per_year", "burned_share_permille", "damaged_share_permille"):
            out[k] = nan
    return out
