# sim/evacuation/metrics.py before its post-processing was made cheaper (commit a35ca13), verbatim:
# the reference formulation tests/test_postprocess.py checks the new one against.
"""Evacuation measures, tables and figures, computed after the run from the event log only.

Log rows used (see :mod:`sim.evacuation.service`): ``evac_order``, ``at_risk`` (per town),
``complied`` / ``refused`` (per town, at the order: people who will leave once warned and
ready / warned people who stay),
``warned``, ``depart_home``, ``out_of_zone`` (node = the town left), ``sheltered``
(info ``<type>/<mode>``; mode ``transfer`` for people handed on), ``shelter_transfer``,
``turned_away``, ``no_shelter`` / ``wait_end``, ``caught_by_hazard`` (ref ``home``,
``road:<road>``, ...; info ``transfer`` when caught while handed on between shelters),
``evac_impact``, ``shelter_site`` (capacity), ``link_delay``, ``casualty`` (an incident
handed to rescue for caught people) with its ``incident_window`` row, and the rescue
module's ``arrive`` rows for those incidents.

Casualties (the plans' zero-death and casualty targets: Nan'an 001, Bishan 000 L76): every
caught person is in one casualty incident with a survival window from the moment they were
caught. At the horizon each is *rescued* (a team arrived within the window), *not reached in
time* (the window ended with no team there: counted as a death, an ASSUMPTION of the model;
the window's sources are in scenarios/evacuation.py) or *awaiting rescue* (window still open).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.core.eventlog import derived, first_arrivals, incident_windows, rows_of

NAN = float("nan")
CURVE_STEP_MIN = 15.0


_rows = rows_of


def first_sheltered(ev: pd.DataFrame) -> pd.DataFrame:
    """Arrivals at a first shelter (not people handed on between shelters)."""
    sh = _rows(ev, "sheltered")
    return sh[~sh["info"].str.endswith("/transfer")]


# How people caught on a road were travelling (the first word of their ``on_road`` row's
# info): KPI evac_caught_on_road_<key>; walkers never drive, people handed on between
# shelters travel as "transfer".
ROAD_MODES = {"car": "by_car", "bus": "by_bus", "assist": "assisted", "transfer": "in_transfer"}


def caught_on_road_by_mode(ev: pd.DataFrame) -> dict[str, float]:
    """People caught on a road, by how they travelled (``evac_caught_on_road_by_car``,
    ``_by_bus``, ``_assisted``, ``_in_transfer``; they add up to ``evac_caught_on_road``).

    More buses can mean more people caught on the roads: people who would wait at a safe
    assembly point are driven towards a shelter on roads that flood (docs/evacuation_model.md).
    """
    caught = _rows(ev, "caught_by_hazard")
    caught = caught[caught.ref.str.startswith("road:")]
    trips = _rows(ev, "on_road")
    mode = dict(zip(trips.entity, trips["info"].str.split(" ", n=1).str[0], strict=True))
    out = dict.fromkeys(ROAD_MODES.values(), 0.0)
    for gid, people in zip(caught.entity, caught.qty, strict=True):
        key = ROAD_MODES.get(mode.get(gid, ""))
        if key is None:  # pragma: no cover - every road trip logs its mode first
            raise ValueError(f"caught on a road without a logged trip: group {gid}")
        out[key] += float(people)
    return {f"evac_caught_on_road_{k}": v for k, v in out.items()}


def impact_times(ev: pd.DataFrame) -> dict[str, float]:
    """Time the hazard reached each town (node id -> minutes)."""
    imp = _rows(ev, "evac_impact")
    return dict(zip(imp.entity, imp.t, strict=True))


def unsheltered_person_hours(ev: pd.DataFrame, horizon_min: float) -> float:
    """People x hours spent waiting because no shelter had room (open waits end at horizon)."""
    rows = ev[ev.event.isin(["no_shelter", "wait_end"])].sort_values("t", kind="stable")
    total, open_ = 0.0, {}
    for t, e, ent, q in zip(rows.t, rows.event, rows.entity, rows.qty, strict=True):
        if e == "no_shelter":
            open_[ent] = (t, q)
        elif ent in open_:
            t0, q0 = open_.pop(ent)
            total += q0 * (t - t0)
    total += sum(q * (horizon_min - t0) for t0, q in open_.values())
    return total / 60.0


def occupancy(ev: pd.DataFrame) -> pd.DataFrame:
    """Per shelter site: capacity, peak occupancy, people admitted and turned away (made once
    per log: the KPIs and the tables both read it)."""
    return derived(ev, "evacuation.occupancy", lambda: _occupancy(ev))


def _occupancy(ev: pd.DataFrame) -> pd.DataFrame:
    sites = _rows(ev, "shelter_site")[["entity", "node", "ref", "qty", "info"]].rename(
        columns={"entity": "shelter", "ref": "type", "qty": "capacity", "info": "tier"}
    )
    moves = ev[ev.event.isin(["sheltered", "shelter_transfer"])]
    sign = np.where(moves.event == "sheltered", 1.0, -1.0)
    delta = pd.DataFrame({"shelter": moves.entity.to_numpy(), "d": sign * moves.qty.to_numpy()})
    delta["occ"] = delta.groupby("shelter")["d"].cumsum()
    peak = delta.groupby("shelter")["occ"].max()
    admitted = _rows(ev, "sheltered").groupby("entity")["qty"].sum()
    away = _rows(ev, "turned_away").groupby("entity")["qty"].sum()
    out = sites.set_index("shelter")
    out["peak"] = peak.reindex(out.index).fillna(0.0)
    out["admitted"] = admitted.reindex(out.index).fillna(0.0)
    out["turned_away"] = away.reindex(out.index).fillna(0.0)
    out["peak_share"] = out["peak"] / out["capacity"].where(out["capacity"] > 0)
    out["full"] = out["peak"] >= out["capacity"]
    return out.reset_index()


def shelter_nodes(ev: pd.DataFrame) -> pd.DataFrame:
    """Per shelter node (town): sites, capacity, peak people at once, admitted, turned away."""
    sites = _rows(ev, "shelter_site")
    moves = ev[ev.event.isin(["sheltered", "shelter_transfer"])]
    d = np.where(moves.event == "sheltered", 1.0, -1.0) * moves.qty.to_numpy()
    frame = pd.DataFrame({"node": moves.node.to_numpy(), "d": d})
    frame["occ"] = frame.groupby("node")["d"].cumsum()
    out = sites.groupby("node").agg(sites=("entity", "size"), capacity=("qty", "sum"))
    out["peak"] = frame.groupby("node")["occ"].max().reindex(out.index).fillna(0.0)
    out["admitted"] = _rows(ev, "sheltered").groupby("node")["qty"].sum()
    out["turned_away"] = _rows(ev, "turned_away").groupby("node")["qty"].sum()
    out = out.fillna({"admitted": 0.0, "turned_away": 0.0})
    return out.rename_axis("node").reset_index()


CASUALTY_COLUMNS = ["incident", "group", "node", "kind", "people", "caught_h", "window_h",
                    "first_arrival_h", "status"]  # fmt: skip


def casualty_table(ev: pd.DataFrame, horizon_min: float) -> pd.DataFrame:
    """One row per casualty incident: when and where people were caught, their survival
    window, the first team's arrival and the outcome at the horizon (rescued, not reached in
    time, awaiting rescue). Made once per log."""
    key = ("evacuation.casualties", horizon_min)
    return derived(ev, key, lambda: _casualty_table(ev, horizon_min))


def _casualty_table(ev: pd.DataFrame, horizon_min: float) -> pd.DataFrame:
    cas = _rows(ev, "casualty")
    if cas.empty:
        return pd.DataFrame(columns=CASUALTY_COLUMNS)
    win = incident_windows(ev)["window_min"]
    arr = first_arrivals(ev)
    t = cas.t.to_numpy(dtype=float)
    w = cas.entity.map(win).to_numpy(dtype=float)
    a = cas.entity.map(arr).to_numpy(dtype=float)
    deadline = t + w
    rescued = ~np.isnan(a) & (a <= deadline + 1e-9)
    late = ~rescued & (deadline <= horizon_min)
    status = np.where(rescued, "rescued", np.where(late, "not_reached_in_time", "awaiting"))
    return pd.DataFrame(
        {
            "incident": cas.entity.to_numpy(),
            "group": cas.ref.to_numpy(),
            "node": cas.node.to_numpy(),
            "kind": cas["info"].to_numpy(),
            "people": cas.qty.to_numpy(dtype=float),
            "caught_h": t / 60.0,
            "window_h": w / 60.0,
            "first_arrival_h": a / 60.0,
            "status": status,
        }
    )


def casualty_kpis(ev: pd.DataFrame, horizon_min: float, population: float) -> dict[str, float]:
    """People caught, rescued in time, not reached in time (= deaths), awaiting rescue."""
    c = casualty_table(ev, horizon_min)
    by = c.groupby("status")["people"].sum() if len(c) else pd.Series(dtype=float)
    deaths = float(by.get("not_reached_in_time", 0.0))
    return {
        "evac_casualty_incidents": float(len(c)),
        "evac_caught_followed": float(c["people"].sum()) if len(c) else 0.0,
        "evac_caught_rescued": float(by.get("rescued", 0.0)),
        "evac_caught_not_reached_in_time": deaths,
        "evac_caught_awaiting_rescue": float(by.get("awaiting", 0.0)),
        "evac_deaths": deaths,
        "evac_deaths_per_million": deaths / population * 1e6 if population > 0 else NAN,
    }


def evacuation_kpis(
    ev: pd.DataFrame, orders: list, horizon_min: float, population: float = 0.0
) -> dict[str, float]:
    """One replication's evacuation KPIs (one row of kpis.csv); ``population``: district
    residents, for deaths per million (000 L76)."""
    t0 = min(o.t for o in orders)
    plan = max(o.plan_people for o in orders)
    at_risk = float(_rows(ev, "at_risk").qty.sum())
    warned = float(_rows(ev, "warned").qty.sum())
    complied = float(_rows(ev, "complied").qty.sum())
    out = _rows(ev, "out_of_zone")
    imp = impact_times(ev)
    deadline = out.node.map(lambda n: imp.get(n, np.inf)).to_numpy(dtype=float)
    out_before = float(out.qty.to_numpy()[out.t.to_numpy() <= deadline].sum())
    first = first_sheltered(ev).sort_values("t", kind="stable")
    sheltered = float(first.qty.sum())
    cum = first.qty.cumsum().to_numpy()
    caught = _rows(ev, "caught_by_hazard")
    n_caught = float(caught.qty.sum())
    t_first_impact = min(imp.values()) if imp else np.inf

    def time_to(n: float) -> float:
        """Hours from the order until ``n`` people have reached a shelter (NaN: never)."""
        if n <= 0 or not cum.size or cum[-1] < n:
            return NAN
        return (float(first.t.to_numpy()[np.searchsorted(cum, n)]) - t0) / 60.0

    def never(n: float) -> float:
        """The run's hours after the order where ``n`` people never reached a shelter in
        it (a lower bound on that time), NaN where they did or ``n`` is none."""
        return (horizon_min - t0) / 60.0 if n > 0 and math.isnan(time_to(n)) else NAN

    occ = occupancy(ev)
    moves = ev[ev.event.isin(["sheltered", "shelter_transfer"])]
    total_in = np.cumsum(np.where(moves.event == "sheltered", 1.0, -1.0) * moves.qty.to_numpy())
    delays = _rows(ev, "link_delay").qty
    wait_h = (first.t.to_numpy() - t0) / 60.0
    return {
        "evac_people_at_risk": at_risk,
        "evac_plan_people": float(plan),
        "evac_warned_people": warned,
        "evac_warned_share": warned / at_risk if at_risk else NAN,
        "evac_out_before_impact_people": out_before,
        "evac_out_before_impact_share": out_before / at_risk if at_risk else NAN,
        "evac_zone_clearance_h": (float(out.t.max()) - t0) / 60.0 if len(out) else NAN,
        "evac_sheltered_people": sheltered,
        "evac_sheltered_share": sheltered / at_risk if at_risk else NAN,
        "evac_sheltered_by_impact": float(first.qty[first.t <= t_first_impact].sum()),
        "evac_shelter_clearance_h": float(wait_h.max()) if wait_h.size else NAN,
        "evac_mean_time_to_shelter_h": (
            float(np.average(wait_h, weights=first.qty)) if wait_h.size else NAN
        ),
        # the plan's N counts everyone at risk; people who refuse never come, so the target
        # is the plan's N capped at the people who complied
        "evac_time_to_plan_people_h": time_to(min(plan, complied)),
        "evac_time_to_90pct_sheltered_h": time_to(0.9 * at_risk),
        # (where they never got there: the run's length, which estimates count instead)
        "evac_time_to_plan_people_censored_h": never(min(plan, complied)),
        "evac_time_to_90pct_sheltered_censored_h": never(0.9 * at_risk),
        "evac_caught_people": n_caught,
        "evac_caught_at_home": float(caught.qty[caught.ref == "home"].sum()),
        "evac_caught_on_road": float(caught.qty[caught.ref.str.startswith("road:")].sum()),
        # out of their homes, not yet on a road: leaving the town, at an assembly point,
        # waiting for or boarding transport, in the queue onto the road (with the two above:
        # every caught person)
        "evac_caught_setting_out": float(
            caught.qty[(caught.ref != "home") & ~caught.ref.str.startswith("road:")].sum()
        ),
        **caught_on_road_by_mode(ev),
        "evac_never_sheltered": at_risk
        - sheltered
        - float(caught.qty[caught["info"] != "transfer"].sum()),
        # people who would leave once warned and ready (complied; drawn at the order, so it
        # also counts people the warning never reached) and never reached a first shelter:
        # not warned in time, caught preparing at home, waiting for help, at an assembly
        # point or on the road, or still without a place at the horizon
        "evac_complied_people": complied,
        "evac_evacuees_not_sheltered": complied - sheltered,
        "evac_refused": float(_rows(ev, "refused").qty.sum()),
        "evac_turned_away_people": float(_rows(ev, "turned_away").qty.sum()),
        "evac_unsheltered_person_h": unsheltered_person_hours(ev, horizon_min),
        "evac_in_shelter_max": float(total_in.max()) if total_in.size else 0.0,
        "evac_shelters_full": float(occ["full"].sum()) if len(occ) else 0.0,
        "evac_peak_occupancy_share": float(occ["peak_share"].max()) if len(occ) else NAN,
        "evac_max_link_delay_min": float(delays.max()) if len(delays) else 0.0,
        **casualty_kpis(ev, horizon_min, population),
    }


def warning_kpis(ev: pd.DataFrame) -> dict[str, float]:
    """Reach of public hazard warnings: residents warned, and those reached before impact."""
    issued = _rows(ev, "public_warning")
    if issued.empty:
        return {}
    people = float(issued.qty.sum())
    in_time = float(_rows(ev, "public_warned_in_time").qty.sum())
    return {
        "warning_people": people,
        "warning_reached_in_time": in_time,
        "warning_reached_in_time_share": in_time / people if people else NAN,
    }


def warning_towns(ev: pd.DataFrame) -> pd.DataFrame:
    """Per town: residents warned, reached before impact, and the share (worst first)."""
    issued = _rows(ev, "public_warning").groupby("entity").qty.sum()
    if issued.empty:
        return pd.DataFrame(columns=["town", "people", "reached_in_time", "share"])
    ok = _rows(ev, "public_warned_in_time").groupby("entity").qty.sum()
    out = pd.DataFrame({"people": issued, "reached_in_time": ok.reindex(issued.index).fillna(0)})
    out["share"] = out["reached_in_time"] / out["people"].where(out["people"] > 0)
    return out.rename_axis("town").reset_index().sort_values("share", kind="stable")


def _cum_at(t: np.ndarray, q: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``q`` at each grid time (events at ``t``, in any order)."""
    if t.size == 0:
        return np.zeros(len(grid))
    order = np.argsort(t, kind="stable")
    t, c = t[order], np.cumsum(q[order])
    idx = np.searchsorted(t, grid, side="right")
    return np.where(idx > 0, c[np.maximum(idx - 1, 0)], 0.0)


