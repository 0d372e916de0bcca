"""Shared fixtures: a tiny synthetic world in the real formats, and the tiny study run once."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from facecues.data.synthetic.config import SyntheticConfig
from facecues.data.synthetic.world import write_world

ROOT = Path(__file__).resolve().parents[1]

TINY_WORLD = dict(
    vgg_identities=6,
    vgg_images_per_identity=8,
    lfw_identities=4,
    lfw_images_per_identity=3,
    lfw_folds=2,
    lfw_pairs_per_fold=3,
    celeba_train_identities=10,
    celeba_val_identities=4,
    celeba_test_identities=2,
    celeba_images_per_identity=8,
    workers=1,
)


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory):
    """Root of a tiny synthetic world (vggface2/, lfw/, celeba/, world.json)."""
    root = tmp_path_factory.mktemp("world")
    write_world(root, SyntheticConfig.from_dict(TINY_WORLD))
    return root


TINY_STUDY = {
    "synthetic": TINY_WORLD,
    "seeds": [0],
    "attributes": ["Male", "Smiling"],
    "model": {"base_width": 4, "input_size": 32},
    "train": {"resize": 36, "epochs": 1, "batch_size": 16, "threads": 1},
    "probe": {"train_per_class": 12, "val_per_class": 20, "vip_neurons": 3, "batch_size": 64},
    "multitask": {"epochs": 1, "batch_size": 16},
    "controls": {"random_networks": 1, "recalibrate_bn": 16},
    "erasure": {"enabled": True, "points": ["L01", "L40", "L50"]},
    # on in config.yaml; their own tests turn them on (test_counterfactual*, test_estimands)
    "counterfactual": {"enabled": False},
    "estimands": {"enabled": False},
    "figures": {
        "fig4_attribute": "Smiling",
        "fig5_attribute": "Male",
        "fig1_attributes": ["Male"],
        "average_k": 4,
    },
}


def snakemake_command(workdir: Path, *args: str, configfile: Path | None = None) -> list[str]:
    """The command running Snakemake on this workflow in ``workdir`` (config:
    ``workdir/config.yaml``)."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(configfile or workdir / "config.yaml"),
        *args,
    ]


def snakemake(workdir: Path, *args: str, configfile: Path | None = None, timeout: int = 600):
    """Run Snakemake on this workflow in ``workdir`` (config: ``workdir/config.yaml``)."""
    cmd = snakemake_command(workdir, *args, configfile=configfile)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


TABLES = ("tables/layer_accuracy.tsv", "tables/test_scores.tsv", "tables/table1.csv")


@pytest.fixture(scope="session")
def tiny_study(tmp_path_factory):
    """The tiny study run locally once, as the reference: (folder, dry run, run)."""
    workdir = tmp_path_factory.mktemp("tiny_study")
    (workdir / "config.yaml").write_text(yaml.safe_dump(TINY_STUDY))
    dry = snakemake(workdir, "-n")
    run = snakemake(workdir, "--cores", "2")
    return workdir, dry, run


def assert_same_tables(results: Path, reference: Path):
    """The study's tables in `results` equal those of the reference run, byte for byte."""
    for table in TABLES:
        assert (results / table).read_bytes() == (reference / table).read_bytes(), table


def erasure_table(drops: dict[str, list[float]], control_accuracy: float = 0.9 - 0.002):
    """An erasure table (results/tables/erasure.tsv's columns): {attribute: drop of LFW
    accuracy per network}, at two points (L10 orthogonal, L50 LEACE), the random control
    erased instead leaving ``control_accuracy``."""
    rows = []
    for attribute, per_net in drops.items():
        for net, drop in enumerate(per_net):
            for point in ("L10", "L50"):
                rows.append(
                    dict(
                        network=str(net),
                        attribute=attribute,
                        point=point,
                        name=point,
                        method="leace" if point == "L50" else "orth",
                        fit_images=4096,
                        residual_accuracy=0.56,
                        residual_linear_accuracy=0.51,
                        scored_people=280,
                        chance_bound=0.55,  # interventions.erasure.chance_bound(280)
                        at_chance=True,
                        verification_accuracy=0.9,
                        verification_accuracy_erased=0.9 - drop,
                        verification_accuracy_control=control_accuracy,
                        drop_se=0.002,
                        control_drop_se=0.002,
                    )
                )
    return pd.DataFrame(rows)
