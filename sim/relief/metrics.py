"""Relief measures, detail tables and the needs-met figure, from the event log only.

Definitions (docs/relief_model.md):

- each person is judged once, against the target ``T`` (24 h, 002 L180) counted from their
  first arrival at a shelter: at that shelter, or, if they were handed on unmet before ``T``
  was up, at the next one (people handed on with their kit, or after ``T``, are not judged
  again); a group is judged if ``T`` has passed by the horizon or it was met earlier; people
  who left unmet before the deadline are not judged where they left;
- ``needs_met_24h_share`` = people met within ``T`` of first arrival / people judged;
- ``needs_met_by_onset_24h_share``: the same with one deadline, ``T`` after the disaster onset
  (first hazard event that is not a warning), over the people sheltered by then;
- ``relief_stock_people``: people the initial district-level stock covers under the kit
  (min over reserve items of stock / need per person); ``relief_stock_min_town_people``:
  the same for the town/village stock of each remote town, smallest town;
- deliveries by mode (road, water, air: the mode of the vehicle): trips dispatched and
  tonnes unloaded; ``relief_towns_unserved``: shelter nodes (towns) where some sheltered
  people still lacked their kit at the horizon; ``relief_towns_unmet_24h``: shelter nodes
  with a judged person not served within ``T``; ``relief_grounded_h``: hours boats and
  helicopters waited on the ground for their operating window (night, storm).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.config import Config
from sim.core.eventlog import (
    KindRows,
    arrays_of,
    derived,
    group_max,
    group_min,
    group_sums,
    isnan,
    kind_table,
    own_frame,
    series_sum,
)
from sim.relief.stock import LOCAL_LEVELS, person_equivalents

# The measures and tables below work on the log's rows as arrays (sim.core.eventlog's
# arrays_of) and plain Python, with pandas' own arithmetic where it matters (group_sums,
# series_sum): a replication's relief log has a few hundred rows of each kind, where
# pandas' per-call overhead cost more than the work. Group ids are unique in the log (the
# service numbers them).

NAN = float("nan")
KPI_NAMES = (
    "people_sheltered",
    "people_handed_on",
    "needs_met_24h_share",
    "people_needs_met_24h",
    "people_judged_24h",
    "needs_met_by_onset_24h_share",
    "needs_met_mean_h",
    "needs_met_p90_h",
    "people_needs_unmet_end",
    "relief_stock_people",
    "relief_stock_min_town_people",
    "relief_trips",
    "relief_tonnes_delivered",
    "relief_truck_utilisation",
    "relief_stockouts",
    "relief_shortages",
    "relief_calloffs",
    "relief_deliveries_blocked",
    "relief_trips_delayed",
    "relief_trips_road",
    "relief_trips_water",
    "relief_trips_air",
    "relief_tonnes_road",
    "relief_tonnes_water",
    "relief_tonnes_air",
    "relief_waits_for_road",
    "relief_grounded_h",
    "relief_towns_sheltering",
    "relief_towns_unserved",
    "relief_towns_unmet_24h",
)
MODES = ("road", "water", "air")
GROUP_COLUMNS = [
    "group",
    "shelter",
    "node",
    "origin",
    "arrival_h",
    "first_arrival_h",
    "handed_on",
    "people",
    "people_met",
    "met_h",
    "hours_to_met",
    "met_in_target",
    "left_unmet",
    "counted",
    "judged",
]


def reserve_per_person(cfg: Config) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Items, need per person of the reserve standard, and which items count in it."""
    rc = cfg.layout.relief
    items = list(rc.kit)
    pp = np.array([k.per_person * (rc.reserve_days if k.per_day else 1.0) for k in rc.kit.values()])
    counted = np.array([k.reserve for k in rc.kit.values()], dtype=bool)
    return items, pp, counted


