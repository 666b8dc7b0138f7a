"""Layout search: where to put N depots, teams or trucks.

1. **Candidates** are network nodes of the configured kinds (town seats, streets; or the
   layout's depots when placing trucks), minus excluded nodes and sites already holding
   the same kind of resource.
2. **Analytic first cut**: a p-median (Hakimi 1964; ReVelle & Swain 1970) or maximal
   covering (Church & ReVelle 1974) model on free-flow road travel times from site to
   demand node, weighted by the population at risk, solved as a MILP with PuLP and HiGHS or
   CBC. Sites already in the layout (e.g. the county depot) stay open and serve whoever is
   nearer to them. The ``alternatives`` best distinct layouts come from re-solving with a
   no-good cut on each found layout.
3. **Refinement by simulation** on common random numbers: the analytic layouts, the layout
   as composed and the baselines (e.g. the plan layout) run the same replications, and Kim &
   Nelson's fully sequential procedure (``sim.run.paired.kn_select``) selects the best on the
   objective KPI within a budget of replications.
4. **Final comparison**: the best layouts and the baselines on the same replications,
   analysed by ``sim.run.compare`` (paired gain over the reference with its interval).

What is not searched over (the other entries of the searched table, the excluded nodes) is
listed as held fixed in the report and ``search_summary.json``.

Outputs: ``search_candidates.csv``, ``search_selection.csv``, ``best_overrides.txt``,
``search_summary.json``, ``comparison.csv``, ``kpis.csv``, ``report.html``, ``tables.xlsx``.
Method: docs/compare.md.
"""

from __future__ import annotations

import contextlib
import copy
import html
import itertools
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config import Config, SearchConfig
from sim.core.errors import NetworkError, UserError
from sim.core.network import RoadNetwork
from sim.core.paths import CONF_DIR
from sim.core.places import SETTLEMENT_KINDS
from sim.run.app import check_nodes
from sim.run.compare import (
    Alternative,
    Outcome,
    analyse,
    check_no_resume,
    format_comparison,
    html_table,
    kpi_frame,
    kpi_values,
    write_comparison,
)
from sim.run.experiment import run_replications
from sim.run.outputs import check_run_folder, staged, write_json, write_run_info
from sim.run.paired import Selection, kn_select, paired

STOCK_LEVELS = ("district", "town", "village")


# ------------------------------------------------------------------------ the analytic cut
@dataclass
class Layout:
    """Sites (node indices, one per item) from the analytic cut."""

    name: str
    sites: list[int]
    demand: str
    method: str
    rank: int
    objective: float  # the model's objective (weighted minutes, or people covered)


def demand_weights(conf: Config, net: RoadNetwork, mode: str, background: float) -> np.ndarray:
    """People at risk per node.

    ``population``: every town/street's population. ``scenario``: the expected people at
    risk of the scenario's evacuation zone (split over the zone's nodes in proportion to
    population x weight, as ``scenarios/evacuation.py`` draws them), plus ``background`` of
    that total spread over all towns by population (sites serve other disasters too); falls
    back to ``population`` when the scenario has no evacuation zone for the district.
    """
    towns = net.nodes_of_kind(*SETTLEMENT_KINDS)
    pop = np.zeros(net.n)
    pop[towns] = net.population[towns].astype(float)
    if mode == "population":
        return pop
    evac = getattr(conf.scenario, "evacuation", None)
    zone = evac.zones.get(evac.district) if evac is not None else None
    if zone is None or not zone.nodes:
        return pop
    idx = [net.idx(n, "scenario.evacuation.zones.nodes") for n in zone.nodes]
    w = np.array([float(zone.weights.get(n, 1.0)) for n in zone.nodes])
    p = net.population[idx].astype(float)
    if zone.people > 0:
        risk = min(float(zone.people), p.sum()) * (p * w) / max((p * w).sum(), 1e-12)
    else:
        risk = np.clip(zone.share_of_population * w, 0.0, 1.0) * p
    out = np.zeros(net.n)
    np.add.at(out, idx, risk)
    if background > 0 and pop.sum() > 0:
        total = out.sum()
        out = (1 - background) * out + background * total * pop / pop.sum()
    return out


def travel_matrix(net: RoadNetwork, sources: list[int], dests: list[int]) -> np.ndarray:
    """Free-flow travel minutes from each source to each destination."""
    return np.array([net.times_from(s)[dests] for s in sources], dtype=float)


@contextlib.contextmanager
def _quiet_stdout():
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def _solver(name: str):
    try:
        import pulp
    except ImportError:
        raise UserError("search: needs PuLP (pip install -e '.[search]')") from None
    # The site models are small (tens of candidates and demand nodes): solved to proven
    # optimality (relative MIP gap 0), not to the solvers' default gap of 1e-4, within which
    # any layout of near-equal cover or cost would count as optimal.
    if name == "highs":
        s = pulp.HiGHS(msg=False, gapRel=0.0)
        if not s.available():
            raise UserError("search.solver=highs: needs highspy (pip install -e '.[search]')")
        return s
    return pulp.PULP_CBC_CMD(msg=False, gapRel=0.0)


