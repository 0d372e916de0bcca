"""Whole-layer accuracy over depth: the early / late means of each attribute (claim (c),
the planted truth) and the trained networks against the untrained ones and the
identity task, depth by depth (claim (d), the controls section).

The depth landmarks (``depths.shallow``, ``depths.deep``, the table's points) are the
network's own (``facecues.nets.layout.depths``): every function here takes them.
"""

from __future__ import annotations

import pandas as pd

from facecues.literature import IDENTITY_ATTRIBUTES, PER_IMAGE_ATTRIBUTES
from facecues.nets.layout import Depths, point_id
from facecues.results.estimates import Estimate, Pooled, difference, estimate, image_error, pooled

INPUT = 0  # the input point, L00
NAN = Estimate(float("nan"))
SUMMARIES = ("early", "late", "change", "best", "overall")
ESTIMATES = ("early_est", "late_est", "change_est", "best_est")


def layer_rows(table: pd.DataFrame, value: str = "accuracy", network_points=True) -> pd.DataFrame:
    """Whole-layer rows with a ``value``; ``network_points``: without the input (L00)."""
    t = table[(table["probe"] == "layer")] if "probe" in table else table.iloc[:0]
    if network_points and "depth" in t:
        t = t[t["depth"] > INPUT]
    return t.dropna(subset=[value]) if value in t else t.iloc[:0]


def within(t: pd.DataFrame, span: tuple[int, int]) -> pd.DataFrame:
    """The rows of ``t`` whose depth lies in ``span`` (first, last), inclusive."""
    return t[(t["depth"] >= span[0]) & (t["depth"] <= span[1])]


def _per_network(t: pd.DataFrame, depths: Depths) -> pd.DataFrame:
    """Per (attribute, network) of every attribute and network of ``t``: early, late,
    change, best and overall accuracy."""

    def mean_over(span):
        return within(t, span).groupby(["attribute", "network"])["accuracy"].mean()

    per = pd.DataFrame({"early": mean_over(depths.shallow), "late": mean_over(depths.deep)})
    per["change"] = per["late"] - per["early"]
    per["best"] = t.groupby(["attribute", "network"])["accuracy"].max()
    per["overall"] = t.groupby(["attribute", "network"])["accuracy"].mean()
    full = pd.MultiIndex.from_product(
        [sorted(t["attribute"].unique()), sorted(t["network"].unique())],
        names=["attribute", "network"],
    )
    return per.reindex(full)  # NaN: a network without that attribute's points


def _pooled_column(per: pd.DataFrame, column: str, attrs, val_rows, weights) -> Pooled:
    """One summary column's estimates per attribute, the spread pooled over attributes;
    ``weights``: {column: weight} of the accuracies it is made of (image error)."""
    values, images = {}, {}
    for a in attrs:
        g = per.loc[a]
        values[a] = g[column]
        images[a] = image_error([(g[c].mean(), val_rows, w) for c, w in weights.items()])
    return pooled(values, images)


def change_spread(trained: pd.DataFrame, depths: Depths, val_rows=None) -> Pooled | None:
    """The change with depth per attribute, its spread pooled over attributes (None:
    no attribute has both depth ranges)."""
    t = layer_rows(trained)
    if t.empty:
        return None
    per = _per_network(t, depths)
    attrs = [a for a in sorted(t["attribute"].unique()) if per.loc[a]["change"].notna().any()]
    if not attrs:
        return None
    return _pooled_column(per, "change", attrs, val_rows, {"late": 1.0, "early": -1.0})


def depth_change(
    trained: pd.DataFrame, depths: Depths, val_rows: int | None = None
) -> pd.DataFrame:
    """Per attribute: whole-layer accuracy early (``depths.shallow``) and late
    (``depths.deep``), mean over points then networks.

    Columns: attribute, early, late, change (late - early), best (mean over
    networks of the best point's accuracy), overall (mean over all points and
    networks), and ``early_est``/``late_est``/``change_est``/``best_est``
    (:class:`Estimate`, the spread pooled over attributes where their spreads
    agree; image error from ``val_rows``). Attributes lacking a depth range have
    NaN there. The input point (L00) is not a network point: it enters none of them.
    """
    t = layer_rows(trained)
    cols = ["attribute", *SUMMARIES]
    if t.empty:
        return pd.DataFrame(columns=cols + list(ESTIMATES))
    per = _per_network(t, depths)
    attrs = sorted(t["attribute"].unique())
    weights = {
        "early": {"early": 1.0},
        "late": {"late": 1.0},
        "change": {"late": 1.0, "early": -1.0},
        "best": {"best": 1.0},
    }
    est = {}
    for column, w in weights.items():
        ok = [a for a in attrs if per.loc[a][column].notna().any()]
        est[column] = _pooled_column(per, column, ok, val_rows, w).estimates
    rows = []
    for a in attrs:
        row = {c: per.loc[a][c].mean() for c in SUMMARIES} | {"attribute": a}
        row |= {f"{c}_est": est[c].get(a, NAN) for c in weights}
        rows.append(row)
    return pd.DataFrame(rows)[cols + list(ESTIMATES)]