def stock_kpis(cfg: Config, ev: pd.DataFrame) -> tuple[float, float]:
    """(relief_stock_people, relief_stock_min_town_people) from the logged initial stock."""
    items, pp, counted = reserve_per_person(cfg)
    col = {item: k for k, item in enumerate(items)}
    rows = arrays_of(ev, "relief_stock")
    depots = arrays_of(ev, "relief_depot")
    town_of = dict(zip(depots.entity.tolist(), depots.info.tolist(), strict=True))
    remote = cfg.layout.relief.remote_towns
    district = [0.0] * len(items)
    per_town = {t: [0.0] * len(items) for t in remote}
    # (a few dozen rows, summed in log order in plain Python: the same floats as the groupby
    # sum before for the whole-unit stocks of every layout; pandas compensates fractions)
    for depot, level, item, qty in zip(
        rows.entity.tolist(), rows.ref.tolist(), rows.info.tolist(), rows.qty.tolist(),
        strict=True,
    ):  # fmt: skip
        k = col.get(item)
        if k is None:
            continue
        if level == "district":
            district[k] += qty
        elif level in LOCAL_LEVELS and town_of.get(depot) in per_town:
            per_town[town_of[depot]][k] += qty
    people = person_equivalents(np.array(district), pp, counted)
    if not remote:
        return people, float("nan")
    return people, float(
        min(person_equivalents(np.array(v), pp, counted) for v in per_town.values())
    )


def stock_coverage(cfg: Config, ev: pd.DataFrame) -> pd.DataFrame:
    """Per kit item: district-level stock, need per person and people it covers (fewest first).

    The item with the fewest people covered limits the reserve standard (relief_stock_people).
    """
    items, pp, counted = reserve_per_person(cfg)
    rows = arrays_of(ev, "relief_stock")
    district = rows.ref == "district"
    stock = group_sums(rows.info[district], rows.qty[district])
    qty = np.array([float(stock.get(i, 0.0)) for i in items])
    covers = np.divide(qty, pp, out=np.full(len(items), np.inf), where=pp > 0)
    order = np.lexsort((covers, ~counted))  # counted items first, then fewest covered (stable)
    return pd.DataFrame(
        {
            "item": np.array(items, dtype=object)[order],
            "stock": qty[order],
            "per_person": pp[order],
            "counted": counted[order],
            "people_covered": covers[order],
        },
        index=order,
    )


def group_table(ev: pd.DataFrame, target_h: float, horizon_min: float) -> pd.DataFrame:
    """One row per group at a shelter: arrival, first arrival, needs met, who left unmet,
    whether it counts (new arrivals, people handed on unmet in time) and is judged (made
    once per log)."""
    key = ("relief.group_table", target_h, horizon_min)
    return derived(ev, key, lambda: _group_frame(ev, target_h, horizon_min))


def _group_frame(ev: pd.DataFrame, target_h: float, horizon_min: float) -> pd.DataFrame:
    g = group_columns(ev, target_h, horizon_min)
    if g is None:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    return own_frame({c: g[c] for c in GROUP_COLUMNS})


def group_columns(ev: pd.DataFrame, target_h: float, horizon_min: float) -> dict | None:
    """The columns of :func:`group_table` as read-only arrays (None if no group arrived):
    what the KPIs and the tables start from, made once per log."""
    key = ("relief.group_columns", target_h, horizon_min)
    return derived(ev, key, lambda: _group_columns(ev, target_h, horizon_min))