def solve_sites(
    cost: np.ndarray,
    weight: np.ndarray,
    p: int,
    fixed_cost: np.ndarray | None = None,
    method: str = "p_median",
    cover_min: float = 60.0,
    solver: str = "highs",
    exclude: list[list[int]] | None = None,
) -> tuple[list[int], float]:
    """Open ``p`` of the candidate rows of ``cost`` (candidates x demand nodes).

    p-median: minimise sum_d w_d * (travel time from the nearest open site, or from the
    fixed sites ``fixed_cost[d]`` if nearer). Max cover: maximise the weight within
    ``cover_min`` of an open or fixed site, then, among the layouts of that cover, minimise
    the p-median cost (lexicographic, or preemptive, optimisation: a second solve with the
    cover held at its optimum; a tie-break weight on travel in one objective sat below the
    solvers' MIP gap and decided nothing). Both solved with MIP gap 0. ``exclude``:
    layouts already found (no-good cuts). Returns (chosen candidate rows, objective: the
    weighted minutes, or the weight covered).
    """
    with warnings.catch_warnings():  # PuLP 3.x announces its 4.0 API on every variable
        warnings.simplefilter("ignore", DeprecationWarning)
        return _solve_sites(cost, weight, p, fixed_cost, method, cover_min, solver, exclude)


def _solve_sites(cost, weight, p, fixed_cost, method, cover_min, solver, exclude):
    nc, nd = cost.shape
    if p > nc:
        raise UserError(f"search: {p} sites wanted but only {nc} candidates")
    fixed = np.full(nd, np.inf) if fixed_cost is None else np.asarray(fixed_cost, dtype=float)
    big = float(np.nanmax(np.where(np.isfinite(cost), cost, 0))) * 10 + 1e3
    c = np.where(np.isfinite(cost), cost, big)
    f = np.where(np.isfinite(fixed), fixed, big)
    # the models see weights summing to 1: with people as weights the objective's
    # coefficients reach 1e8 and HiGHS reports "optimal" layouts that are not
    w = np.asarray(weight, dtype=float) / max(float(np.sum(weight)), 1e-300)
    if method == "p_median":
        chosen = _site_model(c, f, w, p, exclude, cover_min, solver, "cost")
        return (chosen, layout_cost(c, weight, chosen, f)) if chosen is not None else ([], math.nan)
    first = _site_model(c, f, w, p, exclude, cover_min, solver, "cover")
    if first is None:
        return [], math.nan
    # then the least travel among the layouts of that cover (lexicographic; in a new model)
    # ASSUMPTION: a cover short of the optimum by less than 1e-9 of the total weight is the
    # optimum (room for the solvers' feasibility tolerance; far below one person at any node)
    best, tol = _covered(c, w, first, f, cover_min), 1e-9
    second = _site_model(c, f, w, p, exclude, cover_min, solver, "cost", best - tol)
    if second is not None and _covered(c, w, second, f, cover_min) >= best - tol:
        first = second
    return first, _covered(c, weight, first, f, cover_min)


def _site_model(c, f, weight, p, exclude, cover_min, solver, goal, min_cover=None):
    """Solve one site model: minimise the weighted travel (``goal="cost"``; with
    ``min_cover``, among layouts covering at least that weight) or maximise the weight
    covered within ``cover_min`` (``"cover"``). The chosen candidate rows, None if no
    optimum was found."""
    import pulp

    nc, nd = c.shape
    prob = pulp.LpProblem("sites", pulp.LpMinimize if goal == "cost" else pulp.LpMaximize)
    y = [pulp.LpVariable(f"y{j}", cat="Binary") for j in range(nc)]
    x = {
        (j, d): pulp.LpVariable(f"x{j}_{d}", lowBound=0, upBound=1)
        for j in range(nc)
        for d in range(nd)
        if c[j, d] < f[d]  # a site farther than the fixed ones never serves d
    }
    x0 = [pulp.LpVariable(f"fixed_{d}", lowBound=0, upBound=1) for d in range(nd)]
    for d in range(nd):
        prob += pulp.lpSum(x[j, d] for j in range(nc) if (j, d) in x) + x0[d] == 1
    for (j, _d), var in x.items():
        prob += var <= y[j]
    prob += pulp.lpSum(y) == p
    for layout in exclude or []:
        prob += pulp.lpSum(y[j] for j in layout) <= p - 1
    wcost = pulp.lpSum(weight[d] * c[j, d] * x[j, d] for (j, d) in x) + pulp.lpSum(
        weight[d] * f[d] * x0[d] for d in range(nd)
    )
    if goal == "cover" or min_cover is not None:
        cover = [pulp.LpVariable(f"z{d}", lowBound=0, upBound=1) for d in range(nd)]
        for d in range(nd):
            near = [y[j] for j in range(nc) if c[j, d] <= cover_min]
            prob += cover[d] <= pulp.lpSum(near) + (1 if f[d] <= cover_min else 0)
        covered = pulp.lpSum(weight[d] * cover[d] for d in range(nd))
        if min_cover is not None:
            prob += covered >= min_cover
    prob += wcost if goal == "cost" else covered
    if not _solve(prob, solver):
        return None
    return sorted(j for j in range(nc) if (y[j].value() or 0) > 0.5)


