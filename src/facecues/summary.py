"""``results/summary.md``: the claims of PROTOCOL.md section 10, measured and judged.

Inputs:

- ``scores``: test scores, one row per (seed, attribute, selection) with
  ``test_accuracy`` (fraction), selection ``multitask``/``layer``/``filter``/
  ``neuron`` (the Table I input). May be ``None`` or empty: the claims that
  need test scores then fall back to the validation accuracy of the selected
  units (said so in the summary).
- ``table``: the accuracy table (``layer_accuracy.tsv``).
- ``world_kinds``: optional {attribute: ``identity``/``image``/``unrendered``}
  of a synthetic world (see :func:`world_kinds_from_json`), for the planted-truth
  section.

Seeds named ``random*`` / ``shuffled*`` are control networks: they only enter
claim (d); every other number is over the trained networks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .selection import is_control_seed, select_units

SUPPORTED = "supported"
NOT_SUPPORTED = "not supported"
NOT_TESTABLE = "not testable in this run"
RECOVERED = "recovered"
NOT_RECOVERED = "not recovered"

SINGLE_NEURON_ATTRIBUTES = ("Male", "Eyeglasses", "Wearing_Hat")
PER_IMAGE_ATTRIBUTES = ("Pale_Skin", "Blurry", "Mouth_Slightly_Open", "Smiling")
IDENTITY_ATTRIBUTES = (
    "Eyeglasses",
    "Wearing_Hat",
    "Male",
    "Black_Hair",
    "Blond_Hair",
    "Brown_Hair",
    "Gray_Hair",
)
EARLY, LATE = (1, 4), (45, 49)  # depth ranges (inclusive): L01-L04 and L45-L49


@dataclass
class Claim:
    """One judged claim: its key, statement, verdict, why, and the measurements."""

    key: str
    statement: str
    verdict: str
    why: str
    lines: list[str] = field(default_factory=list)


def world_kinds_from_json(path: str | Path) -> dict[str, str]:
    """{attribute: kind} from a synthetic world's ``world.json`` (its ``attributes`` entries)."""
    world = json.loads(Path(path).read_text())
    return {name: entry["kind"] for name, entry in world["attributes"].items()}


def _pct(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.1f}%"


def _pp(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:+.1f} p.p."


