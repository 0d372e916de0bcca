import json

import pandas as pd
import pytest

from facecues.summary import (
    NOT_RECOVERED,
    NOT_SUPPORTED,
    NOT_TESTABLE,
    RECOVERED,
    SUPPORTED,
    depth_change,
    evaluate_claims,
    world_kinds_from_json,
    write_summary,
)

DEPTHS = (1, 2, 3, 4, 20, 45, 46, 47, 48, 49, 50)


def _layer_table(curves: dict[str, tuple[float, float]], seeds=("0", "1")) -> pd.DataFrame:
    """Whole-layer rows: accuracy `early` at depths <= 4, `late` from 45 on, mid in between."""
    rows = []
    for seed in seeds:
        for attr, (early, late) in curves.items():
            for d in DEPTHS:
                acc = early if d <= 4 else late if d >= 45 else (early + late) / 2
                for probe, rank, delta in (
                    ("layer", 0, 0.0),
                    ("filter", 1, -0.02),
                    ("neuron", 1, -0.04),
                ):
                    rows.append(
                        dict(
                            seed=seed,
                            attribute=attr,
                            point=f"L{d:02d}",
                            name=f"n{d}",
                            kind="output",
                            depth=d,
                            probe=probe,
                            rank=rank,
                            units="0",
                            vip=1.0,
                            accuracy=acc + delta,
                        )
                    )
    return pd.DataFrame(rows)


def _scores(values: dict[tuple[str, str], float], seeds=("0", "1")) -> pd.DataFrame:
    return pd.DataFrame(
        [
            dict(seed=s, attribute=a, selection=sel, test_accuracy=v)
            for s in seeds
            for (a, sel), v in values.items()
        ]
    )


def _by_key(claims):
    return {c.key: c for c in claims}


GOOD = {
    ("Male", "multitask"): 0.985,
    ("Male", "layer"): 0.98,
    ("Male", "filter"): 0.975,
    ("Male", "neuron"): 0.97,
    ("Eyeglasses", "multitask"): 0.99,
    ("Eyeglasses", "layer"): 0.99,
    ("Eyeglasses", "filter"): 0.98,
    ("Eyeglasses", "neuron"): 0.965,
}


def test_claim_a_and_b_supported():
    c = _by_key(evaluate_claims(_scores(GOOD), _layer_table({"Male": (0.9, 0.95)})))
    assert c["a"].verdict == SUPPORTED and "Wearing_Hat" in c["a"].why
    assert c["b"].verdict == SUPPORTED
    assert any("97.0%" in line for line in c["a"].lines)


def test_claim_a_b_not_supported():
    bad = dict(GOOD)
    bad[("Eyeglasses", "neuron")] = 0.95  # below 96%
    bad[("Male", "neuron")] = 0.88  # average neuron gap 7 p.p. > 6
    c = _by_key(evaluate_claims(_scores(bad), _layer_table({"Male": (0.9, 0.95)})))
    assert c["a"].verdict == NOT_SUPPORTED
    assert c["b"].verdict == NOT_SUPPORTED
    # a supervised network 3 p.p. or more above the neuron fails too
    gap = dict(GOOD)
    gap[("Male", "multitask")] = 1.0
    c = _by_key(evaluate_claims(_scores(gap), _layer_table({"Male": (0.9, 0.95)})))
    assert c["a"].verdict == NOT_SUPPORTED


def test_claim_a_without_multitask_or_attributes():
    no_mt = {k: v for k, v in GOOD.items() if k[1] != "multitask"}
    c = _by_key(evaluate_claims(_scores(no_mt), _layer_table({"Male": (0.9, 0.95)})))
    assert c["a"].verdict == SUPPORTED and "no multitask" in c["a"].why
    other = {("Smiling", s): 0.9 for s in ("layer", "filter", "neuron")}
    c = _by_key(evaluate_claims(_scores(other), _layer_table({"Smiling": (0.9, 0.8)})))
    assert c["a"].verdict == NOT_TESTABLE


