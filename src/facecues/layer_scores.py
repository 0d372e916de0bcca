"""The per-(network, attribute) step: QDA accuracy of every probe at every point.

Reads the 50 files written by ``facecues.layer_probe`` and returns one row
per (point, probe): the validation accuracy of a QDA fitted on the training
features. scikit-learn is imported here once per (network, attribute), not
once per point.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import pandas as pd

from .qda import qda_accuracy

COLUMNS = [
    "seed",
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
]


def _probe_kind(name: str) -> tuple[str, int]:
    """``filter_3`` -> ("filter", 3); ``layer`` -> ("layer", 0)."""
    base, _, rank = name.rpartition("_")
    return (base, int(rank)) if rank.isdigit() else (name, 0)


def score_points(paths: list[str | Path], seed: str, attribute: str) -> pd.DataFrame:
    """QDA validation accuracy of every probe in every probe file."""
    rows = []
    for path in paths:
        with h5py.File(path, "r") as f:
            ytr, yva = f["train_y"][...], f["val_y"][...]
            for name, grp in f["features"].items():
                probe, rank = _probe_kind(name)
                acc = qda_accuracy(grp["train"][...], ytr, grp["val"][...], yva)
                rows.append(
                    {
                        "seed": seed,
                        "attribute": attribute,
                        "point": f.attrs["point"],
                        "name": f.attrs["name"],
                        "kind": f.attrs["kind"],
                        "depth": int(f.attrs["index"]),
                        "probe": probe,
                        "rank": rank,
                        "units": " ".join(str(u) for u in grp.attrs["units"]),
                        "vip": float(grp.attrs["vip"].mean()),
                        "accuracy": acc,
                    }
                )
    return pd.DataFrame(rows, columns=COLUMNS)
