"""Control networks: untrained weights drawn reproducibly (facecues.nets.controls), their
BatchNorm statistics re-estimated on CelebA and the control written
(facecues.training.recalibration)."""

import torch
from torch import nn

from facecues.nets.checkpoint import load_network
from facecues.nets.controls import random_network, untrained_network
from facecues.training.recalibration import make_control_network, recalibrate_batchnorm


def _stats(model):
    return {
        k: v.clone() for k, v in model.state_dict().items() if "running" in k or "num_batches" in k
    }


def test_untrained_networks_are_reproducible_and_random():
    a = untrained_network("random1", base_width=4, stride_in_1x1=False, input_size=32)
    b = random_network(1, base_width=4, stride_in_1x1=False)
    c = untrained_network("random2", base_width=4, stride_in_1x1=False, input_size=32)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not torch.equal(sa["conv1.weight"], sc["conv1.weight"])
    # no residual branch's last BatchNorm left at zero: a random ResNet, not a shortcut chain
    assert all(torch.all(m.weight == 1) for m in a.modules() if isinstance(m, nn.BatchNorm2d))
    assert not a.training


def test_recalibration_changes_only_the_statistics_and_skips_a_lone_image():
    model = random_network(0, base_width=4, stride_in_1x1=False)
    weights = {k: v.clone() for k, v in model.state_dict().items() if k not in _stats(model)}
    before = _stats(model)
    images = torch.utils.data.TensorDataset(torch.rand(5, 3, 32, 32) * 255)
    assert recalibrate_batchnorm(model, images, batch_size=4) == 4  # the last batch: 1 image
    after = model.state_dict()
    assert all(torch.equal(v, after[k]) for k, v in weights.items())
    assert not torch.equal(before["bn1.running_mean"], after["bn1.running_mean"])
    assert not model.training


def test_a_control_network_is_written_recalibrated_on_celeba(tiny_world, tmp_path):
    kw = dict(base_width=4, stride_in_1x1=False, input_size=32, init_seed=3)
    paths = []
    for n in (0, 16, 16):
        paths.append(tmp_path / f"random0_{n}_{len(paths)}.pt")
        make_control_network(
            "random0", paths[-1], recalibrate_images=n, celeba_root=tiny_world / "celeba", **kw
        )
    plain, once, again = (torch.load(p, weights_only=True) for p in paths)
    assert (plain["recalibrated_on"], once["recalibrated_on"]) == (0, 16)
    assert once["control"] == "random0" and once["init_seed"] == 3
    assert all(torch.equal(v, again["state_dict"][k]) for k, v in once["state_dict"].items())
    assert not torch.equal(
        plain["state_dict"]["bn1.running_var"], once["state_dict"]["bn1.running_var"]
    )
    load_network(paths[1])  # a facecues checkpoint like any other