def _group_columns(ev: pd.DataFrame, target_h: float, horizon_min: float) -> dict | None:
    arr = arrays_of(ev, "relief_group")
    if not len(arr):
        return None
    groups = arr.entity.tolist()
    t0 = dict(zip(groups, arr.t.tolist(), strict=True))  # clock start: first arrival
    handed: dict[str, str] = {}
    tr = arrays_of(ev, "relief_transfer_in")
    for ent, ref, info in zip(tr.entity, tr.ref, tr.info, strict=True):  # sources first
        t0[ent] = t0.get(ref, t0[ent])
        handed[ent] = info
    handed_on = np.array([handed.get(i, "") for i in groups], dtype=object)
    first = np.array([t0.get(i, NAN) for i in groups], dtype=float)
    met_rows = arrays_of(ev, "needs_met")
    met_at = group_min(met_rows.entity, met_rows.t)
    people_met_at = _first_numbers(met_rows.entity, met_rows.qty)
    met = np.array([met_at.get(i, NAN) for i in groups], dtype=float)
    people_met = np.array([people_met_at.get(i, NAN) for i in groups], dtype=float)
    target = target_h * 60.0
    due = np.minimum(first + target, np.where(np.isnan(met), np.inf, met))
    deadline = dict(zip(groups, due.tolist(), strict=True))
    # people who left unmet before their deadline (not judged where they left)
    left = arrays_of(ev, "relief_left")
    in_time = [
        info == "unmet" and t <= deadline.get(ent, NAN)
        for ent, t, info in zip(left.entity, left.t, left.info, strict=True)
    ]
    gone = group_sums(left.entity[in_time], left.qty[in_time])
    left_unmet = np.array([_number(gone.get(i)) for i in groups], dtype=float)
    people_met = np.where(np.isnan(people_met), 0.0, people_met)
    hours_to_met = (met - first) / 60.0
    counted = np.isin(handed_on, ["", "unmet_in_time"])
    # Judged only where the whole 24-h window lies inside the horizon. Judging also groups
    # met early in a window the horizon cuts (as before 2026-12-07) while dropping the
    # unmet ones in such windows biased the share up: at a 20-h horizon every judged
    # group had been met, and the plan read PASS.
    cols = {
        "group": arr.entity,
        "shelter": arr.ref,
        "node": arr.node,
        "origin": arr.info,
        "arrival_h": arr.t / 60.0,
        "first_arrival_h": first / 60.0,
        "handed_on": handed_on,
        "people": arr.qty,
        "people_met": people_met,
        "met_h": met / 60.0,
        "hours_to_met": hours_to_met,
        "met_in_target": hours_to_met <= target_h + 1e-9,
        "left_unmet": left_unmet,
        "counted": counted,
        "judged": counted & (first + target <= horizon_min),
    }
    for a in cols.values():
        a.flags.writeable = False
    return cols


def people_left(ev: pd.DataFrame) -> dict:
    """Per group, the people who left its shelter (``relief_left``, met or not), summed as
    pandas sums them; made once per log (the KPIs and the town table both read it)."""

    def make() -> dict:
        left = arrays_of(ev, "relief_left")
        return group_sums(left.entity, left.qty)

    return derived(ev, "relief.people_left", make)


def _number(x) -> float:
    """``x``, or 0.0 where it is missing (None or NaN): pandas' ``map(...).fillna(0.0)``."""
    return 0.0 if x is None or x != x else x


def _first_numbers(keys: np.ndarray, values: np.ndarray) -> dict:
    """Per key, the first value that is a number (NaN if none): pandas' ``groupby.first``."""
    out: dict = {}
    for k, v in zip(keys, values, strict=True):
        if not isnan(k) and (k not in out or isnan(out[k])):
            out[k] = v
    return out


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    if values.size == 0 or weights.sum() <= 0:
        return float("nan")
    order = np.argsort(values)
    cw = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cw, q * cw[-1])])


def _share(ok: float, judged: float) -> float:
    return ok / judged if judged > 0 else float("nan")


