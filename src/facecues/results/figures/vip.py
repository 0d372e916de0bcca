"""Fig. 5: the distribution of neuron VIP scores, and single-neuron accuracy against VIP."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.collections import PathCollection
from matplotlib.ticker import NullLocator

from facecues.results.figures.style import FULL_WIDTH, attribute_rows, networks_note, save, theme


def _vip_histogram(vip_arrays: Sequence[np.ndarray], bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean over arrays (layers) of the fraction of each array's units per VIP bin."""
    arrays = [np.asarray(a, dtype=np.float64).ravel() for a in vip_arrays]
    arrays = [a[np.isfinite(a)] for a in arrays]
    arrays = [a for a in arrays if a.size]
    if not arrays:
        raise ValueError("fig5 needs at least one non-empty VIP array")
    top = max(float(a.max()) for a in arrays)
    edges = np.linspace(0.0, top if top > 0 else 1.0, bins + 1)
    fractions = [np.histogram(a, bins=edges)[0] / a.size for a in arrays]
    return edges, np.mean(fractions, axis=0)


def _binned(x: np.ndarray, y: np.ndarray, bins: int) -> pd.DataFrame:
    """Mean, std and count of y in equal-width bins of x (empty bins dropped)."""
    lo, hi = float(x.min()), float(x.max())
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
    idx = np.clip(np.digitize(x, edges[1:-1]), 0, bins - 1)
    df = pd.DataFrame({"bin": idx, "x": x, "y": y})
    g = df.groupby("bin").agg(
        x=("x", "mean"), mean=("y", "mean"), std=("y", "std"), n=("y", "size")
    )
    g["std"] = g["std"].fillna(0.0)
    return g.reset_index()


def fig5(
    vip_arrays: Sequence[np.ndarray],
    table: pd.DataFrame,
    attribute: str,
    png: str | Path,
    pdf: str | Path | None = None,
    *,
    hist_bins: int = 60,
    acc_bins: int = 12,
) -> None:
    """VIP distribution and single-neuron accuracy against VIP (Fig. 5).

    Left: the distribution of neuron VIP scores, averaged over ``vip_arrays``
    (one 1-D array per probe point and network, so every layer weighs the same),
    log y axis. Right: accuracy of the VIP-uniform single neurons (``vip`` probe
    rows of ``attribute``) in ``acc_bins`` equal-width VIP bins, mean over
    neurons and networks with a +-2 std band, and the top-8 single neurons of every
    point (``neuron`` rows) as dots.
    """
    t = attribute_rows(table, attribute)
    edges, frac = _vip_histogram(vip_arrays, hist_bins)
    t = t[t["depth"] > 0]  # the network's neurons, not the input's pixels (L00)
    vip = t[t["probe"] == "vip"].dropna(subset=["vip", "accuracy"])
    top = t[t["probe"] == "neuron"].dropna(subset=["vip", "accuracy"])
    if vip.empty and top.empty:
        raise ValueError(f"no 'vip' or 'neuron' probe rows for {attribute!r}")
    theme()
    fig, (left, right) = plt.subplots(1, 2, figsize=(FULL_WIDTH, 2.7))
    color = sns.color_palette("colorblind")[0]
    left.stairs(frac, edges, fill=True, color=color, alpha=0.75, lw=0)
    left.set_yscale("log")
    left.axvline(1.0, color="0.4", lw=0.7, ls="--")
    left.text(
        1.0,
        0.98,
        " VIP = 1",
        transform=left.get_xaxis_transform(),
        fontsize=6.5,
        va="top",
        color="0.3",
    )
    left.set_xlabel("VIP score", fontsize=8)
    left.set_ylabel("fraction of a layer's neurons", fontsize=8)
    left.set_title(f"VIP distribution (mean over {len(vip_arrays)} layer maps)", fontsize=8)
    left.set_xlim(edges[0], edges[-1])

    right.axhline(0.5, color="0.5", lw=0.7, ls=":", zorder=0, label="chance")
    if not top.empty:
        right.scatter(
            top["vip"],
            top["accuracy"],
            s=4,
            color=sns.color_palette("colorblind")[3],
            alpha=0.3,
            lw=0,
            label="top-8 neurons of each point",
            zorder=2,
            rasterized=True,
        )
    if not vip.empty:
        b = _binned(vip["vip"].to_numpy(float), vip["accuracy"].to_numpy(float), acc_bins)
        right.fill_between(
            b["x"],
            b["mean"] - 2 * b["std"],
            b["mean"] + 2 * b["std"],
            color=color,
            alpha=0.25,
            lw=0,
            label="±2 std",
            zorder=3,
        )
        right.plot(
            b["x"],
            b["mean"],
            color=color,
            lw=1.5,
            marker="o",
            ms=3,
            label="VIP-uniform neurons, binned mean",
            zorder=4,
        )
    right.set_xlabel("VIP score", fontsize=8)
    right.set_ylabel("val. accuracy (single neuron)", fontsize=8)
    right.set_title("single-neuron accuracy against VIP", fontsize=8)
    handles, labels = right.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: _LEGEND_ORDER.index(labels[i]))
    legend = fig.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        loc="lower center",
        ncol=len(order),
        fontsize=7,
        frameon=False,
        markerscale=2,
    )
    for handle in legend.legend_handles:
        if isinstance(handle, PathCollection):
            handle.set_alpha(1.0)
    left.yaxis.set_minor_locator(NullLocator())
    for ax in (left, right):
        ax.tick_params(labelsize=7)
    fig.suptitle(
        f"{attribute.replace('_', ' ')}: {networks_note(t).replace(' (band ±2 std)', '')}",
        fontsize=9,
    )
    sns.despine(fig)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    save(fig, png, pdf)


_LEGEND_ORDER = [
    "VIP-uniform neurons, binned mean",
    "±2 std",
    "top-8 neurons of each point",
    "chance",
]
