"""Probe-point manifests: discovered once, cached, read back torch-free; the
``facecues points`` command."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from facecues.cli import main
from facecues.errors import FacecuesError
from facecues.nets.layout import resnet50_points
from facecues.nets.manifest import cache_path, network_points, read_manifest
from facecues.nets.spec import parse_spec
from tests.conftest import snakemake

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
    bad.write_text(json.dumps({"format": 1, "points": [{"id": "L02"}]}))
    with pytest.raises(FacecuesError, match=r"x\.json: not a facecues probe-point manifest"):
        read_manifest(bad)


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


def test_workflow_names_a_network_it_cannot_run_yet(tmp_path):
    (tmp_path / "c.yaml").write_text(
        "model:\n  architecture: {source: torchvision, name: resnet18}\n"
    )
    run = snakemake(tmp_path, "-n", configfile=tmp_path / "c.yaml")
    assert run.returncode != 0
    message = "model.architecture: torchvision:resnet18: the workflow trains and probes"
    assert message in run.stdout + run.stderr
    assert not (tmp_path / "results").exists()
