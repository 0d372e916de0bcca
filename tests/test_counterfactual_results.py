"""The counterfactual faces over networks (facecues.results.counterfactual), the planted
truth judged on them (claim "used", facecues.results.claims.used) and their place in the
summary, on small constructed per-network tables."""

import math

import numpy as np
import pandas as pd
import pytest

from facecues.results.claims import NOT_RECOVERED, PARTLY, RECOVERED
from facecues.results.claims.verdict import BORDERLINE
from facecues.results.counterfactual import (
    CONTROL_MARGIN,
    DEPTH_COLUMNS,
    UNTRAINED_MARGIN,
    USED_MARGIN,
    depth_over_networks,
    ordering,
    over_networks,
)
from facecues.results.estimates import NO_SPREAD, quantile
from facecues.results.summary import write_summary
from tests.test_verdicts import CURVES, GOOD, R50, _layer_table, _scores

CONTRAST = "identity_bound_minus_per_image"
KINDS = {"Male": "identity", "Eyeglasses": "identity", "Smiling": "image", "Pale_Skin": "image"}
#: FNMR rise of each variant in a trained and an untrained network (their intervals' half-
#: widths 0.02 and 0.01).
TRAINED = {
    "Male": 0.32,
    "Eyeglasses": 0.17,
    "Smiling": 0.02,
    "Pale_Skin": 0.14,
    "render_seed": 0.0,
    "pose": 0.005,
    "light": -0.005,
}
UNTRAINED = dict.fromkeys(TRAINED, 0.002)


def _rows(network: str, rises: dict, half: float = 0.02, contrast=None) -> list[dict]:
    """One network's counterfactual table (the rule counterfactual's columns that the
    results read): each variant's FNMR rise ± ``half``, FMR rise a tenth of it; the
    contrast of the kinds' means unless given."""
    out = []
    for v, r in rises.items():
        kind = "control" if v not in KINDS else "flip"
        out.append(_row(network, v, kind, r, half))
    if contrast is None:
        ident = np.mean([r for v, r in rises.items() if KINDS.get(v) == "identity"])
        image = np.mean([r for v, r in rises.items() if KINDS.get(v) == "image"])
        contrast = ident - image
    out.append(_row(network, CONTRAST, "contrast", contrast, half))
    return out


def _row(network, variant, kind, rise, half):
    return dict(
        network=network,
        variant=variant,
        kind=kind,
        exact=variant != "Male",
        people=200,
        fmr_target=0.01,
        fnmr=0.4,
        fnmr_rise=rise,
        fnmr_rise_lo=rise - half,
        fnmr_rise_hi=rise + half,
        fmr_rise=rise / 10,
        fmr_rise_lo=rise / 10 - half / 10,
        fmr_rise_hi=rise / 10 + half / 10,
    )


def _study(trained=None, untrained=None, **changes) -> pd.DataFrame:
    """Two trained networks (the second's flips 0.02 above the first's) and two untrained ones;
    ``changes``: {network: {variant: rise}} replacing those rises."""
    nets = {
        "0": dict(trained or TRAINED),
        "1": {v: r + 0.02 * (v in KINDS) for v, r in (trained or TRAINED).items()},
        "random0": dict(untrained or UNTRAINED),
        "random1": dict(untrained or UNTRAINED),
    }
    rows = []
    for net, rises in nets.items():
        rises |= changes.get(net, {})
        contrast = rises.pop(CONTRAST, None)
        rows += _rows(net, rises, 0.01 if net.startswith("random") else 0.02, contrast)
    return pd.DataFrame(rows)


# --- over networks ----------------------------------------------------------------------


def test_the_mean_over_trained_networks_has_the_t_and_the_people_error():
    table = over_networks(_study(), KINDS)
    male = table[(table.variant == "Male") & (table.measure == "fnmr_rise")].iloc[0]
    assert male["mean"] == pytest.approx(0.33) and male["trained"] == 2
    assert (male["0"], male["1"]) == pytest.approx((0.32, 0.34))
    spread = quantile(1) * np.std([0.32, 0.34], ddof=1) / math.sqrt(2)  # t(1) = 12.7
    assert male["high"] - male["mean"] == pytest.approx(math.hypot(spread, 0.02))
    assert male["untrained_mean"] == pytest.approx(0.002) and male["untrained"] == 2
    assert male["planted"] == "identity" and not male["exact"]
    assert list(table.drop_duplicates("variant").variant) == [*TRAINED, CONTRAST]
    kinds = dict(zip(table.variant, table.planted, strict=False))
    assert kinds["pose"] == "control" and kinds[CONTRAST] == "contrast"


