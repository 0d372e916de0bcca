"""Figures of the study, PNG + PDF, readable at paper column width."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from .atomic import atomic_path  # noqa: E402
from .selection import split_controls  # noqa: E402

CURVES = {"layer": "whole layer", "filters": "8 filters", "neurons": "8 neurons"}
COLORS = dict(zip(CURVES, sns.color_palette("colorblind", 3), strict=True))
# First probe point of each ResNet stage (L01 is the stem, L50 the global pool).
STAGE_STARTS = {"stem": 1, "layer1": 2, "layer2": 11, "layer3": 23, "layer4": 41, "pool": 50}
TICKS = (1, 11, 23, 41, 50)


def _save(fig, png: str | Path, pdf: str | Path | None) -> None:
    """PNG (200 dpi) and PDF, each written under a temporary name, then renamed."""
    with atomic_path(png) as tmp:
        fig.savefig(tmp, dpi=200, bbox_inches="tight")
    if pdf:
        with atomic_path(pdf) as tmp:
            fig.savefig(tmp, bbox_inches="tight")
    plt.close(fig)


def depth_curves(
    table: pd.DataFrame, probes=tuple(CURVES), value: str = "accuracy"
) -> pd.DataFrame:
    """Mean and std over seeds of each (attribute, probe, depth) ``value``."""
    t = table[table["probe"].isin(probes) & (table["rank"] == 0)].dropna(subset=[value])
    g = t.groupby(["attribute", "probe", "depth", "point"])[value]
    out = g.agg(["mean", "std", "count"]).reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out


def fig3_curves(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Fig. 3's curves: the trained networks' three probes, the untrained networks' whole
    layer, and the trained networks' whole layer refitted on shuffled labels."""
    trained, controls = split_controls(table)
    random_curves = depth_curves(controls, ("layer",))
    shuffled = (
        depth_curves(trained, ("layer",), "shuffled_accuracy")
        if "shuffled_accuracy" in trained
        else random_curves.iloc[:0]
    )
    return depth_curves(trained), random_curves, shuffled


def _stage_axis(ax) -> None:
    for start in STAGE_STARTS.values():
        if start > 1:
            ax.axvline(start - 0.5, color="0.85", lw=0.6, zorder=0)
    ax.set_xticks(TICKS)
    ax.set_xticklabels([f"L{v:02d}" for v in TICKS], fontsize=6)
    ax.set_xlim(0.5, 50.5)


def fig3(table: pd.DataFrame, png: str | Path, pdf: str | Path | None = None) -> None:
    """Accuracy over depth for every attribute: whole layer, 8 filters, 8 neurons.

    Mean over the trained networks; band = +-2 std when there is more than
    one. Controls, where the table has them, as thin lines: the whole-layer
    probe of the untrained networks (``random*``, dashed) and of the trained
    networks refitted on shuffled labels (dotted).
    """
    trained, controls = split_controls(table)
    curves, random_curves, shuffled_curves = fig3_curves(table)
    attributes = list(dict.fromkeys(trained["attribute"]))
    ncols = min(4, len(attributes))
    nrows = math.ceil(len(attributes) / ncols)
    sns.set_theme(style="ticks", context="paper", font_scale=0.9)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(1.9 * ncols + 0.4, 1.55 * nrows + 0.6),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
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
            (shuffled_curves, ":", "shuffled labels, whole layer"),
        ):
            c = c[c["attribute"] == attr].sort_values("depth")
            if len(c):
                ax.plot(c["depth"], c["mean"], color="0.35", lw=0.8, ls=style, label=label)
        ax.axhline(0.5, color="0.75", lw=0.5)
        ax.set_title(attr.replace("_", " "), fontsize=8)
        _stage_axis(ax)
        ax.tick_params(labelsize=6)
    for ax in axes.flat[len(attributes) :]:
        ax.axis("off")
    lo = min(0.45, float(np.floor(curves["mean"].min() * 20) / 20)) if len(curves) else 0.45
    axes[0, 0].set_ylim(lo, 1.0)
    for ax in axes[:, 0]:
        ax.set_ylabel("val. accuracy", fontsize=7)
    for ax in axes[-1, :]:
        ax.set_xlabel("probe point", fontsize=7)
    seeds = trained["seed"].nunique()
    handles, labels = axes.flat[0].get_legend_handles_labels()
    note = f"mean over {seeds} trained network{'s' if seeds > 1 else ''}"
    note += " (band ±2 std)" if seeds > 1 else ""
    if len(controls):
        note += f"; untrained: mean over {controls['seed'].nunique()}"
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
        note + "; grey lines: ResNet stage boundaries",
        ha="center",
        va="bottom",
        fontsize=6.5,
        color="0.3",
    )
    top = 1 - (0.05 + 0.035 * rows) * 4 / (1.55 * nrows + 0.6)
    fig.tight_layout(rect=(0, 0.03 * 4 / (1.55 * nrows + 0.6), 1, top))
    _save(fig, png, pdf)