def relief_kpis(cfg: Config, ev: pd.DataFrame, horizon_min: float) -> dict[str, float]:
    """All relief KPIs of one replication (NaN where undefined)."""
    out = dict.fromkeys(KPI_NAMES, float("nan"))
    rc = cfg.layout.relief
    if rc is None:
        return out
    out["relief_stock_people"], out["relief_stock_min_town_people"] = stock_kpis(cfg, ev)
    g = group_columns(ev, rc.target_h, horizon_min)
    out["people_sheltered"] = out["people_handed_on"] = 0.0
    out["people_needs_unmet_end"] = out["people_needs_met_24h"] = out["people_judged_24h"] = 0.0
    if g is not None:
        people = g["people"]
        out["people_sheltered"] = series_sum(people[g["handed_on"] == ""])
        out["people_handed_on"] = series_sum(people) - out["people_sheltered"]
        j = g["judged"]
        ok = series_sum(g["people_met"][j & g["met_in_target"]])
        judged = series_sum(people[j] - g["left_unmet"][j])
        out["needs_met_24h_share"] = _share(ok, judged)
        out["people_needs_met_24h"], out["people_judged_24h"] = ok, judged
        out["needs_met_by_onset_24h_share"] = _onset_share(ev, g, rc.target_h, horizon_min)
        m = g["counted"] & ~np.isnan(g["met_h"])
        w = g["people_met"][m]
        h = g["hours_to_met"][m]
        out["needs_met_mean_h"] = float(np.average(h, weights=w)) if w.sum() > 0 else float("nan")
        out["needs_met_p90_h"] = _weighted_quantile(h, w, 0.9)
        gone = people_left(ev)
        unmet = np.isnan(g["met_h"])
        still = [_number(gone.get(i)) for i in g["group"][unmet]]
        out["people_needs_unmet_end"] = series_sum(people[unmet] - np.array(still, dtype=float))
    kg = {k: v.unit_kg for k, v in rc.kit.items()}
    unload = arrays_of(ev, "relief_unload")
    out["relief_trips"] = float(len(arrays_of(ev, "relief_dispatch")))
    out["relief_tonnes_delivered"] = series_sum(_kg(unload, kg)) / 1000.0
    out["relief_truck_utilisation"] = truck_utilisation(ev, horizon_min)
    out.update(mode_kpis(ev, kg))
    towns = _town_columns(ev, rc.target_h, horizon_min, kg)
    n_towns = len(towns["node"]) if towns is not None else 0
    out["relief_towns_sheltering"] = float(n_towns)
    out["relief_towns_unserved"] = 0.0
    out["relief_towns_unmet_24h"] = 0.0
    if n_towns:
        out["relief_towns_unserved"] = float((towns["unmet_end"] > 0).sum())
        out["relief_towns_unmet_24h"] = float(
            (towns["judged_people"] > towns["people_met_in_target"] + 1e-9).sum()
        )
    out["relief_waits_for_road"] = float(len(arrays_of(ev, "relief_wait_road")))
    out["relief_grounded_h"] = series_sum(arrays_of(ev, "relief_grounded").qty) / 60.0
    for name, event in (
        ("relief_stockouts", "relief_stockout"),
        ("relief_shortages", "relief_shortage"),
        ("relief_calloffs", "relief_calloff"),
        ("relief_deliveries_blocked", "relief_blocked"),
        ("relief_trips_delayed", "relief_delayed"),
    ):
        out[name] = float(len(arrays_of(ev, event)))
    return out


def vehicle_modes(ev: pd.DataFrame) -> dict[str, str]:
    """Vehicle id -> mode (road, water, air) from the ``relief_vehicle`` rows."""
    veh = arrays_of(ev, "relief_vehicle")
    return dict(zip(veh.entity, veh.info, strict=True))


def _kg(unload: KindRows, kg: dict[str, float]) -> np.ndarray:
    """Kilograms of each ``relief_unload`` row (NaN for an item of no known weight)."""
    return unload.qty * np.array([kg.get(i, NAN) for i in unload.info], dtype=float)


def _modes(rows: KindRows, modes: dict[str, str]) -> np.ndarray:
    """The mode of the vehicle of each row (NaN for a vehicle of no known mode)."""
    return np.array([modes.get(v, NAN) for v in rows.entity], dtype=object)


def mode_kpis(ev: pd.DataFrame, kg: dict[str, float]) -> dict[str, float]:
    """Trips dispatched and tonnes unloaded by road, water and air."""
    modes = vehicle_modes(ev)
    disp = _modes(arrays_of(ev, "relief_dispatch"), modes)
    unload = arrays_of(ev, "relief_unload")
    tonnes = group_sums(_modes(unload, modes), _kg(unload, kg))
    out = {}
    for m in MODES:
        out[f"relief_trips_{m}"] = float((disp == m).sum())
        out[f"relief_tonnes_{m}"] = tonnes[m] / 1000.0 if m in tonnes else 0.0
    return out


