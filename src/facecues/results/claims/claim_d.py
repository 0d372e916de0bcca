"""Claim (d), the paper's open question: are shallow layers discriminative only because
they are high-dimensional? Read by this project as two checks at the shallow points,
against untrained networks of the same architecture and the input pixels."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from facecues.results.claims.depth import INPUT, NAN, controls_by_depth, within
from facecues.results.claims.evidence import Evidence
from facecues.results.claims.verdict import (
    PROJECT,
    Verdict,
    check,
    judged,
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


def learned_points(ev: Evidence, group: str) -> list[str]:
    """Every network point (not only the table's) where trained - untrained lies above
    ``tol`` with its whole interval, in depth order."""
    every = controls_by_depth(
        ev.trained, ev.controls, ev.depths, ev.world_kinds, ev.val_rows, every_point=True
    )
    every = every[(every["group"] == group) & (every["depth"] > INPUT)]
    return [r.point for r in every.itertuples() if r.selectivity.check(ev.tol, above=True) == "yes"]


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
    # the input is the same for every network: one measurement, no spread between networks
    input_est = replace(input_est, spread_se=None, networks=0, values=(), caps=())
    if np.isfinite(input_est.value):
        checks.append(
            check("untrained - input", difference(untrained_est, input_est), tol, True, PROJECT)
        )
    else:
        missing.append(NO_INPUT)
    missing += list(ev.notes)
    fails = [f"{c.what} {c.value.pp()} ({c.outcome})" for c in checks if c.outcome != "yes"]
    met = _met(learned.outcome, label)
    learned_at = learned_points(ev, overall)
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
        first_learned=learned_at[0] if learned_at else None,
        learned_at=learned_at,
    )
    return judged(KEY, said, checks, missing, fails, met, detail)
