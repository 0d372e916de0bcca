import json
import signal
import subprocess
import sys
import time
from dataclasses import asdict

import numpy as np
import pytest
import torch

from facecues.nets.checkpoint import load_network
from facecues.training.train import IdentityUniformSampler, TrainConfig, train_network

CFG = TrainConfig(base_width=4, input_size=32, resize=36, epochs=3, batch_size=8, lr=0.05)


def _train(world, out, cfg=CFG, seed=0):
    train_network(
        cfg,
        world / "vggface2",
        world / "lfw",
        out / "model.pt",
        out / "log.tsv",
        seed=seed,
        threads=1,
    )


def _weights(path):
    return torch.load(path, weights_only=False)["state_dict"]


def test_training_writes_checkpoint_and_log_deterministically(tiny_world, tmp_path):
    _train(tiny_world, tmp_path / "a")
    _train(tiny_world, tmp_path / "b")
    rows = (tmp_path / "a" / "log.tsv").read_text().splitlines()
    assert rows[0].split("\t")[:4] == ["epoch", "loss", "train_acc", "lfw_acc"]
    assert len(rows) == 1 + CFG.epochs
    assert all(0 <= float(r.split("\t")[3]) <= 1 for r in rows[1:])
    a, b = _weights(tmp_path / "a" / "model.pt"), _weights(tmp_path / "b" / "model.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not (tmp_path / "a" / "model.pt.resume").exists()
    net = load_network(tmp_path / "a" / "model.pt")
    assert net.fc is None and net.base_width == 4


def test_killed_training_resumes_from_its_last_epoch(tiny_world, tmp_path):
    """A run killed after an epoch restarts from its checkpoint and ends where an
    uninterrupted run ends."""
    out = tmp_path / "killed"
    code = (
        "import json, sys; from facecues.training.train import TrainConfig, train_network; "
        "w, o = sys.argv[1], sys.argv[2]; "
        "train_network(TrainConfig(**json.loads(sys.argv[3])), w + '/vggface2', w + '/lfw', "
        "o + '/model.pt', o + '/log.tsv', seed=0, threads=1)"
    )
    args = [str(tiny_world), str(out), json.dumps(asdict(CFG))]
    proc = subprocess.Popen([sys.executable, "-c", code, *args])
    resume = out / "model.pt.resume"
    deadline = time.time() + 120
    while not resume.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert resume.exists(), "the run ended before its first checkpoint could be seen"
    done = torch.load(resume, weights_only=False)["epoch"]
    assert 1 <= done < CFG.epochs
    assert not (out / "model.pt").exists()

    _train(tiny_world, out)
    _train(tiny_world, tmp_path / "straight")
    a, b = _weights(out / "model.pt"), _weights(tmp_path / "straight" / "model.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert (out / "log.tsv").read_text().splitlines()[0].startswith("epoch")


def test_identity_sampler_is_uniform_over_identities():
    # 3 identities with very different image counts: draws per identity stay uniform.
    labels = np.repeat([0, 1, 2], [5, 50, 500])
    sampler = IdentityUniformSampler(labels, seed=0)
    counts = np.zeros(3)
    for epoch in range(20):
        sampler.epoch = epoch
        counts += np.bincount(labels[list(sampler)], minlength=3)
    expected = counts.sum() / 3
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 13.8  # chi-square, 2 dof, p = 0.001
    # and the images of one identity are drawn uniformly too
    sampler.epoch = 0
    draws = [i for i in sampler if labels[i] == 0]
    assert set(draws) <= set(range(5))


def test_training_rejects_lfw_identities_in_training_set(tiny_world, tmp_path):
    import shutil

    world = tmp_path / "w"
    shutil.copytree(tiny_world, world)
    lfw_name = next((world / "lfw" / "lfw").iterdir()).name
    csv = world / "vggface2" / "bb_landmark" / "loose_bb_train.csv"
    first_id = csv.read_text().splitlines()[1].split(",")[0].strip('"').split("/")[0]
    (world / "vggface2" / "train" / first_id).rename(world / "vggface2" / "train" / lfw_name)
    csv.write_text(csv.read_text().replace(first_id, lfw_name))
    with pytest.raises(ValueError, match="overlap"):
        _train(world, tmp_path / "o")
