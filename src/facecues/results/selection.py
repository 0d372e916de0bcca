"""Validation-set selection of the best layer, filter and neuron (docs/protocol.md section 8).

Input is the study's accuracy table (``results/tables/layer_accuracy.tsv``: one row
per network, attribute, probe point and probe). Per (network, attribute) the winners are:

- ``layer``: the probe point whose whole-layer probe (``probe == "layer"``) is best;
- ``neuron``: the best single top-8 neuron (``probe == "neuron"``) over all points;
- ``filter``: the best single top-8 filter (``probe == "filter"``) over all points.

Ties on accuracy go to the earliest depth, then the lowest rank. The input point
(``L00``, depth 0) is a control, not a point of the network: it is never selected.
"""

from __future__ import annotations

import pandas as pd

from facecues.nets.names import is_control

SELECTIONS = {"layer": "layer", "filter": "filter", "neuron": "neuron"}
"""selection name -> the table's ``probe`` value it is chosen from."""

COLUMNS = [
    "network",
    "attribute",
    "selection",
    "point",
    "name",
    "depth",
    "rank",
    "units",
    "val_accuracy",
]


def split_controls(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(studied networks' rows, control networks' rows) of a table with a ``network``
    column (``facecues.nets.names.is_control``), names as text."""
    t = table.assign(network=table["network"].astype(str))
    control = t["network"].map(is_control).astype(bool)
    return t[~control], t[control]


def select_units(table: pd.DataFrame) -> pd.DataFrame:
    """Best layer, single filter and single neuron per (network, attribute) on validation.

    ``table`` has the columns of ``layer_accuracy.tsv`` (network, attribute, point,
    name, depth, probe, rank, units, accuracy). Returns one row per (network,
    attribute, selection) with columns :data:`COLUMNS`, ``val_accuracy`` being the
    winner's validation accuracy. Rows with a missing accuracy never win; a
    (network, attribute) without any row of a probe has no row for that selection.
    """
    missing = {"network", "attribute", "point", "name", "depth", "probe", "rank", "accuracy"}
    missing -= set(table.columns)
    if missing:
        raise ValueError(f"accuracy table lacks columns {sorted(missing)}")
    parts = []
    for selection, probe in SELECTIONS.items():
        t = table[(table["probe"] == probe) & table["accuracy"].notna() & (table["depth"] > 0)]
        t = t.copy()
        if t.empty:
            continue
        t["network"] = t["network"].astype(str)
        if "units" not in t.columns:
            t["units"] = ""
        t = t.sort_values(
            ["network", "attribute", "accuracy", "depth", "rank"],
            ascending=[True, True, False, True, True],
            kind="mergesort",
        )
        best = t.groupby(["network", "attribute"], sort=True).head(1).copy()
        best["selection"] = selection
        best = best.rename(columns={"accuracy": "val_accuracy"})
        parts.append(best[COLUMNS])
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    order = {s: i for i, s in enumerate(SELECTIONS)}
    out["_o"] = out["selection"].map(order)
    out = out.sort_values(["network", "attribute", "_o"], kind="mergesort").drop(columns="_o")
    out["depth"] = out["depth"].astype(int)
    out["rank"] = out["rank"].astype(int)
    out["units"] = out["units"].fillna("").astype(str)
    return out.reset_index(drop=True)
