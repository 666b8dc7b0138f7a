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

# Node kinds other than settlements (those: SETTLEMENT_STYLE in sim/core/plotting.py).
_KIND_STYLE = {
    "depot": ("p", "#dd8452", 70),
    "fire_station": ("^", "#c44e52", 70),
    "regional_centre": ("D", "#8172b3", 60),
    "forest_zone": ("P", "#55a868", 70),
}


def _marker_area(kind: str) -> float:
    """Area (points^2) of the marker a node of ``kind`` gets on the map (0: none)."""
    from sim.core.plotting import SETTLEMENT_STYLE

    if kind in SETTLEMENT_STYLE:
        return float(SETTLEMENT_STYLE[kind][2])
    return float(_KIND_STYLE[kind][2]) if kind in _KIND_STYLE else 0.0


def network_map(
    net: RoadNetwork,
    conf: Config,
    path: Path,
    closures: pd.DataFrame | None = None,
    layers: list[MapLayer] | None = None,
) -> list:
    """Map of the network: streets, towns and townships (a marker each), depots, stations,
    forest zones, closed roads and the response modules' layers (team bases, shelters, ...).

    Roads closed in any replication are drawn red, thicker the more often they closed. Place
    names are placed so that none overlaps another (the most populous first; a name with no
    free spot is left out, and the map says how many). Returns the name labels drawn.
    """
    # matplotlib is imported here, not with the module: a run that fails its checks, or a
    # benchmark, does not pay for it
    from sim.core.plotting import (
        draw_roads,
        draw_settlements,
        frame_on_district,
        place_labels,
        plt,
        road_index,
        save_figure,
        settlement_label_items,
        subplots,
        use_cjk_font,
    )

    use_cjk_font()
    lat = np.asarray(net.node_attr["lat"], float)
    lon = np.asarray(net.node_attr["lon"], float)
    fig, ax = subplots(figsize=(10, 7))
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
    draw_settlements(ax, net, lat, lon)
    area = np.array([_marker_area(k) for k in kinds])  # points^2, for the label placement
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
        sizes = np.broadcast_to(np.asarray(layer.sizes or 40, float), (len(layer.nodes),))
        np.maximum.at(area, np.asarray(layer.nodes), sizes)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    outside = frame_on_district(ax, net, lat, lon)
    notes = []
    if outside:
        notes.append(
            ax.text(
                0.01,
                0.99,
                f"{outside} far-off node(s) (regional centres, air bases) outside the frame",
                transform=ax.transAxes,
                va="top",
                fontsize=6,
                color="#555555",
            )
        )
    ax.ticklabel_format(useOffset=False)
    ax.set_title(f"{conf.district.name_en} network, layout {conf.layout.name}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    fig.tight_layout()  # before the labels: it moves the axes, and they are placed in pixels
    scale_bars = [a for a in ax.artists]
    labels, left_out = place_labels(
        ax,
        settlement_label_items(net, lat, lon, ax, extra_kinds=("regional_centre",)),
        fontsize=6,
        avoid=notes + scale_bars,
        points=(lon[area > 0], lat[area > 0], area[area > 0]),
        zorder=5,
    )
    if left_out:
        ax.set_xlabel(
            f"longitude\n({left_out} name(s) of smaller places left out where they would "
            "overlap another)"
        )
    save_figure(
        fig,
        path,
        "The district's road network: streets (squares), towns and townships (circles), "
        "depots, fire stations, forest zones, the modules' sites (team bases, shelters) and "
        "the roads closed in any replication (thicker = more often); names that would overlap "
        "are left out.",
        bbox_inches="tight",
    )
    plt.close(fig)
    return labels
