"""The per-(network, attribute) validation step: stream the validation images
through the network once, compute every probe's features at every probe point
from the saved projections, and score each probe with a QDA fitted on its
training features. scikit-learn is imported once per (network, attribute),
not once per point.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .qda import qda_accuracy
from .streaming import PointProbes, load_point_probes, stream_features

COLUMNS = ["seed", "attribute", "point", "name", "kind", "depth", "probe", "rank", "units",
           "vip", "accuracy"]


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
) -> pd.DataFrame:
    """QDA accuracy on ``features`` (labels ``y``) of every probe of every point."""
    rows = []
    for index in sorted(points):
        p = points[index]
        for name, train in p.train.items():
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
                "accuracy": qda_accuracy(train, p.train_y, features[index][name], y),
            })
    return pd.DataFrame(rows, columns=COLUMNS)


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
) -> pd.DataFrame:
    """Validation accuracy of every probe in ``probe_files`` (one per probe point)."""
    points = {}
    for f in probe_files:
        p = load_point_probes(f)
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
    return accuracy_rows(points, features, np.asarray(y), seed, attribute)
