"""``results/summary.md``: the claims of docs/protocol.md section 10, measured and judged.

Inputs:

- ``scores``: test scores, one row per (network, attribute, selection) with
  ``test_accuracy`` (fraction), selection ``multitask``/``layer``/``filter``/
  ``neuron`` (the Table I input), and optionally ``test_images`` and
  ``qda_reg``. May be ``None`` or empty: the claims that need test scores
  then fall back to the validation accuracy of the selected units (said so).
- ``table``: the accuracy table (``layer_accuracy.tsv``), with the control
  networks' rows (``random*``) and ``shuffled_accuracy`` where the run
  has them.
- ``world_kinds``: optional {attribute: ``identity``/``image``/``unrendered``}
  of a synthetic world (see :func:`world_kinds_from_json`), for the planted-truth
  section.
- ``val_rows``: validation images per attribute (2 x ``probe.val_per_class``).

Uncertainty. Every judged number is a mean over the trained networks with a
standard error that adds the spread over networks (std / sqrt(k), k >= 2)
and the binomial error of accuracy measured on n images (p(1 - p) / n; test
images for test scores, ``val_rows`` for validation curves). A threshold is
met ("yes") when the whole interval +-2 SE lies on its side, missed ("no")
when the whole interval lies on the other, and "borderline" otherwise. With
neither spread nor image count (the paper's own table) the value is taken
as exact. A claim is "not supported" if any check is missed, "borderline"
if none is missed but one is borderline, "partly tested" if every check
made is met but parts of the claim could not be checked, else "supported".

Control networks (``random*``, ``facecues.nets.names``) only enter claim (d);
every other number is over the trained networks.

The paper's thresholds and the attributes its claims name are quoted from
``facecues.literature``; the depth ranges (shallow, deep, the middle point)
come from the network's layout (``facecues.nets.layout.depths``); ``Z``,
``LEVEL`` and the tolerance ``tol`` are this project's own choices.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from facecues.io import write_text
from facecues.literature import (
    ALL_ATTRIBUTES,
    CLAIM_A_REFERENCE,
    FILTER_GAP,
    IDENTITY_ATTRIBUTES,
    NEURON_GAP,
    PAPER_FILTER_GAP,
    PAPER_NEURON_GAP,
    PER_IMAGE_ATTRIBUTES,
    SINGLE_NEURON_ACCURACY,
    SINGLE_NEURON_ATTRIBUTES,
    SUPERVISED_GAP,
    quoted,
)
from facecues.nets.layout import Depths, point_id, resnet50_depths
from facecues.nets.names import is_control
from facecues.results.selection import select_units, split_controls

SUPPORTED = "supported"
NOT_SUPPORTED = "not supported"
BORDERLINE = "borderline"
PARTLY = "partly tested"
NOT_TESTABLE = "not testable in this run"
RECOVERED = "recovered"
NOT_RECOVERED = "not recovered"

Z = 2.0  # half-width of an interval, in standard errors
LEVEL = 0.10  # "high" / "something to lose": at least 10 p.p. above chance (0.5)

DEPTHS = resnet50_depths()
EARLY, LATE = DEPTHS.shallow, DEPTHS.deep  # depth ranges (inclusive): L01-L04 and L45-L49
EARLY_LABEL, LATE_LABEL = Depths.label(EARLY), Depths.label(LATE)
D_DEPTHS = DEPTHS.table_depths  # claim (d)'s depth-by-depth table

# The attribute networks the paper compares single neurons with (as fractions).
LITERATURE = CLAIM_A_REFERENCE
LITERATURE_ROW = {a: v / 100 for a, v in quoted(LITERATURE).items()}
NEURON_LEVEL, SUPERVISED_GAP_PP = SINGLE_NEURON_ACCURACY / 100, SUPERVISED_GAP / 100


@dataclass
class Claim:
    """One judged claim: its key, statement, verdict, why, and the measurements."""

    key: str
    statement: str
    verdict: str
    why: str
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Estimate:
    """A mean with its standard error (None: no spread known, taken as exact)."""

    value: float
    se: float | None = None

    def check(self, threshold: float, above: bool) -> str:
        """ "yes" / "no" / "borderline": is the value above (or below) ``threshold``?"""
        if not np.isfinite(self.value):
            return "n/a"
        half = Z * self.se if self.se else 0.0
        lo, hi = self.value - half, self.value + half
        if above:
            return "yes" if lo > threshold else "no" if hi <= threshold else "borderline"
        return "yes" if hi < threshold else "no" if lo >= threshold else "borderline"

    def pct(self) -> str:
        return _pct(self.value) + (f" ± {100 * Z * self.se:.1f}" if self.se else "")

    def pp(self) -> str:
        return _pp(self.value) + (f" ± {100 * Z * self.se:.1f}" if self.se else "")


def estimate(per_network, binomial_var: float = 0.0) -> Estimate:
    """Mean of ``per_network`` values, SE from their spread (k >= 2) plus ``binomial_var``."""
    v = np.asarray(per_network, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return Estimate(float("nan"))
    var = (v.std(ddof=1) ** 2 / v.size if v.size > 1 else 0.0) + binomial_var
    known = v.size > 1 or binomial_var > 0
    return Estimate(float(v.mean()), math.sqrt(var) if known else None)


def binomial_var(p: float, n) -> float:
    """Variance of an accuracy ``p`` measured on ``n`` images (0 when n is unknown)."""
    if n is None or not np.isfinite(n) or n <= 0 or not np.isfinite(p):
        return 0.0
    return float(p * (1 - p) / n)


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


def world_kinds_from_json(path: str | Path) -> dict[str, str]:
    """{attribute: kind} from a synthetic world's ``world.json`` (its ``attributes`` entries)."""
    world = json.loads(Path(path).read_text())
    return {name: entry["kind"] for name, entry in world["attributes"].items()}


