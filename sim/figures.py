"""Figures (PNG). Chinese names render with a CJK font if one is installed, else pinyin."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.config import Config  # noqa: E402


def response_cdf(incidents: pd.DataFrame, conf: Config, path: Path) -> None:
    """Empirical CDF of response time (alarm to first team on scene), all replications."""
    rt = np.sort(incidents["response_min"].dropna().to_numpy())
    fig, ax = plt.subplots(figsize=(6, 4))
    if rt.size:
        ax.step(rt, np.arange(1, rt.size + 1) / len(incidents), where="post", label="all incidents")
    std = conf.layout.rescue.response_standard_min
    ax.axvline(std, color="grey", ls="--", label=f"standard {std:g} min (assumption)")
    ax.set_xlabel("response time, alarm to first team on scene (min)")
    ax.set_ylabel("share of incidents")
    ax.set_ylim(0, 1)
    ax.set_title(f"{conf.district.name_en}: {conf.scenario.name}, layout {conf.layout.name}")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
