"""Probe-point manifests: discovered once, cached, read back torch-free; the
``facecues points`` command."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from facecues.cli import main
from facecues.errors import DataFormatError, FacecuesError
from facecues.nets.layout import resnet50_points
from facecues.nets.manifest import (
    MANIFEST_FORMAT_VERSION,
    cache_path,
    discover_manifest,
    network_points,
    read_manifest,
    write_manifest,
)
from facecues.nets.spec import parse_spec
from facecues.results.claims.store import read_verdicts
from tests.conftest import ROOT, TINY_STUDY, snakemake

IRESNET = str(Path(__file__).parent / "data" / "iresnet.py")


def test_built_in_points_come_from_the_layout(tmp_path):
    m = network_points(parse_spec("resnet50", {"base_width": 16}), 64, cache=tmp_path)
    assert m.method == "layout" and list(m.points) == resnet50_points(16, 64)
    assert not list(tmp_path.iterdir())  # nothing discovered, nothing written


def test_discovered_once_then_read_without_torch(tmp_path):
    entry = parse_spec(f"{IRESNET}:iresnet", {"width": 4})
    first = network_points(entry, 32, cache=tmp_path)
    path = cache_path(entry, 32, None, tmp_path)
    assert path.is_file() and path.name.startswith("iresnet_iresnet-")
    assert first.method == "fx" and len(first.points) == 10
    assert read_manifest(path) == first
    code = (
        "import sys; from facecues.nets.manifest import network_points; "
        f"m = network_points({entry!r}, 32, cache={str(tmp_path)!r}); "
        "print(len(m.points), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["10", "False"]
    # another input size, or another file content, is another manifest
    assert cache_path(entry, 48, None, tmp_path) != path


def test_a_broken_manifest_is_named(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text(
        json.dumps({"format_version": MANIFEST_FORMAT_VERSION, "points": [{"id": "L02"}]})
    )
    with pytest.raises(FacecuesError, match=r"x\.json: not a facecues probe-point manifest"):
        read_manifest(bad)


@pytest.mark.parametrize(("version", "found"), [(None, "none"), (99, "99"), ("1", "'1'")])
def test_a_manifest_of_another_format_version_is_named(tmp_path, version, found):
    entry = parse_spec(f"{IRESNET}:iresnet", {"width": 4})
    path = tmp_path / "m.json"
    write_manifest(discover_manifest(entry, 32), path)
    doc = json.loads(path.read_text())
    assert doc["format_version"] == MANIFEST_FORMAT_VERSION
    del doc["format_version"]
    legacy = tmp_path / "legacy.json"  # the key's former name: the same format
    legacy.write_text(json.dumps({"format": MANIFEST_FORMAT_VERSION, **doc}))
    assert read_manifest(legacy) == read_manifest(path)
    if version is not None:
        doc["format_version"] = version
    path.write_text(json.dumps(doc))
    with pytest.raises(DataFormatError) as e:
        read_manifest(path)
    msg = str(e.value)
    assert str(path) in msg and f"format_version {found}, expected {MANIFEST_FORMAT_VERSION}" in msg
    assert "delete it" in msg and "rerun snakemake" in msg


def test_points_command(tmp_path, capsys):
    out = tmp_path / "m.json"
    assert (
        main(["points", "torchvision:resnet18", "--input-size", "64", "--manifest", str(out)]) == 0
    )
    text = capsys.readouterr().out
    assert "L01  relu" in text and "L18  avgpool" in text
    assert "18 points, 188,928 units per 64x64 image; found by FX tracing" in text
    assert len(read_manifest(out).points) == 18
    assert main(["points", "torchvision:resnet18", "--kwargs", "[1]"]) == 2
    assert "expected a JSON object" in capsys.readouterr().err
    assert main(["points", "timm-x:y"]) == 2
    assert "expected resnet50, torchvision:<builder>" in capsys.readouterr().err


@pytest.mark.workflow
def test_tiny_study_of_a_vision_transformer(tmp_path, tiny_study, capsys):
    """The lab's own module (a small ViT file): trained, probed at its discovered token
    maps, its controls built alike, figures and summary from its own depth landmarks;
    run by ``facecues architectures`` beside the tiny ResNet study (already done: nothing
    rerun) and compared with it on relative depth."""
    config = {
        **TINY_STUDY,
        "erasure": {"enabled": False},
        "model": {
            "input_size": 32,
            "architecture": {
                "source": "file",
                # relative: found from the workflow's folder, not the run's (tmp_path)
                "name": "configs/networks/small_vit.py:small_vit",
                "kwargs": {"image_size": 32, "num_layers": 2, "hidden_dim": 32, "mlp_dim": 64},
            },
        },
    }
    vit = tmp_path / "vit"
    vit.mkdir()
    (vit / "config.yaml").write_text(yaml.safe_dump(config))
    resnet = tiny_study[0]
    comparison = {
        "studies": {
            "resnet": {"directory": str(resnet), "configfiles": [str(resnet / "config.yaml")]},
            "vit": {"directory": str(vit), "configfiles": [str(vit / "config.yaml")]},
        },
        "out": str(tmp_path / "compared"),
    }
    (tmp_path / "architectures.yaml").write_text(yaml.safe_dump(comparison))
    resnet_table = (resnet / "results/tables/layer_accuracy.tsv").stat().st_mtime_ns
    argv = ["architectures", str(tmp_path / "architectures.yaml"), "--"]
    assert main([*argv, "-s", str(ROOT / "Snakefile"), "--cores", "2"]) == 0
    said = capsys.readouterr()
    assert "[2/2] checking vit" in said.err and "[1/2] running resnet" in said.err
    assert (resnet / "results/tables/layer_accuracy.tsv").stat().st_mtime_ns == resnet_table

    manifests = list((vit / "results/manifests").glob("small_vit_small_vit-*.json"))
    assert len(manifests) == 1
    points = read_manifest(manifests[0]).points
    assert [p.name for p in points] == [
        "encoder.dropout",  # the stem's output: the first block's input
        "encoder.layers.encoder_layer_0.mlp.1",
        "encoder.layers.encoder_layer_0",
        "encoder.layers.encoder_layer_1.mlp.1",
        "encoder.layers.encoder_layer_1",
        "embedding",
    ]
    assert points[2].shape == (32, 17)  # channels x (class token + 4 x 4 patches)
    assert {p.layout for p in points} == {"tokens", "vector"}
    table = pd.read_csv(vit / "results/tables/layer_accuracy.tsv", sep="\t")
    assert sorted(table["point"].unique()) == ["L00", "L01", "L02", "L03", "L04", "L05", "L06"]
    assert set(table["network"].astype(str)) == {"0", "random0"}
    assert table.loc[table["point"] == "L03", "name"].iloc[0] == "encoder.layers.encoder_layer_0"
    summary = (vit / "results/summary.md").read_text()
    assert "shallow layers (L01)" in summary and "mean over L01 vs mean over L05" in summary
    for figure in ("fig3", "fig4", "fig5", "fig1"):
        assert (vit / f"results/figures/{figure}.png").stat().st_size > 10_000

    # the comparison: the figure, and each study's network, size, accuracies and verdicts
    assert (tmp_path / "compared/compare.png").stat().st_size > 10_000
    assert (tmp_path / "compared/compare.pdf").is_file()
    md = (tmp_path / "compared/architectures.md").read_text()
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ") for line in md.splitlines()}
    resnet_units = sum(p.units for p in resnet50_points(4, 32))
    assert rows["resnet"][1:4] == ["ResNet-50 topology, 32 px", "50", f"{resnet_units:,}"]
    vit_units = sum(p.units for p in points)
    assert rows["vit"][1:4] == ["small_vit.py:small_vit, 32 px", "6", f"{vit_units:,}"]
    for name, folder in (("resnet", resnet), ("vit", vit)):
        verdicts = read_verdicts(folder / "results/verdicts.json")
        claims = ("a", "b", "b_each", "c", "d")
        assert set(verdicts) == {*claims, "planted"}
        assert rows[name][-6:] == [*(verdicts[k] for k in claims), verdicts["planted"] + " |"]
        lfw = pd.read_csv(folder / "results/models/0/train_log.tsv", sep="\t")["lfw_acc"]
        assert rows[name][4] == f"{100 * lfw.iloc[-1]:.1f}%"

    out = tmp_path / "compare.png"
    assert main(["compare", str(resnet / "results"), str(vit / "results"), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "ResNet-50 topology, 32 px; small_vit.py:small_vit, 32 px" in said
    assert out.stat().st_size > 10_000 and out.with_suffix(".pdf").is_file()
    assert main(["compare", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "nowhere/tables/layer_accuracy.tsv does not exist" in capsys.readouterr().err


@pytest.mark.parametrize(
    "architecture,message",
    [
        ({"source": "torchvision", "name": "resnet81"}, "no torchvision classification builder"),
        ({"source": "file", "name": f"{IRESNET}:nothing"}, "has no function 'nothing'"),
        (
            {"source": "torchvision", "name": "resnet18", "points": ["layer9.*"]},
            "'layer9.*' matches no point",
        ),
    ],
)
def test_workflow_start_up_names_a_bad_network(tmp_path, architecture, message):
    config = {"model": {"input_size": 32, "architecture": architecture}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(tmp_path, "-n", configfile=tmp_path / "c.yaml")
    assert run.returncode != 0
    assert "model.architecture:" in run.stdout + run.stderr
    assert message in run.stdout + run.stderr
    assert not (tmp_path / "results").exists()  # nothing written, no job run


def test_input_normalisation_of_an_entry(tmp_path):
    """mean/std of the entry: the network (in training, probing, the input point L00)
    receives ((x * 128 + 128) / 255 - mean) / std of facecues' (x - 128) / 128; without
    them, the input unchanged; half an entry is refused at start-up."""
    import torch

    from facecues.nets.architectures import build_network, embed
    from facecues.nets.probe_points import point_capture

    imagenet = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
    entry = {**parse_spec("torchvision:resnet18"), **imagenet}
    torch.manual_seed(0)
    net = build_network(entry, 32, num_classes=3).eval()
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    pixels01 = (x * 128 + 128) / 255
    expected = (pixels01 - torch.tensor(imagenet["mean"]).view(1, 3, 1, 1)) / torch.tensor(
        imagenet["std"]
    ).view(1, 3, 1, 1)
    with torch.no_grad():
        torch.testing.assert_close(embed(net, x), net.backbone(expected))
        with point_capture(net.backbone, [0, 18], input_size=32) as (run, acts):
            run(x)
        torch.testing.assert_close(acts[0], expected)
        torch.testing.assert_close(acts[18], net.backbone(expected))
    plain = build_network(parse_spec("torchvision:resnet18"), 32, num_classes=3).eval()
    with torch.no_grad():
        torch.testing.assert_close(embed(plain, x), plain.backbone(x))
    config = {
        "model": {"architecture": {"source": "torchvision", "name": "resnet18", "mean": [0.5] * 3}}
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(tmp_path, "-n", configfile=tmp_path / "c.yaml")
    assert run.returncode != 0
    assert "expected both (the input normalisation per RGB channel) or neither" in (
        run.stdout + run.stderr
    )


def test_a_version_1_manifest_says_what_else_to_redo(tmp_path):
    """Version 1 had another block rule and stored channels-last points as they came: its
    study's probes are named."""
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"format_version": 1, "points": []}))
    with pytest.raises(DataFormatError) as e:
        read_manifest(path)
    assert "format_version 1, expected 2" in str(e.value)
    assert "delete that study's results/probes as well" in str(e.value)
