"""What the claims are judged on, gathered once: the selected units' scores, the
whole-layer accuracy over depth, the controls depth by depth, the world's planted kinds,
the erasure table and the networks' counterfactual tables.

``scores``: test scores, one row per (network, attribute, selection) with
``test_accuracy`` (fraction), selection ``multitask``/``layer``/``filter``/``neuron``
(the Table I input), and optionally ``test_images`` and ``qda_reg``. May be ``None``
or empty: the claims on selected scores then fall back to the validation accuracy of
the selected units (said so). ``table``: the accuracy table (``layer_accuracy.tsv``),
with the control networks' rows (``random*``), the input point's rows (``L00``, depth
0) and ``identity_task_accuracy`` where the run has them.

Duplicate networks (the same checkpoint sha256 in ``provenance.json``'s ``files``)
are one network: every row of all but the first is dropped, and each claim is
capped ("partly tested") for it (``Evidence.notes``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from facecues.nets.layout import Depths
from facecues.nets.names import is_control
from facecues.results.claims.depth import controls_by_depth, depth_change
from facecues.results.estimates import TOL
from facecues.results.selection import select_units, split_controls

SCORE_COLUMNS = ["network", "attribute", "selection", "accuracy", "images", "qda_reg"]


@dataclass
class Evidence:
    """Everything a claim reads (module docstring): ``acc`` the selected units' scores
    of the trained networks from ``source`` (``test``, ``validation`` or ``none``),
    ``change`` (``depth_change``), ``by_depth`` (``controls_by_depth``), the network's
    ``depths``, ``tol`` (the margin of "loses / stays", "does as well", "at chance"),
    ``val_rows`` (validation images per attribute; None: unknown), ``counterfactual``
    (the networks' ``results/counterfactual/<network>.tsv`` rows; None: not run)."""

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
    notes: tuple[str, ...] = ()
    counterfactual: pd.DataFrame | None = None

    @property
    def synthetic(self) -> bool:
        """Whether the run probed a synthetic world (its planted kinds are known)."""
        return self.world_kinds is not None


MODEL_FILE = re.compile(r"(?:^|/)models/([^/]+)/model\.pt$")


def duplicate_networks(provenance: dict | None) -> list[list[str]]:
    """Groups of networks whose checkpoints have the same sha256 in a provenance record
    (``files``; a network's checkpoint is ``models/<name>/model.pt`` or the path the
    config's ``model.checkpoints`` / ``model.checkpoint`` gives it)."""
    if not provenance:
        return []
    files = provenance.get("files") or {}
    model = (provenance.get("config") or {}).get("model") or {}
    given = dict(model.get("checkpoints") or {})
    if model.get("checkpoint"):
        given["checkpoint"] = model["checkpoint"]
    of_path = {str(path): name for name, path in given.items()}
    by_sha: dict[str, list[str]] = {}
    for path, sha in files.items():
        name = of_path.get(path) or ((m := MODEL_FILE.search(path)) and m[1])
        if name:
            by_sha.setdefault(sha, []).append(name)
    return [sorted(set(g)) for g in by_sha.values() if len(set(g)) > 1]


def _merge_duplicates(frame, groups: list[list[str]]):
    """``frame`` without the rows of every duplicate network but the first of its group."""
    drop = {n for g in groups for n in g[1:]}
    if frame is None or not len(frame) or not drop:
        return frame
    return frame[~frame["network"].astype(str).isin(drop)]


def gather(
    scores: pd.DataFrame | None,
    table: pd.DataFrame,
    depths: Depths,
    world_kinds: dict[str, str] | None = None,
    tol: float = TOL,
    val_rows: int | None = None,
    erasure: pd.DataFrame | None = None,
    provenance: dict | None = None,
    counterfactual: pd.DataFrame | None = None,
) -> Evidence:
    """The :class:`Evidence` of a run (``provenance``: its record, for duplicate networks)."""
    groups = duplicate_networks(provenance)
    table, scores = _merge_duplicates(table, groups), _merge_duplicates(scores, groups)
    notes = tuple(
        f"networks {', '.join(g)} have the same weights (equal checkpoint sha256): counted as one"
        for g in groups
    )
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
        notes,
        _merge_duplicates(counterfactual, groups),
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


def caps(ev: Evidence) -> list[str]:
    """What keeps a claim on selected scores at most 'partly tested' besides its checks'
    own caps: no test scores, duplicate networks."""
    out = list(ev.notes)
    if ev.source == "validation":
        out.append("measured on the validation sample the units were chosen on (no test scores)")
    return out


def fallback_flags(acc: pd.DataFrame, attributes, selections) -> list[str]:
    """'Male neuron (network 1)' for every selection scored by the QDA fallback."""
    a = acc[acc["attribute"].isin(attributes) & acc["selection"].isin(selections)]
    a = a[a["qda_reg"].fillna(0) > 0]
    return [f"{r.attribute} {r.selection} (network {r.network})" for r in a.itertuples()]


def per_network(acc: pd.DataFrame, attribute: str, selection: str) -> tuple[pd.Series, float]:
    """Per-network accuracy of one (attribute, selection), NaN for a network of the run
    without it, and its images (NaN: unknown)."""
    a = acc[(acc["attribute"] == attribute) & (acc["selection"] == selection)]
    values = a.groupby("network")["accuracy"].mean().reindex(sorted(acc["network"].unique()))
    return values, float(a["images"].mean()) if len(a) else np.nan
