"""Relief figures: share of sheltered people whose basic needs are met over time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.config import Config


def _cumulative(times: np.ndarray, weights: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Sum of ``weights`` with time <= each grid point."""
    o = np.argsort(times)
    cw = np.concatenate([[0.0], np.cumsum(weights[o])])
    return cw[np.searchsorted(times[o], grid, side="right")]


def needs_met_figure(groups: pd.DataFrame, conf: Config, path: Path) -> None:
    """People sheltered and people with needs met vs time (mean over replications), and
    the distribution of hours from first arrival to needs met, with the target line."""
    from sim.core.plotting import plt, save_figure, subplots

    target = conf.layout.relief.target_h if conf.layout.relief else 24.0
    reps = max(int(groups["rep"].nunique()), 1) if "rep" in groups else 1
    counted = groups[groups["counted"].astype(bool)]
    new = groups[groups["handed_on"].fillna("") == ""]
    met = counted[counted["met_h"].notna()]
    end = float(np.nanmax([groups["arrival_h"].max(), groups["met_h"].max()]))
    grid = np.linspace(0.0, max(end, target) * 1.05, 400)
    sheltered = _cumulative(new["arrival_h"].to_numpy(float), new["people"].to_numpy(float), grid)
    served = _cumulative(met["met_h"].to_numpy(float), met["people_met"].to_numpy(float), grid)
    fig, (a1, a2) = subplots(1, 2, figsize=(11, 4))
    a1.plot(grid, sheltered / reps, drawstyle="steps-post", label="people sheltered")
    a1.plot(grid, served / reps, drawstyle="steps-post", label="people with basic needs met")
    first = float(np.nanmin(groups["arrival_h"]))
    a1.axvline(first + target, color="grey", ls="--", label=f"first arrival + {target:g} h")
    a1.set_xlabel("hours since scenario start")
    a1.set_ylabel(f"people (mean of {reps} replications)")
    a1.legend(loc="lower right")
    h = met["hours_to_met"].to_numpy(dtype=float)
    w = met["people_met"].to_numpy(dtype=float)
    total = float(new["people"].sum())
    if h.size and total > 0:
        o = np.argsort(h)
        a2.plot(h[o], np.cumsum(w[o]) / total, drawstyle="steps-post")
    a2.axvline(target, color="grey", ls="--", label=f"target {target:g} h (002 L180)")
    a2.set_xlabel("hours from first arrival at a shelter to kit complete")
    a2.set_ylabel("share of sheltered people")
    a2.set_ylim(0, 1)
    a2.legend(loc="lower right")
    fig.suptitle(f"{conf.district.name_en}: relief, layout {conf.layout.name}")
    fig.tight_layout()
    save_figure(
        fig,
        path,
        "Left: people sheltered and people with basic needs met against time (mean over "
        "replications); right: hours from first arrival at a shelter to a complete kit, with "
        "the target.",
    )
    plt.close(fig)


MODE_COLOURS = {"road": "#4c72b0", "water": "#55a868", "air": "#c44e52"}


def delivery_modes_figure(towns: pd.DataFrame, conf: Config, path: Path) -> None:
    """Tonnes delivered to each shelter node by road, water and air (mean over replications),
    and the share of judged people served within the target; unserved towns in red."""
    from sim.core.plotting import plt, save_figure, subplots

    reps = max(int(towns["rep"].nunique()), 1) if "rep" in towns else 1
    agg = towns.groupby("node").agg(
        {**{f"kg_{m}": "sum" for m in MODE_COLOURS}, "judged_people": "sum",
         "people_met_in_target": "sum", "unmet_end": "sum"}
    )  # fmt: skip
    agg = agg.sort_values("judged_people")
    y = np.arange(len(agg))
    fig, (a1, a2) = subplots(1, 2, figsize=(11, 0.8 + 0.35 * max(len(agg), 3)), sharey=True)
    left = np.zeros(len(agg))
    for m, colour in MODE_COLOURS.items():
        t = agg[f"kg_{m}"].to_numpy(float) / 1000.0 / reps
        a1.barh(y, t, left=left, color=colour, label=m)
        left += t
    a1.set_yticks(y)
    a1.set_yticklabels(agg.index)
    for lab, unmet in zip(a1.get_yticklabels(), agg["unmet_end"], strict=True):
        if unmet > 0:
            lab.set_color("red")
    a1.set_xlabel(f"tonnes delivered (mean of {reps} replications)")
    a1.legend(loc="lower right")
    share = agg["people_met_in_target"] / agg["judged_people"].where(agg["judged_people"] > 0)
    a2.barh(y, share.fillna(0.0).to_numpy(float), color="grey")
    target = conf.layout.relief.target_h if conf.layout.relief else 24.0
    a2.set_xlabel(f"share of judged people served within {target:g} h")
    a2.set_xlim(0, 1)
    fig.suptitle(
        f"{conf.district.name_en}: relief by mode, layout {conf.layout.name} "
        "(red: people still without their kit at the end)"
    )
    fig.tight_layout()
    save_figure(
        fig,
        path,
        "Tonnes delivered to each shelter place by road, water and air (mean over "
        "replications), and the share of people served within the target; unserved in red.",
    )
    plt.close(fig)
