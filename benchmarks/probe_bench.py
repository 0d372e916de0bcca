"""Benchmark of the layer probe: the authors' path against facecues.

For each m, two child processes (a clean peak RSS each) build the same
ReLU-like data deterministically from a seed -- n training rows x m units,
float32 as the shards are read, non-negative, ~10% dead (all-zero) units,
0.5% (at least 100) informative units, a few shared latent factors -- and then time:

(a) the authors' path: scikit-learn ``PLSRegression(8)`` (which converts X to
    float64), their VIP formula, QDA on the 8 training scores, then the
    held-out rows projected and classified;
(b) facecues: ``PLS1(8)`` on the float32 X, ``vip``, ``qda_fit`` and the same
    held-out rows streamed through ``transform``.

Held-out rows are generated and projected in chunks, so they do not count
towards peak RSS.  Imports are done before timing.  (b) also times the
memory floor, k passes of X^T v plus k passes of X w, alternately with
further fits (``--repeat``, min of each), for the ratio fit / floor.

    python benchmarks/probe_bench.py                 # m = 100,352 and 401,408
    python benchmarks/probe_bench.py --quick         # small sizes, seconds
    python benchmarks/probe_bench.py --m 100352 --skip-sklearn
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GB = 1e9


# ---------------------------------------------------------------------- data
def _globals(m: int, seed: int, latent: int = 8):
    rng = np.random.default_rng([seed, 1])
    scale = rng.uniform(0.5, 1.5, m).astype(np.float32)
    offset = rng.uniform(-1.0, 0.5, m).astype(np.float32)
    factors = (0.3 * rng.standard_normal((latent, m))).astype(np.float32)
    informative = np.sort(rng.permutation(m)[: max(100, m // 200)])  # 0.5%, at least 100
    effect = rng.uniform(0.05, 0.25, informative.size).astype(np.float32)
    dead = rng.random(m) < 0.10
    return scale, offset, factors, informative, effect, dead


def labels(n: int, seed: int, which: int) -> np.ndarray:
    y = np.where(np.arange(n) % 2 == 0, -1.0, 1.0)
    np.random.default_rng([seed, 2, which]).shuffle(y)
    return y


def fill_rows(out: np.ndarray, y: np.ndarray, start: int, seed: int, which: int, g) -> None:
    """Rows start.. of the data set ``which`` (0 train, 1 held out), in place."""
    scale, offset, factors, informative, effect, dead = g
    rng = np.random.default_rng([seed, 3, which, start])
    rng.standard_normal(out=out, dtype=np.float32)
    out *= scale
    out += offset
    out += rng.standard_normal((out.shape[0], factors.shape[0]), dtype=np.float32) @ factors
    out[:, informative] += y[:, None].astype(np.float32) * effect
    np.maximum(out, 0.0, out=out)
    out[:, dead] = 0.0


def train_data(n: int, m: int, seed: int, g, block: int = 16):
    y = labels(n, seed, 0)
    X = np.empty((n, m), dtype=np.float32)
    for i in range(0, n, block):
        fill_rows(X[i : i + block], y[i : i + block], i, seed, 0, g)
    return X, y


def held_out_chunks(n_eval: int, m: int, seed: int, g, block: int = 128, piece: int = 16):
    """Held-out rows, ``block`` at a time in one reused buffer."""
    y = labels(n_eval, seed, 1)
    buf = np.empty((block, m), dtype=np.float32)
    for i in range(0, n_eval, block):
        rows = buf[: min(block, n_eval - i)]
        for j in range(0, rows.shape[0], piece):  # small generation temporaries
            fill_rows(rows[j : j + piece], y[i + j : i + j + piece], i + j, seed, 1, g)
        yield rows, y[i : i + rows.shape[0]]


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


# -------------------------------------------------------------------- children
def child(which: str, args) -> dict:
    # Imports first: they are not part of the timings.
    from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis  # noqa: F401

    if which == "sklearn":
        from sklearn.cross_decomposition import PLSRegression
        from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis as QDA
    else:
        from facecues.probes.pls import PLS1, vip
        from facecues.probes.qda import qda_fit
    dev = args.device if which == "facecues" else None
    sync = _device_sync(dev)  # also starts CUDA and its BLAS: not part of the timings
    rss_imports = peak_rss()
    g = _globals(args.m, args.seed)
    X, y = train_data(args.n, args.m, args.seed, g)
    res = {"which": which, "rss_imports": rss_imports, "x_bytes": X.nbytes, "device": dev}
    if dev is not None:
        import torch

        X = torch.as_tensor(X, device=dev)  # X lives on the device, as a shard loaded there
        sync()
    k = args.k

    t0 = time.perf_counter()
    if which == "sklearn":
        pls = PLSRegression(n_components=k).fit(X, y)
        t1 = time.perf_counter()
        # The authors' VIP (vectorised, on the x weights).
        t, w, q = pls.x_scores_, pls.x_weights_, pls.y_loadings_
        s = np.diag(t.T @ t @ q.T @ q).reshape(k, -1)
        weights = (w / np.linalg.norm(w, axis=0)[None, :]) ** 2
        v = np.sqrt(w.shape[0] * (weights @ s).ravel() / np.sum(s))
        t2 = time.perf_counter()
        try:
            qda = QDA().fit(pls.x_scores_, y)
            res["qda"] = "QDA() (scikit-learn defaults)"
        except np.linalg.LinAlgError:
            # scikit-learn >= 1.6 refuses a nearly singular class covariance; the
            # authors' version only warned and went on, which tol=0 reproduces.
            qda = QDA(tol=0.0).fit(pls.x_scores_, y)
            res["qda"] = "QDA() refused (singular); QDA(tol=0) = the authors' old behaviour"
        project = pls.transform
        classify = qda.predict
    else:
        pls = PLS1(n_components=k, device=dev).fit(X, y)
        sync()
        t1 = time.perf_counter()
        v = vip(pls)
        sync()
        t2 = time.perf_counter()
        probe = qda_fit(pls.x_scores_, y)
        res["qda"] = f"qda_fit: reg_param {probe.reg_param_:g}, fallback {probe.fallback_used_}"
        project = pls.transform
        classify = probe.predict
    t3 = time.perf_counter()
    # Held-out rows: generated chunk by chunk (not timed), projected, then
    # all classified at once.
    scores, ye, t_eval = [], [], 0.0
    for rows, yr in held_out_chunks(args.n_eval, args.m, args.seed, g):
        e0 = time.perf_counter()
        scores.append(_numpy(project(rows)))
        t_eval += time.perf_counter() - e0
        ye.append(yr)
    e0 = time.perf_counter()
    scores = np.concatenate(scores)
    pred = classify(scores)
    t_eval += time.perf_counter() - e0
    ye = np.concatenate(ye)
    res.update(
        fit=t1 - t0,
        vip=t2 - t1,
        qda_eval=t3 - t2 + t_eval,
        total=t3 - t0 + t_eval,
        accuracy=float(np.mean(pred == ye)),
        rss=peak_rss(),
    )
    out = Path(args.out)
    np.save(out / f"{which}_pred.npy", pred)
    np.save(out / f"{which}_vip.npy", _numpy(v).astype(np.float64))
    np.save(out / f"{which}_scores.npy", scores.astype(np.float64))

    if which == "facecues":
        # The memory floor, 2k passes over X, against the fit, alternately
        # ``repeat`` times (min of each: on a shared machine the load varies).
        vn = np.ones(args.n, dtype=np.float32)
        vm = np.ones(args.m, dtype=np.float32)
        if dev is not None:
            vn, vm = torch.as_tensor(vn, device=dev), torch.as_tensor(vm, device=dev)
        X.T @ vn, X @ vm  # warm
        floors, fits = [], [res["fit"]]
        del pls, probe
        for r in range(args.repeat):
            sync()
            f0 = time.perf_counter()
            for _ in range(k):
                X.T @ vn
                X @ vm
            sync()
            floors.append(time.perf_counter() - f0)
            if r + 1 < args.repeat:
                f0 = time.perf_counter()
                PLS1(n_components=k, device=dev).fit(X, y)
                sync()
                fits.append(time.perf_counter() - f0)
        res["floor"], res["fit_min"] = min(floors), min(fits)
        if dev is not None and dev.startswith("cuda"):
            # The kernel ("Gram") form's first step alone, X X^T (n x n), in
            # the same float32, for the choice between the two forms.
            grams = []
            for _ in range(args.repeat):
                sync()
                f0 = time.perf_counter()
                X @ X.T
                sync()
                grams.append(time.perf_counter() - f0)
            res["gram"] = min(grams)
            res["gpu_peak"] = torch.cuda.max_memory_allocated(dev)
            res["gpu_name"] = torch.cuda.get_device_name(dev)
    return res


def _device_sync(dev):
    """A function that waits for the device's queued work (a no-op off CUDA)."""
    if dev is None or not dev.startswith("cuda"):
        return lambda: None
    import torch

    torch.ones(64, 64, device=dev) @ torch.ones(64, 64, device=dev)  # CUDA and cuBLAS start-up
    torch.cuda.synchronize(dev)
    return lambda: torch.cuda.synchronize(dev)


