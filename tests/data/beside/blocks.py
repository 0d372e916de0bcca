"""The block of ``net.py``, in a module of its own beside it (a user's file imports it)."""

from torch import nn


class Block(nn.Module):
    """conv3x3 (stride) -> BN -> ReLU, plus a 1x1 shortcut."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, bias=False)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x))) + self.shortcut(x)
