"""Shared figure helpers: CJK font or pinyin labels, road drawing, settlement markers, labels
placed without overlaps (matplotlib, Agg)."""

from __future__ import annotations

from functools import lru_cache

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from sim.core.errors import NetworkError  # noqa: E402
from sim.core.network import RoadNetwork  # noqa: E402
from sim.core.places import SETTLEMENT_KINDS  # noqa: E402

# Every figure is made (:func:`subplots`) at the resolution it is saved
# at: matplotlib caches each label's text layout per resolution, so ``tight_layout`` (at the
# figure's dpi) and ``savefig`` (at the file's) then lay out every label once, not twice
# (FreeType's glyph layout in the CJK font is most of a figure's CPU).
FIGURE_DPI = 110


def subplots(*args, **kwargs):
    """``plt.subplots`` at :data:`FIGURE_DPI`: how every figure of the tool is made."""
    kwargs.setdefault("dpi", FIGURE_DPI)
    return plt.subplots(*args, **kwargs)


# How each settlement kind (core/places.py) is drawn on maps: (marker, colour, area, legend).
# Streets (街道) are the urban sub-districts, towns (镇) and townships (乡) the rural ones.
SETTLEMENT_STYLE = {
    "street": ("s", "#1f4e8c", 42, "street 街道 (urban)"),
    "town": ("o", "#4c72b0", 34, "town 镇"),
    "township": ("o", "#9db8dd", 22, "township 乡"),
}

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
# Simplified Chinese sans-serif faces first: the labels are mainland place names, and the
# Japanese/Traditional variants of a CJK family draw some characters differently (直, 骨, 角).
_CJK_PREFERRED = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "Heiti SC",
)


