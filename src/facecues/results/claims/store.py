"""``results/verdicts.json``: the judged claims as data, for other tools to read
(``facecues architectures``) instead of the summary's Markdown.

Its content: ``format_version``, ``provenance`` (what produced it, one line; None
without), and ``claims``: per claim its key, statement, verdict, why, what is missing,
the checks made (each with the measured estimate: value, interval, networks, their
own values and what the interval lacks; the threshold, side, outcome and whose
threshold) and ``detail`` (the numbers the summary shows). Fractions throughout; NaN
written as null. Version 2: verdicts capped by every missing piece, either way
(issue 31); asymmetric (Wilson) intervals.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from facecues.errors import FacecuesError
from facecues.io import write_text
from facecues.results.claims.verdict import WORDS, Verdict
from facecues.results.estimates import LEVEL, Estimate

#: The version of the file's layout; a reader refuses any other.
FORMAT_VERSION = 2
RERUN = "rerun the summary rule (snakemake results/verdicts.json --forcerun summary)"


def _number(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def estimate_data(e: Estimate) -> dict:
    """An estimate as plain numbers: value, its ``LEVEL`` interval, networks averaged,
    their values, what the interval lacks."""
    finite = math.isfinite(e.value)
    return {
        "value": _number(e.value),
        "low": _number(e.low) if finite else None,
        "high": _number(e.high) if finite else None,
        "level": LEVEL,
        "networks": e.networks,
        "spread_measured": e.spread_measured,
        "per_network": [_number(v) for v in e.values],
        "caps": list(e.caps),
    }


def plain(x: Any) -> Any:
    """``x`` as JSON data: estimates as ``estimate_data``, dataclasses as mappings,
    numpy numbers as Python's, NaN as None."""
    if isinstance(x, Estimate):
        return estimate_data(x)
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: plain(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [plain(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float):
        return _number(x)
    return x


def verdicts_data(verdicts: list[Verdict], provenance: str | None = None) -> dict:
    """The content of ``verdicts.json``."""
    return {
        "format_version": FORMAT_VERSION,
        "provenance": provenance,
        "claims": [plain(v) for v in verdicts],
    }


def write_verdicts(path: str | Path, verdicts: list[Verdict], provenance: str | None = None):
    """Write ``verdicts.json`` (under a temporary name, then renamed)."""
    text = json.dumps(verdicts_data(verdicts, provenance), indent=1, allow_nan=False)
    write_text(path, text + "\n")


def read_claims(path: str | Path) -> list[dict]:
    """The claims of a ``verdicts.json`` (mappings, as written); a FacecuesError naming
    the file and what to rerun when it is of another format version."""
    data = json.loads(Path(path).read_text())
    version = data.get("format_version") if isinstance(data, dict) else None
    if version != FORMAT_VERSION:
        raise FacecuesError(
            f"{path}: format_version {version!r}, this facecues reads {FORMAT_VERSION}: "
            f"made by another facecues; {RERUN}"
        )
    for claim in data["claims"]:
        if claim["verdict"] not in WORDS:
            raise FacecuesError(
                f"{path}: claim {claim['key']}: unknown verdict {claim['verdict']!r}; {RERUN}"
            )
    return data["claims"]


def read_verdicts(path: str | Path) -> dict[str, str]:
    """The verdict word of each claim in a ``verdicts.json``, by claim key."""
    return {c["key"]: c["verdict"] for c in read_claims(path)}
