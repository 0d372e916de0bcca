"""The estimands a lab can run on real faces, gathered and checked against the truth.

``results/tables/estimands.tsv`` holds every network's estimands
(``facecues.interventions.estimands``); in the synthetic world, with the
counterfactual faces measured (``results/counterfactual/<network>.tsv``), each
estimand is set beside the causal truth (``agreement``):

- the **rank correlation** (Spearman) over the attributes where both are numbers
  between the estimand and the counterfactual FNMR rise (and, for the impostors'
  estimand, the FMR rise), per network and for the trained networks pooled (their
  mean estimand against their mean truth); its 95% interval from the estimand's
  bootstrap draws over people (the same people and draws in every network, so the
  pooled row's draws are the networks' mean draws), the truth held fixed;
- the **ordering**: the estimand's mean over identity-bound attributes minus its
  mean over per-image ones, with its interval, and whether it has the truth's sign
  with an interval that excludes 0 (*recovered*).

``page`` writes ``results/estimands.md``: per estimand, how far a lab can trust it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from facecues.interventions.estimands import (
    AGREEMENT_FMR,
    AGREEMENT_FNMR,
    ESTIMANDS,
    MIN_PEOPLE,
    WITHIN_PERSON,
    interval,
)

POOLED = "trained"  # the row of the trained networks pooled
MIN_ATTRIBUTES = 3  # attributes a rank correlation rests on, at least (facecues)
TRUST_RHO = (
    0.5  # a lower bound above it: the estimand ranks attributes as the truth does (facecues)
)
AGREEMENT_COLUMNS = [
    "network",
    "estimand",
    "truth",
    "attributes",
    "spearman",
    "spearman_lo",
    "spearman_hi",
    "contrast",
    "contrast_lo",
    "contrast_hi",
    "truth_contrast",
    "ordering_recovered",
    "note",
]
TRUTHS = {
    AGREEMENT_FNMR: ("fnmr_rise",),
    AGREEMENT_FMR: ("fnmr_rise", "fmr_rise"),
    WITHIN_PERSON: ("fnmr_rise",),
}
DESCRIBED = {
    AGREEMENT_FNMR: "attribute agreement, genuine pairs (FNMR of pairs that mismatch in "
    "the attribute minus of those that match)",
    AGREEMENT_FMR: "attribute agreement, impostor pairs (FMR of pairs that share the "
    "attribute minus of those that differ)",
    WITHIN_PERSON: "within-person natural experiment (the same person's genuine FNMR "
    "across the attribute minus within it)",
}


def spearman(x: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Spearman's rank correlation of each row of ``x`` (draws, attributes) with
    ``truth`` (attributes); ties share their mean rank; NaN for a constant row."""
    x = np.atleast_2d(x)
    rx = pd.DataFrame(x).rank(axis=1).to_numpy() - (x.shape[1] + 1) / 2
    rt = pd.Series(truth).rank().to_numpy() - (len(truth) + 1) / 2
    den = np.sqrt((rx**2).sum(1) * (rt**2).sum())
    return np.divide(rx @ rt, den, out=np.full(len(x), np.nan), where=den > 0)


def _pooled(table: pd.DataFrame, truth: pd.DataFrame, draws: dict, trained: list[str]):
    """The trained networks' mean estimand, truth and draws (a network's rows per key)."""
    est = table[table.network.isin(trained)].groupby(["estimand", "attribute"])["value"]
    mean = est.mean().where(est.count() == len(trained))  # NaN unless every network has it
    tru = truth[truth.network.isin(trained)].groupby("variant")[["fnmr_rise", "fmr_rise"]]
    keys = set.intersection(*(set(draws[n]) for n in trained))
    pooled_draws = {k: np.mean([draws[n][k] for n in trained], 0) for k in keys}
    rows = mean.reset_index().assign(network=POOLED)
    return rows, tru.mean().reset_index().assign(network=POOLED), pooled_draws


def _one(est: pd.DataFrame, truth: pd.Series, draws: dict, kinds: dict, name: str) -> dict:
    """One agreement row of one estimand (``est``: its rows, one per attribute) against
    ``truth`` ({attribute: causal effect})."""
    attrs = [
        a for a, v in zip(est.attribute, est.value, strict=True)
        if np.isfinite(v) and np.isfinite(truth.get(a, np.nan))
    ]  # fmt: skip
    value = est.set_index("attribute")["value"]
    row = dict(attributes=len(attrs), note="")
    if len(attrs) < MIN_ATTRIBUTES:
        row["note"] = f"{len(attrs)} attributes with both numbers; {MIN_ATTRIBUTES} needed"
        return row
    boot = np.stack([draws[f"{name}:{a}"] for a in attrs], 1)
    t = np.array([truth[a] for a in attrs])
    row["spearman"] = float(spearman(value[attrs].to_numpy()[None], t)[0])
    row["spearman_lo"], row["spearman_hi"] = interval(spearman(boot, t))
    groups = [[k for k, a in enumerate(attrs) if kinds.get(a) == g] for g in ("identity", "image")]
    if all(groups):
        ident, image = groups
        row["contrast"] = float(value[attrs].iloc[ident].mean() - value[attrs].iloc[image].mean())
        row["contrast_lo"], row["contrast_hi"] = interval(
            boot[:, ident].mean(1) - boot[:, image].mean(1)
        )
        row["truth_contrast"] = float(t[ident].mean() - t[image].mean())
        above = row["truth_contrast"] > 0  # the interval on the truth's side of 0
        row["ordering_recovered"] = bool(
            row["contrast_lo"] > 0 if above else row["contrast_hi"] < 0
        )
    return row


