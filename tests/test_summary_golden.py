"""summary.md byte for byte: constructed runs rendered as the summary was written before
its verdicts were data (tests/data/summary/*.md, written by facecues at commit 985181d
from these inputs). A change to the summary's text shows here; regenerate the files
only for a change meant to alter it."""

from pathlib import Path

import pandas as pd
import pytest

from facecues.nets.layout import depths_of_rows, resnet50_depths
from facecues.results.summary import write_summary
from tests.conftest import erasure_table
from tests.test_summary import GOOD, _layer_table, _paper_scores, _scores

GOLDEN = Path(__file__).parent / "data" / "summary"
R50 = resnet50_depths()
# a small network's points: six feature maps in three stages, then the pool
SMALL = depths_of_rows(
    [(i, f"p{i}", "output", (8, 4, 4), f"s{(i - 1) // 2}") for i in range(1, 7)]
    + [(7, "pool", "pool", (8,), "pool")]
)
PROVENANCE = {
    "workflow": {"facecues": "0.1", "commit": "abcdef0123456789", "dirty": True},
    "config_sha256": "f" * 64,
    "files": {"a.pt": "x", "b.tsv": "y"},
    "environments": {
        "report": {
            "python": "3.11",
            "host": "h",
            "platform": "linux",
            "packages": {"numpy": "2.1"},
            "devices": [],
        }
    },
}
KINDS = {"Male": "identity", "Eyeglasses": "identity", "Smiling": "image"}


def _paper():
    curves = {
        "Male": (0.95, 0.97),
        "Eyeglasses": (0.97, 0.98),
        "Smiling": (0.9, 0.8),
        "Blurry": (0.85, 0.7),
    }
    return _paper_scores(), _layer_table(curves, networks=("paper",)), None, {}


def _controls():
    curves = {"Male": (0.9, 0.95), "Smiling": (0.9, 0.7)}
    trained = _layer_table(curves, input_accuracy=0.8, identity_task=0.7)
    untrained = _layer_table(
        {"Male": (0.9, 0.6), "Smiling": (0.9, 0.6)}, networks=("random0",), input_accuracy=0.8
    )
    scores = _scores(GOOD, qda_reg=0.0, test_images=2000)
    kwargs = {"provenance": PROVENANCE, "val_rows": 400}
    return scores, pd.concat([trained, untrained]), None, kwargs


def _planted():
    nets = ("0", "1", "2")
    curves = {"Male": (0.9, 0.95), "Eyeglasses": (0.9, 0.95), "Smiling": (0.9, 0.7)}
    drops = {"Male": [0.05, 0.06, 0.055], "Eyeglasses": [0.03, 0.02, 0.025]}
    erasure = erasure_table({**drops, "Smiling": [0.003, 0.002, 0.004]}, control_accuracy=0.998)
    erasure.loc[0, ["at_chance", "residual_linear_accuracy"]] = [False, 0.6]
    table = _layer_table(curves, networks=nets)
    return _scores(GOOD, networks=nets), table, KINDS, {"erasure": erasure}


def _small_network():
    depths = (1, 2, 3, 4, 5, 6, 7)
    curves = {"Male": (0.9, 0.95), "Smiling": (0.9, 0.7)}
    trained = _layer_table(curves, input_accuracy=0.8)
    trained = trained[trained["depth"].isin((0, *depths))]
    untrained = _layer_table({"Male": (0.9, 0.6), "Smiling": (0.9, 0.6)}, networks=("random0",))
    untrained = untrained[untrained["depth"].isin(depths)]
    return None, pd.concat([trained, untrained]), None, {"depths": SMALL}


CASES = {"paper": _paper, "controls": _controls, "planted": _planted, "small": _small_network}


@pytest.mark.parametrize("case", CASES)
def test_summary_is_byte_identical(case, tmp_path):
    scores, table, kinds, kwargs = CASES[case]()
    kwargs.setdefault("depths", R50)
    write_summary(scores, table, kinds, tmp_path / "summary.md", **kwargs)
    assert (tmp_path / "summary.md").read_bytes() == (GOLDEN / f"{case}.md").read_bytes()
