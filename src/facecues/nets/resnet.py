"""ResNet-50-topology face-identification networks.

`FaceResNet` has torchvision's ResNet-50 layout (7x7/2 stem, max-pool, four
stages of 3, 4, 6 and 3 Bottleneck blocks, global average pool, linear head)
with a configurable base width: at ``base_width=64`` its parameters and their
names are exactly those of ``torchvision.models.resnet50``, so a torchvision
state dict loads into it; the default synthetic study uses ``base_width=16``
so that training fits a laptop CPU.
"""

from __future__ import annotations

import torch
from torch import nn

STAGE_BLOCKS = (3, 4, 6, 3)


def conv1x1(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False)


def conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)


class Bottleneck(nn.Module):
    """torchvision's ResNet Bottleneck (same parameter names, same operations in the same
    order): relu(bn1(conv1 1x1)) -> relu(bn2(conv2 3x3, stride)) -> bn3(conv3 1x1, x4
    channels), plus the shortcut (``downsample`` or the input), then ReLU. One ReLU
    module is called three times, in place, as torchvision's. Written here so that the
    workflow's jobs need not import torchvision (~1.1 s each)."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += x if self.downsample is None else self.downsample(x)
        return self.relu(out)


class FaceResNet(nn.Module):
    """ResNet-50 topology with base width ``base_width`` and ``num_classes`` outputs.

    ``stride_in_1x1=True`` gives ResNet v1's block (stride on the first 1x1
    conv, as in Keras' ResNet50 that the authors probed: 9.08 million probe
    units per 224x224 image instead of torchvision's 9.61 million); parameter
    shapes are the same either way.
    ``num_classes=0`` builds the network without a classification head (for
    probing a checkpoint whose head is irrelevant); ``forward`` then returns
    the pooled embedding.
    """

    def __init__(self, num_classes: int, base_width: int = 64, stride_in_1x1: bool = False):
        super().__init__()
        self.stride_in_1x1 = stride_in_1x1
        self.base_width = base_width
        self.num_classes = num_classes
        self.inplanes = base_width
        self.conv1 = nn.Conv2d(3, base_width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(base_width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_stage(base_width, STAGE_BLOCKS[0], stride=1)
        self.layer2 = self._make_stage(base_width * 2, STAGE_BLOCKS[1], stride=2)
        self.layer3 = self._make_stage(base_width * 4, STAGE_BLOCKS[2], stride=2)
        self.layer4 = self._make_stage(base_width * 8, STAGE_BLOCKS[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.embedding_dim = base_width * 8 * Bottleneck.expansion
        self.fc = nn.Linear(self.embedding_dim, num_classes) if num_classes > 0 else None
        self._init_weights()

    def _make_stage(self, planes: int, blocks: int, stride: int) -> nn.Sequential:
        out_planes = planes * Bottleneck.expansion
        downsample = None
        if stride != 1 or self.inplanes != out_planes:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, out_planes, stride), nn.BatchNorm2d(out_planes)
            )
        first = Bottleneck(self.inplanes, planes, stride, downsample)
        if stride != 1 and self.stride_in_1x1:
            # ResNet v1 (Caffe/Keras, as the authors' network): the stride sits on
            # the first 1x1 conv instead of the 3x3 (torchvision's "v1.5").
            first.conv1 = conv1x1(self.inplanes, planes, stride)
            first.conv2 = conv3x3(planes, planes)
        layers = [first]
        self.inplanes = out_planes
        layers += [Bottleneck(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def _init_weights(self) -> None:
        # torchvision's ResNet initialisation, with the last BN of each
        # residual branch zeroed so every block starts as the identity.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        for m in self.modules():
            if isinstance(m, Bottleneck):
                nn.init.zeros_(m.bn3.weight)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The globally pooled feature vector (the face embedding)."""
        x = self.relu(self.bn1(self.conv1(x)))
        # Max pooling in channels-last layout: the same values and gradients (ties
        # resolved alike), ~4x faster on CPU than in NCHW, even with the two copies.
        x = self.maxpool(x.contiguous(memory_format=torch.channels_last)).contiguous()
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.embed(x)
        return self.fc(z) if self.fc is not None else z
