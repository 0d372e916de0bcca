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

CURVES = {"layer": "whole layer", "filters": "8 filters", "neurons": "8 neurons"}
COLORS = dict(zip(CURVES, sns.color_palette("colorblind", 3), strict=True))
# First probe point of each ResNet stage (L01 is the stem, L50 the global pool).
STAGE_STARTS = {"stem": 1, "layer1": 2, "layer2": 11, "layer3": 23, "layer4": 41, "pool": 50}
TICKS = (1, 11, 23, 41, 50)


def _save(fig, png: str | Path, pdf: str | Path | None) -> None:
    Path(png).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=200, bbox_inches="tight")
    if pdf:
        fig.savefig(pdf, bbox_inches="tight")
    plt.close(fig)


def depth_curves(table: pd.DataFrame, probes=tuple(CURVES)) -> pd.DataFrame:
    """Mean and std over seeds of each (attribute, probe, depth) accuracy."""
    t = table[table["probe"].isin(probes) & (table["rank"] == 0)]
    g = t.groupby(["attribute", "probe", "depth", "point"])["accuracy"]
    out = g.agg(["mean", "std", "count"]).reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out


def _stage_axis(ax) -> None:
    for start in STAGE_STARTS.values():
        if start > 1:
            ax.axvline(start - 0.5, color="0.85", lw=0.6, zorder=0)
    ax.set_xticks(TICKS)
    ax.set_xticklabels([f"L{v:02d}" for v in TICKS], fontsize=6)
    ax.set_xlim(0.5, 50.5)


def fig3(table: pd.DataFrame, png: str | Path, pdf: str | Path | None = None) -> None:
    """Accuracy over depth for every attribute: whole layer, 8 filters, 8 neurons.

    Mean over seeds; band = +-2 std when there is more than one seed.
    """
    curves = depth_curves(table)
    attributes = list(dict.fromkeys(table["attribute"]))
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
        ax.axhline(0.5, color="0.5", lw=0.6, ls=":")
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
    seeds = table["seed"].nunique()
    handles, labels = axes.flat[0].get_legend_handles_labels()
    note = f"mean over {seeds} network seed{'s' if seeds > 1 else ''}"
    note += " (band ±2 std)" if seeds > 1 else ""
    fig.legend(
        handles,
        labels,
        loc="upper left",
        ncol=3,
        fontsize=7,
        frameon=False,
        bbox_to_anchor=(0.0, 1.0),
    )
    fig.text(
        0.99,
        0.985,
        note + "; grey lines: ResNet stage boundaries",
        ha="right",
        va="top",
        fontsize=6.5,
        color="0.3",
    )
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    _save(fig, png, pdf)
