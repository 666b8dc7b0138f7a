"""Fire figures: time to out against the 24 h limit and the target share, burned and damaged
area by zone."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402

from sim.config import Config, TargetConfig  # noqa: E402
from sim.core.plotting import (  # noqa: E402
    replications_phrase,
    save_figure,
    subplots,
    use_cjk_font,
)
from sim.fire.metrics import OUT_WITHIN_H  # noqa: E402

# The KPI the plans' 24-hour target judges (fires_out_24h_share) counts fires out within
# OUT_WITHIN_H of the report: the figure's vertical line is that limit.
OUT_SHARE_KPI = "fires_out_24h_share"


def out_share_targets(conf: Config) -> list[TargetConfig]:
    """The district's targets on the share of fires out within 24 h (``district.targets``
    naming ``fires_out_24h_share``), in config order."""
    return [t for t in conf.district.targets.values() if t.metric == OUT_SHARE_KPI]


def draw_time_to_out(ax, fires: pd.DataFrame, conf: Config) -> None:
    """On ``ax``: the ECDF of report-to-out hours pooled over every replication's fires
    (fires never out keep it below 1), a vertical line at the KPI's hour limit and a
    horizontal line at each configured target share."""
    h = np.sort(fires["time_to_out_h"].dropna().to_numpy(dtype=float))
    n = len(fires)
    right = max(OUT_WITHIN_H * 2, float(h.max()) * 1.2 if h.size else 0.0)
    if h.size:  # the last step runs on to the right edge: the share never out stays visible
        ax.step(
            np.r_[0.0, h, right],
            np.r_[0.0, np.arange(1, h.size + 1) / n, h.size / n],
            where="post",
            color="#1f77b4",
            lw=1.8,
            label=f"fires out (ECDF of {n:,} fires)",
        )
    ax.axvline(OUT_WITHIN_H, color="#c62828", ls="--", lw=1.2, label=f"{OUT_WITHIN_H:g} h limit")
    share = float((h <= OUT_WITHIN_H).sum() / n) if n else float("nan")
    for t in out_share_targets(conf):
        src = f", {t.source}" if t.source else ""
        ax.axhline(
            t.threshold,
            color="#6a1b9a",
            ls=":",
            lw=1.4,
            label=f"target: {t.comparator} {t.threshold:.0%} out within {OUT_WITHIN_H:g} h{src}",
        )
    if n:
        ax.plot(
            [OUT_WITHIN_H],
            [share],
            "o",
            color="#c62828",
            label=f"simulated: {share:.1%} out within {OUT_WITHIN_H:g} h",
        )
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(0, right)
    ticks = [t for t in (0, 0.5, 1, 2, 4, 8, 12, 24, 48, 96, 168, 336, 720) if t <= right]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("time from report to out (h, log scale above 1 h)")
    ax.set_ylabel("share of fires out")
    ax.set_ylim(0, 1.02)
    ax.grid(True, which="major", alpha=0.3)


def fire_time_to_out(fires: pd.DataFrame, conf: Config, path: Path) -> None:
    """Distribution of time from report to 'out' over every replication's fires, with the
    24-hour limit and the district's target share (``district.targets``)."""
    use_cjk_font()
    fig, ax = subplots(figsize=(7, 4.5))
    draw_time_to_out(ax, fires, conf)
    reps = int(fires["rep"].nunique()) if "rep" in fires else 1
    ax.set_title(
        f"{conf.district.name_en}: {conf.scenario.name}, layout {conf.layout.name}\n"
        f"time to out, {len(fires):,} fires pooled over {replications_phrase(reps, conf)}",
        fontsize=10,
    )
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    targets = ", ".join(f"{t.comparator} {t.threshold:.0%}" for t in out_share_targets(conf))
    save_figure(
        fig,
        path,
        f"Share of fires out against hours from report to out, pooled over every replication; "
        f"dashed: the {OUT_WITHIN_H:g} h limit"
        + (f"; dotted: the district's target ({targets} out within it)." if targets else "."),
    )
    plt.close(fig)


def fire_burned_by_zone(fires: pd.DataFrame, conf: Config, path: Path) -> None:
    """Mean burned (过火) and damaged (受害) forest area per fire year by forest zone."""
    use_cjk_font()
    sc = conf.scenario.fire
    years = sc.years if sc is not None and sc.mode == "season" else 1
    reps = max(int(fires["rep"].nunique()), 1) if "rep" in fires else 1
    by_zone = fires.groupby("zone")[["area_ha", "damaged_ha"]].sum().sort_values("area_ha")
    by_zone = by_zone / (reps * years)
    y = np.arange(len(by_zone))
    fig, ax = subplots(figsize=(6, 0.6 * len(by_zone) + 1.5))
    ax.barh(y + 0.2, by_zone["area_ha"].to_numpy(), 0.4, color="#dd8452", label="burned")
    ax.barh(y - 0.2, by_zone["damaged_ha"].to_numpy(), 0.4, color="#8c564b", label="damaged forest")
    ax.set_yticks(y, by_zone.index)
    ax.set_xlabel(
        "area per fire year (ha, mean)" if years > 1 else "area per replication (ha, mean)"
    )
    ax.set_title(f"{conf.district.name_en}: burned and damaged area by forest zone")
    ax.legend(loc="lower right")
    fig.tight_layout()
    save_figure(
        fig,
        path,
        "Mean burned and damaged forest area by forest zone, per fire year.",
    )
    plt.close(fig)
