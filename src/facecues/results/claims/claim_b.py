"""Claim (b): averaged over the 40 attributes, the best neuron and the best filter close
to the best layer (docs/protocol.md section 10)."""

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
from facecues.results.claims.verdict import (
    PAPER,
    Verdict,
    because,
    check,
    combine,
    outcomes,
    untestable,
)
from facecues.results.estimates import Estimate, binomial_var, estimate

KEY = "b"
SELECTIONS = ["layer", "filter", "neuron"]
STATEMENT = (
    f"Average over the {ALL_ATTRIBUTES} attributes: best neuron less than "
    f"{NEURON_GAP:.0f} p.p. below the best layer; best filter less than "
    f"{FILTER_GAP:.0f} p.p. below."
)


def _gap(wide: pd.DataFrame, images: pd.Series, other: str) -> Estimate:
    """Best layer minus ``other``, averaged over the attributes, mean over networks."""
    attrs = sorted(wide.index.get_level_values("attribute").unique())
    m = wide.groupby(level="attribute").mean()
    var = (
        sum(
            binomial_var(m.loc[a, "layer"], images.get(a))
            + binomial_var(m.loc[a, other], images.get(a))
            for a in attrs
        )
        / len(attrs) ** 2
    )
    per_network = wide.groupby(level="network").mean()
    return estimate(per_network["layer"] - per_network[other], var)


def _missing(attrs: list[str], ev: Evidence) -> list[str]:
    """What keeps the claim at most 'partly tested'."""
    out = []
    if len(attrs) < ALL_ATTRIBUTES:
        out.append(
            f"over {len(attrs)} of the {ALL_ATTRIBUTES} attributes (not scored here: "
            f"{ALL_ATTRIBUTES - len(attrs)}; the average of a subset is not the claim's)"
        )
    return out + caps(ev.acc, ev.source)


def judge(ev: Evidence) -> Verdict:
    """Claim (b) on the selected units' scores."""
    sub = ev.acc[ev.acc["selection"].isin(SELECTIONS)]
    wide = sub.pivot_table(index=["network", "attribute"], columns="selection", values="accuracy")
    if not set(SELECTIONS) <= set(wide.columns):
        return untestable(KEY, STATEMENT, "this run lacks layer, filter or neuron scores.")
    wide = wide[SELECTIONS].dropna()
    if wide.empty:
        return untestable(KEY, STATEMENT, "no attribute has all three selections scored.")
    images = sub.groupby("attribute")["images"].mean()
    per_network = wide.groupby(level="network").mean()
    attrs = sorted(wide.index.get_level_values("attribute").unique())
    g_neuron, g_filter = _gap(wide, images, "neuron"), _gap(wide, images, "filter")
    checks = [
        check("layer - neuron", g_neuron, NEURON_GAP / 100, False, PAPER),
        check("layer - filter", g_filter, FILTER_GAP / 100, False, PAPER),
    ]
    fails = [f"{c.what} {c.value.pp()} ({c.outcome})" for c in checks if c.outcome != "yes"]
    missing = _missing(attrs, ev)
    met = f"layer - neuron {g_neuron.pp()}, layer - filter {g_filter.pp()}: both checks met"
    detail = dict(
        source=ev.source,
        attributes=len(attrs),
        networks=len(per_network),
        best={s: estimate(per_network[s]) for s in SELECTIONS},
        gaps=[
            dict(other=c.what.split(" - ")[1], gap=c.value, threshold=t, check=c.outcome, paper=p)
            for c, t, p in zip(
                checks, (NEURON_GAP, FILTER_GAP), (PAPER_NEURON_GAP, PAPER_FILTER_GAP), strict=True
            )
        ],
        flagged=fallback_flags(ev.acc, attrs, ["filter", "neuron"]),
    )
    verdict = combine(outcomes(checks), missing)
    return Verdict(KEY, STATEMENT, verdict, because(fails, missing, met), checks, missing, detail)
