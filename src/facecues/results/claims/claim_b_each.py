"""Claim (b) as the paper's text words it, for each attribute: the best neuron less
than 6 p.p. below the best layer, the best filter less than 4 p.p. below, attribute
by attribute (the average is ``claim_b``). The gaps' spread between networks is pooled
over the attributes where their spreads agree (``estimates.pooled``)."""

from __future__ import annotations

from facecues.literature import ALL_ATTRIBUTES, FILTER_GAP, NEURON_GAP
from facecues.results.claims.claim_b import GAPS, scored, subset_note
from facecues.results.claims.evidence import Evidence, caps
from facecues.results.claims.verdict import PAPER, Verdict, check, judged, untestable
from facecues.results.estimates import image_error, pooled

KEY = "b_each"
STATEMENT = (
    f"Each attribute (the paper's words read literally; its {ALL_ATTRIBUTES}): best neuron "
    f"less than {NEURON_GAP:.0f} p.p. below the best layer; best filter less than "
    f"{FILTER_GAP:.0f} p.p. below."
)


def judge(ev: Evidence) -> Verdict:
    """Claim (b) attribute by attribute, on the selected units' scores."""
    got = scored(ev)
    if isinstance(got, str):
        return untestable(KEY, STATEMENT, got)
    wide, images, left_out = got
    attrs = sorted(wide.index.get_level_values("attribute").unique())
    checks, rows, notes = [], {a: {"attribute": a} for a in attrs}, []
    for other, threshold, _ in GAPS:
        gaps = {a: wide.xs(a, level="attribute") for a in attrs}
        errors = {
            a: image_error(
                [(g["layer"].mean(), images.get(a), 1.0), (g[other].mean(), images.get(a), -1.0)]
            )
            for a, g in gaps.items()
        }
        spread = pooled({a: g["layer"] - g[other] for a, g in gaps.items()}, errors)
        notes.append(f"layer - {other}: {spread.note}")
        for a in attrs:
            c = check(f"{a}: layer - {other}", spread.estimates[a], threshold / 100, False, PAPER)
            checks.append(c)
            rows[a] |= {other: c.value, f"{other}_check": c.outcome}
    fails = [f"{c.what} {c.value.pp()} ({c.outcome})" for c in checks if c.outcome != "yes"]
    missing = subset_note(attrs) + left_out + caps(ev)
    detail = dict(
        source=ev.source,
        synthetic=ev.synthetic,
        rows=list(rows.values()),
        spread=notes,
        thresholds={o: t for o, t, _ in GAPS},
    )
    return judged(KEY, STATEMENT, checks, missing, fails, "every attribute's gaps met", detail)
