"""The erasure figure: what face verification loses when an attribute is erased, over depth.

Left: the LFW verification accuracy lost (p.p.) when each attribute is erased at
each erasure point, mean over the trained networks with its 95% interval
(``facecues.results.estimates``: the networks' spread and the LFW folds'
error), and the random control (a random relabelling erased the same way,
averaged over the attributes) as a grey band. Right: the whole-layer probe
refitted on the erased validation activations (and, dotted, the same probe
before erasure), against chance and the project's 2 p.p. margin.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from facecues.probes.erasure import CHANCE_MARGIN
from facecues.results.erasure import with_drops
from facecues.results.estimates import estimate
from facecues.results.figures.style import FULL_WIDTH, save


def fig_erasure(table: pd.DataFrame, png, pdf=None) -> None:
    """Draw the erasure figure of ``table`` (results/tables/erasure.tsv) to ``png``/``pdf``."""
    t = with_drops(table)
    points = sorted(t["point"].unique())
    names = t.drop_duplicates("point").set_index("point")["name"]
    x = np.arange(len(points))
    attributes = list(dict.fromkeys(t["attribute"]))
    colours = dict(zip(attributes, sns.color_palette("colorblind", len(attributes)), strict=True))
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(FULL_WIDTH, 3.8))
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
        r = by_point["residual_accuracy"].mean().reindex(points)
        b = by_point["probe_accuracy"].mean().reindex(points)
        ax2.plot(x, 100 * r.to_numpy(), color=colours[a], marker="o", ms=3, lw=1)
        ax2.plot(x, 100 * b.to_numpy(), color=colours[a], lw=0.8, ls=":", alpha=0.8)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_ylabel("verification accuracy lost (p.p.)")
    ax.set_title("LFW verification with the attribute erased", fontsize=9)
    ax2.axhspan(50 - 100 * CHANCE_MARGIN, 50 + 100 * CHANCE_MARGIN, color="0.88")
    ax2.axhline(50, color="k", lw=0.6, ls=":")
    ax2.set_ylabel("probe accuracy after erasure (%)")
    ax2.set_title("probe refitted: erased (solid), before (dotted)", fontsize=9)
    for a in (ax, ax2):
        a.set_xticks(x, [f"{p}\n{names[p]}" for p in points], fontsize=6, rotation=30)
        a.set_xlabel("erasure point (mean over networks)")
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, ncol=5, loc="lower center", frameon=False)
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    save(fig, png, pdf)
