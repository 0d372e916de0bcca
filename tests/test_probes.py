"""Unit-level probes (docs/protocol.md section 7)."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc

import h5py
import numpy as np
import pytest

from facecues.activations.shards import SHARD_FORMAT_VERSION, read_shard
from facecues.probes.pls import PLS1, filter_scores, vip
from facecues.probes.units import (
    column_pls_scores,
    filter_columns,
    fit_column_pls,
    layer_unit_probes,
    score_features,
    top_filters,
    top_neurons,
    unit_features,
    vip_uniform_neurons,
)

SHAPE = (6, 4, 5)  # C, H, W

# Channel 5 of layer_data is dead: its PLS stops with this warning, by design.
pytestmark = pytest.mark.filterwarnings("ignore:X residual is zero:UserWarning")


def layer_data(n=400, seed=0, hot=3):
    """A (C, H, W) map flattened NCHW; channel ``hot`` carries the label."""
    rng = np.random.default_rng(seed)
    C, H, W = SHAPE
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    X = np.maximum(rng.standard_normal((n, C, H, W)) - 0.3, 0.0)
    X[:, hot] += 0.6 * (y > 0)[:, None, None]
    X[:, 5] = 0.0  # a dead channel
    return X.reshape(n, -1), y


def test_top_units_highest_first_ties_lower_index():
    s = np.array([1.0, 3.0, 3.0, 0.0, 3.0, 2.0])
    np.testing.assert_array_equal(top_neurons(s, 3), [1, 2, 4])
    np.testing.assert_array_equal(top_neurons(s, 5), [1, 2, 4, 5, 0])
    np.testing.assert_array_equal(top_filters(s, 2), [1, 2])
    assert len(top_neurons(s, 100)) == 6


def test_vip_uniform_neurons():
    v = np.array([0.5, 2.0, 1.0, 1.0, 3.0, 0.1])
    idx = vip_uniform_neurons(v, n=50, seed=7)
    targets = np.random.default_rng(7).uniform(v.min(), v.max(), 50)
    assert idx.shape == (50,) and idx.dtype == np.int64
    for i, t in zip(idx, targets, strict=True):
        d = np.abs(v - t)
        assert d[i] == d.min()
        assert i == np.flatnonzero(d == d.min())[0]  # ties: lower index (2, not 3)
    assert 3 not in idx
    np.testing.assert_array_equal(idx, vip_uniform_neurons(v, n=50, seed=7))
    assert not np.array_equal(idx, vip_uniform_neurons(v, n=50, seed=8))


def test_filter_columns_nchw():
    C, H, W = SHAPE
    units = np.arange(C * H * W).reshape(C, H, W)
    for c in range(C):
        np.testing.assert_array_equal(filter_columns(c, SHAPE), units[c].ravel())
    np.testing.assert_array_equal(filter_columns(2, (4,)), [2])
    with pytest.raises(ValueError):
        filter_columns(C, SHAPE)


def test_fit_column_pls_k_and_scores():
    X, y = layer_data()
    Xt, yt, Xe = X[:200], y[:200], X[200:]
    sets = [filter_columns(3, SHAPE), np.array([0, 7, 9]), np.concatenate([np.arange(5), [40]])]
    models = fit_column_pls(Xt, yt, sets, n_components=4)
    assert [m.n_components for m in models] == [4, 3, 4]
    scores = column_pls_scores(models, sets, Xe)
    for m, cols, s in zip(models, sets, scores, strict=True):
        ref = PLS1(n_components=m.n_components).fit(Xt[:, cols], yt)
        np.testing.assert_allclose(m.x_scores_, ref.x_scores_, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(s, ref.transform(Xe[:, cols]), rtol=1e-12, atol=1e-12)


def test_unit_features_layout():
    X, y = layer_data()
    Xt, yt, Xe = X[:200], y[:200], X[200:]
    f = unit_features(Xt, yt, Xe, SHAPE, top_k=3, vip_neurons=5, all_filters=True)
    model = PLS1(n_components=8).fit(Xt, yt)
    v = vip(model)
    np.testing.assert_allclose(f["_vip"]["score"], v, rtol=1e-12)
    np.testing.assert_allclose(f["layer"]["train"], model.x_scores_, rtol=1e-12, atol=1e-12)
    assert f["layer"]["eval"].shape == (200, 8)
    top = top_neurons(v, 3)
    np.testing.assert_array_equal(f["neurons"]["units"], top)
    np.testing.assert_array_equal(f["neurons"]["train"], Xt[:, top])
    np.testing.assert_array_equal(f["neuron_2"]["eval"], Xe[:, [top[1]]])
    fs = filter_scores(v, SHAPE)
    assert f["filter_1"]["units"][0] == top_filters(fs, 1)[0] == 3  # the informative channel
    np.testing.assert_array_equal(f["filters"]["units"], top_filters(fs, 3))
    assert f["filters"]["train"].shape == (200, 8)
    assert {f"vip_{j}" for j in range(1, 6)} <= f.keys()
    assert {f"channel_{c}" for c in range(SHAPE[0])} <= f.keys()
    assert f["channel_5"]["score"][0] == 0.0  # dead channel


def test_layer_unit_probes_accuracies():
    X, y = layer_data(n=600)
    acc = layer_unit_probes(X[:300], y[:300], X[300:], y[300:], SHAPE, vip_neurons=4)
    assert all(0.0 <= a <= 1.0 for a in acc.values())
    assert acc["layer"] > 0.8 and acc["filter_1"] > 0.8 and acc["filters"] > 0.8
    # a pooled layer (C,): each channel is one unit, so, as the authors, no filter probes
    pooled = X.reshape(600, 6, 20).mean(axis=2)
    acc = layer_unit_probes(pooled[:300], y[:300], pooled[300:], y[300:], (6,), vip_neurons=2)
    assert not any(k.startswith("filter") for k in acc) and "neuron_1" in acc
    # ... unless asked for; then a filter is its one unit (its PLS score is affine in it)
    acc = layer_unit_probes(
        pooled[:300], y[:300], pooled[300:], y[300:], (6,), vip_neurons=2, pooled_filters=True
    )
    assert acc["filter_1"] == acc["neuron_1"]
    # scores can be computed once and scored separately
    f = unit_features(X[:300], y[:300], X[300:], SHAPE, vip_neurons=0)
    assert score_features(f, y[:300], y[300:]).keys() == {k for k in f if not k.startswith("_")}


def test_probes_import_is_light():
    code = (
        "import sys, facecues.probes.units; "
        "assert 'sklearn' not in sys.modules and 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_shards_are_read_as_float32_in_row_blocks(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((300, 5000)).astype(np.float16)
    for dtype in (np.float16, np.float32):
        path = tmp_path / f"{np.dtype(dtype).name}" / "L07.h5"
        path.parent.mkdir()
        with h5py.File(path, "w") as f:
            f.attrs.update(
                point="L07",
                name="layer2.0.relu1",
                kind="inner",
                shape=(50, 10, 10),
                index=7,
                network="0",
                attribute="Male",
                format_version=SHARD_FORMAT_VERSION,
            )
            f.create_dataset("train", data=x.astype(dtype), chunks=(7, 5000))
            f["train_y"] = np.tile(np.array([1, -1], dtype=np.int8), 150)
        tracemalloc.start()
        _, got, _ = read_shard(path, network="0", attribute="Male", block_bytes=64 << 10)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, x.astype(np.float32))
        # the float32 array plus about one block, not a whole float16 copy
        assert peak < got.nbytes + 3 * (64 << 10), f"{dtype}: peak {peak / 1e6:.2f} MB"
