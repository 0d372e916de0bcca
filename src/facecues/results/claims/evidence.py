"""What the claims are judged on, gathered once: the selected units' scores, the
whole-layer accuracy over depth, the controls depth by depth, the world's planted kinds
and the erasure table.

``scores``: test scores, one row per (network, attribute, selection) with
``test_accuracy`` (fraction), selection ``multitask``/``layer``/``filter``/``neuron``
(the Table I input), and optionally ``test_images`` and ``qda_reg``. May be ``None``
or empty: the claims on selected scores then fall back to the validation accuracy of
the selected units (said so). ``table``: the accuracy table (``layer_accuracy.tsv``),
with the control networks' rows (``random*``), the input point's rows (``L00``, depth
0) and ``identity_task_accuracy`` where the run has them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from facecues.nets.layout import Depths
from facecues.nets.names import is_control
from facecues.results.claims.depth import controls_by_depth, depth_change
from facecues.results.claims.verdict import NO_SPREAD
from facecues.results.estimates import TOL
from facecues.results.selection import select_units, split_controls

SCORE_COLUMNS = ["network", "attribute", "selection", "accuracy", "images", "qda_reg"]


@dataclass
class Evidence:
    """Everything a claim reads (module docstring): ``acc`` the selected units' scores
    of the trained networks from ``source`` (``test``, ``validation`` or ``none``),
    ``change`` (``depth_change``), ``by_depth`` (``controls_by_depth``), the network's
    ``depths``, ``tol`` (the margin of "loses / stays", "does as well", "at chance"),
    ``val_rows`` (validation images per attribute; None: unknown)."""

    trained: pd.DataFrame
    controls: pd.DataFrame
    acc: pd.DataFrame
    source: str
    change: pd.DataFrame
    by_depth: pd.DataFrame
    depths: Depths
    world_kinds: dict[str, str] | None = None
    tol: float = TOL
    val_rows: int | None = None
    erasure: pd.DataFrame | None = None


def gather(
    scores: pd.DataFrame | None,
    table: pd.DataFrame,
    depths: Depths,
    world_kinds: dict[str, str] | None = None,
    tol: float = TOL,
    val_rows: int | None = None,
    erasure: pd.DataFrame | None = None,
) -> Evidence:
    """The :class:`Evidence` of a run."""
    trained, controls = split_controls(table)
    acc, source = selected_scores(scores, trained, val_rows)
    return Evidence(
        trained,
        controls,
        acc,
        source,
        depth_change(trained, depths, val_rows),
        controls_by_depth(trained, controls, depths, world_kinds, val_rows),
        depths,
        world_kinds,
        tol,
        val_rows,
        erasure,
    )


def _test_scores(scores: pd.DataFrame | None) -> pd.DataFrame:
    """The trained networks' test scores, in ``SCORE_COLUMNS`` (empty: none)."""
    if scores is None or not len(scores):
        return pd.DataFrame(columns=SCORE_COLUMNS)
    s = scores.copy()
    s["network"] = s["network"].astype(str)
    s = s[~s["network"].map(is_control)].dropna(subset=["test_accuracy"])
    s = s.rename(columns={"test_accuracy": "accuracy"})
    s["images"] = s["test_images"] if "test_images" in s else np.nan
    s["qda_reg"] = s["qda_reg"] if "qda_reg" in s else np.nan
    return s[SCORE_COLUMNS]


def selected_scores(
    scores: pd.DataFrame | None, trained: pd.DataFrame, val_rows: int | None
) -> tuple[pd.DataFrame, str]:
    """(network, attribute, selection, accuracy, images, qda_reg) of trained networks and
    their source (``test``, ``validation`` or ``none``)."""
    test = _test_scores(scores)
    if len(test):
        return test, "test"
    sel = select_units(trained) if len(trained) else pd.DataFrame()
    if sel.empty:
        return pd.DataFrame(columns=SCORE_COLUMNS), "none"
    sel = sel.rename(columns={"val_accuracy": "accuracy"})
    sel["images"] = val_rows if val_rows else np.nan
    sel["qda_reg"] = np.nan
    return sel[SCORE_COLUMNS], "validation"


def caps(acc: pd.DataFrame, source: str) -> list[str]:
    """What keeps a claim on selected scores at most 'partly tested'."""
    out = []
    if source == "validation":
        out.append("measured on the validation sample the units were chosen on (no test scores)")
    if acc["network"].nunique() == 1:
        out.append(NO_SPREAD)
    return out


def fallback_flags(acc: pd.DataFrame, attributes, selections) -> list[str]:
    """'Male neuron (network 1)' for every selection scored by the QDA fallback."""
    a = acc[acc["attribute"].isin(attributes) & acc["selection"].isin(selections)]
    a = a[a["qda_reg"].fillna(0) > 0]
    return [f"{r.attribute} {r.selection} (network {r.network})" for r in a.itertuples()]


def per_network(acc: pd.DataFrame, attribute: str, selection: str) -> tuple[pd.Series, float]:
    """Per-network accuracy of one (attribute, selection) and its images (NaN: unknown)."""
    a = acc[(acc["attribute"] == attribute) & (acc["selection"] == selection)]
    return a.groupby("network")["accuracy"].mean(), float(a["images"].mean()) if len(a) else np.nan