def _solve(prob, solver: str) -> bool:
    """Solve ``prob``; True when an optimum was found."""
    import pulp

    with _quiet_stdout():  # highspy prints a banner on its own file descriptor
        status = prob.solve(_solver(solver))
    return pulp.LpStatus[status] == "Optimal"


def _covered(
    cost: np.ndarray, weight: np.ndarray, rows: list[int], fixed: np.ndarray, cover_min: float
) -> float:
    """The weight within ``cover_min`` of an open (``rows``) or fixed site."""
    near = fixed <= cover_min
    if rows:
        near = near | (cost[rows] <= cover_min).any(axis=0)
    return float(weight[near].sum())


def layout_cost(
    cost: np.ndarray, weight: np.ndarray, rows: list[int], fixed_cost: np.ndarray | None = None
) -> float:
    """The p-median objective of a given set of candidate rows (for checks and tables)."""
    best = cost[rows].min(axis=0) if rows else np.full(cost.shape[1], np.inf)
    if fixed_cost is not None:
        best = np.minimum(best, fixed_cost)
    return float((weight * best).sum())


def brute_force_p_median(
    cost: np.ndarray, weight: np.ndarray, p: int, fixed_cost: np.ndarray | None = None
) -> tuple[list[int], float]:
    """The p-median optimum by enumeration (small cases: a check of :func:`solve_sites`)."""
    best = min(
        itertools.combinations(range(cost.shape[0]), p),
        key=lambda rows: layout_cost(cost, weight, list(rows), fixed_cost),
    )
    return list(best), layout_cost(cost, weight, list(best), fixed_cost)


# ------------------------------------------------------------------- what is being placed
def _items(conf: Config, s: SearchConfig) -> dict:
    place = s.place
    table = {
        "depots": conf.layout.depots,
        "teams": conf.layout.teams,
        "trucks": conf.layout.relief.fleets if conf.layout.relief is not None else {},
    }[place]
    section = {
        "depots": "layout.depots",
        "teams": "layout.teams",
        "trucks": "layout.relief.fleets",
    }[place]
    for key in s.items:
        if key not in table:
            raise UserError(f"search.items: '{key}' is not in {section} ({', '.join(table)})")
    return table


def _stock_depots(conf: Config) -> dict[str, str]:
    """Depot key -> node of the layout's stock-holding depots."""
    return {
        k: d.node
        for k, d in conf.layout.depots.items()
        if d.level in STOCK_LEVELS and any(v > 0 for v in d.stock.values())
    }


def candidates(conf: Config, net: RoadNetwork, s: SearchConfig) -> tuple[list[int], list[int]]:
    """(candidate nodes, fixed nodes: the same kind of resource, staying where it is)."""
    _items(conf, s)
    exclude = {net.idx(n, "search.exclude") for n in s.exclude}
    if s.place == "trucks":
        nodes = sorted({net.idx(n, "layout.depots") for n in _stock_depots(conf).values()})
        return [n for n in nodes if n not in exclude], []
    if s.place == "depots":
        fixed = sorted(
            {
                net.idx(n, "layout.depots")
                for k, n in _stock_depots(conf).items()
                if k not in s.items
            }
        )
    else:
        fixed = []
    nodes = [i for i in net.nodes_of_kind(*s.candidates) if i not in exclude and i not in fixed]
    if len(nodes) < len(s.items):
        raise UserError(
            f"search.candidates: {len(nodes)} candidate nodes of kinds "
            f"{', '.join(s.candidates)} for {len(s.items)} items"
        )
    return nodes, fixed


def _fixed_row(net: RoadNetwork, what: str, key: str, node: str, in_cut: bool, note: str) -> dict:
    i = net.index.get(str(node))
    return {
        "what": what,
        "key": key,
        "node": node,
        "name_zh": "" if i is None else str(net.attr(i, "name_zh") or ""),
        "in_analytic_cut": in_cut,
        "note": note,
    }


def held_fixed(conf: Config, net: RoadNetwork, s: SearchConfig) -> list[dict]:
    """What the search does not move: the other entries of the table it searches (where they
    stand; the stock-holding depots also serve demand in the analytic cut) and the nodes it
    never proposes (``search.exclude``)."""
    table = _items(conf, s)
    stock = _stock_depots(conf)
    what = {"depots": "depot", "teams": "team", "trucks": "fleet"}[s.place]
    rows = []
    for key, item in table.items():
        if key in s.items:
            continue
        if s.place == "depots":
            rows.append(_fixed_row(net, what, key, item.node, key in stock, f"level {item.level}"))
        elif s.place == "teams":
            rows.append(_fixed_row(net, what, key, item.home, False, f"{item.count} x {item.tier}"))
        else:
            depot = conf.layout.depots.get(item.base)
            node = depot.node if depot is not None else item.base
            note = f"{item.count} x {item.mode}, base {item.base}"
            rows.append(_fixed_row(net, what, key, node, False, note))
    for node in s.exclude:
        rows.append(_fixed_row(net, "excluded node", "", node, False, "never proposed"))
    return rows


