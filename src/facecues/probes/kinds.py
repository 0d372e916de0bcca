"""The kinds of probe of a probe point (docs/protocol.md sections 5-7, 11), a registry.

A probe's name in a probe file is its kind's ``name``, followed for a ranked
kind by ``_<rank>`` (``filter_3``: the third filter by filter score alone);
the accuracy table's ``probe`` and ``rank`` columns are the kind's name and
the rank (0 for an unranked kind). A probe fitted again on the identity
control task's labels carries the prefix ``CONTROL`` (``identity_layer``).

``PROBE_KINDS`` maps each kind's name to its :class:`ProbeKind`;
``parse_probe`` reads a probe's name back.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CHANNEL",
    "CONTROL",
    "FILTER",
    "FILTERS",
    "LAYER",
    "NEURON",
    "NEURONS",
    "PROBE_KINDS",
    "VIP_UNIFORM",
    "ProbeKind",
    "parse_probe",
]

#: The prefix of an identity-task twin's name (``identity_filters``).
CONTROL = "identity_"


@dataclass(frozen=True)
class ProbeKind:
    """A kind of probe: ``name`` (the accuracy table's ``probe``), whether it is
    ``ranked`` (one probe per rank r, named ``<name>_<r>``), whether its features are
    PLS scores (``pls``; else raw unit values) and what it reads."""

    name: str
    ranked: bool
    pls: bool
    description: str

    def probe(self, rank: int | None = None) -> str:
        """The probe file's name of this kind's probe of ``rank`` (ranked kinds only; a
        channel's rank is its index, from 0)."""
        if self.ranked != (rank is not None):
            want = "a rank" if self.ranked else "no rank"
            raise ValueError(f"probe kind {self.name!r} takes {want}, got {rank!r}")
        return f"{self.name}_{int(rank)}" if self.ranked else self.name


LAYER = ProbeKind("layer", False, True, "the PLS scores of the whole map")
NEURONS = ProbeKind("neurons", False, False, "the top-k neurons by VIP, their raw values jointly")
NEURON = ProbeKind("neuron", True, False, "the neuron of VIP rank r alone (raw value)")
FILTERS = ProbeKind("filters", False, True, "the PLS scores of the top-k filters' maps together")
FILTER = ProbeKind("filter", True, True, "the filter of filter-score rank r alone (PLS scores)")
VIP_UNIFORM = ProbeKind("vip", True, False, "the r-th neuron drawn uniformly over the VIP range")
CHANNEL = ProbeKind("channel", True, True, "channel r (from 0) alone (probe.all_filters; PLS)")

PROBE_KINDS: dict[str, ProbeKind] = {
    k.name: k for k in (LAYER, NEURONS, NEURON, FILTERS, FILTER, VIP_UNIFORM, CHANNEL)
}


def parse_probe(name: str) -> tuple[ProbeKind, int]:
    """A probe's kind and rank from its name (an identity-task twin's without its
    prefix): ``filter_3`` -> (FILTER, 3), ``layer`` -> (LAYER, 0)."""
    base, _, rank = name.rpartition("_")
    kind = PROBE_KINDS.get(base) if rank.isdigit() else PROBE_KINDS.get(name)
    if kind is None or kind.ranked != rank.isdigit():
        raise ValueError(
            f"{name!r} is not a probe's name: expected one of "
            f"{', '.join(k.name + ('_<r>' if k.ranked else '') for k in PROBE_KINDS.values())}"
        )
    return kind, int(rank) if kind.ranked else 0
