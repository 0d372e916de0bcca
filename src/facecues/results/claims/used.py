"""The planted truth, used: on counterfactual faces (the same photo with one attribute
changed; docs/protocol.md section 14) the trained networks' recognition breaks far more
when an identity-bound attribute changes than when a per-image one does. This is a
causal measurement (the attribute alone was changed), so it says "used", where the
probes can only say "encoded".

Checks, each of one network's value against the project's threshold with that network's
95% bootstrap interval over the counterfactual people (``counterfactual.network_estimate``;
the claim is about every network, so no spread between networks enters):

- the planted contrast (identity-bound minus per-image mean FNMR rise) at least
  ``USED_MARGIN`` in every trained network: met when the interval's lower bound is
  above it, missed when its upper bound is at or below it;
- the same contrast below ``UNTRAINED_MARGIN`` in every untrained network (a network
  that recognises no one cannot use an attribute): met when the upper bound is below;
- every nuisance control's FNMR rise within +-``CONTROL_MARGIN`` in every trained
  network (a change that carries no attribute costs little): met when the whole
  interval lies inside the band, missed when it lies wholly outside.

Reported beside, not judged: the stricter ordering (every identity-bound attribute's
rise above every per-image one's; ``counterfactual.ordering``).
"""

from __future__ import annotations

import pandas as pd

from facecues.results.claims.evidence import Evidence
from facecues.results.claims.verdict import (
    PLANTED_WORDS,
    PROJECT,
    Check,
    Verdict,
    check,
    judged,
    untestable,
)
from facecues.results.counterfactual import (
    CONTRAST,
    CONTROL,
    CONTROL_MARGIN,
    UNTRAINED_MARGIN,
    USED_MARGIN,
    network_estimate,
    ordering,
    split,
)
from facecues.results.estimates import Estimate
from facecues.results.formatting import pp

KEY = "used"
STATEMENT = (
    "Planted truth, used (counterfactual faces): changing an identity-bound attribute in "
    "the same photo breaks the trained networks' recognition far more than changing a "
    f"per-image one (identity-bound minus per-image FNMR rise at least {100 * USED_MARGIN:.0f} "
    f"p.p. in every trained network, below {100 * UNTRAINED_MARGIN:.0f} p.p. in every "
    f"untrained one), and a nuisance change (new render seed, pose, light) costs little "
    f"(FNMR rise within ±{100 * CONTROL_MARGIN:.0f} p.p. in every trained network)."
)


def _estimate(row) -> Estimate:
    """A row's FNMR rise with its bootstrap interval over people."""
    return network_estimate(row.fnmr_rise, row.fnmr_rise_lo, row.fnmr_rise_hi)


def _between(what: str, row, margin: float) -> tuple[list[Check], str]:
    """Two checks, above -margin and below +margin, and their joint outcome."""
    est = _estimate(row)
    low = check(f"{what} above -{100 * margin:.0f} p.p.", est, -margin, True, PROJECT)
    high = check(f"{what} below +{100 * margin:.0f} p.p.", est, margin, False, PROJECT)
    outcomes = {low.outcome, high.outcome}
    both = "yes" if outcomes == {"yes"} else "no" if "no" in outcomes else "borderline"
    return [low, high], both


def _contrast_checks(contrast: pd.DataFrame, trained: bool) -> tuple[list[Check], list[dict]]:
    """The contrast's check in each network (trained: at least USED_MARGIN; untrained:
    below UNTRAINED_MARGIN) and the rows the summary shows."""
    checks, rows = [], []
    for r in contrast.itertuples():
        est = _estimate(r)
        if trained:
            what = f"network {r.network}: identity-bound minus per-image FNMR rise"
            c = check(what, est, USED_MARGIN, True, PROJECT)
        else:
            what = f"untrained network {r.network}: identity-bound minus per-image FNMR rise"
            c = check(what, est, UNTRAINED_MARGIN, False, PROJECT)
        checks.append(c)
        margin = est.low - USED_MARGIN if trained else UNTRAINED_MARGIN - est.high
        rows.append(
            dict(network=r.network, trained=trained, value=est, outcome=c.outcome, margin=margin)
        )
    return checks, rows