def place(conf: Config, net: RoadNetwork, s: SearchConfig, sites: list[int]) -> Config:
    """A copy of ``conf`` with item k of ``s.items`` at ``sites[k]``."""
    out = copy.deepcopy(conf)
    table = _items(out, s)
    by_node = {v: k for k, v in _stock_depots(conf).items()}
    for key, site in zip(s.items, sites, strict=True):
        node = net.nodes[site]
        if s.place == "depots":
            table[key].node = node
        elif s.place == "teams":
            table[key].home = node
        else:
            table[key].base = by_node[node]
    try:
        check_nodes(out, net)
    except NetworkError as exc:
        raise UserError(str(exc)) from None
    return out


def overrides_of(s: SearchConfig, net: RoadNetwork, conf: Config, sites: list[int]) -> list[str]:
    """The command-line overrides that put the items at ``sites``."""
    by_node = {v: k for k, v in _stock_depots(conf).items()}
    out = []
    for key, site in zip(s.items, sites, strict=True):
        if s.place == "depots":
            out.append(f"layout.depots.{key}.node={net.nodes[site]}")
        elif s.place == "teams":
            out.append(f"layout.teams.{key}.home={net.nodes[site]}")
        else:
            out.append(f"layout.relief.fleets.{key}.base={by_node[net.nodes[site]]}")
    return out


def current_sites(conf: Config, net: RoadNetwork, s: SearchConfig) -> list[int]:
    """Where the items are in the composed layout."""
    table = _items(conf, s)
    deps = _stock_depots(conf)
    out = []
    for key in s.items:
        item = table[key]
        node = {"depots": "node", "teams": "home"}.get(s.place)
        if node is not None:
            value = getattr(item, node)
            out.append(net.idx(value, f"search.items.{key}") if value != "each_town" else -1)
        else:
            out.append(net.idx(deps.get(item.base, ""), f"search.items.{key}"))
    return out


def analytic_layouts(
    conf: Config, net: RoadNetwork, s: SearchConfig
) -> tuple[list[Layout], pd.DataFrame]:
    """The analytic cut: the best distinct layouts for each demand weighting."""
    cand, fixed = candidates(conf, net, s)
    p = len(s.items)
    layouts: list[Layout] = []
    seen: set[tuple[int, ...]] = set()
    weights = {d: demand_weights(conf, net, d, s.background_share) for d in s.demand}
    rows = []
    for dmode, w_all in weights.items():
        dem = [i for i in range(net.n) if w_all[i] > 0]
        cost = travel_matrix(net, cand, dem)
        fixed_cost = travel_matrix(net, fixed, dem).min(axis=0) if fixed else None
        w = w_all[dem]
        found: list[list[int]] = []
        for rank in range(1, s.alternatives + 1):
            rows_, obj = solve_sites(cost, w, p, fixed_cost, s.method, s.cover_min, s.solver, found)
            if not rows_:
                break
            found.append(rows_)
            sites = [cand[j] for j in rows_]
            key = tuple(sorted(sites))
            if key in seen:
                continue
            seen.add(key)
            layouts.append(Layout(f"{s.method}_{dmode}_{rank}", sites, dmode, s.method, rank, obj))
    for lay in layouts:
        row = {
            "layout": lay.name,
            "demand": lay.demand,
            "method": lay.method,
            "rank": lay.rank,
            "objective": lay.objective,
            "sites": " ".join(net.nodes[i] for i in lay.sites),
            "sites_zh": " ".join(str(net.attr(i, "name_zh")) for i in lay.sites),
        }
        for dmode, w_all in weights.items():
            dem = [i for i in range(net.n) if w_all[i] > 0]
            open_nodes = lay.sites + fixed
            t = travel_matrix(net, open_nodes, dem).min(axis=0)
            w = w_all[dem]
            row[f"mean_travel_min_{dmode}"] = float((w * t).sum() / w.sum())
            row[f"within_{s.cover_min:g}min_{dmode}"] = float(w[t <= s.cover_min].sum() / w.sum())
        rows.append(row)
    return layouts, pd.DataFrame(rows)


# ---------------------------------------------------------------------- simulation stage
class Runner:
    """Runs replications of the alternatives on demand and keeps every KPI by replication."""

    def __init__(self, alts: list[Alternative], objective: str) -> None:
        self.alts = alts
        self.objective = objective
        self.frames: dict[str, pd.DataFrame] = {a.name: pd.DataFrame() for a in alts}
        self.runs = 0

    def run(self, i: int, r0: int, r1: int) -> None:
        a = self.alts[i]
        reps = list(range(r0, r1))
        res = run_replications(a.conf, a.net, reps, None, False)
        for r in res:
            if r.error:
                raise UserError(f"search: {a.name} replication {r.rep} failed: {r.error}")
        self.frames[a.name] = pd.concat([self.frames[a.name], kpi_frame(res, reps)])
        self.runs += len(reps)

    def draw(self, idx: list[int], r0: int, r1: int) -> np.ndarray:
        out = []
        for i in idx:
            name = self.alts[i].name
            have = len(self.frames[name])
            if have < r1:
                self.run(i, have, r1)
            f = self.frames[name]
            if self.objective not in f:
                raise UserError(
                    f"search.objective='{self.objective}': no such KPI in this scenario "
                    f"(e.g. {', '.join(list(f.columns)[:6])})"
                )
            v = kpi_values(f, self.objective)[0][r0:r1]  # (a time that never came: its bound)
            if not np.isfinite(v).all():
                raise UserError(
                    f"search.objective='{self.objective}' undefined in a replication of {name}"
                )
            out.append(v)
        print(
            f"search: {self.runs} replications run ({len(idx)} alternatives in contention)",
            file=sys.stderr,
        )
        return np.array(out)


