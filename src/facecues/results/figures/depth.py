"""Accuracy over depth: every attribute's curves (Fig. 3) and one attribute's with the
residual-block structure marked (Fig. 4)."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D

from facecues.nets.layout import Depths
from facecues.results.figures.style import (
    COLORS,
    CURVES,
    FULL_WIDTH,
    attribute_rows,
    depth_curves,
    networks_note,
    panel_grid,
    save,
    stage_axis,
    stage_labels,
    theme,
)
from facecues.results.selection import split_controls

KIND_MARKERS = {
    "input": ("X", "input pixels (L00)"),
    "stem": ("s", "stem (before the first block)"),
    "inner": ("v", "inside a block"),
    "output": ("o", "block output"),
    "post": ("P", "after the last block"),
    "pool": ("D", "embedding (pooled)"),
}


def fig3_curves(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Fig. 3's curves: the trained networks' three probes, the untrained networks' whole
    layer, and the trained networks' whole layer on the identity control task."""
    trained, controls = split_controls(table)
    random_curves = depth_curves(controls, ("layer",))
    identity = (
        depth_curves(trained, ("layer",), "identity_task_accuracy")
        if "identity_task_accuracy" in trained
        else random_curves.iloc[:0]
    )
    return depth_curves(trained), random_curves, identity


def fig3(
    table: pd.DataFrame, png: str | Path, pdf: str | Path | None = None, *, depths: Depths
) -> None:
    """Accuracy over depth for every attribute: whole layer, 8 filters, 8 neurons.

    Mean over the trained networks; band = +-2 std when there is more than
    one. Controls, where the table has them, as thin lines: the whole-layer
    probe of the untrained networks (``random*``, dashed) and of the trained
    networks fitted and scored on the identity control task (dotted: a random label per
    person). The input point L00, where the table has it, sits at depth 0.
    ``depths``: the network's landmarks (its stage boundaries;
    ``facecues.nets.layout.depths``).
    """
    trained, controls = split_controls(table)
    curves, random_curves, identity_curves = fig3_curves(table)
    with_input = bool((curves["depth"] == 0).any())
    attributes = list(dict.fromkeys(trained["attribute"]))
    sns.set_theme(style="ticks", context="paper", font_scale=0.9)
    fig, axes = panel_grid(len(attributes))
    nrows, ncols = axes.shape
    for ax, attr in zip(axes.flat, attributes, strict=False):
        for probe, label in CURVES.items():
            c = curves[(curves["attribute"] == attr) & (curves["probe"] == probe)]
            c = c.sort_values("depth")
            ax.plot(c["depth"], c["mean"], color=COLORS[probe], lw=1.1, label=label)
            if (c["count"] > 1).any():
                ax.fill_between(
                    c["depth"],
                    c["mean"] - 2 * c["std"],
                    c["mean"] + 2 * c["std"],
                    color=COLORS[probe],
                    alpha=0.2,
                    lw=0,
                )
        for c, style, label in (
            (random_curves, "--", "untrained net, whole layer"),
            (identity_curves, ":", "identity task, whole layer"),
        ):
            c = c[c["attribute"] == attr].sort_values("depth")
            if len(c):
                ax.plot(c["depth"], c["mean"], color="0.35", lw=0.8, ls=style, label=label)
        ax.axhline(0.5, color="0.75", lw=0.5)
        ax.set_title(attr.replace("_", " "), fontsize=8)
        stage_axis(ax, depths, with_input=with_input)
        ax.tick_params(labelsize=6)
    for ax in axes.flat[len(attributes) :]:
        ax.axis("off")
    lo = min(0.45, float(np.floor(curves["mean"].min() * 20) / 20)) if len(curves) else 0.45
    axes[0, 0].set_ylim(lo, 1.0)
    for ax in axes[:, 0]:
        ax.set_ylabel("val. accuracy", fontsize=7)
    for ax in axes[-1, :]:
        ax.set_xlabel("probe point", fontsize=7)
    n = trained["network"].nunique()
    handles, labels = axes.flat[0].get_legend_handles_labels()
    note = f"mean over {n} trained network{'s' if n > 1 else ''}"
    note += " (band ±2 std)" if n > 1 else ""
    if len(controls):
        note += f"; untrained: mean over {controls['network'].nunique()}"
    rows = 1 if len(handles) <= 3 or ncols >= 4 else 2  # the legend above the panels
    fig.legend(
        handles,
        labels,
        loc="upper center",
        ncol=math.ceil(len(handles) / rows),
        fontsize=7,
        frameon=False,
        bbox_to_anchor=(0.5, 1.0),
    )
    fig.text(  # the note below them
        0.5,
        0.0,
        note + "; grey lines: stage boundaries" + ("; L00: the input pixels" if with_input else ""),
        ha="center",
        va="bottom",
        fontsize=6.5,
        color="0.3",
    )
    top = 1 - (0.05 + 0.035 * rows) * 4 / (1.55 * nrows + 0.6)
    fig.tight_layout(rect=(0, 0.03 * 4 / (1.55 * nrows + 0.6), 1, top))
    save(fig, png, pdf)


