# sim/relief/metrics.py before its post-processing was made cheaper (commit a35ca13), verbatim:
# the reference formulation tests/test_postprocess.py checks the new one against.
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
from sim.core.eventlog import derived, rows_of
from sim.relief.stock import LOCAL_LEVELS, person_equivalents

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
    rows = rows_of(ev, "relief_stock")
    depots = rows_of(ev, "relief_depot")
    town_of = dict(zip(depots.entity.tolist(), depots["info"].tolist(), strict=True))
    remote = cfg.layout.relief.remote_towns
    district = [0.0] * len(items)
    per_town = {t: [0.0] * len(items) for t in remote}
    # (a few dozen rows, summed in log order in plain Python: the same floats as the groupby
    # sum before for the whole-unit stocks of every layout; pandas compensates fractions)
    for depot, level, item, qty in zip(
        rows.entity.tolist(), rows.ref.tolist(), rows["info"].tolist(), rows.qty.tolist(),
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
    rows = rows_of(ev, "relief_stock")
    rows = rows[rows.ref == "district"]
    stock = rows.groupby("info").qty.sum()
    qty = np.array([float(stock.get(i, 0.0)) for i in items])
    covers = np.divide(qty, pp, out=np.full(len(items), np.inf), where=pp > 0)
    out = pd.DataFrame(
        {
            "item": items,
            "stock": qty,
            "per_person": pp,
            "counted": counted,
            "people_covered": covers,
        }
    )
    return out.sort_values(["counted", "people_covered"], ascending=[False, True], kind="stable")


def group_table(ev: pd.DataFrame, target_h: float, horizon_min: float) -> pd.DataFrame:
    """One row per group at a shelter: arrival, first arrival, needs met, who left unmet,
    whether it counts (new arrivals, people handed on unmet in time) and is judged (made
    once per log: the KPIs and the tables both start from it)."""
    key = ("relief.groups", target_h, horizon_min)
    return derived(ev, key, lambda: _group_table(ev, target_h, horizon_min))


def _group_table(ev: pd.DataFrame, target_h: float, horizon_min: float) -> pd.DataFrame:
    arr = rows_of(ev, "relief_group")
    if arr.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    g = pd.DataFrame(
        {
            "group": arr.entity.to_numpy(),
            "shelter": arr.ref.to_numpy(),
            "node": arr.node.to_numpy(),
            "origin": arr["info"].to_numpy(),
            "arrival": arr.t.to_numpy(),
            "people": arr.qty.to_numpy(),
        }
    ).set_index("group")
    t0 = g["arrival"].to_dict()
    handed: dict[str, str] = {}
    tr = rows_of(ev, "relief_transfer_in")
    for ent, ref, info in zip(tr.entity, tr.ref, tr["info"], strict=True):  # sources first
        t0[ent] = t0.get(ref, t0[ent])
        handed[ent] = info
    g["handed_on"] = [handed.get(i, "") for i in g.index]
    g["first"] = g.index.map(t0)
    met = (
        rows_of(ev, "needs_met")
        .groupby("entity")
        .agg(met=("t", "min"), people_met=("qty", "first"))
    )
    g = g.join(met)
    target = target_h * 60.0
    deadline = np.minimum(g["first"] + target, g["met"].fillna(np.inf))
    left = rows_of(ev, "relief_left")
    left = left[left["info"] == "unmet"]
    left = left.assign(deadline=left.entity.map(deadline))
    g["left_unmet"] = left[left.t <= left.deadline].groupby("entity").qty.sum()
    g["left_unmet"] = g["left_unmet"].fillna(0.0)
    g["people_met"] = g["people_met"].fillna(0.0)
    g["hours_to_met"] = (g["met"] - g["first"]) / 60.0
    g["met_in_target"] = g["hours_to_met"] <= target_h + 1e-9
    g["counted"] = g["handed_on"].isin(["", "unmet_in_time"])
    # Judged only where the whole 24-h window lies inside the horizon. Judging also groups
    # met early in a window the horizon cuts (as before 2026-12-07) while dropping the
    # unmet ones in such windows biased the share up: at a 20-h horizon every judged
    # group had been met, and the plan read PASS.
    g["judged"] = g["counted"] & (g["first"] + target <= horizon_min)
    g["arrival_h"] = g["arrival"] / 60.0
    g["first_arrival_h"] = g["first"] / 60.0
    g["met_h"] = g["met"] / 60.0
    return g.reset_index()[GROUP_COLUMNS]


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
    g = group_table(ev, rc.target_h, horizon_min)
    new = g[g["handed_on"] == ""] if len(g) else g
    out["people_sheltered"] = float(new["people"].sum()) if len(g) else 0.0
    out["people_handed_on"] = float(g["people"].sum() - out["people_sheltered"]) if len(g) else 0.0
    out["people_needs_unmet_end"] = out["people_needs_met_24h"] = out["people_judged_24h"] = 0.0
    if len(g):
        j = g[g["judged"]]
        ok = float(j.loc[j["met_in_target"], "people_met"].sum())
        judged = float((j["people"] - j["left_unmet"]).sum())
        out["needs_met_24h_share"] = _share(ok, judged)
        out["people_needs_met_24h"], out["people_judged_24h"] = ok, judged
        out["needs_met_by_onset_24h_share"] = _onset_share(ev, g, rc.target_h, horizon_min)
        m = g[g["counted"] & g["met_h"].notna()]
        w = m["people_met"].to_numpy(dtype=float)
        h = m["hours_to_met"].to_numpy(dtype=float)
        out["needs_met_mean_h"] = float(np.average(h, weights=w)) if w.sum() > 0 else float("nan")
        out["needs_met_p90_h"] = _weighted_quantile(h, w, 0.9)
        left = rows_of(ev, "relief_left").groupby("entity").qty.sum()
        unmet = g[g["met_h"].isna()]
        out["people_needs_unmet_end"] = float(
            (unmet["people"] - unmet["group"].map(left).fillna(0.0)).sum()
        )
    kg = {k: v.unit_kg for k, v in rc.kit.items()}
    unload = rows_of(ev, "relief_unload")
    out["relief_trips"] = float(len(rows_of(ev, "relief_dispatch")))
    out["relief_tonnes_delivered"] = float((unload.qty * unload["info"].map(kg)).sum() / 1000.0)
    out["relief_truck_utilisation"] = truck_utilisation(ev, horizon_min)
    out.update(mode_kpis(ev, kg))
    towns = delivery_towns(ev, rc.target_h, horizon_min, kg)
    out["relief_towns_sheltering"] = float(len(towns))
    out["relief_towns_unserved"] = float((towns["unmet_end"] > 0).sum()) if len(towns) else 0.0
    out["relief_towns_unmet_24h"] = (
        float((towns["judged_people"] > towns["people_met_in_target"] + 1e-9).sum())
        if len(towns)
        else 0.0
    )
    out["relief_waits_for_road"] = float(len(rows_of(ev, "relief_wait_road")))
    out["relief_grounded_h"] = float(rows_of(ev, "relief_grounded")["qty"].sum() / 60.0)
    for name, event in (
        ("relief_stockouts", "relief_stockout"),
        ("relief_shortages", "relief_shortage"),
        ("relief_calloffs", "relief_calloff"),
        ("relief_deliveries_blocked", "relief_blocked"),
        ("relief_trips_delayed", "relief_delayed"),
    ):
        out[name] = float(len(rows_of(ev, event)))
    return out


def vehicle_modes(ev: pd.DataFrame) -> dict[str, str]:
    """Vehicle id -> mode (road, water, air) from the ``relief_vehicle`` rows."""
    veh = rows_of(ev, "relief_vehicle")
    return dict(zip(veh.entity, veh["info"], strict=True))


def unload_kg(ev: pd.DataFrame, kg: dict[str, float]) -> pd.DataFrame:
    """``relief_unload`` rows with the vehicle's mode and the kilograms unloaded."""
    u = rows_of(ev, "relief_unload")
    return u.assign(mode=u.entity.map(vehicle_modes(ev)), kg=u.qty * u["info"].map(kg))


def mode_kpis(ev: pd.DataFrame, kg: dict[str, float]) -> dict[str, float]:
    """Trips dispatched and tonnes unloaded by road, water and air."""
    modes = vehicle_modes(ev)
    disp = rows_of(ev, "relief_dispatch")["entity"].map(modes)
    tonnes = unload_kg(ev, kg).groupby("mode")["kg"].sum() / 1000.0
    out = {}
    for m in MODES:
        out[f"relief_trips_{m}"] = float((disp == m).sum())
        out[f"relief_tonnes_{m}"] = float(tonnes.get(m, 0.0))
    return out


TOWN_COLUMNS = ["node", "people", "judged_people", "people_met_in_target", "share_met_in_target",
                "unmet_end", "unserved", "first_delivery_h"] + [
    f"{k}_{m}" for m in MODES for k in ("trips", "kg")]  # fmt: skip


def delivery_towns(
    ev: pd.DataFrame, target_h: float, horizon_min: float, kg: dict[str, float]
) -> pd.DataFrame:
    """Per shelter node (town): people sheltered there, judged and served within the target,
    people still unmet at the horizon (``unserved``), and trips and kg by mode (``kg``: unit
    weight by item). Made once per log: the KPIs and the tables both read it."""
    key = ("relief.delivery_towns", target_h, horizon_min, tuple(sorted(kg.items())))
    return derived(ev, key, lambda: _delivery_towns(ev, group_table(ev, target_h, horizon_min), kg))


def _delivery_towns(ev: pd.DataFrame, g: pd.DataFrame, kg: dict[str, float]) -> pd.DataFrame:
    if g.empty:
        return pd.DataFrame(columns=TOWN_COLUMNS)
    left = rows_of(ev, "relief_left").groupby("entity").qty.sum()
    x = _judged(g).assign(
        new=np.where(g["handed_on"] == "", g["people"], 0.0),
        unmet=np.where(g["met_h"].isna(), g["people"] - g["group"].map(left).fillna(0.0), 0.0),
    )
    out = x.groupby("node").agg(
        people=("new", "sum"),
        judged_people=("jp", "sum"),
        people_met_in_target=("ok", "sum"),
        unmet_end=("unmet", "sum"),
    )
    out["share_met_in_target"] = _met_share(out)
    out["unserved"] = out["unmet_end"] > 0
    u = unload_kg(ev, kg)
    out["first_delivery_h"] = u.groupby("node").t.min() / 60.0
    trips = u.drop_duplicates(["t", "entity", "ref"])
    for m in MODES:
        out[f"trips_{m}"] = trips[trips["mode"] == m].groupby("node").size()
        out[f"kg_{m}"] = u[u["mode"] == m].groupby("node")["kg"].sum()
    out = out.fillna({c: 0.0 for c in out.columns if c.startswith(("trips_", "kg_"))})
    return out.rename_axis("node").reset_index().reindex(columns=TOWN_COLUMNS)


def _onset_share(ev: pd.DataFrame, g: pd.DataFrame, target_h: float, horizon_min: float) -> float:
    onset = rows_of(ev, "relief_onset")["t"]
    start = float(onset.iloc[0]) if len(onset) else float(g["first_arrival_h"].min() * 60.0)
    deadline = start + target_h * 60.0
    if deadline > horizon_min:
        return float("nan")
    arrived = g[g["counted"] & (g["first_arrival_h"] * 60.0 <= deadline)]
    met = arrived["met_h"] * 60.0 <= deadline
    left = rows_of(ev, "relief_left")
    left = left[(left["info"] == "unmet") & (left.t <= deadline)]
    gone = arrived["group"].map(left.groupby("entity").qty.sum()).fillna(0.0)
    # people met by the deadline / people there by then (not counting who left unmet)
    judged = (arrived["people"] - gone).where(~met, arrived["people_met"])
    return _share(arrived.loc[met, "people_met"].sum(), judged.sum())


def truck_utilisation(ev: pd.DataFrame, horizon_min: float) -> float:
    """Share of road-vehicle time from fleet ready to horizon spent on trips."""
    veh = rows_of(ev, "relief_vehicle")
    veh = veh[veh["info"] == "road"]
    ready = rows_of(ev, "relief_ready").groupby("entity").t.min()
    if veh.empty or ready.empty:
        return float("nan")
    avail = (horizon_min - veh.ref.map(ready)).clip(lower=0).fillna(0.0).sum()
    ids = set(veh.entity)
    disp = rows_of(ev, "relief_dispatch")
    disp = disp[disp.entity.isin(ids)]
    free = rows_of(ev, "relief_free")
    free = free[free.entity.isin(ids)]
    busy = free.qty.sum()
    open_trips = len(disp) - len(free)
    if open_trips > 0:  # trips still under way at the horizon
        last = disp.groupby("entity").t.max()
        n_free = free.groupby("entity").size()
        n_disp = disp.groupby("entity").size()
        running = n_disp.sub(n_free, fill_value=0) > 0
        busy += float((horizon_min - last[running]).sum())
    return float(busy / avail) if avail > 0 else float("nan")


def relief_tables(
    ev: pd.DataFrame, target_h: float, horizon_min: float, kg: dict[str, float] | None = None
) -> dict[str, pd.DataFrame]:
    """Detail tables of one replication (``kg``: unit weight by item, for the mode table)."""
    g = group_table(ev, target_h, horizon_min)
    return {
        "relief_groups": g,
        "relief_delivery_towns": delivery_towns(ev, target_h, horizon_min, kg or {}),
        "relief_shelters": _by(g, "shelter"),
        "relief_towns": _by(g, "origin"),
        "relief_stockouts": _stockouts(ev),
        "relief_vehicles": _vehicles(ev, horizon_min),
        "relief_calloffs": rows_of(ev, "relief_calloff")[["entity", "t", "ref", "qty"]]
        .rename(columns={"entity": "depot", "ref": "trigger", "qty": "items"})
        .assign(t_h=lambda d: d.t / 60.0)
        .drop(columns="t"),
    }


def _judged(g: pd.DataFrame) -> pd.DataFrame:
    """Group rows with ``ok`` (people met within the target, if judged) and ``jp`` (people
    judged) columns."""
    return g.assign(
        ok=np.where(g["judged"] & g["met_in_target"], g["people_met"], 0.0),
        jp=np.where(g["judged"], g["people"] - g["left_unmet"], 0.0),
    )


def _met_share(out: pd.DataFrame) -> pd.Series:
    """people_met_in_target / judged_people (NaN where nobody was judged)."""
    return out["people_met_in_target"] / out["judged_people"].where(out["judged_people"] > 0)


def _by(g: pd.DataFrame, key: str) -> pd.DataFrame:
    """Time to meet needs by shelter or by town of origin."""
    cols = [key, "groups", "people", "first_arrival_h", "people_met_in_target", "judged_people",
            "share_met_in_target", "mean_hours_to_met", "max_hours_to_met"]  # fmt: skip
    if g.empty:
        return pd.DataFrame(columns=cols)
    g = _judged(g).assign(wh=g["hours_to_met"].fillna(0.0) * g["people_met"])
    out = g.groupby(key).agg(
        groups=("group", "size"),
        people=("people", "sum"),
        first_arrival_h=("arrival_h", "min"),
        people_met_in_target=("ok", "sum"),
        judged_people=("jp", "sum"),
        wh=("wh", "sum"),
        pm=("people_met", "sum"),
        max_hours_to_met=("hours_to_met", "max"),
    )
    out["share_met_in_target"] = _met_share(out)
    out["mean_hours_to_met"] = out["wh"] / out["pm"].where(out["pm"] > 0)
    return out.reset_index()[cols]


def _stockouts(ev: pd.DataFrame) -> pd.DataFrame:
    s = rows_of(ev, "relief_stockout")
    return pd.DataFrame(
        {
            "depot": s.entity.to_numpy(),
            "node": s.node.to_numpy(),
            "item": s["info"].to_numpy(),
            "t_h": s.t.to_numpy() / 60.0,
        }
    )


def _vehicles(ev: pd.DataFrame, horizon_min: float) -> pd.DataFrame:
    veh = rows_of(ev, "relief_vehicle")
    free = rows_of(ev, "relief_free").groupby("entity").qty.agg(["size", "sum"])
    kg = rows_of(ev, "relief_dispatch").groupby("entity").qty.sum()
    return pd.DataFrame(
        {
            "vehicle": veh.entity.to_numpy(),
            "fleet": veh.ref.to_numpy(),
            "mode": veh["info"].to_numpy(),
            "base": veh.node.to_numpy(),
            "trips": veh.entity.map(free["size"]).fillna(0).to_numpy(),
            "kg_carried": veh.entity.map(kg).fillna(0.0).to_numpy(),
            "busy_h": veh.entity.map(free["sum"]).fillna(0.0).to_numpy() / 60.0,
        }
    )
