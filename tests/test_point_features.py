"""The batched probe features of a point equal each probe's own projector."""

import h5py
import numpy as np

from facecues.activations.shards import SHARD_FORMAT_VERSION, VERSION_ATTR
from facecues.activations.streaming import PointFeatures, _column_reader
from facecues.probes.fit import fit_layer_probes
from facecues.probes.probe_file import load_point_probes


def test_point_features_equal_each_projector(tmp_path):
    rng = np.random.default_rng(0)
    shape = (6, 5, 5)
    x = np.maximum(rng.standard_normal((60, 150)), 0).astype(np.float16)
    y = np.repeat(np.array([1, -1], dtype=np.int8), 30)
    with h5py.File(tmp_path / "shard.h5", "w") as f:
        f.attrs.update(point="L02", name="layer1.0.relu1", kind="inner", shape=shape, index=2)
        f.attrs[VERSION_ATTR] = SHARD_FORMAT_VERSION
        f["train"], f["train_y"] = x, y
    fit_layer_probes(tmp_path / "shard.h5", tmp_path / "probe.h5", top_k=4, vip_neurons=6)
    probes = load_point_probes(tmp_path / "probe.h5").projectors
    kinds = {(p.columns is None, p.projection is None) for p in probes.values()}
    assert kinds == {(True, False), (False, False), (False, True)}  # whole, subset PLS, raw
    new = rng.random((23, 150), dtype=np.float32)
    batched = PointFeatures(probes)
    batched.add(new[:10])
    batched.add(new[10:])
    got = batched.result()
    assert got.keys() == probes.keys()
    for name, project in probes.items():
        want = project(new)
        assert got[name].dtype == np.float64 and got[name].shape == want.shape
        np.testing.assert_allclose(got[name], want, rtol=1e-5, atol=1e-6, err_msg=name)
    # the training features are what the projectors give on the training rows
    train = PointFeatures(probes)
    train.add(x.astype(np.float32))
    stored = load_point_probes(tmp_path / "probe.h5").train
    for name in ("layer", "filters", "filter_2", "neurons", "vip_3"):
        np.testing.assert_allclose(train.result()[name], stored[name], rtol=1e-4, atol=1e-4)


def test_column_reader_equals_fancy_indexing():
    x = np.random.default_rng(1).random((7, 400), dtype=np.float32)
    cases = {
        "one run": np.arange(50, 90),
        "runs": np.r_[np.arange(0, 40), np.arange(200, 240), np.arange(100, 140)],
        "scattered": np.array([399, 3, 17, 17, 250]),
        "empty": np.arange(0),
    }
    for name, columns in cases.items():
        np.testing.assert_array_equal(_column_reader(columns)(x), x[:, columns], err_msg=name)
    assert _column_reader(None)(x) is x