def rank_alternatives(sel: Selection, maximise: bool) -> list[int]:
    """The alternatives best first, by how long they stayed in the selection: the selected
    one, the other survivors (a budget stop), then the later eliminated (or merged) before
    the earlier. Alternatives that left at the same stage, and the survivors, are ordered by
    their mean over the replications they all had then (means over different numbers of
    replications are not comparable: an alternative eliminated after 4 replications may
    show a better mean there than the winner over 10); ties by index."""
    sign = 1.0 if maximise else -1.0

    def key(i: int) -> tuple:
        if i == sel.best:
            return (0, 0, 0.0, i)
        if i in sel.survivors:
            return (1, 0, -sign * float(np.mean(sel.data[i][: sel.stage])), i)
        e = sel.eliminated_at[i]
        return (2, -e, -sign * float(np.mean(sel.data[i][:e])), i)

    return sorted(range(len(sel.reps)), key=key)


SENSE_BETTER = {"max": "higher", "min": "lower"}


def _contention(sel: Selection) -> str:
    """Whether the selection carries Kim & Nelson's guarantee, in a few words."""
    if sel.guaranteed:
        return ""
    return f"no guarantee: the budget stopped it with {len(sel.survivors)} in contention"


def _status(sel: Selection, i: int, alts: list[Alternative]) -> str:
    """selected | selected (no guarantee: ...) | survivor | eliminated | identical to X
    (merged) | tied with X (merged)."""
    if i == sel.best:
        return f"selected ({_contention(sel)})" if _contention(sel) else "selected"
    if i in sel.survivors:
        return "survivor"
    if i in sel.merged:
        how = "identical to" if i in sel.identical else "tied with"
        return f"{how} {alts[sel.merged[i]].name} (merged)"
    return "eliminated"


def _merged_text(sel: Selection, alts: list[Alternative]) -> str:
    """The report's sentence on alternatives merged as ties ('' if none)."""
    if not sel.merged:
        return ""
    pairs = ", ".join(
        f"{html.escape(alts[i].name)} into {html.escape(alts[j].name)}"
        for i, j in sorted(sel.merged.items())
    )
    return (
        f" Merged as ties (equal sample means once their continuation region had closed, "
        f"identical on every replication when so marked; Kim & Nelson 2001, the tie going "
        f"to the earlier alternative): {pairs}."
    )


def _fresh_gain(
    o: Outcome, best: str, reference: str, objective: str, reused: int, level: float
) -> dict:
    """The best layout's paired gain over the reference on the final replications that took
    no part in the selection (free of the selection effect)."""
    fb, fr = o.frames[best], o.frames[reference]
    if best == reference or objective not in fb or objective not in fr:
        return {}
    d = paired(
        fb[objective].to_numpy(float)[reused:], fr[objective].to_numpy(float)[reused:], level
    )
    return {"n": d.n, "diff": d.estimate, "low": d.low, "high": d.high, "level": level}


def _fresh_text(g: dict) -> str:
    if not g or g["n"] < 2:
        return "too few to estimate the gain (raise search.budget_runs)"
    return (
        f"gain {g['diff']:+.3g} [{g['low']:+.3g}, {g['high']:+.3g}] "
        f"({g['level']:.0%} paired t, {g['n']} replications)"
    )


def _fixed_html(rows: list[dict], s: SearchConfig) -> str:
    """The report's section on what the search held fixed."""
    intro = (
        f"<p>Only {', '.join(map(html.escape, s.items))} moved; every other entry of the "
        f"layout's {html.escape(s.place)} stayed where it is, and the excluded nodes were "
        "never proposed. Entries marked in the analytic cut serve demand there as fixed sites; "
        "all of them run in the simulation.</p>"
    )
    if not rows:
        return intro + "<p>Nothing else of this kind in the layout, no node excluded.</p>"
    return intro + html_table(list(rows[0]), [list(r.values()) for r in rows])


# Settings of the search itself, not of the layout it selected: left out of its command line.
_MODE_ROOTS = ("search", "compare", "robustness", "hydra")


def runnable_overrides(
    conf: Config, overrides: list[str], command_line: list[str] | tuple[str, ...] = ()
) -> list[str]:
    """``overrides`` with the district, scenario and base layout they apply to, so that the
    line runs as it is (``layout.depots.fwd_baohe.node=...`` alone fails on the plan
    layout), and the search's own command-line settings of the runs (``command_line``: a
    fleet size, ``experiment.hours``, ...; not the mode's ``experiment=``, ``search.*`` or
    ``hydra.*``): the line reruns the configuration that was selected (analyst review: a
    search with 1 truck wrote a line that ran 4)."""
    own = {o.split("=", 1)[0].lstrip("+~") for o in overrides}
    kept = []
    for o in command_line:
        key = o.split("=", 1)[0].lstrip("+~")
        if key in own or key == "experiment" or key.split(".")[0] in _MODE_ROOTS:
            continue
        kept.append(o)
    keys = own | {o.split("=", 1)[0].lstrip("+~") for o in kept}
    head = []
    for group, name in (
        ("district", conf.district.name),
        ("scenario", conf.scenario.name),
        ("layout", conf.layout.name),
    ):
        if group not in keys and (CONF_DIR / group / f"{name}.yaml").exists():
            head.append(f"{group}={name}")
    return head + kept + list(overrides)


