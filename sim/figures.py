"""Figures (PNG). Chinese names render with a CJK font if one is installed, else pinyin."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from sim.config import Config  # noqa: E402
from sim.network import RoadNetwork  # noqa: E402

_CJK_HINTS = (
    "CJK",
    "WenQuanYi",
    "Noto Sans SC",
    "Noto Serif SC",
    "Source Han",
    "SimHei",
    "Microsoft YaHei",
    "PingFang",
    "Heiti",
    "AR PL",
)


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Name of an installed font with Chinese glyphs, or None (labels fall back to pinyin)."""
    for f in font_manager.fontManager.ttflist:
        if any(h.lower() in f.name.lower() for h in _CJK_HINTS):
            return f.name
    return None


def place_label(net: RoadNetwork, i: int) -> str:
    """Chinese name if a CJK font is available, else the English/pinyin name."""
    zh, en = net.node_attr["name_zh"][i], net.node_attr["name_en"][i]
    if cjk_font() and zh:
        return zh
    return en or net.nodes[i]


def draw_road(ax, net: RoadNetwork, name: str, **style) -> bool:
    """Draw the road named ``u--v`` (as in the event log) on a lon/lat axis."""
    a, _, b = name.partition("--")
    if a not in net.index or b not in net.index:
        return False
    u, v = net.index[a], net.index[b]
    lat, lon = net.node_attr["lat"], net.node_attr["lon"]
    ax.plot([lon[u], lon[v]], [lat[u], lat[v]], **style)
    return True


def use_cjk_font() -> None:
    font = cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
        plt.rcParams["axes.unicode_minus"] = False


_KIND_STYLE = {
    "street": ("o", "#4c72b0", 40),
    "town": ("o", "#4c72b0", 30),
    "township": ("o", "#4c72b0", 22),
    "depot": ("s", "#dd8452", 70),
    "fire_station": ("^", "#c44e52", 70),
    "regional_centre": ("D", "#8172b3", 60),
    "forest_zone": ("P", "#55a868", 70),
}


def network_map(
    net: RoadNetwork,
    conf: Config,
    path: Path,
    closures: pd.DataFrame | None = None,
    team_homes: list[int] | None = None,
    shelters: pd.DataFrame | None = None,
) -> None:
    """Map of the network: towns, depots, stations, forest zones, team bases, shelters and
    closed roads.

    Roads closed in any replication are drawn red, thicker the more often they closed.
    ``shelters`` has one row per shelter node (``node``, ``capacity``; first replication used).
    """
    use_cjk_font()
    lat = np.asarray(net.node_attr["lat"], float)
    lon = np.asarray(net.node_attr["lon"], float)
    fig, ax = plt.subplots(figsize=(10, 7))
    for e, (u, v) in enumerate(net.edges):
        cls = net.edge_class[e]
        ax.plot(
            [lon[u], lon[v]],
            [lat[u], lat[v]],
            color="#999999",
            lw=2.2 if cls == "expressway" else 0.9,
            zorder=1,
        )
    if closures is not None and len(closures):
        counts = Counter(closures["entity"])
        reps = max(int(closures["rep"].nunique()), 1) if "rep" in closures else 1
        for name, k in counts.items():
            draw_road(ax, net, name, color="#d62728", lw=1 + 4 * k / reps, alpha=0.8, zorder=2)
        ax.plot([], [], color="#d62728", lw=3, label="closed roads (thicker = more often)")
    kinds = net.node_attr["kind"]
    for kind, (marker, color, size) in _KIND_STYLE.items():
        idx = [i for i in range(net.n) if kinds[i] == kind]
        if idx:
            ax.scatter(
                lon[idx],
                lat[idx],
                marker=marker,
                c=color,
                s=size,
                zorder=3,
                label=kind.replace("_", " "),
                edgecolors="white",
                linewidths=0.5,
            )
    if team_homes:
        homes = Counter(team_homes)
        idx = list(homes)
        ax.scatter(
            lon[idx],
            lat[idx],
            s=[20 + 15 * homes[i] for i in idx],
            facecolors="none",
            edgecolors="black",
            linewidths=1.2,
            zorder=4,
            label="team bases (size = teams)",
        )
    if shelters is not None and len(shelters):
        first = (
            shelters[shelters["rep"] == shelters["rep"].min()] if "rep" in shelters else shelters
        )
        first = first[first["node"].isin(net.index)]
        idx = [net.index[n] for n in first["node"]]
        cap = first["capacity"].to_numpy(dtype=float)
        ax.scatter(
            lon[idx],
            lat[idx],
            s=15 + 120 * np.sqrt(cap / max(cap.max(), 1.0)),
            marker="h",
            facecolors="none",
            edgecolors="#2ca02c",
            linewidths=1.0,
            zorder=4,
            label="shelters (size = places)",
        )
    for i in range(net.n):
        if kinds[i] in ("street", "town", "township", "regional_centre"):
            ax.annotate(
                place_label(net, i),
                (lon[i], lat[i]),
                fontsize=6,
                xytext=(3, 3),
                textcoords="offset points",
                zorder=5,
            )
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_aspect(1 / np.cos(np.radians(np.nanmean(lat))))
    ax.ticklabel_format(useOffset=False)
    ax.set_title(f"{conf.district.name_en} network, layout {conf.layout.name}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def fire_time_to_out(fires: pd.DataFrame, conf: Config, path: Path) -> None:
    """Distribution of time from report to 'out', with the plans' 24-hour line."""
    use_cjk_font()
    h = np.sort(fires["time_to_out_h"].dropna().to_numpy())
    fig, ax = plt.subplots(figsize=(6, 4))
    if h.size:
        ax.step(h, np.arange(1, h.size + 1) / len(fires), where="post", label="fires out")
    ax.axvline(24.0, color="#c62828", ls="--", label="24 h (plan target)")
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlabel("time from report to out (h)")
    ax.set_ylabel("share of fires")
    ax.set_ylim(0, 1)
    ax.set_title(f"{conf.district.name_en}: {conf.scenario.name}, layout {conf.layout.name}")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fire_burned_by_zone(fires: pd.DataFrame, conf: Config, path: Path) -> None:
    """Mean burned area per replication by forest zone."""
    use_cjk_font()
    reps = max(int(fires["rep"].nunique()), 1) if "rep" in fires else 1
    by_zone = fires.groupby("zone")["area_ha"].sum().sort_values() / reps
    fig, ax = plt.subplots(figsize=(6, 0.5 * len(by_zone) + 1.5))
    ax.barh(by_zone.index, by_zone.to_numpy(), color="#dd8452")
    ax.set_xlabel("burned area per replication (ha, mean)")
    ax.set_title(f"{conf.district.name_en}: burned area by forest zone")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
