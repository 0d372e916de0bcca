"""The per-network test step (PROTOCOL.md section 8): one pass over the official
CelebA test partition (unbalanced, plain accuracy) scores every attribute's
validation-selected best layer, best single filter and best single neuron.
The raw test activations of the best neurons are kept for the average faces
of Figs. 1 and 6.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .qda import qda_accuracy_many
from .shards import atomic_h5
from .splits import TEST_PARTITION
from .streaming import load_point_probes, stream_features

__all__ = ["TEST_PARTITION", "probe_name", "score_test", "write_neuron_activations"]


def probe_name(selection: str, rank: int) -> str:
    """The probe file's feature group of a selection: ``layer``, ``filter_3``, ``neuron_1``."""
    return "layer" if selection == "layer" else f"{selection}_{int(rank)}"


def score_test(
    model: torch.nn.Module,
    selections: pd.DataFrame,
    probe_file,
    celeba,
    *,
    input_size: int,
    batch_size: int = 128,
    device: torch.device | str = "cpu",
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Test accuracy of each row of ``selections`` (columns of ``select_units``).

    ``probe_file(attribute, point)`` gives the path of the saved probes. Returns
    the selections with the columns ``test_accuracy``, ``qda_reg`` (the QDA's
    reg_param: 0, or facecues.qda's fallback) and ``test_images``, and for each attribute with
    a ``neuron`` selection that neuron's activation on every test image.
    """
    test = celeba.indices(TEST_PARTITION)
    if len(test) == 0:
        raise ValueError(f"{celeba.root}: the CelebA test partition (2) is empty")
    loaded, projectors, keys = {}, {}, []
    for row in selections.itertuples():
        point = loaded.setdefault(
            (row.attribute, row.point),
            load_point_probes(
                probe_file(row.attribute, row.point), network=str(row.seed), attribute=row.attribute
            ),
        )
        index, name = int(point.meta["index"]), probe_name(row.selection, row.rank)
        key = f"{row.attribute}/{name}"
        projectors.setdefault(index, {})[key] = point.projectors[name]
        keys.append((index, key, point, name))
    features = stream_features(
        model,
        [celeba.image_path(i) for i in test],
        projectors,
        input_size=input_size,
        batch_size=batch_size,
        device=device,
        desc="test",
    )
    accuracy, reg, neurons = [], [], {}
    for row, (index, key, point, name) in zip(selections.itertuples(), keys, strict=True):
        y = celeba.attribute(row.attribute)[test]
        f = features[index][key]
        a, r = qda_accuracy_many([point.train[name]], point.train_y, [f], y)
        accuracy.append(float(a[0]))
        reg.append(float(r[0]))
        if row.selection == "neuron":
            neurons[row.attribute] = f[:, 0]
    out = selections.copy()
    out["test_accuracy"], out["qda_reg"] = accuracy, reg
    out["test_images"] = len(test)
    return out, neurons


def first_unit(units) -> int:
    """The first unit index of a ``units`` cell: ``"17 4"`` -> 17. A cell holding one
    index may come back from a TSV as a number (``17`` or ``17.0``)."""
    token = str(units).split()[0]
    value = float(token)
    if not value.is_integer():
        raise ValueError(f"units cell {units!r} is not a list of unit indices")
    return int(value)


def write_neuron_activations(path, scores: pd.DataFrame, neurons, test_index) -> None:
    """Save the best neurons' test activations (``<attribute>`` datasets) with their
    probe point, ResNet position and unit as attributes, and the test image indices."""
    with atomic_h5(path) as f:
        f["test_index"] = np.asarray(test_index, dtype=np.int64)
        for row in scores[scores["selection"] == "neuron"].itertuples():
            d = f.create_dataset(row.attribute, data=neurons[row.attribute].astype(np.float32))
            d.attrs.update(point=row.point, name=row.name, unit=first_unit(row.units),
                           test_accuracy=row.test_accuracy)
