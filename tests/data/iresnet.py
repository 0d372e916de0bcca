"""A small ArcFace-style iResNet (insightface's IBasicBlock layout), a lab's own module.

IBasicBlock: BN -> conv3x3 -> BN -> PReLU -> conv3x3 (stride) -> BN, plus the
shortcut; no activation after the residual add. The embedding is
BatchNorm1d(Linear(flatten(BN(x)))): the model has no classifier head.
"""

from torch import nn


class IBasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.prelu = nn.PReLU(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        shortcut = x if self.downsample is None else self.downsample(x)
        return out + shortcut


class IResNet(nn.Module):
    def __init__(self, width=8, blocks=(2, 2), embedding=32, input_size=32):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.prelu = nn.PReLU(width)
        layers, cin = [], width
        for i, n in enumerate(blocks):
            cout = width * 2**i
            layers.append(
                nn.Sequential(
                    *[
                        IBasicBlock(cin if b == 0 else cout, cout, 2 if b == 0 else 1)
                        for b in range(n)
                    ]
                )
            )
            cin = cout
        self.layer1, self.layer2 = layers
        self.bn2 = nn.BatchNorm2d(cin)
        side = input_size // 2 ** len(blocks)
        self.fc = nn.Linear(cin * side * side, embedding)
        self.features = nn.BatchNorm1d(embedding)

    def forward(self, x):
        x = self.prelu(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        return self.features(self.fc(self.bn2(x).flatten(1)))


def iresnet(**kwargs):
    return IResNet(**kwargs)
