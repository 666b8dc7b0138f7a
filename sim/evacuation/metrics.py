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

from sim.core.eventlog import (
    KindRows,
    arrays_of,
    arrays_of_kinds,
    derived,
    group_cumsums,
    group_max,
    group_min,
    group_sums,
    isnan,
    kind_table,
    own_frame,
    rows_of,
    series_sum,
)

NAN = float("nan")
CURVE_STEP_MIN = 15.0

# The measures below work on the log's rows as arrays (sim.core.eventlog's arrays_of) and
# plain Python, with pandas' own arithmetic where it matters (group_sums, series_sum): a
# replication's evacuation log has a few hundred rows of each kind, where pandas' per-call
# overhead cost more than the work.


def _first(rows: KindRows) -> np.ndarray:
    """Which ``sheltered`` rows are arrivals at a first shelter (not people handed on)."""
    return np.array([not _ends(i, "/transfer") for i in rows.info], dtype=bool)


def _starts(x, prefix: str) -> bool:
    """``x`` is a text starting with ``prefix`` (pandas' ``str.startswith``, False for NaN)."""
    return isinstance(x, str) and x.startswith(prefix)


def _ends(x, suffix: str) -> bool:
    """``x`` is a text ending with ``suffix`` (pandas' ``str.endswith``, False for NaN)."""
    return isinstance(x, str) and x.endswith(suffix)


def _number(x) -> float:
    """``x``, or 0.0 where it is missing (None or NaN): pandas' ``reindex().fillna(0.0)``."""
    return 0.0 if x is None or x != x else x


def first_sheltered(ev: pd.DataFrame) -> pd.DataFrame:
    """Arrivals at a first shelter (not people handed on between shelters)."""
    sh = rows_of(ev, "sheltered")
    return sh[_first(arrays_of(ev, "sheltered"))]