def _pct(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.1f}%"


def _pp(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:+.1f} p.p."


def _selected_scores(
    scores: pd.DataFrame | None, trained: pd.DataFrame, val_rows: int | None
) -> tuple[pd.DataFrame, str]:
    """(network, attribute, selection, accuracy, images) of trained networks and their
    source."""
    cols = ["network", "attribute", "selection", "accuracy", "images"]
    if scores is not None and len(scores):
        s = scores.copy()
        s["network"] = s["network"].astype(str)
        s = s[~s["network"].map(is_control)].dropna(subset=["test_accuracy"])
        if len(s):
            s = s.rename(columns={"test_accuracy": "accuracy"})
            s["images"] = s["test_images"] if "test_images" in s else np.nan
            return s[cols], "test"
    sel = select_units(trained) if len(trained) else pd.DataFrame()
    if sel.empty:
        return pd.DataFrame(columns=cols), "none"
    sel = sel.rename(columns={"val_accuracy": "accuracy"})
    sel["images"] = val_rows if val_rows else np.nan
    return sel[cols], "validation"


def _source_note(source: str) -> str:
    if source == "validation":
        return (
            "No test scores: validation accuracy of the units selected on validation "
            "(optimistic: selection and measurement on the same sample)."
        )
    return "CelebA test accuracy of the units selected on validation."


def _per_network(acc: pd.DataFrame, attribute: str, selection: str) -> tuple[pd.Series, float]:
    """Per-network accuracy of one (attribute, selection) and its images (NaN: unknown)."""
    a = acc[(acc["attribute"] == attribute) & (acc["selection"] == selection)]
    return a.groupby("network")["accuracy"].mean(), float(a["images"].mean()) if len(a) else np.nan


