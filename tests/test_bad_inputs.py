"""Every bad input gets one clear error and leaves nothing that looks done (issue 11).

Unit level: real JPEGs, real HDF5 shards and probe files written by the real
extract and probe steps, real torch models. Workflow level (marked
``workflow``): a study on CelebA-format data (a copy of the tiny world's) that
probes a given checkpoint; each test breaks one input, reruns Snakemake and
checks the exit status, that the message names the file, key or value and
what was expected, and that the output the failing job owns is absent.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
import yaml

from facecues.activations.extract import extract_shards
from facecues.activations.shards import SHARD_FORMAT_VERSION, VERSION_ATTR, read_shard
from facecues.activations.streaming import stream_features
from facecues.data.celeba import load_celeba
from facecues.data.roots import check_real_data
from facecues.data.splits import balanced_split, check_components, read_split, write_split
from facecues.errors import DataFormatError, FacecuesError
from facecues.nets.checkpoint import load_network, save_network
from facecues.nets.resnet import FaceResNet
from facecues.probes.fit import fit_layer_probes
from facecues.probes.probe_file import load_point_probes
from facecues.study.config import check_config, load_config
from tests.conftest import ROOT, TINY_STUDY, snakemake

POINTS = (1, 4, 50)


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _net(seed: int = 0) -> FaceResNet:
    torch.manual_seed(seed)
    return FaceResNet(0, base_width=4).eval()


@pytest.fixture(scope="module")
def samples(tiny_world):
    celeba = load_celeba(tiny_world / "celeba")
    paths = [celeba.image_path(i) for i in range(24)]
    y = np.where(np.arange(24) % 2 == 0, 1, -1).astype(np.int8)
    return celeba, {"train": (paths, y)}


@pytest.fixture(scope="module")
def shards(samples, tmp_path_factory):
    """Real shards (network 0, attribute Male) and the probe files fitted on them."""
    folder = tmp_path_factory.mktemp("shards")
    out = {i: folder / "act" / f"L{i:02d}.h5" for i in POINTS}
    extract_shards(
        _net(),
        samples[1],
        out,
        input_size=32,
        dtype="float16",
        batch_size=7,
        network="0",
        attribute="Male",
        identity_y=np.repeat(np.array([1, -1, -1, 1], dtype=np.int8), 6),  # the control task
    )
    probes = {i: folder / "probes" / f"L{i:02d}.h5" for i in POINTS}
    for i in POINTS:
        probes[i].parent.mkdir(exist_ok=True)
        fit_layer_probes(out[i], probes[i], n_components=4, top_k=3, vip_neurons=4)
    return out, probes


# -- shards and probe files: checked on open ------------------------------------------------


def test_a_good_shard_reads_as_float32_with_its_owner(shards):
    out, _ = shards
    meta, x, y = read_shard(out[4], network="0", attribute="Male")
    assert x.dtype == np.float32 and x.shape[0] == len(y) == 24
    assert meta["network"] == "0" and meta["attribute"] == "Male" and meta["point"] == "L04"
    with h5py.File(out[4]) as f:
        np.testing.assert_array_equal(x, f["train"][...].astype(np.float32))


@pytest.mark.parametrize("cut", [0, 100, 0.5])
def test_a_truncated_shard_or_probe_file_names_the_file(shards, tmp_path, cut):
    for kind, src in zip(("shard", "probe"), (shards[0][1], shards[1][1]), strict=True):
        data = src.read_bytes()
        bad = tmp_path / kind / "L01.h5"
        bad.parent.mkdir(exist_ok=True)
        bad.write_bytes(data[: int(len(data) * cut) if isinstance(cut, float) else cut])
        with pytest.raises(FacecuesError) as e:
            read_shard(bad) if kind == "shard" else load_point_probes(bad)
        msg = str(e.value)
        assert str(bad) in msg and "expected" in msg, msg
        assert "truncated" in msg or "missing" in msg, msg


def test_a_foreign_file_is_not_a_shard(tmp_path):
    bad = tmp_path / "L01.h5"
    bad.write_bytes(b"\xff\xd8\xff\xe0 a JPEG, not HDF5" * 10)
    with pytest.raises(FacecuesError, match="L01.h5: not a readable HDF5 file.*expected an activ"):
        read_shard(bad)
    with h5py.File(tmp_path / "L02.h5", "w") as f:
        f["data"] = np.zeros(3)
    with pytest.raises(FacecuesError, match=r"attributes \[.*'point'.*\] missing; expected"):
        read_shard(tmp_path / "L02.h5")


def test_a_shard_of_another_network_attribute_or_point_is_refused(shards, tmp_path):
    out, probes = shards
    with pytest.raises(FacecuesError, match="network is '0', expected '1'"):
        read_shard(out[4], network="1", attribute="Male")
    with pytest.raises(FacecuesError, match="attribute is 'Male', expected 'Smiling'"):
        read_shard(out[4], network="0", attribute="Smiling")
    with pytest.raises(FacecuesError, match="attribute is 'Male', expected 'Smiling'"):
        load_point_probes(probes[4], attribute="Smiling")
    # a file copied under another point's name: the name is checked against the content
    for src in (out[4], probes[4]):
        moved = tmp_path / src.parent.name / "L05.h5"
        moved.parent.mkdir(exist_ok=True)
        shutil.copy(src, moved)
        with pytest.raises(FacecuesError, match=r"L05.h5: this file's point is 'L04', expected"):
            read_shard(moved) if src == out[4] else load_point_probes(moved)


def _shard(path: Path, x, *, dtype="float16", shape=None, y=None):
    with h5py.File(path, "w") as f:
        f.attrs.update(
            point=path.stem, name="relu", kind="stem", index=1, shape=shape or (x.shape[1],)
        )
        f.attrs[VERSION_ATTR] = SHARD_FORMAT_VERSION
        f.create_dataset("train", data=np.asarray(x, dtype=dtype))
        f["train_y"] = np.where(np.arange(len(x)) % 2, 1, -1).astype(np.int8) if y is None else y


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("drop pls", r"pls: expected the datasets names, offsets, train"),
        ("short offsets", r"pls: names, offsets, train .* disagree"),
        ("projection rows", r"pls: probe 'filters' has \d+ projection rows .* expected one row"),
        ("column out of range", r"pls/columns reads units \d+\.\.1000000, expected 0\.\.\d+"),
        ("no layer", r"pls: no 'layer' probe among"),
    ],
)
def test_a_damaged_packed_pls_group_is_named(shards, tmp_path, damage, message):
    bad = tmp_path / "L04.h5"
    shutil.copy(shards[1][4], bad)
    with h5py.File(bad, "r+") as f:
        g = f["pls"]
        names = [n.decode() for n in g["names"][...]]
        if damage == "drop pls":
            del f["pls"]
        elif damage == "short offsets":
            offsets = g["offsets"][:-1]
            del g["offsets"]
            g["offsets"] = offsets
        elif damage == "projection rows":  # the last row of 'filters' given to the next probe
            offsets = g["offsets"][...]
            offsets[names.index("filters") + 1, 1] -= 1
            del g["offsets"]
            g["offsets"] = offsets
        elif damage == "column out of range":
            g["columns"][-1] = 10**6
        else:
            renamed = ["something" if n == "layer" else n for n in names]
            del g["names"]
            g["names"] = np.array(renamed, dtype=h5py.string_dtype())
    with pytest.raises(FacecuesError, match=message) as e:
        load_point_probes(bad)
    assert str(bad) in str(e.value) and "rerun" in str(e.value)


def test_wrong_dtype_shape_and_labels_are_refused(tmp_path):
    x = np.random.default_rng(0).random((6, 12))
    _shard(tmp_path / "L01.h5", x, dtype="int32")
    with pytest.raises(FacecuesError, match="dtype int32, expected float16 or float32"):
        read_shard(tmp_path / "L01.h5")
    _shard(tmp_path / "L01.h5", x, shape=(2, 3, 3))
    with pytest.raises(FacecuesError, match=r"shape \(6, 12\), expected \(rows, 18\).*\(2, 3, 3\)"):
        read_shard(tmp_path / "L01.h5")
    _shard(tmp_path / "L01.h5", x, y=np.ones(5, np.int8))
    with pytest.raises(FacecuesError, match=r"'train_y' has shape \(5,\), expected \(6,\)"):
        read_shard(tmp_path / "L01.h5")


def test_nan_inf_and_dead_points_are_named_when_a_shard_is_read(tmp_path):
    x = np.random.default_rng(0).random((6, 12)).astype(np.float32)
    x[2, 3], x[4, 5] = np.nan, np.inf
    _shard(tmp_path / "L01.h5", x)
    with pytest.raises(FacecuesError, match=r"L01 \(relu\): 2 of 72 activation values are NaN"):
        read_shard(tmp_path / "L01.h5")
    _shard(tmp_path / "L01.h5", np.zeros((6, 12)))
    with pytest.raises(FacecuesError, match="all 12 units have zero variance over the 6 training"):
        read_shard(tmp_path / "L01.h5")
    x = np.zeros((6, 12))
    x[1, 7] = 0.5  # one live unit is enough
    _shard(tmp_path / "L01.h5", x)
    read_shard(tmp_path / "L01.h5")


def test_a_diverged_network_stops_extraction_and_leaves_no_shard(samples, tmp_path):
    model = _net()
    with torch.no_grad():
        model.layer2[0].conv1.weight[0] = float("inf")  # a diverged weight
    out = {i: tmp_path / f"L{i:02d}.h5" for i in (1, 6, 50)}
    with pytest.raises(FacecuesError) as e:
        extract_shards(model, samples[1], out, input_size=32, network="7", attribute="Male")
    msg = str(e.value)
    assert "L50 (avgpool) of network 7, attribute Male" in msg or "L06" not in msg, msg
    assert "activation values are NaN or Inf" in msg and "diverged" in msg, msg
    assert _files(tmp_path) == []


def test_a_dead_point_stops_extraction_and_leaves_no_shard(samples, tmp_path):
    model = _net()
    with torch.no_grad():
        model.bn1.bias.fill_(-1e4)  # every stem unit below zero: the ReLU kills them all
    out = {i: tmp_path / f"L{i:02d}.h5" for i in (1, 2)}
    with pytest.raises(FacecuesError) as e:
        extract_shards(model, samples[1], out, input_size=32, network="0", attribute="Male")
    msg = str(e.value)
    assert "L01.h5: probe point L01 (relu) of network 0, attribute Male" in msg, msg
    assert "zero variance over the 24 training rows (dead ReLUs" in msg, msg
    assert _files(tmp_path) == []


# -- images -------------------------------------------------------------------------------


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_damaged_image_met_while_streaming_names_the_file(samples, tmp_path, damage):
    celeba, _ = samples
    paths = [tmp_path / f"{i}.jpg" for i in range(9)]
    for i, p in enumerate(paths):
        shutil.copy(celeba.image_path(i), p)
    if damage == "truncated":
        _truncate(paths[7])
    else:
        paths[7].write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 4)
    probes = {1: {}}
    with pytest.raises(DataFormatError) as e:
        stream_features(_net(), paths, probes, input_size=32, batch_size=4)
    msg = str(e.value)
    assert str(paths[7]) in msg and "expected a complete JPEG or PNG file" in msg, msg


# -- checkpoints --------------------------------------------------------------------------


def test_a_checkpoint_of_another_architecture_or_width_names_the_keys(tmp_path):
    from torchvision.models import resnet18

    torch.save(resnet18().state_dict(), tmp_path / "r18.pt")
    with pytest.raises(FacecuesError) as e:
        load_network(tmp_path / "r18.pt", base_width=64)
    msg = str(e.value)
    assert "r18.pt: not a ResNet-50 with base width 64" in msg
    assert "missing keys: layer1.0.bn3.bias" in msg and "unexpected keys" not in msg.split(";")[0]
    torch.save(FaceResNet(0, base_width=8).state_dict(), tmp_path / "w8.pt")
    with pytest.raises(FacecuesError, match=r"conv1.weight: file \(8, 3, 7, 7\) vs model \(4, 3"):
        load_network(tmp_path / "w8.pt", base_width=4)


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_with_a_payload_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    state = FaceResNet(0, base_width=4).state_dict()
    torch.save({"state_dict": state, "note": _Payload(marker)}, tmp_path / "evil.pt")
    with pytest.raises(FacecuesError) as e:
        load_network(tmp_path / "evil.pt", base_width=4)
    msg = str(e.value)
    assert "evil.pt: refused" in msg and "system" in msg and "weights_only=True" in msg, msg
    assert "Expected a state dict of tensors" in msg
    assert not marker.exists(), "the payload ran"


# -- samples and config -------------------------------------------------------------------


def test_n_components_larger_than_the_training_rows(samples):
    celeba, _ = samples
    split = balanced_split(
        celeba.attribute("Male"),
        celeba.partition,
        "Male",
        train_per_class=3,
        val_per_class=4,
        seed=1,
    )
    check_components(split, 5)
    with pytest.raises(FacecuesError, match=r"n_components = 6 .* 6 training rows .* at most 5"):
        check_components(split, 6)
    with pytest.raises(FacecuesError, match=r"probe.n_components = 30 .* expected at most 23"):
        load_config(given={"probe": {"n_components": 30, "train_per_class": 12}})
    check_config(load_config(given={"probe": {"n_components": 23, "train_per_class": 12}}))


def test_a_checkpoint_named_like_a_control_is_refused(tmp_path):
    for name in ("random_init", "random0"):
        with pytest.raises(FacecuesError) as e:
            load_config(given={"model": {"checkpoints": {name: "net.pt"}}})
        message = str(e.value)
        assert f"config key model.checkpoints: '{name}': expected a name of letters" in message
        assert "names starting with 'random' are reserved for the untrained control networks " in (
            message
        ), message
    load_config(given={"model": {"checkpoints": {"my_random_net": "net.pt"}}})  # not a prefix


def test_check_real_data_names_attributes_the_attribute_file_lacks(tiny_world, tmp_path):
    root = tmp_path / "celeba"
    shutil.copytree(tiny_world / "celeba", root, ignore=shutil.ignore_patterns("*.jpg"))
    attr = root / "Anno/list_attr_celeba.txt"
    lines = attr.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace("Smiling", "Smiles")
    attr.write_text("".join(lines))
    config = {
        "data": {"source": "real", "celeba_root": str(root)},
        "attributes": ["Male", "Smiling"],
        "probe": {},
    }
    with pytest.raises(FacecuesError) as e:
        check_real_data(config["data"], config["attributes"], ["celeba"])
    assert f"attributes ['Smiling'] (config key 'attributes') are not in {attr}" in str(e.value)
    celeba = load_celeba(root, check_images=False)
    with pytest.raises(FacecuesError, match=f"{attr}: unknown CelebA attribute 'Smiling' "):
        celeba.attribute("Smiling")


def test_a_cached_split_that_no_longer_matches_the_attribute_file(samples, tmp_path):
    celeba, _ = samples
    split = balanced_split(
        celeba.attribute("Male"),
        celeba.partition,
        "Male",
        train_per_class=3,
        val_per_class=4,
        seed=1,
    )
    write_split(split, celeba.filenames, tmp_path / "Male.tsv")
    read_split(tmp_path / "Male.tsv", "Male", celeba=celeba)  # same listing: fine
    shuffled = load_celeba(celeba.root, check_images=False)
    object.__setattr__(shuffled, "filenames", shuffled.filenames[::-1])
    with pytest.raises(FacecuesError) as e:
        read_split(tmp_path / "Male.tsv", "Male", celeba=shuffled)
    msg = str(e.value)
    assert f"{tmp_path / 'Male.tsv'}, line 2: the cached Male split names image" in msg
    assert "list_attr_celeba.txt now has image" in msg and "--forcerun splits" in msg, msg
    (tmp_path / "bad.tsv").write_text("index\tfilename\n1\tx.jpg\n")
    with pytest.raises(FacecuesError, match="bad.tsv: line 1 .* expected the header"):
        read_split(tmp_path / "bad.tsv", "Male")


# -- a full disk ----------------------------------------------------------------------------

# Run in a user namespace with a small tmpfs of its own (no root needed where the kernel
# allows unprivileged user namespaces): writes there fail with a real ENOSPC.
DISK_FULL = textwrap.dedent(
    """
    import subprocess, sys
    from pathlib import Path
    mnt, scenario = Path(sys.argv[1]), sys.argv[3]
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], check=True)
    import numpy as np, torch
    from facecues.data.celeba import load_celeba
    from facecues.errors import FacecuesError
    from facecues.activations.extract import extract_shards
    from facecues.io import atomic_h5
    from facecues.nets.resnet import FaceResNet
    celeba = load_celeba(sys.argv[2], check_images=False)
    paths = [celeba.image_path(i) for i in range(24)]
    y = np.where(np.arange(24) % 2 == 0, 1, -1).astype(np.int8)
    torch.manual_seed(0)
    model = FaceResNet(0, base_width=4)
    out = {1: mnt / "act" / "L01.h5", 2: mnt / "act" / "L02.h5"}
    try:
        if scenario == "probe":
            with atomic_h5(mnt / "probes" / "L01.h5") as f:
                f["vip"] = np.ones((200_000,), dtype=np.float32)
        else:  # shard: met while writing; preflight: the check before anything is written
            extract_shards(model, {"train": (paths, y)}, out, input_size=64, dtype="float32",
                           network="0", attribute="Male", check_space=scenario == "preflight")
        print("NO ERROR")
    except FacecuesError as e:
        print("ERROR:", e)
    print("LEFT:", sorted(str(p.relative_to(mnt)) for p in mnt.rglob("*") if p.is_file()))
    """
)


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("shard", "act/L0"),
        ("probe", "probes/L01.h5: no space left on device while writing it"),
        ("preflight", "act: the 2 activation shards of network 0, attribute Male need 0."),
    ],
)
def test_a_full_disk_gives_one_error_and_no_half_written_file(
    tiny_world, tmp_path, scenario, expected
):
    if shutil.which("unshare") is None:
        pytest.skip("unshare(1) not installed")
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no unprivileged user namespaces here: {probe.stderr.decode()[:200]}")
    mnt = tmp_path / "small"
    mnt.mkdir()
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src")}
    run = subprocess.run(
        [
            "unshare",
            "-rm",
            sys.executable,
            "-c",
            DISK_FULL,
            str(mnt),
            str(tiny_world / "celeba"),
            scenario,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    out = run.stdout
    assert run.returncode == 0, run.stderr[-3000:]
    error = next((line for line in out.splitlines() if line.startswith("ERROR:")), out)
    assert expected in error, out + run.stderr[-2000:]
    assert "nothing was" in error and "free" in error
    assert "LEFT: []" in out, out  # neither the outputs nor their temporary files


# -- the workflow: one error, non-zero exit, no output of the failing job --------------------


@pytest.fixture(scope="module")
def real_study(tiny_world, tmp_path_factory):
    """A study on CelebA-format data probing a given checkpoint, run up to one attribute's
    validation accuracy: (folder, config). Tests restore what they break."""
    folder = tmp_path_factory.mktemp("real_study")
    shutil.copytree(tiny_world / "celeba", folder / "celeba")
    save_network(FaceResNet(3, base_width=4), folder / "net.pt")
    config = {
        **TINY_STUDY,
        "data": {"source": "real", "celeba_root": str(folder / "celeba")},
        "model": {**TINY_STUDY["model"], "checkpoint": str(folder / "net.pt")},
    }
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(folder, "--cores", "2", "results/accuracy/checkpoint/Male.tsv")
    assert run.returncode == 0, run.stderr[-5000:]
    return folder, config


def _fails(run, *texts):
    out = run.stdout + run.stderr
    assert run.returncode != 0, out[-3000:]
    for text in texts:
        assert text in out, f"{text!r} not in:\n{out[-6000:]}"
    return out


@pytest.mark.workflow
def test_workflow_damaged_validation_image_met_while_streaming(real_study):
    folder, _ = real_study
    celeba = load_celeba(folder / "celeba", check_images=False)
    split = read_split(folder / "results/splits/Male.tsv", "Male")
    image = celeba.image_path(int(split.val[3]))
    original = image.read_bytes()
    accuracy = folder / "results/accuracy/checkpoint/Male.tsv"
    accuracy.unlink(missing_ok=True)
    try:
        _truncate(image, 0.4)
        run = snakemake(folder, "--cores", "2", str(accuracy.relative_to(folder)))
        _fails(run, f"{image}: not a readable image", "expected a complete JPEG or PNG file")
        assert not accuracy.exists()
    finally:
        image.write_bytes(original)


@pytest.mark.workflow
def test_workflow_foreign_probe_file(real_study):
    folder, _ = real_study
    probes = folder / "results/probes/checkpoint/Male"
    original = (probes / "L02.h5").read_bytes()
    accuracy = folder / "results/accuracy/checkpoint/Male.tsv"
    accuracy.unlink(missing_ok=True)
    try:
        shutil.copy(probes / "L01.h5", probes / "L02.h5")
        run = snakemake(folder, "--cores", "2", str(accuracy.relative_to(folder)))
        _fails(
            run,
            "results/probes/checkpoint/Male/L02.h5: this file's point is 'L01', expected "
            "'L02': it belongs to another point",
        )
        assert not accuracy.exists()
    finally:
        (probes / "L02.h5").write_bytes(original)


@pytest.mark.workflow
def test_workflow_dataset_changed_under_a_cached_split(real_study):
    folder, _ = real_study
    attr = folder / "celeba/Anno/list_attr_celeba.txt"
    original = attr.read_text()
    lines = original.splitlines(keepends=True)
    probe = folder / "results/probes/checkpoint/Male/L01.h5"
    saved = probe.read_bytes()
    probe.unlink()  # a lost probe file: extract must run again with the cached split
    try:
        attr.write_text("".join(lines[:2] + lines[2:][::-1]))  # the same images, other order
        run = snakemake(folder, "--cores", "2", str(probe.relative_to(folder)))
        _fails(
            run,
            "results/splits/Male.tsv, line 2: the cached Male split names image",
            f"{attr} now has image",
            "--forcerun splits",
        )
        assert not probe.exists()
        assert not list((folder / "results/activations").rglob("*.h5*"))
    finally:
        attr.write_text(original)
        probe.write_bytes(saved)


def _broken_copy(real_study, tmp_path, edit=None, **config):
    folder, base = real_study
    shutil.copytree(folder / "celeba", tmp_path / "celeba")
    if edit:
        attr = tmp_path / "celeba/Anno/list_attr_celeba.txt"
        lines = attr.read_text().splitlines(keepends=True)
        attr.write_text("".join(edit(lines)))
    cfg = {**base, "data": {"source": "real", "celeba_root": str(tmp_path / "celeba")}, **config}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    return tmp_path


@pytest.mark.workflow
def test_workflow_duplicate_image_names_in_the_attribute_file(real_study, tmp_path):
    def dup(lines):
        name = lines[2].split()[0]
        lines[5] = name + lines[5][len(lines[5].split()[0]) :]
        return lines

    work = _broken_copy(real_study, tmp_path, dup)
    run = snakemake(work, "--cores", "1", "results/splits/Male.tsv")
    attr = work / "celeba/Anno/list_attr_celeba.txt"
    _fails(run, f"{attr}, line 6: image '000001.jpg' listed twice")
    assert not (work / "results/splits/Male.tsv").exists()


@pytest.mark.workflow
def test_workflow_attribute_missing_from_the_attribute_file(real_study, tmp_path):
    def rename(lines):
        lines[1] = lines[1].replace("Smiling", "Smiles")
        return lines

    work = _broken_copy(real_study, tmp_path, rename)
    run = snakemake(work, "--cores", "1", "results/splits/Smiling.tsv")
    attr = work / "celeba/Anno/list_attr_celeba.txt"
    # stopped at start-up (facecues.data.roots.check_real_data in common.smk), before any job
    _fails(
        run,
        f"attributes ['Smiling'] (config key 'attributes') are not in {attr}",
        "expected names from its line 2",
    )
    assert not (work / "results/splits/Smiling.tsv").exists()


@pytest.mark.workflow
def test_workflow_checkpoint_of_another_width(real_study, tmp_path):
    folder, base = real_study
    torch.save(FaceResNet(0, base_width=8).state_dict(), tmp_path / "wide.pt")
    model = {**base["model"], "checkpoint": str(tmp_path / "wide.pt")}
    work = _broken_copy(real_study, tmp_path, model=model)
    run = snakemake(work, "--cores", "2", "results/probes/checkpoint/Male/L01.h5")
    _fails(
        run,
        f"{tmp_path / 'wide.pt'}: not a ResNet-50 with base width 4",
        "conv1.weight: file (8, 3, 7, 7) vs model (4, 3, 7, 7)",
    )
    assert not list((work / "results").rglob("*.h5*"))


@pytest.mark.workflow
def test_workflow_n_components_larger_than_the_training_rows(real_study, tmp_path):
    folder, base = real_study
    work = _broken_copy(real_study, tmp_path, probe={**base["probe"], "n_components": 30})
    run = snakemake(work, "--cores", "1", "results/splits/Male.tsv")
    _fails(
        run,
        "probe.n_components = 30 is larger than a PLS fit on the 24 training rows",
        "expected at most 23",
    )
    assert not (work / "results/splits/Male.tsv").exists()


@pytest.mark.workflow
@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("probe", "n_components", "eight", "'eight' is not of type 'integer'"),
        ("probe", "n_components", 0, "0 is less than the minimum of 1"),
        ("probe", "dtype", "float64", "'float64' is not one of ['float16', 'float32']"),
        ("probe", "split_seed", -1, "-1 is less than the minimum of 0"),
        # a number as a string is read as the number (tests/test_config_overrides.py)
        ("synthetic", "vgg_identities", "six", "'six' is not of type 'integer'"),
        ("synthetic", "jpeg_quality", [60, 101], "101 is greater than the maximum of 100"),
        ("figures", "fig4_attribute", "Smilng", "'Smilng' is not one of"),
    ],
)
def test_workflow_config_of_the_wrong_type_or_range_stops_at_start(
    tmp_path, section, key, value, expected
):
    study = {**TINY_STUDY, section: {**TINY_STUDY[section], key: value}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(study))
    run = snakemake(tmp_path, "-n")
    out = _fails(run, expected)
    assert key in out  # Snakemake names the schema path: ['properties'][section]...[key]
    assert not (tmp_path / "results").exists()


@pytest.mark.workflow
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("results/accuracy/foo/Male.tsv", "network 'foo' (wildcard of rule score_val) is not a"),
        ("results/models/7/model.pt", "network '7' (wildcard of rule train) is not a network"),
        ("results/multitask/random0.tsv", "(wildcard of rule finetune) is a control network"),
    ],
)
def test_workflow_a_file_of_a_network_the_study_lacks(tmp_path, target, expected):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(TINY_STUDY))
    run = snakemake(tmp_path, "--cores", "1", target)
    _fails(run, expected, "expected one of", "networks trained here (seeds): 0; controls: random0")
    assert not (tmp_path / "results").exists()  # stopped before any job (synthesize included)
