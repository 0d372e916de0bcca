"""The erasure figure: what face verification loses when an attribute is erased, over depth.

Left: the LFW verification accuracy lost (p.p.) when each attribute is erased at
each erasure point, mean over the trained networks with its 95% interval
(``facecues.results.estimates``: the networks' spread and the LFW folds'
error), and the random control (a random relabelling erased the same way,
averaged over the attributes) as a grey band. Middle: the linear probe (PLS +
LDA, what a linear eraser removes) refitted on the erased validation
activations (and, dotted, the same probe before erasure), against chance and
the project's 2 p.p. margin. Right: the same for the whole-layer probe (PLS +
QDA), which also reads what the classes' spreads differ in.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D

from facecues.results.erasure import with_drops
from facecues.results.estimates import estimate
from facecues.results.figures.style import FULL_WIDTH, save

#: The probes refitted on the erased validation activations: {title: (column before,
#: column after erasure)}.
PROBES = {
    "linear probe (PLS + LDA)": ("linear_probe_accuracy", "residual_linear_accuracy"),
    "whole-layer probe (PLS + QDA)": ("probe_accuracy", "residual_accuracy"),
}


def fig_erasure(table: pd.DataFrame, png, pdf=None) -> None:
    """Draw the erasure figure of ``table`` (results/tables/erasure.tsv) to ``png``/``pdf``."""
    t = with_drops(table)
    points = sorted(t["point"].unique())
    names = t.drop_duplicates("point").set_index("point")["name"]
    x = np.arange(len(points))
    attributes = list(dict.fromkeys(t["attribute"]))
    colours = dict(zip(attributes, sns.color_palette("colorblind", len(attributes)), strict=True))
    fig, (ax, *probes) = plt.subplots(1, 3, figsize=(FULL_WIDTH, 3.9))
    control = [
        estimate(
            g.groupby("network")["control_drop"].mean(),
            float(np.nanmean(g["control_drop_se"] ** 2)),
        )
        for g in (t[t["point"] == p] for p in points)
    ]
    mid = np.array([100 * e.value for e in control])
    half = np.array([100 * e.half_width for e in control])
    ax.fill_between(x, mid - half, mid + half, color="0.85", label="random control")
    ax.plot(x, mid, color="0.5", lw=1, ls="--")
    offsets = np.linspace(-0.15, 0.15, len(attributes))
    for off, a in zip(offsets, attributes, strict=True):
        g = t[t["attribute"] == a]
        est = [
            estimate(h["drop"].to_numpy(), float(np.nanmean(h["drop_se"] ** 2)))
            for h in (g[g["point"] == p] for p in points)
        ]
        ax.errorbar(
            x + off,
            [100 * e.value for e in est],
            yerr=[100 * e.half_width for e in est],
            color=colours[a],
            marker="o",
            ms=3,
            lw=1,
            capsize=2,
            label=a,
        )
        by_point = g.groupby("point")
        for ax2, (before, after) in zip(probes, PROBES.values(), strict=True):
            r = by_point[after].mean().reindex(points)
            b = by_point[before].mean().reindex(points)
            ax2.plot(x, 100 * r.to_numpy(), color=colours[a], marker="o", ms=3, lw=1)
            ax2.plot(x, 100 * b.to_numpy(), color=colours[a], lw=0.8, ls=":", alpha=0.8)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_ylabel("LFW verification accuracy lost (p.p.)", fontsize=8)
    ax.set_title("verification, attribute erased", fontsize=8)
    low = min(40.0, 100 * float(t[[c for pair in PROBES.values() for c in pair]].min().min()))
    for ax2, title in zip(probes, PROBES, strict=True):
        ax2.axhspan(50, 100 * t["chance_bound"].max(), color="0.88")  # at chance below
        ax2.axhline(50, color="k", lw=0.6, ls=":")
        ax2.set_ylim(low - 2, 100)
        ax2.set_title(title, fontsize=8)
    probes[0].set_ylabel("probe refitted on validation (%)", fontsize=8)
    for a in (ax, *probes):
        a.set_xticks(x, [f"{p} {names[p]}" for p in points], fontsize=6, rotation=40, ha="right")
        a.set_xlabel("erasure point", fontsize=8)
        a.tick_params(axis="y", labelsize=7)
    handles, labels = ax.get_legend_handles_labels()
    handles += [
        Line2D([], [], color="0.3", marker="o", ms=3, lw=1),
        Line2D([], [], color="0.3", lw=0.8, ls=":"),
    ]
    labels += ["probe after erasure", "probe before erasure"]
    fig.legend(handles, labels, fontsize=7, ncol=6, loc="lower center", frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    save(fig, png, pdf)
