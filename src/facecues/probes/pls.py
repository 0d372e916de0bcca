"""PLS1 regression (one response) for wide activation matrices, plus VIP.

This is scikit-learn's ``PLSRegression`` (NIPALS, ``deflation_mode="regression"``)
specialised to a single response y and rewritten for n << m (2,048 training
images, up to 802,816 units): the same weights, loadings, scores, rotations
and signs, to rounding, without ever materialising the centred, scaled or
deflated X.

Notation (as in scikit-learn's ``_pls.py`` and Wegelin's review)
----------------------------------------------------------------
X (n, m) raw activations, y (n,) responses in {-1, +1}.

- Centring and scaling: mu = column means of X, s = column standard deviations
  (ddof=1, and s = 1 where a column has zero variance, so constant columns are
  centred but left unscaled); y likewise with its own mean and std.  With
  ``scale=False``, s = 1.  Xc = (X - 1 mu^T) / s is never formed.  Its products
  with vectors are carried by m- or n-sized vectors instead:

      Xc^T v = (X^T v - mu * sum(v)) / s
      Xc w   = X (w / s) - (mu . (w / s)) 1

- Deflation: X_{k+1} = X_k - t_k p_k^T,  y_{k+1} = y_k - t_k q_k.  Never done in
  memory either: with T = [t_1..t_{k-1}], P = [p_1..p_{k-1}],

      X_k w   = Xc w - T (P^T w)
      X_k^T v = Xc^T v - P (T^T v)

- One component (NIPALS; for a single response the inner loop converges in
  one step, as in scikit-learn, which stops after one iteration when y has
  one column):

      w_k = X_k^T y_k / ||X_k^T y_k||      x weights
      t_k = X_k w_k                        x scores
      p_k = X_k^T t_k / (t_k^T t_k)        x loadings
      q_k = y_k^T t_k / (t_k^T t_k)        y loadings

  and the next weight direction needs no extra pass over X, because
  t_k^T y_{k+1} = 0:

      X_{k+1}^T y_{k+1} = X_k^T y_k - q_k (t_k^T t_k) p_k.

  So each component reads X twice (X w, then X^T t), plus one pass for the
  column statistics and X^T y: 2k + 1 passes in all.
- Rotations (the projection of new samples): W* = W (P^T W)^+, so that the
  scores of new rows are ((X - mu) / s) W*.
- Signs: scikit-learn flips each w_k so that its entry of largest magnitude
  (the first one, on ties) is positive, before computing t_k; the same flip is
  done here, so results compare without sign games.

Arrays are handled through the array API, so the same code runs on numpy
arrays (numpy >= 2.1 is itself an array-API namespace: the CPU path of a job
imports numpy only) and on torch tensors through ``array_api_compat``, on the
GPU when ``device`` asks for one; torch and array_api_compat are imported
only then.  The passes over X run in X's floating dtype (float16 is computed
in float32); the small vectors are kept in float64.  Fitted attributes have
the compute dtype: float64 in, float64 out; float32 (or float16) in, float32
out.

Measured alternatives, not kept:
- The kernel ("Gram") form builds Xc Xc^T (n x n) once and runs NIPALS in
  n-space: 3 reads of X, but n^2 m multiply-adds against the (2k + 1) n m
  here, ~120x more flops at n = 2,048.  On this project's 2-core machine
  (n = 2,048, m = 32,768, float32) forming X X^T alone took 1.8 s, the whole
  matrix-free fit 1.0 s.  On an H200 holding X (``benchmarks/probe_bench.py
  --device cuda``, float32, n = 2,048), X X^T alone took 16 ms at m = 100,352
  and 72 ms at m = 401,408, against 12 ms and 24 ms for the whole
  matrix-free fit: the matrix-free form is kept on every device.
- Fusing X w and X^T t per cache-sized row block (one read of X from memory
  per component): no reliable gain on 2 shared cores (up to ~30% faster
  with one BLAS thread in a prototype, ~1.5x slower with two), since it makes
  many more BLAS calls, each of which can stall while the other core is busy.
  Measured again at m = 100,352: blocks of 8 rows with one BLAS thread per
  core took 0.107 s per component against 0.067 s for the two passes.
"""

