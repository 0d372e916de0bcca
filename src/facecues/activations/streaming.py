"""Probe features of images that are never stored as activations.

The pls_vip step saves, for every probe of a probe point, the training
features and how to compute the same features for any new image
(``facecues.activations.projection.Projector``: the unit columns it reads and,
for PLS probes, the projection ``X[:, columns] @ A - b``). Here validation or test
images stream through the network once; at every probe point each batch's
activations are projected and only the (rows, <= 8) features are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from facecues.activations.projection import Projector
from facecues.data.images import ImageFiles
from facecues.nets.probe_points import point_capture

log = logging.getLogger(__name__)


class PointFeatures:
    """Every probe's features at one probe point, computed together for each batch.

    The same values as calling each :class:`Projector` on the batch, with one
    read of the union of the raw-unit probes' columns (their features are
    sliced out at the end) and one product per set of PLS probes that read the
    same columns (the whole map's probe and its identity-task twin, for
    instance), their projections side by side.
    """

    def __init__(self, probes: dict[str, Projector]):
        raw = {n: p for n, p in probes.items() if p.projection is None}
        self.raw_columns, self.raw_index = _union(
            {n: p.columns if p.columns is not None else np.arange(0) for n, p in raw.items()}
        )
        self.read_raw = _column_reader(self.raw_columns)
        same_columns: dict[bytes | None, list[str]] = {}
        for n, p in probes.items():
            if p.projection is not None:
                key = None if p.columns is None else np.asarray(p.columns, np.int64).tobytes()
                same_columns.setdefault(key, []).append(n)
        self.groups = []  # (read columns, projections side by side, offsets, {probe: span})
        for names in same_columns.values():
            ends = np.cumsum([probes[n].projection.shape[1] for n in names]).tolist()
            starts = [0, *ends[:-1]]
            self.groups.append(
                (
                    _column_reader(probes[names[0]].columns),
                    np.concatenate([probes[n].projection for n in names], axis=1),
                    np.concatenate([probes[n].offset for n in names]),
                    {n: slice(a, b) for n, a, b in zip(names, starts, ends, strict=True)},
                )
            )
        self.raw_parts: list[np.ndarray] = []
        self.parts: list[list[np.ndarray]] = [[] for _ in self.groups]

    def add(self, x: np.ndarray) -> None:
        """Project one batch of flattened activations (rows, units)."""
        if self.raw_columns.size:
            self.raw_parts.append(self.read_raw(x).astype(np.float64))
        for (read, projection, offset, _), parts in zip(self.groups, self.parts, strict=True):
            parts.append((read(x) @ projection).astype(np.float64) - offset)

    def result(self) -> dict[str, np.ndarray]:
        """{probe: (rows, features)} over every batch added."""
        out = {}
        for (_, _, _, spans), parts in zip(self.groups, self.parts, strict=True):
            features = np.concatenate(parts)
            out.update({n: np.ascontiguousarray(features[:, s]) for n, s in spans.items()})
        if self.raw_index:
            raw = np.concatenate(self.raw_parts)
            out.update({n: raw[:, idx] for n, idx in self.raw_index.items()})
        return out


def _column_reader(columns: np.ndarray | None) -> Callable[[np.ndarray], np.ndarray]:
    """A function giving ``x[:, columns]`` of (rows, units) arrays (None: all of x).

    Probes mostly read whole filters, i.e. runs of consecutive units: one run
    is read as a view, a few runs as slices joined (at copying speed, many
    times faster than fancy indexing); scattered units with ``np.take``.
    """
    if columns is None:
        return lambda x: x
    c = np.asarray(columns, dtype=np.int64)
    if c.size == 0:
        return lambda x: x[:, :0]
    breaks = np.flatnonzero(np.diff(c) != 1) + 1
    runs = [
        slice(int(c[a]), int(c[b - 1]) + 1)
        for a, b in zip(np.r_[0, breaks], np.r_[breaks, c.size], strict=True)
    ]
    if len(runs) == 1:
        return lambda x: x[:, runs[0]]
    if len(runs) * 16 <= c.size:  # runs of 16 units or more on average
        return lambda x: np.concatenate([x[:, r] for r in runs], axis=1)
    return lambda x: np.take(x, c, axis=1)


def _union(columns: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(sorted union of the column arrays, each array's positions in it)."""
    if not columns:
        return np.arange(0), {}
    union = np.unique(np.concatenate([np.asarray(c, dtype=np.int64) for c in columns.values()]))
    return union, {n: np.searchsorted(union, c) for n, c in columns.items()}


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
    points = {i: PointFeatures(probes) for i, probes in projectors.items()}
    loader = DataLoader(ImageFiles(paths, input_size), batch_size=batch_size)
    with point_capture(model, list(projectors), input_size=input_size) as (run, acts):
        for x in tqdm(loader, desc=desc, mininterval=5):
            run(x.to(device))
            for i, features in points.items():
                features.add(acts[i].flatten(1).float().cpu().numpy())
    return {i: features.result() for i, features in points.items()}
