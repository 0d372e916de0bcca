"""The CUDA paths: the probe engine on a GPU, training with AMP, feature streaming.

Skipped where no CUDA device is present (CI); run on a GPU machine with
``python -m pytest tests/test_cuda.py``.
"""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch
from sklearn.cross_decomposition import PLSRegression

from facecues.activations.extract import extract_shards
from facecues.activations.streaming import stream_features
from facecues.data.celeba import load_celeba
from facecues.nets.checkpoint import load_network
from facecues.nets.probe_points import probe_points
from facecues.nets.resnet import FaceResNet
from facecues.probes.pls import PLS1, filter_scores, vip
from facecues.probes.probe_file import Projector
from facecues.probes.qda import qda_fit
from facecues.training.multitask import MultitaskConfig, finetune_multitask
from facecues.training.train import TrainConfig, train_network

from .test_pls import ATTRS, close, relu_data

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _np(a) -> np.ndarray:
    return a.detach().cpu().numpy()


def _units(model, index: int) -> int:
    """Units of probe point ``index`` for a 32 px input."""
    return next(p.units for p in probe_points(model, 32) if p.index == index)


@pytest.mark.parametrize("k", [1, 8])
def test_pls_on_cuda_float64_matches_sklearn(k):
    X, y = relu_data(150, 600, seed=k)
    Xnew, _ = relu_data(40, 600, seed=99)
    ref = PLSRegression(n_components=k).fit(X, y)
    me = PLS1(n_components=k, device="cuda").fit(X, y)
    for a in ATTRS:
        value = getattr(me, a)
        assert value.device.type == "cuda" and value.dtype == torch.float64
        close(_np(value), getattr(ref, a))
    close(_np(me.x_mean_), ref._x_mean)
    close(_np(me.x_std_), ref._x_std)
    close(_np(me.transform(Xnew)), ref.transform(Xnew))
    close(_np(vip(me)), vip(ref))


def test_pls_on_cuda_float32_agrees_with_float64_cpu(tmp_path):
    X, y = relu_data(400, 3000, seed=7)
    Xe, ye = relu_data(300, 3000, seed=8)
    cpu = PLS1(n_components=8).fit(X, y)
    gpu = PLS1(n_components=8, device="cuda").fit(X.astype(np.float32), y)
    assert gpu.x_weights_.dtype == torch.float32
    # float32 rounding grows with each component (NIPALS); the leading,
    # well-determined components agree to float32 precision.
    for a in ATTRS:
        close(_np(getattr(gpu, a))[:, :3], getattr(cpu, a)[:, :3], rtol=1e-3)
    # Held-out rows streamed from HDF5 in chunks onto the GPU.
    with h5py.File(tmp_path / "eval.h5", "w") as f:
        f.create_dataset("eval", data=Xe.astype(np.float32), chunks=(16, 3000))
    with h5py.File(tmp_path / "eval.h5", "r") as f:
        scores = gpu.transform(f["eval"], chunk_rows=64)
    assert scores.device.type == "cuda"
    close(_np(scores)[:, :3], cpu.transform(Xe)[:, :3], rtol=1e-3)
    pred_gpu = qda_fit(gpu.x_scores_, y).predict(scores)
    pred_cpu = qda_fit(cpu.x_scores_, y).predict(cpu.transform(Xe))
    assert np.mean(pred_gpu != pred_cpu) <= 0.02
    assert np.mean(pred_gpu == ye) > 0.7
    C, H, W = 30, 10, 10
    close(_np(filter_scores(vip(gpu), (C, H, W))), filter_scores(vip(cpu), (C, H, W)), 1e-2)


def test_training_on_cuda_with_amp(tiny_world, tmp_path):
    cfg = TrainConfig(base_width=4, input_size=32, resize=36, epochs=2, batch_size=8, lr=0.05)
    train_network(
        cfg,
        tiny_world / "vggface2",
        tiny_world / "lfw",
        tmp_path / "model.pt",
        tmp_path / "log.tsv",
        seed=0,
        threads=1,
        device="cuda",
    )
    rows = [r.split("\t") for r in (tmp_path / "log.tsv").read_text().splitlines()]
    assert len(rows) == 1 + cfg.epochs
    assert all(np.isfinite(float(r[1])) and 0 <= float(r[3]) <= 1 for r in rows[1:])
    net = load_network(tmp_path / "model.pt")  # saved from the GPU, loads on the CPU
    assert next(net.parameters()).device.type == "cpu"


def test_streamed_features_on_cuda_match_cpu(tiny_world):
    celeba = load_celeba(tiny_world / "celeba")
    paths = [celeba.image_path(i) for i in range(20)]
    torch.manual_seed(0)
    model = FaceResNet(0, base_width=4).eval()
    rng = np.random.default_rng(0)
    rot = {i: rng.standard_normal((_units(model, i), 3)) for i in (1, 30)}
    projectors = {i: {"pls": Projector(None, r, np.zeros(3))} for i, r in rot.items()}
    cpu = stream_features(model, paths, projectors, input_size=32, batch_size=8)
    gpu = stream_features(model, paths, projectors, input_size=32, batch_size=8, device="cuda")
    for i in rot:
        # cuDNN may use TF32 for convolutions: agreement to ~1e-3, not to rounding.
        close(gpu[i]["pls"], cpu[i]["pls"], rtol=1e-2)


def test_extracted_shards_on_cuda_match_cpu(tiny_world, tmp_path):
    celeba = load_celeba(tiny_world / "celeba")
    paths = [celeba.image_path(i) for i in range(12)]
    samples = {"train": (paths, np.where(np.arange(12) % 2, 1, -1))}
    torch.manual_seed(0)
    model = FaceResNet(0, base_width=4).eval()
    shards = {}
    for dev in ("cpu", "cuda"):
        shards[dev] = {i: tmp_path / dev / f"L{i:02d}.h5" for i in (1, 25, 50)}
        extract_shards(model, samples, shards[dev], input_size=32, dtype="float16", device=dev)
    for i, path in shards["cpu"].items():
        with h5py.File(path) as a, h5py.File(shards["cuda"][i]) as b:
            assert dict(a.attrs).keys() == dict(b.attrs).keys()
            close(b["train"][...], a["train"][...], rtol=1e-2)


def test_multitask_finetuning_on_cuda(tiny_world):
    celeba = load_celeba(tiny_world / "celeba")
    table = finetune_multitask(
        FaceResNet(0, base_width=4),
        celeba,
        ["Male", "Smiling"],
        MultitaskConfig(epochs=2, batch_size=16),
        input_size=32,
        network="0",
        device="cuda",
    )
    assert table["test_accuracy"].between(0, 1).all()
    assert table["val_accuracy"].between(0, 1).all()
