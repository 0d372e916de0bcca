"""ArcFace's iResNets (insightface's ``iresnet50`` and ``iresnet100``), the backbones of
face recognition, at a size a laptop CPU trains in minutes, beside the ImageNet ResNet-50
of the default study.

The design is insightface's (``recognition/arcface_torch/backbones/iresnet.py``):

- stem: conv3x3 -> BN -> PReLU (stride 1 in ArcFace; ``stem_stride``);
- four stages of ``IBasicBlock`` units ([3, 4, 14, 3] in the iResNet-50, [3, 13, 30, 3]
  in the iResNet-100), each stage halving the map in its first unit; a unit is
  BN -> conv3x3 -> BN -> PReLU -> conv3x3 (stride) -> BN, plus the shortcut (a strided
  1x1 conv and BN where the shape changes), with no activation after the sum;
- the embedding head: BN -> flatten -> Dropout -> FC -> BN1d (its scale fixed at 1),
  whose output is the face embedding (the model has no classifier head).

The widths differ: ``width`` channels in the first stage (64 in ArcFace), doubling per
stage, and an embedding of ``embedding`` values (512 in ArcFace); and the stem's stride:
ArcFace's stride-1 stem keeps, at its 112 px input, the 56, 28, 14, 7 px stage maps
an ImageNet ResNet has at 224 px. The study puts 64 px faces in place of both (its
ResNet's stages at 16, 8, 4, 2 px); ``stem_stride=2`` gives the iResNet those same stage
maps (the total stride 32 of the ResNet), ArcFace's 112 px maps at the study's scale,
where the stride-1 stem runs the stem and the first unit at the full 64 px.

Presets (64 px, embedding 128), their training step timed against the default study's
ResNet by ``benchmarks/train_step.py`` (one thread, batch 64):

- configs/iresnet100.yaml: ``iresnet100(width=4, stem_stride=2)``, compute-matched (a
  step 0.71-0.74x the ResNet's; 5 channels: 0.94-0.97x, and no better on LFW), 100 probe
  points;
- configs/iresnet50.yaml: ``iresnet50(width=6)``, ArcFace's stride-1 stem (about the
  ResNet's FLOPs, 38 M against 42 M, but 2.1-2.3x its step), 50 probe points.

Used as ``model.architecture: {source: file, name: configs/networks/iresnet.py:iresnet100}``;
the keyword arguments come from the entry's ``kwargs``.
"""

from torch import nn


def conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride, 1, bias=False)


class IBasicBlock(nn.Module):
    """BN -> conv3x3 -> BN -> PReLU -> conv3x3 (stride) -> BN, plus the shortcut."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin, eps=1e-05)
        self.conv1 = conv3x3(cin, cout)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-05)
        self.prelu = nn.PReLU(cout)
        self.conv2 = conv3x3(cout, cout, stride)
        self.bn3 = nn.BatchNorm2d(cout, eps=1e-05)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout, eps=1e-05)
            )

    def forward(self, x):
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        identity = x if self.downsample is None else self.downsample(x)
        return out + identity


class IResNet(nn.Module):
    """The iResNet of ``units`` per stage on ``input_size`` px faces (a multiple of 16)."""

    def __init__(
        self,
        units=(3, 4, 14, 3),
        width: int = 64,
        embedding: int = 512,
        dropout: float = 0.0,
        input_size: int = 112,
        stem_stride: int = 1,
    ):
        super().__init__()
        stride = 16 * stem_stride
        if stem_stride not in (1, 2) or input_size % stride:
            raise ValueError(
                f"input_size {input_size}, stem_stride {stem_stride}: expected a stem stride "
                f"of 1 or 2 and an input size a multiple of {stride} (the total stride)"
            )
        self.conv1 = conv3x3(3, width, stem_stride)
        self.bn1 = nn.BatchNorm2d(width, eps=1e-05)
        self.prelu = nn.PReLU(width)
        stages, cin = [], width
        for i, n in enumerate(units):
            cout = width * 2**i
            stages.append(
                nn.Sequential(
                    *(
                        IBasicBlock(cin if u == 0 else cout, cout, 2 if u == 0 else 1)
                        for u in range(n)
                    )
                )
            )
            cin = cout
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.bn2 = nn.BatchNorm2d(cin, eps=1e-05)
        self.dropout = nn.Dropout(p=dropout)
        side = input_size // stride
        self.fc = nn.Linear(cin * side * side, embedding)
        self.features = nn.BatchNorm1d(embedding, eps=1e-05)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, 0.1)
            elif isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        self.features.weight.requires_grad = False  # as ArcFace: the embedding's scale fixed

    def forward(self, x):
        x = self.prelu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.dropout(self.bn2(x).flatten(1))
        return self.features(self.fc(x))


def iresnet50(
    width: int = 64,
    embedding: int = 512,
    dropout: float = 0.0,
    input_size: int = 112,
    stem_stride: int = 1,
) -> IResNet:
    """ArcFace's iResNet-50: [3, 4, 14, 3] units, ``width`` channels in the first stage."""
    return IResNet((3, 4, 14, 3), width, embedding, dropout, input_size, stem_stride)


def iresnet100(
    width: int = 64,
    embedding: int = 512,
    dropout: float = 0.0,
    input_size: int = 112,
    stem_stride: int = 1,
) -> IResNet:
    """ArcFace's iResNet-100: [3, 13, 30, 3] units, ``width`` channels in the first stage."""
    return IResNet((3, 13, 30, 3), width, embedding, dropout, input_size, stem_stride)
