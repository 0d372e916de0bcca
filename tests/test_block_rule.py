"""One block rule for every family, and layout-aware points: on small, untrained
torchvision networks of each family, every block's output is a point, and a stored
"filter" (axis 1) is one channel of the network's own tensor, whatever its layout."""

import pytest
import torch
from torch import nn
from torchvision import models

from facecues.nets.blocks import blocks
from facecues.nets.discovery import capture, discover
from facecues.nets.layout import depths


def _small(family):
    torch.manual_seed(0)
    if family == "resnet":
        return models.resnet101(num_classes=4), 32
    if family == "densenet":
        return models.DenseNet(8, (2, 3, 2), 16, num_classes=4), 32
    if family == "efficientnet":
        return models.efficientnet_b0(num_classes=4), 32
    if family == "convnext":
        setting = [
            models.convnext.CNBlockConfig(16, 32, 2),
            models.convnext.CNBlockConfig(32, None, 3),
        ]
        return models.ConvNeXt(setting, num_classes=4), 32
    if family == "swin":
        return models.SwinTransformer([4, 4], 16, [2, 2], [2, 2], [2, 2], num_classes=4), 32
    if family == "vit":
        return models.VisionTransformer(32, 8, 2, 2, 16, 32, num_classes=4), 32
    torch.manual_seed(0)
    return models.MaxVit((32, 32), 8, 2, [16, 32], [1, 1], 4, 0.0, num_classes=4), 32


# family: (blocks, the block class, layouts of the points before the embedding)
FAMILIES = {
    "resnet": (33, "Bottleneck", {"chw"}),
    "densenet": (7, "_DenseLayer", {"chw"}),
    "efficientnet": (16, "MBConv", {"chw"}),
    "convnext": (5, "CNBlock", {"chw", "hwc"}),
    "swin": (4, "SwinTransformerBlock", {"hwc"}),
    "vit": (2, "EncoderBlock", {"tokens"}),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_every_block_output_is_a_point(family):
    model, size = _small(family)
    model.eval()
    n, cls, layouts = FAMILIES[family]
    paths = blocks(model)
    assert len(paths) == n and {type(model.get_submodule(p)).__name__ for p in paths} == {cls}
    found = discover(model, size)
    points = found.probe_points()
    outputs = [p for p in points if p.kind == "output"]
    assert len(outputs) == n  # one per block, in block order
    assert [p.stage for p in outputs] == [p.rpartition(".")[0] for p in paths]
    assert points[0].kind == "stem" and points[-1].kind == "pool"
    assert {p.layout for p in points[:-1]} == layouts and points[-1].layout == "vector"
    d = depths(points)  # the middle landmark is the first point of a stage of blocks
    assert points[d.middle - 1].stage in {p.rpartition(".")[0] for p in paths}


def _hooked(model, names, x):
    """The network's own tensors at the modules ``names``, by forward hooks."""
    seen = {}
    handles = [
        model.get_submodule(n).register_forward_hook(
            lambda _m, _i, out, n=n: seen.__setitem__(n, out.detach().clone())
        )
        for n in names
    ]
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return seen


# family: (a point that is a module's output, its layout, its channels)
CHANNEL_POINTS = {
    "swin": ("features.1.0.mlp.1", "hwc", 64),  # GELU of the MLP, 4 x 16 channels
    "convnext": ("features.1.0.block.4", "hwc", 64),  # GELU, 4 x 16 channels
    "vit": ("encoder.layers.encoder_layer_0.mlp.1", "tokens", 32),
    "maxvit": ("blocks.0.layers.0.layers.window_attention.mlp_layer.2", "hwc", 64),
}


@pytest.mark.parametrize("family", CHANNEL_POINTS)
def test_a_filter_is_one_channel(family):
    model, size = _small(family)
    model.eval()
    name, layout, channels = CHANNEL_POINTS[family]
    found = discover(model, size)
    index = next(i for i, p in enumerate(found.points, start=1) if p.name == name)
    point = found.points[index - 1]
    assert point.layout == layout and point.shape[0] == channels
    x = torch.randn(2, 3, size, size)
    with torch.no_grad(), capture(model, found, [index]) as (run, store):
        run(x)
    own = _hooked(model, [name], x)[name]  # channels last: (N, ..., C)
    assert own.shape[-1] == channels and store[index].shape[1] == channels
    for c in (0, channels // 2, channels - 1):  # filter c is the network's channel c
        torch.testing.assert_close(store[index][:, c], own[..., c])


class ChannelsLast(nn.Module):
    """A map of 8 channels on 8 x 8 positions laid out (H, W, C): on a square 16-pixel
    input every axis has size 8, so only the probe of other sizes or the module kind can
    tell the channels; ``fixed``: takes 16x16 inputs only."""

    def __init__(self, fixed=False):
        super().__init__()
        self.fixed = fixed
        self.conv = nn.Conv2d(3, 8, 2, stride=2)
        self.blocks = nn.Sequential(Mix(), Mix())

    def forward(self, x):
        if self.fixed:
            torch._assert(x.shape[-1] == 16, "16x16 inputs only")
        return self.blocks(self.conv(x).permute(0, 2, 3, 1)).mean((1, 2))


class Mix(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc, self.act = nn.Linear(8, 8), nn.GELU()

    def forward(self, x):
        return x + self.act(self.fc(x))


@pytest.mark.parametrize("fixed", [False, True])
def test_channels_last_decided_where_every_axis_has_one_size(fixed):
    torch.manual_seed(0)
    model = ChannelsLast(fixed).eval()
    found = discover(model, 16)
    assert [(p.name, p.kind, p.layout) for p in found.points] == [
        ("permute", "stem", "hwc"),
        ("blocks.0.act", "inner", "hwc"),
        ("blocks.0", "output", "hwc"),
        ("blocks.1.act", "inner", "hwc"),
        ("blocks.1", "output", "hwc"),
        ("embedding", "pool", "vector"),
    ]
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad(), capture(model, found, [3]) as (run, store):
        run(x)
        own = model.blocks[0](model.conv(x).permute(0, 2, 3, 1))
    torch.testing.assert_close(store[3], own.permute(0, 3, 1, 2))
