"""Evacuation figures: evacuation curve, shelter occupancy, link queues."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def evacuation_figures(tables: dict[str, pd.DataFrame], conf, outdir: Path) -> None:
    """``evacuation_curve.png`` (people sheltered vs time with the plan's N and the impact)
    and ``shelter_occupancy.png`` (capacity, peak and people turned away by town)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.core.plotting import save_figure, subplots, use_cjk_font

    use_cjk_font()
    outdir = Path(outdir)
    curve = tables["evac_curve"]
    g = curve.groupby("t_h")
    fig, ax = subplots(figsize=(7, 4.2))
    for col, label, color, style, width in (
        ("out_of_zone", "people out of the hazard zone", "#2ca02c", "--", 1.2),
        ("sheltered", "people sheltered (cumulative)", "#1f77b4", "-", 2.0),
        ("in_shelter", "people in shelters now", "#17becf", ":", 1.2),
        ("caught", "people caught by the hazard", "#d62728", "-", 1.2),
    ):
        m = g[col].mean()
        ax.plot(m.index, m.to_numpy(), color=color, ls=style, lw=width, label=label)
        if col in ("sheltered", "caught"):  # range over replications
            ax.fill_between(m.index, g[col].min(), g[col].max(), color=color, alpha=0.1, lw=0)
    risk = float(curve["at_risk"].mean())
    ax.axhline(risk, color="grey", ls=":", label=f"people at risk {risk:,.0f}")
    plan = float(curve["plan_people"].max())
    if plan > 0:
        ax.axhline(plan, color="#9467bd", ls="--", label=f"plan N = {plan:,.0f}")
    impact = curve["impact_h"].dropna()
    if len(impact):
        ax.axvline(float(impact.mean()), color="black", ls="--", label="impact (mean)")
    ax.set_xlabel("hours since scenario start")
    ax.set_ylabel("people")
    ax.set_title(f"{conf.district.name_en}: {conf.scenario.name}, layout {conf.layout.name}")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    save_figure(
        fig,
        outdir / "evacuation_curve.png",
        "People out of the hazard zone, sheltered, in shelters and caught by the hazard against "
        "hours since the scenario start (mean over replications), with the plan's number and "
        "the impact.",
    )
    plt.close(fig)

    nodes = tables.get("evac_shelter_nodes")
    if nodes is None or not len(nodes):
        return
    per = nodes.groupby("node").agg(
        capacity=("capacity", "first"), peak=("peak", "mean"), away=("turned_away", "mean")
    )
    per = per[(per["peak"] > 0) | (per["away"] > 0)].sort_values("peak").tail(20)
    if not len(per):
        return
    fig, ax = subplots(figsize=(7, 0.35 * len(per) + 1.6))
    y = np.arange(len(per))
    ax.barh(y, per["capacity"].to_numpy(), color="#c8d6e5", label="shelter capacity")
    ax.barh(y, per["peak"].to_numpy(), height=0.5, color="#4c72b0", label="peak people at once")
    for yi, (cap, away) in enumerate(zip(per["capacity"], per["away"], strict=True)):
        if away > 0:
            ax.text(cap, yi, f"  {away:,.0f} turned away", va="center", fontsize=7, color="#c62828")
    ax.set_yticks(y, per.index)
    ax.set_xlabel("people (mean peak over replications)")
    ax.set_title(f"{conf.district.name_en}: shelters by town, {conf.scenario.name}")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    save_figure(
        fig,
        outdir / "shelter_occupancy.png",
        "Shelter capacity and peak people at once by town (mean peak over replications), with "
        "the people turned away.",
    )
    plt.close(fig)
