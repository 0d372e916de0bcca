"""Figs. 1 and 6: the mean of the k test images with the highest and the lowest
activation of chosen neurons."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from facecues.results.figures.style import FULL_WIDTH, save


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
    elif shape is not None and len(shape) == 2:  # channels x tokens
        ch, token = divmod(unit, int(shape[1]))
        label += f" (c{ch}, token {token})"
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
    save(fig, png, pdf)
