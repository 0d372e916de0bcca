"""A judged claim as data: its verdict word, the checks made (measured value with its
interval, threshold, outcome), what could not be checked and why.

A check is met ("yes") when the whole interval of its estimate lies on the claimed
side of the threshold, missed ("no") when it lies on the other, "borderline" when the
threshold is inside it (``Estimate.check``), "n/a" without a value. A claim with no
check made is "not testable". Every missing piece caps it at "partly tested", for a
negative verdict as for a positive one: a part of the claim not checked, a check
without a value, and what its estimates' intervals lack (``Estimate.caps``: one
network, a network without a value, equal values, one network on a side of a
difference; duplicate networks are merged before, ``claims.evidence``). Otherwise it
is "not supported" if any check is missed, "borderline" if none is missed but one is
borderline, else "supported" (``combine``; :func:`judged` builds the verdict).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from facecues.results.estimates import EQUAL_VALUES, NO_SPREAD, Estimate

__all__ = ["NO_SPREAD"]  # re-exported: the claims' cap of a one-network run

SUPPORTED = "supported"
NOT_SUPPORTED = "not supported"
BORDERLINE = "borderline"
PARTLY = "partly tested"
NOT_TESTABLE = "not testable in this run"
RECOVERED = "recovered"
NOT_RECOVERED = "not recovered"
#: Every verdict word a claim can get.
WORDS = (SUPPORTED, NOT_SUPPORTED, BORDERLINE, PARTLY, NOT_TESTABLE, RECOVERED, NOT_RECOVERED)

#: Whose threshold a check applies.
PAPER, PROJECT = "paper", "facecues"
#: The planted truth's words for the claims' (the world's answer is recovered or not).
PLANTED_WORDS = {SUPPORTED: RECOVERED, NOT_SUPPORTED: NOT_RECOVERED}


@dataclass(frozen=True)
class Check:
    """One comparison of a measured estimate with a threshold: ``what`` it measures,
    ``above`` (the claim's side), ``outcome`` ("yes"/"no"/"borderline"/"n/a") and
    ``source``: whose threshold (``PAPER`` or ``PROJECT``)."""

    what: str
    value: Estimate
    threshold: float
    above: bool
    outcome: str
    source: str

    @property
    def by_network(self) -> str:
        """The networks' own values, then the mean with its interval, in the check's unit
        (an accuracy's threshold is at least chance - tol, a difference's a few p.p.)."""
        accuracy = self.threshold >= 0.3
        mean = self.value.pct() if accuracy else self.value.pp()
        return f"{self.value.per_network(as_pp=not accuracy)} (mean {mean})"


def check(what: str, value: Estimate, threshold: float, above: bool, source: str) -> Check:
    """The :class:`Check` of ``value`` against ``threshold`` (``Estimate.check``)."""
    return Check(what, value, threshold, above, value.check(threshold, above), source)


@dataclass
class Verdict:
    """A judged claim: ``key`` (a, b, c, d, planted, ...), ``statement``, ``verdict``
    (one of ``WORDS``), ``why``, the ``checks`` made, what is ``missing`` (the parts
    that could not be checked) and ``detail``: the measured numbers the summary shows
    (estimates and rows of plain values; no Markdown)."""

    key: str
    statement: str
    verdict: str
    why: str
    checks: list[Check] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The claim's heading: "Claim (a)", "Claim (b), each attribute", "Planted truth"."""
        return TITLES.get(self.key, f"Claim ({self.key})")

    @property
    def short(self) -> str:
        """The claim as named in the summary's table of verdicts."""
        return SHORT.get(self.key, self.statement)


#: The headings of claims not named "Claim (key)".
TITLES = {
    "planted": "Planted truth",
    "b_each": "Claim (b), each attribute",
    "used": "Planted truth, used: counterfactual faces",
}
#: The names of claims in the summary's table of verdicts, where not their statement.
SHORT = {
    "planted": "Planted truth of the synthetic world",
    "used": "Planted truth, used: changing identity-bound attributes breaks recognition",
}


def outcomes(checks: list[Check]) -> list[str]:
    """The outcomes of ``checks``, in order."""
    return [c.outcome for c in checks]


def combine(checks: list[str], missing: list[str]) -> str:
    """A claim's verdict from its checks' outcomes and its missing pieces (module
    docstring): capped at "partly tested" by any missing piece, either way."""
    made = [c for c in checks if c in ("yes", "no", "borderline")]
    if not made:
        return NOT_TESTABLE
    if missing:
        return PARTLY
    return tested(made)


def tested(outcomes: list[str]) -> str:
    """The verdict on what was checked alone: "not supported", "borderline" or "supported"."""
    if "no" in outcomes:
        return NOT_SUPPORTED
    return BORDERLINE if "borderline" in outcomes else SUPPORTED


def caps(checks: list[Check]) -> list[str]:
    """The missing pieces the checks carry: a check without a value, and what its
    estimate's interval lacks (once each)."""
    out = []
    for c in checks:
        if c.outcome == "n/a":
            out.append(f"{c.what}: not measured")
        for cap in c.value.caps:
            named = cap.startswith("no value") or cap == EQUAL_VALUES  # of this check only
            out.append(f"{c.what}: {cap}" if named else cap)
    return list(dict.fromkeys(out))


def judged(
    key: str,
    statement: str,
    checks: list[Check],
    missing: list[str],
    fails: list[str],
    met: str,
    detail: dict,
    words: dict[str, str] | None = None,
) -> Verdict:
    """The :class:`Verdict` of a claim from its checks, the parts it could not check
    (``missing``), what failed (``fails``) or ``met``; every cap of the checks added
    to ``missing``; ``words``: the claim's own verdict words (``PLANTED_WORDS``)."""
    missing = list(dict.fromkeys([*missing, *caps(checks)]))
    verdict = combine(outcomes(checks), missing)
    detail = dict(detail)
    made = [c.outcome for c in checks if c.outcome in ("yes", "no", "borderline")]
    detail["tested"] = (words or {}).get(tested(made), tested(made)) if made else None
    why = because(fails, missing, met)
    if verdict == PARTLY and detail["tested"] != SUPPORTED:
        why = f"on what was checked: {detail['tested']}; " + why
    return Verdict(
        key, statement, (words or {}).get(verdict, verdict), why, checks, missing, detail
    )


def because(fails: list[str], missing: list[str], met: str) -> str:
    """The ``why`` of a verdict: the failed checks (else ``met``), then what is missing."""
    why = "; ".join(fails) if fails else met
    return why + "".join(f"; {m}" for m in missing) + "."


def untestable(key: str, statement: str, why: str, **detail) -> Verdict:
    """A claim this run cannot test (``why``: what it lacks)."""
    return Verdict(key, statement, NOT_TESTABLE, why, detail=detail)
