"""Scoring saved probes on images streamed through the network.

- The score_val step (per network and attribute): stream the validation
  images through the network once, compute every probe's features at every
  probe point from the saved projections, and score each probe with a QDA
  fitted on its training features; where the probe file holds an
  identity-task twin of a probe (fitted on a random label per person), that
  twin is scored on the validation images' identity-task labels (its
  ``identity_task_accuracy``). Its table is written without pandas, whose import
  is a noticeable part of a job this short.
- The score_test step (per network, docs/protocol.md section 8): one pass
  over the official CelebA test partition (unbalanced, plain accuracy)
  scores every attribute's validation-selected best layer, best single
  filter and best single neuron. The raw test activations of the best
  neurons are kept for the average faces of Figs. 1 and 6.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from facecues.activations.projection import Projector
from facecues.activations.streaming import stream_features
from facecues.data.splits import TEST_PARTITION
from facecues.io import atomic_h5
from facecues.probes.kinds import CONTROL, PROBE_KINDS, parse_probe
from facecues.probes.probe_file import PointProbes, load_point_probes
from facecues.probes.qda import qda_accuracy_many

COLUMNS = [
    "network",
    "attribute",
    "point",
    "name",
    "kind",
    "depth",
    "probe",
    "rank",
    "units",
    "vip",
    "accuracy",
    "qda_reg",
    "identity_task_accuracy",
]
"""Columns of one score_val job's table. ``qda_reg``: the QDA's reg_param (0, or the
fallback where the unregularised fit was singular, facecues.probes.qda);
``identity_task_accuracy``: the same probe fitted and scored on the identity control
task (NaN where none was fitted)."""


def accuracy_rows(
    points: dict[int, PointProbes],
    features: dict[int, dict[str, np.ndarray]],
    y: np.ndarray,
    network: str,
    attribute: str,
    identity_y: np.ndarray | None = None,
) -> list[dict]:
    """QDA accuracy on ``features`` (labels ``y``) of every probe of every point:
    one row (a dict of ``COLUMNS``) per probe.

    A probe ``identity_<name>`` (fitted on the identity-task labels its probe file
    keeps) gives the ``identity_task_accuracy`` of probe ``name``, scored on
    ``identity_y``, the same images' identity-task labels (None: not scored).
    """
    rows, fits, twins = [], [], []
    for index in sorted(points):
        p = points[index]
        for name, train in p.train.items():
            if name.startswith(CONTROL):
                continue
            kind, rank = parse_probe(name)
            rows.append(
                {
                    "network": network,
                    "attribute": attribute,
                    "point": p.meta["point"],
                    "name": p.meta["name"],
                    "kind": p.meta["kind"],
                    "depth": int(p.meta["index"]),
                    "probe": kind.name,
                    "rank": rank,
                    "units": " ".join(str(u) for u in p.units[name]),
                    "vip": p.vip[name],
                }
            )
            fits.append((train, p.train_y, features[index][name]))
            twin = CONTROL + name
            if twin in p.train and p.identity_y is not None and identity_y is not None:
                twins.append((len(rows) - 1, (p.train[twin], p.identity_y, features[index][twin])))
    accuracy, reg = _qda_scores(fits, y)
    task = np.full(len(rows), np.nan)
    if twins:
        task[[r for r, _ in twins]] = _qda_scores([f for _, f in twins], identity_y)[0]
    for row, a, r, t in zip(rows, accuracy, reg, task, strict=True):
        row.update(accuracy=a, qda_reg=r, identity_task_accuracy=t)
    return rows


def format_rows(rows: list[dict]) -> str:
    """``rows`` as TSV text with a header of ``COLUMNS``, as pandas' ``to_csv`` writes
    them: floats in their shortest exact form, NaN as an empty cell."""
    lines = ["\t".join(COLUMNS)]
    lines += ["\t".join(_cell(row[c]) for c in COLUMNS) for row in rows]
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else repr(float(value))
    return str(value)


def _qda_scores(fits, y) -> tuple[np.ndarray, np.ndarray]:
    """(accuracy, reg_param used) of a QDA probe per (train features, train labels,
    eval features) in ``fits``, on the eval labels ``y``: one batched QDA
    (facecues.qda.qda_accuracy_many) per distinct set of training labels."""
    acc, reg = np.full(len(fits), np.nan), np.full(len(fits), np.nan)
    groups: dict[bytes, list[int]] = {}
    for i, (_, train_y, _) in enumerate(fits):
        groups.setdefault(np.asarray(train_y).tobytes(), []).append(i)
    for members in groups.values():
        a, r = qda_accuracy_many(
            [fits[i][0] for i in members], fits[members[0]][1], [fits[i][2] for i in members], y
        )
        acc[members], reg[members] = a, r
    return acc, reg


def score_validation(
    model: torch.nn.Module,
    probe_files: list[str | Path],
    paths: list[Path],
    y: np.ndarray,
    *,
    network: str,
    attribute: str,
    input_size: int,
    batch_size: int = 128,
    device: torch.device | str = "cpu",
    identity_y: np.ndarray | None = None,
) -> list[dict]:
    """Validation accuracy of every probe in ``probe_files`` (one per probe point), as
    rows of ``COLUMNS``; ``identity_y``: the validation images' identity-task labels."""
    points = {}
    for f in probe_files:
        p = load_point_probes(f, network=network, attribute=attribute)
        points[int(p.meta["index"])] = p
    features = stream_features(
        model,
        paths,
        {i: p.projectors for i, p in points.items()},
        input_size=input_size,
        batch_size=batch_size,
        device=device,
        desc=f"validation {attribute}",
    )
    return accuracy_rows(points, features, np.asarray(y), network, attribute, identity_y)


