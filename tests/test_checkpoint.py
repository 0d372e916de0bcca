import pytest
import torch
import torchvision

from facecues.errors import FacecuesError
from facecues.nets.checkpoint import load_network, save_network
from facecues.nets.resnet import FaceResNet


def _same(a, b):
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(a.eval().embed(x), b.eval().embed(x))


def test_own_checkpoint_round_trip_without_head(tmp_path):
    net = FaceResNet(7, base_width=4, stride_in_1x1=True)
    save_network(net, tmp_path / "m.pt", seed=3)
    loaded = load_network(tmp_path / "m.pt")
    assert loaded.fc is None and loaded.base_width == 4 and loaded.stride_in_1x1
    _same(net, loaded)


@pytest.mark.parametrize("wrap", ["bare", "module", "state_dict"])
def test_torchvision_state_dicts(tmp_path, wrap):
    ref = torchvision.models.resnet50(num_classes=10).eval()
    state = ref.state_dict()
    if wrap == "module":
        state = {f"module.{k}": v for k, v in state.items()}
    obj = {"state_dict": state, "epoch": 3} if wrap == "state_dict" else state
    torch.save(obj, tmp_path / "tv.pt")
    net = load_network(tmp_path / "tv.pt", base_width=64, stride_in_1x1=False)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        feats = torch.flatten(
            ref.avgpool(
                ref.layer4(
                    ref.layer3(ref.layer2(ref.layer1(ref.maxpool(ref.relu(ref.bn1(ref.conv1(x)))))))
                )
            ),
            1,
        )
        torch.testing.assert_close(net.embed(x), feats)


def test_mismatch_names_keys_and_shapes(tmp_path):
    state = torchvision.models.resnet50().state_dict()
    del state["layer1.0.conv1.weight"]
    state["extra.weight"] = torch.zeros(1)
    state["conv1.weight"] = torch.zeros(32, 3, 7, 7)
    torch.save(state, tmp_path / "bad.pt")
    with pytest.raises(FacecuesError) as e:
        load_network(tmp_path / "bad.pt", base_width=64)
    msg = str(e.value)
    assert "bad.pt" in msg and "missing keys: layer1.0.conv1.weight" in msg
    assert "unexpected keys: extra.weight" in msg
    assert "conv1.weight: file (32, 3, 7, 7) vs model (64, 3, 7, 7)" in msg


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(FacecuesError, match="does not exist"):
        load_network(tmp_path / "nope.pt")
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    with pytest.raises(FacecuesError, match="junk.pt: not a readable PyTorch checkpoint"):
        load_network(tmp_path / "junk.pt")


def test_other_architectures_trained_here_and_given(tmp_path):
    """A network of another architecture: our checkpoint (entry saved inside, identity head
    apart) round-trips; a lab's whole-model state dict loads with its head's keys skipped;
    a mismatch names the keys."""
    from facecues.nets.architectures import build_network, embed
    from facecues.nets.spec import parse_spec

    entry = parse_spec("torchvision:resnet18")
    torch.manual_seed(0)
    net = build_network(entry, 64, num_classes=5).eval()
    save_network(net, tmp_path / "m.pt", seed=0)
    loaded = load_network(tmp_path / "m.pt", input_size=64).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(embed(net, x), embed(loaded, x))
        assert embed(loaded, x).shape == (2, 512)
    lab = torchvision.models.resnet18(num_classes=1000)
    torch.save({"state_dict": lab.state_dict()}, tmp_path / "lab.pt")
    given = load_network(tmp_path / "lab.pt", architecture=entry, input_size=64).eval()
    with torch.no_grad():
        lab.fc = torch.nn.Identity()
        torch.testing.assert_close(given(x), lab.eval()(x))
    state = lab.state_dict()
    state.pop("layer4.1.bn2.weight")
    state["extra.weight"] = torch.zeros(1)
    torch.save(state, tmp_path / "bad.pt")
    with pytest.raises(FacecuesError) as e:
        load_network(tmp_path / "bad.pt", architecture=entry, input_size=64)
    assert "not a torchvision:resnet18 network" in str(e.value)
    assert "missing keys: layer4.1.bn2.weight" in str(e.value)
    assert "unexpected keys: extra.weight" in str(e.value)
