"""PLS1 against scikit-learn's PLSRegression (the authors' implementation)."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc

import h5py
import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression

import facecues.probes.pls as pls_module
from facecues.probes.pls import PLS1, filter_scores, vip

ATTRS = ["x_weights_", "x_loadings_", "y_loadings_", "x_scores_", "x_rotations_"]


def close(a, b, rtol=1e-8):
    """max |a - b| <= rtol * max |b| (relative to the array's scale)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    scale = max(np.max(np.abs(b)), 1e-300)
    err = np.max(np.abs(a - b)) / scale
    assert err <= rtol, f"relative error {err:.3g} > {rtol:g}"


def relu_data(n, m, seed=0, dead=3, constant=2):
    """Non-negative data with informative units, dead (all-zero) and constant units."""
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    X = rng.standard_normal((n, m)) + rng.uniform(-0.5, 0.5, m)
    X[:, : max(1, m // 10)] += 0.8 * y[:, None]
    X = np.maximum(X, 0.0)
    X[:, m - dead - constant : m - constant] = 0.0
    X[:, m - constant :] = 3.0  # exactly representable: sklearn sees std 0 too
    return X, y


def authors_vip(model):
    """The authors' VIP loop (docs/protocol.md section 6), on a scikit-learn model."""
    t, w, q = model.x_scores_, model.x_weights_, model.y_loadings_
    p, h = w.shape
    s = np.diag(t.T @ t @ q.T @ q).reshape(h, -1)
    total = np.sum(s)
    out = np.zeros(p)
    for i in range(p):
        weight = np.array([(w[i, j] / np.linalg.norm(w[:, j])) ** 2 for j in range(h)])
        out[i] = np.sqrt(p * (s.T @ weight).item() / total)
    return out


@pytest.mark.parametrize("n,m", [(40, 150), (120, 25)])
@pytest.mark.parametrize("k", [1, 2, 8])
@pytest.mark.parametrize("scale", [True, False])
def test_matches_sklearn(n, m, k, scale):
    X, y = relu_data(n, m, seed=n + m + k)
    Xnew = relu_data(17, m, seed=99)[0]
    ref = PLSRegression(n_components=k, scale=scale).fit(X, y)
    me = PLS1(n_components=k, scale=scale).fit(X, y)
    for a in ATTRS:
        assert getattr(me, a).dtype == np.float64
        close(getattr(me, a), getattr(ref, a))
    assert me.x_weights_.shape == (m, k) and me.y_loadings_.shape == (1, k)
    assert me.x_scores_.shape == (n, k)
    close(me.x_mean_, ref._x_mean)
    close(me.x_std_, ref._x_std)
    assert me.y_mean_ == pytest.approx(ref._y_mean[0], rel=1e-12)
    assert me.y_std_ == pytest.approx(ref._y_std[0], rel=1e-12)
    close(me.transform(Xnew), ref.transform(Xnew))
    close(me.transform(X), ref.x_scores_)
    close(vip(me), vip(ref))
    close(vip(me), authors_vip(ref))


def test_statistics_chunks_match_sklearn(monkeypatch):
    # Force many statistics tiles, uneven at the ends, over 3 threads.
    monkeypatch.setattr(pls_module, "_TILE_ROWS", 5)
    monkeypatch.setattr(pls_module, "_TILE_COLS", 7)
    monkeypatch.setattr(pls_module, "_n_threads", lambda: 3)
    X, y = relu_data(53, 90, seed=12)
    ref = PLSRegression(n_components=8).fit(X, y)
    me = PLS1(n_components=8).fit(X, y)
    for a in ATTRS:
        close(getattr(me, a), getattr(ref, a))
    close(me.x_mean_, ref._x_mean)
    close(me.x_std_, ref._x_std)


def test_sign_convention_is_sklearns():
    X, y = relu_data(50, 80, seed=3)
    me = PLS1(n_components=8).fit(X, y)
    W = me.x_weights_
    for j in range(8):  # the entry of largest magnitude of each weight vector is positive
        assert W[np.argmax(np.abs(W[:, j])), j] > 0


def test_vip_mean_square_is_one():
    X, y = relu_data(60, 300, seed=5)
    v = vip(PLS1(n_components=8).fit(X, y))
    assert v.shape == (300,)
    assert np.mean(v**2) == pytest.approx(1.0, rel=1e-12)
    assert np.all(v[-5:] == 0.0)  # dead and constant units carry no weight


def test_vip_uses_weights_not_rotations():
    X, y = relu_data(60, 200, seed=6)
    me = PLS1(n_components=4).fit(X, y)
    W, T, q = me.x_weights_, me.x_scores_, me.y_loadings_[0]
    ss = q**2 * np.sum(T**2, axis=0)
    direct = np.sqrt(200 * ((W / np.linalg.norm(W, axis=0)) ** 2 @ ss) / ss.sum())
    close(vip(me), direct, 1e-12)


def test_torch_tensors_give_the_same():
    torch = pytest.importorskip("torch")
    X, y = relu_data(40, 120, seed=7)
    ref = PLS1(n_components=8).fit(X, y)
    tm = PLS1(n_components=8).fit(torch.from_numpy(X), torch.from_numpy(y))
    for a in ATTRS:
        assert isinstance(getattr(tm, a), torch.Tensor)
        close(getattr(tm, a).numpy(), getattr(ref, a), 1e-10)
    close(tm.transform(X[:9]).numpy(), ref.transform(X[:9]), 1e-10)
    close(vip(tm).numpy(), vip(ref), 1e-10)
    # device= converts numpy input to torch on that device
    dm = PLS1(n_components=8, device="cpu").fit(X, y)
    assert isinstance(dm.x_weights_, torch.Tensor)
    close(dm.x_rotations_.numpy(), ref.x_rotations_, 1e-10)
    close(dm.transform(X[:9]).numpy(), ref.transform(X[:9]), 1e-10)


def test_float32_close_and_float32_out():
    X, y = relu_data(80, 400, seed=8)
    ref = PLSRegression(n_components=8).fit(X, y)
    X32 = X.astype(np.float32)
    me = PLS1(n_components=8).fit(X32, y)
    for a in ATTRS:
        assert getattr(me, a).dtype == np.float32
        close(getattr(me, a), getattr(ref, a), 1e-3)
    out = me.transform(X32[:10])
    assert out.dtype == np.float32
    close(out, ref.transform(X[:10]), 1e-3)
    # float16 input computes in float32
    h = PLS1(n_components=2).fit(X.astype(np.float16), y)
    assert h.x_weights_.dtype == np.float32
    # explicit dtype: float64 computation of float32 input
    d = PLS1(n_components=2, dtype="float64").fit(X32, y)
    assert d.x_weights_.dtype == np.float64


def test_filter_scores_memory_order():
    # Map of shape (C, H, W) = (2, 2, 3): units 0..5 are channel 0, 6..11 channel 1.
    v = np.arange(12, dtype=np.float64)
    np.testing.assert_allclose(filter_scores(v, (2, 2, 3)), [2.5, 8.5])
    # Channel c filled with c, flattened the way torch flattens an NCHW batch.
    torch = pytest.importorskip("torch")
    C, H, W = 3, 4, 5
    t = torch.arange(C, dtype=torch.float64)[None, :, None, None].expand(1, C, H, W)
    flat = t.reshape(1, -1)[0].numpy()
    np.testing.assert_array_equal(filter_scores(flat, (C, H, W)), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(filter_scores(np.array([4.0, 5.0]), (2,)), [4.0, 5.0])
    with pytest.raises(ValueError):
        filter_scores(np.zeros(10), (2, 2, 3))


def test_transform_streams_an_h5py_dataset(tmp_path):
    X, y = relu_data(60, 90, seed=9)
    me = PLS1(n_components=8).fit(X, y)
    Xv = relu_data(23, 90, seed=10)[0]
    with h5py.File(tmp_path / "val.h5", "w") as f:
        f.create_dataset("val", data=Xv, chunks=(4, 90))
    with h5py.File(tmp_path / "val.h5", "r") as f:
        streamed = me.transform(f["val"], chunk_rows=5)
    close(streamed, me.transform(Xv), 1e-14)
    close(me.transform(Xv, chunk_rows=1), me.transform(Xv), 1e-14)


def test_fit_does_not_copy_x(monkeypatch):
    monkeypatch.setattr(pls_module, "_TILE_COLS", 256)
    rng = np.random.default_rng(11)
    X = np.maximum(rng.standard_normal((256, 20_000), dtype=np.float32), 0)
    y = np.where(rng.random(256) < 0.5, -1.0, 1.0)
    tracemalloc.start()
    PLS1(n_components=2).fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # Each statistics thread has a tile buffer of its own (64 KB here).
    allowed = 0.25 * X.nbytes + pls_module._n_threads() * 64 * 256 * 4
    assert peak < allowed, f"peak {peak / 1e6:.1f} MB for X of {X.nbytes / 1e6:.1f} MB"


def test_constant_x_gives_zero_components():
    X = np.zeros((30, 12))
    X[:, 3] = 2.0
    y = np.repeat([-1.0, 1.0], 15)
    with pytest.warns(UserWarning, match="X residual is zero at iteration 0"):
        me = PLS1(n_components=3).fit(X, y)
    assert np.all(me.x_weights_ == 0) and np.all(me.x_scores_ == 0)
    assert np.all(me.transform(X) == 0)
    with pytest.raises(ValueError, match="VIP is undefined"):
        vip(me)


def test_errors():
    X, y = relu_data(10, 5, dead=0, constant=0)
    with pytest.raises(ValueError, match="upper bound"):
        PLS1(n_components=6).fit(X, y)
    with pytest.raises(ValueError, match="shape"):
        PLS1(n_components=2).fit(X, y[:-1])
    with pytest.raises(RuntimeError):
        PLS1().transform(X)
    with pytest.raises(ValueError):
        PLS1(n_components=2).fit(X, y).transform(X[:, :4])


def test_pls_imports_neither_torch_nor_sklearn():
    code = (
        "import sys, numpy as np, facecues.probes.pls as p; "
        "m = p.PLS1(2).fit(np.random.rand(20, 30), np.sign(np.random.rand(20) - .5)); "
        "p.vip(m); "
        "assert 'torch' not in sys.modules and 'sklearn' not in sys.modules, sys.modules.keys()"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