def fig4(
    table: pd.DataFrame,
    attribute: str,
    png: str | Path,
    pdf: str | Path | None = None,
    *,
    depths: Depths,
) -> None:
    """Accuracy over depth of one attribute, block structure marked (Fig. 4).

    Curves: whole layer, 8 filters, 8 neurons (mean over networks, band +-2 std);
    marker shapes tell block outputs from activations inside blocks, the stem, the
    points after the last block, the embedding and the input point (L00, where the
    table has it), those the network has; grey lines are the stage boundaries of
    ``depths`` (the network's landmarks). Raises ``ValueError`` naming the available attributes when
    ``attribute`` is not in ``table``.
    """
    t = attribute_rows(table, attribute)
    curves = depth_curves(t)
    kinds = t.drop_duplicates("depth").set_index("depth")["kind"]
    with_input = bool((curves["depth"] == 0).any())
    theme()
    fig, ax = plt.subplots(figsize=(FULL_WIDTH, 2.9))
    for probe, label in CURVES.items():
        c = curves[curves["probe"] == probe].sort_values("depth")
        if c.empty:
            continue
        color = COLORS[probe]
        x, m, s = c["depth"].to_numpy(), c["mean"].to_numpy(), c["std"].to_numpy()
        ax.plot(x, m, color=color, lw=1.2, label=label, zorder=2)
        if (c["count"] > 1).any():
            ax.fill_between(x, m - 2 * s, m + 2 * s, color=color, alpha=0.18, lw=0, zorder=1)
        k = kinds.reindex(x).to_numpy()
        for kind, (marker, _) in KIND_MARKERS.items():
            sel = k == kind
            if not sel.any():
                continue
            filled = kind != "inner"
            ax.scatter(
                x[sel],
                m[sel],
                marker=marker,
                s=22 if filled else 16,
                facecolor=color if filled else "white",
                edgecolor=color,
                linewidth=0.9,
                zorder=3,
            )
    ax.axhline(0.5, color="0.5", lw=0.7, ls=":", zorder=0)
    low, high = ax.get_ylim()
    ax.set_ylim(min(low, 0.47), high)  # the chance line in view
    stage_axis(ax, depths, with_input=with_input)
    ax.set_xticks(range(0 if with_input else 1, depths.last + 1), minor=True)
    ax.tick_params(axis="x", labelsize=7)
    ax.tick_params(axis="y", labelsize=7)
    stage_labels(ax, depths)
    ax.set_xlabel("probe point (depth)", fontsize=8)
    ax.set_ylabel("validation accuracy", fontsize=8)
    ax.set_title(attribute.replace("_", " "), fontsize=9, pad=14)
    curve_legend = ax.legend(
        loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False, title=None
    )
    ax.add_artist(curve_legend)
    present = [k for k in KIND_MARKERS if (kinds == k).any()]
    handles = [
        Line2D(
            [],
            [],
            ls="",
            marker=KIND_MARKERS[k][0],
            markersize=5,
            markerfacecolor="white" if k == "inner" else "0.3",
            markeredgecolor="0.3",
            label=KIND_MARKERS[k][1],
        )
        for k in present
    ]
    ax.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(1.01, 0.0),
        fontsize=7,
        frameon=False,
        title="probe point",
        title_fontsize=7,
        alignment="left",
    )
    fig.text(
        0.99,
        0.01,
        networks_note(t) + "; dotted: chance; grey lines: stage boundaries",
        ha="right",
        va="bottom",
        fontsize=6.5,
        color="0.35",
    )
    sns.despine(fig)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save(fig, png, pdf)