from __future__ import annotations

import math
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

__all__ = ["PLS1", "vip", "filter_scores"]

# Column statistics: numpy sweeps X in tiles of this many rows x columns (a
# tile's shifted copy stays in a core's cache); torch in row chunks of this
# many bytes (16 times as many on a GPU).
_TILE_ROWS, _TILE_COLS = 64, 8192
_STATS_CHUNK_BYTES = 16 << 20


def _dtype_name(dtype: Any) -> str | None:
    """'float32' for np.float32, torch.float32, 'float32', ...; None for None."""
    if dtype is None:
        return None
    name = str(dtype).rsplit(".", 1)[-1]
    if name not in ("float32", "float64"):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return name


def _is_numpy(a) -> bool:
    return isinstance(a, np.ndarray | np.generic)


def _namespace(*arrays):
    """The array namespace of ``arrays``: numpy itself for numpy arrays (numpy >= 2.1
    implements the array API in its main namespace), array_api_compat's otherwise (torch).

    array_api_compat is imported only for the latter: its numpy wrapper imports
    numpy.testing and numpy.f2py, ~50 ms that every one of thousands of CPU jobs
    would pay.
    """
    if all(_is_numpy(a) for a in arrays):
        return np
    import array_api_compat

    return array_api_compat.array_namespace(*arrays)


def _device(X):
    if _is_numpy(X):
        return "cpu"
    import array_api_compat

    return array_api_compat.device(X)


