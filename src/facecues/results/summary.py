"""``results/summary.md``: the claims of docs/protocol.md section 10, measured, judged
and written.

The claims are judged as data by ``facecues.results.claims`` (one module per claim,
each returning a :class:`~facecues.results.claims.Verdict`); this module gathers the
run's evidence, renders the verdicts with the Jinja2 templates
``facecues/results/templates/summary*.md.j2`` and writes ``summary.md`` (and, on
request, ``verdicts.json``: ``facecues.results.claims.store``).

Inputs (``facecues.results.claims.evidence``): ``scores`` (test scores of the selected
units; may be ``None``: validation fallback), ``table`` (``layer_accuracy.tsv``, with
the control networks' and the input point's rows where the run has them),
``world_kinds`` ({attribute: ``identity``/``image``/``unrendered``} of a synthetic
world, :func:`world_kinds_from_json`; the planted-truth section), ``val_rows``
(validation images per attribute), ``erasure`` (``results/tables/erasure.tsv``),
``counterfactual`` (the networks' ``results/counterfactual/<network>.tsv``: the claim
"used" and the section "Encoded or used") and ``depths``, the network's depth landmarks
(``facecues.nets.layout.depths``), always given: there is no default network.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from facecues.io import write_text
from facecues.nets.layout import Depths
from facecues.nets.names import is_control
from facecues.results.claims import (
    BORDERLINE,
    NOT_RECOVERED,
    NOT_SUPPORTED,
    NOT_TESTABLE,
    PARTLY,
    RECOVERED,
    SUPPORTED,
    Evidence,
    Verdict,
    combine,
    evaluate,
    gather,
)
from facecues.results.claims.depth import change_spread, controls_by_depth, depth_change, within
from facecues.results.claims.store import write_verdicts
from facecues.results.counterfactual import used_context
from facecues.results.erasure import erasure_lines
from facecues.results.estimates import TOL, average, detectable, quantile
from facecues.results.provenance import provenance_lines, stamp
from facecues.results.rendering import render

Claim = Verdict  # the name of a judged claim before verdicts were data

__all__ = [
    "BORDERLINE",
    "NOT_RECOVERED",
    "NOT_SUPPORTED",
    "NOT_TESTABLE",
    "PARTLY",
    "RECOVERED",
    "SUPPORTED",
    "Claim",
    "combine",
    "controls_by_depth",
    "controls_section",
    "decidable",
    "depth_change",
    "evaluate_claims",
    "fallback_counts",
    "render_claim",
    "render_summary",
    "world_kinds_from_json",
    "write_summary",
]


def world_kinds_from_json(path: str | Path) -> dict[str, str]:
    """{attribute: kind} from a synthetic world's ``world.json`` (its ``attributes`` entries)."""
    world = json.loads(Path(path).read_text())
    return {name: entry["kind"] for name, entry in world["attributes"].items()}


def evaluate_claims(
    scores: pd.DataFrame | None,
    table: pd.DataFrame,
    world_kinds: dict[str, str] | None = None,
    tol: float = TOL,
    val_rows: int | None = None,
    erasure: pd.DataFrame | None = None,
    *,
    depths: Depths,
    provenance: dict | None = None,
) -> list[Verdict]:
    """Claims (a)-(d) of docs/protocol.md section 10, plus the planted truth when
    ``world_kinds`` (with the erasure check when the ``erasure`` table is given);
    ``depths``: the network's depth landmarks (``facecues.nets.layout.depths``).

    ``tol`` (fraction) is the margin of "loses / stays" (c), "does as well" (d)
    and the planted-truth checks. ``val_rows``: validation images per attribute
    (binomial error of validation accuracies; None: unknown).
    """
    return evaluate(gather(scores, table, depths, world_kinds, tol, val_rows, erasure, provenance))


# ----------------------------------------------------------------------------------------
# The sections besides the claims: the controls depth by depth, the QDA fallback.


def _identity_late(by_depth: pd.DataFrame, depths: Depths) -> dict | None:
    """The identity task's and the identity-bound attributes' accuracy at the deep points
    (None: no identity-bound row there)."""
    ident = within(by_depth[by_depth["group"] == "identity-bound"], depths.deep)
    if not len(ident):
        return None
    return {
        "task": average(list(ident["identity_task"])),
        "attributes": average(list(ident["trained"])),
    }


def _controls_context(ev: Evidence) -> dict:
    """What the controls section shows (template ``summary_controls.md.j2``)."""
    rows = ev.by_depth
    if rows.empty:
        return {"rows": []}
    has_task = any(np.isfinite(e.value) for e in rows["identity_task"])
    return {
        "rows": rows.to_dict("records"),
        "trained": ev.trained["network"].nunique(),
        "untrained": ev.controls["network"].nunique(),
        "has_task": has_task,
        "late": _identity_late(rows, ev.depths) if has_task else None,
        "deep": ev.depths.deep_label,
    }


def controls_section(
    table: pd.DataFrame,
    world_kinds: dict[str, str] | None = None,
    val_rows: int | None = None,
    *,
    depths: Depths,
) -> list[str]:
    """Lines of summary.md: the controls depth by depth, and what the identity task says."""
    ev = gather(None, table, depths, world_kinds, val_rows=val_rows)
    return render("summary_controls.md.j2", **_controls_context(ev)).splitlines()


