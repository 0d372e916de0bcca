"""The control networks' BatchNorm statistics, re-estimated on CelebA; the control written.

An untrained network's BatchNorm layers (``facecues.nets.controls``) hold mean 0
and variance 1, so in eval mode they do nothing and activations grow or shrink
with depth as the random convolutions scale them. With ``recalibrate_images > 0``
the running statistics are re-estimated (cumulative average, no weight changes)
on that many CelebA images of the probes' pool (official train and val
partitions, docs/protocol.md section 3), prepared as every probed image is: each
layer is then normalised as in a trained network, which is the fairer control.
Only pixel statistics enter, no labels. CelebA, not VGGFace2, so that a study of
given checkpoints (which has no VGGFace2) can have controls too. Both settings
are measured in the project's notes (README, "Control networks"); the default
recalibrates.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
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
from facecues.nets.architectures import network_input
from facecues.nets.checkpoint import save_network
from facecues.nets.controls import untrained_network
from facecues.nets.names import control_index

log = logging.getLogger(__name__)


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


def recalibration_images(
    celeba_root: str | Path | None, n: int, *, input_size: int, index: int, init_seed: int = 0
) -> ImageFiles:
    """``n`` CelebA images of the probes' pool (fewer where the pool is smaller), drawn
    for control ``random<index>``, in file order, prepared as every probed image is."""
    celeba = load_celeba(celeba_root, check_images=False)
    pool = celeba.indices(POOL_PARTITIONS)
    rng = np.random.default_rng((int(init_seed), index, 11))
    keep = np.sort(rng.choice(pool, size=min(int(n), len(pool)), replace=False))
    return ImageFiles([celeba.image_path(int(i)) for i in keep], input_size)


def make_control_network(
    name: str,
    out: str | Path,
    *,
    base_width: int,
    stride_in_1x1: bool,
    input_size: int,
    architecture: Mapping | None = None,
    init_seed: int = 0,
    recalibrate_images: int = 0,
    celeba_root: str | Path | None = None,
    threads: int = 1,
) -> None:
    """Write control network ``name`` (``random<i>``) as a facecues checkpoint at ``out``:
    untrained (``facecues.nets.controls.untrained_network``), its BatchNorm statistics
    re-estimated on ``recalibrate_images`` CelebA images (none: left at 0 and 1)."""
    torch.set_num_threads(threads)
    model = untrained_network(
        name,
        base_width=base_width,
        stride_in_1x1=stride_in_1x1,
        input_size=input_size,
        architecture=architecture,
        init_seed=init_seed,
    )
    seen = 0
    if recalibrate_images > 0:
        images = recalibration_images(
            celeba_root,
            recalibrate_images,
            input_size=input_size,
            index=control_index(name),
            init_seed=init_seed,
        )
        seen = recalibrate_batchnorm(model, images)
    log.info(
        "%s: random weights (init seed %d), BatchNorm recalibrated on %d images",
        name,
        init_seed,
        seen,
    )
    meta = {"architecture": architecture} if architecture is not None else {}
    save_network(model, out, control=name, init_seed=int(init_seed), recalibrated_on=seen, **meta)
