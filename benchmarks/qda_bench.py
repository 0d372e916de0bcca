"""Benchmark of the QDA scoring of one validation job: a loop of ``qda_fit``
against the batched ``qda_fit_predict_many``.

The workload is built as ``score_val`` sees it: 50 probe points, each with
the 69 probes of ``facecues.probes.units.unit_features`` (``layer``, ``filters``,
``filter_<r>``: PLS scores, d = min(8, columns); ``neurons``: the top-8 VIP
units' raw values, d = 8; ``neuron_<r>``, ``vip_<j>``: one raw unit, d = 1),
512 training rows (256 per class) and 1,024 validation rows (512 per class).
Activations are ReLU-like (non-negative, 8 shared latent factors, 5%
informative units, ~10% dead all-zero units, ~0.2% units that are zero on the
whole of class 0), on maps from 16 x 16 x 16 to 256 x 1 x 1, so some probes
are singular (dead neurons, one-class-zero neurons, filters on them) and take
the fallback.

Timed in one process, imports and the workload built first (wall and
process CPU seconds; the CPU time is the steadier one on a shared machine):
(a) the loop: per probe ``qda_fit(train, y).predict(val)`` (scikit-learn),
(b) ``qda_fit_predict_many`` on all 3,450 probes at once (min of --repeat),
    and ``qda_accuracy_many`` (min of --repeat).
Then checked: identical predictions and reg_param for every probe.

    python benchmarks/qda_bench.py                  # 50 points, ~30 s
    python benchmarks/qda_bench.py --points 10      # quick
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SHAPES = [(16, 16, 16), (32, 8, 8), (64, 4, 4), (128, 2, 2), (256, 1, 1)]


def point_data(point: int, shape, n_train: int, n_val: int, seed: int):
    """ReLU-like (train, val) activations of one probe point, float32, and labels."""
    rng = np.random.default_rng([seed, point])
    m = int(np.prod(shape))
    y_train = np.repeat([0, 1], n_train // 2)
    y_val = np.repeat([0, 1], n_val // 2)
    y = np.concatenate([y_train, y_val])
    latent = rng.standard_normal((y.size, 8)).astype(np.float32)
    Z = rng.standard_normal((y.size, m), dtype=np.float32) * rng.uniform(0.5, 1.5, m).astype(
        np.float32
    )
    Z += latent @ (0.3 * rng.standard_normal((8, m))).astype(np.float32)
    Z += rng.uniform(-1.0, 0.5, m).astype(np.float32)
    informative = rng.random(m) < 0.05
    Z[:, informative] += (y[:, None] - 0.5).astype(np.float32) * rng.uniform(
        0.2, 1.0, int(informative.sum())
    ).astype(np.float32)
    one_class = rng.random(m) < 0.002  # zero on the whole of class 0
    Z[np.ix_(y == 0, one_class)] = -1.0
    X = np.maximum(Z, 0.0)
    X[:, rng.random(m) < 0.10] = 0.0  # dead units
    return X[: y_train.size], y_train, X[y_train.size :], y_val


def workload(points: int, n_train: int, n_val: int, seed: int):
    """(names, d, train features, val features, y_train, y_val) of every probe."""
    from facecues.probes.units import unit_features

    names, train, val = [], [], []
    y_train = y_val = None
    for p in range(points):
        shape = SHAPES[p % len(SHAPES)]
        Xt, y_train, Xv, y_val = point_data(p, shape, n_train, n_val, seed)
        feats = unit_features(Xt, y_train, Xv, shape, seed=p)
        for name, f in feats.items():
            if name.startswith("_"):
                continue
            names.append(f"{p}/{name}")
            train.append(np.asarray(f["train"], dtype=np.float64))
            val.append(np.asarray(f["eval"], dtype=np.float64))
    return names, train, val, y_train, y_val


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=50)
    ap.add_argument("--train", type=int, default=512, help="training rows (balanced)")
    ap.add_argument("--val", type=int, default=1024, help="validation rows (balanced)")
    ap.add_argument("--repeat", type=int, default=5, help="batched timings (min taken)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from facecues.probes.qda import qda_accuracy_many, qda_fit, qda_fit_predict_many

    t0 = time.perf_counter()
    names, train, val, y_train, y_val = workload(args.points, args.train, args.val, args.seed)
    build = time.perf_counter() - t0
    dims = Counter(f.shape[1] if f.ndim == 2 else 1 for f in train)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"QDA benchmark: numpy {np.__version__}, {os.cpu_count()} CPUs, load average {load}")
    print(
        f"  {len(train)} probes ({args.points} points), n_train = {args.train}, "
        f"n_val = {args.val}; d: "
        + ", ".join(f"{d}: {c}" for d, c in sorted(dims.items()))
        + f"  (workload built in {build:.1f} s)"
    )

    # (a) the loop, as layer_scores.accuracy_rows scores today
    t0, c0 = time.perf_counter(), time.process_time()
    loop_pred, loop_reg = [], []
    for f, e in zip(train, val, strict=True):
        probe = qda_fit(f, y_train)
        loop_pred.append(probe.predict(e))
        loop_reg.append(probe.reg_param_)
    loop_s, loop_cpu = time.perf_counter() - t0, time.process_time() - c0

    # (b) batched
    times, cpus = [], []
    for _ in range(max(1, args.repeat)):
        t0, c0 = time.perf_counter(), time.process_time()
        pred, reg = qda_fit_predict_many(train, y_train, val)
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    many_s, many_cpu = min(times), min(cpus)
    acc_times = []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        acc, _ = qda_accuracy_many(train, y_train, val, y_val)
        acc_times.append(time.perf_counter() - t0)
    acc_s = min(acc_times)

    differ = [n for n, p, q in zip(names, loop_pred, pred, strict=True) if not np.array_equal(p, q)]
    rows = sum(int(np.sum(p != q)) for p, q in zip(loop_pred, pred, strict=True))
    reg_same = np.array_equal(np.asarray(loop_reg), reg)
    loop_acc = np.array([np.mean(p == y_val) for p in loop_pred])
    print(
        f"  (a) loop of qda_fit + predict      {loop_s:8.3f} s   "
        f"({1e3 * loop_s / len(train):.2f} ms per probe)   CPU {loop_cpu:.3f} s"
    )
    print(
        f"  (b) qda_fit_predict_many           {many_s:8.3f} s   (min of {len(times)}: "
        + " ".join(f"{t:.3f}" for t in times)
        + f")   CPU {many_cpu:.3f} s"
    )
    print(f"      qda_accuracy_many              {acc_s:8.3f} s   (min of {len(acc_times)})")
    print(f"  a/b: {loop_s / many_s:.1f}x wall, {loop_cpu / many_cpu:.1f}x CPU")
    print(
        f"  fallback reg_param used: loop {int(np.count_nonzero(loop_reg))}, "
        f"batched {int(np.count_nonzero(reg))} of {len(train)}; reg identical: "
        f"{'yes' if reg_same else 'NO'}"
    )
    print(
        f"  predictions identical: {'yes' if not differ else 'NO'} "
        f"({len(differ)} probes, {rows} rows differ); accuracies identical: "
        f"{'yes' if np.array_equal(acc, loop_acc) else 'NO'}; mean accuracy {acc.mean():.4f}"
    )
    if differ or not reg_same:
        print("  differing probes:", ", ".join(differ[:20]))
        sys.exit(1)


if __name__ == "__main__":
    main()
