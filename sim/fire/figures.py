"""Fire figures: time to out against the 24 h line, burned and damaged area by zone."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.config import Config  # noqa: E402
from sim.core.plotting import use_cjk_font


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
    """Mean burned (过火) and damaged (受害) forest area per fire year by forest zone."""
    use_cjk_font()
    sc = conf.scenario.fire
    years = sc.years if sc is not None and sc.mode == "season" else 1
    reps = max(int(fires["rep"].nunique()), 1) if "rep" in fires else 1
    by_zone = fires.groupby("zone")[["area_ha", "damaged_ha"]].sum().sort_values("area_ha")
    by_zone = by_zone / (reps * years)
    y = np.arange(len(by_zone))
    fig, ax = plt.subplots(figsize=(6, 0.6 * len(by_zone) + 1.5))
    ax.barh(y + 0.2, by_zone["area_ha"].to_numpy(), 0.4, color="#dd8452", label="burned")
    ax.barh(y - 0.2, by_zone["damaged_ha"].to_numpy(), 0.4, color="#8c564b", label="damaged forest")
    ax.set_yticks(y, by_zone.index)
    ax.set_xlabel(
        "area per fire year (ha, mean)" if years > 1 else "area per replication (ha, mean)"
    )
    ax.set_title(f"{conf.district.name_en}: burned and damaged area by forest zone")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
