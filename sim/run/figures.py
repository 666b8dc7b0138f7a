"""Figures (PNG). Chinese names render with a CJK font if one is installed, else pinyin."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.config import Config
from sim.core.module import MapLayer
from sim.core.network import RoadNetwork

if TYPE_CHECKING:
    import pandas as pd

_KIND_STYLE = {
    "street": ("o", "#4c72b0", 40),
    "town": ("o", "#4c72b0", 30),
    "township": ("o", "#4c72b0", 22),
    "depot": ("s", "#dd8452", 70),
    "fire_station": ("^", "#c44e52", 70),
    "regional_centre": ("D", "#8172b3", 60),
    "forest_zone": ("P", "#55a868", 70),
}


# Node kinds that sit outside the district (mutual-aid centres, air bases): not framed.
FAR_KINDS = ("regional_centre", "air_base")


def frame_on_district(ax, net: RoadNetwork, lat: np.ndarray, lon: np.ndarray) -> int:
    """Limit the axes to the district's own nodes (5% margin), add a scale bar, keep the
    aspect true at the district's latitude; returns how many far-off nodes fall outside."""
    from matplotlib.ticker import MaxNLocator
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    kinds = net.node_attr["kind"]
    inside = [
        i for i in range(net.n) if kinds[i] not in FAR_KINDS and not net.attr(i, "external")
    ] or list(range(net.n))
    x0, x1 = float(np.nanmin(lon[inside])), float(np.nanmax(lon[inside]))
    y0, y1 = float(np.nanmin(lat[inside])), float(np.nanmax(lat[inside]))
    pad = 0.05 * max(x1 - x0, y1 - y0, 0.005)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    mid = np.radians((y0 + y1) / 2)
    ax.set_aspect(1 / np.cos(mid))
    ax.xaxis.set_major_locator(MaxNLocator(4))
    km_per_deg = 111.32 * np.cos(mid)
    span_km = (x1 - x0 + 2 * pad) * km_per_deg
    bar_km = next((k for k in (50, 20, 10, 5, 2, 1, 0.5, 0.2, 0.1) if k <= span_km / 4), 0.1)
    label = f"{bar_km:g} km"
    ax.add_artist(
        AnchoredSizeBar(
            ax.transData,
            bar_km / km_per_deg,
            label,
            "lower right",
            pad=0.5,
            frameon=False,
            size_vertical=0,
            fontproperties={"size": 7},
        )
    )
    box = (x0 - pad, x1 + pad, y0 - pad, y1 + pad)
    return sum(
        1 for i in range(net.n) if not (box[0] <= lon[i] <= box[1] and box[2] <= lat[i] <= box[3])
    )


def network_map(
    net: RoadNetwork,
    conf: Config,
    path: Path,
    closures: pd.DataFrame | None = None,
    layers: list[MapLayer] | None = None,
) -> None:
    """Map of the network: towns, depots, stations, forest zones, closed roads and the
    response modules' layers (team bases, shelters, ...).

    Roads closed in any replication are drawn red, thicker the more often they closed.
    """
    # matplotlib is imported here, not with the module: a run that fails its checks, or a
    # benchmark, does not pay for it
    from sim.core.plotting import draw_roads, place_label, plt, road_index, use_cjk_font

    use_cjk_font()
    lat = np.asarray(net.node_attr["lat"], float)
    lon = np.asarray(net.node_attr["lon"], float)
    fig, ax = plt.subplots(figsize=(10, 7))
    express = np.array([c == "expressway" for c in net.edge_class], dtype=bool)
    draw_roads(ax, net, None, np.where(express, 2.2, 0.9), colors="#999999", zorder=1)
    if closures is not None and len(closures):
        counts = Counter(closures["entity"])
        reps = max(int(closures["rep"].nunique()), 1) if "rep" in closures else 1
        names = list(counts)
        edges = road_index(net, names)  # (roads of another network are skipped)
        if edges:
            widths = [1 + 4 * counts[net.edge_name(e)] / reps for e in edges]
            draw_roads(ax, net, edges, widths, colors="#d62728", alpha=0.8, zorder=2)
        ax.plot([], [], color="#d62728", lw=3, label="closed roads (thicker = more often)")
    kinds = np.asarray(net.node_attr["kind"], dtype=object)
    for kind, (marker, color, size) in _KIND_STYLE.items():
        idx = np.flatnonzero(kinds == kind)
        if idx.size:
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
    for layer in layers or []:
        if not layer.nodes:
            continue
        ax.scatter(
            lon[layer.nodes],
            lat[layer.nodes],
            s=layer.sizes or 40,
            marker=layer.marker,
            facecolors="none",
            edgecolors=layer.colour,
            linewidths=1.2 if layer.marker == "o" else 1.0,
            zorder=4,
            label=layer.label,
        )
    for i in np.flatnonzero(np.isin(kinds, ("street", "town", "township", "regional_centre"))):
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
    outside = frame_on_district(ax, net, lat, lon)
    if outside:
        ax.text(
            0.01,
            0.99,
            f"{outside} far-off node(s) (regional centres, air bases) outside the frame",
            transform=ax.transAxes,
            va="top",
            fontsize=6,
            color="#555555",
        )
    ax.ticklabel_format(useOffset=False)
    ax.set_title(f"{conf.district.name_en} network, layout {conf.layout.name}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