def _first_sheltered(ev: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t, people, ref) of the arrivals at a first shelter, in log order."""
    sh = arrays_of(ev, "sheltered")
    first = _first(sh)
    return sh.t[first], sh.qty[first], sh.ref[first]


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
    caught = arrays_of(ev, "caught_by_hazard")
    trips = arrays_of(ev, "on_road")
    mode = {g: (i.split(" ", 1)[0] if isinstance(i, str) else NAN)
            for g, i in zip(trips.entity, trips.info, strict=True)}  # fmt: skip
    out = dict.fromkeys(ROAD_MODES.values(), 0.0)
    for gid, ref, people in zip(caught.entity, caught.ref, caught.qty.tolist(), strict=True):
        if not _starts(ref, "road:"):
            continue
        key = ROAD_MODES.get(mode.get(gid, ""))
        if key is None:  # pragma: no cover - every road trip logs its mode first
            raise ValueError(f"caught on a road without a logged trip: group {gid}")
        out[key] += float(people)
    return {f"evac_caught_on_road_{k}": v for k, v in out.items()}


def impact_times(ev: pd.DataFrame) -> dict[str, float]:
    """Time the hazard reached each town (node id -> minutes)."""
    imp = arrays_of(ev, "evac_impact")
    return dict(zip(imp.entity.tolist(), imp.t.tolist(), strict=True))


def unsheltered_person_hours(ev: pd.DataFrame, horizon_min: float) -> float:
    """People x hours spent waiting because no shelter had room (open waits end at horizon)."""
    rows = arrays_of_kinds(ev, ("no_shelter", "wait_end"))
    order = np.argsort(rows.t, kind="stable")
    total, open_ = 0.0, {}
    for t, e, ent, q in zip(
        rows.t[order].tolist(), rows.event[order], rows.entity[order], rows.qty[order].tolist(),
        strict=True,
    ):  # fmt: skip
        if e == "no_shelter":
            open_[ent] = (t, q)
        elif ent in open_:
            t0, q0 = open_.pop(ent)
            total += q0 * (t - t0)
    total += sum(q * (horizon_min - t0) for t0, q in open_.values())
    return total / 60.0


def _moves(ev: pd.DataFrame) -> tuple[KindRows, np.ndarray]:
    """The ``sheltered`` and ``shelter_transfer`` rows in log order, and the change of the
    people in shelter each makes (+ people admitted, - people handed on)."""
    moves = arrays_of_kinds(ev, ("sheltered", "shelter_transfer"))
    return moves, np.where(moves.event == "sheltered", 1.0, -1.0) * moves.qty


def _peaks(keys: np.ndarray, delta: np.ndarray) -> dict:
    """Per key, the most people at once (the largest running sum of its changes)."""
    return group_max(keys, group_cumsums(keys, delta))


def occupancy(ev: pd.DataFrame) -> pd.DataFrame:
    """Per shelter site: capacity, peak occupancy, people admitted and turned away."""
    sites = kind_table(
        ev,
        "shelter_site",
        {"shelter": "entity", "node": "node", "type": "ref", "capacity": "qty", "tier": "info"},
    )
    for col, values in _occupancy(ev).items():
        sites[col] = values.copy()  # (the cached arrays are read-only)
    return sites


def _occupancy(ev: pd.DataFrame) -> dict[str, np.ndarray]:
    """The measured columns of :func:`occupancy` (made once per log: the KPIs read them)."""
    return derived(ev, "evacuation.occupancy_columns", lambda: _occupancy_columns(ev))


def _occupancy_columns(ev: pd.DataFrame) -> dict[str, np.ndarray]:
    sites = arrays_of(ev, "shelter_site")
    moves, delta = _moves(ev)
    peak = _peaks(moves.entity, delta)
    sh = arrays_of(ev, "sheltered")
    admitted = group_sums(sh.entity, sh.qty)
    away_rows = arrays_of(ev, "turned_away")
    away = group_sums(away_rows.entity, away_rows.qty)

    def per_site(values: dict) -> np.ndarray:
        return np.array([_number(values.get(s)) for s in sites.entity], dtype=float)

    out = {"peak": per_site(peak), "admitted": per_site(admitted), "turned_away": per_site(away)}
    capacity = sites.qty
    out["peak_share"] = out["peak"] / np.where(capacity > 0, capacity, NAN)
    out["full"] = out["peak"] >= capacity
    for a in out.values():
        a.flags.writeable = False
    return out


def shelter_nodes(ev: pd.DataFrame) -> pd.DataFrame:
    """Per shelter node (town): sites, capacity, peak people at once, admitted, turned away."""
    sites = arrays_of(ev, "shelter_site")
    moves, delta = _moves(ev)
    nodes = sorted(n for n in set(sites.node.tolist()) if not isnan(n))
    peak = _peaks(moves.node, delta)
    sh = arrays_of(ev, "sheltered")
    admitted = group_sums(sh.node, sh.qty)
    away_rows = arrays_of(ev, "turned_away")
    away = group_sums(away_rows.node, away_rows.qty)
    capacity = group_sums(sites.node, sites.qty)
    n_sites: dict = {}
    for n in sites.node:
        n_sites[n] = n_sites.get(n, 0) + 1

    def col(values: dict) -> np.ndarray:
        return np.array([_number(values.get(n)) for n in nodes], dtype=float)

    if not nodes:
        return _shelter_nodes_pandas(ev)
    return pd.DataFrame(
        {
            "node": np.array(nodes, dtype=object),
            "sites": np.array([n_sites[n] for n in nodes], dtype=np.int64),
            "capacity": col(capacity),
            "peak": col(peak),
            "admitted": col(admitted),
            "turned_away": col(away),
        }
    )


def _shelter_nodes_pandas(ev: pd.DataFrame) -> pd.DataFrame:
    """:func:`shelter_nodes` of a log without shelter sites (the model always logs them): the
    pandas formulation, whose frame of no site takes its rows from the first measure assigned
    to it, kept as it was."""
    moves = ev[ev.event.isin(["sheltered", "shelter_transfer"])]
    d = np.where(moves.event == "sheltered", 1.0, -1.0) * moves.qty.to_numpy()
    frame = pd.DataFrame({"node": moves.node.to_numpy(), "d": d})
    frame["occ"] = frame.groupby("node")["d"].cumsum()
    out = (
        rows_of(ev, "shelter_site")
        .groupby("node")
        .agg(sites=("entity", "size"), capacity=("qty", "sum"))
    )
    out["peak"] = frame.groupby("node")["occ"].max().reindex(out.index).fillna(0.0)
    out["admitted"] = rows_of(ev, "sheltered").groupby("node")["qty"].sum()
    out["turned_away"] = rows_of(ev, "turned_away").groupby("node")["qty"].sum()
    out = out.fillna({"admitted": 0.0, "turned_away": 0.0})
    return out.rename_axis("node").reset_index()


CASUALTY_COLUMNS = ["incident", "group", "node", "kind", "people", "caught_h", "window_h",
                    "first_arrival_h", "status"]  # fmt: skip


def casualty_table(ev: pd.DataFrame, horizon_min: float) -> pd.DataFrame:
    """One row per casualty incident: when and where people were caught, their survival
    window, the first team's arrival and the outcome at the horizon (rescued, not reached in
    time, awaiting rescue)."""
    c = _casualties(ev, horizon_min)
    if c is None:
        return pd.DataFrame(columns=CASUALTY_COLUMNS)
    return own_frame(c)


def _casualties(ev: pd.DataFrame, horizon_min: float) -> dict[str, np.ndarray] | None:
    """The columns of :func:`casualty_table` (None: no casualty), made once per log."""
    key = ("evacuation.casualty_columns", horizon_min)
    return derived(ev, key, lambda: _casualty_columns(ev, horizon_min))


def _casualty_columns(ev: pd.DataFrame, horizon_min: float) -> dict[str, np.ndarray] | None:
    cas = arrays_of(ev, "casualty")
    if not len(cas):
        return None
    windows = arrays_of(ev, "incident_window")
    win = dict(zip(windows.entity, windows.qty.tolist(), strict=True))
    arrive = arrays_of(ev, "arrive")
    first = group_min(arrive.ref, arrive.t)
    t = cas.t
    w = np.array([win.get(i, NAN) for i in cas.entity], dtype=float)
    a = np.array([first.get(i, NAN) for i in cas.entity], dtype=float)
    deadline = t + w
    rescued = ~np.isnan(a) & (a <= deadline + 1e-9)
    late = ~rescued & (deadline <= horizon_min)
    status = np.where(rescued, "rescued", np.where(late, "not_reached_in_time", "awaiting"))
    out = {
        "incident": cas.entity,
        "group": cas.ref,
        "node": cas.node,
        "kind": cas.info,
        "people": cas.qty,
        "caught_h": t / 60.0,
        "window_h": w / 60.0,
        "first_arrival_h": a / 60.0,
        "status": status,
    }
    for v in out.values():
        v.flags.writeable = False
    return out


def casualty_kpis(ev: pd.DataFrame, horizon_min: float, population: float) -> dict[str, float]:
    """People caught, rescued in time, not reached in time (= deaths), awaiting rescue."""
    c = _casualties(ev, horizon_min)
    by = group_sums(c["status"].tolist(), c["people"]) if c is not None else {}
    deaths = by.get("not_reached_in_time", 0.0)
    return {
        "evac_casualty_incidents": float(len(c["incident"]) if c is not None else 0),
        "evac_caught_followed": series_sum(c["people"]) if c is not None else 0.0,
        "evac_caught_rescued": by.get("rescued", 0.0),
        "evac_caught_not_reached_in_time": deaths,
        "evac_caught_awaiting_rescue": by.get("awaiting", 0.0),
        "evac_deaths": deaths,
        "evac_deaths_per_million": deaths / population * 1e6 if population > 0 else NAN,
    }


def _cumsum(values: np.ndarray) -> np.ndarray:
    """pandas' ``Series.cumsum()``: running sum with NaN counted as 0 and kept as NaN."""
    missing = np.isnan(values)
    out = np.cumsum(np.where(missing, 0.0, values))
    out[missing] = NAN
    return out


