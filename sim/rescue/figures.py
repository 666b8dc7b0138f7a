"""Rescue figures: response-time CDFs (by tier, by district) and a map of the incidents of
every replication, the roads closed and the team bases.

Place labels are Chinese with a CJK font installed, else pinyin (``sim.core.plotting``).

    python -m sim.rescue.figures out.png results/bishan/cascade/<run> results/fengdu/cascade/<run>

draws the response-time CDF of several runs (one line per run, labelled by district).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.config import Config  # noqa: E402
from sim.core.plotting import (  # noqa: E402
    FIGURE_DPI,
    draw_roads,
    draw_settlements,
    frame_on_district,
    place_labels,
    replications_phrase,
    road_index,
    save_figure,
    settlement_label_items,
    subplots,
    use_cjk_font,
)

TIER_COLOURS = {
    "village": "#8c6d31",
    "town": "#2ca02c",
    "district": "#1f77b4",
    "professional": "#17becf",
    "fire_rescue": "#d62728",
    "militia": "#7f7f7f",
    "regional": "#9467bd",
}


def _cdf(ax, rt: np.ndarray, n: int, **kw) -> None:
    """Step CDF of response times over ``n`` incidents (unreached ones keep it below 1)."""
    rt = np.sort(rt[np.isfinite(rt)])
    if rt.size and n:
        ax.step(np.r_[0.0, rt], np.r_[0.0, np.arange(1, rt.size + 1) / n], where="post", **kw)


_TIME_TICKS_MIN = (0, 5, 10, 15, 30, 60, 120, 240, 480, 960, 1440, 2880, 5760, 10080)


def _time_axis(ax) -> None:
    """Response-time axis: linear up to 10 min, logarithmic beyond (long tails stay visible)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ax.set_xscale("symlog", linthresh=10.0)
    ax.set_xlim(left=0)
    # minutes as plain numbers: the default 10^n labels cost a mathtext parse (~0.2 s)
    # and read worse to a planner than "60" or "240"
    ax.xaxis.set_major_locator(FixedLocator(_TIME_TICKS_MIN))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("response time, alarm to first team on scene (min, log scale above 10)")
    ax.set_ylabel("share of incidents")
    ax.set_ylim(0, 1.02)
    ax.grid(True, which="major", alpha=0.3)


def response_cdf_by_tier(incidents: pd.DataFrame, conf: Config, path: Path) -> None:
    """CDF of alarm -> first team on scene: all incidents, and by tier of the first team."""
    fig, ax = subplots(figsize=(7, 4.5))
    rt = incidents["response_min"].to_numpy(dtype=float)
    _cdf(ax, rt, len(incidents), color="black", lw=2, label=f"all incidents (n={len(incidents)})")
    for tier, g in incidents.groupby(incidents["first_tier"].fillna("")):
        if not tier:
            continue
        _cdf(
            ax,
            g["response_min"].to_numpy(dtype=float),
            len(g),
            color=TIER_COLOURS.get(tier),
            lw=1.2,
            label=f"first on scene: {tier} (n={len(g)})",
        )
    std = conf.layout.rescue.response_standard_min
    ax.axvline(std, color="grey", ls="--", label=f"standard {std:g} min (assumption)")
    _time_axis(ax)
    ax.set_title(f"{conf.district.name_en}: {conf.scenario.name}, layout {conf.layout.name}")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    save_figure(
        fig,
        path,
        "Share of incidents reached against minutes from alarm to first team on scene, all "
        "replications pooled, overall and by the tier of the first team; dashed: the standard.",
    )
    plt.close(fig)


def _load_network(conf: Config):
    """The run's network, or None if it cannot be loaded (figures never fail a run)."""
    try:
        from sim.core.network import RoadNetwork
        from sim.core.paths import resolve_path

        return RoadNetwork.load(resolve_path(conf.district.network))
    except Exception:
        return None


def incidents_by_place(inc: pd.DataFrame) -> pd.DataFrame:
    """Incidents of every replication pooled by place (``node``): incidents, incidents per
    replication, share reached within the life-saving window, people involved."""
    reps = max(int(inc["rep"].nunique()), 1) if "rep" in inc else 1
    g = inc.assign(in_window=inc["reached_in_window"].astype(bool)).groupby("node")
    out = g.agg(
        lat=("lat", "first"),
        lon=("lon", "first"),
        incidents=("incident", "size"),
        in_window=("in_window", "mean"),
        people=("people", "sum"),
    )
    out["per_rep"] = out["incidents"] / reps
    return out.sort_values("incidents", ascending=False)


