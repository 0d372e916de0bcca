import subprocess
import sys

import pytest
import torch
import torchvision

from facecues.nets.layout import depths, resnet50_depths, resnet50_points, units_per_image
from facecues.nets.probe_points import N_POINTS, capture, probe_points
from facecues.nets.resnet import FaceResNet


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
    # docs/protocol.md section 4: 802,816 units at the stem; about 9.08 million in all (ResNet v1).
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


def test_same_outputs_as_torchvision_resnet50():
    # facecues' own Bottleneck (no torchvision import in the jobs) computes what
    # torchvision's does, with the same weights
    torch.manual_seed(0)
    ref = torchvision.models.resnet50().eval()
    for m in ref.modules():  # non-trivial BN statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.normal_()
    ours = FaceResNet(1000, base_width=64, stride_in_1x1=False).eval()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), ref(x), rtol=0, atol=0)


def _reference_points(model: FaceResNet, x: torch.Tensor) -> dict[int, torch.Tensor]:
    """All 50 probe points by a forward pass written out here, without hooks
    (docs/protocol.md section 4)."""
    points = {1: torch.relu(model.bn1(model.conv1(x)))}
    h = model.maxpool(points[1])
    for stage in (model.layer1, model.layer2, model.layer3, model.layer4):
        for block in stage:
            r1 = torch.relu(block.bn1(block.conv1(h)))
            r2 = torch.relu(block.bn2(block.conv2(r1)))
            shortcut = block.downsample(h) if block.downsample is not None else h
            h = torch.relu(block.bn3(block.conv3(r2)) + shortcut)
            points.update({len(points) + 1: r1, len(points) + 2: r2, len(points) + 3: h})
    points[50] = torch.flatten(model.avgpool(h), 1)
    return points


def test_captured_values_are_those_of_the_forward_pass():
    torch.manual_seed(0)
    model = FaceResNet(3, base_width=4).eval()
    for m in model.modules():  # non-trivial BN so that ReLUs bite and residuals matter
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.data.normal_()
            m.bias.data.normal_()
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        with capture(model) as acts:
            logits = model(x)  # the only call while the hooks are on
        captured = dict(acts)
        expected = _reference_points(model, x)
        torch.testing.assert_close(model.fc(expected[50]), logits)  # the reference is right
    assert sorted(captured) == list(range(1, 51))
    for i in range(1, 51):
        torch.testing.assert_close(captured[i], expected[i], msg=f"point L{i:02d}")
    # post-ReLU everywhere, and the inner ReLUs do clip
    assert all((a >= 0).all() for a in captured.values())
    assert (captured[2] == 0).any() and (captured[2] > 0).any()
    # a subset of points captures the same values
    with torch.no_grad(), capture(model, [1, 23, 50]) as acts:
        model(x)
    assert sorted(acts) == [1, 23, 50]
    torch.testing.assert_close(acts[23], expected[23])


@pytest.mark.parametrize("v1", [True, False])
@pytest.mark.parametrize("width,size", [(4, 32), (16, 64), (8, 50)])
def test_torch_free_layout_matches_the_model(width, size, v1):
    points = probe_points(FaceResNet(0, base_width=width, stride_in_1x1=v1), size)
    assert points == resnet50_points(width, size, v1)  # names, kinds, shapes and stages
    assert units_per_image(width, size, v1) == sum(p.units for p in points)


def test_depth_landmarks_come_from_the_layout():
    """The ranges summary.md and the figures use, derived from the points (nets.layout)."""
    d = resnet50_depths()
    assert (d.shallow, d.deep, d.middle, d.last) == ((1, 4), (45, 49), 23, 50)
    assert d.table_depths == (1, 2, 3, 4, 23, 45, 46, 47, 48, 49, 50)
    assert d.stage_starts == {
        "stem": 1, "layer1": 2, "layer2": 11, "layer3": 23, "layer4": 41, "pool": 50
    }  # fmt: skip
    assert d.ticks == (1, 11, 23, 41, 50) and d.label(d.deep) == "L45-L49"


def test_the_input_point_is_the_image_as_the_network_receives_it():
    model = FaceResNet(0, base_width=4).eval()
    points = probe_points(model, 32, with_input=True)
    assert (points[0].id, points[0].name, points[0].shape) == ("L00", "input", (3, 32, 32))
    assert points[1:] == probe_points(model, 32)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad(), capture(model, [0, 1]) as acts:
        model(x)
    assert torch.equal(acts[0], x) and acts[1].shape == (2, 4, 16, 16)
    # not a point of the network: the depth landmarks are the same with it
    assert resnet50_depths() == depths(resnet50_points(with_input=True))


def test_a_job_whose_points_differ_from_the_manifest_does_not_run(tmp_path, monkeypatch):
    """The manifest cached at start-up is what a job's network must have: a stale one
    (here another network's, written where this entry's belongs) stops the job, naming
    the manifest file and the first point that differs on either side."""
    from facecues.errors import FacecuesError
    from facecues.nets.architectures import build_backbone
    from facecues.nets.device import job_network
    from facecues.nets.manifest import CACHE, cache_path, discover_manifest, write_manifest
    from facecues.nets.probe_points import point_capture
    from facecues.nets.spec import parse_spec

    monkeypatch.chdir(tmp_path)
    entry = parse_spec("torchvision:resnet34")
    torch.save(build_backbone(entry, 32).state_dict(), tmp_path / "net.pt")
    cfg = {"base_width": 64, "stride_in_1x1": True, "input_size": 32, "architecture": entry}
    model, _ = job_network(tmp_path / "net.pt", cfg, 1)
    assert len(probe_points(model, 32)) == 34  # the manifest discovered (not written) agrees
    stale = cache_path(entry, 32, None, CACHE)
    write_manifest(discover_manifest(parse_spec("torchvision:resnet18"), 32), stale)
    model, _ = job_network(tmp_path / "net.pt", cfg, 1)
    for job in (
        lambda: probe_points(model, 32),
        lambda: point_capture(model, [1], input_size=32).__enter__(),
    ):
        with pytest.raises(FacecuesError) as e:
            job()
        msg = str(e.value)
        assert str(stale) in msg and "the manifest has 18 points, this job finds 34" in msg
        assert "manifest L06 layer2.0.relu1 (inner, chw, 128x4x4)" in msg
        assert "vs job L06 layer1.2.relu1 (inner, chw, 64x8x8)" in msg


def test_the_default_networks_jobs_import_no_torchvision():
    # torchvision imports torch._dynamo (~1.8 s a job): the built-in ResNet is hooked,
    # never traced, so building, loading and capturing it must not import it
    code = (
        "import sys, torch\n"
        "from facecues.nets.probe_points import point_capture, probe_points\n"
        "from facecues.nets.resnet import FaceResNet\n"
        "m = FaceResNet(3, base_width=4).eval()\n"
        "probe_points(m, 32, with_input=True)\n"
        "with point_capture(m, [0, 5, 50], input_size=32) as (run, acts):\n"
        "    run(torch.zeros(2, 3, 32, 32))\n"
        "assert sorted(acts) == [0, 5, 50], sorted(acts)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'torchvision'))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
