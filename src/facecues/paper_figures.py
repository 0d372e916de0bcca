"""Figures 1, 4, 5 and 6 of the paper, PNG + PDF (styling shared with ``figures.py``).

- :func:`fig4`: one attribute's accuracy over depth with the residual-block
  structure marked (block outputs vs the two inner activations of each block).
- :func:`fig5`: distribution of neuron VIP scores, and single-neuron accuracy
  against VIP.
- :func:`average_faces` / :func:`fig_average_faces`: mean of the k images with
  the highest and the lowest activation of chosen neurons (Figs. 1 and 6).

Control networks (seeds named ``random*`` / ``shuffled*``) are left out of the
accuracy figures whenever the table also holds trained networks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.collections import PathCollection
from matplotlib.lines import Line2D
from matplotlib.ticker import NullLocator

from .figures import COLORS, CURVES, STAGE_STARTS, _save, _stage_axis, depth_curves
from .selection import is_control_seed

FULL_WIDTH = 7.0  # inches, two-column paper
COLUMN_WIDTH = 3.4
KIND_MARKERS = {
    "stem": ("s", "stem (conv1)"),
    "inner": ("v", "inner activation (relu1, relu2)"),
    "output": ("o", "block output (relu3)"),
    "pool": ("D", "global average pool"),
}


def _theme() -> None:
    sns.set_theme(style="ticks", context="paper", font_scale=1.0)


def _trained(table: pd.DataFrame) -> pd.DataFrame:
    control = table["seed"].map(is_control_seed)
    return table[~control] if (~control).any() else table


def _attribute_rows(table: pd.DataFrame, attribute: str) -> pd.DataFrame:
    available = sorted(table["attribute"].unique())
    if attribute not in set(available):
        raise ValueError(
            f"attribute {attribute!r} is not in the accuracy table; "
            f"available: {', '.join(available) if available else '(none)'}"
        )
    return _trained(table[table["attribute"] == attribute])


def _n_seeds_note(t: pd.DataFrame) -> str:
    n = t["seed"].nunique()
    return f"mean over {n} network seed{'s' if n != 1 else ''}" + (
        " (band ±2 std)" if n > 1 else ""
    )


def _stage_labels(ax) -> None:
    """Stage names above the plot, centred on each stage's probe points."""
    starts = sorted(STAGE_STARTS.items(), key=lambda kv: kv[1])
    for (name, start), nxt in zip(starts, [s for _, s in starts[1:]] + [51], strict=True):
        label = {"stem": "", "pool": ""}.get(name, name)
        if label:
            ax.text(
                (start + nxt - 1) / 2,
                1.01,
                label,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=7,
                color="0.35",
            )


def fig4(
    table: pd.DataFrame,
    attribute: str,
    png: str | Path,
    pdf: str | Path | None = None,
) -> None:
    """Accuracy over depth of one attribute, residual-block structure marked (Fig. 4).

    Curves: whole layer, 8 filters, 8 neurons (mean over seeds, band +-2 std);
    marker shapes tell block outputs from inner activations, stem and pool; grey
    lines are ResNet stage boundaries. Raises ``ValueError`` naming the
    available attributes when ``attribute`` is not in ``table``.
    """
    t = _attribute_rows(table, attribute)
    curves = depth_curves(t)
    kinds = t.drop_duplicates("depth").set_index("depth")["kind"]
    _theme()
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
    _stage_axis(ax)
    ax.set_xticks(range(1, 51), minor=True)
    ax.tick_params(axis="x", labelsize=7)
    ax.tick_params(axis="y", labelsize=7)
    _stage_labels(ax)
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
        _n_seeds_note(t) + "; dotted: chance; grey lines: stage boundaries",
        ha="right",
        va="bottom",
        fontsize=6.5,
        color="0.35",
    )
    sns.despine(fig)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    _save(fig, png, pdf)


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
    (one 1-D array per probe point and seed, so every layer weighs the same),
    log y axis. Right: accuracy of the VIP-uniform single neurons (``vip`` probe
    rows of ``attribute``) in ``acc_bins`` equal-width VIP bins, mean over
    neurons and seeds with a +-2 std band, and the top-8 single neurons of every
    point (``neuron`` rows) as dots.
    """
    t = _attribute_rows(table, attribute)
    edges, frac = _vip_histogram(vip_arrays, hist_bins)
    vip = t[t["probe"] == "vip"].dropna(subset=["vip", "accuracy"])
    top = t[t["probe"] == "neuron"].dropna(subset=["vip", "accuracy"])
    if vip.empty and top.empty:
        raise ValueError(f"no 'vip' or 'neuron' probe rows for {attribute!r}")
    _theme()
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
        f"{attribute.replace('_', ' ')}: {_n_seeds_note(t).replace(' (band ±2 std)', '')}",
        fontsize=9,
    )
    sns.despine(fig)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    _save(fig, png, pdf)


_LEGEND_ORDER = [
    "VIP-uniform neurons, binned mean",
    "±2 std",
    "top-8 neurons of each point",
    "chance",
]


def _as_rgb(img) -> np.ndarray:
    a = np.asarray(img)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    elif a.ndim == 3 and a.shape[2] == 4:
        a = a[:, :, :3]
    if a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"expected an HxW, HxWx3 or HxWx4 image, got shape {a.shape}")
    return a


def _pil_loader(path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def average_faces(
    images,
    activations,
    k: int = 100,
    loader: Callable[[object], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean image of the k highest- and of the k lowest-activation images.

    ``images``: an (N, H, W[, 3]) array or a sequence of N equally sized images
    (uint8 or float; grayscale is repeated to RGB); or, with ``loader``, a
    sequence of N paths (only the 2k chosen ones are loaded; ``loader="pil"``
    reads RGB with Pillow). ``activations``: N values (e.g. one neuron's
    activation per image). Ties keep the lower image index. Returns
    ``(top_mean, bottom_mean)``, float64 arrays HxWx3 on the input's scale.
    """
    act = np.asarray(activations, dtype=np.float64).ravel()
    n = len(images)
    if act.size != n:
        raise ValueError(f"{n} images but {act.size} activations")
    if not 1 <= k <= n:
        raise ValueError(f"k = {k} must be between 1 and the number of images ({n})")
    if np.isnan(act).any():
        raise ValueError("activations contain NaN")
    top = np.argsort(-act, kind="stable")[:k]
    bottom = np.argsort(act, kind="stable")[:k]
    load = _pil_loader if loader == "pil" else loader

    def mean_of(idx) -> np.ndarray:
        total = None
        for i in idx:
            img = _as_rgb(load(images[i]) if load else images[i]).astype(np.float64)
            if total is None:
                total = np.zeros_like(img)
            elif img.shape != total.shape:
                raise ValueError(f"image {i} has shape {img.shape}, expected {total.shape}")
            total += img
        return total / len(idx)

    return mean_of(top), mean_of(bottom)


