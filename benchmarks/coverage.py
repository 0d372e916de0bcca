"""Benchmark: how often the summary's verdicts are right (results/estimates.py), every
image's outcome a Bernoulli draw (results/simulation.py).

Prints, for k = 2, 3 and 6 networks:

1. a mean accuracy against a threshold, at p = 0.5 to 0.99: coverage of the 95%
   interval, wrong "above" and wrong "below" at a threshold equal to the truth (a false
   "yes" for one side's claim, a false "no" for the other's; nominal <= 2.5% each),
   power at a true effect of 5 p.p.; the Wald image error beside the Wilson one;
2. a difference of two groups (trained minus untrained) with 1 or k networks on the
   untrained side; a network's value missing;
3. per-attribute means of 8 attributes with each attribute's own t and with the spread
   pooled over attributes, equal and unequal network spreads (the worst attribute).

    python benchmarks/coverage.py [--sims 2000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from facecues.results import simulation as sim  # noqa: E402
from facecues.results.estimates import estimate  # noqa: E402

PS = (0.5, 0.8, 0.9, 0.96, 0.99)
KS = (2, 3, 6)


def _cells(r: dict) -> str:
    return f"{r['coverage']:6.1%} {r['wrong_above']:6.1%} {r['wrong_below']:6.1%} {r['power']:6.1%}"


def wald(k, p, sd, sims, shared):
    """The earlier image error (Wald, symmetric) on the same draws as ``mean_check``."""
    rng = np.random.default_rng(0)
    acc = sim.bernoulli_accuracies(rng, sims, k, p, sd, 1024, shared)
    out = [estimate(a, a.mean() * (1 - a.mean()) / 1024) for a in acc]
    return sim._rates(out, sim.true_mean(p, sd), 0.05)


def means(sims: int) -> None:
    print("1. A mean accuracy over k networks vs a threshold (n = 1,024 images)")
    head = f"{'cover':>6} {'w.abv':>6} {'w.blw':>6} {'power':>6}"
    print(f"{'k':>2} {'p':>5} {'net sd':>6} {'shared':>6}  {'Wilson: ' + head:>36}  Wald: {head}")
    for k in KS:
        for p in PS:
            for sd, shared in ((0.005, 0.5), (0.002, 1.0)):
                r = sim.mean_check(k, p, sd, shared=shared, sims=sims)
                w = wald(k, p, sd, sims, shared)
                print(
                    f"{k:>2} {p:>5} {100 * sd:>4.1f}pp {shared:>6.0%}  {_cells(r):>36}  "
                    f"      {_cells(w)}"
                )


def differences(sims: int) -> None:
    print("\n2. Trained minus untrained (true difference 2 p.p.), and a missing value")
    print(f"{'k':>2} {'untrained':>9}  cover  w.abv  w.blw  power  capped")
    for k in KS:
        for other in (1, k):
            r = sim.difference_check(k, other, 0.80, 0.78, 0.01, sims=sims)
            print(f"{k:>2} {other:>9}  {_cells(r)} {r['capped']:6.0%}")
        r = sim.mean_check(k, 0.9, 0.005, missing=1, sims=sims)
        print(f"{k:>2} {'1 NaN':>9}  {_cells(r)} {r['capped']:6.0%}  (mean of k - 1)")


def pooled(sims: int) -> None:
    print("\n3. 8 attributes, per-attribute means (worst attribute; power at 5 p.p.)")
    print(f"{'k':>2} {'spreads':>22}  {'own t':>27}  {'pooled':>27}  pooled in")
    for k in KS:
        for name, sds in (
            ("equal 1 p.p.", [0.01] * 8),
            ("one at 2x", [0.01] * 7 + [0.02]),
            ("one at 3x", [0.01] * 7 + [0.03]),
            ("0.5-2 p.p.", list(np.linspace(0.005, 0.02, 8))),
        ):
            r = sim.pooled_check(k, 0.8, sds, sims=sims // 2)
            print(
                f"{k:>2} {name:>22}  {_cells(r['per_attribute'])}  {_cells(r['pooled'])}  "
                f"{r['pooled_share']:6.0%}"
            )


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--sims", type=int, default=2000)
    args = a.parse_args()
    print(f"nominal: coverage 95%, wrong above / below <= 2.5% each; {args.sims:,} draws")
    means(args.sims)
    differences(args.sims)
    pooled(args.sims)
    print(f"(quantiles: {sim.quantile_note()})")


if __name__ == "__main__":
    main()