def _max(values: np.ndarray) -> float:
    """The largest number (NaN skipped; NaN if none), as pandas' ``Series.max()``."""
    numbers = values[~np.isnan(values)]
    return float(numbers.max()) if numbers.size else NAN


def evacuation_kpis(
    ev: pd.DataFrame, orders: list, horizon_min: float, population: float = 0.0
) -> dict[str, float]:
    """One replication's evacuation KPIs (one row of kpis.csv); ``population``: district
    residents, for deaths per million (000 L76)."""
    t0 = min(o.t for o in orders)
    plan = max(o.plan_people for o in orders)
    at_risk = series_sum(arrays_of(ev, "at_risk").qty)
    warned = series_sum(arrays_of(ev, "warned").qty)
    complied = series_sum(arrays_of(ev, "complied").qty)
    out = arrays_of(ev, "out_of_zone")
    imp = impact_times(ev)
    deadline = np.array([imp.get(n, np.inf) for n in out.node], dtype=float)
    out_before = float(out.qty[out.t <= deadline].sum())
    first_t, first_q, _ = _first_sheltered(ev)
    order = np.argsort(first_t, kind="stable")
    first_t, first_q = first_t[order], first_q[order]
    sheltered = series_sum(first_q)
    cum = _cumsum(first_q)
    caught = arrays_of(ev, "caught_by_hazard")
    n_caught = series_sum(caught.qty)
    t_first_impact = min(imp.values()) if imp else np.inf
    at_home = caught.ref == "home"
    on_road = np.array([_starts(r, "road:") for r in caught.ref], dtype=bool)

    def time_to(n: float) -> float:
        """Hours from the order until ``n`` people have reached a shelter (NaN: never)."""
        if n <= 0 or not cum.size or cum[-1] < n:
            return NAN
        return (float(first_t[np.searchsorted(cum, n)]) - t0) / 60.0

    def never(n: float) -> float:
        """The run's hours after the order where ``n`` people never reached a shelter in
        it (a lower bound on that time), NaN where they did or ``n`` is none."""
        return (horizon_min - t0) / 60.0 if n > 0 and math.isnan(time_to(n)) else NAN

    occ = _occupancy(ev)
    moves, delta = _moves(ev)
    total_in = np.cumsum(delta)
    delays = arrays_of(ev, "link_delay").qty
    wait_h = (first_t - t0) / 60.0
    return {
        "evac_people_at_risk": at_risk,
        "evac_plan_people": float(plan),
        "evac_warned_people": warned,
        "evac_warned_share": warned / at_risk if at_risk else NAN,
        "evac_out_before_impact_people": out_before,
        "evac_out_before_impact_share": out_before / at_risk if at_risk else NAN,
        "evac_zone_clearance_h": (_max(out.t) - t0) / 60.0 if len(out) else NAN,
        "evac_sheltered_people": sheltered,
        "evac_sheltered_share": sheltered / at_risk if at_risk else NAN,
        "evac_sheltered_by_impact": series_sum(first_q[first_t <= t_first_impact]),
        "evac_shelter_clearance_h": float(wait_h.max()) if wait_h.size else NAN,
        "evac_mean_time_to_shelter_h": (
            float(np.average(wait_h, weights=first_q)) if wait_h.size else NAN
        ),
        # the plan's N counts everyone at risk; people who refuse never come, so the target
        # is the plan's N capped at the people who complied
        "evac_time_to_plan_people_h": time_to(min(plan, complied)),
        "evac_time_to_90pct_sheltered_h": time_to(0.9 * at_risk),
        # (where they never got there: the run's length, which estimates count instead)
        "evac_time_to_plan_people_censored_h": never(min(plan, complied)),
        "evac_time_to_90pct_sheltered_censored_h": never(0.9 * at_risk),
        "evac_caught_people": n_caught,
        "evac_caught_at_home": series_sum(caught.qty[at_home]),
        "evac_caught_on_road": series_sum(caught.qty[on_road]),
        # out of their homes, not yet on a road: leaving the town, at an assembly point,
        # waiting for or boarding transport, in the queue onto the road (with the two above:
        # every caught person)
        "evac_caught_setting_out": series_sum(caught.qty[~at_home & ~on_road]),
        **caught_on_road_by_mode(ev),
        "evac_never_sheltered": at_risk
        - sheltered
        - series_sum(caught.qty[caught.info != "transfer"]),
        # people who would leave once warned and ready (complied; drawn at the order, so it
        # also counts people the warning never reached) and never reached a first shelter:
        # not warned in time, caught preparing at home, waiting for help, at an assembly
        # point or on the road, or still without a place at the horizon
        "evac_complied_people": complied,
        "evac_evacuees_not_sheltered": complied - sheltered,
        "evac_refused": series_sum(arrays_of(ev, "refused").qty),
        "evac_turned_away_people": series_sum(arrays_of(ev, "turned_away").qty),
        "evac_unsheltered_person_h": unsheltered_person_hours(ev, horizon_min),
        "evac_in_shelter_max": float(total_in.max()) if total_in.size else 0.0,
        "evac_shelters_full": float(occ["full"].sum()) if len(occ["full"]) else 0.0,
        "evac_peak_occupancy_share": _max(occ["peak_share"]) if len(occ["full"]) else NAN,
        "evac_max_link_delay_min": _max(delays) if len(delays) else 0.0,
        **casualty_kpis(ev, horizon_min, population),
    }


