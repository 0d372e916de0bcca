"""Benchmark: how often the summary's intervals hold the truth (results/estimates.py).

For k = 2, 3 and 6 networks and several ratios of the spread between
networks to the image error, draws the estimator from a known truth and
prints the measured coverage of the 95% interval beside the nominal rate,
and the rate of a false "above" at a threshold equal to the truth
(nominally 2.5%). For comparison, the same draws judged by the summary's
earlier interval (mean ± 2 SE, SE² = s² / k + p (1 - p) / n).

    python benchmarks/coverage.py [--sims 20000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from facecues.results.estimates import LEVEL, simulate_coverage  # noqa: E402

CASES = [(0.01, 0.0), (0.01, 0.003), (0.01, 0.01), (0.002, 0.01)]


def old_coverage(k: int, network_sd: float, image_sd: float, sims: int, seed: int = 0):
    """The earlier estimator on the same draws: mean ± 2 sqrt(s² / k + image_sd²)."""
    rng = np.random.default_rng(seed)
    image = rng.normal(0, image_sd, size=(sims, 1))
    v = rng.normal(0, network_sd, size=(sims, k)) + image
    half = 2 * np.sqrt(v.var(axis=1, ddof=1) / k + image_sd**2)
    m = v.mean(axis=1)
    return float(np.mean(np.abs(m) <= half)), float(np.mean(m - half > 0))


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--sims", type=int, default=20_000)
    args = a.parse_args()
    print(f"nominal coverage {LEVEL:.0%}, false 'above' {(1 - LEVEL) / 2:.1%}; {args.sims:,} draws")
    print(
        f"{'k':>2} {'network sd':>10} {'image sd':>9}  {'shared images':>20}  "
        f"{'per-network images':>20}  {'earlier ±2 SE':>20}"
    )
    sub = f"{'cover  false above':>20}"
    print(f"{'':>24}  {sub}  {sub}  {sub}")
    for k in (2, 3, 6):
        for network_sd, image_sd in CASES:
            cells = []
            for shared in (True, False):
                r = simulate_coverage(k, network_sd, image_sd, shared_images=shared, sims=args.sims)
                cells.append(f"{r['coverage']:6.1%} {r['false_above']:11.1%}")
            cover, above = old_coverage(k, network_sd, image_sd, args.sims)
            cells.append(f"{cover:6.1%} {above:11.1%}")
            print(
                f"{k:>2} {100 * network_sd:>8.1f}pp {100 * image_sd:>7.1f}pp  "
                + "  ".join(f"{c:>20}" for c in cells)
            )
    print("(quantiles: t with 1 df 12.71, 2 df 4.30, 5 df 2.57; normal 1.96)")


if __name__ == "__main__":
    main()