def _unit_label(panel: Mapping) -> str:
    unit = int(panel["unit"])
    label = f"unit {unit}"
    shape = panel.get("shape")
    if shape is not None and len(shape) == 3:
        _, h, w = (int(v) for v in shape)
        ch, rest = divmod(unit, h * w)
        y, x = divmod(rest, w)
        label += f" (c{ch}, y{y}, x{x})"
    return label


def _to_display(img: np.ndarray) -> np.ndarray:
    a = np.asarray(img, dtype=np.float64)
    if a.max() > 1.0 + 1e-9:
        a = a / 255.0
    return np.clip(a, 0.0, 1.0)


def fig_average_faces(
    panels: Sequence[Mapping],
    png: str | Path,
    pdf: str | Path | None = None,
    ncols: int | None = None,
) -> None:
    """Average faces of chosen neurons, Fig. 1 / Fig. 6 layout.

    Each panel is a mapping with ``top`` and ``bottom`` (HxWx3 means from
    :func:`average_faces`, 0-255 or 0-1), ``attribute``, ``point`` (e.g. ``L34``),
    ``name`` (ResNet position) and ``unit`` (flattened index); optional ``k``
    (default 100), ``shape`` ((C, H, W) of the point, to show the unit as
    channel, y, x) and ``accuracy`` (shown as "acc."). Each neuron gets its
    highest-k and lowest-k averages side by side under a title.
    """
    if not panels:
        raise ValueError("fig_average_faces needs at least one panel")
    n = len(panels)
    ncols = ncols or (4 if n % 4 == 0 else min(n, 3))
    nrows = -(-n // ncols)
    h, w = np.asarray(panels[0]["top"]).shape[:2]
    # Layout in inches: per neuron a title, two images side by side, their labels.
    pair_w = FULL_WIDTH / ncols
    gap, margin = 0.05, 0.12
    img_w = (pair_w - 2 * margin - gap) / 2
    img_h = img_w * h / w
    title_h, label_h, row_gap = 0.44, 0.18, 0.12
    cell_h = title_h + img_h + label_h + row_gap
    fig_h = nrows * cell_h
    fig = plt.figure(figsize=(FULL_WIDTH, fig_h))
    for i, panel in enumerate(panels):
        r, c = divmod(i, ncols)
        k = int(panel.get("k", 100))
        x0 = c * pair_w + margin
        y_top = fig_h - r * cell_h  # top edge of this cell, inches from the bottom
        y_img = y_top - title_h - img_h
        for j, (key, label) in enumerate((("top", f"highest {k}"), ("bottom", f"lowest {k}"))):
            x = x0 + j * (img_w + gap)
            ax = fig.add_axes((x / FULL_WIDTH, y_img / fig_h, img_w / FULL_WIDTH, img_h / fig_h))
            ax.imshow(_to_display(panel[key]), interpolation="lanczos", aspect="auto")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(label, fontsize=6.5, labelpad=2)
            for spine in ax.spines.values():
                spine.set_visible(False)
        title = f"{str(panel['attribute']).replace('_', ' ')}"
        if panel.get("accuracy") is not None:
            title += f" (acc. {100 * float(panel['accuracy']):.1f}%)"
        title += f"\n{panel['point']} {panel['name']}\n{_unit_label(panel)}"
        fig.text(
            (c + 0.5) * pair_w / FULL_WIDTH,
            (y_top - 0.02) / fig_h,
            title,
            ha="center",
            va="top",
            fontsize=7,
            linespacing=1.15,
        )
    _save(fig, png, pdf)
