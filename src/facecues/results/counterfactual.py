"""The counterfactual faces over networks: what each attribute's change costs recognition,
and where in depth it moves the activations (docs/protocol.md section 14).

Each probed network's ``results/counterfactual/<network>.tsv`` holds, per variant (an
attribute's flip, a nuisance control, the planted contrast), the FNMR and FMR rise with
a 95% percentile interval from a bootstrap over the counterfactual people. Over
networks (``results/tables/counterfactual.tsv``, :func:`over_networks`), per variant and
measure, the mean over the trained networks and, beside it, over the untrained ones,
each an :class:`~facecues.results.estimates.Estimate` as the claims use them:

- the spread between networks, s / sqrt(k) with Student's t (k - 1 degrees of freedom);
- the people's error, taken as known: every network sees the same people, so it is
  largely common to them and not in s; the mean of the networks' bootstrap distances
  below and above their rise (exact for perfectly correlated errors, an upper bound
  otherwise, as ``estimates.average``);
- the two added in quadrature on each side. With one network the interval is its
  bootstrap alone, capped (no spread between networks measured), said in ``caps``.

The depth table (``results/tables/counterfactual_depth.tsv``, :func:`depth_over_networks`)
gives, per probe point and variant, the mean sensitivity (activation distance of the
change in units of the genuine-pair distance there) over the trained networks, their
standard deviation, and the mean over the untrained ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from facecues.errors import DataFormatError
from facecues.nets.layout import point_index
from facecues.nets.names import is_control
from facecues.results.estimates import Estimate, estimate

# The planted truth's thresholds (docs/protocol.md section 14; the project's own, fractions).
#: Identity-bound minus per-image FNMR rise, at least, in every trained network.
USED_MARGIN = 0.10
#: The same contrast, below this, in every untrained network.
UNTRAINED_MARGIN = 0.02
#: Every nuisance control's FNMR rise within +- this in every trained network.
CONTROL_MARGIN = 0.03

#: The per-network tables' measures: the rise of the false non-match and match rates.
MEASURES = ("fnmr_rise", "fmr_rise")
#: The two groups of networks a mean is taken over.
TRAINED, UNTRAINED = "trained", "untrained"
#: The variants' kinds, as the per-network tables write them.
FLIP, CONTROL, CONTRAST = "flip", "control", "contrast"
COLUMNS = [
    "variant",
    "kind",
    "planted",
    "exact",
    "measure",
    "trained",
    "mean",
    "low",
    "high",
    "untrained",
    "untrained_mean",
    "untrained_low",
    "untrained_high",
    "caps",
]
DEPTH_COLUMNS = [
    "variant",
    "kind",
    "planted",
    "point",
    "trained",
    "sensitivity",
    "sensitivity_sd",
    "untrained",
    "untrained_sensitivity",
]
_NEEDED = {"network", "variant", "kind", "exact", *MEASURES} | {
    f"{m}_{side}" for m in MEASURES for side in ("lo", "hi")
}


def _checked(rows: pd.DataFrame, needed: set[str], what: str) -> pd.DataFrame:
    missing = needed - set(rows.columns)
    if missing:
        raise DataFormatError(
            f"counterfactual {what}: no column(s) {sorted(missing)}; expected the rule "
            f"counterfactual's tables (rerun it)"
        )
    if rows.empty:
        raise DataFormatError(f"counterfactual {what}: no rows (no network was measured)")
    return rows.assign(network=rows["network"].astype(str))


def planted_kind(variant: str, kind: str, kinds: dict[str, str]) -> str:
    """The planted kind of a variant's attribute (``identity``/``image``), ``control`` for
    a nuisance control, ``contrast`` for the planted contrast."""
    return kinds.get(variant, "") if kind == FLIP else kind


def network_estimate(rise: float, lo: float, hi: float) -> Estimate:
    """One network's rise with its bootstrap interval over people, as an estimate."""
    return Estimate(
        float(rise),
        image_low=max(float(rise - lo), 0.0) if np.isfinite(lo) else 0.0,
        image_high=max(float(hi - rise), 0.0) if np.isfinite(hi) else 0.0,
        networks=1,
    )