def _control_checks(controls: pd.DataFrame) -> tuple[list[Check], list[dict]]:
    """Every nuisance control within ±CONTROL_MARGIN in every trained network."""
    checks, rows = [], []
    for r in controls.itertuples():
        made, outcome = _between(f"network {r.network}: {r.variant} FNMR rise", r, CONTROL_MARGIN)
        checks += made
        rows.append(dict(network=r.network, control=r.variant, value=_estimate(r), outcome=outcome))
    return checks, rows


def _fails(rows: list[dict], what: str) -> list[str]:
    bad = [r for r in rows if r["outcome"] != "yes"]
    if not bad:
        return []
    said = ", ".join(
        (
            f"{r['control']} in network {r['network']}"
            if "control" in r
            else f"network {r['network']}"
        )
        + f" {pp(r['value'].value)} [{100 * r['value'].low:+.1f}, {100 * r['value'].high:+.1f}]"
        + f": {r['outcome']}"
        for r in bad
    )
    return [f"{what}: {said}"]


def judge(ev: Evidence) -> Verdict | None:
    """The planted truth on counterfactual faces (None: the run measured none)."""
    rows = ev.counterfactual
    if rows is None or not ev.synthetic:
        return None
    rows = rows.assign(network=rows["network"].astype(str))
    trained, untrained = split(rows)
    if trained.empty:
        return untestable(
            KEY, STATEMENT, "no trained network was measured on counterfactual faces."
        )
    if trained[trained["kind"] == CONTRAST].empty:
        why = (
            "the planted contrast needs flips of identity-bound and of per-image attributes; "
            "the study flipped " + ", ".join(sorted(set(trained["variant"]))) + "."
        )
        return untestable(KEY, STATEMENT, why)
    used, used_rows = _contrast_checks(trained[trained["kind"] == CONTRAST], True)
    flat, flat_rows = _contrast_checks(untrained[untrained["kind"] == CONTRAST], False)
    # the originals' FNMR (a control counts every genuine pair): near 100%, no rise can show
    controls = rows[rows["kind"] == CONTROL]
    originals = controls.groupby("network")["fnmr"].first() if "fnmr" in rows else {}
    for r in used_rows + flat_rows:
        r["fnmr"] = float(originals.get(r["network"], float("nan")))
    calm, calm_rows = _control_checks(trained[trained["kind"] == CONTROL])
    missing = list(ev.notes)
    if untrained.empty:
        missing.append("no untrained network measured: the untrained check not made")
    if not calm_rows:
        missing.append("no nuisance control measured")
    fails = _fails(used_rows, f"contrast not shown at least {100 * USED_MARGIN:.0f} p.p.")
    fails += _fails(
        flat_rows, f"untrained contrast not shown below {100 * UNTRAINED_MARGIN:.0f} p.p."
    )
    fails += _fails(
        calm_rows, f"nuisance control not shown within ±{100 * CONTROL_MARGIN:.0f} p.p."
    )
    weakest = min(used_rows, key=lambda r: r["margin"])
    met = (
        "every trained network's contrast clears "
        f"{100 * USED_MARGIN:.0f} p.p. (smallest lower bound {100 * weakest['value'].low:+.1f} "
        f"p.p., network {weakest['network']}), every untrained one's stays below "
        f"{100 * UNTRAINED_MARGIN:.0f} p.p. and every nuisance control within "
        f"±{100 * CONTROL_MARGIN:.0f} p.p."
    )
    order = ordering(rows, ev.world_kinds or {})
    detail = dict(
        contrast=used_rows + flat_rows,
        controls=calm_rows,
        margin=weakest["margin"],
        ordering=order,
        pale_skin=any(b == "Pale_Skin" for o in order for _, b in o["violations"]),
        thresholds=dict(used=USED_MARGIN, untrained=UNTRAINED_MARGIN, control=CONTROL_MARGIN),
    )
    checks = used + flat + calm
    return judged(KEY, STATEMENT, checks, missing, fails, met, detail, PLANTED_WORDS)