def _claim_a(acc: pd.DataFrame, source: str) -> Claim:
    statement = (
        f"Gender, eyeglasses and hat: over {SINGLE_NEURON_ACCURACY:.0f}% with a single neuron, "
        f"less than {SUPERVISED_GAP:.0f} p.p. below supervised attribute networks (the paper "
        f"compares with {LITERATURE})."
    )
    probed = [a for a in SINGLE_NEURON_ATTRIBUTES if len(_per_network(acc, a, "neuron")[0])]
    if not probed:
        return Claim(
            "a",
            statement,
            NOT_TESTABLE,
            "none of Male, Eyeglasses, Wearing_Hat has a best-neuron score.",
        )
    lines = [
        _source_note(source) + f" Intervals: ±{Z:.0f} SE (module docstring).",
        "",
        f"| attribute | best neuron | > {SINGLE_NEURON_ACCURACY:.0f}% | {LITERATURE} | gap | "
        f"< {SUPERVISED_GAP:.0f} p.p. | "
        "multitask (this run) | gap to multitask |",
        "|---|---:|:-:|---:|---:|:-:|---:|---:|",
    ]
    checks, fails = [], []
    for a in probed:
        neuron, n = _per_network(acc, a, "neuron")
        est = estimate(neuron, binomial_var(neuron.mean(), n))
        high = est.check(NEURON_LEVEL, above=True)
        lit = LITERATURE_ROW.get(a, np.nan)
        gap = Estimate(lit - est.value, est.se)
        close = gap.check(SUPERVISED_GAP_PP, above=False) if np.isfinite(lit) else "n/a"
        mt, _ = _per_network(acc, a, "multitask")
        paired = (mt - neuron).dropna()
        mt_gap = estimate(paired, binomial_var(mt.mean(), n) + binomial_var(neuron.mean(), n))
        checks += [high, close]
        fails += [f"{a}: neuron {est.pct()} vs {SINGLE_NEURON_ACCURACY:.0f}% ({high})"] * (
            high != "yes"
        )
        fails += [f"{a}: {gap.pp()} below {LITERATURE} ({close})"] * (close not in ("yes", "n/a"))
        lines.append(
            f"| {a} | {est.pct()} | {high} | {_pct(lit)} | {gap.pp()} | {close} | "
            f"{estimate(mt).pct() if len(mt) else 'n/a'} | "
            f"{mt_gap.pp() if len(paired) else 'n/a'} |"
        )
    missing = [f"not probed: {', '.join(a for a in SINGLE_NEURON_ATTRIBUTES if a not in probed)}"]
    missing = missing if len(probed) < len(SINGLE_NEURON_ATTRIBUTES) else []
    verdict = combine(checks, missing)
    why = "; ".join(fails) if fails else "every check met"
    why += "".join(f"; {m}" for m in missing)
    lines += [
        "",
        f"The gap is judged against {LITERATURE}, as in the paper; the gap to this run's "
        "multitask network is shown beside it, not judged.",
    ]
    return Claim("a", statement, verdict, why + ".", lines)


def _claim_b(acc: pd.DataFrame, source: str) -> Claim:
    statement = (
        f"Average over attributes: best neuron less than {NEURON_GAP:.0f} p.p. below the best "
        f"layer; best filter less than {FILTER_GAP:.0f} p.p. below."
    )
    sub = acc[acc["selection"].isin(["layer", "filter", "neuron"])]
    wide = sub.pivot_table(index=["network", "attribute"], columns="selection", values="accuracy")
    if not {"layer", "filter", "neuron"} <= set(wide.columns):
        return Claim("b", statement, NOT_TESTABLE, "this run lacks layer, filter or neuron scores.")
    wide = wide[["layer", "filter", "neuron"]].dropna()
    if wide.empty:
        return Claim("b", statement, NOT_TESTABLE, "no attribute has all three selections scored.")
    images = sub.groupby("attribute")["images"].mean()
    per_network = wide.groupby(level="network").mean()
    attrs = sorted(wide.index.get_level_values("attribute").unique())
    m = wide.groupby(level="attribute").mean()

    def gap(other: str) -> Estimate:
        var = (
            sum(
                binomial_var(m.loc[a, "layer"], images.get(a))
                + binomial_var(m.loc[a, other], images.get(a))
                for a in attrs
            )
            / len(attrs) ** 2
        )
        return estimate(per_network["layer"] - per_network[other], var)

    g_neuron, g_filter = gap("neuron"), gap("filter")
    c_neuron = g_neuron.check(NEURON_GAP / 100, above=False)
    c_filter = g_filter.check(FILTER_GAP / 100, above=False)
    lines = [
        _source_note(source),
        "",
        f"Average over {len(attrs)} attribute(s) (paper: all {ALL_ATTRIBUTES}), mean over "
        f"{len(per_network)} "
        "network(s):",
        f"- best layer {estimate(per_network['layer']).pct()}, best filter "
        f"{estimate(per_network['filter']).pct()}, best neuron "
        f"{estimate(per_network['neuron']).pct()}",
        f"- layer - neuron = {g_neuron.pp()} (claim < {NEURON_GAP:.0f} p.p.: {c_neuron}; paper "
        f"{PAPER_NEURON_GAP})",
        f"- layer - filter = {g_filter.pp()} (claim < {FILTER_GAP:.0f} p.p.: {c_filter}; paper "
        f"{PAPER_FILTER_GAP})",
    ]
    why = (
        f"layer - neuron {g_neuron.pp()} ({c_neuron}), layer - filter {g_filter.pp()} ({c_filter})"
    )
    if len(attrs) < ALL_ATTRIBUTES:
        why += f"; over the {len(attrs)} probed attribute(s), not all {ALL_ATTRIBUTES}"
    return Claim("b", statement, combine([c_neuron, c_filter], []), why + ".", lines)


