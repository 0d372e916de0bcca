"""The planted truth of a synthetic world: the world says which attributes are bound to
the identity, vary per image or are not rendered; the study should recover that. The
statement names only what the run probes (the default study probes no unrendered
attribute)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from facecues.results.claims.depth import depth_rows, labels, layer_rows, within
from facecues.results.claims.evidence import Evidence
from facecues.results.claims.verdict import (
    PLANTED_WORDS,
    PROJECT,
    Check,
    Verdict,
    check,
    judged,
    untestable,
)
from facecues.results.erasure import planted_check
from facecues.results.estimates import CHANCE, PLANTED_MARGIN, Estimate, estimate, image_error

KEY = "planted"
KINDS = ("identity", "image", "unrendered")
NOT_JUDGED = (
    "needs identity-bound and per-image attributes, or unrendered ones, "
    "with whole-layer accuracy at both depth ranges."
)
CHANGE = "per-image minus identity-bound change"


def statement(kinds: set[str], with_erasure: bool) -> str:
    """The planted truth, as far as the run's probed ``kinds`` and its erasure reach."""
    parts = []
    if {"identity", "image"} <= kinds:
        parts.append("per-image attributes lose more accuracy with depth than identity-bound ones")
        if with_erasure:
            parts.append(
                "erasing identity-bound attributes costs face verification more than erasing "
                "per-image ones, and erasing random directions least"
            )
    if "unrendered" in kinds:
        parts.append("unrendered attributes stay at chance")
    what = "; ".join(parts) or "nothing it can check among the attributes probed"
    return f"Planted truth of the synthetic world, as far as this run probes it: {what}."


def _kind_means(d: pd.DataFrame) -> list[dict]:
    """Per planted kind present: its attributes' mean early, late, change, best, overall."""
    return [
        dict(kind=kind, attributes=len(g))
        | {c: g[c].mean() for c in ("early", "late", "change", "best", "overall")}
        for kind in KINDS
        if len(g := d[d["kind"] == kind])
    ]


def _change_image_error(early, late, val_rows) -> tuple[float, float]:
    """The image error of the per-image kind's mean change minus the identity kind's:
    each attribute's late and early accuracy (mean over networks and points), weighted."""
    terms = []
    for kind, sign in (("image", 1.0), ("identity", -1.0)):
        attrs = sorted(set(early[early["kind"] == kind]["attribute"]))
        for a in attrs:
            w = sign / len(attrs)
            terms.append((late[late["attribute"] == a]["accuracy"].mean(), val_rows, w))
            terms.append((early[early["attribute"] == a]["accuracy"].mean(), val_rows, -w))
    return image_error(terms)


def _change_check(t: pd.DataFrame, ev: Evidence) -> tuple[Check, str] | None:
    """Per-image attributes lose more over depth than identity-bound ones (None: the
    run lacks one of the kinds; a NaN estimate where a depth range lacks points)."""
    if not {"identity", "image"} <= set(t["kind"]):
        return None
    early, late = within(t, ev.depths.shallow), within(t, ev.depths.deep)
    change = (
        late.groupby(["kind", "network"])["accuracy"].mean()
        - early.groupby(["kind", "network"])["accuracy"].mean()
    )
    kinds = set(change.dropna().index.get_level_values(0)) if len(change) else set()
    if not {"identity", "image"} <= kinds:
        diff = Estimate(float("nan"))
    else:
        image = _change_image_error(early, late, ev.val_rows)
        diff = estimate(change.loc["image"] - change.loc["identity"], image=image)
    c = check(CHANGE, diff, -ev.tol, False, PROJECT)
    return c, f"{CHANGE} {diff.pp()} (needs < -{100 * ev.tol:.0f} p.p.: {c.outcome})"


def _unrendered_check(t: pd.DataFrame, ev: Evidence) -> tuple[list[Check], str] | None:
    """Unrendered attributes within ±tol of chance over all points (None: none)."""
    un = t[t["kind"] == "unrendered"]
    if not len(un):
        return None
    per_net = un.groupby("network")["accuracy"].mean()
    attrs = sorted(un["attribute"].unique())
    terms = [(un[un.attribute == a]["accuracy"].mean(), ev.val_rows, 1 / len(attrs)) for a in attrs]
    est = estimate(per_net, image=image_error(terms))
    low = check("unrendered attributes above chance - tol", est, CHANCE - ev.tol, True, PROJECT)
    high = check("unrendered attributes below chance + tol", est, CHANCE + ev.tol, False, PROJECT)
    both = "yes" if low.outcome == high.outcome == "yes" else "no"
    both = "borderline" if "no" not in (low.outcome, high.outcome) and both != "yes" else both
    why = (
        f"unrendered attributes {est.pct()} over all points (within ±{100 * ev.tol:.0f} p.p. "
        f"of chance: {both})"
    )
    return [low, high], why


def _erasure_check(erased: tuple | None) -> Check | None:
    """The erasure part (``results.erasure.planted_check``'s (outcome, why)) as a check:
    "n/a" where the erasure worked at no point."""
    if not erased:
        return None
    outcome = erased[0] if erased[0] is not None else "n/a"
    what = "erasure: identity-bound minus per-image cost to verification"
    return Check(what, Estimate(np.nan), PLANTED_MARGIN, True, outcome, PROJECT)


def judge(ev: Evidence) -> Verdict | None:
    """The planted truth (None without a synthetic world), with its erasure check where
    the run has the erasure table."""
    kinds = ev.world_kinds
    if not kinds:
        return None
    d = ev.change[ev.change["attribute"].isin(kinds)].copy()
    d["kind"] = d["attribute"].map(kinds)
    said = statement(set(d["kind"]), ev.erasure is not None)
    if d.empty:
        return untestable(KEY, said, "no probed attribute is in the world's list.")
    t = layer_rows(ev.trained)
    t = t[t["attribute"].isin(kinds)].assign(kind=lambda x: x["attribute"].map(kinds))
    checks, why = [], []
    if made := _change_check(t, ev):
        checks.append(made[0])
        why.append(made[1])
    if made := _unrendered_check(t, ev):
        checks += made[0]
        why.append(made[1])
    erased = planted_check(ev.erasure, kinds) if ev.erasure is not None else None
    if erasure := _erasure_check(erased):
        checks.append(erasure)
        why.append(erased[1])
    detail = dict(kinds=_kind_means(d), depth_rows=depth_rows(d, kinds), erasure=erased)
    detail |= labels(ev.depths)
    if not any(c.outcome in ("yes", "no", "borderline") for c in checks):
        return untestable(KEY, said, NOT_JUDGED, **detail)
    return judged(KEY, said, checks, list(ev.notes), [], "; ".join(why), detail, PLANTED_WORDS)
