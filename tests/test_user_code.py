"""A user's network code that fails is named before any job: at workflow start-up
(``snakemake -n``), by ``facecues plan`` and by ``facecues points``, with the file, the
function and the exception's own message, never a raw traceback; a given checkpoint that
does not load or fit is named at start-up too. And ``facecues points`` with no network
lists the configured study's."""

import json
import textwrap

import pytest
import torch
import yaml

from facecues.cli import main
from facecues.errors import FacecuesError
from facecues.nets.architectures import build_backbone
from facecues.nets.layout import resnet50_points
from facecues.nets.resnet import FaceResNet
from facecues.study.study import load_study
from tests.conftest import ROOT, snakemake

# (file's text, kwargs, what the message must say besides the file and the function)
BROKEN = {
    "syntax": (
        "def net(:\n    pass\n",
        {},
        ["failed to import: SyntaxError: invalid syntax", "line 1"],
    ),
    "import": (
        "import not_a_module_anywhere\n\ndef net():\n    pass\n",
        {},
        ["failed to import: ModuleNotFoundError: No module named 'not_a_module_anywhere'"],
    ),
    "raises": (
        """\
        def net(width=4):
            if width % 3:
                raise ValueError(f"width {width} must be a multiple of 3")
        """,
        {},
        ["net(**{}) raised ValueError: width 4 must be a multiple of 3", "line 3"],
    ),
    "typeerror": (
        """\
        from torch import nn

        def net(width=4):
            return nn.Conv2d(3, width, 3, strid=2)
        """,
        {},
        ["net(**{}) raised TypeError:", "unexpected keyword argument 'strid'", "line 4"],
    ),
    "kwargs": (
        "from torch import nn\n\ndef net(width=4):\n    return nn.Conv2d(3, width, 3)\n",
        {"widht": 3},
        ["net(width=4) refused kwargs {'widht': 3}: got an unexpected keyword argument 'widht'"],
    ),
}


def _file(tmp_path, case):
    text, kwargs, said = BROKEN[case]
    path = tmp_path / f"{case}.py"
    path.write_text(textwrap.dedent(text))
    return {"source": "file", "name": f"{path}:net", "kwargs": kwargs}, said


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_failing_user_file_is_named_with_its_own_message(tmp_path, case, capsys):
    entry, said = _file(tmp_path, case)
    with pytest.raises(FacecuesError) as e:
        build_backbone(entry, 32)
    message = str(e.value)
    assert message.startswith(f"architecture {entry['name']}: ")  # the file, the function
    for text in said:
        assert text in message
    if case != "kwargs":  # where it was raised: the user's file, not facecues'
        assert f"(at {tmp_path / case}.py, line " in message

    spec = entry["name"]
    kwargs = ["--kwargs", json.dumps(entry["kwargs"])]
    assert main(["points", spec, *(kwargs if entry["kwargs"] else [])]) == 2
    err = capsys.readouterr().err
    assert err.startswith("facecues points: architecture ") and "Traceback" not in err
    assert said[0] in err

    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"model": {"input_size": 32, "architecture": entry}}))
    assert main(["plan", "--configfile", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"facecues plan: {config}: model.architecture: architecture ")
    assert said[0] in err and "Traceback" not in err


@pytest.mark.workflow
@pytest.mark.parametrize("case", ["raises", "typeerror"])
def test_workflow_start_up_names_the_failing_factory(tmp_path, case):
    entry, said = _file(tmp_path, case)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"model": {"architecture": entry}}))
    run = snakemake(tmp_path, "-n", configfile=tmp_path / "c.yaml")
    out = run.stdout + run.stderr
    assert run.returncode != 0
    assert f"model.architecture: architecture {entry['name']}: " in out
    for text in said:
        assert text in out
    assert not (tmp_path / "results").exists()  # before any job


@pytest.mark.workflow
def test_workflow_start_up_names_a_checkpoint_that_does_not_load_or_fit(tmp_path):
    """Given checkpoints are loaded at start-up: one of another width and one that is not a
    checkpoint, both named in one message before any job runs."""
    torch.save(FaceResNet(0, base_width=8).state_dict(), tmp_path / "wide.pt")
    (tmp_path / "notes.pt").write_text("not a checkpoint")
    checkpoints = {"wide": str(tmp_path / "wide.pt"), "notes": str(tmp_path / "notes.pt")}
    config = {"model": {"base_width": 4, "input_size": 32, "checkpoints": checkpoints}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(tmp_path, "-n", configfile=tmp_path / "c.yaml")
    out = run.stdout + run.stderr
    assert run.returncode != 0
    assert f"checkpoint 'wide': {tmp_path / 'wide.pt'}: not a ResNet-50 with base width 4" in out
    assert "conv1.weight: file (8, 3, 7, 7) vs model (4, 3, 7, 7)" in out
    assert f"checkpoint 'notes': {tmp_path / 'notes.pt'}: not a readable PyTorch checkpoint" in out
    assert not (tmp_path / "results").exists()


def test_points_with_no_network_lists_the_configured_studys(capsys):
    """``facecues points``: the default study's ResNet-50 (v1 blocks, base width 16, 64 px),
    exactly the points its jobs probe; not torchvision's v1.5 at 224 px."""
    assert main(["points"]) == 0
    out = capsys.readouterr().out.splitlines()
    study = load_study(write=False)
    m = study.config["model"]
    assert out[0] == (
        f'the study\'s network (config.yaml): resnet50, kwargs {{"base_width": '
        f'{m["base_width"]}, "stride_in_1x1": {str(m["stride_in_1x1"]).lower()}}}, '
        f"{m['input_size']} px input"
    )
    points = resnet50_points(m["base_width"], m["input_size"], m["stride_in_1x1"])
    assert [line.split()[:2] for line in out[2:-2]] == [[p.id, p.name] for p in points]
    assert [p.id for p in points] == [p.id for p in study.network_points]
    units = sum(p.units for p in points)
    v15 = sum(p.units for p in resnet50_points(m["base_width"], m["input_size"], False))
    assert units != v15
    size = m["input_size"]
    assert out[-2] == (
        f"50 points, {units:,} units per {size}x{size} image; found by "
        "the built-in topology's layout (docs/protocol.md section 4)"
    )
    assert out[1].split() == ["id", "name", "kind", "stage", "layout", "shape", "units"]
    assert out[2].split()[4] == "chw" and out[-3].split()[4] == "vector"  # L01, the pool
    pixels = 3 * size * size  # and the input, probed too: the counts facecues plan gives
    assert out[-1] == (
        f"the study probes the input L00 too (3x{size}x{size}, {pixels:,} units; "
        f"controls.input_point): 51 points, {units + pixels:,} units per image"
    )

    assert main(["points", "--configfile", str(ROOT / "configs/small_vit.yaml")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("the study's network (") and "small_vit.py:small_vit" in out[0]
    assert "64 px input" in out[0] and out[-2].endswith("found by FX tracing")

    assert main(["points", "--kwargs", "{}"]) == 2
    assert "--kwargs: options of a SPEC" in capsys.readouterr().err
    assert main(["points", "torchvision:resnet18", "--configfile", "c.yaml"]) == 2
    assert "--configfile names a study" in capsys.readouterr().err
