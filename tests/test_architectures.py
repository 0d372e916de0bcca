"""``facecues architectures``: a comparison file's bad input, named before any study runs.
The comparison of two real studies runs in tests/test_manifest.py (the tiny ViT)."""

import copy
import subprocess
import sys

import pytest
import yaml

from facecues.cli import main
from facecues.results.architectures import ComparedStudy, read_comparison, snakemake_command
from tests.conftest import ROOT, TINY_STUDY, snakemake


def _write(path, data):
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize(
    "studies,extra,message",
    [
        ({"a": {"directory": "a"}}, {}, "expected a mapping of at least two named studies"),
        (
            {"a": {"directory": "a"}, "b": {"directory": "b"}},
            {"model": {}},
            "(top level): unknown key model: expected a mapping with 'studies' and 'out'",
        ),
        (
            {"a": {"directory": "a"}, "b": {"directory": "b", "configfiles": ["nope.yaml"]}},
            {},
            "studies.b.configfiles[0] = 'nope.yaml': no such file",
        ),
        (
            {"a": {"directory": "x"}, "b": {"directory": "x/"}},
            {},
            "studies.b.directory = 'x/' is also studies.a's: expected a folder per study",
        ),
        (
            {"a": {"directory": "a"}, "b": {}},
            {},
            "config key studies.b: {}: expected a mapping with 'directory'",
        ),
        (
            {"a": {"directory": "a"}, "b/c": {"directory": "b"}},
            {},
            "config key studies: 'b/c': expected study names of letters",
        ),
        (
            {"a": {"directory": "a"}, "b": {"directory": "b", "configfiles": "c.yaml"}},
            {},
            "config key studies.b.configfiles: 'c.yaml': expected a list of files",
        ),
    ],
)
def test_a_bad_comparison_file_is_named(tmp_path, capsys, monkeypatch, studies, extra, message):
    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path / "cmp.yaml", {"studies": studies, **extra})
    assert main(["architectures", str(path), "--", "--cores", "1"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:" in err and message in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp.yaml"]  # nothing run or written


def test_snakemake_arguments_go_after_the_separator(tmp_path, capsys):
    path = _write(tmp_path / "cmp.yaml", {"studies": {"a": {"directory": "a"}}})
    with pytest.raises(SystemExit) as e:
        main(["architectures", str(path), "--cores", "1"])
    assert e.value.code == 2
    assert "unrecognized arguments: --cores 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:  # only architectures passes words after '--' on
        main(["plan", "--", "--cores", "1"])
    assert e.value.code == 2
    assert "unrecognized arguments: -- --cores 1" in capsys.readouterr().err


def test_the_commands_of_a_comparison(tmp_path, monkeypatch):
    """Each study: snakemake with the user's arguments, in its folder, its config files
    last; relative paths as given (relative to where the command runs)."""
    monkeypatch.chdir(ROOT)
    studies, out = read_comparison(ROOT / "configs/architectures.yaml")
    assert [s.name for s in studies] == ["resnet50", "small_vit", "iresnet100"]
    assert str(out) == "results/architectures"
    cmd = snakemake_command(studies[1], ["--profile", "profiles/slurm"], dry_run=True)
    assert cmd[1:] == [
        "-m",
        "snakemake",
        "--profile",
        "profiles/slurm",
        "--directory",
        "runs/small_vit",
        "--dry-run",
        "--quiet",
        "--configfile",
        "configs/small_vit.yaml",
    ]
    assert snakemake_command(ComparedStudy("a", tmp_path), ["--cores", "2"])[-2:] == [
        "--directory",
        str(tmp_path),
    ]


@pytest.mark.workflow
def test_a_bad_study_stops_the_comparison_before_any_job(tmp_path, capsys):
    """The second study's config names a network that does not exist: its dry run fails,
    so the first study never runs; the failure names the study and Snakemake's message."""
    good, bad = tmp_path / "good", tmp_path / "bad"
    config = {**copy.deepcopy(TINY_STUDY), "erasure": {"enabled": False}}
    _write(tmp_path / "good.yaml", config)
    config["model"]["architecture"] = {"source": "torchvision", "name": "resnet81"}
    _write(tmp_path / "bad.yaml", config)
    path = _write(
        tmp_path / "cmp.yaml",
        {
            "studies": {
                "good": {"directory": str(good), "configfiles": [str(tmp_path / "good.yaml")]},
                "bad": {"directory": str(bad), "configfiles": [str(tmp_path / "bad.yaml")]},
            },
            "out": str(tmp_path / "out"),
        },
    )
    argv = ["architectures", str(path), "--", "-s", str(ROOT / "Snakefile"), "--cores", "2"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"study bad ({bad}): snakemake --dry-run exited with 1" in err
    assert "no torchvision classification builder" in err and "no study was run" in err
    assert not (good / "results").exists() and not (tmp_path / "out").exists()
    # a finished comparison asked of studies that never ran names the missing file
    assert main(["architectures", str(path), "--no-run"]) == 2
    assert f"study good: {good}/results/provenance.json does not exist" in capsys.readouterr().err


def test_snakemake_refuses_a_comparison_file_as_a_config(tmp_path):
    run = snakemake(tmp_path, "-n", configfile=ROOT / "configs/architectures.yaml")
    assert run.returncode != 0
    assert "key 'studies': this names a comparison of architectures" in run.stdout + run.stderr
    assert "facecues architectures FILE -- --cores 2" in run.stdout + run.stderr


@pytest.mark.parametrize(
    "preset,units,stem,last",
    [
        ("iresnet100", [3, 13, 30, 3], (4, 32, 32), (32, 2, 2)),
        ("iresnet50", [3, 4, 14, 3], (6, 64, 64), (48, 4, 4)),
    ],
)
def test_the_presets_iresnet_builds_is_discovered_and_runs(preset, units, stem, last):
    """configs/iresnet100.yaml (the architectures preset's, compute-matched: 4 channels
    and a stride-2 stem) and configs/iresnet50.yaml (ArcFace's stride-1 stem): ArcFace's
    iResNets (IBasicBlock units, PReLU, the BN-Dropout-FC-BN embedding) at the default
    study's input size, built as the study builds them, their points discovered (stem,
    each unit's PReLU and output, embedding) in forward order, ids to L100 for the
    iResNet-100, and a forward pass gives the embedding and the identity logits."""
    import torch

    from facecues.nets.architectures import build_network, embed
    from facecues.study.study import load_study

    study = load_study(ROOT / f"configs/{preset}.yaml", write=False, root=ROOT)
    entry, size = study.architecture, study.model.input_size
    assert size == load_study(write=False).model.input_size == 64
    assert entry["name"] == f"{ROOT / 'configs/networks/iresnet.py'}:{preset}"
    points = study.network_points
    assert len(points) == 1 + 2 * sum(units) + 1 == int(preset[len("iresnet") :])
    assert (points[0].name, points[0].kind, points[0].shape) == ("prelu", "stem", stem)
    unit_names = [f"layer{s + 1}.{u}" for s, n in enumerate(units) for u in range(n)]
    assert [p.name for p in points[1:-1]] == [
        name for unit in unit_names for name in (f"{unit}.prelu", unit)
    ]
    assert points[2].shape == (stem[0], stem[1] // 2, stem[2] // 2) and points[-2].shape == last
    assert (points[-1].name, points[-1].shape) == ("features", (128,))
    assert points[-1].id == f"L{len(points)}" and study.point_ids[-1] == points[-1].id
    assert study.manifest.flops < 50e6  # the default ResNet's: 42 MFLOPs

    torch.manual_seed(0)
    net = build_network(entry, size, num_classes=5).eval()
    x = torch.randn(3, 3, size, size)
    with torch.no_grad():
        assert embed(net, x).shape == (3, 128) and net(x).shape == (3, 5)
    assert not net.backbone.features.weight.requires_grad  # ArcFace's fixed scale


def test_an_iresnets_stem_and_input_size_are_checked():
    """The total stride (16, or 32 with the stride-2 stem) must divide the input size; the
    study's network builder names the function, its arguments and what was expected."""
    from facecues.errors import FacecuesError
    from facecues.nets.architectures import build_network
    from facecues.nets.spec import parse_spec

    def build(size, **kwargs):
        entry = parse_spec(f"{ROOT / 'configs/networks/iresnet.py'}:iresnet100", kwargs)
        return build_network(entry, size, num_classes=3)

    with pytest.raises(FacecuesError, match="input_size 48, stem_stride 2: .* multiple of 32"):
        build(48, width=2, input_size=48, stem_stride=2)
    with pytest.raises(FacecuesError, match="stem_stride 3: expected a stem stride of 1 or 2"):
        build(96, width=2, input_size=96, stem_stride=3)
    assert build(48, width=2, embedding=8, input_size=48).backbone.fc.in_features == 16 * 3 * 3


def test_the_iresnet_trains_as_the_train_job_trains_it():
    """Two SGD steps of the train job's loop (``build_trainer``, ``train_one_epoch``) on the
    preset's iResNet-100, on the CPU: in a process of their own, as torch 2.14.1's CPU
    backward crashed (SIGSEGV) on these units in channels_last, the format the loop kept
    for every network before; the built-in ResNet keeps channels_last."""
    script = f"""
import sys, torch
sys.path.insert(0, {str(ROOT / "src")!r})
from facecues.study.study import load_study
from facecues.training.train import TrainConfig, build_trainer, train_one_epoch
study = load_study({str(ROOT / "configs/iresnet100.yaml")!r}, write=False, root={str(ROOT)!r})
cpu = torch.device("cpu")
cfg = TrainConfig(input_size=64, architecture=study.architecture, batch_size=16, epochs=1)
trainer = build_trainer(cfg, n_ids=5, steps=2, seed=0, dev=cpu)
assert trainer.memory_format == torch.contiguous_format
g = torch.Generator().manual_seed(0)
batches = [(torch.randn(16, 3, 64, 64, generator=g), torch.randint(0, 5, (16,), generator=g))
           for _ in range(2)]
seen, correct, loss = train_one_epoch(trainer, batches, cpu, "test")
assert seen == 32 and loss == loss, (seen, loss)
builtin = build_trainer(TrainConfig(base_width=4, input_size=32), 5, 2, 0, cpu)
assert builtin.memory_format == torch.channels_last
print("trained", seen)
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0 and "trained 32" in run.stdout, (run.returncode, run.stderr[-2000:])