def _numpy(a) -> np.ndarray:
    """A numpy copy of a numpy array or (device) torch tensor."""
    return a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)


def run_child(which: str, args, out: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", which, "--out", str(out)]
    cmd += ["--m", str(args.m[0]), "--n", str(args.n), "--n-eval", str(args.n_eval)]
    cmd += ["--k", str(args.k), "--seed", str(args.seed), "--repeat", str(args.repeat)]
    if args.device:
        cmd += ["--device", args.device]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    if args.threads:  # the same BLAS thread count for both paths
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(args.threads)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{which} child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mem_available() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return float("inf")


def relative(a, b) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def bench_one(m: int, args) -> None:
    args = argparse.Namespace(**{**vars(args), "m": [m]})
    x_gb = args.n * m * 4 / GB
    print(f"\nm = {m:,}  n = {args.n:,}  held out = {args.n_eval:,}  k = {args.k}", flush=True)
    print(f"  X float32: {x_gb:.2f} GB", flush=True)
    with tempfile.TemporaryDirectory(prefix="probe_bench_") as tmp:
        out = Path(tmp)
        b = run_child("facecues", args, out)
        # sklearn: float32 X + its float64 copy + a float64 temporary of X's
        # size (std, then each deflation's outer product).
        need = args.n * m * (4 + 8 + 8) + 0.5 * GB
        a = None
        if args.skip_sklearn:
            print("  (a) scikit-learn: skipped (--skip-sklearn)")
        elif need + 2 * GB > mem_available():
            print(
                f"  (a) scikit-learn: skipped, needs ~{need / GB:.1f} GB, "
                f"{mem_available() / GB:.1f} GB available"
            )
        else:
            a = run_child("sklearn", args, out)

        def line(name, r):
            print(
                f"  {name:<15} fit {r['fit']:8.3f} s   vip {r['vip']:6.3f} s   "
                f"qda+held-out {r['qda_eval']:6.3f} s   total {r['total']:8.3f} s   "
                f"peak RSS {r['rss'] / GB:6.2f} GB = {r['rss'] / r['x_bytes']:.2f}x X   "
                f"(imports {r['rss_imports'] / GB:.2f} GB)   accuracy {r['accuracy']:.4f}"
            )
            print(f"  {'':<15} {r['qda']}")

        if a is not None:
            line("(a) sklearn", a)
        line("(b) facecues", b)
        print(
            f"  floor: 2k = {2 * args.k} passes over X {b['floor']:.3f} s, "
            f"(b) fit {b['fit_min']:.3f} s (min of {args.repeat} each);  "
            f"(b) fit / floor = {b['fit_min'] / b['floor']:.2f}"
        )
        if "gram" in b:
            print(
                f"  {b['gpu_name']}: X on the GPU; peak GPU memory {b['gpu_peak'] / GB:.2f} GB "
                f"= {b['gpu_peak'] / b['x_bytes']:.2f}x X;  Gram form's X X^T alone "
                f"{b['gram']:.3f} s = {b['gram'] / b['fit_min']:.1f}x the whole matrix-free fit"
            )
        if a is not None:
            pa, pb = np.load(out / "sklearn_pred.npy"), np.load(out / "facecues_pred.npy")
            diff = int(np.sum(pa != pb))
            va, vb = np.load(out / "sklearn_vip.npy"), np.load(out / "facecues_vip.npy")
            sa, sb = np.load(out / "sklearn_scores.npy"), np.load(out / "facecues_scores.npy")
            top_a, top_b = np.argsort(-va, kind="stable")[:8], np.argsort(-vb, kind="stable")[:8]
            print(
                f"  a/b: total {a['total'] / b['total']:.1f}x, fit {a['fit'] / b['fit']:.1f}x;  "
                f"peak RSS a/b {a['rss'] / b['rss']:.2f}"
            )
            print(
                f"  held-out QDA predictions identical: {'yes' if diff == 0 else 'NO'} "
                f"({diff} of {pa.size} differ);  max rel. diff: VIP {relative(vb, va):.1e}, "
                f"held-out scores {relative(sb, sa):.1e};  same top-8 VIP neurons: "
                f"{'yes' if np.array_equal(top_a, top_b) else 'no'}"
            )


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--m", type=int, nargs="+", default=[100_352, 401_408], help="units")
    p.add_argument("--n", type=int, default=2048, help="training rows")
    p.add_argument("--n-eval", type=int, default=2048, help="held-out rows")
    p.add_argument("--k", type=int, default=8, help="PLS components")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="small sizes (m 4,096 and 16,384, n 512)")
    p.add_argument("--skip-sklearn", action="store_true", help="time facecues only")
    p.add_argument(
        "--repeat", type=int, default=3, help="fit and floor timings of (b), min taken (default 3)"
    )
    p.add_argument(
        "--threads", type=int, help="BLAS threads in both children (default: the library's)"
    )
    p.add_argument(
        "--device", help="facecues on this torch device, X held there (e.g. cuda); default numpy"
    )
    p.add_argument("--child", choices=["sklearn", "facecues"], help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        args.m = args.m[0]
        print(json.dumps(child(args.child, args)))
        return
    if args.quick:
        args.m, args.n, args.n_eval = [4096, 16384], 512, 512
    print(
        f"probe benchmark: facecues on {args.device or 'numpy (CPU)'}, "
        f"numpy {np.__version__}, {os.cpu_count()} CPUs, "
        f"BLAS threads {args.threads or 'default'}, "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    for m in args.m:
        bench_one(m, args)


if __name__ == "__main__":
    main()
