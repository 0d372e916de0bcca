"""The per-(network, attribute) validation step: stream the validation images
through the network once, compute every probe's features at every probe point
from the saved projections, and score each probe with a QDA fitted on its
training features; where the probe file holds a shuffled-label twin of a
probe, that twin is scored too (its ``shuffled_accuracy``).

The table is written without pandas, whose import is a noticeable part of a
job this short.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .qda import qda_accuracy_many
from .streaming import PointProbes, load_point_probes, stream_features

COLUMNS = ["seed", "attribute", "point", "name", "kind", "depth", "probe", "rank", "units",
           "vip", "accuracy", "qda_reg", "shuffled_accuracy"]
"""Columns of one score_val job's table. ``qda_reg``: the QDA's reg_param (0, or the
fallback where the unregularised fit was singular, facecues.qda); ``shuffled_accuracy``:
the same probe fitted on shuffled labels (NaN where none was fitted)."""

SHUFFLED = "shuffled_"


def _probe_kind(name: str) -> tuple[str, int]:
    """``filter_3`` -> ("filter", 3); ``layer`` -> ("layer", 0)."""
    base, _, rank = name.rpartition("_")
    return (base, int(rank)) if rank.isdigit() else (name, 0)


def accuracy_rows(
    points: dict[int, PointProbes],
    features: dict[int, dict[str, np.ndarray]],
    y: np.ndarray,
    seed: str,
    attribute: str,
    shuffled_y: dict[int, np.ndarray] | None = None,
) -> list[dict]:
    """QDA accuracy on ``features`` (labels ``y``) of every probe of every point:
    one row (a dict of ``COLUMNS``) per probe.

    A probe ``shuffled_<name>`` (fitted on the labels ``shuffled_y[point]``)
    gives the ``shuffled_accuracy`` of probe ``name``.
    """
    shuffled_y = shuffled_y or {}
    rows, fits, twins = [], [], []
    for index in sorted(points):
        p = points[index]
        for name, train in p.train.items():
            if name.startswith(SHUFFLED):
                continue
            probe, rank = _probe_kind(name)
            rows.append({
                "seed": seed,
                "attribute": attribute,
                "point": p.meta["point"],
                "name": p.meta["name"],
                "kind": p.meta["kind"],
                "depth": int(p.meta["index"]),
                "probe": probe,
                "rank": rank,
                "units": " ".join(str(u) for u in p.units[name]),
                "vip": p.vip[name],
            })
            fits.append((train, p.train_y, features[index][name]))
            twin = SHUFFLED + name
            if twin in p.train and index in shuffled_y:
                twins.append((len(rows) - 1, (p.train[twin], shuffled_y[index],
                                              features[index][twin])))
    accuracy, reg = _qda_scores(fits, y)
    shuffled = np.full(len(rows), np.nan)
    if twins:
        shuffled[[r for r, _ in twins]] = _qda_scores([f for _, f in twins], y)[0]
    for row, a, r, s in zip(rows, accuracy, reg, shuffled, strict=True):
        row.update(accuracy=a, qda_reg=r, shuffled_accuracy=s)
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
    seed: str,
    attribute: str,
    input_size: int,
    batch_size: int = 128,
    device: torch.device | str = "cpu",
) -> list[dict]:
    """Validation accuracy of every probe in ``probe_files`` (one per probe point), as
    rows of ``COLUMNS``."""
    points, shuffled_y = {}, {}
    for f in probe_files:
        p = load_point_probes(f, network=seed, attribute=attribute)
        points[int(p.meta["index"])] = p
        if p.shuffled_y is not None:
            shuffled_y[int(p.meta["index"])] = p.shuffled_y
    features = stream_features(
        model,
        paths,
        {i: p.projectors for i, p in points.items()},
        input_size=input_size,
        batch_size=batch_size,
        device=device,
        desc=f"validation {attribute}",
    )
    return accuracy_rows(points, features, np.asarray(y), seed, attribute, shuffled_y)
