"""Probe points discovered from real models (random weights, no downloads): names, order
and shapes, and captured values checked against forward passes written out by hand."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from facecues.errors import FacecuesError
from facecues.nets.architectures import build_backbone
from facecues.nets.discovery import capture, discover
from facecues.nets.layout import resnet50_points
from facecues.nets.spec import parse_spec

IRESNET = str(Path(__file__).parent / "data" / "iresnet.py")


def _net(spec, size, **kwargs):
    torch.manual_seed(0)
    return build_backbone(parse_spec(spec, kwargs), size).eval()


def _captured(model, discovery, x):
    with torch.no_grad(), capture(model, discovery) as (run, store):
        run(x)
    return {discovery.points[i - 1].name: t for i, t in store.items()}


@pytest.mark.parametrize("stride_in_1x1", [True, False])
def test_built_in_topology_gives_todays_fifty_points(stride_in_1x1):
    model = _net("resnet50", 48, base_width=8, stride_in_1x1=stride_in_1x1)
    found = discover(model, 48)
    assert found.method == "fx"
    assert found.probe_points() == resnet50_points(8, 48, stride_in_1x1)


def test_torchvision_resnet18_block_by_hand():
    model = _net("torchvision:resnet18", 64)
    found = discover(model, 64)
    names = [p.name for p in found.points]
    assert len(names) == 18 and names[0] == "relu" and names[-1] == "avgpool"
    assert names[1:3] == ["layer1.0.relu1", "layer1.0.relu2"]
    assert [p.kind for p in found.points[:3]] == ["stem", "inner", "output"]
    x = torch.randn(2, 3, 64, 64)
    got = _captured(model, found, x)
    with torch.no_grad():
        stem = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        b = model.layer1[0]
        inner = torch.relu(b.bn1(b.conv1(stem)))
        out = torch.relu(b.bn2(b.conv2(inner)) + stem)
    torch.testing.assert_close(got["layer1.0.relu1"], inner)
    torch.testing.assert_close(got["layer1.0.relu2"], out)  # not changed by later in-place ops
    assert got["avgpool"].shape == (2, 512)


def test_mobilenet_v3_small_inside_torchvision_ops_blocks():
    model = _net("torchvision:mobilenet_v3_small", 64)
    found = discover(model, 64)
    names = [p.name for p in found.points]
    assert len(names) == 44
    assert (names[0], found.points[0].kind) == ("features.0.2", "stem")  # Hardswish of the stem
    assert names[-1] == "classifier.1" and found.points[-1].kind == "pool"
    assert "features.1" in names and found.points[names.index("features.1")].kind == "output"
    x = torch.randn(2, 3, 64, 64)
    got = _captured(model, found, x)
    with torch.no_grad():
        stem = model.features[0](x)
        block = model.features[1](stem)
    torch.testing.assert_close(got["features.0.2"], stem)
    torch.testing.assert_close(got["features.1"], block)


def test_vit_token_maps_are_channels_first():
    model = _net("torchvision:vit_b_16", 32, image_size=32)
    found = discover(model, 32)
    names = [p.name for p in found.points]
    assert len(names) == 26  # the stem (the encoder's input), 12 blocks and their GELUs
    assert (names[0], found.points[0].kind) == ("encoder.dropout", "stem")
    assert names[1:3] == ["encoder.layers.encoder_layer_0.mlp.1", "encoder.layers.encoder_layer_0"]
    assert found.points[2].shape == (768, 5)  # D x (class token + 2x2 patches)
    assert found.points[1].shape == (3072, 5)
    assert {p.layout for p in found.points[:-1]} == {"tokens"}
    assert (names[-1], found.points[-1].shape) == ("embedding", (768,))
    x = torch.randn(2, 3, 32, 32)
    got = _captured(model, found, x)
    with torch.no_grad():
        tokens = model._process_input(x)
        tokens = torch.cat([model.class_token.expand(2, -1, -1), tokens], dim=1)
        first = model.encoder.layers[0](model.encoder.dropout(tokens + model.encoder.pos_embedding))
    torch.testing.assert_close(got["encoder.layers.encoder_layer_0"], first.transpose(1, 2))
    torch.testing.assert_close(got["embedding"], model(x))


def test_timm_model():
    pytest.importorskip("timm")
    model = _net("timm:resnet18", 64)
    found = discover(model, 64)
    names = [p.name for p in found.points]
    assert len(names) == 18 and names[0] == "act1" and names[-1] == "global_pool.pool"
    got = _captured(model, found, torch.randn(2, 3, 64, 64))
    assert got["global_pool.pool"].shape == (2, 512)


def test_timm_missing_is_named_with_both_ways_to_install(monkeypatch):
    """Where timm is not installed (it is an optional extra, left out of the conda envs),
    the network is named with how to add it: pip, or envs/torch.yaml with --use-conda."""
    import sys

    monkeypatch.setitem(sys.modules, "timm", None)  # import timm raises ImportError
    with pytest.raises(FacecuesError) as e:
        build_backbone(parse_spec("timm:resnet18"), 64)
    assert "architecture timm:resnet18: timm is not installed" in str(e.value)
    assert "pip install 'facecues[timm]'" in str(e.value)
    assert "add timm to envs/torch.yaml" in str(e.value)


def test_users_iresnet_file():
    model = _net(f"{IRESNET}:iresnet", 32)
    found = discover(model, 32)
    assert [(p.name, p.kind) for p in found.points[:3]] == [
        ("prelu", "stem"),
        ("layer1.0.prelu", "inner"),
        ("layer1.0", "output"),  # the residual add, no activation after it
    ]
    assert (found.points[-1].name, found.points[-1].shape) == ("features", (32,))
    assert len(found.points) == 10
    x = torch.randn(2, 3, 32, 32)
    got = _captured(model, found, x)
    with torch.no_grad():
        stem = model.prelu(model.bn1(model.conv1(x)))
        b = model.layer1[0]
        out = b.bn3(b.conv2(b.prelu(b.bn2(b.conv1(b.bn1(stem)))))) + b.downsample(stem)
    torch.testing.assert_close(got["layer1.0"], out)
    torch.testing.assert_close(got["features"], model(x))


class Unit(nn.Module):
    """A block: conv and ReLU; ``copy`` returns a new tensor equal to the ReLU's output."""

    def __init__(self, copy=False):
        super().__init__()
        self.conv, self.relu, self.copy = nn.Conv2d(4, 4, 1), nn.ReLU(), copy

    def forward(self, x):
        y = self.relu(self.conv(x))
        return y * 1.0 if self.copy else y