def _layer_rows(table: pd.DataFrame, value: str = "accuracy") -> pd.DataFrame:
    t = table[(table["probe"] == "layer")] if "probe" in table else table.iloc[:0]
    return t.dropna(subset=[value]) if value in t else t.iloc[:0]


def depth_change(
    trained: pd.DataFrame,
    early: tuple[int, int] = EARLY,
    late: tuple[int, int] = LATE,
    val_rows: int | None = None,
) -> pd.DataFrame:
    """Per attribute: whole-layer accuracy early and late, mean over points then networks.

    Columns: attribute, early, late, change (late - early), best (mean over
    networks of the best point's accuracy), overall (mean over all points and
    networks), and ``early_est``/``late_est``/``change_est``/``best_est``
    (:class:`Estimate`; binomial part from ``val_rows``). Attributes lacking a
    depth range have NaN there.
    """
    t = _layer_rows(trained)
    cols = ["attribute", "early", "late", "change", "best", "overall"]
    if t.empty:
        return pd.DataFrame(columns=cols + ["early_est", "late_est", "change_est", "best_est"])

    def span(lo, hi):
        s = t[(t["depth"] >= lo) & (t["depth"] <= hi)]
        return s.groupby(["attribute", "network"])["accuracy"].mean()

    per = pd.DataFrame({"early": span(*early), "late": span(*late)})
    per["change"] = per["late"] - per["early"]
    per["best"] = t.groupby(["attribute", "network"])["accuracy"].max()
    per["overall"] = t.groupby(["attribute", "network"])["accuracy"].mean()
    rows = []
    for attr in sorted(t["attribute"].unique()):
        g = per.loc[attr] if attr in per.index.get_level_values(0) else per.iloc[:0]
        e, l_ = g["early"].mean(), g["late"].mean()
        row = {c: g[c].mean() for c in ("early", "late", "change", "best", "overall")}
        row["attribute"] = attr
        row["early_est"] = estimate(g["early"], binomial_var(e, val_rows))
        row["late_est"] = estimate(g["late"], binomial_var(l_, val_rows))
        row["change_est"] = estimate(
            g["change"].dropna(), binomial_var(e, val_rows) + binomial_var(l_, val_rows)
        )
        row["best_est"] = estimate(g["best"], binomial_var(g["best"].mean(), val_rows))
        rows.append(row)
    return pd.DataFrame(rows)[cols + ["early_est", "late_est", "change_est", "best_est"]]


def _depth_rows(d: pd.DataFrame, kinds: dict[str, str] | None = None) -> list[str]:
    head = (
        "| attribute | "
        + ("kind | " if kinds else "")
        + f"{EARLY_LABEL} | {LATE_LABEL} | change | best layer |"
    )
    lines = [head, "|---|" + ("---|" if kinds else "") + "---:|---:|---:|---:|"]
    for r in d.sort_values("change").itertuples():
        kind = f"{kinds.get(r.attribute, '?')} | " if kinds else ""
        lines.append(
            f"| {r.attribute} | {kind}{r.early_est.pct()} | {r.late_est.pct()} | "
            f"{r.change_est.pp()} | {r.best_est.pct()} |"
        )
    return lines


