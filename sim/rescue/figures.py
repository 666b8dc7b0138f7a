"""Rescue figures: response-time CDFs (by tier, by district) and a map of incidents and teams.

Place labels use the network's pinyin names (``name_en``), so no CJK font is needed.

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
from sim.core.plotting import draw_roads, place_label, road_index, use_cjk_font  # noqa: E402

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


def _time_axis(ax) -> None:
    """Response-time axis: linear up to 10 min, logarithmic beyond (long tails stay visible)."""
    ax.set_xscale("symlog", linthresh=10.0)
    ax.set_xlim(left=0)
    ax.set_xlabel("response time, alarm to first team on scene (min, log scale above 10)")
    ax.set_ylabel("share of incidents")
    ax.set_ylim(0, 1.02)
    ax.grid(True, which="major", alpha=0.3)


def response_cdf_by_tier(incidents: pd.DataFrame, conf: Config, path: Path) -> None:
    """CDF of alarm -> first team on scene: all incidents, and by tier of the first team."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
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
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _load_network(conf: Config):
    """The run's network, or None if it cannot be loaded (figures never fail a run)."""
    try:
        from sim.core.network import RoadNetwork
        from sim.core.paths import resolve_path

        return RoadNetwork.load(resolve_path(conf.district.network))
    except Exception:
        return None


def incident_map(tables: dict[str, pd.DataFrame], conf: Config, path: Path) -> None:
    """Map of replication 0: roads, roads closed during the run, incidents, team bases."""
    use_cjk_font()
    inc = tables["incidents"]
    rep0 = inc["rep"].min() if "rep" in inc else None
    sel = (lambda d: d[d["rep"] == rep0]) if rep0 is not None else (lambda d: d)
    inc = sel(inc)
    fig, ax = plt.subplots(figsize=(8, 8))
    net = _load_network(conf)
    if net is not None:
        lat, lon = net.node_attr["lat"], net.node_attr["lon"]
        draw_roads(ax, net, None, 1.0, colors="#bbbbbb", zorder=1)
        clo = tables.get("road_closures")  # written by sim.run.experiment for every run
        if clo is not None and len(clo):
            edges = road_index(net, sorted(set(sel(clo)["entity"])))
            if edges:
                draw_roads(
                    ax,
                    net,
                    edges,
                    2.5,
                    colors="red",
                    linestyles="--",
                    zorder=2,
                    label="road closed during the run",
                )
        kinds = net.node_attr["kind"]
        for i in range(net.n):
            if kinds[i] in ("street", "town", "township", "regional_centre"):
                ax.annotate(
                    place_label(net, i),
                    (lon[i], lat[i]),
                    fontsize=6,
                    color="#555555",
                    xytext=(3, 3),
                    textcoords="offset points",
                )
    if len(inc):
        status = np.where(
            inc["reached_in_window"].astype(bool),
            "reached in window",
            np.where(inc["first_arrival"].notna(), "reached late", "not reached"),
        )
        colours = {
            "reached in window": "#2ca02c",
            "reached late": "#ff7f0e",
            "not reached": "#d62728",
        }
        rng = np.random.default_rng(0)  # jitter so incidents at one node stay visible
        jx = rng.normal(0, 0.004, len(inc))
        jy = rng.normal(0, 0.004, len(inc))
        for s, c in colours.items():
            m = status == s
            if m.any():
                ax.scatter(
                    inc["lon"].to_numpy()[m] + jx[m],
                    inc["lat"].to_numpy()[m] + jy[m],
                    s=8 + 4 * np.sqrt(inc["people"].to_numpy()[m]),
                    c=c,
                    alpha=0.7,
                    edgecolors="black",
                    linewidths=0.3,
                    zorder=5,
                    label=f"incident {s} ({int(m.sum())})",
                )
    teams = tables.get("rescue_teams")
    if teams is not None and len(teams):
        teams = (
            sel(teams)
            .groupby(["home", "tier"], as_index=False)
            .agg(lat=("lat", "first"), lon=("lon", "first"), n=("team", "count"))
        )
        for tier, g in teams.groupby("tier"):
            ax.scatter(
                g["lon"],
                g["lat"],
                marker="^",
                s=12 + 4 * np.sqrt(g["n"]),
                c=TIER_COLOURS.get(tier, "black"),
                edgecolors="black",
                linewidths=0.3,
                alpha=0.8,
                zorder=4,
                label=f"{tier} team base",
            )
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    lat0 = float(np.nanmean(inc["lat"])) if len(inc) else 30.0
    ax.set_aspect(1 / np.cos(np.radians(lat0)), adjustable="datalim")
    ax.set_title(
        f"{conf.district.name_en}: {conf.scenario.name}, layout {conf.layout.name} (replication "
        f"{rep0 if rep0 is not None else 0})"
    )
    ax.legend(loc="best", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def compare_districts(run_dirs: list[Path], path: Path) -> None:
    """One response-time CDF per run directory (labelled by district and scenario)."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
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
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    compare_districts([Path(p) for p in sys.argv[2:]], Path(sys.argv[1]))
