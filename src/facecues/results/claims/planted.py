"""The planted truth of a synthetic world: the world says which attributes are bound to
the identity, vary per image or are not rendered; the study should recover that."""

from __future__ import annotations

import pandas as pd

from facecues.results.claims.depth import depth_rows, labels, layer_rows, within
from facecues.results.claims.evidence import Evidence
from facecues.results.claims.verdict import (
    BORDERLINE,
    NOT_RECOVERED,
    PROJECT,
    RECOVERED,
    Check,
    Verdict,
    check,
    untestable,
)
from facecues.results.erasure import planted_check
from facecues.results.estimates import CHANCE, binomial_var, estimate

KEY = "planted"
KINDS = ("identity", "image", "unrendered")
NOT_JUDGED = (
    "needs identity-bound and per-image attributes, or unrendered ones, "
    "with whole-layer accuracy at both depth ranges."
)


def statement(with_erasure: bool) -> str:
    """The planted truth, with its erasure part when the run erased attributes."""
    return (
        "Planted truth of the synthetic world: per-image attributes lose more accuracy with "
        "depth than identity-bound ones; unrendered attributes stay at chance"
        + (
            "; erasing identity-bound attributes costs face verification more than erasing "
            "per-image ones, and erasing random directions least."
            if with_erasure
            else "."
        )
    )


def _kind_means(d: pd.DataFrame) -> list[dict]:
    """Per planted kind present: its attributes' mean early, late, change, best, overall."""
    return [
        dict(kind=kind, attributes=len(g))
        | {c: g[c].mean() for c in ("early", "late", "change", "best", "overall")}
        for kind in KINDS
        if len(g := d[d["kind"] == kind])
    ]


def _change_check(t: pd.DataFrame, ev: Evidence) -> tuple[Check, str] | None:
    """Per-image attributes lose more over depth than identity-bound ones (None: the world
    lacks one of the kinds)."""
    early, late = within(t, ev.depths.shallow), within(t, ev.depths.deep)
    change = (
        late.groupby(["kind", "network"])["accuracy"].mean()
        - early.groupby(["kind", "network"])["accuracy"].mean()
    )
    if len(change) == 0 or not {"identity", "image"} <= set(change.index.get_level_values(0)):
        return None
    diff = estimate(change.loc["image"] - change.loc["identity"])
    c = check("per-image minus identity-bound change", diff, -ev.tol, False, PROJECT)
    return c, (
        f"per-image minus identity-bound change {diff.pp()} (needs < -{100 * ev.tol:.0f} "
        f"p.p.: {c.outcome})"
    )


def _unrendered_check(t: pd.DataFrame, ev: Evidence) -> tuple[Check, str] | None:
    """Unrendered attributes within ±tol of chance over all points (None: none)."""
    un = t[t["kind"] == "unrendered"]
    if not len(un):
        return None
    per_net = un.groupby("network")["accuracy"].mean()
    images = ev.val_rows * un["attribute"].nunique() if ev.val_rows else None
    est = estimate(per_net, binomial_var(CHANCE, images))
    low, high = est.check(CHANCE - ev.tol, above=True), est.check(CHANCE + ev.tol, above=False)
    c = "yes" if low == high == "yes" else "no" if "no" in (low, high) else BORDERLINE
    why = (
        f"unrendered attributes {est.pct()} over all points (within ±{100 * ev.tol:.0f} p.p. "
        f"of chance: {c})"
    )
    return Check("unrendered attributes at chance", est, CHANCE, True, c, PROJECT), why


def judge(ev: Evidence) -> Verdict | None:
    """The planted truth (None without a synthetic world), with its erasure check where
    the run has the erasure table."""
    kinds = ev.world_kinds
    if not kinds:
        return None
    said = statement(ev.erasure is not None)
    d = ev.change[ev.change["attribute"].isin(kinds)].copy()
    d["kind"] = d["attribute"].map(kinds)
    if d.empty:
        return untestable(KEY, said, "no probed attribute is in the world's list.")
    t = layer_rows(ev.trained)
    t = t[t["attribute"].isin(kinds)].assign(kind=lambda x: x["attribute"].map(kinds))
    made = [m for m in (_change_check(t, ev), _unrendered_check(t, ev)) if m]
    checks, outcomes, why = [m[0] for m in made], [m[0].outcome for m in made], [m[1] for m in made]
    erased = planted_check(ev.erasure, kinds) if ev.erasure is not None else None
    if erased:
        outcomes += [erased[0]] if erased[0] is not None else []
        why.append(erased[1])
    detail = dict(kinds=_kind_means(d), depth_rows=depth_rows(d, kinds), erasure=erased)
    detail |= labels(ev.depths)
    if not outcomes:
        return untestable(KEY, said, NOT_JUDGED, **detail)
    verdict = (
        NOT_RECOVERED if "no" in outcomes else BORDERLINE if "borderline" in outcomes else RECOVERED
    )
    return Verdict(KEY, said, verdict, "; ".join(why) + ".", checks, [], detail)
