"""Validation-set selection of the best layer, filter and neuron (PROTOCOL.md section 8).

Input is the study's accuracy table (``results/tables/layer_accuracy.tsv``: one row
per seed, attribute, probe point and probe). Per (seed, attribute) the winners are:

- ``layer``: the probe point whose whole-layer probe (``probe == "layer"``) is best;
- ``neuron``: the best single top-8 neuron (``probe == "neuron"``) over all points;
- ``filter``: the best single top-8 filter (``probe == "filter"``) over all points.

Ties on accuracy go to the earliest depth, then the lowest rank.
"""

from __future__ import annotations

import pandas as pd

SELECTIONS = {"layer": "layer", "filter": "filter", "neuron": "neuron"}
"""selection name -> the table's ``probe`` value it is chosen from."""

COLUMNS = [
    "seed",
    "attribute",
    "selection",
    "point",
    "name",
    "depth",
    "rank",
    "units",
    "val_accuracy",
]

CONTROL_PREFIXES = ("random", "shuffled")

def split_controls(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(trained networks' rows, control networks' rows) of a table with a ``seed`` column,
    seeds as text."""
    t = table.assign(seed=table["seed"].astype(str))
    control = t["seed"].map(is_control_seed)
    return t[~control], t[control]


TEXT_COLUMNS = {"seed": str, "units": str}
"""Columns of the study's TSV tables read as text: network names, and unit lists, where a
single index ("17") would otherwise come back as a float ("17.0")."""


def read_tables(*paths) -> pd.DataFrame:
    """One or more of the study's TSV tables (accuracy, selection, test scores), concatenated."""
    frames = [pd.read_csv(p, sep="\t", dtype=TEXT_COLUMNS) for p in paths]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def is_control_seed(seed) -> bool:
    """True for control networks (seed names starting with ``random`` or ``shuffled``)."""
    return str(seed).startswith(CONTROL_PREFIXES)


def select_units(table: pd.DataFrame) -> pd.DataFrame:
    """Best layer, single filter and single neuron per (seed, attribute) on validation.

    ``table`` has the columns of ``layer_accuracy.tsv`` (seed, attribute, point,
    name, depth, probe, rank, units, accuracy). Returns one row per (seed,
    attribute, selection) with columns :data:`COLUMNS`, ``val_accuracy`` being the
    winner's validation accuracy. Rows with a missing accuracy never win; a
    (seed, attribute) without any row of a probe has no row for that selection.
    """
    missing = {"seed", "attribute", "point", "name", "depth", "probe", "rank", "accuracy"}
    missing -= set(table.columns)
    if missing:
        raise ValueError(f"accuracy table lacks columns {sorted(missing)}")
    parts = []
    for selection, probe in SELECTIONS.items():
        t = table[(table["probe"] == probe) & table["accuracy"].notna()].copy()
        if t.empty:
            continue
        t["seed"] = t["seed"].astype(str)
        if "units" not in t.columns:
            t["units"] = ""
        t = t.sort_values(
            ["seed", "attribute", "accuracy", "depth", "rank"],
            ascending=[True, True, False, True, True],
            kind="mergesort",
        )
        best = t.groupby(["seed", "attribute"], sort=True).head(1).copy()
        best["selection"] = selection
        best = best.rename(columns={"accuracy": "val_accuracy"})
        parts.append(best[COLUMNS])
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    order = {s: i for i, s in enumerate(SELECTIONS)}
    out["_o"] = out["selection"].map(order)
    out = out.sort_values(["seed", "attribute", "_o"], kind="mergesort").drop(columns="_o")
    out["depth"] = out["depth"].astype(int)
    out["rank"] = out["rank"].astype(int)
    out["units"] = out["units"].fillna("").astype(str)
    return out.reset_index(drop=True)