def test_claim_c():
    curves = {"Smiling": (0.92, 0.80), "Pale_Skin": (0.9, 0.7), "Male": (0.85, 0.97)}
    c = _by_key(evaluate_claims(None, _layer_table(curves)))
    assert c["c"].verdict == SUPPORTED
    d = depth_change(_layer_table(curves)).set_index("attribute")
    assert d.loc["Smiling", "change"] == pytest.approx(-0.12)
    assert d.loc["Male", "best"] == pytest.approx(0.97)
    curves["Blurry"] = (0.8, 0.81)  # per-image attribute that does not lose accuracy
    c = _by_key(evaluate_claims(None, _layer_table(curves)))
    assert c["c"].verdict == NOT_SUPPORTED and "Blurry" in c["c"].why
    early_only = _layer_table(curves)
    early_only = early_only[early_only["depth"] < 45]
    assert _by_key(evaluate_claims(None, early_only))["c"].verdict == NOT_TESTABLE


def test_validation_fallback():
    c = _by_key(evaluate_claims(None, _layer_table({"Male": (0.97, 0.99)})))
    # best neuron on validation = 0.99 - 0.04 = 0.95 < 0.96
    assert c["a"].verdict == NOT_SUPPORTED and "validation" in c["a"].lines[0]
    assert c["b"].verdict == SUPPORTED  # gaps 4 and 2 p.p.


def test_claim_d_controls():
    trained = _layer_table({"Male": (0.9, 0.95)})
    c = _by_key(evaluate_claims(None, trained))
    assert c["d"].verdict == NOT_TESTABLE and "random" in c["d"].why
    random = _layer_table({"Male": (0.7, 0.6)}, seeds=("random0",))
    shuffled = _layer_table({"Male": (0.5, 0.5)}, seeds=("shuffled0",))
    c = _by_key(evaluate_claims(None, pd.concat([trained, random, shuffled])))
    assert c["d"].verdict == SUPPORTED
    # controls do not leak into the other claims
    assert c["c"].verdict == SUPPORTED
    random_as_good = _layer_table({"Male": (0.9, 0.6)}, seeds=("random0",))
    c = _by_key(evaluate_claims(None, pd.concat([trained, random_as_good])))
    assert c["d"].verdict == NOT_SUPPORTED and "dimensionality" in c["d"].why


def test_planted_truth_and_file(tmp_path):
    world = {
        "format": "facecues-synthetic-world/1",
        "attributes": {
            "Smiling": {"kind": "image", "rendered": True},
            "Male": {"kind": "identity", "rendered": True},
            "Attractive": {"kind": "unrendered", "rendered": False},
        },
    }
    (tmp_path / "world.json").write_text(json.dumps(world))
    kinds = world_kinds_from_json(tmp_path / "world.json")
    assert kinds == {"Smiling": "image", "Male": "identity", "Attractive": "unrendered"}
    curves = {"Smiling": (0.9, 0.75), "Male": (0.9, 0.95), "Attractive": (0.51, 0.5)}
    out = tmp_path / "results" / "summary.md"
    claims = _by_key(write_summary(_scores(GOOD), _layer_table(curves), kinds, out))
    assert claims["planted"].verdict == RECOVERED
    text = out.read_text()
    for key in ("Claim (a)", "Claim (b)", "Claim (c)", "Claim (d)", "Planted truth"):
        assert key in text
    assert "not testable in this run" in text  # (d): no controls
    curves["Attractive"] = (0.7, 0.7)  # an unrendered attribute far above chance
    c = _by_key(evaluate_claims(None, _layer_table(curves), kinds))
    assert c["planted"].verdict == NOT_RECOVERED
    no_planted = write_summary(None, _layer_table(curves), None, tmp_path / "s2.md")
    assert "planted" not in _by_key(no_planted)