def agreement(table, truth, draws: dict, kinds: dict, network_kinds: dict) -> pd.DataFrame:
    """The agreement table (``AGREEMENT_COLUMNS``) of the estimands ``table`` (every
    network's rows) with the counterfactual ``truth`` (every network's rows, flips
    only), ``draws`` {network: {"<estimand>:<attribute>": draws}}, ``kinds``
    {attribute: "identity" | "image"} and ``network_kinds`` {network: kind}."""
    truth = truth[truth.kind == "flip"]
    trained = [n for n, k in network_kinds.items() if k in ("trained", "checkpoint")]
    nets = [n for n in network_kinds if n in set(table.network)]
    parts = [(n, table[table.network == n], truth[truth.network == n], draws[n]) for n in nets]
    if trained:
        parts.append((POOLED, *_pooled(table, truth, draws, trained)))
    rows = []
    for network, est, tru, drawn in parts:
        for name in ESTIMANDS:
            for column in TRUTHS[name]:
                effect = tru.set_index("variant")[column]
                one = _one(est[est.estimand == name], effect, drawn, kinds, name)
                rows.append(dict(network=network, estimand=name, truth=column, **one))
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


def _trust(r) -> str:
    """What a lab may conclude from an estimand, by its pooled agreement row ``r``."""
    if not np.isfinite(r.spearman):
        return f"cannot be checked here ({r.note})"
    rho = f"Spearman {r.spearman:+.2f} [{r.spearman_lo:+.2f}, {r.spearman_hi:+.2f}]"
    if not np.isfinite(r.contrast):
        ordering = "cannot show the identity-bound over per-image ordering (a kind lacks numbers)"
    else:
        done = "recovers" if r.ordering_recovered is True else "does not recover"
        ordering = (
            f"{done} the identity-bound over per-image ordering (contrast "
            f"{100 * r.contrast:+.1f} p.p. [{100 * r.contrast_lo:+.1f}, "
            f"{100 * r.contrast_hi:+.1f}], truth {100 * r.truth_contrast:+.1f})"
        )
    if r.spearman_lo > TRUST_RHO:
        verdict = "ranks attributes as their causal effect does"
    elif r.spearman_lo > 0:
        verdict = "ranks attributes loosely as their causal effect does"
    else:
        verdict = "is no evidence of the causal ranking"
    return f"{verdict}: {rho} over {r.attributes} attributes; it {ordering}"


def _value(r) -> str:
    if not np.isfinite(r.value):
        return r.note
    return f"{100 * r.value:+.1f} [{100 * r.lo:+.1f}, {100 * r.hi:+.1f}]"


def page(table: pd.DataFrame, agreement_table: pd.DataFrame | None, synthetic: bool) -> str:
    """``results/estimands.md``: per estimand, its values and how far a lab can trust it
    (its pooled agreement with the counterfactual truth, where there is one)."""
    out = ["# Estimands a lab can run on real faces", ""]
    if agreement_table is None:
        out += [
            "The counterfactual faces (the causal truth) exist only in the synthetic world"
            + (
                "; this study did not measure them (counterfactual.enabled: false), so "
                "nothing below is checked against a truth."
                if synthetic
                else "; this study runs on real faces, so nothing below is checked against "
                "a truth here. How far each estimand agrees with it in the synthetic world "
                "is what says how far to trust it."
            ),
            "",
        ]
    out += [
        f"Values in p.p., 95% intervals from a bootstrap over identities; an estimand "
        f"whose groups hold fewer than {MIN_PEOPLE} people is not estimable.",
        "",
    ]
    for name in ESTIMANDS:
        out += [f"## {name}: {DESCRIBED[name]}", ""]
        if agreement_table is not None:
            pooled = agreement_table[
                (agreement_table.network == POOLED)
                & (agreement_table.estimand == name)
                & (agreement_table.truth == "fnmr_rise")
            ]
            for r in pooled.itertuples():
                out += [f"Against the counterfactual FNMR rise it {_trust(r)}.", ""]
        rows = table[table.estimand == name]
        nets = list(dict.fromkeys(rows.network))
        out += ["| attribute | " + " | ".join(nets) + " |", "|---" * (len(nets) + 1) + "|"]
        for attribute, g in rows.groupby("attribute", sort=False):
            cells = [_value(r) for r in g.set_index("network").loc[nets].reset_index().itertuples()]
            out.append(f"| {attribute} | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)