# What :func:`warning_kpis` returns (where any public warning went out).
WARNING_KPI_NAMES = ("warning_people", "warning_reached_in_time", "warning_reached_in_time_share")


def warning_kpis(ev: pd.DataFrame) -> dict[str, float]:
    """Reach of public hazard warnings: residents warned, and those reached before impact."""
    issued = arrays_of(ev, "public_warning")
    if not len(issued):
        return {}
    people = series_sum(issued.qty)
    in_time = series_sum(arrays_of(ev, "public_warned_in_time").qty)
    values = (people, in_time, in_time / people if people else NAN)
    return dict(zip(WARNING_KPI_NAMES, values, strict=True))


def warning_towns(ev: pd.DataFrame) -> pd.DataFrame:
    """Per town: residents warned, reached before impact, and the share (worst first)."""
    rows = arrays_of(ev, "public_warning")
    issued = group_sums(rows.entity, rows.qty)
    if not issued:
        return pd.DataFrame(columns=["town", "people", "reached_in_time", "share"])
    rows = arrays_of(ev, "public_warned_in_time")
    ok = group_sums(rows.entity, rows.qty)
    towns = sorted(issued)
    people = np.array([issued[t] for t in towns], dtype=float)
    reached = np.array([_number(ok.get(t)) for t in towns], dtype=float)
    share = reached / np.where(people > 0, people, NAN)
    order = np.argsort(share, kind="stable")  # worst first (NaN last, as pandas sorts)
    return pd.DataFrame(
        {
            "town": np.array(towns, dtype=object)[order],
            "people": people[order],
            "reached_in_time": reached[order],
            "share": share[order],
        },
        index=order,
    )


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

    def cum(name: str) -> np.ndarray:
        rows = arrays_of(ev, name)
        return _cum_at(rows.t, rows.qty, grid)

    first_t, first_q, _ = _first_sheltered(ev)
    transfers = arrays_of(ev, "shelter_transfer")
    imp = impact_times(ev)
    return pd.DataFrame(
        {
            "t_h": grid / 60.0,
            "at_risk": series_sum(arrays_of(ev, "at_risk").qty),
            "warned": cum("warned"),
            "left_home": cum("depart_home"),
            "out_of_zone": cum("out_of_zone"),
            "sheltered": _cum_at(first_t, first_q, grid),
            "in_shelter": cum("sheltered") - _cum_at(transfers.t, 1.0 * transfers.qty, grid),
            "caught": cum("caught_by_hazard"),
            "plan_people": float(max(o.plan_people for o in orders)),
            "impact_h": (min(imp.values()) / 60.0) if imp else NAN,
        }
    )