def evacuation_curve(ev: pd.DataFrame, orders: list, horizon_min: float) -> pd.DataFrame:
    """People warned, out of the zone, sheltered, in shelter and caught every 15 minutes."""
    grid = np.arange(0.0, horizon_min + CURVE_STEP_MIN / 2, CURVE_STEP_MIN)

    def cum(frame: pd.DataFrame, sign: float = 1.0) -> np.ndarray:
        return _cum_at(frame.t.to_numpy(), sign * frame.qty.to_numpy(), grid)

    first = first_sheltered(ev)
    imp = impact_times(ev)
    return pd.DataFrame(
        {
            "t_h": grid / 60.0,
            "at_risk": float(_rows(ev, "at_risk").qty.sum()),
            "warned": cum(_rows(ev, "warned")),
            "left_home": cum(_rows(ev, "depart_home")),
            "out_of_zone": cum(_rows(ev, "out_of_zone")),
            "sheltered": cum(first),
            "in_shelter": cum(_rows(ev, "sheltered")) - cum(_rows(ev, "shelter_transfer")),
            "caught": cum(_rows(ev, "caught_by_hazard")),
            "plan_people": float(max(o.plan_people for o in orders)),
            "impact_h": (min(imp.values()) / 60.0) if imp else NAN,
        }
    )