def mean_estimate(rows: pd.DataFrame, measure: str) -> Estimate:
    """The mean of ``measure`` over the networks of ``rows`` (one variant), its interval
    from their spread (Student's t) and their bootstrap distances (module docstring)."""
    if rows.empty:
        return Estimate(float("nan"))
    values = rows.set_index("network")[measure]
    below = float(np.nanmean(rows[measure] - rows[f"{measure}_lo"]))
    above = float(np.nanmean(rows[f"{measure}_hi"] - rows[measure]))
    image = (max(below, 0.0), max(above, 0.0)) if np.isfinite(below + above) else (0.0, 0.0)
    return estimate(values, image=image)


def split(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(trained networks' rows, untrained networks' rows)."""
    control = rows["network"].map(is_control)
    return rows[~control], rows[control]


def estimates(rows: pd.DataFrame) -> dict[tuple[str, str, str], Estimate]:
    """{(variant, measure, group): the mean estimate} of the per-network ``rows``."""
    rows = _checked(rows, _NEEDED, "tables")
    out = {}
    for group, part in zip((TRAINED, UNTRAINED), split(rows), strict=True):
        for variant, g in part.groupby("variant", sort=False):
            for m in MEASURES:
                out[variant, m, group] = mean_estimate(g, m)
    return out


def over_networks(rows: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """``results/tables/counterfactual.tsv`` from the per-network tables' ``rows`` (all
    networks concatenated) and the world's planted ``kinds``: per variant (in the tables'
    order) and measure, then one column per network with its own rise."""
    rows = _checked(rows, _NEEDED, "tables")
    est = estimates(rows)
    networks = list(dict.fromkeys(rows["network"]))
    per_net = rows.pivot_table(index="variant", columns="network", values=list(MEASURES))
    out = []
    for variant, g in rows.groupby("variant", sort=False):
        kind = g["kind"].iloc[0]
        for m in MEASURES:
            t = est.get((variant, m, TRAINED), Estimate(float("nan")))
            u = est.get((variant, m, UNTRAINED), Estimate(float("nan")))
            row = dict(
                variant=variant,
                kind=kind,
                planted=planted_kind(variant, kind, kinds),
                exact=bool(g["exact"].astype(bool).all()),
                measure=m,
                trained=t.networks,
                mean=t.value,
                low=t.low if np.isfinite(t.value) else np.nan,
                high=t.high if np.isfinite(t.value) else np.nan,
                untrained=u.networks,
                untrained_mean=u.value,
                untrained_low=u.low if np.isfinite(u.value) else np.nan,
                untrained_high=u.high if np.isfinite(u.value) else np.nan,
                caps="; ".join(t.caps),
            )
            row |= {n: per_net[m].get(n, pd.Series(dtype=float)).get(variant) for n in networks}
            out.append(row)
    return pd.DataFrame(out, columns=[*COLUMNS, *networks])


def depth_over_networks(depth: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """``results/tables/counterfactual_depth.tsv`` from the per-network depth tables
    (concatenated): per variant and probe point (in forward order), the sensitivity's
    mean and standard deviation over the trained networks and its mean over the
    untrained ones. Empty (with its columns) where no depth was measured."""
    needed = {"network", "variant", "kind", "point", "sensitivity"}
    if depth.empty:
        return pd.DataFrame(columns=DEPTH_COLUMNS)
    depth = _checked(depth, needed, "depth tables")
    trained, untrained = split(depth)
    key = ["variant", "kind", "point"]
    t = trained.groupby(key, sort=False)["sensitivity"].agg(["size", "mean", "std"])
    u = untrained.groupby(key, sort=False)["sensitivity"].agg(["size", "mean"])
    out = pd.merge(t, u, how="outer", on=key, suffixes=("_t", "_u")).reset_index()
    order = {v: k for k, v in enumerate(dict.fromkeys(depth["variant"]))}
    out = out.assign(
        order=out["variant"].map(order), depth=out["point"].map(point_index)
    ).sort_values(["order", "depth"])
    return pd.DataFrame(
        {
            "variant": out["variant"],
            "kind": out["kind"],
            "planted": [
                planted_kind(v, k, kinds) for v, k in zip(out.variant, out.kind, strict=True)
            ],
            "point": out["point"],
            "trained": out["size_t"].fillna(0).astype(int),
            "sensitivity": out["mean_t"],
            "sensitivity_sd": out["std"],
            "untrained": out["size_u"].fillna(0).astype(int),
            "untrained_sensitivity": out["mean_u"],
        },
        columns=DEPTH_COLUMNS,
    ).reset_index(drop=True)


def ordering(rows: pd.DataFrame, kinds: dict[str, str], measure: str = "fnmr_rise") -> list[dict]:
    """The stricter ordering, every identity-bound flip's rise above every per-image
    one's, per trained network and for their mean (network ``mean``): the lowest
    identity-bound and the highest per-image attribute, and the pairs (identity-bound,
    per-image) out of order; for the mean also those whose intervals overlap. Empty
    without flips of both kinds."""
    rows = _checked(rows, _NEEDED, "tables")
    flips = rows[rows["kind"] == FLIP].assign(planted=lambda r: r["variant"].map(kinds))
    trained, _ = split(flips)
    if not {"identity", "image"} <= set(trained["planted"]):
        return []
    est = estimates(trained)
    groups = [(n, g.set_index("variant")[measure]) for n, g in trained.groupby("network")]
    groups.append(("mean", pd.Series({v: e.value for (v, m, _), e in est.items() if m == measure})))
    out = []
    for network, rise in groups:
        ident = rise[[v for v in rise.index if kinds.get(v) == "identity"]].sort_values()
        image = rise[[v for v in rise.index if kinds.get(v) == "image"]].sort_values()
        order = dict(
            network=network,
            lowest_identity=(ident.index[0], float(ident.iloc[0])),
            highest_image=(image.index[-1], float(image.iloc[-1])),
            violations=[(a, b) for a in ident.index for b in image.index if ident[a] <= image[b]],
        )
        order["holds"] = not order["violations"]
        order["overlapping"] = []
        if network == "mean":
            e = {v: est[v, measure, TRAINED] for v in rise.index}
            order["overlapping"] = [
                (a, b)
                for a in ident.index
                for b in image.index
                if ident[a] > image[b] and e[a].low <= e[b].high
            ]
        out.append(order)
    return out


def used_context(rows: pd.DataFrame, kinds: dict[str, str], change: pd.DataFrame) -> dict:
    """What the summary's "Encoded or used" section shows: the flips ranked by the
    trained networks' mean FNMR rise (used), each beside its FMR rise, the untrained
    networks' rise and what the probes read (encoded: ``change``, the claims' depth
    table, its ``best_est`` and ``late_est``); then the nuisance controls."""
    rows = _checked(rows, _NEEDED, "tables")
    est = estimates(rows)
    probes = change.set_index("attribute") if len(change) else pd.DataFrame()
    nan = Estimate(float("nan"))

    def entry(variant: str, kind: str) -> dict:
        got = probes.loc[variant] if variant in probes.index else {}
        return dict(
            attribute=variant,
            planted=planted_kind(variant, kind, kinds),
            fnmr=est.get((variant, "fnmr_rise", TRAINED), nan),
            fmr=est.get((variant, "fmr_rise", TRAINED), nan),
            untrained=est.get((variant, "fnmr_rise", UNTRAINED), nan),
            best=got.get("best_est", nan) if len(got) else nan,
            deep=got.get("late_est", nan) if len(got) else nan,
        )

    variants = list(rows.drop_duplicates("variant")[["variant", "kind"]].itertuples(index=False))
    flips = [entry(v, k) for v, k in variants if k == FLIP]
    flips.sort(key=lambda r: -r["fnmr"].value if np.isfinite(r["fnmr"].value) else np.inf)
    trained, untrained = split(rows)
    return dict(
        flips=flips,
        controls=[entry(v, k) for v, k in variants if k == CONTROL],
        trained=trained["network"].nunique(),
        untrained=untrained["network"].nunique(),
        people=int(rows["people"].max()) if "people" in rows else None,
        fmr=float(rows["fmr_target"].iloc[0]) if "fmr_target" in rows else None,
    )