def labels(depths: Depths) -> dict[str, str]:
    """The names of the depth ranges, as a verdict's detail records them."""
    return {"shallow": depths.shallow_label, "deep": depths.deep_label}


def depth_rows(d: pd.DataFrame, kinds: dict[str, str] | None = None) -> list[dict]:
    """The rows of a depth table (by increasing change): attribute, its kind in the
    synthetic world (``kinds``; "?" where it has none) and its estimates."""
    return [
        {
            "attribute": r.attribute,
            "kind": (kinds or {}).get(r.attribute, "?"),
            "early": r.early_est,
            "late": r.late_est,
            "change": r.change_est,
            "best": r.best_est,
        }
        for r in d.sort_values("change").itertuples()
    ]


# ----------------------------------------------------------------------------------------
# Trained against untrained networks and the identity task.


def group_of(attribute: str, kinds: dict[str, str] | None) -> str:
    """identity-bound, per-image or other: the world's kind, else the paper's lists."""
    if kinds and attribute in kinds:
        return {"identity": "identity-bound", "image": "per-image"}.get(kinds[attribute], "other")
    if attribute in IDENTITY_ATTRIBUTES:
        return "identity-bound"
    return "per-image" if attribute in PER_IMAGE_ATTRIBUTES else "other"


def groups(attributes, kinds) -> dict[str, list[str]]:
    """{group: its attributes}: identity-bound, per-image, other, and all of them (when
    there is more than one group)."""
    of = {a: group_of(a, kinds) for a in attributes}
    out = {g: sorted(a for a in of if of[a] == g) for g in ("identity-bound", "per-image", "other")}
    out = {g: attrs for g, attrs in out.items() if attrs}
    if len(out) > 1:
        out["all"] = sorted(of)
    return out


def group_estimate(rows: pd.DataFrame, attrs: list[str], value: str, val_rows) -> Estimate:
    """Mean over ``attrs`` of the per-network means of ``value``, with its interval."""
    r = rows[rows["attribute"].isin(attrs)].dropna(subset=[value])
    if r.empty:
        return NAN
    terms = [(r[r.attribute == a][value].mean(), val_rows, 1 / len(attrs)) for a in attrs]
    return estimate(r.groupby("network")[value].mean(), image=image_error(terms))


def _depth_entry(tt, cc, group, attrs, depth, has_task, val_rows) -> dict:
    """One row of ``controls_by_depth``."""
    trained_est = group_estimate(tt, attrs, "accuracy", val_rows)
    control_est = group_estimate(cc, attrs, "accuracy", val_rows)
    task = group_estimate(tt, attrs, "identity_task_accuracy", val_rows) if has_task else NAN
    return {
        "group": group,
        "depth": depth,
        "point": point_id(depth),
        "attributes": len(attrs),
        "trained": trained_est,
        "untrained": control_est,
        "selectivity": difference(trained_est, control_est),
        "identity_task": task,
    }


def controls_by_depth(
    trained: pd.DataFrame,
    controls: pd.DataFrame,
    depths: Depths,
    kinds: dict[str, str] | None = None,
    val_rows: int | None = None,
    every_point: bool = False,
) -> pd.DataFrame:
    """Whole-layer accuracy per (attribute group, depth) of the trained networks, the
    untrained ones and the identity control task, with the input (L00) as depth 0, at
    the table's depths (``every_point``: at every point of the run).

    Mean over the group's attributes of the per-network means, each an
    :class:`Estimate`; ``selectivity`` = trained - untrained (Welch's spread),
    ``identity_task``: the trained networks' probes fitted and scored on a random
    label per person (NaN without that control).
    """
    t = layer_rows(trained, network_points=False)
    c = layer_rows(controls, network_points=False)
    has_task = "identity_task_accuracy" in t and t["identity_task_accuracy"].notna().any()
    out = []
    points = sorted(t["depth"].unique()) if every_point else (INPUT, *depths.table_depths)
    for group, attrs in groups(t["attribute"].unique(), kinds).items():
        for depth in points:
            tt, cc = t[t["depth"] == depth], c[c["depth"] == depth]
            if len(tt):
                out.append(_depth_entry(tt, cc, group, attrs, depth, has_task, val_rows))
    return pd.DataFrame(out)