def _claim_c(d: pd.DataFrame, tol: float) -> Claim:
    statement = (
        "Attributes that vary within an identity (Pale_Skin, Blurry, Mouth_Slightly_Open, "
        "Smiling) lose accuracy with depth; identity-bound ones (Eyeglasses, Wearing_Hat, "
        "Male, hair colour) stay high."
    )
    ok_rows = d.dropna(subset=["change"])
    per_image = ok_rows[ok_rows["attribute"].isin(PER_IMAGE_ATTRIBUTES)]
    identity = ok_rows[ok_rows["attribute"].isin(IDENTITY_ATTRIBUTES)]
    if per_image.empty and identity.empty:
        why = (
            f"no whole-layer accuracy at both {EARLY_LABEL} and {LATE_LABEL} for any of the "
            "named attributes."
        )
        return Claim("c", statement, NOT_TESTABLE, why, _depth_rows(d) if len(d) else [])
    level = 0.5 + LEVEL
    lines = [
        f"Whole-layer validation accuracy, mean over {EARLY_LABEL} vs mean over {LATE_LABEL} "
        "(mean over "
        f"trained networks, ±{Z:.0f} SE). A per-image attribute 'loses' when it starts above "
        f"{_pct(level)} and its change is below -{100 * tol:.0f} p.p.; an identity-bound one "
        f"'stays high' when its change is above -{100 * tol:.0f} p.p. and its {LATE_LABEL} "
        f"accuracy is above {_pct(level)} (a trend alone would call chance-level curves 'high').",
        "",
        "| attribute | group | level | trend |",
        "|---|---|:-:|:-:|",
    ]
    checks, fails = [], []
    for r in per_image.itertuples():
        lv, tr = r.early_est.check(level, above=True), r.change_est.check(-tol, above=False)
        checks += [lv, tr]
        lines.append(
            f"| {r.attribute} | per-image | starts at {r.early_est.pct()}: {lv} | "
            f"{r.change_est.pp()}: {tr} |"
        )
        if "yes" not in (lv,) or tr != "yes":
            fails.append(f"{r.attribute} (start {lv}, loses {tr})")
    for r in identity.itertuples():
        lv, tr = r.late_est.check(level, above=True), r.change_est.check(-tol, above=True)
        checks += [lv, tr]
        lines.append(
            f"| {r.attribute} | identity-bound | ends at {r.late_est.pct()}: {lv} | "
            f"{r.change_est.pp()}: {tr} |"
        )
        if lv != "yes" or tr != "yes":
            fails.append(f"{r.attribute} (high {lv}, stays {tr})")
    lines.append("")
    for name, g in (("per-image", per_image), ("identity-bound", identity)):
        if len(g):
            lines.append(
                f"- {name}: mean change {_pp(g['change'].mean())} over {', '.join(g['attribute'])}"
            )
        else:
            lines.append(f"- {name}: none probed")
    lines += ["", *_depth_rows(d)]
    missing = [
        f"no {n} attribute probed"
        for n, g in (("per-image", per_image), ("identity-bound", identity))
        if g.empty
    ]
    verdict = combine(checks, missing)
    why = (
        ("against or unsure: " + ", ".join(fails))
        if fails
        else "every probed attribute behaves as claimed, in level and trend"
    )
    why += "".join(f"; {m}" for m in missing)
    return Claim("c", statement, verdict, why + ".", lines)


def _group_of(attribute: str, kinds: dict[str, str] | None) -> str:
    if kinds and attribute in kinds:
        return {"identity": "identity-bound", "image": "per-image"}.get(kinds[attribute], "other")
    if attribute in IDENTITY_ATTRIBUTES:
        return "identity-bound"
    return "per-image" if attribute in PER_IMAGE_ATTRIBUTES else "other"


