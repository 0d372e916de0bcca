"""Claim (a): gender, eyeglasses and hat from a single neuron, close to supervised
attribute networks (docs/protocol.md section 10)."""

from __future__ import annotations

import numpy as np

from facecues.literature import (
    CLAIM_A_REFERENCE,
    SINGLE_NEURON_ACCURACY,
    SINGLE_NEURON_ATTRIBUTES,
    SUPERVISED_GAP,
    quoted,
)
from facecues.results.claims.evidence import Evidence, caps, fallback_flags, per_network
from facecues.results.claims.verdict import PAPER, Verdict, check, judged, untestable
from facecues.results.estimates import Estimate, difference, estimate, image_error, pooled

KEY = "a"
#: The supervised networks' accuracies the paper compares single neurons with (fractions).
REFERENCE = {a: v / 100 for a, v in quoted(CLAIM_A_REFERENCE).items()}
STATEMENT = (
    f"Gender, eyeglasses and hat: over {SINGLE_NEURON_ACCURACY:.0f}% with a single neuron, "
    f"less than {SUPERVISED_GAP:.0f} p.p. below supervised attribute networks (the paper "
    f"compares with {CLAIM_A_REFERENCE})."
)


def _attribute(acc, a: str, est: Estimate) -> tuple[dict, list]:
    """One attribute's row of the claim's table and its two checks (``est``: its best
    neuron's accuracy)."""
    high = check(f"{a}: best neuron", est, SINGLE_NEURON_ACCURACY / 100, True, PAPER)
    lit = REFERENCE.get(a, np.nan)
    gap = difference(Estimate(lit), est)
    close = check(f"{a}: {CLAIM_A_REFERENCE} - neuron", gap, SUPERVISED_GAP / 100, False, PAPER)
    neuron, n = per_network(acc, a, "neuron")
    mt, _ = per_network(acc, a, "multitask")
    mt_gap = estimate(
        mt - neuron, image=image_error([(mt.mean(), n, 1.0), (neuron.mean(), n, -1.0)])
    )
    row = dict(
        attribute=a,
        neuron=est,
        high=high.outcome,
        reference=lit,
        gap=gap,
        close=close.outcome,
        multitask=estimate(mt, image=image_error([(mt.mean(), n, 1.0)])),
        multitask_gap=mt_gap,
    )
    return row, [high, close]


def _fails(row: dict) -> list[str]:
    """What of an attribute's row misses the claim."""
    out = []
    if row["high"] != "yes":
        out.append(
            f"{row['attribute']}: neuron {row['neuron'].pct()} vs "
            f"{SINGLE_NEURON_ACCURACY:.0f}% ({row['high']})"
        )
    if row["close"] not in ("yes", "n/a"):
        out.append(
            f"{row['attribute']}: {row['gap'].pp()} below {CLAIM_A_REFERENCE} ({row['close']})"
        )
    return out


def judge(ev: Evidence) -> Verdict:
    """Claim (a) on the selected units' scores (the neurons' spread pooled over the
    attributes where their spreads agree: ``estimates.pooled``)."""
    acc = ev.acc
    neurons = {a: per_network(acc, a, "neuron") for a in SINGLE_NEURON_ATTRIBUTES}
    probed = [a for a, (v, _) in neurons.items() if v.notna().any()]
    if not probed:
        why = f"none of {', '.join(SINGLE_NEURON_ATTRIBUTES)} has a best-neuron score."
        return untestable(KEY, STATEMENT, why)
    images = {a: image_error([(neurons[a][0].mean(), neurons[a][1], 1.0)]) for a in probed}
    spread = pooled({a: neurons[a][0] for a in probed}, images)
    rows, checks, fails = [], [], []
    for a in probed:
        row, made = _attribute(acc, a, spread.estimates[a])
        rows.append(row)
        checks += made
        fails += _fails(row)
    unprobed = [a for a in SINGLE_NEURON_ATTRIBUTES if a not in probed]
    missing = [f"not probed: {', '.join(unprobed)}"] if unprobed else []
    missing += caps(ev)
    flagged = fallback_flags(acc, probed, ["neuron"])
    if flagged:
        fails.append("QDA fallback on " + ", ".join(flagged))
    detail = dict(
        source=ev.source, synthetic=ev.synthetic, rows=rows, flagged=flagged, spread=spread.note
    )
    return judged(KEY, STATEMENT, checks, missing, fails, "every check met", detail)
