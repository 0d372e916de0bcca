"""Probe features of images that are never stored as activations.

``facecues.layer_probe`` saves, for every probe of a probe point, the training
features and how to compute the same features for any new image: the unit
columns it reads and, for PLS probes, the projection ``X[:, columns] @ A - b``
(with A = W* / s and b = (mu / s) W*, the same scores as PLS1.transform).
Here validation or test images stream through the network once; at every
probe point each batch's activations are projected and only the (rows, <= 8)
features are kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from .errors import FacecuesError
from .probe_points import capture
from .shards import check_probe_file, open_h5
from .train import ImageFiles

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Projector:
    """Features of one probe from a probe point's flattened activations (rows, units)."""

    columns: np.ndarray | None  # unit indices read; None = every unit
    projection: np.ndarray | None  # (len(columns), k) for PLS probes; None = raw values
    offset: np.ndarray | None  # (k,)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.columns is not None:
            x = x[:, self.columns]
        if self.projection is None:
            return x.astype(np.float64)
        return (x @ self.projection).astype(np.float64) - self.offset


@dataclass
class PointProbes:
    """Everything saved for one probe point: metadata, labels, training features, projectors."""

    meta: dict
    train_y: np.ndarray
    train: dict[str, np.ndarray]
    projectors: dict[str, Projector]
    units: dict[str, np.ndarray]
    vip: dict[str, float]


def load_point_probes(
    path: str | Path,
    *,
    network: str | None = None,
    attribute: str | None = None,
    point: str | None = None,
) -> PointProbes:
    """Read a file written by ``facecues.layer_probe.fit_layer_probes``.

    The file is checked on open (``facecues.shards.check_probe_file``): a
    truncated or foreign file, or one whose attributes name another network,
    attribute or probe point than those given (the point defaults to the file
    name, ``L07.h5``), raises FacecuesError naming the file and what was expected.
    """
    what = "a probe file written by facecues' pls_vip step"
    with open_h5(path, what) as f:
        meta = check_probe_file(path, f, network=network, attribute=attribute, point=point)
        try:
            return _read_point_probes(f, meta)
        except OSError as e:
            raise FacecuesError(
                f"{path}: cannot read it ({e}); the file is truncated or damaged; delete it "
                "and rerun the workflow to write it again"
            ) from None


def _read_point_probes(f: h5py.File, meta: dict) -> PointProbes:
    train, projectors, units, vip = {}, {}, {}, {}
    for name, g in f["features"].items():
        train[name] = g["train"][...]
        projectors[name] = Projector(
            g["columns"][...] if "columns" in g else None,
            g["projection"][...] if "projection" in g else None,
            g["offset"][...] if "offset" in g else None,
        )
        units[name] = g.attrs["units"]
        vip[name] = float(np.mean(g.attrs["vip"]))
    return PointProbes(meta, f["train_y"][...], train, projectors, units, vip)


@torch.no_grad()
def stream_features(
    model: torch.nn.Module,
    paths: list[Path],
    projectors: dict[int, dict[str, Projector]],
    *,
    input_size: int,
    batch_size: int = 128,
    device: torch.device | str = "cpu",
    desc: str = "stream",
) -> dict[int, dict[str, np.ndarray]]:
    """Features of ``paths`` for every probe point ``projectors[index][probe]``."""
    log.info("%s: %d images on %s", desc, len(paths), device)
    model = model.to(device).eval()
    chunks: dict[int, dict[str, list[np.ndarray]]] = {
        i: {name: [] for name in probes} for i, probes in projectors.items()
    }
    loader = DataLoader(ImageFiles(paths, input_size), batch_size=batch_size)
    with capture(model, list(projectors)) as acts:
        for x in tqdm(loader, desc=desc, mininterval=5):
            model(x.to(device))
            for i, probes in projectors.items():
                a = acts[i].flatten(1).float().cpu().numpy()
                for name, project in probes.items():
                    chunks[i][name].append(project(a))
    return {
        i: {name: np.concatenate(parts) for name, parts in probes.items()}
        for i, probes in chunks.items()
    }