def selectivity_by_depth(
    trained: pd.DataFrame,
    controls: pd.DataFrame,
    kinds: dict[str, str] | None = None,
    val_rows: int | None = None,
    depths=D_DEPTHS,
) -> pd.DataFrame:
    """Whole-layer accuracy per (attribute group, depth): trained, untrained, shuffled labels.

    Mean over the group's attributes of the per-network means; ``selectivity``
    = trained - untrained (an :class:`Estimate` with the spread over trained
    networks and over untrained ones, and the binomial part from ``val_rows``).
    """
    t, c = _layer_rows(trained), _layer_rows(controls)
    out = []
    groups = {a: _group_of(a, kinds) for a in t["attribute"].unique()}
    for group in ("identity-bound", "per-image", "other", "all"):
        attrs = sorted(a for a, g in groups.items() if g == group or group == "all")
        if not attrs or (group == "all" and len(set(groups.values())) == 1):
            continue
        for depth in depths:
            tt = t[(t["depth"] == depth) & t["attribute"].isin(attrs)]
            cc = c[(c["depth"] == depth) & c["attribute"].isin(attrs)]
            if tt.empty:
                continue
            tr = tt.groupby("network")["accuracy"].mean()
            ct = cc.groupby("network")["accuracy"].mean()
            bvar = (
                sum(binomial_var(tt[tt.attribute == a]["accuracy"].mean(), val_rows) for a in attrs)
                / len(attrs) ** 2
            )
            trained_est = estimate(tr, bvar)
            control_est = estimate(ct, bvar) if len(ct) else Estimate(float("nan"))
            se = None
            if trained_est.se is not None or control_est.se is not None:
                se = math.sqrt((trained_est.se or 0) ** 2 + (control_est.se or 0) ** 2)
            sh = tt["shuffled_accuracy"].dropna() if "shuffled_accuracy" in tt else pd.Series()
            out.append(
                {
                    "group": group,
                    "depth": depth,
                    "point": point_id(depth),
                    "attributes": len(attrs),
                    "trained": trained_est,
                    "untrained": control_est,
                    "selectivity": Estimate(trained_est.value - control_est.value, se),
                    "shuffled": float(sh.mean()) if len(sh) else float("nan"),
                }
            )
    return pd.DataFrame(out)


def _claim_d(trained: pd.DataFrame, controls: pd.DataFrame, tol: float, kinds, val_rows) -> Claim:
    statement = (
        f"Open question: are shallow layers ({EARLY_LABEL}) discriminative only because they are "
        "high-dimensional? Read as the claim 'an untrained network of the same architecture "
        "does as well there' (selectivity = trained - untrained below "
        f"{100 * tol:.0f} p.p.); shuffled-label probes check that the probe itself stays at "
        "chance."
    )
    if controls.empty or _layer_rows(controls).empty:
        return Claim(
            "d",
            statement,
            NOT_TESTABLE,
            "the accuracy table has no control networks (networks named random*; config "
            "controls.random_networks).",
        )
    table = selectivity_by_depth(trained, controls, kinds, val_rows)
    n_random = controls["network"].nunique()
    lines = [
        f"Whole-layer validation accuracy, mean over attributes of each group; trained: mean "
        f"over {trained['network'].nunique()} network(s), untrained: over {n_random} "
        f"(random weights, same architecture); shuffled: the trained networks' probes refitted "
        f"on permuted labels. ±{Z:.0f} SE.",
        "",
        "| group | point | attributes | trained | untrained | selectivity | shuffled labels |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.group} | {r.point} | {r.attributes} | {r.trained.pct()} | "
            f"{r.untrained.pct()} | {r.selectivity.pp()} | {_pct(r.shuffled)} |"
        )
    overall = "all" if (table["group"] == "all").any() else table["group"].iloc[0]
    main = table[table["group"] == overall]
    shallow = main[main["depth"] <= EARLY[1]]
    sel = shallow["selectivity"].tolist()
    shallow_est = Estimate(
        float(np.mean([e.value for e in sel])),
        float(np.mean([e.se for e in sel])) if all(e.se for e in sel) else None,
    )
    check = shallow_est.check(tol, above=False)
    first = main[[e.check(tol, above=True) == "yes" for e in main["selectivity"]]]
    lines += [
        "",
        f"- {EARLY_LABEL}, {overall} attributes: selectivity {shallow_est.pp()} "
        f"(untrained {_pct(np.mean([e.value for e in shallow['untrained']]))}, "
        f"trained {_pct(np.mean([e.value for e in shallow['trained']]))}).",
        "- first point of the table where training clearly adds (selectivity above "
        f"{100 * tol:.0f} p.p. with its whole interval): "
        + (first["point"].iloc[0] if len(first) else "none"),
    ]
    why = {
        "yes": f"an untrained network does as well at {EARLY_LABEL}: there, accuracy comes from "
        "the layers' size and the input, not from learning",
        "no": f"trained networks beat untrained ones already at {EARLY_LABEL}: shallow accuracy "
        "reflects learned features, not dimensionality alone",
        "borderline": f"the trained - untrained difference at {EARLY_LABEL} is within its "
        "uncertainty "
        "of the threshold",
    }.get(check, "no shallow points")
    checks = [check]
    shuffled = _layer_rows(trained, "shuffled_accuracy")
    missing = []
    if shuffled.empty:
        missing.append("no shuffled-label control in this run")
    else:
        # binomial part: every attribute's validation images once (the points are not
        # independent measurements, so they are not counted as more images)
        n = val_rows * shuffled["attribute"].nunique() if val_rows else None
        est = estimate(
            shuffled.groupby("network")["shuffled_accuracy"].mean(), binomial_var(0.5, n)
        )
        at_chance = Estimate(abs(est.value - 0.5), est.se).check(tol, above=False)
        checks.append(at_chance)
        lines.append(
            f"- shuffled-label probes, all points and attributes: {est.pct()} "
            f"(chance 50%: {at_chance})"
        )
        why += "; shuffled-label probes " + (
            "stay at chance" if at_chance == "yes" else f"at chance: {at_chance}"
        )
    return Claim("d", statement, combine(checks, missing), why + ".", lines)


