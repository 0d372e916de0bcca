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

This module builds the untrained network only; its BatchNorm running
statistics, re-estimated on CelebA images, and the written control are
``facecues.training.recalibration``.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from facecues.nets.architectures import build_backbone
from facecues.nets.names import control_index
from facecues.nets.resnet import FaceResNet


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


def untrained_network(
    name: str,
    *,
    base_width: int,
    stride_in_1x1: bool,
    input_size: int,
    architecture: Mapping | None = None,
    init_seed: int = 0,
) -> nn.Module:
    """Control ``name`` (``random<i>``) untrained, in eval mode: the built-in topology
    (``random_network``) or, given ``architecture``, its builder's own initialisation,
    seeded alike."""
    index = control_index(name)
    if architecture is None:
        return random_network(
            index, base_width=base_width, stride_in_1x1=stride_in_1x1, init_seed=init_seed
        )
    torch.manual_seed(int(init_seed) * 1_000_003 + int(index))
    return build_backbone(architecture, input_size).eval()
