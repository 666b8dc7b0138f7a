# sim/fire/metrics.py before its post-processing was made cheaper (commit a35ca13), verbatim:
# the reference formulation tests/test_postprocess.py checks the new one against.
"""Fire measures computed from the event log after a run.

Burned area (过火面积) is what the fire model computes; damaged forest area (受害森林面积, the
plans' 森林火灾受害率 = damaged area / forest area, 000 L198, 002 L164, 003 L209, 001 L100) is
burned area x ``damaged_per_burned`` (docs/fire_calibration.md gives the conversion's sources).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.eventlog import derived, event_kinds, rows_of

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
    """One row per reported fire: report, first arrival, containment, out, areas, units.

    Built once per log (the KPIs and fires.csv both read it)."""
    return derived(
        events, ("fire_table", damaged_per_burned), lambda: _fire_table(events, damaged_per_burned)
    )


def _fire_table(events: pd.DataFrame, damaged_per_burned: float) -> pd.DataFrame:
    import pandas as pd

    if not any(kind.startswith("fire_") for kind in event_kinds(events)):
        return pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS})  # a year without fire
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


def teams_committed_max(events: pd.DataFrame) -> float:
    """Most forest teams committed at once (dispatched and not yet ready again)."""
    ev = events[events.event.isin(["fire_dispatch", "fire_team_ready"])]
    ev = ev[~ev.entity.str.startswith("heli_")]
    if ev.empty:
        return 0.0
    step = np.where(ev.event.to_numpy() == "fire_dispatch", 1, -1)
    order = np.lexsort((step, ev.t.to_numpy()))  # at equal times a team is freed first
    return float(np.cumsum(step[order]).max())


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
    t = fire_table(events, damaged_per_burned)
    n = len(t)
    nan = float("nan")
    out24 = float((t["time_to_out_h"] <= OUT_WITHIN_H).sum())
    area = float(t["area_ha"].fillna(0.0).sum()) / years
    damaged = float(t["damaged_ha"].fillna(0.0).sum()) / years
    forest = forest_area_ha
    out = {
        "fires": float(n),
        "fires_per_year": n / years,
        "fires_out_24h": out24,
        "fires_out_24h_share": out24 / n if n else nan,
        "fires_contained_ia": float(t["contained_ia"].sum()),
        "fires_contained_ia_share": float(t["contained_ia"].sum()) / n if n else nan,
        "fires_escaped": float(t["escaped"].sum()),
        "fires_not_out_at_end": float(t["out_min"].isna().sum()),
        "fires_with_aviation": float((t["helicopters_sent"] > 0).sum()),
        "fire_first_arrival_mean_min": float((t["first_arrival_min"] - t["report_min"]).mean())
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