def fallback_counts(table: pd.DataFrame, scores: pd.DataFrame | None) -> list[str]:
    """Lines of summary.md: how often the regularised QDA fallback fired, per probe kind."""
    if "qda_reg" not in table:
        return ["The accuracy table has no qda_reg column (made by an older facecues)."]
    t = table.assign(
        kind=np.where(table["network"].astype(str).map(is_control), "untrained", "trained")
    )
    g = t.groupby(["probe", "kind"])["qda_reg"]
    counts = pd.DataFrame({"fired": g.apply(lambda r: int((r > 0).sum())), "fits": g.size()})
    lines = [
        "QDA probes whose unregularised fit was singular and used the fallback reg_param "
        "(facecues.probes.qda), on validation:",
        "",
        "| probe | network | fallback | fits | share |",
        "|---|---|---:|---:|---:|",
    ]
    for (probe, net), r in counts.iterrows():
        lines.append(f"| {probe} | {net} | {r.fired:,} | {r.fits:,} | {_pct(r.fired / r.fits)} |")
    if scores is not None and "qda_reg" in scores and len(scores):
        s = scores.dropna(subset=["qda_reg"])
        fired = s[s["qda_reg"] > 0].groupby("selection").size()
        lines += [
            "",
            "On test: "
            + ", ".join(
                f"{sel} {int(fired.get(sel, 0))} of {n}"
                for sel, n in s.groupby("selection").size().items()
            )
            + ".",
        ]
    return lines


def _planted(d: pd.DataFrame, world_kinds: dict[str, str], tol: float) -> Claim:
    statement = (
        "Planted truth of the synthetic world: per-image attributes lose more accuracy with "
        "depth than identity-bound ones; unrendered attributes stay at chance."
    )
    d = d[d["attribute"].isin(world_kinds)].copy()
    d["kind"] = d["attribute"].map(world_kinds)
    if d.empty:
        return Claim(
            "planted", statement, NOT_TESTABLE, "no probed attribute is in the world's list."
        )
    groups = d.dropna(subset=["change"]).groupby("kind")["change"].mean()
    lines = []
    for kind in ("identity", "image", "unrendered"):
        g = d[d["kind"] == kind]
        if len(g):
            lines.append(
                f"- {kind} ({len(g)}): {EARLY_LABEL} {_pct(g['early'].mean())}, {LATE_LABEL} "
                f"{_pct(g['late'].mean())}, change {_pp(g['change'].mean())}, best layer "
                f"{_pct(g['best'].mean())}, mean over points {_pct(g['overall'].mean())}"
            )
    checks, why = [], []
    if "identity" in groups and "image" in groups:
        diff = groups["image"] - groups["identity"]
        ok = diff < -tol
        checks.append(ok)
        why.append(
            f"per-image minus identity-bound change {_pp(diff)} (needs < -{100 * tol:.0f} p.p.)"
        )
    un = d[d["kind"] == "unrendered"]
    if len(un):
        dev = abs(float(un["overall"].mean()) - 0.5)
        ok = dev <= tol
        checks.append(ok)
        why.append(
            f"unrendered attributes {'at' if ok else 'off'} chance "
            f"({_pct(un['overall'].mean())} over all points)"
        )
    lines += ["", *_depth_rows(d, world_kinds)]
    if not checks:
        return Claim(
            "planted",
            statement,
            NOT_TESTABLE,
            "needs identity-bound and per-image attributes, or unrendered ones, "
            "with whole-layer accuracy at both depth ranges.",
            lines,
        )
    return Claim(
        "planted",
        statement,
        RECOVERED if all(checks) else NOT_RECOVERED,
        "; ".join(why) + ".",
        lines,
    )