class Untraceable(nn.Module):
    """Data-dependent control flow (FX cannot trace it) and an in-place op after a ReLU."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.act = nn.ReLU(inplace=True)
        self.blocks = nn.Sequential(Unit(), Unit(copy=True))
        self.fc = nn.Linear(4, 7)

    def forward(self, x):
        x = self.act(self.conv(x))
        if x.sum() > 0:
            x.mul_(2.0)  # changes the ReLU's output tensor after the hook saw it
        x = self.blocks(x)
        return self.fc(x.mean((2, 3)))


def test_untraceable_model_goes_through_hooks():
    torch.manual_seed(0)
    model = Untraceable().eval()
    found = discover(model, 16)
    assert found.method == "hooks" and "symbolically traced variables" in found.trace_error
    # a block ending in its ReLU is one point (the same tensor); a block returning an
    # equal copy is two (never merged by value)
    assert [(p.name, p.kind, p.layout) for p in found.points] == [
        ("act", "stem", "chw"),
        ("blocks.0.relu", "output", "chw"),
        ("blocks.1.relu", "inner", "chw"),
        ("blocks.1", "output", "chw"),
        ("embedding", "pool", "vector"),
    ]
    x = torch.randn(2, 3, 16, 16)
    got = _captured(model, found, x)
    with torch.no_grad():
        torch.testing.assert_close(got["act"], torch.relu(model.conv(x)))  # before the mul_
        torch.testing.assert_close(got["blocks.1"], got["blocks.1.relu"])
    with torch.no_grad():  # weights that make every value zero: the same points
        for w in model.parameters():
            w.zero_()
    assert discover(model, 16).points == found.points


class Branching(nn.Module):
    """Takes block ``a`` or ``b`` by the sign of its input's mean (untraceable)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.a, self.b = nn.ModuleList([Unit(), Unit()]), nn.ModuleList([Unit(), Unit()])
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        branch = self.a if x.mean() > 0 else self.b
        for unit in branch:
            x = unit(self.conv(x) if x.shape[1] == 3 else x)
        return self.fc(x.mean((2, 3)))


