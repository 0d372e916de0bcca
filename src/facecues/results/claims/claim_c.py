"""Claim (c): per-image attributes lose accuracy with depth, identity-bound ones stay
high (docs/protocol.md section 10; the level and trend reading is this project's)."""

from __future__ import annotations

import pandas as pd

from facecues.literature import IDENTITY_ATTRIBUTES, PER_IMAGE_ATTRIBUTES
from facecues.results.claims.depth import change_spread, depth_rows, labels
from facecues.results.claims.evidence import Evidence
from facecues.results.claims.verdict import PROJECT, Verdict, check, judged, untestable
from facecues.results.estimates import CHANCE, HIGH_MARGIN

KEY = "c"
STATEMENT = (
    f"Attributes that vary within an identity ({', '.join(PER_IMAGE_ATTRIBUTES)}) lose "
    f"accuracy with depth; identity-bound ones ({', '.join(IDENTITY_ATTRIBUTES[:3])}, hair "
    "colour) stay high."
)
#: The claim's two groups: (name, where its level is read, "starts at"/"ends at", whether
#: its change must lie above -tol ("stays") or below ("loses"), what its checks are called).
GROUPS = (
    ("per-image", "early_est", "starts at", False, ("start", "loses")),
    ("identity-bound", "late_est", "ends at", True, ("high", "stays")),
)


def _rows(g: pd.DataFrame, group, level: float, tol: float) -> tuple[list[dict], list, list]:
    """The table rows of one group's attributes, their checks and what fails."""
    name, column, at, stays, words = group
    rows, checks, fails = [], [], []
    for r in g.itertuples():
        lv = check(f"{r.attribute}: level", getattr(r, column), level, True, PROJECT)
        tr = check(f"{r.attribute}: change", r.change_est, -tol, stays, PROJECT)
        checks += [lv, tr]
        rows.append(
            dict(attribute=r.attribute, group=name, at=at, level=lv.value, level_check=lv.outcome)
            | dict(change=r.change_est, trend=tr.outcome)
        )
        if lv.outcome != "yes" or tr.outcome != "yes":
            fails.append(f"{r.attribute} ({words[0]} {lv.outcome}, {words[1]} {tr.outcome})")
    return rows, checks, fails


def judge(ev: Evidence) -> Verdict:
    """Claim (c) on the trained networks' whole-layer accuracy over depth."""
    d, depths = ev.change, ev.depths
    ok_rows = d.dropna(subset=["change"])
    named = {
        "per-image": ok_rows[ok_rows["attribute"].isin(PER_IMAGE_ATTRIBUTES)],
        "identity-bound": ok_rows[ok_rows["attribute"].isin(IDENTITY_ATTRIBUTES)],
    }
    if all(g.empty for g in named.values()):
        why = (
            f"no whole-layer accuracy at both {depths.shallow_label} and {depths.deep_label} for "
            "any of the named attributes."
        )
        return untestable(KEY, STATEMENT, why, depth_rows=depth_rows(d), **labels(depths))
    level = CHANCE + HIGH_MARGIN
    rows, checks, fails = [], [], []
    for group in GROUPS:
        made = _rows(named[group[0]], group, level, ev.tol)
        rows, checks, fails = rows + made[0], checks + made[1], fails + made[2]
    judged_attrs = set(ok_rows["attribute"])
    unprobed = [a for a in (*PER_IMAGE_ATTRIBUTES, *IDENTITY_ATTRIBUTES) if a not in judged_attrs]
    missing = [f"not judged (not probed, or without both depth ranges): {', '.join(unprobed)}"]
    missing = (missing if unprobed else []) + list(ev.notes)
    if fails:
        fails = ["against or unsure: " + ", ".join(fails)]
    met = "every probed attribute behaves as claimed, in level and trend"
    detail = dict(
        level=level,
        tol=ev.tol,
        rows=rows,
        groups=[
            dict(name=n, change=g["change"].mean(), attributes=list(g["attribute"]))
            for n, g in named.items()
        ],
        depth_rows=depth_rows(d),
        spread=(s.note if (s := change_spread(ev.trained, depths, ev.val_rows)) else None),
        **labels(depths),
    )
    return judged(KEY, STATEMENT, checks, missing, fails, met, detail)