def evaluate_claims(
    scores: pd.DataFrame | None,
    table: pd.DataFrame,
    world_kinds: dict[str, str] | None = None,
    tol: float = 0.02,
    val_rows: int | None = None,
) -> list[Claim]:
    """Claims (a)-(d) of docs/protocol.md section 10, plus the planted truth when ``world_kinds``.

    ``tol`` (fraction) is the margin used for "loses / stays" (c), the
    trained-vs-untrained selectivity and the shuffled-label chance band (d),
    and the planted-truth checks. ``val_rows``: validation images per
    attribute (binomial error of validation accuracies; None: unknown).
    """
    trained, controls = split_controls(table)
    acc, source = _selected_scores(scores, trained, val_rows)
    d = depth_change(trained, val_rows=val_rows)
    claims = [
        _claim_a(acc, source),
        _claim_b(acc, source),
        _claim_c(d, tol),
        _claim_d(trained, controls, tol, world_kinds, val_rows),
    ]
    if world_kinds:
        claims.append(_planted(d, world_kinds, tol))
    return claims


def render_summary(
    claims: list[Claim], table: pd.DataFrame, scores: pd.DataFrame | None = None
) -> str:
    """Markdown text of the summary."""
    trained, controls = split_controls(table)
    out = [
        "# Summary: the paper's claims in this run",
        "",
        f"Trained networks: {trained['network'].nunique()} "
        f"({', '.join(sorted(trained['network'].unique()))}); attributes probed: "
        f"{trained['attribute'].nunique()}; control networks: "
        f"{', '.join(sorted(controls['network'].unique())) or 'none'}.",
        "",
        "| claim | verdict |",
        "|---|---|",
    ]
    for c in claims:
        short = "Planted truth of the synthetic world" if c.key == "planted" else c.statement
        out.append(f"| ({c.key}) {short} | {c.verdict} |")
    out += [
        "",
        f"Verdicts: a check is met when its whole ±{Z:.0f} SE interval (spread over networks "
        "plus the binomial error of the images it was measured on) lies on the claimed side, "
        "borderline when the threshold lies inside it; 'partly tested' when every check made "
        "is met but parts of the claim could not be checked here.",
    ]
    for c in claims:
        title = "Planted truth" if c.key == "planted" else f"Claim ({c.key})"
        out += ["", f"## {title}", "", c.statement, "", f"**Verdict: {c.verdict}.** {c.why}"]
        if c.lines:
            out += ["", *c.lines]
    out += ["", "## QDA fallback", "", *fallback_counts(table, scores)]
    return "\n".join(out) + "\n"


def write_summary(
    scores: pd.DataFrame | None,
    table: pd.DataFrame,
    world_kinds: dict[str, str] | None,
    path: str | Path,
    val_rows: int | None = None,
) -> list[Claim]:
    """Write ``results/summary.md``: each claim with its measured values and verdict.

    ``scores`` may be ``None`` (validation fallback), ``world_kinds`` ``None``
    (no planted-truth section). Returns the judged claims.
    """
    claims = evaluate_claims(scores, table, world_kinds, val_rows=val_rows)
    write_text(path, render_summary(claims, table, scores))
    return claims
