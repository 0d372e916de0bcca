"""The claims of docs/protocol.md section 10, each judged as data (:class:`Verdict`).

One module per claim, each with ``judge(evidence) -> Verdict | None`` (None: the claim
does not apply to this run, as the planted truth outside a synthetic world). ``CLAIMS``
lists them in the summary's order: a new claim (e.g. "used", from the interventions)
is a module with its ``judge`` and a ``KEY``, added here. The summary renders the
verdicts (``facecues.results.summary``); ``results/verdicts.json`` stores them
(``facecues.results.claims.store``).

Uncertainty: every judged number is a mean over the trained networks with a 95%
interval from their spread and the images measured (``facecues.results.estimates``).
The paper's thresholds and the attributes its claims name come from
``facecues.literature``; this project's own thresholds from
``facecues.results.estimates``; the depth ranges from the network's layout
(``facecues.nets.layout.depths``), always given.
"""

from __future__ import annotations

from facecues.results.claims import (
    claim_a,
    claim_b,
    claim_b_each,
    claim_c,
    claim_d,
    planted,
    used,
)
from facecues.results.claims.evidence import Evidence, gather
from facecues.results.claims.verdict import (
    BORDERLINE,
    NOT_RECOVERED,
    NOT_SUPPORTED,
    NOT_TESTABLE,
    PARTLY,
    RECOVERED,
    SUPPORTED,
    WORDS,
    Check,
    Verdict,
    combine,
)

#: The claims' judges, in the summary's order.
CLAIMS = (
    claim_a.judge,
    claim_b.judge,
    claim_b_each.judge,
    claim_c.judge,
    claim_d.judge,
    planted.judge,
    used.judge,
)
#: Their keys, in the same order (``used`` not yet: it applies only where the study ran
#: the counterfactual faces, off by default).
KEYS = (claim_a.KEY, claim_b.KEY, claim_b_each.KEY, claim_c.KEY, claim_d.KEY, planted.KEY)


def evaluate(evidence: Evidence) -> list[Verdict]:
    """The verdict of every claim that applies to the run."""
    return [v for judge in CLAIMS if (v := judge(evidence)) is not None]


__all__ = [
    "BORDERLINE",
    "CLAIMS",
    "KEYS",
    "NOT_RECOVERED",
    "NOT_SUPPORTED",
    "NOT_TESTABLE",
    "PARTLY",
    "RECOVERED",
    "SUPPORTED",
    "WORDS",
    "Check",
    "Evidence",
    "Verdict",
    "combine",
    "evaluate",
    "gather",
]