@dataclass
class SearchPlan:
    """What a search will run, worked out (and checked) before any run folder exists: the
    analytic layouts, every alternative of the selection and the reference."""

    layouts: list[Layout]
    candidates: pd.DataFrame
    alts: list[Alternative]
    sites_of: dict[str, list[int]]
    reference: str
    budget_kn: int


def objective_direction(objective: str, targets: dict) -> tuple[str, str]:
    """Which way is better for ``objective`` by the district's targets, and why: the
    metric a target judges, or the numerator of the pooled share it judges (every layout
    faces the same events on common random numbers, so more of the numerator is more of
    the share). ``("", "")`` where no target reads it."""
    from sim.run.compare import direction
    from sim.run.metrics import kpi_specs

    specs = kpi_specs()
    for key, t in targets.items():
        better = direction(t.comparator)
        goal = f"target {key} ({t.metric} {t.comparator} {float(t.threshold):g})"
        if t.metric == objective and better:
            return better, f"{goal} judges it"
        spec = specs.get(t.metric)
        ratio = (t.numerator, t.denominator) if t.numerator and t.denominator else None
        ratio = ratio or (spec.ratio if spec is not None else None)
        if ratio and ratio[0] == objective and better:
            return better, f"it is the numerator of {goal}"
    return "", ""


def check_sense(objective: str, sense: str, targets: dict) -> None:
    """Refuse a ``search.sense`` that would select the layout the targets call worse
    (one line naming the sense to use)."""
    better, why = objective_direction(objective, targets)
    want = {"higher": "max", "lower": "min"}.get(better)
    if want and sense != want:
        raise UserError(
            f"search.sense={sense}: search.objective='{objective}' is better when {better} ({why});"
            f" use search.sense={want}"
        )


def check_objective(objective: str) -> None:
    """What the selection can optimise, before anything runs (one line, no run folder).

    Kim & Nelson's procedure needs one value per replication and selects on their mean. A
    share pooled over events (its KPI spec's ratio, e.g. share_within_standard =
    incidents_within_standard / incidents) is estimated everywhere else as one pooled ratio
    (the targets, compare, the single run's summary); the mean of per-replication shares is
    another number, weighting a replication with 3 events like one with 300, so such an
    objective is refused rather than selected on a number the final comparison does not
    show. An input echoed back (e.g. warning_lead_min, the configured forecast lead) is the
    same for every layout, and undefined where its section is off: refused too."""
    from sim.core.kpi import INPUT
    from sim.run.metrics import kpi_specs

    spec = kpi_specs().get(objective)
    if spec is None:
        return
    if spec.ratio:
        num, den = spec.ratio
        raise UserError(
            f"search.objective='{objective}': a share pooled over events ({num} / {den}); "
            "the selection needs one value per replication, and their mean is not the pooled "
            f"share compare and the targets report: choose a per-replication KPI (e.g. {num}, "
            "where every layout faces the same events; more of it is better where a target "
            "asks the share to be at least a value: search.sense=max)"
        )
    if spec.provenance == INPUT:
        raise UserError(
            f"search.objective='{objective}': an input echoed back "
            f"({', '.join(spec.reads) or 'a configured value'}), the same for every layout "
            "(and undefined where its section is off): choose a simulated KPI"
        )


def plan_search(base: Alternative, baselines: list[Alternative], s: SearchConfig) -> SearchPlan:
    """The analytic cut and the alternatives of a search; UserError (one line) for what the
    run would otherwise refuse after its folder was made: items not in the layout, unknown
    excluded nodes, too few candidates, a reference that is no alternative, a budget too
    small for the first stage, a baseline facing another disaster. The CLI's pre-flight
    check calls it and hands the plan to :func:`run_search`."""
    from sim.run.compare import (
        check_produced,
        check_same_disaster,
        check_same_experiment,
        check_same_targets,
    )

    check_objective(s.objective)
    confs = {a.name: a.conf for a in (base, *baselines)}
    check_produced(s.objective, confs, "search.objective", every=True)
    conf, net = base.conf, base.net
    check_sense(s.objective, s.sense, conf.district.targets)
    try:
        layouts, cand_table = analytic_layouts(conf, net, s)
        now = current_sites(conf, net, s)
    except NetworkError as exc:
        raise UserError(str(exc)) from None
    if not layouts:
        raise UserError("search: the analytic model found no layout (check candidates)")
    alts: list[Alternative] = []
    for b in baselines:
        alts.append(Alternative(b.name, b.overrides, b.conf, b.net, "baseline"))
    # the selection runs every alternative on the same replications (their number is its own)
    check_same_experiment([base, *alts], ("seed", "hours"), "search", "search.baselines entry")
    check_same_disaster([base, *alts], "search", "search.baselines entry")
    check_same_targets([base, *alts], "search", "search.baselines entry")
    names = [a.name for a in alts]
    if -1 not in now and base.name not in names:
        alts.append(Alternative(base.name, [], conf, net, f"layout {conf.layout.name} as composed"))
    sites_of = {base.name: now}
    for lay in layouts:
        if -1 not in now and sorted(lay.sites) == sorted(now):
            continue  # the composed layout already holds these sites
        c = place(conf, net, s, lay.sites)
        ovr = overrides_of(s, net, conf, lay.sites)
        alts.append(Alternative(lay.name, ovr, c, net, f"{lay.method} on {lay.demand} demand"))
        sites_of[lay.name] = lay.sites
    reference = s.reference or (baselines[0].name if baselines else alts[0].name)
    if reference not in [a.name for a in alts]:
        known = [*names, *([base.name] if base.name not in names and -1 not in now else [])]
        raise UserError(
            f"search.reference='{reference}': not a baseline ({', '.join(known) or 'none'})"
        )
    budget_kn = int(s.budget_runs * 0.75)  # ASSUMPTION: a quarter kept for the final comparison
    if budget_kn < s.n0 * len(alts):
        raise UserError(
            f"search.budget_runs={s.budget_runs}: the first stage alone needs "
            f"{s.n0} x {len(alts)} alternatives = {s.n0 * len(alts)} runs (plus a quarter "
            "for the final comparison)"
        )
    return SearchPlan(layouts, cand_table, alts, sites_of, reference, budget_kn)


