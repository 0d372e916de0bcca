"""Validation features streamed through saved projections equal the direct computation."""

import h5py
import numpy as np
import torch

from facecues.activations.extract import extract_shards
from facecues.activations.streaming import stream_features
from facecues.data.celeba import load_celeba
from facecues.data.splits import identity_task_labels
from facecues.nets.resnet import FaceResNet
from facecues.probes.fit import CONTROL_PROBES, fit_layer_probes, probe_stream
from facecues.probes.probe_file import load_point_probes
from facecues.probes.units import unit_features


def test_streamed_features_match_in_memory_probes(tiny_world, tmp_path):
    celeba = load_celeba(tiny_world / "celeba")
    paths = [celeba.image_path(i) for i in range(40)]
    y = np.where(np.arange(40) % 2 == 0, 1, -1).astype(np.int8)
    torch.manual_seed(0)
    model = FaceResNet(0, base_width=4).eval()
    points = [0, 1, 4, 30, 50]  # the input L00 too
    shards = {i: tmp_path / f"L{i:02d}.h5" for i in points}
    both = {"train": (paths[:24], y[:24]), "val": (paths[24:], y[24:])}
    identity = identity_task_labels(celeba.identity, 0)[:24]
    extract_shards(
        model, both, shards, input_size=32, dtype="float32", batch_size=7, identity_y=identity
    )

    projectors, expected = {}, {}
    for i, shard in shards.items():
        out = tmp_path / f"probe{i}.h5"
        fit_layer_probes(shard, out, top_k=3, vip_neurons=4)
        probes = load_point_probes(out)
        projectors[i] = probes.projectors
        with h5py.File(shard) as f:
            xtr, xva, shape = f["train"][...], f["val"][...], tuple(f.attrs["shape"])
        # the same draws as fit_layer_probes: the VIP-uniform stream of (network, attribute,
        # point), here unnamed, and the identity-task twins on a random label per person
        seed = probe_stream(0, "", "", i)
        expected[i] = unit_features(xtr, y[:24], xva, shape, top_k=3, vip_neurons=4, seed=seed)
        twins = unit_features(xtr, identity, xva, shape, top_k=3, vip_neurons=0, singles=1)
        expected[i].update({f"identity_{n}": twins[n] for n in CONTROL_PROBES if n in twins})
        np.testing.assert_array_equal(probes.identity_y, identity)
        assert set(probes.train) == {n for n in expected[i] if not n.startswith("_")}
        for name, train in probes.train.items():
            np.testing.assert_allclose(train, expected[i][name]["train"], rtol=1e-5, atol=1e-5)

    streamed = stream_features(model, paths[24:], projectors, input_size=32, batch_size=5)
    for i in points:
        assert set(streamed[i]) == set(projectors[i])
        for name, feats in streamed[i].items():
            np.testing.assert_allclose(feats, expected[i][name]["eval"], rtol=1e-4, atol=1e-4)