def _cjk_rank(name: str) -> tuple[int, int, str]:
    """Sort key of a CJK font: the preferred faces, then Simplified Chinese ones (sans before
    serif and mono), then the other CJK variants."""
    low = name.lower()
    for k, pref in enumerate(_CJK_PREFERRED):
        if low == pref.lower():
            return (0, k, name)
    sc = any(tag in low for tag in (" sc", " cn", "zen hei", "micro hei", "yahei", "simhei"))
    serif_or_mono = any(tag in low for tag in ("serif", "mono", "ming", "kai", "song"))
    return (1 + (not sc) * 2 + serif_or_mono, 0, name)


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Name of an installed font with Chinese glyphs, or None (labels fall back to pinyin).

    Among several, a Simplified Chinese sans-serif face (``_CJK_PREFERRED``) wins, whatever
    order matplotlib's font list has on the machine.
    """
    names = {
        f.name
        for f in font_manager.fontManager.ttflist
        if any(h.lower() in f.name.lower() for h in _CJK_HINTS)
    }
    return min(names, key=_cjk_rank) if names else None


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


def place_label(net: RoadNetwork, i: int) -> str:
    """Chinese name if a CJK font is available, else the English/pinyin name."""
    zh, en = net.node_attr["name_zh"][i], net.node_attr["name_en"][i]
    if cjk_font() and zh:
        return zh
    return en or net.nodes[i]


def road_segments(net: RoadNetwork, edges=None):
    """Line segments ``[(lon, lat), (lon, lat)]`` of roads ``edges`` (all if None): an
    ``(n, 2, 2)`` array for a matplotlib ``LineCollection``."""
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


# Where a label may sit around its point (offsets in points): right-above first, as maps do.
LABEL_OFFSETS = ((3, 3), (-3, 3), (3, -3), (-3, -3), (5, 0), (-5, 0), (0, 6), (0, -6))
_HA = {1: "left", -1: "right", 0: "center"}
_VA = {1: "bottom", -1: "top", 0: "center"}


def _sign(v: float) -> int:
    return (v > 0) - (v < 0)


def place_labels(
    ax,
    items,
    fontsize: float = 6,
    pad: float = 1.0,
    avoid=(),
    points=None,
    point_px: float = 3.5,
    **style,
) -> tuple[list, int]:
    """Label points without overlaps: greedy, in the order given (most important first).

    ``items`` are ``(x, y, text)`` in data coordinates. Each label tries the positions of
    ``LABEL_OFFSETS`` in turn and takes the first whose box (measured in display pixels,
    ``pad`` pixels of margin) overlaps no label already placed and lies inside the axes; a
    label with no free position is left out. Call after the axes' limits and the figure's
    layout are final (``tight_layout`` moves the axes). Returns the texts drawn and how many
    were left out. ``avoid``: artists (a scale bar, a note) no label may cover; ``points``:
    ``(x, y)`` or ``(x, y, area)`` arrays of markers no label may cover (marker areas in
    points^2 as ``scatter`` takes them, else ``point_px`` pixels round each; a label's own
    point excepted).
    """
    from matplotlib.transforms import Bbox

    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    ax.apply_aspect()  # a fixed aspect shrinks the axes only when drawn: do it now
    frame = ax.get_window_extent(renderer)
    placed: list = []
    boxes: list[Bbox] = [a.get_window_extent(renderer) for a in avoid]
    dropped = 0
    if points is not None and len(points[0]):
        pts = ax.transData.transform(np.column_stack([points[0], points[1]]))
        if len(points) > 2:  # marker area (points^2) -> radius in pixels
            radius = np.sqrt(np.asarray(points[2], float)) / 2 * fig.dpi / 72
        else:
            radius = np.full(len(pts), point_px)
    else:
        pts, radius = np.empty((0, 2)), np.empty(0)
    for x, y, text in items:
        own = ax.transData.transform((x, y))
        mine = np.hypot(*(pts - own).T) <= 0.5 if len(pts) else np.zeros(0, bool)
        others, r = pts[~mine], radius[~mine]
        # start clear of the point's own (largest) marker: offsets grow by its radius
        own_pt = float(radius[mine].max()) * 72 / fig.dpi if mine.any() else 0.0
        for dx, dy in LABEL_OFFSETS:
            grow = own_pt / np.sqrt(2) if dx and dy else own_pt
            t = ax.annotate(
                text,
                (x, y),
                xytext=(dx + _sign(dx) * grow, dy + _sign(dy) * grow),
                textcoords="offset points",
                fontsize=fontsize,
                ha=_HA[_sign(dx)],
                va=_VA[_sign(dy)],
                annotation_clip=False,
                **style,
            )
            box = t.get_window_extent(renderer).expanded(1.0, 1.0).padded(pad)
            inside = (
                box.x0 >= frame.x0
                and box.x1 <= frame.x1
                and box.y0 >= frame.y0
                and box.y1 <= frame.y1
            )
            covers = bool(
                len(others)
                and np.any(
                    (others[:, 0] > box.x0 - r)
                    & (others[:, 0] < box.x1 + r)
                    & (others[:, 1] > box.y0 - r)
                    & (others[:, 1] < box.y1 + r)
                )
            )
            if inside and not covers and not any(box.overlaps(b) for b in boxes):
                placed.append(t)
                boxes.append(box)
                break
            t.remove()
        else:
            dropped += 1
    return placed, dropped


def settlement_legend(kind: str) -> str:
    """Legend entry of a settlement kind; its Chinese word only when a CJK font draws it."""
    label = SETTLEMENT_STYLE[kind][3]
    if cjk_font():
        return label
    return " ".join(w for w in label.split() if w.isascii())


def draw_settlements(ax, net: RoadNetwork, lat, lon, zorder: float = 3, **style) -> None:
    """Settlement nodes, one marker per kind (street, town, township), each in the legend
    with its count."""
    kinds = np.asarray(net.node_attr["kind"], dtype=object)
    for kind, (marker, colour, size, _) in SETTLEMENT_STYLE.items():
        idx = np.flatnonzero(kinds == kind)
        if idx.size:
            ax.scatter(
                np.asarray(lon)[idx],
                np.asarray(lat)[idx],
                marker=marker,
                c=colour,
                s=size,
                zorder=zorder,
                label=f"{settlement_legend(kind)} ({idx.size})",
                edgecolors="white",
                linewidths=0.5,
                **style,
            )


def settlement_label_items(net: RoadNetwork, lat, lon, ax, extra_kinds=()) -> list:
    """``(x, y, label)`` of the settlements (and ``extra_kinds``) inside the axes' limits,
    most populous first: the order :func:`place_labels` keeps them in."""
    x0, x1 = sorted(ax.get_xlim())
    y0, y1 = sorted(ax.get_ylim())
    kinds = net.node_attr["kind"]
    wanted = set(SETTLEMENT_KINDS) | set(extra_kinds)
    nodes = [
        i for i in range(net.n) if kinds[i] in wanted and x0 <= lon[i] <= x1 and y0 <= lat[i] <= y1
    ]
    nodes.sort(key=lambda i: (kinds[i] not in SETTLEMENT_KINDS, -net.population[i]))
    return [(float(lon[i]), float(lat[i]), place_label(net, i)) for i in nodes]


def save_figure(fig, path, about: str, **kwargs) -> None:
    """Save ``fig`` as PNG with ``about`` (what the figure shows, one or two sentences) in
    its ``Description`` text chunk: the report prints it as the caption."""
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    kwargs.setdefault("dpi", FIGURE_DPI)
    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        # left by ``tight_layout``, which has placed the axes; it does nothing more, but its
        # presence makes ``savefig`` walk every artist once more before drawing
        fig.set_layout_engine(None)
    if (
        kwargs.get("bbox_inches") == "tight"
        and fig.get_layout_engine() is None
        and kwargs["dpi"] == fig.dpi  # (measured at the resolution it is saved at)
        and "bbox_extra_artists" not in kwargs
    ):
        # the box savefig's "tight" computes, without the dry-run draw it makes first (the
        # axes are placed already; the PNGs are byte-identical): some 7-10% of a map's CPU
        pad = kwargs.pop("pad_inches", None)
        pad = plt.rcParams["savefig.pad_inches"] if pad in (None, "layout") else pad
        renderer = fig.canvas.get_renderer()
        kwargs["bbox_inches"] = fig.get_tightbbox(renderer).padded(pad, pad)
    fig.savefig(path, metadata={"Description": about}, **kwargs)


def figure_description(path) -> str:
    """The ``Description`` a figure was saved with (:func:`save_figure`), or ""."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return str(im.text.get("Description", ""))
    except (OSError, ValueError, AttributeError):
        return ""
