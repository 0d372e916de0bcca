"""Claim (d), the paper's open question: are shallow layers discriminative only because
they are high-dimensional? Read by this project as two checks at the shallow points,
against untrained networks of the same architecture and the input pixels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from facecues.results.claims.depth import INPUT, NAN, within
from facecues.results.claims.evidence import Evidence
from facecues.results.claims.verdict import (
    NO_SPREAD,
    NOT_SUPPORTED,
    PROJECT,
    Verdict,
    because,
    check,
    combine,
    outcomes,
    untestable,
)
from facecues.results.estimates import average, difference

KEY = "d"
NO_INPUT = "the input point (L00) is not in this run (config controls.input_point)"


def statement(shallow_label: str, tol: float) -> str:
    """The claim, with the network's shallow points and the margin ``tol``."""
    return (
        f"Open question: are shallow layers ({shallow_label}) discriminative only because "
        "they are high-dimensional? This project's reading, two checks at the shallow points: "
        "(1) an untrained network of the same architecture does as well (trained - untrained "
        f"below {100 * tol:.0f} p.p.: nothing there is learned), and (2) its random layers do "
        f"better than the input pixels themselves (untrained - input above {100 * tol:.0f} "
        "p.p.: the layers' size, not only what the pixels carry, gives the accuracy)."
    )


def _met(learned: str, shallow_label: str) -> str:
    """The ``why`` of a verdict with no check missed."""
    if learned == "no":
        return "training adds at the shallow points"
    return (
        f"an untrained network does as well at {shallow_label}, and its random layers beat the "
        "pixels: there, accuracy comes from the layers' size and the input, not from learning"
    )


def _first_learned(main: pd.DataFrame, tol: float) -> str | None:
    """The first network point where trained - untrained lies above ``tol`` with its whole
    interval (None: none)."""
    first = main[[e.check(tol, above=True) == "yes" for e in main["selectivity"]]]
    first = first[first["depth"] > INPUT]
    return first["point"].iloc[0] if len(first) else None


def judge(ev: Evidence) -> Verdict:
    """Claim (d) on the controls depth by depth (``Evidence.by_depth``)."""
    table, label, tol = ev.by_depth, ev.depths.shallow_label, ev.tol
    said = statement(label, tol)
    if table.empty:
        return untestable(KEY, said, "no whole-layer accuracies in this run.")
    overall = "all" if (table["group"] == "all").any() else table["group"].iloc[0]
    main = table[table["group"] == overall]
    shallow = within(main, ev.depths.shallow)
    untrained = [e for e in shallow["untrained"] if np.isfinite(e.value)]
    if ev.controls.empty or not untrained:
        why = (
            f"no untrained network was probed at {label} (networks named random*; config "
            "controls.random_networks): without that comparison the question stays open."
        )
        return untestable(KEY, said, why)
    untrained_est = average(untrained)
    selectivity = average(list(shallow["selectivity"]))
    learned = check(f"trained - untrained at {label}", selectivity, tol, False, PROJECT)
    checks, missing = [learned], []
    inputs = main[main["depth"] == INPUT]
    input_est = inputs["trained"].iloc[0] if len(inputs) else NAN
    if np.isfinite(input_est.value):
        checks.append(
            check("untrained - input", difference(untrained_est, input_est), tol, True, PROJECT)
        )
    else:
        missing.append(NO_INPUT)
    missing += [NO_SPREAD] * (ev.trained["network"].nunique() == 1)
    fails = [f"{c.what} {c.value.pp()} ({c.outcome})" for c in checks if c.outcome != "yes"]
    verdict = combine(outcomes(checks), missing)
    met = _met(learned.outcome, label) if verdict != NOT_SUPPORTED else ""
    detail = dict(
        group=overall,
        shallow=label,
        tol=tol,
        trained=average(list(shallow["trained"])),
        untrained=untrained_est,
        learned=learned.value,
        learned_check=learned.outcome,
        input=input_est,
        size=checks[1].value if len(checks) > 1 else NAN,
        size_check=checks[1].outcome if len(checks) > 1 else None,
        first_learned=_first_learned(main, tol),
    )
    return Verdict(KEY, said, verdict, because(fails, missing, met), checks, missing, detail)