TOWN_COLUMNS = ["node", "people", "judged_people", "people_met_in_target", "share_met_in_target",
                "unmet_end", "unserved", "first_delivery_h"] + [
    f"{k}_{m}" for m in MODES for k in ("trips", "kg")]  # fmt: skip


def delivery_towns(
    ev: pd.DataFrame, target_h: float, horizon_min: float, kg: dict[str, float]
) -> pd.DataFrame:
    """Per shelter node (town): people sheltered there, judged and served within the target,
    people still unmet at the horizon (``unserved``), and trips and kg by mode (``kg``: unit
    weight by item)."""
    towns = _town_columns(ev, target_h, horizon_min, kg)
    if towns is None:
        return pd.DataFrame(columns=TOWN_COLUMNS)
    return own_frame(towns)


def _town_columns(
    ev: pd.DataFrame, target_h: float, horizon_min: float, kg: dict[str, float]
) -> dict | None:
    """The columns of :func:`delivery_towns` (None if no group arrived), made once per log:
    the KPIs and the tables both read them."""
    key = ("relief.town_columns", target_h, horizon_min, tuple(sorted(kg.items())))
    return derived(ev, key, lambda: _towns(ev, group_columns(ev, target_h, horizon_min), kg))


def _towns(ev: pd.DataFrame, g: dict | None, kg: dict[str, float]) -> dict | None:
    if g is None:
        return None
    gone = people_left(ev)
    still = g["people"] - np.array([_number(gone.get(i)) for i in g["group"]], dtype=float)
    ok, jp = _judged(g)
    by_node = g["node"]
    nodes = sorted(k for k in set(by_node.tolist()) if not isnan(k))
    out = {"node": np.array(nodes, dtype=object)}
    for col, values in (
        ("people", np.where(g["handed_on"] == "", g["people"], 0.0)),
        ("judged_people", jp),
        ("people_met_in_target", ok),
        ("unmet_end", np.where(np.isnan(g["met_h"]), still, 0.0)),
    ):
        sums = group_sums(by_node, values)
        out[col] = np.array([sums[n] for n in nodes], dtype=float)
    out["share_met_in_target"] = _met_share(out["people_met_in_target"], out["judged_people"])
    out["unserved"] = out["unmet_end"] > 0
    unload = arrays_of(ev, "relief_unload")
    first = group_min(unload.node, unload.t)
    out["first_delivery_h"] = np.array([first.get(n, NAN) for n in nodes], dtype=float) / 60.0
    mode = _modes(unload, vehicle_modes(ev))
    weight = _kg(unload, kg)
    trip_mode: dict[str, list] = {m: [] for m in MODES}  # the node of each trip, by mode
    seen = set()
    for t, vehicle, ref, node, m in zip(
        unload.t, unload.entity, unload.ref, unload.node, mode, strict=True
    ):
        trip = (_key(t), _key(vehicle), _key(ref))  # one trip: one vehicle's unload at once
        if trip not in seen:
            seen.add(trip)
            if m in trip_mode:
                trip_mode[m].append(node)
    for m in MODES:
        counts = _sizes(trip_mode[m])
        if all(n in counts for n in nodes):  # (pandas' column stays integer without a gap)
            out[f"trips_{m}"] = np.array([counts[n] for n in nodes], dtype=np.int64)
        else:
            out[f"trips_{m}"] = np.array([counts.get(n, 0.0) for n in nodes], dtype=float)
        by_mode = mode == m
        sums = group_sums(unload.node[by_mode], weight[by_mode])
        # (no unloading at all: pandas' kg of no row is an object column, and so stays)
        kind = float if len(unload) else object
        out[f"kg_{m}"] = np.array([sums.get(n, 0.0) for n in nodes], dtype=kind)
    for a in out.values():
        a.flags.writeable = False
    return {c: out[c] for c in TOWN_COLUMNS}


