"""The probe options declared once (facecues.probes.options), the probe kinds' registry
(facecues.probes.kinds) and the format versions of shards and probe files."""

import subprocess
import sys

import h5py
import numpy as np
import pytest

from facecues.activations.shards import SHARD_FORMAT_VERSION, read_identity_labels, read_shard
from facecues.errors import DataFormatError, FacecuesError
from facecues.probes.fit import CONTROL_PROBES, fit_layer_probes
from facecues.probes.kinds import FILTER, LAYER, PROBE_KINDS, VIP_UNIFORM, parse_probe
from facecues.probes.options import ProbeOptions
from facecues.probes.probe_file import PROBE_FILE_VERSION, load_point_probes
from facecues.probes.scoring import probe_name
from facecues.probes.units import unit_features
from facecues.study.config import load_config
from tests.conftest import ROOT

# The probe section's entries of the schema before the options moved to ProbeOptions.
FORMER_SCHEMA = {
    "n_components": {"type": "integer", "minimum": 1, "default": 8},
    "scale": {"type": "boolean", "default": True},
    "top_k": {"type": "integer", "minimum": 1, "default": 8},
    "vip_neurons": {"type": "integer", "minimum": 0, "default": 50},
    "vip_seed": {"type": "integer", "minimum": 0, "default": 0},
    "all_filters": {"type": "boolean", "default": False},
    "pooled_filters": {"type": "boolean", "default": False},
}


def test_the_schema_properties_come_from_the_fields():
    schema = ProbeOptions.json_schema()
    assert list(schema) == list(FORMER_SCHEMA)
    for key, entry in FORMER_SCHEMA.items():
        assert {k: v for k, v in schema[key].items() if k != "description"} == entry
        assert schema[key]["description"]
    assert list(ProbeOptions.json_schema("controls")) == ["identity_task"]


def test_the_config_gives_the_options_and_their_constraints():
    config = load_config()
    for key in FORMER_SCHEMA:
        assert key in config["probe"]  # the defaults filled in
    assert ProbeOptions.from_config(config) == ProbeOptions()
    given = {"probe": {"top_k": 3, "all_filters": True}, "controls": {"identity_task": False}}
    o = ProbeOptions.from_config(load_config(given=given))
    assert (o.top_k, o.all_filters, o.identity_task) == (3, True, False)
    assert list(o.params()) == [*FORMER_SCHEMA, "identity_task"]  # the rule's params
    with pytest.raises(FacecuesError, match=r"probe.top_k: 0 is less than the minimum of 1"):
        load_config(given={"probe": {"top_k": 0}})
    # a string is read as YAML reads it where the schema asks for a boolean ('yes' is true)
    assert load_config(given={"probe": {"scale": "no"}})["probe"]["scale"] is False
    with pytest.raises(FacecuesError, match=r"probe.scale: 'maybe' is not of type 'boolean'"):
        load_config(given={"probe": {"scale": "maybe"}})
    with pytest.raises(ValueError, match="vip_neurons = -1: expected >= 0"):
        ProbeOptions(vip_neurons=-1)
    with pytest.raises(TypeError, match="scale = 1: expected a bool"):
        ProbeOptions(scale=1)


def test_the_command_line_as_before_and_back():
    # the pls_vip jobs' command line as common.smk wrote it before: unchanged, so an
    # existing study reruns no job
    default = "--n-components 8 --scale --top-k 8 --vip-neurons 50 --vip-seed 0 --identity-task"
    assert " ".join(ProbeOptions().to_argv()) == default
    o = ProbeOptions(
        n_components=3, scale=False, vip_seed=4, all_filters=True, pooled_filters=True,
        identity_task=False,
    )  # fmt: skip
    assert " ".join(o.to_argv()) == (
        "--n-components 3 --no-scale --top-k 8 --vip-neurons 50 --vip-seed 4 "
        "--no-identity-task --all-filters --pooled-filters"
    )
    for options in (ProbeOptions(), o, ProbeOptions(top_k=1, vip_neurons=0)):
        assert ProbeOptions.from_argv(options.to_argv()) == options


