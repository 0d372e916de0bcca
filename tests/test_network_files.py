"""The network's source files (a ``file`` entry's module and the modules beside it that it
imports): found, importable, hashed, inputs of every job that loads the network, and an
edit reruns what depends on it (a real Snakemake run, then dry runs)."""

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from facecues.nets.architectures import build_backbone
from facecues.nets.spec import entry_key, source_files, source_hashes
from tests.conftest import TINY_STUDY, snakemake

BESIDE = Path(__file__).parent / "data" / "beside"
LOADERS = ("train", "control_network", "extract", "score_val", "score_test", "finetune")


def _network(tmp_path: Path) -> dict:
    """A copy of tests/data/beside (net.py imports blocks.py beside it) and its entry."""
    folder = tmp_path / "net"
    shutil.copytree(BESIDE, folder)
    return {"source": "file", "name": f"{folder / 'net.py'}:net", "kwargs": {"width": 4}}


def test_a_user_file_imports_a_module_beside_it_and_both_are_its_sources(tmp_path):
    entry = _network(tmp_path)
    folder = tmp_path / "net"
    assert source_files(entry) == [folder / "net.py", folder / "blocks.py"]
    model = build_backbone(entry, 32)
    assert type(model[0]).__name__ == "Block"
    key = entry_key(entry, 32)
    hashes = source_hashes(entry)
    (folder / "blocks.py").write_text((folder / "blocks.py").read_text() + "\n# edited\n")
    assert source_hashes(entry)[str(folder / "blocks.py")] != hashes[str(folder / "blocks.py")]
    assert entry_key(entry, 32) != key  # a new manifest: discovered again
    # an edited module beside it is read again, not taken from the last import
    (folder / "blocks.py").write_text(
        (folder / "blocks.py").read_text().replace("nn.ReLU()", "nn.ReLU6()")
    )
    assert type(build_backbone(entry, 32)[0].relu).__name__ == "ReLU6"


def test_sources_follow_imports_beside_the_file_only(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "parts.py").write_text("import helper\n")
    (tmp_path / "helper.py").write_text("import os\n")
    (tmp_path / "unused.py").write_text("")
    (tmp_path / "m.py").write_text(
        "import torch\nfrom torch import nn\nfrom pkg import parts\n\ndef f():\n    pass\n"
    )
    entry = {"source": "file", "name": f"{tmp_path / 'm.py'}:f"}
    assert source_files(entry) == [
        tmp_path / "m.py",
        tmp_path / "pkg/__init__.py",
        tmp_path / "pkg/parts.py",
        tmp_path / "helper.py",
    ]
    assert source_files({"source": "torchvision", "name": "resnet18"}) == []


def _jobs(run) -> dict[str, str]:
    """{rule: reason} of the jobs a dry run lists (rule name -> the reason's text)."""
    text = run.stdout + run.stderr
    return {
        m[1]: m[2].strip()
        for m in re.finditer(r"^rule (\w+):\n(?:    .*\n)*?    reason: (.*)$", text, re.M)
    }


def _kinds(jobs: dict[str, str]) -> dict[str, str]:
    """{rule: the kind of its reason} (the text before the files it names)."""
    return {rule: reason.split(":")[0] for rule, reason in jobs.items()}


@pytest.mark.workflow
def test_editing_the_network_file_reruns_what_loads_it(tmp_path):
    entry = _network(tmp_path)
    blocks = tmp_path / "net/blocks.py"
    config = {**TINY_STUDY, "erasure": {"enabled": False}}
    config["model"] = {"input_size": 32, "architecture": entry}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))

    # every job that builds or loads the network has both files among its inputs
    dry = snakemake(tmp_path, "-n")
    assert dry.returncode == 0, dry.stderr[-3000:]
    blocks_of = {
        m[1]: str(blocks) in m[0]
        for m in re.finditer(r"^rule (\w+):\n(?:    .*\n)*", dry.stdout, re.M)
    }
    assert all(blocks_of[rule] for rule in LOADERS), blocks_of
    assert not blocks_of["pls_vip"] and not blocks_of["splits"]

    models = ["results/models/0/model.pt", "results/models/random0/model.pt"]
    run = snakemake(tmp_path, "--cores", "2", *models)
    assert run.returncode == 0, run.stderr[-3000:]
    before = _jobs(snakemake(tmp_path, "-n"))
    assert "train" not in before and "control_network" not in before

    os.utime(blocks)  # touched, not changed: nothing reruns
    assert _kinds(_jobs(snakemake(tmp_path, "-n"))) == _kinds(before)

    text = blocks.read_text()
    blocks.write_text(text.replace("nn.ReLU()", "nn.ReLU()  # edited"))
    after = _jobs(snakemake(tmp_path, "-n"))
    assert after["train"].startswith("Updated input files:") and str(blocks) in after["train"]
    assert str(blocks) in after["control_network"]
    assert set(after) == set(before) | {"train", "control_network"}
    # the same with only the mtime trigger: the checksum of a newer input decides
    mtime_only = _jobs(snakemake(tmp_path, "-n", "--rerun-triggers", "mtime"))
    assert mtime_only["train"].startswith("Updated input files:")

    # edited, then given an older time (copied back, say): the hashes in params rerun it
    os.utime(blocks, (0, 0))
    after = _jobs(snakemake(tmp_path, "-n"))
    for rule in ("train", "control_network"):
        assert after[rule].startswith("Params have changed since last execution"), after[rule]