def run_search(
    base: Alternative,
    baselines: list[Alternative],
    s: SearchConfig,
    outdir: Path,
    overrides: list[str] | None = None,
    plan: SearchPlan | None = None,
) -> dict:
    """Layout search end to end; writes its outputs (staged, then published into ``outdir``;
    ``overrides``: the command line's, for search_summary.json) and run_info.json, and
    returns a summary. ``plan``: from :func:`plan_search` (the pre-flight check made it),
    else made here."""
    conf, net = base.conf, base.net
    plan = plan_search(base, baselines, s) if plan is None else plan
    check_no_resume(conf, "search")
    check_run_folder(outdir, False, resumable=False)  # earlier run, links, writable
    t0 = time.perf_counter()
    cand_table, alts, sites_of = plan.candidates, plan.alts, plan.sites_of
    reference, budget_kn = plan.reference, plan.budget_kn
    runner = Runner(alts, s.objective)
    sel = kn_select(
        runner.draw, len(alts), s.n0, s.delta, s.alpha, s.sense == "max", budget_kn, s.batch
    )
    order = rank_alternatives(sel, s.sense == "max")
    keep = [b.name for b in baselines] + [base.name]  # always in the final comparison
    # (an alternative identical to another on every replication would repeat its twin)
    designed = [i for i in order if alts[i].name not in keep and i not in sel.identical]
    final_idx = [i for i, a in enumerate(alts) if a.name == reference]
    final_idx += [i for i, a in enumerate(alts) if a.name in keep and i not in final_idx]
    final_idx += [i for i in designed[: s.report_top] if i not in final_idx]
    # final comparison on common replications: the rest of the budget, at least as many as
    # the winner has (fewer only if the budget cannot bring the others that far)
    left = s.budget_runs - runner.runs
    have = {i: len(runner.frames[alts[i].name]) for i in final_idx}

    def cost(n: int) -> int:
        return sum(max(0, n - h) for h in have.values())

    n_final = max(have.values())
    while cost(n_final + 1) <= left:
        n_final += 1
    while n_final > min(have.values()) and cost(n_final) > left:
        n_final -= 1
    for i in final_idx:
        if have[i] < n_final:
            runner.run(i, have[i], n_final)
    final = [alts[i] for i in final_idx]
    o = Outcome(final, {a.name: runner.frames[a.name].iloc[:n_final] for a in final})
    table = analyse(
        o, reference, s.alpha, "bonferroni", better={s.objective: SENSE_BETTER[s.sense]}
    )
    sel_rows = []
    for rank, i in enumerate(order, start=1):
        a = alts[i]
        sites = sites_of.get(a.name)
        sel_rows.append(
            {
                "rank": rank,
                "alternative": a.name,
                "description": a.description,
                "sites": " ".join(net.nodes[j] for j in sites) if sites and -1 not in sites else "",
                "sites_zh": " ".join(str(net.attr(j, "name_zh")) for j in sites)
                if sites and -1 not in sites
                else "",
                "replications": sel.reps[i],
                f"mean_{s.objective}": sel.means[i],
                f"mean_{s.objective}_first_{s.n0}": float(np.mean(sel.data[i][: s.n0])),
                "eliminated_after": sel.eliminated_at[i] or "",
                "status": _status(sel, i, alts),
                "overrides": " ".join(a.overrides),
            }
        )
    sel_table = pd.DataFrame(sel_rows)
    best = alts[sel.best]
    gain = table[(table.column == s.objective) & (table.alternative == best.name)]
    reused = min(n_final, max(sel.reps[i] for i in final_idx if i < len(sel.reps)))
    fresh = _fresh_gain(o, best.name, reference, s.objective, reused, 1 - s.alpha)
    fixed = held_fixed(conf, net, s)
    summary = {
        "best": best.name,
        "best_overrides": best.overrides,
        # the whole line that reruns it (best_overrides.txt): with the search's run settings
        "best_command_line": runnable_overrides(conf, best.overrides, overrides or []),
        "guaranteed": sel.guaranteed,
        "runs": runner.runs,
        "final_replications": n_final,
        # replications 0..k-1 of the final comparison also chose the winner (its gain there
        # is biased toward it; the rest are fresh for every layout)
        "final_reuses_selection_replications": reused,
        "gain_on_fresh_replications": fresh,
        "objective": s.objective,
        "reference": reference,
        "gain": gain.iloc[0].to_dict() if len(gain) else {},
        "delta": s.delta,
        "alpha": s.alpha,
        "sense": s.sense,
        "held_fixed": fixed,
        "ranking": [alts[i].name for i in order],
        "merged": {
            alts[i].name: {"into": alts[j].name, "identical": i in sel.identical}
            for i, j in sel.merged.items()
        },
        "overrides": list(overrides or []),
    }
    note = (
        f"<p>Objective <b>{html.escape(s.objective)}</b> ({s.sense}imise), indifference zone "
        f"&delta; = {s.delta:g}, 1 - &alpha; = {1 - s.alpha:.0%}. Kim & Nelson (2001) "
        f"sequential selection: {sel.runs} replications; "
        + (
            "it ended by itself, so the selected layout is the best with probability >= "
            f"{1 - s.alpha:.0%} if it beats every other by at least &delta;."
            if sel.guaranteed
            else f"the budget stopped it with {len(sel.survivors)} layouts in contention: the one "
            "with the best sample mean is shown (no probability guarantee; raise "
            "search.budget_runs)."
        )
        + _merged_text(sel, alts)
        + " The table ranks the layouts by how long they stayed in contention (the selected "
        "one, the other survivors, then the later eliminated before the earlier; those "
        f"eliminated together by their mean over the replications they shared); column "
        f"mean_{html.escape(s.objective)}_first_{s.n0} compares every layout on the same "
        f"first {s.n0} replications, mean_{html.escape(s.objective)} is over each layout's own."
        + f" Final comparison: {n_final} common replications, {runner.runs} runs in all "
        f"(budget {s.budget_runs}); the first {reused} of them also took part in the selection, "
        "so the winner's gain over them leans its way (a selection effect). On the "
        f"{n_final - reused} fresh replications alone: {_fresh_text(fresh)}.</p><p>Best layout: <code>{html.escape(' '.join(best.overrides) or best.name)}</code></p>"
    )
    cand_cols = list(cand_table.columns)
    extra = [
        (
            "Analytic first cut",
            f"<p>{html.escape(s.method)} on free-flow travel times, "
            f"{len(s.items)} {html.escape(s.place)} ({', '.join(s.items)}), solver "
            f"{html.escape(s.solver)} via PuLP.</p>"
            + html_table(cand_cols, cand_table.values.tolist()),
        ),
        ("Held fixed (not searched over)", _fixed_html(fixed, s)),
        (
            "Selection by simulation (common random numbers)",
            note + html_table(list(sel_table.columns), sel_table.values.tolist()),
        ),
    ]
    with staged(outdir) as stage:
        cand_table.to_csv(stage / "search_candidates.csv", index=False, encoding="utf-8-sig")
        sel_table.to_csv(stage / "search_selection.csv", index=False, encoding="utf-8-sig")
        (stage / "best_overrides.txt").write_text(
            " ".join(summary["best_command_line"]) + "\n", encoding="utf-8"
        )
        write_json(stage / "search_summary.json", summary)
        write_comparison(
            o, table, reference, s.alpha, stage, "Layout search", extra, list(overrides or [])
        )
    write_run_info(outdir, time.perf_counter() - t0)
    print(cand_table[["layout", "objective", "sites"]].to_string(index=False))
    print(
        # means over each layout's own replications differ in which disasters they saw: the
        # column over the common first n0 is the one to compare layouts by
        sel_table[
            [
                "alternative",
                "replications",
                f"mean_{s.objective}_first_{s.n0}",
                f"mean_{s.objective}",
                "status",
            ]
        ].to_string(index=False)
    )
    print(format_comparison(table))
    how = (
        _contention(sel) + "; raise search.budget_runs"
        if _contention(sel)
        else (
            f"probability of correct selection >= {1 - s.alpha:.0%} if it beats every other "
            f"layout by at least {s.delta:g}"
        )
    )
    if best.name == reference:
        print(f"best: {best.name}, the reference itself: no layout beat it ({how})")
    else:
        print(f"best: {best.name} ({' '.join(best.overrides)}) ({how})")
    if len(gain):
        g = gain.iloc[0]
        print(
            f"{s.objective}: {g.estimate_alt:.4g} vs {reference} {g.estimate_base:.4g}; "
            f"paired difference {g['diff']:.4g} [{g.paired_low:.4g}, {g.paired_high:.4g}] "
            f"(unpaired [{g.unpaired_low:.4g}, {g.unpaired_high:.4g}]), {g.n_pairs} pairs"
        )
        if reused:  # the pairs above include the replications that chose the winner
            print(
                f"  {reused} of those pairs also chose it (a gain there leans its way); on the "
                f"{n_final - reused} fresh ones alone: {_fresh_text(fresh)}"
            )
    print(f"outputs: {outdir}  ({runner.runs} replications)")
    return summary