def _key(x):
    """``x`` as part of a dict key: NaN as None (a NaN is not equal to itself)."""
    return None if isnan(x) else x


def _sizes(keys) -> dict:
    """Rows per key (NaN keys dropped): pandas' ``groupby(keys).size()``."""
    out: dict = {}
    for k in keys:
        if not isnan(k):
            out[k] = out.get(k, 0) + 1
    return out


def _onset_share(ev: pd.DataFrame, g: dict, target_h: float, horizon_min: float) -> float:
    onset = arrays_of(ev, "relief_onset").t
    fa = g["first_arrival_h"][~np.isnan(g["first_arrival_h"])]
    start = float(onset[0]) if len(onset) else (float(fa.min() * 60.0) if fa.size else NAN)
    deadline = start + target_h * 60.0
    if deadline > horizon_min:
        return float("nan")
    arrived = g["counted"] & (g["first_arrival_h"] * 60.0 <= deadline)
    met = g["met_h"][arrived] * 60.0 <= deadline
    left = arrays_of(ev, "relief_left")
    by_then = (left.info == "unmet") & (left.t <= deadline)
    gone = group_sums(left.entity[by_then], left.qty[by_then])
    gone_of = np.array([_number(gone.get(i)) for i in g["group"][arrived]], dtype=float)
    people, people_met = g["people"][arrived], g["people_met"][arrived]
    # people met by the deadline / people there by then (not counting who left unmet)
    judged = np.where(~met, people - gone_of, people_met)
    return _share(series_sum(people_met[met]), series_sum(judged))


def truck_utilisation(ev: pd.DataFrame, horizon_min: float) -> float:
    """Share of road-vehicle time from fleet ready to horizon spent on trips."""
    veh = arrays_of(ev, "relief_vehicle")
    road = veh.info == "road"
    ready_rows = arrays_of(ev, "relief_ready")
    ready = group_min(ready_rows.entity, ready_rows.t)
    if not road.any() or not ready:
        return float("nan")
    since = horizon_min - np.array([ready.get(f, NAN) for f in veh.ref[road]], dtype=float)
    avail = series_sum(np.where((since >= 0) | np.isnan(since), since, 0.0))  # clip(lower=0)
    ids = set(veh.entity[road].tolist())
    disp = arrays_of(ev, "relief_dispatch")
    disp_road = np.array([e in ids for e in disp.entity], dtype=bool)
    free = arrays_of(ev, "relief_free")
    free_road = np.array([e in ids for e in free.entity], dtype=bool)
    busy = series_sum(free.qty[free_road])
    if disp_road.sum() > free_road.sum():  # trips still under way at the horizon
        last = group_max(disp.entity[disp_road], disp.t[disp_road])
        n_disp = _sizes(disp.entity[disp_road])
        n_free = _sizes(free.entity[free_road])
        running = sorted(v for v in last if n_disp[v] - n_free.get(v, 0) > 0)
        busy += series_sum(horizon_min - np.array([last[v] for v in running], dtype=float))
    return float(busy / avail) if avail > 0 else float("nan")


def relief_tables(
    ev: pd.DataFrame, target_h: float, horizon_min: float, kg: dict[str, float] | None = None
) -> dict[str, pd.DataFrame]:
    """Detail tables of one replication (``kg``: unit weight by item, for the mode table)."""
    g = group_columns(ev, target_h, horizon_min)
    return {
        "relief_groups": group_table(ev, target_h, horizon_min),
        "relief_delivery_towns": delivery_towns(ev, target_h, horizon_min, kg or {}),
        "relief_shelters": _by(g, "shelter"),
        "relief_towns": _by(g, "origin"),
        "relief_stockouts": _stockouts(ev),
        "relief_vehicles": _vehicles(ev, horizon_min),
        "relief_calloffs": _calloffs(ev),
    }


