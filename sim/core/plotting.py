"""Shared figure helpers: CJK font or pinyin labels, road drawing (matplotlib, Agg)."""

from __future__ import annotations

from functools import lru_cache

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

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
