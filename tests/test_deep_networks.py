"""Networks of 100 or more probe points: one point-id pattern (``nets.layout.POINT_ID``)
read by the workflow, the shard reader and the config schema, and the workflow's dry
run of torchvision's ResNet-101 (101 points) and DenseNet-121 (180)."""

import re

import pytest
import yaml

from facecues.activations.shards import point_from_name
from facecues.nets.layout import POINT_ID, point_id, point_index
from tests.conftest import ROOT, TINY_STUDY, snakemake


@pytest.mark.parametrize("index", [0, 7, 99, 100, 101, 1234])
def test_point_ids_beyond_99(index, tmp_path):
    text = point_id(index)
    assert re.fullmatch(POINT_ID, text) and point_index(text) == index
    assert point_from_name(tmp_path / f"{text}.h5") == text


@pytest.mark.parametrize("text", ["L7", "L007", "L0100", "l07", "L07a", "M07", ""])
def test_what_is_no_point_id(text, tmp_path):
    with pytest.raises(ValueError, match="is not a probe point id"):
        point_index(text)
    assert point_from_name(tmp_path / f"{text}.h5") is None


def test_the_schema_reads_point_ids_with_the_same_pattern():
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    erased = schema["properties"]["erasure"]["properties"]["points"]["items"]["pattern"]
    assert erased == f"^{POINT_ID}$"


def _jobs(text: str) -> dict[str, int]:
    """{rule: jobs} of ``snakemake -n --quiet rules``'s table."""
    rows = (line.split() for line in text.splitlines())
    return {r[0]: int(r[1]) for r in rows if len(r) == 2 and r[1].isdigit()}


@pytest.mark.parametrize(("name", "points"), [("resnet101", 101), ("densenet121", 180)])
def test_dry_run_of_a_deep_torchvision_network(tmp_path, name, points):
    config = {
        **TINY_STUDY,
        "model": {"input_size": 32, "architecture": {"source": "torchvision", "name": name}},
        "erasure": {"enabled": False},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(tmp_path, "-n", "--quiet", "rules")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-3000:]
    jobs = _jobs(run.stdout)
    networks, attributes = 2, 2  # seed 0 and one control; Male and Smiling
    assert jobs["extract"] == networks * attributes
    assert jobs["pls_vip"] == networks * attributes  # each fits every point, L00 too
    manifest = next((tmp_path / "results/manifests").glob(f"torchvision_{name}-*.json"))
    assert f'"id": "{point_id(points)}"' in manifest.read_text()