def link_table(ev: pd.DataFrame) -> pd.DataFrame:
    """Per road link: platoons delayed, worst and total queueing delay (vehicle-minutes)."""
    if not len(arrays_of(ev, "link_delay")):
        return pd.DataFrame(columns=["link", "platoons", "max_delay_min", "veh_delay_min"])
    d = rows_of(ev, "link_delay")
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
    risk = arrays_of(ev, "at_risk")
    at_risk = group_sums(risk.entity, risk.qty)
    towns = sorted(at_risk)

    def by(keys, values) -> np.ndarray:
        sums = group_sums(keys, values)
        return np.array([_number(sums.get(t)) for t in towns], dtype=float)

    warned = arrays_of(ev, "warned")
    complied = arrays_of(ev, "complied")
    dep = arrays_of(ev, "depart_home")
    oz = arrays_of(ev, "out_of_zone")
    # group -> the town it left (a group carried by a vehicle has the vehicle's trip id:
    # its out_of_zone row names the town too)
    origin = dict(zip(dep.entity, dep.node, strict=True)) | dict(
        zip(oz.entity, oz.node, strict=True)
    )
    _, first_q, first_ref = _first_sheltered(ev)
    imp = impact_times(ev)
    before = oz.t <= np.array([imp.get(n, np.inf) for n in oz.node], dtype=float)
    caught = arrays_of(ev, "caught_by_hazard")
    home = caught.ref == "home"
    out = {
        "town": np.array(towns, dtype=object),
        "at_risk": np.array([at_risk[t] for t in towns], dtype=float),
        "warned": by(warned.entity, warned.qty),
        "complied": by(complied.entity, complied.qty),
        "left_home": by(dep.node, dep.qty),
        "sheltered": by([origin.get(r, NAN) for r in first_ref], first_q),
        "out_before_impact": by(oz.node[before], oz.qty[before]),
        "caught_at_home": by(caught.node[home], caught.qty[home]),
    }
    out["impact_h"] = np.array([imp.get(t, NAN) for t in towns], dtype=float) / 60.0
    if not towns or not imp:
        return _town_table_pandas(ev)
    return pd.DataFrame(out)