# ----------------------------------------------------------------------------------------
# The test partition.


def probe_name(selection: str, rank: int) -> str:
    """The probe file's feature group of a selection (a probe kind and its rank):
    ``layer``, ``filter_3``, ``neuron_1``."""
    kind = PROBE_KINDS[selection]
    return kind.probe(int(rank)) if kind.ranked else kind.probe()


def score_test(
    model: torch.nn.Module,
    selections,
    probe_file,
    celeba,
    *,
    input_size: int,
    batch_size: int = 128,
    device: torch.device | str = "cpu",
):
    """Test accuracy of each row of ``selections`` (columns of ``select_units``).

    ``probe_file(attribute, point)`` gives the path of the saved probes. Returns
    the selections with the columns ``test_accuracy``, ``qda_reg`` (the QDA's
    reg_param: 0, or facecues.probes.qda's fallback) and ``test_images``, and
    {(selection, attribute): activation on every test image} of the ``neuron``
    and ``filter`` selections (a filter's: the mean over its channel's positions).
    """
    test = celeba.indices(TEST_PARTITION)
    if len(test) == 0:
        raise ValueError(f"{celeba.root}: the CelebA test partition (2) is empty")
    loaded, projectors, keys = {}, {}, []
    for row in selections.itertuples():
        point = loaded.setdefault(
            (row.attribute, row.point),
            load_point_probes(
                probe_file(row.attribute, row.point),
                network=str(row.network),
                attribute=row.attribute,
            ),
        )
        index, name = int(point.meta["index"]), probe_name(row.selection, row.rank)
        key = f"{row.attribute}/{name}"
        projectors.setdefault(index, {})[key] = point.projectors[name]
        if row.selection == "filter":  # the channel's raw values too: its activation
            columns = point.projectors[name].columns
            projectors[index][f"{key}/raw"] = Projector(columns, None, None)
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
    accuracy, reg, units = [], [], {}
    for row, (index, key, point, name) in zip(selections.itertuples(), keys, strict=True):
        y = celeba.attribute(row.attribute)[test]
        f = features[index][key]
        a, r = qda_accuracy_many([point.train[name]], point.train_y, [f], y)
        accuracy.append(float(a[0]))
        reg.append(float(r[0]))
        if row.selection == "neuron":
            units["neuron", row.attribute] = f[:, 0]
        elif row.selection == "filter":
            units["filter", row.attribute] = features[index][f"{key}/raw"].mean(axis=1)
    out = selections.copy()
    out["test_accuracy"], out["qda_reg"] = accuracy, reg
    out["test_images"] = len(test)
    return out, units


def first_unit(units) -> int:
    """The first unit index of a ``units`` cell: ``"17 4"`` -> 17. A cell holding one
    index may come back from a TSV as a number (``17`` or ``17.0``)."""
    token = str(units).split()[0]
    value = float(token)
    if not value.is_integer():
        raise ValueError(f"units cell {units!r} is not a list of unit indices")
    return int(value)


def write_unit_activations(path, scores, units, test_index) -> None:
    """Save the selected units' test activations with the test image indices
    (``test_index``): the best neurons' as ``<attribute>`` datasets (Figs. 1 and 6), the
    best filters' (their channel's mean) as ``filter/<attribute>``, each with its probe
    point, place in the network, unit (the neuron's, or the channel) and test accuracy as
    attributes."""
    with atomic_h5(path) as f:
        f["test_index"] = np.asarray(test_index, dtype=np.int64)
        for row in scores[scores["selection"].isin(["neuron", "filter"])].itertuples():
            name = row.attribute if row.selection == "neuron" else f"filter/{row.attribute}"
            values = units[row.selection, row.attribute].astype(np.float32)
            d = f.create_dataset(name, data=values)
            d.attrs.update(
                point=row.point,
                name=row.name,
                unit=first_unit(row.units),
                test_accuracy=row.test_accuracy,
            )