def test_one_trained_network_has_its_bootstrap_interval_capped():
    rows = _study()
    table = over_networks(rows[rows.network != "1"], KINDS)
    male = table[(table.variant == "Male") & (table.measure == "fnmr_rise")].iloc[0]
    assert (male["low"], male["high"]) == pytest.approx((0.30, 0.34))
    assert NO_SPREAD in male["caps"]


def test_a_table_without_the_rules_columns_is_one_clear_error():
    from facecues.errors import DataFormatError

    with pytest.raises(DataFormatError, match="fnmr_rise_lo"):
        over_networks(_study().drop(columns="fnmr_rise_lo"), KINDS)


def test_the_depth_table_averages_each_group_in_forward_order():
    depth = pd.DataFrame(
        [
            dict(network=n, variant=v, kind="flip", point=p, sensitivity=s)
            for n, base in (("0", 1.0), ("1", 2.0), ("random0", 5.0))
            for v in ("Male", "Smiling")
            for p, s in (("L10", base), ("L02", base / 2))
        ]
    )
    out = depth_over_networks(depth, KINDS)
    assert list(out.columns) == DEPTH_COLUMNS
    assert list(out.point[:2]) == ["L02", "L10"] and list(out.variant[::2]) == ["Male", "Smiling"]
    row = out[(out.variant == "Male") & (out.point == "L10")].iloc[0]
    assert row.sensitivity == pytest.approx(1.5) and row.untrained_sensitivity == 5.0
    assert row.sensitivity_sd == pytest.approx(np.std([1.0, 2.0], ddof=1))
    assert row.trained == 2 and row.untrained == 1 and row.planted == "identity"
    assert depth_over_networks(depth.iloc[:0], KINDS).empty


def test_the_ordering_names_the_per_image_attribute_above_an_identity_bound_one():
    orders = {o["network"]: o for o in ordering(_study(), KINDS)}
    assert orders["0"]["holds"]  # Eyeglasses 0.17 > Pale_Skin 0.14
    late = _study(**{"1": {"Pale_Skin": 0.30}})
    orders = {o["network"]: o for o in ordering(late, KINDS)}
    assert not orders["1"]["holds"] and orders["1"]["violations"] == [("Eyeglasses", "Pale_Skin")]
    assert orders["1"]["highest_image"] == ("Pale_Skin", 0.30)
    assert orders["mean"]["violations"] == [("Eyeglasses", "Pale_Skin")]  # 0.18 <= 0.22
    assert set(orders) == {"0", "1", "mean"}  # the untrained networks are not ordered


# --- the planted truth, used ------------------------------------------------------------


def _judged(tmp_path, rows, kinds=None):
    judged = write_summary(
        _scores(GOOD, test_images=2000),
        _layer_table(CURVES),
        kinds or KINDS,
        tmp_path / "summary.md",
        depths=R50,
        verdicts=tmp_path / "verdicts.json",
        counterfactual=rows,
    )
    return {v.key: v for v in judged}, (tmp_path / "summary.md").read_text()


def test_the_planted_truth_used_is_recovered_and_the_summary_ranks_by_it(tmp_path):
    verdicts, md = _judged(tmp_path, _study())
    used = verdicts["used"]
    assert used.verdict == RECOVERED, used.why
    # margin: the weaker trained network's lower bound above 10 p.p.
    contrast = (0.32 + 0.17) / 2 - (0.02 + 0.14) / 2
    assert used.detail["margin"] == pytest.approx(contrast - 0.02 - USED_MARGIN)
    assert "| (used) Planted truth, used" in md and "## Encoded or used" in md
    section = md.split("## Encoded or used")[1]
    ranked = [line.split(" | ")[1] for line in section.splitlines() if line.startswith("| 1 ")]
    assert ranked == ["Male"]  # the largest FNMR rise first
    assert "Why Pale_Skin" not in md
    assert "| 0 | 40.0% | +16.5 p.p. ± 2.0 | yes | +4.5 p.p. |" in md  # the originals' FNMR