def test_a_batch_taking_another_branch_is_named():
    torch.manual_seed(0)
    model = Branching().eval()
    found = discover(model, 8)  # noise of mean > 0 (seed 0): branch a
    assert found.method == "hooks"
    assert [p.name for p in found.points] == ["stem", "a.0.relu", "a.1.relu", "embedding"]
    with pytest.raises(FacecuesError) as e, torch.no_grad(), capture(model, found) as (run, _):
        run(-torch.ones(2, 3, 8, 8))  # mean < 0: branch b
    msg = str(e.value)
    assert "probe point L02 (a.0.relu) was not computed for this batch" in msg
    assert "another branch than at discovery" in msg
    assert "this batch ran the points stem, b.0.relu, b.1.relu, embedding" in msg


def test_user_point_patterns():
    model = _net("torchvision:resnet18", 64)
    found = discover(model, 64, ["layer2.*.relu2", "layer1.0.bn1"])
    assert [p.name for p in found.points] == ["layer1.0.bn1", "layer2.0.relu2", "layer2.1.relu2"]
    with pytest.raises(FacecuesError, match=r"'layer9\.\*' matches no point"):
        discover(model, 64, ["layer9.*"])


@pytest.mark.parametrize(
    "spec,kwargs,match",
    [
        ("torchvision:resnet19", {}, r"no torchvision classification builder 'resnet19'.*resnet18"),
        ("timm:not_a_model", {}, r"no timm model 'not_a_model'"),
        ("nosuch/file.py:make", {}, r"module file nosuch/file\.py does not exist"),
        (f"{IRESNET}:resnet", {}, r"has no function 'resnet'; it defines .*iresnet"),
        ("resnet34", {}, r"unknown built-in network 'resnet34'"),
        ("torchvision:resnet18", {"depth": 3}, r"refused kwargs \{'depth': 3\}"),
    ],
)
def test_unknown_architectures_are_named(spec, kwargs, match):
    if spec.startswith("timm"):
        pytest.importorskip("timm")
    with pytest.raises(FacecuesError, match=match):
        build_backbone(parse_spec(spec, kwargs), 64)


def test_input_size_the_model_cannot_take():
    model = _net("torchvision:vit_b_16", 32, image_size=32)
    with pytest.raises(FacecuesError, match=r"cannot take a 64x64 input"):
        discover(model, 64)


@pytest.mark.parametrize(
    ("spec", "size", "kwargs"),
    [
        ("torchvision:resnet18", 32, {}),
        ("torchvision:densenet121", 32, {}),
        ("torchvision:swin_t", 64, {}),
        ("torchvision:convnext_tiny", 32, {}),
        ("torchvision:efficientnet_b0", 32, {}),
        ("torchvision:mobilenet_v3_small", 32, {}),
        ("torchvision:vit_b_16", 32, {"image_size": 32}),
        (f"{IRESNET}:iresnet", 32, {}),
    ],
)
def test_node_paths_are_torchvisions(spec, size, kwargs):
    # facecues.nets.node_paths follows torchvision's NodePathTracer (which jobs no longer
    # import): the same nodes, the same names, in the same order
    import math

    import torchvision
    from torchvision.models.feature_extraction import NodePathTracer as Theirs

    from facecues.nets.node_paths import NodePathTracer as Ours

    model = _net(spec, size, **kwargs)
    ours, theirs = Ours(), Theirs(autowrap_modules=(math, torchvision.ops))
    a, b = ours.trace(model), theirs.trace(model)
    assert [(n.op, str(n.target)) for n in a.nodes] == [(n.op, str(n.target)) for n in b.nodes]
    assert list(ours.node_to_qualname.values()) == list(theirs.node_to_qualname.values())


def test_a_traced_file_network_imports_no_torchvision():
    # torchvision imports torch._dynamo (~1.8 s a job); a user file that does not use it
    # is traced, discovered and captured without it
    code = (
        "import sys, torch\n"
        "from facecues.nets.architectures import build_backbone\n"
        "from facecues.nets.discovery import capture, discover\n"
        "from facecues.nets.spec import parse_spec\n"
        f"m = build_backbone(parse_spec({IRESNET + ':iresnet'!r}, {{}}), 32).eval()\n"
        "found = discover(m, 32)\n"
        "with torch.no_grad(), capture(m, found) as (run, store):\n"
        "    run(torch.zeros(2, 3, 32, 32))\n"
        "assert len(store) == len(found.points)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'torchvision'))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
