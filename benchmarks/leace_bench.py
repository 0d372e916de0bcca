"""Benchmark: facecues' closed-form LEACE against the reference (concept-erasure).

The reference's ``LeaceFitter`` forms the d x d covariance and its
eigendecomposition; ``facecues.probes.erasure.fit_leace`` works on the n x n
Gram matrix of the sample. Both are timed on one sample of n rows (float64, the
default study's n = 512) at growing widths d (the default study's erasure points
have 512 to 16,384 units), and their erased rows compared. The reference is run
up to ``--max-reference`` units (its covariance needs 8 d^2 bytes).

    python benchmarks/leace_bench.py [--n 512] [--max-reference 4096]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from concept_erasure import LeaceFitter

from facecues.probes.erasure import fit_leace


def _time(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--n", type=int, default=512)
    a.add_argument("--max-reference", type=int, default=4096)
    a.add_argument("--widths", type=int, nargs="*", default=[512, 2048, 4096, 16384])
    args = a.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    print(
        f"n = {args.n} rows, float64 (torch on 1 thread, numpy as configured); "
        "best of 3 (reference: 1 run above 2,048)"
    )
    print(f"{'d':>7} {'facecues s':>11} {'reference s':>12} {'ratio':>7} {'max |diff|':>11}")
    for d in args.widths:
        z = rng.integers(0, 2, args.n)
        x = rng.normal(size=(args.n, d)) + np.outer(z, rng.normal(size=d))
        ours_s, eraser = _time(lambda x=x, z=z: fit_leace(x, z))
        if d <= args.max_reference:
            xt, zt = torch.tensor(x), torch.tensor(z, dtype=torch.float64)
            ref_s, ref = _time(
                lambda xt=xt, zt=zt: LeaceFitter.fit(xt, zt, constrain_cov_trace=False).eraser,
                repeat=3 if d <= 2048 else 1,
            )
            diff = np.abs(eraser(x) - ref(xt).numpy()).max()
            print(f"{d:>7} {ours_s:>11.3f} {ref_s:>12.3f} {ref_s / ours_s:>6.1f}x {diff:>11.1e}")
        else:
            print(f"{d:>7} {ours_s:>11.3f} {'(d x d: ' + f'{8 * d * d / 1e9:.1f} GB)':>12}")


if __name__ == "__main__":
    main()
