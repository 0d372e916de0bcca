"""Architectures compared: each study's whole-layer curves per attribute on relative depth.

Studies of different networks have different numbers of probe points (50 for
the ResNet-50 topology, 13 for the small ViT preset), so their curves share
the axis of relative depth: 0 at a network's first point, 1 at its last (the
embedding); the input pixels (L00) are left out. One colour per study: the
trained networks' mean (band ±2 std over networks, where there are several),
the untrained controls' mean dashed. ``facecues compare`` draws it from the
studies' folders (``results/tables/layer_accuracy.tsv`` and
``results/provenance.json`` of each).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import seaborn as sns

from facecues.errors import FacecuesError
from facecues.nets.names import is_control
from facecues.nets.spec import describe
from facecues.results.figures.style import FULL_WIDTH, panel_grid, save, theme
from facecues.results.provenance import finished_study
from facecues.results.tables import read_tables
from facecues.study.study import Study


def network_label(study: Study) -> str:
    """A study's network in words: ``ResNet-50 topology, 64 px``,
    ``small_vit.py:small_vit, 64 px`` (a file's name, not its folders)."""
    entry = study.architecture
    if study.built_in:
        label = "ResNet-50 topology"
    elif entry["source"] == "file":
        label = Path(entry["name"]).name
    else:
        label = describe(entry)
    return f"{label}, {study.model.input_size} px"


def study_curves(results: str | Path) -> tuple[str, pd.DataFrame]:
    """(the study's network in words, its whole-layer rows with ``relative`` depth and
    ``control``) from a study's ``results`` folder; a missing file is named."""
    results = Path(results)
    table_path = results / "tables" / "layer_accuracy.tsv"
    prov_path = results / "provenance.json"
    for path in (table_path, prov_path):
        if not path.is_file():
            raise FacecuesError(f"{path} does not exist: expected a finished study's results")
    label = network_label(finished_study(results))
    t = read_tables(table_path)
    t = t[(t["probe"] == "layer") & (t["rank"] == 0) & (t["depth"] > 0)].dropna(subset=["accuracy"])
    last = t["depth"].max()
    t = t.assign(
        relative=(t["depth"] - 1) / max(1, last - 1),
        control=t["network"].map(is_control),
    )
    return label, t


def compare_figure(
    studies: list[str | Path],
    png: str | Path,
    pdf: str | Path | None = None,
    names: list[str] | None = None,
) -> list[str]:
    """Draw the studies' whole-layer curves per attribute (the attributes they share) on
    relative depth, each labelled by its network (after its name in ``names``, when
    given); returns the labels."""
    curves = [study_curves(s) for s in studies]
    if names:
        curves = [(f"{n}: {label}", t) for n, (label, t) in zip(names, curves, strict=True)]
    shared = sorted(set.intersection(*(set(t["attribute"]) for _, t in curves)))
    if not shared:
        raise FacecuesError("the studies share no probed attribute")
    theme()
    colors = sns.color_palette("colorblind", len(curves))
    fig, axes = panel_grid(len(shared), width=FULL_WIDTH, extra_height=0.8)
    nrows = axes.shape[0]
    for ax, attr in zip(axes.flat, shared, strict=False):
        for (label, t), color in zip(curves, colors, strict=True):
            a = t[t["attribute"] == attr]
            for control, style, lw in ((False, "-", 1.2), (True, "--", 0.7)):
                g = a[a["control"] == control].groupby("relative")["accuracy"]
                m, s, n = g.mean(), g.std().fillna(0.0), g.count()
                if m.empty:
                    continue
                ax.plot(
                    m.index,
                    m.values,
                    color=color,
                    ls=style,
                    lw=lw,
                    label=label if not control else None,
                )
                if not control and (n > 1).any():
                    ax.fill_between(m.index, m - 2 * s, m + 2 * s, color=color, alpha=0.15, lw=0)
        ax.axhline(0.5, color="0.75", lw=0.5)
        ax.set_title(attr.replace("_", " "), fontsize=8)
        ax.tick_params(labelsize=6)
    for ax in axes.flat[len(shared) :]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("val. accuracy", fontsize=7)
    for ax in axes[-1, :]:
        ax.set_xlabel("relative depth", fontsize=7)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=len(curves), fontsize=7, frameon=False)
    fig.text(
        0.5,
        0.0,
        "whole-layer probe, mean over trained networks (band ±2 std); dashed: untrained "
        "networks of the same architecture; relative depth 0: first probe point, 1: the "
        "embedding; grey line: chance",
        ha="center",
        va="bottom",
        fontsize=6.5,
        color="0.3",
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1 - 0.25 / (1.55 * nrows + 0.8)))
    save(fig, png, pdf)
    return [label for label, _ in curves]
