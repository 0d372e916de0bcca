import pytest
import torch
import torchvision

from facecues.layout import point_shapes, units_per_image
from facecues.model import FaceResNet
from facecues.probe_points import N_POINTS, capture, probe_points


@pytest.mark.parametrize("width,size", [(4, 32), (8, 64), (16, 48)])
def test_fifty_points_in_forward_order(width, size):
    model = FaceResNet(5, base_width=width)
    points = probe_points(model, size)
    assert len(points) == N_POINTS == 50
    assert [p.index for p in points] == list(range(1, 51))
    assert points[0].name == "relu" and points[0].kind == "stem"
    assert points[1].name == "layer1.0.relu1" and points[3].name == "layer1.0.relu3"
    assert points[-2].name == "layer4.2.relu3" and points[-1].name == "avgpool"
    assert [p.kind for p in points[1:4]] == ["inner", "inner", "output"]
    assert points[0].shape == (width, size // 2, size // 2)
    assert points[-1].shape == (width * 32,)
    assert points[6].id == "L07"


def test_paper_scale_unit_counts():
    # PROTOCOL.md section 4: 802,816 units at the stem; about 9.08 million in all (ResNet v1).
    v1 = probe_points(FaceResNet(0, base_width=64, stride_in_1x1=True), 224)
    assert v1[0].units == 802_816
    assert sum(p.units for p in v1) == 9_083_904
    v15 = probe_points(FaceResNet(0, base_width=64, stride_in_1x1=False), 224)
    assert sum(p.units for p in v15) == 9_610_752


def test_state_dict_matches_torchvision_resnet50():
    ours = FaceResNet(1000, base_width=64).state_dict()
    ref = torchvision.models.resnet50().state_dict()
    assert ours.keys() == ref.keys()
    assert all(ours[k].shape == v.shape for k, v in ref.items())


def test_captured_values_are_post_relu_and_match_manual_forward():
    torch.manual_seed(0)
    model = FaceResNet(3, base_width=4).eval()
    for m in model.modules():  # non-trivial BN so that ReLUs bite
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.data.normal_()
            m.bias.data.normal_()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad(), capture(model) as acts:
        model(x)
        block = model.layer1[0]
        stem = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        relu1 = torch.relu(block.bn1(block.conv1(stem)))
        relu2 = torch.relu(block.bn2(block.conv2(relu1)))
        out = block(stem)
    assert len(acts) == 50
    assert all((a >= 0).all() for a in acts.values())
    torch.testing.assert_close(acts[2], relu1)
    torch.testing.assert_close(acts[3], relu2)
    torch.testing.assert_close(acts[4], out)
    torch.testing.assert_close(acts[50], model.embed(x))
    assert (acts[2] == 0).any(), "relu1 should clip some units"


@pytest.mark.parametrize("v1", [True, False])
@pytest.mark.parametrize("width,size", [(4, 32), (16, 64), (8, 50)])
def test_torch_free_layout_matches_the_model(width, size, v1):
    points = probe_points(FaceResNet(0, base_width=width, stride_in_1x1=v1), size)
    assert [(p.name, p.kind, p.shape) for p in points] == point_shapes(width, size, v1)
    assert units_per_image(width, size, v1) == sum(p.units for p in points)