def _shard(path, x, y, *, version=SHARD_FORMAT_VERSION, identity_y=None):
    with h5py.File(path, "w") as f:
        f.attrs.update(point=path.stem, name="layer1.0.relu1", kind="inner", index=2)
        f.attrs.update(shape=(3, 2, 2), network="0", attribute="Male")
        if version is not None:
            f.attrs["format_version"] = version
        f["train"], f["train_y"] = x.astype(np.float32), y
        if identity_y is not None:
            f["train_identity_y"] = identity_y


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    y = np.where(np.arange(40) % 2, 1, -1).astype(np.int8)
    x = rng.standard_normal((40, 12)) + 0.8 * y[:, None] * (np.arange(12) % 3 == 0)
    identity = np.where(rng.random(40) < 0.5, 1, -1).astype(np.int8)
    return x, y, identity


def test_pls_vip_command_fits_with_the_options(tmp_path, data):
    x, y, identity = data
    shard = tmp_path / "L02.h5"
    _shard(shard, x, y, identity_y=identity)
    o = ProbeOptions(n_components=2, top_k=2, vip_neurons=3, vip_seed=1, all_filters=True)
    other = tmp_path / "L03.h5"
    _shard(other, x[:, ::-1], y, identity_y=identity)
    out = tmp_path / "cmd" / "L02.h5"
    out.parent.mkdir()
    subprocess.run(
        [sys.executable, str(ROOT / "workflow/bin/pls_vip.py"), "--shards", str(shard)]
        + [str(other), "--out", str(out), str(out.parent / "L03.h5")]
        + ["--network", "0", "--attribute", "Male", *o.to_argv()],
        check=True,
    )
    # each shard into the probe file of its point, as fit_layer_probes writes it alone
    alone = tmp_path / "L03.h5.direct"
    fit_layer_probes(other, alone, o, network="0", attribute="Male")
    c, d = load_point_probes(out.parent / "L03.h5"), load_point_probes(alone, point="L03")
    for name in d.train:
        np.testing.assert_array_equal(c.train[name], d.train[name])
    # shards and outputs of other points, or in another order: refused before any fit
    swapped = subprocess.run(
        [sys.executable, str(ROOT / "workflow/bin/pls_vip.py"), "--shards", str(shard)]
        + [str(other), "--out", str(out.parent / "L03.h5"), str(out)]
        + ["--network", "0", "--attribute", "Male"],
        capture_output=True,
        text=True,
    )
    assert swapped.returncode != 0 and "the same points in the same order" in swapped.stderr
    direct = tmp_path / "L02.h5.direct"
    fit_layer_probes(shard, direct, o, network="0", attribute="Male")
    a, b = load_point_probes(out), load_point_probes(direct, point="L02")
    assert a.meta["format_version"] == PROBE_FILE_VERSION
    assert list(a.train) == list(b.train)
    assert {"channel_0", "channel_2", "vip_3", "filter_2"} <= set(a.train)
    assert {"identity_" + n for n in CONTROL_PROBES} <= set(a.train)
    for name in a.train:
        np.testing.assert_array_equal(a.train[name], b.train[name])
    # keyword changes of the fields are the same options
    kw = tmp_path / "L02.h5.kw"
    fit_layer_probes(shard, kw, n_components=2, top_k=2, vip_neurons=3, vip_seed=1,
                     all_filters=True)  # fmt: skip
    for name, train in load_point_probes(kw, point="L02").train.items():
        np.testing.assert_array_equal(train, b.train[name])


def test_unit_features_take_the_options(data):
    x, y, _ = data
    o = ProbeOptions(n_components=3, top_k=2, vip_neurons=2, pooled_filters=True)
    a = unit_features(x, y, x, (12,), o)
    b = unit_features(x, y, x, (12,), n_components=3, top_k=2, vip_neurons=2, pooled_filters=True)
    assert list(a) == list(b) and "filter_1" in a
    for name in a:
        np.testing.assert_array_equal(a[name].get("train"), b[name].get("train"))
    with pytest.raises(TypeError):
        unit_features(x, y, x, (12,), o, top_kk=3)


