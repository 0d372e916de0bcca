"""What the figures share: colours, the depth axis, saving, the study's curves.

Every figure is written as PNG (200 dpi) and PDF, readable at paper column
width; control networks (``random*``) are left out of the accuracy figures
whenever the table also holds trained networks. The depth axis (stage
boundaries, ticks, stage names) comes from the network's layout
(``facecues.nets.layout.depths``).
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from facecues.io import atomic_path  # noqa: E402
from facecues.nets.layout import Depths, point_id  # noqa: E402
from facecues.nets.names import is_control  # noqa: E402

CURVES = {"layer": "whole layer", "filters": "8 filters", "neurons": "8 neurons"}
COLORS = dict(zip(CURVES, sns.color_palette("colorblind", 3), strict=True))
FULL_WIDTH = 7.0  # inches, two-column paper


def save(fig, png: str | Path, pdf: str | Path | None) -> None:
    """PNG (200 dpi) and PDF, each written under a temporary name, then renamed."""
    with atomic_path(png) as tmp:
        fig.savefig(tmp, dpi=200, bbox_inches="tight")
    if pdf:
        with atomic_path(pdf) as tmp:
            fig.savefig(tmp, bbox_inches="tight")
    plt.close(fig)


def theme() -> None:
    """The figures' seaborn theme (paper context)."""
    sns.set_theme(style="ticks", context="paper", font_scale=1.0)


def panel_grid(panels: int, *, width: float | None = None, extra_height: float = 0.6):
    """``(fig, axes)``: ``panels`` small panels with shared axes, up to 4 a row (``axes``
    2-D, the unused ones left to the caller); ``width`` in inches, by default 1.9 a column
    and 0.4 more; each row 1.55 high, ``extra_height`` for titles and legends."""
    ncols = min(4, panels)
    nrows = math.ceil(panels / ncols)
    return plt.subplots(
        nrows,
        ncols,
        figsize=(1.9 * ncols + 0.4 if width is None else width, 1.55 * nrows + extra_height),
        sharex=True,
        sharey=True,
        squeeze=False,
    )


def depth_curves(
    table: pd.DataFrame, probes=tuple(CURVES), value: str = "accuracy"
) -> pd.DataFrame:
    """Mean and std over networks of each (attribute, probe, depth) ``value``."""
    t = table[table["probe"].isin(probes) & (table["rank"] == 0)].dropna(subset=[value])
    g = t.groupby(["attribute", "probe", "depth", "point"])[value]
    out = g.agg(["mean", "std", "count"]).reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out


def trained_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The trained networks' rows (all rows if the table holds only controls)."""
    control = table["network"].map(is_control)
    return table[~control] if (~control).any() else table


def attribute_rows(table: pd.DataFrame, attribute: str) -> pd.DataFrame:
    """The trained networks' rows of ``attribute``; ValueError naming the available
    attributes when the table has none."""
    available = sorted(table["attribute"].unique())
    if attribute not in set(available):
        raise ValueError(
            f"attribute {attribute!r} is not in the accuracy table; "
            f"available: {', '.join(available) if available else '(none)'}"
        )
    return trained_rows(table[table["attribute"] == attribute])


def networks_note(t: pd.DataFrame) -> str:
    """``mean over 2 networks (band ±2 std)``: what the curves of ``t`` average."""
    n = t["network"].nunique()
    return f"mean over {n} network{'s' if n != 1 else ''}" + (" (band ±2 std)" if n > 1 else "")


def stage_axis(ax, depths: Depths, with_input: bool = False) -> None:
    """A depth axis: grey lines at the stage boundaries, the ticks labelled by point id;
    ``with_input``: the input point L00 at 0, before a line that ends it."""
    for start in depths.stage_starts.values():
        if start > 1 or with_input:
            ax.axvline(start - 0.5, color="0.85", lw=0.6, zorder=0)
    ticks = (0, *depths.ticks[1:]) if with_input else depths.ticks
    ax.set_xticks(ticks)
    ax.set_xticklabels([point_id(v) for v in ticks], fontsize=6)
    ax.set_xlim(-0.5 if with_input else 0.5, depths.last + 0.5)


def stage_labels(ax, depths: Depths) -> None:
    """Stage names above the plot, centred on each stage's probe points (the stem's and
    the pool's single points unnamed)."""
    starts = sorted(depths.stage_starts.items(), key=lambda kv: kv[1])
    ends = [s for _, s in starts[1:]] + [depths.last + 1]
    for (name, start), end in zip(starts, ends, strict=True):
        if end - start > 1:
            ax.text(
                (start + end - 1) / 2,
                1.01,
                name,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=7,
                color="0.35",
            )