def incident_map(tables: dict[str, pd.DataFrame], conf: Config, path: Path) -> None:
    """Map of the incidents of every replication: a circle per place, its area the incidents
    there per replication, its colour the share reached within the life-saving window; the
    roads closed in any replication (thicker = more often) and the layout's team bases."""
    from matplotlib.colors import Normalize

    use_cjk_font()
    inc = tables["incidents"]
    n_reps = max(int(inc["rep"].nunique()), 1) if "rep" in inc else 1
    by_place = incidents_by_place(inc) if len(inc) else None
    fig, ax = subplots(figsize=(9, 7.5))
    net = _load_network(conf)
    lat = lon = None
    if net is not None:
        lat = np.asarray(net.node_attr["lat"], float)
        lon = np.asarray(net.node_attr["lon"], float)
        draw_roads(ax, net, None, 0.8, colors="#bbbbbb", zorder=1)
        clo = tables.get("road_closures")  # written by sim.run.experiment for every run
        if clo is not None and len(clo):
            counts = clo.drop_duplicates(["rep", "entity"])["entity"].value_counts()
            edges = road_index(net, list(counts.index))
            names = [net.edge_name(e) for e in edges]
            if edges:
                draw_roads(
                    ax,
                    net,
                    edges,
                    [0.8 + 3.5 * counts[nm] / n_reps for nm in names],
                    colors="#d62728",
                    alpha=0.6,
                    zorder=2,
                )
                ax.plot([], [], color="#d62728", lw=2.5, label="road closed (thicker = more often)")
        draw_settlements(ax, net, lat, lon, zorder=3, alpha=0.5)
    norm = Normalize(0.0, 1.0)
    if by_place is not None:
        scale = 600.0 / max(float(by_place["per_rep"].max()), 1e-9)  # biggest circle: 600 pt^2
        sc = ax.scatter(
            by_place["lon"],
            by_place["lat"],
            s=20 + scale * by_place["per_rep"],
            c=by_place["in_window"],
            cmap="RdYlGn",
            norm=norm,
            alpha=0.75,
            edgecolors="black",
            linewidths=0.5,
            zorder=5,
        )
        cb = fig.colorbar(sc, ax=ax, orientation="horizontal", shrink=0.6, pad=0.09, aspect=40)
        cb.set_label("share of incidents reached within the life-saving window")
        for v in _size_keys(float(by_place["per_rep"].max())):
            ax.scatter(
                [], [], s=20 + scale * v, c="white", edgecolors="black", linewidths=0.5,
                label=f"{v:g} incident(s) per replication",
            )  # fmt: skip
    teams = tables.get("rescue_teams")
    if teams is not None and len(teams):
        first = teams[teams["rep"] == teams["rep"].min()] if "rep" in teams else teams
        bases = first.groupby(["home", "tier"], as_index=False).agg(
            lat=("lat", "first"), lon=("lon", "first"), n=("team", "count")
        )
        for tier, g in bases.groupby("tier"):
            ax.scatter(
                g["lon"],
                g["lat"],
                marker="^",
                s=12 + 4 * np.sqrt(g["n"]),
                c=TIER_COLOURS.get(tier, "black"),
                edgecolors="black",
                linewidths=0.3,
                alpha=0.9,
                zorder=6,
                label=f"{tier} team base",
            )
    if net is not None:
        frame_on_district(ax, net, lat, lon)
    else:
        ax.set_aspect(1 / np.cos(np.radians(float(np.nanmean(inc["lat"])))), adjustable="datalim")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.ticklabel_format(useOffset=False)
    ax.set_title(
        f"{conf.district.name_en}: {conf.scenario.name}, layout {conf.layout.name}\n"
        f"{len(inc):,} incidents pooled over {replications_phrase(n_reps, conf)}",
        fontsize=10,
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    fig.tight_layout()
    if net is not None:
        place_labels(
            ax,
            settlement_label_items(net, lat, lon, ax),
            fontsize=6,
            avoid=list(ax.artists),
            points=_marker_points(by_place, scale if by_place is not None else 0.0),
            color="#333333",
            zorder=7,
        )
    save_figure(
        fig,
        path,
        "Incidents of every replication by place: circle area = incidents per replication, "
        "colour = share reached within the life-saving window; red roads closed in some "
        "replication (thicker = more often); triangles: team bases.",
        bbox_inches="tight",
    )
    plt.close(fig)


def _size_keys(biggest: float) -> list[float]:
    """Two or three round values for the circle-size legend, up to ``biggest``."""
    nice = [v for v in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if v <= biggest]
    return nice[-3::1] if len(nice) >= 3 else nice or [round(biggest, 2)]


def _marker_points(by_place: pd.DataFrame | None, scale: float):
    """The incident circles (lon, lat, area in points^2) labels must not cover."""
    if by_place is None or not len(by_place):
        return None
    area = 20 + scale * by_place["per_rep"].to_numpy(dtype=float)
    return (by_place["lon"].to_numpy(dtype=float), by_place["lat"].to_numpy(dtype=float), area)


def compare_districts(run_dirs: list[Path], path: Path) -> None:
    """One response-time CDF per run directory (labelled by district and scenario)."""
    fig, ax = subplots(figsize=(7, 4.5))
    std = None
    for d in run_dirs:
        inc = pd.read_csv(d / "incidents.csv")
        info = json.loads((d / "summary.json").read_text(encoding="utf-8"))
        _cdf(
            ax,
            inc["response_min"].to_numpy(dtype=float),
            len(inc),
            lw=1.5,
            label=f"{info['district']} / {info['scenario']} (n={len(inc)})",
        )
        cfg = (d / "config.yaml").read_text(encoding="utf-8")
        for line in cfg.splitlines():
            if line.strip().startswith("response_standard_min:"):
                std = float(line.split(":", 1)[1])
    if std is not None:
        ax.axvline(std, color="grey", ls="--", label=f"standard {std:g} min (assumption)")
    _time_axis(ax)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Response time by district")
    fig.tight_layout()
    fig.savefig(path, dpi=FIGURE_DPI)
    plt.close(fig)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    compare_districts([Path(p) for p in sys.argv[2:]], Path(sys.argv[1]))