def test_probe_kinds_registry():
    assert set(PROBE_KINDS) == {"layer", "neurons", "neuron", "filters", "filter", "vip", "channel"}
    assert parse_probe("filter_3") == (FILTER, 3) and parse_probe("layer") == (LAYER, 0)
    assert parse_probe("vip_12") == (VIP_UNIFORM, 12)
    assert parse_probe("channel_0") == (PROBE_KINDS["channel"], 0)
    assert [probe_name(s, 2) for s in ("layer", "filter", "neuron")] == [
        "layer",
        "filter_2",
        "neuron_2",
    ]
    for name in ("filter", "layer_1", "neuronz_2", "identity_layer"):
        with pytest.raises(ValueError, match="is not a probe's name"):
            parse_probe(name)
    with pytest.raises(ValueError):
        LAYER.probe(1)
    # every name the fit writes parses back to itself
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((30, 12)), np.where(np.arange(30) % 2, 1, -1)
    names = [n for n in unit_features(x, y, None, (3, 2, 2), all_filters=True) if n[0] != "_"]
    for name in names:
        kind, rank = parse_probe(name)
        assert (kind.probe(rank) if kind.ranked else kind.probe()) == name


@pytest.mark.parametrize(("version", "found"), [(0, "0"), (PROBE_FILE_VERSION + 6, "7")])
def test_a_probe_file_of_another_version_is_named(tmp_path, data, version, found):
    x, y, _ = data
    shard, out = tmp_path / "L02.h5", tmp_path / "probes" / "L02.h5"
    out.parent.mkdir()
    _shard(shard, x, y)
    fit_layer_probes(shard, out, top_k=2, vip_neurons=1)
    assert load_point_probes(out).meta["format_version"] == PROBE_FILE_VERSION
    with h5py.File(out, "a") as f:  # written before versions: version 1, the same layout
        del f.attrs["format_version"]
    assert load_point_probes(out).meta.get("format_version") is None
    with h5py.File(out, "a") as f:
        f.attrs["format_version"] = version
    with pytest.raises(DataFormatError) as e:
        load_point_probes(out)
    msg = str(e.value)
    assert msg.startswith(str(out)), msg
    assert f"format_version {found}" in msg and f"expected {PROBE_FILE_VERSION}" in msg, msg
    assert "results/probes" in msg and "rerun snakemake" in msg and "pls_vip" in msg, msg


@pytest.mark.parametrize(("version", "found"), [(0, "0"), (SHARD_FORMAT_VERSION + 1, "2")])
def test_a_shard_of_another_version_is_named(tmp_path, data, version, found):
    x, y, identity = data
    shard = tmp_path / "L02.h5"
    _shard(shard, x, y, version=None, identity_y=identity)  # before versions: version 1
    assert read_shard(shard)[1].shape == (40, 12) and read_identity_labels(shard) is not None
    _shard(shard, x, y, version=version, identity_y=identity)
    for read in (read_shard, read_identity_labels):
        with pytest.raises(DataFormatError) as e:
            read(shard)
        msg = str(e.value)
        assert msg.startswith(str(shard)) and f"format_version {found}" in msg, msg
        assert f"expected {SHARD_FORMAT_VERSION}" in msg and "rule extract" in msg, msg
    _shard(shard, x, y, identity_y=identity)
    assert read_shard(shard)[0]["format_version"] == SHARD_FORMAT_VERSION


def test_a_float_option_round_trips_through_the_command_line():
    import dataclasses

    from facecues.probes.options import option

    @dataclasses.dataclass(frozen=True)
    class WithMargin(ProbeOptions):
        margin: float = option(0.25, "a float option")

    o = WithMargin(margin=0.5, top_k=3)
    back = WithMargin.from_argv(o.to_argv())
    assert back == o and isinstance(back.margin, float)
    assert WithMargin.json_schema()["margin"]["type"] == "number"
    with pytest.raises(TypeError, match="margin"):
        WithMargin(margin="wide")