def fallback_counts(table: pd.DataFrame, scores: pd.DataFrame | None) -> dict:
    """How often the regularised QDA fallback fired, per probe kind: ``counts`` (probe,
    network, fired, fits; None without a qda_reg column) on validation and ``test``
    (selection, fired, fits; None without test scores)."""
    if "qda_reg" not in table:
        return {"counts": None, "test": None}
    t = table.assign(
        kind=np.where(table["network"].astype(str).map(is_control), "untrained", "trained")
    )
    g = t.groupby(["probe", "kind"])["qda_reg"]
    fired = g.apply(lambda r: int((r > 0).sum()))
    counts = [
        {"probe": probe, "network": kind, "fired": int(fired[probe, kind]), "fits": int(n)}
        for (probe, kind), n in g.size().items()
    ]
    test = None
    if scores is not None and "qda_reg" in scores and len(scores):
        s = scores.dropna(subset=["qda_reg"])
        on_test = s[s["qda_reg"] > 0].groupby("selection").size()
        test = [
            {"selection": sel, "fired": int(on_test.get(sel, 0)), "fits": int(n)}
            for sel, n in s.groupby("selection").size().items()
        ]
    return {"counts": counts, "test": test}


def decidable(ev: Evidence, more=(3, 6, 10)) -> dict | None:
    """What the study can decide: the smallest change with depth (claim (c)'s quantity,
    judged per attribute) a check calls with 80% power (``estimates.detectable``), from
    the between-network spread measured here, at this run's number of networks and at
    ``more``; with each attribute's own t and with the spread pooled over attributes.
    None without two networks and a change with depth."""
    spread = change_spread(ev.trained, ev.depths, ev.val_rows)
    k = ev.trained["network"].nunique()
    if spread is None or k < 2 or not np.isfinite(spread.sd):
        return None
    attributes = len(spread.estimates)
    image = [(e.image_low + e.image_high) / 2 for e in spread.estimates.values()]
    image_sd = float(np.mean(image)) / quantile(np.inf)
    rows = [
        {
            "k": n,
            "here": n == k,
            "per_attribute": detectable(spread.sd, n, n - 1, image_sd),
            "pooled": detectable(spread.sd, n, attributes * (n - 1), image_sd),
        }
        for n in sorted({k, *more})
    ]
    return {
        "k": k,
        "sd": spread.sd,
        "image_sd": image_sd,
        "attributes": attributes,
        "pooled": spread.pooled,
        "note": spread.note,
        "rows": rows,
    }


# ----------------------------------------------------------------------------------------
# The summary.


def render_claim(verdict: Verdict) -> str:
    """The Markdown of a claim's numbers (its section of summary.md, below the verdict)."""
    return render(f"summary_claim_{verdict.key}.md.j2", v=verdict)


def render_summary(
    verdicts: list[Verdict],
    ev: Evidence,
    table: pd.DataFrame,
    scores: pd.DataFrame | None = None,
    provenance: dict | None = None,
    erasure: list[str] | None = None,
    used: str | None = None,
) -> str:
    """Markdown text of the summary (``provenance``: results/provenance.json, at its head;
    ``erasure``: the erasure section's lines; ``used``: the "Encoded or used" section)."""
    return render(
        "summary.md.j2",
        provenance={"stamp": stamp(provenance), "lines": provenance_lines(provenance)}
        if provenance
        else None,
        trained=sorted(ev.trained["network"].unique()),
        attributes=ev.trained["attribute"].nunique(),
        controls=sorted(ev.controls["network"].unique()),
        verdicts=verdicts,
        synthetic=ev.synthetic,
        decide=decidable(ev),
        controls_section=render("summary_controls.md.j2", **_controls_context(ev)),
        erasure=erasure,
        used=used,
        qda=render("summary_qda.md.j2", **fallback_counts(table, scores)),
    )


def write_summary(
    scores: pd.DataFrame | None,
    table: pd.DataFrame,
    world_kinds: dict[str, str] | None,
    path: str | Path,
    val_rows: int | None = None,
    provenance: dict | None = None,
    erasure: pd.DataFrame | None = None,
    *,
    depths: Depths,
    verdicts: str | Path | None = None,
    counterfactual: pd.DataFrame | None = None,
) -> list[Verdict]:
    """Write ``results/summary.md``: each claim with its measured values and verdict; and
    ``verdicts`` (``results/verdicts.json``) when given.

    ``scores`` may be ``None`` (validation fallback), ``world_kinds`` ``None``
    (no planted-truth section), ``provenance`` ``None`` (no provenance at its head),
    ``erasure`` ``None`` (no erasure section: results/tables/erasure.tsv not made),
    ``counterfactual`` ``None`` (no claim "used", no section "Encoded or used").
    Returns the judged claims.
    """
    ev = gather(
        scores,
        table,
        depths,
        world_kinds,
        val_rows=val_rows,
        erasure=erasure,
        provenance=provenance,
        counterfactual=counterfactual,
    )
    judged = evaluate(ev)
    section = erasure_lines(erasure, world_kinds) if erasure is not None else None
    used = None
    if ev.counterfactual is not None:
        context = used_context(ev.counterfactual, world_kinds or {}, ev.change)
        used = render("summary_used.md.j2", **context)
    text = render_summary(judged, ev, table, scores, provenance, section, used)
    write_text(path, text)
    if verdicts is not None:
        write_verdicts(verdicts, judged, stamp(provenance) if provenance else None)
    return judged