def link_table(ev: pd.DataFrame) -> pd.DataFrame:
    """Per road link: platoons delayed, worst and total queueing delay (vehicle-minutes)."""
    d = _rows(ev, "link_delay")
    if not len(d):
        return pd.DataFrame(columns=["link", "platoons", "max_delay_min", "veh_delay_min"])
    veh = d["info"].str.split(" ").str[0].astype(float)
    frame = pd.DataFrame({"link": d.entity.to_numpy(), "delay": d.qty.to_numpy(), "veh": veh})
    frame["vd"] = frame["delay"] * frame["veh"]
    out = frame.groupby("link").agg(
        platoons=("delay", "size"), max_delay_min=("delay", "max"), veh_delay_min=("vd", "sum")
    )
    return out.sort_values("veh_delay_min", ascending=False).reset_index()


def town_table(ev: pd.DataFrame) -> pd.DataFrame:
    """Per at-risk town: people at risk, warned, complied, left home, out before impact,
    caught at home, and reached a first shelter (by the town they left)."""
    risk = _rows(ev, "at_risk").groupby("entity")["qty"].sum()
    out = pd.DataFrame({"at_risk": risk})
    out["warned"] = _rows(ev, "warned").groupby("entity")["qty"].sum()
    out["complied"] = _rows(ev, "complied").groupby("entity")["qty"].sum()
    dep = _rows(ev, "depart_home")
    out["left_home"] = dep.groupby("node")["qty"].sum()
    # group -> the town it left (a group carried by a vehicle has the vehicle's trip id:
    # its out_of_zone row names the town too)
    oz = _rows(ev, "out_of_zone")
    origin = dict(zip(dep.entity, dep.node, strict=True)) | dict(
        zip(oz.entity, oz.node, strict=True)
    )
    first = first_sheltered(ev)
    out["sheltered"] = first.qty.groupby(first.ref.map(origin)).sum()
    imp = impact_times(ev)
    oz = _rows(ev, "out_of_zone")
    before = oz[oz.t.to_numpy() <= oz.node.map(lambda n: imp.get(n, np.inf)).to_numpy(float)]
    out["out_before_impact"] = before.groupby("node")["qty"].sum()
    home = _rows(ev, "caught_by_hazard")
    home = home[home.ref == "home"]
    out["caught_at_home"] = home.groupby("node")["qty"].sum()
    out["impact_h"] = pd.Series(imp) / 60.0
    out = out.fillna({c: 0.0 for c in out.columns if c != "impact_h"})
    return out.rename_axis("town").reset_index()


def evacuation_tables(ev: pd.DataFrame, orders: list, horizon_min: float) -> dict:
    """``evac_curve``, ``evac_shelters``, ``evac_shelter_nodes``, ``evac_links``,
    ``evac_towns`` and ``evac_casualties`` of one replication."""
    return {
        "evac_curve": evacuation_curve(ev, orders, horizon_min),
        "evac_shelters": occupancy(ev),
        "evac_shelter_nodes": shelter_nodes(ev),
        "evac_links": link_table(ev),
        "evac_towns": town_table(ev),
        "evac_casualties": casualty_table(ev, horizon_min),
    }
