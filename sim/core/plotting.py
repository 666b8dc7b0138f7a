"""Shared figure helpers: CJK font or pinyin labels, road drawing (matplotlib, Agg)."""

from __future__ import annotations

from functools import lru_cache

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from sim.core.errors import NetworkError  # noqa: E402
from sim.core.network import RoadNetwork  # noqa: E402

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


def road_segments(net: RoadNetwork, edges=None):
    """Line segments ``[(lon, lat), (lon, lat)]`` of roads ``edges`` (all if None): an
    ``(n, 2, 2)`` array for a matplotlib ``LineCollection``."""
    import numpy as np

    lat = np.asarray(net.node_attr["lat"], float)
    lon = np.asarray(net.node_attr["lon"], float)
    u = net.edge_u if edges is None else net.edge_u[edges]
    v = net.edge_v if edges is None else net.edge_v[edges]
    return np.stack([np.column_stack([lon[u], lat[u]]), np.column_stack([lon[v], lat[v]])], 1)


def road_index(net: RoadNetwork, names) -> list[int]:
    """Edge index of each road named ``u--v`` (as in the event log); unknown names skipped."""
    out = []
    for name in names:
        a, _, b = str(name).partition("--")
        if a in net.index and b in net.index:
            try:
                out.append(net.edge_id(a, b))
            except NetworkError:  # no road between them (a road of another network)
                continue
    return out


def draw_roads(ax, net: RoadNetwork, edges=None, widths=1.0, **style):
    """Draw roads ``edges`` (all if None) as one ``LineCollection`` (one artist: a network
    of 20,000 roads draws in a fraction of a second); ``widths`` per road or one number."""
    from matplotlib.collections import LineCollection

    lc = LineCollection(road_segments(net, edges), linewidths=widths, **style)
    ax.add_collection(lc)
    ax.autoscale_view()
    return lc


def use_cjk_font() -> None:
    font = cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
        plt.rcParams["axes.unicode_minus"] = False


def replications_phrase(with_rows: int, conf) -> str:
    """ "all 30 replications", or "12 of 30 replications (the others had none)" when only
    ``with_rows`` of the configured replications appear in a pooled table."""
    total = conf.experiment.replications
    if with_rows >= total:
        return f"all {with_rows:,} replications"
    return f"{with_rows:,} of {total:,} replications (the others had none or failed)"