def _judged(g: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per group: people met within the target, if judged (``ok``), and people judged."""
    ok = np.where(g["judged"] & g["met_in_target"], g["people_met"], 0.0)
    return ok, np.where(g["judged"], g["people"] - g["left_unmet"], 0.0)


def _met_share(ok: np.ndarray, judged: np.ndarray) -> np.ndarray:
    """people met in target / people judged (NaN where nobody was judged)."""
    return ok / np.where(judged > 0, judged, NAN)


BY_COLUMNS = ["groups", "people", "first_arrival_h", "people_met_in_target", "judged_people",
              "share_met_in_target", "mean_hours_to_met", "max_hours_to_met"]  # fmt: skip


def _by(g: dict | None, key: str) -> pd.DataFrame:
    """Time to meet needs by shelter or by town of origin."""
    if g is None:
        return pd.DataFrame(columns=[key, *BY_COLUMNS])
    keys = g[key]
    values = sorted(k for k in set(keys.tolist()) if not isnan(k))
    ok, jp = _judged(g)
    wh = np.where(np.isnan(g["hours_to_met"]), 0.0, g["hours_to_met"]) * g["people_met"]

    def col(sums: dict, dtype=float) -> np.ndarray:
        return np.array([sums[v] for v in values], dtype=dtype)

    pm = col(group_sums(keys, g["people_met"]))
    out = {
        key: np.array(values, dtype=object),
        "groups": col(_sizes(keys), np.int64),
        "people": col(group_sums(keys, g["people"])),
        "first_arrival_h": col(group_min(keys, g["arrival_h"])),
        "people_met_in_target": col(group_sums(keys, ok)),
        "judged_people": col(group_sums(keys, jp)),
    }
    out["share_met_in_target"] = _met_share(out["people_met_in_target"], out["judged_people"])
    out["mean_hours_to_met"] = col(group_sums(keys, wh)) / np.where(pm > 0, pm, NAN)
    out["max_hours_to_met"] = col(group_max(keys, g["hours_to_met"]))
    return pd.DataFrame(out)


def _stockouts(ev: pd.DataFrame) -> pd.DataFrame:
    s = arrays_of(ev, "relief_stockout")
    return own_frame({"depot": s.entity, "node": s.node, "item": s.info, "t_h": s.t / 60.0})


def _calloffs(ev: pd.DataFrame) -> pd.DataFrame:
    c = kind_table(ev, "relief_calloff", {"depot": "entity", "trigger": "ref", "items": "qty"})
    c["t_h"] = arrays_of(ev, "relief_calloff").t / 60.0
    return c


VEHICLE_COLUMNS = ["vehicle", "fleet", "mode", "base", "trips", "kg_carried", "busy_h"]


def _vehicles(ev: pd.DataFrame, horizon_min: float) -> pd.DataFrame:
    veh = arrays_of(ev, "relief_vehicle")
    if not len(veh):  # (pandas' maps of no vehicle give object columns)
        return pd.DataFrame({c: np.empty(0, dtype=object) for c in VEHICLE_COLUMNS})
    free = arrays_of(ev, "relief_free")
    trips = _sizes(free.entity)
    busy = group_sums(free.entity, free.qty)
    disp = arrays_of(ev, "relief_dispatch")
    kg = group_sums(disp.entity, disp.qty)
    ids = veh.entity.tolist()
    if all(v in trips for v in ids):  # (pandas' column stays integer without a gap)
        n_trips = np.array([trips[v] for v in ids], dtype=np.int64)
    else:
        n_trips = np.array([trips.get(v, 0.0) for v in ids], dtype=float)
    return own_frame(
        {
            "vehicle": veh.entity,
            "fleet": veh.ref,
            "mode": veh.info,
            "base": veh.node,
            "trips": n_trips,
            "kg_carried": np.array([_number(kg.get(v)) for v in ids], dtype=float),
            "busy_h": np.array([_number(busy.get(v)) for v in ids], dtype=float) / 60.0,
        }
    )
