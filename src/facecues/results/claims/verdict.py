"""A judged claim as data: its verdict word, the checks made (measured value with its
interval, threshold, outcome), what could not be checked and why.

A check is met ("yes") when the whole interval of its estimate lies on the claimed
side of the threshold, missed ("no") when it lies on the other, "borderline" when the
threshold is inside it (``Estimate.check``). A claim is "not supported" if any check
is missed, "borderline" if none is missed but one is borderline, else "supported" or,
where part of the claim could not be checked, "partly tested" (``combine``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from facecues.results.estimates import Estimate

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
NO_SPREAD = "one network only: no spread between networks measured"


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
        """The claim's heading: "Claim (a)", "Planted truth"."""
        return "Planted truth" if self.key == "planted" else f"Claim ({self.key})"

    @property
    def short(self) -> str:
        """The claim as named in the summary's table of verdicts."""
        return "Planted truth of the synthetic world" if self.key == "planted" else self.statement


def outcomes(checks: list[Check]) -> list[str]:
    """The outcomes of ``checks``, in order."""
    return [c.outcome for c in checks]


def combine(checks: list[str], missing: list[str]) -> str:
    """A claim's verdict from its checks ("yes"/"no"/"borderline") and its untested parts."""
    made = [c for c in checks if c in ("yes", "no", "borderline")]
    if not made:
        return NOT_TESTABLE
    if "no" in made:
        return NOT_SUPPORTED
    if "borderline" in made:
        return BORDERLINE
    return PARTLY if missing else SUPPORTED


def because(fails: list[str], missing: list[str], met: str) -> str:
    """The ``why`` of a verdict: the failed checks (else ``met``), then what is missing."""
    why = "; ".join(fails) if fails else met
    return why + "".join(f"; {m}" for m in missing) + "."


def untestable(key: str, statement: str, why: str, **detail) -> Verdict:
    """A claim this run cannot test (``why``: what it lacks)."""
    return Verdict(key, statement, NOT_TESTABLE, why, detail=detail)
