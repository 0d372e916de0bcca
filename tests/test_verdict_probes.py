"""Issue 31's findings as constructed inputs (benchmarks/verdict_probes.py), each with
the verdict it must get now: no verdict from nothing measured, every missing piece a
cap, negative verdicts included."""

import importlib.util
from pathlib import Path

import pytest

from facecues.results.claims import NOT_TESTABLE, PARTLY, SUPPORTED

PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "verdict_probes.py"


def _probes():
    spec = importlib.util.spec_from_file_location("verdict_probes", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {finding: verdicts[key] for finding, key, verdicts in module.probes()}


#: finding -> (verdict, what was checked says; None: nothing checked)
EXPECTED = {
    "1 planted, rows only at L01-L04": (NOT_TESTABLE, None),
    "1 planted, L45-L49 missing": (NOT_TESTABLE, None),
    "2 (d): 6 trained vs 1 untrained": (PARTLY, SUPPORTED),
    "2 (a): Male neuron NaN for network 1": (PARTLY, SUPPORTED),
    "2 duplicate networks (same sha256)": (PARTLY, SUPPORTED),
    "3 planted, 100 images, no image error": (PARTLY, "borderline"),
    "5 (c) from Male + Smiling only": (PARTLY, SUPPORTED),
    "5 (c) one network, Smiling flat": (PARTLY, "not supported"),
    "6 (d) first point training adds": (PARTLY, SUPPORTED),
    "7 (b) two networks, paper's Table I": (PARTLY, SUPPORTED),
    "8 (b) per attribute, paper's Table I": (PARTLY, "not supported"),
}


@pytest.fixture(scope="module")
def probes():
    return _probes()


@pytest.mark.parametrize("finding", EXPECTED)
def test_each_finding_gets_its_verdict(probes, finding):
    v = probes[finding]
    assert (v.verdict, v.detail.get("tested")) == EXPECTED[finding], v.why


def test_what_each_cap_says(probes):
    assert "network(s) 1" in probes["2 (a): Male neuron NaN for network 1"].why
    assert "one network on one side" in probes["2 (d): 6 trained vs 1 untrained"].why
    assert "networks 0, 1 have the same weights" in probes["2 duplicate networks (same sha256)"].why
    assert "Pale_Skin" in probes["5 (c) from Male + Smiling only"].why
    assert probes["6 (d) first point training adds"].detail["first_learned"] == "L11"
    assert probes["6 (d) first point training adds"].detail["learned_at"][:2] == ["L11", "L13"]
    blurry = probes["8 (b) per attribute, paper's Table I"].why
    assert "Blurry: layer - neuron +13.6 p.p." in blurry
