"""Activations of the balanced probe samples, written to one HDF5 shard per probe point.

Shard layout (``L07.h5``): datasets ``train`` (n_train, units) and ``val``
(n_val, units) in the configured dtype, chunked by rows, the labels
``train_y`` / ``val_y`` (int8, +-1), and attributes ``point`` (``L07``),
``name`` (``layer1.1.relu1``), ``kind``, ``shape`` (C, H, W) and ``index``, and,
when given, ``network`` and ``attribute``. Units are the flattened NCHW map:
unit = c*H*W + y*W + x. Every shard is written to a temporary name and renamed
once all are complete and checked (``facecues.shards``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from .probe_points import ProbePoint, capture, probe_points
from .shards import atomic_h5_set, check_activations, truncate_files
from .train import ImageFiles

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
#: Disk reserved per shard beyond its data, for HDF5's metadata and chunk index (the
#: file keeps this size: at most 64 KiB + 0.1% more than its data).
RESERVE_MARGIN = 64 << 10


def row_chunk(units: int, itemsize: int, rows: int) -> tuple[int, int]:
    """HDF5 chunk shape for (rows, units): whole rows, about 1 MiB per chunk."""
    return (max(1, min(rows, CHUNK_BYTES // (units * itemsize))), units)


def shard_bytes(model, input_size: int, rows: int, dtype: str, indices) -> int:
    """Bytes of the activations of ``rows`` images at the probe points ``indices``."""
    units = sum(p.units for p in probe_points(model, input_size) if p.index in indices)
    return units * rows * np.dtype(dtype).itemsize


@torch.no_grad()
def extract_shards(
    model: torch.nn.Module,
    samples: dict[str, tuple[list[Path], np.ndarray]],
    out_paths: dict[int, Path],
    *,
    input_size: int,
    dtype: str = "float16",
    batch_size: int = 128,
    device: torch.device | str = "cpu",
    workers: int = 0,
    network: str | None = None,
    attribute: str | None = None,
) -> list[ProbePoint]:
    """Run ``samples`` ({"train": (paths, y), "val": (paths, y)}) through ``model`` and
    write each probe point's activations to ``out_paths[index]``.

    ``network`` and ``attribute``, when given, are recorded in each shard's
    attributes, so that a reader can tell a foreign shard
    (``facecues.shards.read_shard``). Every shard is written under a temporary
    name and renamed only once all are complete and checked: NaN or Inf
    activations (a diverged network) or a point whose units are all constant
    over the training rows (dead ReLUs) raise FacecuesError and leave no shard.
    """
    log.info("extracting on %s", device)
    model = model.to(device).eval()
    points = [p for p in probe_points(model, input_size) if p.index in out_paths]
    np_dtype = np.dtype(dtype)
    torch_dtype = getattr(torch, dtype)  # cast in torch: h5py's own conversion is slow
    owner = {k: v for k, v in (("network", network), ("attribute", attribute)) if v is not None}
    nonfinite = {p.index: 0 for p in points}
    lo: dict[int, torch.Tensor] = {}
    hi: dict[int, torch.Tensor] = {}
    rows_all = sum(len(paths) for paths, _ in samples.values())
    reserve = {}
    for p in points:
        data = rows_all * p.units * np_dtype.itemsize
        reserve[p.index] = data + data // 1024 + RESERVE_MARGIN
    with atomic_h5_set({p.index: out_paths[p.index] for p in points}, reserve=reserve) as files:
        datasets: dict[tuple[int, str], h5py.Dataset] = {}
        try:
            for p in points:
                f = files[p.index]
                f.attrs.update(
                    point=p.id, name=p.name, kind=p.kind, shape=p.shape, index=p.index, **owner
                )
                for sample, (paths, y) in samples.items():
                    datasets[p.index, sample] = f.create_dataset(
                        sample,
                        shape=(len(paths), p.units),
                        dtype=np_dtype,
                        chunks=row_chunk(p.units, np_dtype.itemsize, len(paths)),
                    )
                    f.create_dataset(f"{sample}_y", data=np.asarray(y, dtype=np.int8))
            for sample, (paths, _) in samples.items():
                loader = DataLoader(
                    ImageFiles(paths, input_size), batch_size=batch_size, num_workers=workers
                )
                row = 0
                with capture(model, list(files)) as acts:
                    for x in tqdm(loader, desc=f"extract {sample}", mininterval=5):
                        model(x.to(device))
                        n = len(x)
                        for i in files:
                            a = acts[i].flatten(1).to(torch_dtype)
                            nonfinite[i] += int(a.numel() - torch.isfinite(a).sum())
                            if sample == "train":
                                a32 = a.float()
                                bmin, bmax = a32.amin(0), a32.amax(0)
                                lo[i] = bmin if i not in lo else torch.minimum(lo[i], bmin)
                                hi[i] = bmax if i not in hi else torch.maximum(hi[i], bmax)
                            datasets[i, sample][row : row + n] = a.cpu().numpy()
                        row += n
            rows = len(samples["train"][0]) if "train" in samples else 0
            total = sum(len(paths) for paths, _ in samples.values())
            for p in points:
                constant = int((lo[p.index] == hi[p.index]).sum()) if p.index in lo else 0
                where = f"{out_paths[p.index]}: probe point {p.id} ({p.name})"
                if network is not None:
                    where += f" of network {network}"
                if attribute is not None:
                    where += f", attribute {attribute}"
                check_activations(
                    where, nonfinite[p.index], total * p.units, constant, p.units, rows
                )
            for f in files.values():
                f.flush()  # a full disk shows here, not later when a handle is freed
        except BaseException:
            # the files are thrown away: empty them first, so that the dataset handles,
            # freed before their files close (h5py can crash otherwise), flush without error
            truncate_files(files.values())
            datasets.clear()
            raise
        datasets.clear()
    log.info("wrote %d shards (%s)", len(files), dtype)
    return points