@pytest.mark.parametrize(
    ("changes", "fails"),
    [
        (
            {"1": {CONTRAST: USED_MARGIN - 0.04}},
            "contrast not shown at least 10 p.p.",
        ),  # a trained network
        ({"random1": {CONTRAST: UNTRAINED_MARGIN + 0.03}}, "untrained contrast not shown below"),
        ({"0": {"pose": CONTROL_MARGIN + 0.03}}, "pose in network 0"),
        ({"1": {"light": -CONTROL_MARGIN - 0.03}}, "light in network 1"),
    ],
)
def test_each_condition_that_fails_is_not_recovered_and_named(tmp_path, changes, fails):
    used = _judged(tmp_path, _study(**changes))[0]["used"]
    assert used.verdict == NOT_RECOVERED, used.why
    assert fails in used.why


@pytest.mark.parametrize(
    "changes",
    [
        {"0": {CONTRAST: USED_MARGIN + 0.01}},  # 11 ± 2 p.p.: 10 inside the interval
        {"random0": {CONTRAST: UNTRAINED_MARGIN - 0.005}},
        {"0": {"render_seed": CONTROL_MARGIN - 0.01}},
    ],
)
def test_a_threshold_inside_an_interval_is_borderline(tmp_path, changes):
    assert _judged(tmp_path, _study(**changes))[0]["used"].verdict == BORDERLINE


def test_without_untrained_networks_it_is_partly_tested(tmp_path):
    rows = _study()
    used = _judged(tmp_path, rows[~rows.network.str.startswith("random")])[0]["used"]
    assert used.verdict == PARTLY and "no untrained network" in used.why


def test_the_ordering_and_pale_skin_are_said(tmp_path):
    verdicts, md = _judged(tmp_path, _study(**{"1": {"Pale_Skin": 0.20}}))  # Eyeglasses 0.19
    assert verdicts["used"].verdict == RECOVERED  # the ordering is reported, not judged
    assert "network 1: fails" in md and "out of order: Eyeglasses ≤ Pale_Skin" in md
    assert "Why Pale_Skin" in md


def test_without_counterfactual_faces_no_claim_and_no_section(tmp_path):
    verdicts, md = _judged(tmp_path, None)
    assert "used" not in verdicts and "Encoded or used" not in md
    flips_only = _study()
    flips_only = flips_only[flips_only.variant.isin(["Male", "pose"])]
    used = _judged(tmp_path, flips_only)[0]["used"]
    assert used.verdict == "not testable in this run" and "planted contrast" in used.why


# --- the workflow's rules (workflow/rules/counterfactual.smk) ---------------------------


@pytest.mark.workflow
def test_the_rules_write_the_tables_over_networks_and_the_figures(tmp_path):
    """A real Snakemake run on the tiny study (a trained and an untrained network): the
    tables over networks hold every variant of both, the figures are drawn."""
    from facecues.results.tables import read_tables
    from tests.conftest import snakemake
    from tests.test_counterfactual import _study_config

    configfile = _study_config(tmp_path, people=16, fmr=0.05, bootstrap=200)
    targets = [
        "results/tables/counterfactual.tsv",
        "results/figures/counterfactual_fnmr.png",
        "results/figures/counterfactual_depth.pdf",
    ]
    run = snakemake(tmp_path, "--cores", "2", *targets, configfile=configfile)
    assert run.returncode == 0, run.stderr[-3000:]
    table = read_tables(tmp_path / "results/tables/counterfactual.tsv")
    each = read_tables(*(tmp_path / f"results/counterfactual/{n}.tsv" for n in ("0", "random0")))
    assert len(table) == 2 * each.variant.nunique()  # per variant, FNMR and FMR
    fnmr = table[table.measure == "fnmr_rise"].set_index("variant")
    mine = each.set_index(["network", "variant"])["fnmr_rise"]
    assert fnmr["0"].to_dict() == pytest.approx(mine["0"].to_dict())
    assert fnmr["mean"].to_dict() == pytest.approx(mine["0"].to_dict())  # one trained network
    assert fnmr["untrained_mean"].to_dict() == pytest.approx(mine["random0"].to_dict())
    assert (fnmr["trained"] == 1).all() and fnmr["caps"].str.contains("one network").all()
    depth = read_tables(tmp_path / "results/tables/counterfactual_depth.tsv")
    assert len(depth) == 5 * 50 and (depth.trained == 1).all() and (depth.untrained == 1).all()
    for t in targets[1:]:
        assert (tmp_path / t).stat().st_size > 10_000
