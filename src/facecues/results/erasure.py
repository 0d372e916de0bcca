"""What the erasure table says (results/tables/erasure.tsv): how much face verification
relies on each attribute, with intervals, and the synthetic world's planted answer.

A network's **drop** for an attribute is its LFW verification accuracy without
erasure minus with the attribute erased, averaged over the erasure points; the
**control drop** the same for the random relabelling's eraser (as many
directions, no meaning). Each is a mean over the trained networks with the
interval of ``facecues.results.estimates``: the spread between networks
(Student's t) and, as the known image error, the LFW folds' standard error of
the paired drop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from facecues.results.estimates import (
    CHANCE,
    LEVEL,
    PLANTED_MARGIN,
    WORKED_SHARE,
    Estimate,
    estimate,
)

KINDS = {"identity": "identity-bound", "image": "per-image", "unrendered": "unrendered"}


def with_drops(table: pd.DataFrame) -> pd.DataFrame:
    """The erasure table with each row's ``drop`` and ``control_drop`` (verification
    accuracy without erasure minus with the attribute's, or the control's, eraser)."""
    return table.assign(
        drop=table["verification_accuracy"] - table["verification_accuracy_erased"],
        control_drop=table["verification_accuracy"] - table["verification_accuracy_control"],
    )


def per_network(table: pd.DataFrame) -> pd.DataFrame:
    """Per (network, attribute): drop and control drop (means over the points), their
    variance from the folds (mean of the points' squared SE over the points, as the
    points' drops are measured on the same pairs), the mean residual accuracy of the
    whole-layer and of the linear probe, and at how many points the linear probe was at
    chance."""
    t = with_drops(table).assign(
        drop_var=table["drop_se"] ** 2, control_var=table["control_drop_se"] ** 2
    )
    g = t.groupby(["network", "attribute"])
    return g.agg(
        drop=("drop", "mean"),
        control_drop=("control_drop", "mean"),
        drop_var=("drop_var", "mean"),
        control_var=("control_var", "mean"),
        residual=("residual_accuracy", "mean"),
        residual_linear=("residual_linear_accuracy", "mean"),
        at_chance=("at_chance", "sum"),
        points=("point", "nunique"),
    ).reset_index()


def _est(values: pd.Series, variances: pd.Series) -> Estimate:
    return estimate(values.to_numpy(), float(np.nanmean(variances)) if len(variances) else 0.0)


def ranking(table: pd.DataFrame, kinds: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per attribute, by decreasing drop: the drop's and the control drop's
    estimates, the residual probes and the points at chance."""
    n = per_network(table)
    rows = []
    for attribute, g in n.groupby("attribute"):
        rows.append(
            dict(
                attribute=attribute,
                kind=KINDS.get((kinds or {}).get(attribute, ""), ""),
                drop=_est(g["drop"], g["drop_var"]),
                control=_est(g["control_drop"], g["control_var"]),
                excess=_est(g["drop"] - g["control_drop"], g["drop_var"] + g["control_var"]),
                residual=g["residual"].mean(),
                residual_linear=g["residual_linear"].mean(),
                at_chance=int(g["at_chance"].sum()),
                points=int(g["points"].sum()),
            )
        )
    r = pd.DataFrame(rows)
    return r.assign(order=[-e.value for e in r["drop"]]).sort_values("order").drop(columns="order")


def worked_points(table: pd.DataFrame) -> list[str]:
    """The erasure points where the erasure worked: the linear residual probe at chance
    (``at_chance``) at ``WORKED_SHARE`` (half) of the point's (network, attribute)s or more."""
    share = table.assign(ok=table["at_chance"].astype(bool)).groupby("point")["ok"].mean()
    return sorted(share.index[share >= WORKED_SHARE])


def planted_check(table: pd.DataFrame, kinds: dict[str, str]) -> tuple[str | None, str] | None:
    """The planted truth's erasure check: identity-bound attributes cost verification at
    least PLANTED_MARGIN more than per-image ones, and random directions least of all.
    (check "yes" / "no" / "borderline", why); None without both kinds. Judged at the
    points where the erasure worked (``worked_points``) on those points' rows: a drop
    says nothing of use where the attribute is still linearly readable. (None, why)
    where it worked at no point."""
    points = worked_points(table)
    if not points:
        return None, (
            f"erasure not judged: the attribute stayed linearly readable after erasure at "
            f"{int((~table['at_chance'].astype(bool)).sum())} of {len(table)} (network, "
            f"attribute, point)s, and at every point at more than half of them"
        )
    table = table[table["point"].isin(points)]
    n = per_network(table)
    n["kind"] = n["attribute"].map(kinds)
    by_kind = n.groupby(["kind", "network"])
    drop = by_kind["drop"].mean()
    var = by_kind["drop_var"].mean()  # not divided by the attributes: the same pairs
    if not {"identity", "image"} <= set(drop.index.get_level_values(0)):
        return None
    diff = _est(drop.loc["identity"] - drop.loc["image"], var.loc["identity"] + var.loc["image"])
    c = diff.check(PLANTED_MARGIN, above=True)
    control_drop = n.groupby("network")["control_drop"].mean()
    control = _est(control_drop, n["control_var"])
    image = _est(drop.loc["image"], var.loc["image"])
    # random directions fail to cost least only where they clearly cost more
    over = _est(control_drop - drop.loc["image"], n["control_var"].mean() + var.loc["image"])
    least = over.check(0.0, above=True) != "yes"
    check = c if least or c == "no" else "no"
    why = (
        f"at {', '.join(points)}, erasing identity-bound minus per-image attributes costs "
        f"verification "
        f"{diff.pp()} (needs > +{100 * PLANTED_MARGIN:.1f} p.p.: {c}); random directions "
        f"{control.pp()}, per-image {image.pp()} (random not clearly more: "
        f"{'yes' if least else 'no'})"
    )
    return check, why


def _methods(table: pd.DataFrame) -> str:
    """Which eraser ran where, and on how many images: "LEACE at L50; orthogonal at
    L10, L22 (4,096 fitting images)"."""
    by = table.drop_duplicates("point").groupby("method")["point"].agg(lambda p: ", ".join(p))
    names = {"leace": "LEACE", "orth": "orthogonal"}
    images = table["fit_images"].unique()
    fit = ", ".join(f"{int(n):,}" for n in sorted(images))
    return "; ".join(f"{names.get(m, m)} at {p}" for m, p in by.items()) + (
        f" ({fit} fitting images)"
    )


def _bounds(table: pd.DataFrame) -> str:
    """The chance bounds of the table's rows, as a range: "54.7-55.2% here"."""
    low, high = 100 * table["chance_bound"].min(), 100 * table["chance_bound"].max()
    return f"{low:.1f}% here" if f"{low:.1f}" == f"{high:.1f}" else f"{low:.1f}-{high:.1f}% here"


def erasure_lines(table: pd.DataFrame, kinds: dict[str, str] | None = None) -> list[str]:
    """The summary's section: attributes ranked by what erasing them costs recognition."""
    if table.empty:
        return ["No erasure results (erasure disabled, or no LFW pairs)."]
    points = ", ".join(sorted(table["point"].unique()))
    worked = worked_points(table)
    ranked = table[table["point"].isin(worked)] if worked else table
    nets = table["network"].nunique()
    lines = [
        f"Each attribute erased (rank 1: {_methods(table)}; docs/protocol.md section 13) at "
        f"{points} in each of {nets} trained network(s), one point at a time. The eraser "
        "is fitted on the probes' training sample and other CelebA images, never on the "
        "validation sample it is checked on. Drop: LFW "
        f"verification accuracy lost, the mean over {', '.join(sorted(ranked['point'].unique()))} "
        f"({'the points where the erasure worked' if worked else 'no point where it worked'}"
        ": the linear residual probe at chance at half its (network, attribute)s or "
        f"more); control: a random relabelling erased the same way; {LEVEL:.0%} intervals over "
        "the networks with the LFW "
        "folds' error. Residual: a probe refitted on the erased validation activations "
        "(two halves that share no person, each scored on the other), linear (PLS + LDA: "
        "what a linear eraser removes) and whole-layer (PLS + QDA, which also reads the "
        "classes' spread); at chance: the linear one at or below the one-sided 5% binomial "
        f"bound of {100 * CHANCE:.0f}% over the people scored ({_bounds(table)}; the "
        "project's own level).",
        "",
        "| rank | attribute | planted | drop | control drop | drop - control | residual "
        "linear probe | residual whole-layer probe | points at chance |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for i, r in enumerate(ranking(ranked, kinds).itertuples(), start=1):
        lines.append(
            f"| {i} | {r.attribute} | {r.kind} | {r.drop.pp()} | {r.control.pp()} | "
            f"{r.excess.pp()} | {100 * r.residual_linear:.1f}% | {100 * r.residual:.1f}% | "
            f"{r.at_chance} of {r.points} |"
        )
    missed = table[~table["at_chance"].astype(bool)]
    if len(missed):
        per = missed.groupby("attribute")["residual_linear_accuracy"].agg(["size", "min", "max"])
        total = table.groupby("attribute").size()
        lines += [
            "",
            f"Not at chance after erasure at {len(missed)} of {len(table)} (network, "
            "attribute, point)s: the eraser leaves the attribute linearly readable in "
            "images it did not see, and a drop there says little of whether recognition "
            "uses it. Per attribute (linear residual probe): "
            + "; ".join(
                f"{a} {int(r['size'])} of {total[a]} ({100 * r['min']:.1f}-{100 * r['max']:.1f}%)"
                for a, r in per.iterrows()
            )
            + ".",
        ]
    quadratic = table["residual_accuracy"] > table["chance_bound"]
    if quadratic.any():
        lines += [
            "",
            f"The whole-layer probe still reads the attribute at {int(quadratic.sum())} of "
            f"{len(table)} (network, attribute, point)s (up to "
            f"{100 * table['residual_accuracy'].max():.1f}%): a rank-one linear eraser "
            "equalises the classes' means, not their spread, which a QDA reads. A drop "
            "measures what recognition loses with the attribute's linear information, "
            "not all of it.",
        ]
    return lines
