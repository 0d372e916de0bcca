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
probes' pool (official train and val partitions, PROTOCOL section 3),
prepared as every probed image is: each layer is then normalised as in a
trained network, which is the fairer control. Only pixel statistics enter,
no labels. CelebA, not VGGFace2, so that a study of given checkpoints (which
has no VGGFace2) can have controls too. Both settings are measured in the
project's notes (README, "Control networks"); the default recalibrates.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch only where a network is made: the names are read at start-up
    from torch import nn

    from .model import FaceResNet

log = logging.getLogger(__name__)

CONTROL_NAME = re.compile(r"random(\d+)")


def control_names(n: int) -> list[str]:
    """The wildcard values of ``n`` control networks: ``random0``, ``random1``, ..."""
    return [f"random{i}" for i in range(int(n))]


def control_index(name: str) -> int:
    """``random3`` -> 3; anything else raises ValueError."""
    m = CONTROL_NAME.fullmatch(str(name))
    if not m:
        raise ValueError(f"{name!r} is not a control network name (random<i>)")
    return int(m.group(1))


def random_network(
    index: int, *, base_width: int, stride_in_1x1: bool, init_seed: int = 0
) -> FaceResNet:
    """Untrained FaceResNet (no head) for control ``random<index>``, reproducibly."""
    import torch
    from torch import nn

    from .model import FaceResNet

    torch.manual_seed(int(init_seed) * 1_000_003 + int(index))
    model = FaceResNet(0, base_width=base_width, stride_in_1x1=stride_in_1x1)
    for m in model.modules():  # undo the zero-init of each residual branch's last BN
        if isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
    return model.eval()


def recalibrate_batchnorm(model: nn.Module, images, batch_size: int = 64) -> int:
    """Re-estimate every BatchNorm's running mean and variance on ``images``.

    ``images`` is a Dataset of input tensors (or (tensor, label) pairs); a
    last batch of one image is skipped (BatchNorm needs two). The
    statistics become the plain average over batches (momentum None); weights
    are not touched. Returns the number of images seen.
    """
    import torch
    from torch import nn
    from torch.utils.data import DataLoader
    from tqdm import tqdm

    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    model.train()
    seen = 0
    with torch.no_grad():
        for batch in tqdm(DataLoader(images, batch_size=batch_size), desc="BN recalibration",
                      mininterval=5):
            x = batch[0] if isinstance(batch, (list, tuple)) else batch
            if len(x) < 2:
                continue
            model(x)
            seen += len(x)
    for bn in bns:
        bn.momentum = 0.1
    model.eval()
    return seen


def make_control_network(
    name: str,
    out: str | Path,
    *,
    base_width: int,
    stride_in_1x1: bool,
    input_size: int,
    init_seed: int = 0,
    recalibrate_images: int = 0,
    celeba_root: str | Path | None = None,
    threads: int = 1,
) -> None:
    """Write control network ``name`` (``random<i>``) as a facecues checkpoint at ``out``."""
    import numpy as np
    import torch

    from .checkpoint import save_network
    from .data import load_celeba
    from .splits import POOL_PARTITIONS
    from .train import ImageFiles

    torch.set_num_threads(threads)
    index = control_index(name)
    model = random_network(
        index, base_width=base_width, stride_in_1x1=stride_in_1x1, init_seed=init_seed
    )
    seen = 0
    if recalibrate_images > 0:
        celeba = load_celeba(celeba_root, check_images=False)
        pool = celeba.indices(POOL_PARTITIONS)
        rng = np.random.default_rng((int(init_seed), index, 11))
        keep = np.sort(rng.choice(pool, size=min(int(recalibrate_images), len(pool)),
                                  replace=False))
        images = ImageFiles([celeba.image_path(int(i)) for i in keep], input_size)
        seen = recalibrate_batchnorm(model, images)
    log.info("%s: random weights (init seed %d), BatchNorm recalibrated on %d images",
             name, init_seed, seen)
    save_network(model, out, control=name, init_seed=int(init_seed), recalibrated_on=seen)
