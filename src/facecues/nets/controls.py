"""Control networks: the studied architecture with untrained weights.

A probe on an untrained network measures what a probe point's size and the
input alone give (the paper's open question: are shallow layers
discriminative only because they are high-dimensional?). A control network
is named ``random<i>``; its weights are drawn from ``torch.Generator`` seeded
with ``i`` (plus ``init_seed`` from the config), with torchvision's ResNet
initialisation *without* the zeroed last BatchNorm of each residual branch
that training starts from: zeroed, every block would pass its input through
unchanged and the block outputs would be a chain of 1x1 shortcut
projections, not a random ResNet.

BatchNorm running statistics. An untrained network's BatchNorm layers hold
mean 0 and variance 1, so in eval mode they do nothing and activations grow
or shrink with depth as the random convolutions scale them. With
``recalibrate_images > 0`` the running statistics are re-estimated
(cumulative average, no weight changes) on that many CelebA images of the
probes' pool (official train and val partitions, docs/protocol.md section 3),
prepared as every probed image is: each layer is then normalised as in a
trained network, which is the fairer control. Only pixel statistics enter,
no labels. CelebA, not VGGFace2, so that a study of given checkpoints (which
has no VGGFace2) can have controls too. Both settings are measured in the
project's notes (README, "Control networks"); the default recalibrates.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import update_bn
from torch.utils.data import DataLoader
from tqdm import tqdm

from facecues.data.celeba import load_celeba
from facecues.data.images import ImageFiles
from facecues.data.splits import POOL_PARTITIONS
from facecues.nets.architectures import build_backbone, network_input
from facecues.nets.checkpoint import save_network
from facecues.nets.names import control_index
from facecues.nets.resnet import FaceResNet

log = logging.getLogger(__name__)


def random_network(
    index: int, *, base_width: int, stride_in_1x1: bool, init_seed: int = 0
) -> FaceResNet:
    """Untrained FaceResNet (no head) for control ``random<index>``, reproducibly."""
    torch.manual_seed(int(init_seed) * 1_000_003 + int(index))
    model = FaceResNet(0, base_width=base_width, stride_in_1x1=stride_in_1x1)
    for m in model.modules():  # undo the zero-init of each residual branch's last BN
        if isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
    return model.eval()


def recalibrate_batchnorm(model: nn.Module, images, batch_size: int = 64) -> int:
    """Re-estimate every BatchNorm's running mean and variance on ``images``
    (``torch.optim.swa_utils.update_bn``: statistics reset, then their plain average
    over the batches, momentum None; weights untouched). Leaves the model in eval mode.

    ``images`` is a Dataset of input tensors (or (tensor, label) pairs); a
    batch of one image is skipped (BatchNorm in training mode needs two
    values per channel, which a 1 x 1 map of one image does not give).
    Returns the number of images seen.
    """
    seen = 0

    def batches():
        nonlocal seen
        loader = DataLoader(images, batch_size=batch_size)
        for batch in tqdm(loader, desc="BN recalibration", mininterval=5):
            x = batch[0] if isinstance(batch, list | tuple) else batch
            if len(x) >= 2:
                seen += len(x)
                yield network_input(model, x)

    update_bn(batches(), model)
    model.eval()
    return seen


def make_control_network(
    name: str,
    out: str | Path,
    *,
    base_width: int,
    stride_in_1x1: bool,
    input_size: int,
    architecture: dict | None = None,
    init_seed: int = 0,
    recalibrate_images: int = 0,
    celeba_root: str | Path | None = None,
    threads: int = 1,
) -> None:
    """Write control network ``name`` (``random<i>``) as a facecues checkpoint at ``out``."""
    torch.set_num_threads(threads)
    index = control_index(name)
    if architecture is None:
        model = random_network(
            index, base_width=base_width, stride_in_1x1=stride_in_1x1, init_seed=init_seed
        )
    else:  # another architecture: its builder's own initialisation, seeded alike
        torch.manual_seed(int(init_seed) * 1_000_003 + int(index))
        model = build_backbone(architecture, input_size).eval()
    seen = 0
    if recalibrate_images > 0:
        celeba = load_celeba(celeba_root, check_images=False)
        pool = celeba.indices(POOL_PARTITIONS)
        rng = np.random.default_rng((int(init_seed), index, 11))
        keep = np.sort(
            rng.choice(pool, size=min(int(recalibrate_images), len(pool)), replace=False)
        )
        images = ImageFiles([celeba.image_path(int(i)) for i in keep], input_size)
        seen = recalibrate_batchnorm(model, images)
    log.info(
        "%s: random weights (init seed %d), BatchNorm recalibrated on %d images",
        name,
        init_seed,
        seen,
    )
    meta = {"architecture": architecture} if architecture is not None else {}
    save_network(model, out, control=name, init_seed=int(init_seed), recalibrated_on=seen, **meta)