def _town_table_pandas(ev: pd.DataFrame) -> pd.DataFrame:
    """:func:`town_table` of a log without people at risk or without the hazard's impact
    (pandas' frame of no town takes its rows from the first measure assigned to it; its
    impact of no town is an object column): the pandas formulation, kept as it was."""
    out = pd.DataFrame({"at_risk": rows_of(ev, "at_risk").groupby("entity")["qty"].sum()})
    out["warned"] = rows_of(ev, "warned").groupby("entity")["qty"].sum()
    out["complied"] = rows_of(ev, "complied").groupby("entity")["qty"].sum()
    dep = rows_of(ev, "depart_home")
    out["left_home"] = dep.groupby("node")["qty"].sum()
    oz = rows_of(ev, "out_of_zone")
    origin = dict(zip(dep.entity, dep.node, strict=True)) | dict(
        zip(oz.entity, oz.node, strict=True)
    )
    first = first_sheltered(ev)
    out["sheltered"] = first.qty.groupby(first.ref.map(origin)).sum()
    imp = impact_times(ev)
    before = oz[oz.t.to_numpy() <= oz.node.map(lambda n: imp.get(n, np.inf)).to_numpy(float)]
    out["out_before_impact"] = before.groupby("node")["qty"].sum()
    home = rows_of(ev, "caught_by_hazard")
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