def _split(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    t = table.copy()
    t["seed"] = t["seed"].astype(str)
    control = t["seed"].map(is_control_seed)
    return t[~control], t[control]


def _selected_scores(
    scores: pd.DataFrame | None, trained: pd.DataFrame
) -> tuple[pd.DataFrame, str]:
    """(seed, attribute, selection, accuracy) of trained seeds and where it comes from."""
    if scores is not None and len(scores):
        s = scores.copy()
        s["seed"] = s["seed"].astype(str)
        s = s[~s["seed"].map(is_control_seed)].dropna(subset=["test_accuracy"])
        if len(s):
            s = s.rename(columns={"test_accuracy": "accuracy"})
            return s[["seed", "attribute", "selection", "accuracy"]], "test"
    sel = select_units(trained) if len(trained) else pd.DataFrame()
    if sel.empty:
        return pd.DataFrame(columns=["seed", "attribute", "selection", "accuracy"]), "none"
    sel = sel.rename(columns={"val_accuracy": "accuracy"})
    return sel[["seed", "attribute", "selection", "accuracy"]], "validation"


def _source_note(source: str) -> str:
    if source == "validation":
        return (
            "No test scores: validation accuracy of the units selected on validation "
            "(optimistic: selection and measurement on the same sample)."
        )
    return "CelebA test accuracy of the units selected on validation."


def _claim_a(acc: pd.DataFrame, source: str) -> Claim:
    statement = (
        "Gender, eyeglasses and hat: over 96% with a single neuron, "
        "less than 3 p.p. below a supervised (multitask) network."
    )
    means = acc.groupby(["attribute", "selection"])["accuracy"].mean()
    probed = [a for a in SINGLE_NEURON_ATTRIBUTES if (a, "neuron") in means.index]
    if not probed:
        return Claim(
            "a",
            statement,
            NOT_TESTABLE,
            "none of Male, Eyeglasses, Wearing_Hat has a best-neuron score.",
        )
    lines = [
        _source_note(source),
        "",
        "| attribute | best neuron | multitask | gap | > 96% | gap < 3 p.p. |",
        "|---|---:|---:|---:|:-:|:-:|",
    ]
    fails, gaps_tested = [], 0
    for a in probed:
        n = float(means[(a, "neuron")])
        m = float(means.get((a, "multitask"), np.nan))
        high = n > 0.96
        gap = m - n if np.isfinite(m) else np.nan
        close = bool(gap < 0.03) if np.isfinite(gap) else None
        gaps_tested += close is not None
        if not high:
            fails.append(f"{a} neuron {_pct(n)} is not above 96%")
        if close is False:
            fails.append(f"{a} neuron {_pp(gap)} below multitask")
        lines.append(
            f"| {a} | {_pct(n)} | {_pct(m)} | {_pp(gap)} | {'yes' if high else 'no'} | "
            f"{'n/a' if close is None else ('yes' if close else 'no')} |"
        )
    missing = [a for a in SINGLE_NEURON_ATTRIBUTES if a not in probed]
    why = []
    if missing:
        why.append(f"not probed: {', '.join(missing)}")
    if not gaps_tested:
        why.append("no multitask scores, so only the > 96% half is tested")
    verdict = NOT_SUPPORTED if fails else SUPPORTED
    why.insert(0, "; ".join(fails) if fails else "all tested thresholds met")
    return Claim("a", statement, verdict, "; ".join(why) + ".", lines)


def _claim_b(acc: pd.DataFrame, source: str) -> Claim:
    statement = (
        "Average over attributes: best neuron less than 6 p.p. below the best layer; "
        "best filter less than 4 p.p. below."
    )
    wide = acc[acc["selection"].isin(["layer", "filter", "neuron"])].pivot_table(
        index=["seed", "attribute"], columns="selection", values="accuracy"
    )
    if not {"layer", "filter", "neuron"} <= set(wide.columns):
        return Claim("b", statement, NOT_TESTABLE, "this run lacks layer, filter or neuron scores.")
    wide = wide[["layer", "filter", "neuron"]].dropna()
    if wide.empty:
        return Claim("b", statement, NOT_TESTABLE, "no attribute has all three selections scored.")
    per_seed = wide.groupby(level="seed").mean()
    m = per_seed.mean()
    n_attr = wide.index.get_level_values("attribute").nunique()
    g_neuron, g_filter = m["layer"] - m["neuron"], m["layer"] - m["filter"]
    lines = [
        _source_note(source),
        "",
        f"Average over {n_attr} attribute(s) (paper: all 40), mean over {len(per_seed)} seed(s):",
        f"- best layer {_pct(m['layer'])}, best filter {_pct(m['filter'])}, "
        f"best neuron {_pct(m['neuron'])}",
        f"- layer - neuron = {_pp(g_neuron)} (claim < 6 p.p.; paper 5.7)",
        f"- layer - filter = {_pp(g_filter)} (claim < 4 p.p.; paper 3.6)",
    ]
    ok = g_neuron < 0.06 and g_filter < 0.04
    fails = [f"layer - neuron {_pp(g_neuron)} is not below 6 p.p."] * bool(g_neuron >= 0.06)
    fails += [f"layer - filter {_pp(g_filter)} is not below 4 p.p."] * bool(g_filter >= 0.04)
    why = "; ".join(fails) + "." if fails else "both gaps below their thresholds."
    if n_attr < 40:
        why += f" Only {n_attr} of 40 attributes probed."
    return Claim("b", statement, SUPPORTED if ok else NOT_SUPPORTED, why, lines)


def depth_change(
    trained: pd.DataFrame, early: tuple[int, int] = EARLY, late: tuple[int, int] = LATE
) -> pd.DataFrame:
    """Per attribute: whole-layer accuracy (mean over points, then seeds) early and late.

    Columns: attribute, early, late, change (late - early), best (mean over seeds
    of the best point's accuracy), overall (mean over all points and seeds).
    Attributes lacking either depth range have NaN there.
    """
    t = trained[trained["probe"] == "layer"].dropna(subset=["accuracy"])
    cols = ["attribute", "early", "late", "change", "best", "overall"]
    if t.empty:
        return pd.DataFrame(columns=cols)

    def span(lo, hi):
        s = t[(t["depth"] >= lo) & (t["depth"] <= hi)]
        return s.groupby(["attribute", "seed"])["accuracy"].mean().groupby("attribute").mean()

    out = pd.DataFrame({"early": span(*early), "late": span(*late)})
    out = out.reindex(sorted(t["attribute"].unique()))
    out["change"] = out["late"] - out["early"]
    out["best"] = t.groupby(["attribute", "seed"])["accuracy"].max().groupby("attribute").mean()
    out["overall"] = t.groupby(["attribute", "seed"])["accuracy"].mean().groupby("attribute").mean()
    return out.rename_axis("attribute").reset_index()[cols]


def _depth_rows(d: pd.DataFrame, kinds: dict[str, str] | None = None) -> list[str]:
    head = (
        "| attribute | "
        + ("kind | " if kinds else "")
        + "L01-L04 | L45-L49 | change | best layer |"
    )
    lines = [head, "|---|" + ("---|" if kinds else "") + "---:|---:|---:|---:|"]
    for r in d.sort_values("change").itertuples():
        kind = f"{kinds.get(r.attribute, '?')} | " if kinds else ""
        lines.append(
            f"| {r.attribute} | {kind}{_pct(r.early)} | {_pct(r.late)} | {_pp(r.change)} | "
            f"{_pct(r.best)} |"
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
        why = "no whole-layer accuracy at both L01-L04 and L45-L49 for any of the named attributes."
        return Claim("c", statement, NOT_TESTABLE, why, _depth_rows(d) if len(d) else [])
    lines = [
        "Whole-layer validation accuracy, mean over L01-L04 vs mean over L45-L49 "
        f"(mean over trained seeds). 'Loses' = change below -{100 * tol:.0f} p.p.; "
        f"'stays' = change above -{100 * tol:.0f} p.p.",
        "",
    ]
    fails = [
        f"{a} (change {_pp(c)})"
        for a, c in zip(per_image["attribute"], per_image["change"], strict=True)
        if not c < -tol
    ]
    fails += [
        f"{a} (change {_pp(c)})"
        for a, c in zip(identity["attribute"], identity["change"], strict=True)
        if not c > -tol
    ]
    for name, g in (("per-image", per_image), ("identity-bound", identity)):
        if len(g):
            lines.append(
                f"- {name}: mean change {_pp(g['change'].mean())} over {', '.join(g['attribute'])}"
            )
        else:
            lines.append(f"- {name}: none probed")
    lines += ["", *_depth_rows(d)]
    if fails:
        return Claim(
            "c", statement, NOT_SUPPORTED, "against the claim: " + ", ".join(fails) + ".", lines
        )
    why = "every probed attribute of both groups behaves as claimed."
    if per_image.empty or identity.empty:
        why = "only one group probed; " + why
    return Claim("c", statement, SUPPORTED, why, lines)


def _claim_d(trained: pd.DataFrame, controls: pd.DataFrame, tol: float) -> Claim:
    statement = (
        "Open question: are shallow layers discriminative only because they are "
        "high-dimensional? A random-weight network and a shuffled-label control answer it."
    )
    if controls.empty:
        return Claim(
            "d",
            statement,
            NOT_TESTABLE,
            "the accuracy table has no control networks (seeds named random* or shuffled*).",
        )
    base = depth_change(trained)
    lines, verdicts, why = [], [], []
    for prefix, label in (
        ("random", "random-weight network"),
        ("shuffled", "shuffled-label network"),
    ):
        c = controls[controls["seed"].str.startswith(prefix)]
        if c.empty:
            lines.append(f"- {label}: not in this run")
            why.append(f"no {label} in this run")
            continue
        d = depth_change(c).merge(base, on="attribute", suffixes=("_control", "_trained"))
        if d.empty:
            lines.append(f"- {label}: no attribute shared with the trained networks")
            continue
        early_gap = float((d["early_trained"] - d["early_control"]).mean())
        m = d.mean(numeric_only=True)
        lines.append(
            f"- {label} ({c['seed'].nunique()} network(s), {len(d)} attribute(s)): "
            f"L01-L04 {_pct(m['early_control'])} vs trained {_pct(m['early_trained'])} "
            f"(trained - control {_pp(early_gap)}); best layer {_pct(m['best_control'])} "
            f"vs {_pct(m['best_trained'])}; mean over all points {_pct(m['overall_control'])}"
        )
        if prefix == "random":
            learned = early_gap >= tol
            verdicts.append(learned)
            why.append(
                f"trained minus random weights at L01-L04: {_pp(early_gap)}, "
                + (
                    "so shallow accuracy reflects learned features, not dimensionality alone"
                    if learned
                    else "random weights do about as well: dimensionality (and the input itself) "
                    "explain shallow-layer accuracy"
                )
            )
        else:
            at_chance = abs(float(d["overall_control"].mean()) - 0.5) <= tol
            verdicts.append(at_chance)
            why.append(
                "shuffled-label probes "
                + (
                    "stay at chance: the probe does not manufacture accuracy"
                    if at_chance
                    else "are not at chance: the probe overfits or labels leak"
                )
            )
    if not verdicts:
        return Claim(
            "d",
            statement,
            NOT_TESTABLE,
            "controls share no attribute with the trained networks.",
            lines,
        )
    verdict = SUPPORTED if all(verdicts) else NOT_SUPPORTED
    lines.insert(
        0,
        "Read as the claim 'shallow-layer accuracy reflects learned features' "
        f"(tolerance {100 * tol:.0f} p.p.).",
    )
    return Claim("d", statement, verdict, "; ".join(why) + ".", lines)


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
                f"- {kind} ({len(g)}): L01-L04 {_pct(g['early'].mean())}, L45-L49 "
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
) -> list[Claim]:
    """Claims (a)-(d) of PROTOCOL.md section 10, plus the planted truth when ``world_kinds``.

    ``tol`` (fraction) is the margin used for "loses / stays" (c), the
    trained-vs-random gap and the shuffled-label chance band (d), and the
    planted-truth checks.
    """
    trained, controls = _split(table)
    acc, source = _selected_scores(scores, trained)
    d = depth_change(trained)
    claims = [
        _claim_a(acc, source),
        _claim_b(acc, source),
        _claim_c(d, tol),
        _claim_d(trained, controls, tol),
    ]
    if world_kinds:
        claims.append(_planted(d, world_kinds, tol))
    return claims


def render_summary(claims: list[Claim], table: pd.DataFrame) -> str:
    """Markdown text of the summary."""
    trained, controls = _split(table)
    out = [
        "# Summary: the paper's claims in this run",
        "",
        f"Trained networks: {trained['seed'].nunique()} "
        f"({', '.join(sorted(trained['seed'].unique()))}); attributes probed: "
        f"{trained['attribute'].nunique()}; control networks: "
        f"{', '.join(sorted(controls['seed'].unique())) or 'none'}.",
        "",
        "| claim | verdict |",
        "|---|---|",
    ]
    for c in claims:
        short = "Planted truth of the synthetic world" if c.key == "planted" else c.statement
        out.append(f"| ({c.key}) {short} | {c.verdict} |")
    for c in claims:
        title = "Planted truth" if c.key == "planted" else f"Claim ({c.key})"
        out += ["", f"## {title}", "", c.statement, "", f"**Verdict: {c.verdict}.** {c.why}"]
        if c.lines:
            out += ["", *c.lines]
    return "\n".join(out) + "\n"


def write_summary(
    scores: pd.DataFrame | None,
    table: pd.DataFrame,
    world_kinds: dict[str, str] | None,
    path: str | Path,
) -> list[Claim]:
    """Write ``results/summary.md``: each claim with its measured values and verdict.

    ``scores`` may be ``None`` (validation fallback), ``world_kinds`` ``None``
    (no planted-truth section). Returns the judged claims.
    """
    claims = evaluate_claims(scores, table, world_kinds)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(render_summary(claims, table))
    return claims
