"""Benchmark: issue 31's findings as constructed inputs, each judged by the summary's
claims; prints one line per probe: the finding, the claim, its verdict (and, where
capped, what was checked says). Run it against another facecues (``PYTHONPATH=<its
src>``) to compare verdicts before and after a change.

    python benchmarks/verdict_probes.py
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT / "src"))  # appended: a PYTHONPATH facecues comes first
sys.path.append(str(ROOT))

from facecues.nets.layout import resnet50_depths  # noqa: E402
from facecues.results import summary  # noqa: E402
from tests.test_summary import _layer_table, _paper_scores, _scores  # noqa: E402

R50 = resnet50_depths()
SIX = tuple(str(i) for i in range(6))
ALL_POINTS = tuple(range(1, 51))


def judge(scores, table, kinds=None, provenance=None, **kwargs) -> dict:
    """The verdicts by claim key (``provenance`` where this facecues reads it)."""
    if provenance and "provenance" in inspect.signature(summary.evaluate_claims).parameters:
        kwargs["provenance"] = provenance
    got = summary.evaluate_claims(scores, table, kinds, depths=R50, **kwargs)
    return {v.key: v for v in got}


def _table(curves, networks, spread=0.004, depths=None, **kw) -> pd.DataFrame:
    t = _layer_table(curves, networks=networks, spread=spread, **kw)
    return t if depths is None else t[t["depth"].isin(depths)]


def _every_point(trained_gain: dict[int, float], networks, untrained=("random0", "random1")):
    """Whole-layer rows at every point 1-50: untrained 70%; trained 70% + gain[depth]."""
    rows = []
    for i, n in enumerate((*networks, *untrained)):
        control = n.startswith("random")
        for d in ALL_POINTS:
            acc = 0.70 + (0 if control else trained_gain.get(d, 0.0)) + 0.004 * (i % 2 - 0.5)
            rows.append(
                dict(network=n, attribute="Male", point=f"L{d:02d}", depth=d, probe="layer")
                | dict(accuracy=acc, rank=0, units="0", name=f"n{d}", kind="output", vip=1.0)
            )
    return pd.DataFrame(rows)


def probes():
    kinds = {"Male": "identity", "Eyeglasses": "identity", "Smiling": "image"}
    curves = {"Male": (0.9, 0.95), "Eyeglasses": (0.9, 0.95), "Smiling": (0.9, 0.7)}
    shallow_only = _table(curves, ("0", "1", "2"), depths=(1, 2, 3, 4))
    yield "1 planted, rows only at L01-L04", "planted", judge(None, shallow_only, kinds)
    no_deep = _table(curves, ("0", "1", "2"), depths=(1, 2, 3, 4, 20, 50))
    yield "1 planted, L45-L49 missing", "planted", judge(None, no_deep, kinds)
    # 2a: six trained networks against one untrained, (d) at the shallow points
    flat = {"Male": (0.9, 0.95), "Smiling": (0.9, 0.7)}
    trained = _table(flat, SIX, spread=0.002, input_accuracy=0.8)
    one = _table({"Male": (0.895, 0.6), "Smiling": (0.895, 0.6)}, ("random0",), input_accuracy=0.8)
    yield "2 (d): 6 trained vs 1 untrained", "d", judge(None, pd.concat([trained, one]))
    # 2b: one network's Male neuron missing (NaN), judged from the other alone
    high = {(a, sel): 0.99 for a in ("Male", "Eyeglasses", "Wearing_Hat") for sel in ("neuron",)}
    nan = _scores(high, spread=0.001)
    nan.loc[(nan.network == "1") & (nan.attribute == "Male"), "test_accuracy"] = np.nan
    yield "2 (a): Male neuron NaN for network 1", "a", judge(nan, _table(flat, ("0", "1")))
    # 2c: two networks with the same weights (equal checkpoint sha256)
    same = _scores(high, spread=0.0)
    prov = {
        "files": {"results/models/0/model.pt": "ab" * 32, "results/models/1/model.pt": "ab" * 32}
    }
    prov["config"] = {"model": {"checkpoints": {}}}
    dup = judge(same, _table(flat, ("0", "1"), spread=0.0), provenance=prov)
    yield "2 duplicate networks (same sha256)", "a", dup
    # 3: a tiny study: planted change judged without the image error
    tiny = {"Male": (0.62, 0.62), "Eyeglasses": (0.62, 0.62), "Smiling": (0.62, 0.608)}
    yield (
        "3 planted, 100 images, no image error",
        "planted",
        judge(None, _table(tiny, ("0", "1", "2"), spread=0.0), kinds, val_rows=100),
    )
    # 5: (c) from Male + Smiling alone; and from one network
    yield "5 (c) from Male + Smiling only", "c", judge(None, _table(flat, ("0", "1", "2")))
    bad = {"Male": (0.9, 0.95), "Smiling": (0.9, 0.9)}
    yield "5 (c) one network, Smiling flat", "c", judge(None, _table(bad, ("0",)))
    # 6: training adds at L11 and L13-L18, not at the table's points
    gain = {d: 0.08 for d in (11, 13, 14, 15, 16, 17, 18)}
    yield "6 (d) first point training adds", "d", judge(None, _every_point(gain, ("0", "1", "2")))
    # 7: two networks; the paper's 14 attributes, read per attribute
    two = pd.concat([_paper_scores().assign(network=n) for n in ("0", "1")])
    two["test_accuracy"] += np.where(two.network == "0", 0.003, -0.003)
    yield "7 (b) two networks, paper's Table I", "b", judge(two, _table(flat, ("0", "1")))
    yield "8 (b) per attribute, paper's Table I", "b_each", judge(two, _table(flat, ("0", "1")))


def main() -> None:
    for finding, key, verdicts in probes():
        v = verdicts.get(key)
        if v is None:
            print(f"{finding:40} | {key:8} | (no such claim)")
            continue
        tested = v.detail.get("tested") if isinstance(v.detail, dict) else None
        extra = f" (checked: {tested})" if tested and tested != v.verdict else ""
        first = f"; first learned point: {v.detail.get('first_learned')}" if key == "d" else ""
        print(f"{finding:40} | {key:8} | {v.verdict}{extra}{first}")


if __name__ == "__main__":
    main()