def _prepare_x(X: Any, dtype: Any, device: Any):
    """Return (X, xp): X as an array of the namespace it will be computed in.

    numpy arrays stay numpy (no copy) unless ``device`` is given, in which case
    they become torch tensors on that device.  X is converted only where the
    compute dtype differs from its own (float16 -> float32, or an explicit
    ``dtype``).
    """
    if device is not None:
        import torch  # only when a device is asked for

        X = torch.as_tensor(X, device=device)
    elif not _is_numpy(X):
        import array_api_compat

        if not array_api_compat.is_array_api_obj(X):  # a list, or another array-like
            X = np.asarray(X)
    xp = _namespace(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (samples, units), got shape {tuple(X.shape)}")
    want = _dtype_name(dtype)
    if want is None:
        want = "float64" if X.dtype == xp.float64 else "float32"
    if X.dtype != getattr(xp, want):
        X = xp.astype(X, getattr(xp, want))
    return X, xp


def _n_threads() -> int:
    """Threads for numpy work: the BLAS/OpenMP setting if given, else the CPUs we may use."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return min(int(value), 8)
    try:
        return max(1, min(len(os.sched_getaffinity(0)), 8))
    except AttributeError:  # not Linux
        return max(1, min(os.cpu_count() or 1, 8))


def _column_stats(X, xp, scale: bool, v):
    """Column means, ddof=1 standard deviations, non-constant mask, and X^T v.

    All float64, in one pass over X (v: a float64 n-vector of the namespace).
    The sums are taken of D = X - x0, x0 = the first row: a constant column
    then gives exactly zero variance (scikit-learn's test for "unscaled"),
    and the variance (S2 - S1^2 / n) / (n - 1) suffers no cancellation from a
    large mean.  X^T v = D^T v + x0 sum(v) comes from the same sweep.  X is
    read in cache-sized tiles (numpy) or row chunks (torch): no copy of X.
    """
    n, m = X.shape
    dev = _device(X)
    x0 = X[0, :]
    if _is_numpy(X):
        # numpy: X is swept in tiles of _TILE_ROWS x _TILE_COLS, each shifted
        # into a buffer that stays in the core's cache, reduced there in X's
        # dtype and added to float64 sums.  Each thread owns a range of columns
        # (numpy releases the GIL), so the float64 sums are touched once per
        # tile, not once per row chunk, and no partial sums are merged.  No
        # BLAS: a tile is in cache, and small multi-threaded BLAS calls stall
        # on a busy machine.  About 4-5 passes of X.T @ v in time.
        vc = v.astype(X.dtype)
        acc = np.zeros((3, m))  # S1, S2, D^T v

        def sums(c0: int, c1: int) -> None:
            buf = np.empty((_TILE_ROWS, _TILE_COLS), dtype=X.dtype)
            tmp = np.empty(_TILE_COLS, dtype=X.dtype)
            for c in range(c0, c1, _TILE_COLS):
                cols = slice(c, min(c + _TILE_COLS, c1))
                a, t = acc[:, cols], tmp[: cols.stop - c]
                for i in range(0, n, _TILE_ROWS):
                    d = buf[: min(_TILE_ROWS, n - i), : cols.stop - c]
                    np.subtract(X[i : i + d.shape[0], cols], x0[cols], out=d)
                    np.add.reduce(d, axis=0, out=t)
                    a[0] += t
                    np.einsum("ij,ij->j", d, d, out=t)
                    a[1] += t
                    np.einsum("i,ij->j", vc[i : i + d.shape[0]], d, out=t)
                    a[2] += t

        n_threads = min(_n_threads(), -(-m // _TILE_COLS))
        cut = [m * i // n_threads for i in range(n_threads + 1)]
        if n_threads > 1:
            with ThreadPoolExecutor(n_threads) as pool:
                list(pool.map(sums, cut[:-1], cut[1:]))
        else:
            sums(0, m)
        s1, s2 = acc[0], acc[1]
        xtv = acc[2] + x0 * float(v.sum())
    else:
        # torch: row chunks; on a GPU fewer, larger ones (each a few kernel launches).
        chunk_bytes = _STATS_CHUNK_BYTES << (0 if getattr(dev, "type", "cpu") == "cpu" else 4)
        rows = max(1, chunk_bytes // (m * (8 if X.dtype == xp.float64 else 4)))
        s1 = xp.zeros(m, dtype=xp.float64, device=dev)
        s2 = xp.zeros(m, dtype=xp.float64, device=dev)
        for i in range(0, n, rows):
            d = X[i : i + rows, :] - x0
            s1 += xp.astype(xp.sum(d, axis=0), xp.float64)
            s2 += xp.astype(xp.sum(d * d, axis=0), xp.float64)
        xtv = xp.astype(X.T @ xp.astype(v, X.dtype), xp.float64)

    mean = xp.astype(x0, xp.float64) + s1 / n
    live = s2 > 0.0  # False exactly where the column is constant
    if not scale:
        return mean, xp.ones(m, dtype=xp.float64, device=dev), live, xtv
    var = (s2 - s1 * s1 / n) / (n - 1)
    std = xp.sqrt(xp.clip(var, 0.0, None))
    # scikit-learn: zero-variance columns are left unscaled (std := 1).
    std = xp.where(live & (std > 0.0), std, xp.ones_like(std))
    return mean, std, live, xtv


def _response(y, n: int) -> np.ndarray:
    """y as a float64 numpy vector of length n (accepts (n,), (n, 1), torch)."""
    if hasattr(y, "detach"):  # a torch tensor, possibly on a GPU
        y = y.detach().cpu().numpy()
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"y must have shape ({n},) for PLS1, got {y.shape}")
    return y


def _check_n_components(n: int, m: int, k: int) -> None:
    if n < 2:
        raise ValueError(f"PLS needs at least 2 samples, got {n}")
    if not 1 <= k <= min(n, m):
        raise ValueError(
            f"`n_components` upper bound is {min(n, m)}. Got {k} instead. Reduce `n_components`."
        )


def _standardise_y(y, n: int, scale: bool) -> tuple[np.ndarray, float, float]:
    """(y - mean) / std (ddof=1; std 1 when y is constant or ``scale`` is False), its
    mean and std: scikit-learn's _center_scale_xy for y."""
    y_np = _response(y, n)
    y_mean = float(y_np.mean())
    y_std = float(y_np.std(ddof=1)) if scale else 1.0
    if y_std == 0.0:
        y_std = 1.0
    return (y_np - y_mean) / y_std, y_mean, y_std


class _CentredX:
    """Xc = (X - 1 mu^T) / s, never formed: its products with vectors, one pass over X
    each, in X's dtype, the rest in float64.

    ``inv_s`` is 1/s, and 0 for constant columns: a constant column of Xc is exactly
    zero (as in scikit-learn, where X - mean leaves 0); the mask keeps it exactly zero
    here too, instead of the rounding left by X^T v - mu sum(v).
    """

    def __init__(self, X, xp, mu, inv_s):
        self.X, self.xp, self.mu, self.inv_s = X, xp, mu, inv_s

    def t_dot(self, v):
        """Xc^T v = (X^T v - mu sum(v)) / s"""
        xp = self.xp
        xtv = xp.astype(self.X.T @ xp.astype(v, self.X.dtype), xp.float64)
        return (xtv - self.mu * xp.sum(v)) * self.inv_s

    def dot(self, w):
        """Xc w = X (w / s) - mu . (w / s)"""
        xp = self.xp
        ws = w * self.inv_s
        return xp.astype(self.X @ xp.astype(ws, self.X.dtype), xp.float64) - xp.sum(self.mu * ws)


def _unit_weights(c, yk, xp, eps: float):
    """x weights w = X_k^T y_k / (y_k^T y_k) from ``c`` = X_k^T y_k, normalised (with
    scikit-learn's "+ eps" in the norm), the sign of scikit-learn's _svd_flip_1d: the
    entry of largest magnitude (the first one on ties) made positive."""
    w = c / (yk @ yk)
    w = w / (xp.sqrt(xp.sum(w * w)) + eps)
    return w * xp.sign(w[int(xp.argmax(xp.abs(w)))])


def _nipals(xc: _CentredX, c, yk, k: int, dev):
    """k NIPALS components from the first weight direction ``c`` = Xc^T y_1 and the
    standardised response ``yk``: (W, P) as rows (k, m), the scores T (n, k) and the y
    loadings q (1, k). Components after an early stop stay zero.

    The m-vector dot products are written as sum(a * b) rather than with BLAS: on a
    busy machine every multi-threaded BLAS call can stall for a scheduler slice.  The
    passes over X and the deflation products with the earlier components (j x m) use
    BLAS.
    """
    xp, f64 = xc.xp, xc.xp.float64
    eps = float(np.finfo(np.float64).eps)
    n, m = xc.X.shape
    # Components as rows (k, m) while fitting: contiguous.
    Wr = xp.zeros((k, m), dtype=f64, device=dev)
    Pr = xp.zeros((k, m), dtype=f64, device=dev)
    T = xp.zeros((n, k), dtype=f64, device=dev)
    q = xp.zeros((1, k), dtype=f64, device=dev)
    for j in range(k):
        # scikit-learn zeroes a residual y whose entries are all below 10 eps and then
        # stops: "y residual is constant".  (stacklevel 3: the caller of PLS1.fit)
        if bool(xp.all(xp.abs(yk) < 10 * eps)):
            warnings.warn(f"y residual is constant at iteration {j}", stacklevel=3)
            break
        w = _unit_weights(c, yk, xp, eps)
        # x scores t = X_k w = Xc w - T (P^T w)
        t = xc.dot(w) - T[:, :j] @ (Pr[:j, :] @ w)
        tt = t @ t
        if not float(tt) > 0.0:
            # X_k is exactly zero (e.g. every unit constant, a dead filter): no further
            # component exists.  scikit-learn would divide 0 by 0 here; stop instead.
            warnings.warn(f"X residual is zero at iteration {j}", stacklevel=3)
            break
        # x loadings p = X_k^T t / t^T t,  y loading q = y_k^T t / t^T t
        xkt = xc.t_dot(t) - (T[:, :j].T @ t) @ Pr[:j, :]
        p = xkt / tt
        qj = (yk @ t) / tt
        # Deflation of y; for X only the next weight direction is needed:
        # X_{k+1}^T y_{k+1} = X_k^T y_k - q X_k^T t  (as t^T y_{k+1} = 0).
        yk = yk - qj * t
        c = c - qj * xkt
        Wr[j, :], Pr[j, :], T[:, j], q[0, j] = w, p, t, qj
    return Wr, Pr, T, q


class PLS1:
    """PLS regression on one response (NIPALS), as scikit-learn's PLSRegression.

    Parameters
    ----------
    n_components : int
        Number of PLS components k (at most min(n, m)).
    scale : bool
        Centre AND scale X and y to unit variance (ddof=1; zero-variance units
        left unscaled), scikit-learn's default; False centres only.
    dtype : None, "float32" or "float64" (or a numpy/torch dtype)
        Compute dtype.  None: float64 for float64 X, float32 otherwise.  X is
        converted (copied) only when its dtype differs.
    device : None or a torch device ("cuda", "cuda:1", "cpu")
        None computes in X's own namespace (numpy stays numpy, torch stays
        torch).  A device converts X to a torch tensor there.

    Attributes (after ``fit``; arrays of the compute namespace, device, dtype)
    ----------
    x_weights_ (m, k) W, x_loadings_ (m, k) P, y_loadings_ (1, k) q,
    x_scores_ (n, k) T (training scores), x_rotations_ (m, k) W* = W (P^T W)^+,
    x_mean_ (m,), x_std_ (m,), y_mean_ float, y_std_ float, n_components.
    """

    def __init__(self, n_components: int = 8, scale: bool = True, dtype=None, device=None):
        self.n_components = n_components
        self.scale = scale
        self.dtype = dtype
        self.device = device

    def fit(self, X, y) -> PLS1:
        """Fit on X (n, m) -- numpy array or torch tensor -- and y (n,) in {-1, +1}.

        X is read, never modified or copied (except a dtype conversion, see
        ``dtype``); memory beyond X is O(n k + m k).
        """
        X, xp = _prepare_x(X, self.dtype, self.device)
        n, m = X.shape
        k = int(self.n_components)
        _check_n_components(n, m, k)
        dev = _device(X)
        f64, cdt = xp.float64, X.dtype

        # Centring and scaling (scikit-learn's _center_scale_xy), kept as vectors.
        y_std_units, y_mean, y_std = _standardise_y(y, n, self.scale)
        yk = xp.asarray(y_std_units, dtype=f64, device=dev)
        # One pass: the column statistics and X^T y_1 (for the first weights).
        mu, s, live, xty = _column_stats(X, xp, self.scale, yk)
        inv_s = xp.where(live, 1.0 / s, xp.zeros(m, dtype=f64, device=dev))
        xc = _CentredX(X, xp, mu, inv_s)

        # X_1^T y_1 = Xc^T y_1, the (unnormalised) first weight direction.
        c = (xty - mu * xp.sum(yk)) * inv_s
        Wr, Pr, T, q = _nipals(xc, c, yk, k, dev)

        W, P = Wr.T, Pr.T
        # Rotations W* = W (P^T W)^+ (pseudo-inverse, as scikit-learn), so
        # that the scores of any rows are ((X - mu) / s) W*.
        R = W @ xp.linalg.pinv(P.T @ W, rtol=None)  # cut-off max(rows, cols) x eps

        # For transform: ((X - mu) / s) R = X (R / s) - (mu / s) R, so new rows
        # need no centred copy; R / s is zero on constant columns, as R is.
        self._xp, self._device = xp, dev
        self._rot_scaled = xp.astype(R * inv_s[:, None], cdt)
        self._offset = (mu * inv_s) @ R
        self.x_weights_ = xp.astype(W, cdt)
        self.x_loadings_ = xp.astype(P, cdt)
        self.y_loadings_ = xp.astype(q, cdt)
        self.x_scores_ = xp.astype(T, cdt)
        self.x_rotations_ = xp.astype(R, cdt)
        self.x_mean_ = xp.astype(mu, cdt)
        self.x_std_ = xp.astype(s, cdt)
        self.y_mean_, self.y_std_ = y_mean, y_std
        self.n_features_in_ = m
        return self

    def _to_model(self, a):
        """A chunk of rows as an array of the model's namespace and device."""
        xp = self._xp
        if xp is np:
            if hasattr(a, "detach"):
                a = a.detach().cpu().numpy()
            return np.asarray(a)
        import torch

        return torch.as_tensor(a, device=self._device)

    def transform(self, X, chunk_rows: int = 4096):
        """Scores ((X - x_mean_) / x_std_) @ x_rotations_ of any rows, shape (rows, k).

        X: numpy array, torch tensor, or anything sliceable by rows that
        yields arrays, such as an h5py Dataset; it is read ``chunk_rows``
        rows at a time, so it need not fit in memory.  Returns an array of
        the model's namespace, device and compute dtype.
        """
        if not hasattr(self, "_offset"):
            raise RuntimeError("PLS1 is not fitted; call fit(X, y) first")
        xp = self._xp
        if len(X.shape) != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X must have shape (rows, {self.n_features_in_}), got {tuple(X.shape)}"
            )
        rs, cdt = self._rot_scaled, self._rot_scaled.dtype
        n_rows, k = X.shape[0], rs.shape[1]
        out = xp.zeros((n_rows, k), dtype=xp.float64, device=self._device)
        step = max(1, int(chunk_rows))
        for i in range(0, n_rows, step):
            chunk = xp.astype(self._to_model(X[i : i + step]), cdt, copy=False)
            out[i : i + chunk.shape[0], :] = xp.astype(chunk @ rs, xp.float64) - self._offset
        return xp.astype(out, cdt)


def vip(model) -> Any:
    """VIP score of every unit (docs/protocol.md section 6), float64, shape (m,).

    VIP_j = sqrt( m * sum_i SS_i (W_ji / ||W_i||)^2 / sum_i SS_i ),
    SS_i = q_i^2 t_i^T t_i, on the x weights W (not the rotations W*), the
    training scores t_i and the y loadings q_i of a fitted ``PLS1`` (or
    scikit-learn ``PLSRegression``).  mean_j VIP_j^2 = 1.
    """
    W, T, q = model.x_weights_, model.x_scores_, model.y_loadings_
    xp = _namespace(W, T, q)
    W = xp.astype(W, xp.float64)
    T = xp.astype(T, xp.float64)
    q = xp.astype(q, xp.float64)
    m = W.shape[0]
    ss = q[0, :] ** 2 * xp.sum(T * T, axis=0)
    total = float(xp.sum(ss))
    if not total > 0.0:
        raise ValueError("VIP is undefined: the PLS components explain none of y")
    norms = xp.sqrt(xp.sum(W * W, axis=0))
    # A component that was never computed (zero weights) has SS = 0 as well.
    wn = W / xp.where(norms > 0.0, norms, xp.ones_like(norms))
    return xp.sqrt(m * ((wn * wn) @ ss) / total)


def filter_scores(vip_scores, shape) -> Any:
    """Mean VIP per channel: ``vip_scores`` (C*H*W,) of an NCHW map of ``shape`` (C, H, W).

    Unit index = c*H*W + y*W + x (PyTorch's memory order, channel first).  A
    1-D ``shape`` (C,) (a pooled layer) gives each channel its own unit's VIP.
    """
    xp = _namespace(vip_scores)
    shape = tuple(int(d) for d in shape)
    size = math.prod(shape)
    if vip_scores.ndim != 1 or vip_scores.shape[0] != size:
        raise ValueError(f"{vip_scores.shape[0]} VIP scores do not fit a map of shape {shape}")
    return xp.mean(xp.reshape(vip_scores, (shape[0], size // shape[0])), axis=1)
