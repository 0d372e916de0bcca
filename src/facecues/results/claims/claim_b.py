"""Claim (b): averaged over the 40 attributes, the best neuron and the best filter close
to the best layer (docs/protocol.md section 10). The paper's text also says it of each
attribute: that reading is ``claim_b_each``."""

from __future__ import annotations

import pandas as pd

from facecues.literature import (
    ALL_ATTRIBUTES,
    FILTER_GAP,
    NEURON_GAP,
    PAPER_FILTER_GAP,
    PAPER_NEURON_GAP,
)
from facecues.results.claims.evidence import Evidence, caps, fallback_flags
from facecues.results.claims.verdict import PAPER, Verdict, check, judged, untestable
from facecues.results.estimates import Estimate, estimate, image_error

KEY = "b"
SELECTIONS = ["layer", "filter", "neuron"]
#: The two gaps the claim bounds: (the other selection, its threshold, the paper's own gap).
GAPS = (("neuron", NEURON_GAP, PAPER_NEURON_GAP), ("filter", FILTER_GAP, PAPER_FILTER_GAP))
STATEMENT = (
    f"Average over the {ALL_ATTRIBUTES} attributes: best neuron less than "
    f"{NEURON_GAP:.0f} p.p. below the best layer; best filter less than "
    f"{FILTER_GAP:.0f} p.p. below."
)


def scored(ev: Evidence) -> tuple[pd.DataFrame, pd.Series, list[str]] | str:
    """(network, attribute) x selection accuracies of the attributes every network has
    all three selections of, their images per attribute, and what is left out; or why
    the claim cannot be tested."""
    sub = ev.acc[ev.acc["selection"].isin(SELECTIONS)]
    wide = sub.pivot_table(index=["network", "attribute"], columns="selection", values="accuracy")
    if not set(SELECTIONS) <= set(wide.columns):
        return "this run lacks layer, filter or neuron scores."
    wide = wide[SELECTIONS]
    networks = sorted(ev.acc["network"].unique())
    full = pd.MultiIndex.from_product(
        [networks, sorted(wide.index.get_level_values("attribute").unique())],
        names=["network", "attribute"],
    )
    wide = wide.reindex(full)
    complete = wide.notna().all(axis=1).groupby(level="attribute").all()
    left_out = [
        f"{a}: a selection without a score for some network (left out)"
        for a in complete.index[~complete]
    ]
    wide = wide[wide.index.get_level_values("attribute").isin(complete.index[complete])]
    if wide.empty:
        return "no attribute has all three selections scored for every network."
    return wide, sub.groupby("attribute")["images"].mean(), left_out


def subset_note(attrs: list[str]) -> list[str]:
    """The cap of a claim over the 40 attributes judged on fewer."""
    if len(attrs) >= ALL_ATTRIBUTES:
        return []
    return [
        f"over {len(attrs)} of the {ALL_ATTRIBUTES} attributes (not scored here: "
        f"{ALL_ATTRIBUTES - len(attrs)}; the average of a subset is not the claim's)"
    ]


def _gap(wide: pd.DataFrame, images: pd.Series, other: str) -> Estimate:
    """Best layer minus ``other``, averaged over the attributes, mean over networks."""
    m = wide.groupby(level="attribute").mean()
    w = 1 / len(m)
    terms = [(m.loc[a, "layer"], images.get(a), w) for a in m.index]
    terms += [(m.loc[a, other], images.get(a), -w) for a in m.index]
    per_network = wide.groupby(level="network").mean()
    return estimate(per_network["layer"] - per_network[other], image=image_error(terms))


def judge(ev: Evidence) -> Verdict:
    """Claim (b), the average, on the selected units' scores."""
    got = scored(ev)
    if isinstance(got, str):
        return untestable(KEY, STATEMENT, got)
    wide, images, left_out = got
    attrs = sorted(wide.index.get_level_values("attribute").unique())
    per_network = wide.groupby(level="network").mean()
    checks = [
        check(f"layer - {o}", _gap(wide, images, o), t / 100, False, PAPER) for o, t, _ in GAPS
    ]
    fails = [f"{c.what} {c.value.pp()} ({c.outcome})" for c in checks if c.outcome != "yes"]
    missing = subset_note(attrs) + left_out + caps(ev)
    met = ", ".join(f"{c.what} {c.value.pp()}" for c in checks) + ": both checks met"
    detail = dict(
        source=ev.source,
        synthetic=ev.synthetic,
        attributes=len(attrs),
        networks=len(per_network),
        best={s: estimate(per_network[s]) for s in SELECTIONS},
        gaps=[
            dict(other=o, gap=c.value, threshold=t, check=c.outcome, paper=p)
            for c, (o, t, p) in zip(checks, GAPS, strict=True)
        ],
        flagged=fallback_flags(ev.acc, attrs, ["filter", "neuron"]),
    )
    return judged(KEY, STATEMENT, checks, missing, fails, met, detail)
