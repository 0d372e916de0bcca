"""Activations of the balanced probe samples, written to one HDF5 shard per probe point.

Shard layout (``L07.h5``): datasets ``train`` (n_train, units) and ``val``
(n_val, units) in the configured dtype, chunked by rows, the labels
``train_y`` / ``val_y`` (int8, +-1), and attributes ``point`` (``L07``),
``name`` (``layer1.1.relu1``), ``kind`` and ``shape`` (C, H, W). Units are the
flattened NCHW map: unit = c*H*W + y*W + x. Every shard is written to a
temporary name and renamed once complete.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import h5py
import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from .probe_points import ProbePoint, capture, probe_points
from .train import ImageFiles

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20


def row_chunk(units: int, itemsize: int, rows: int) -> tuple[int, int]:
    """HDF5 chunk shape for (rows, units): whole rows, about 1 MiB per chunk."""
    return (max(1, min(rows, CHUNK_BYTES // (units * itemsize))), units)


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
) -> list[ProbePoint]:
    """Run ``samples`` ({"train": (paths, y), "val": (paths, y)}) through ``model`` and
    write each probe point's activations to ``out_paths[index]``."""
    log.info("extracting on %s", device)
    model = model.to(device).eval()
    points = [p for p in probe_points(model, input_size) if p.index in out_paths]
    np_dtype = np.dtype(dtype)
    torch_dtype = getattr(torch, dtype)  # cast in torch: h5py's own conversion is slow
    files: dict[int, h5py.File] = {}
    tmp = {i: Path(str(p) + ".tmp") for i, p in out_paths.items()}
    try:
        for p in points:
            tmp[p.index].parent.mkdir(parents=True, exist_ok=True)
            f = h5py.File(tmp[p.index], "w")
            f.attrs.update(point=p.id, name=p.name, kind=p.kind, shape=p.shape, index=p.index)
            for sample, (paths, y) in samples.items():
                f.create_dataset(
                    sample,
                    shape=(len(paths), p.units),
                    dtype=np_dtype,
                    chunks=row_chunk(p.units, np_dtype.itemsize, len(paths)),
                )
                f.create_dataset(f"{sample}_y", data=np.asarray(y, dtype=np.int8))
            files[p.index] = f
        for sample, (paths, _) in samples.items():
            loader = DataLoader(
                ImageFiles(paths, input_size), batch_size=batch_size, num_workers=workers
            )
            row = 0
            with capture(model, list(files)) as acts:
                for x in tqdm(loader, desc=f"extract {sample}", mininterval=5):
                    model(x.to(device))
                    n = len(x)
                    for i, f in files.items():
                        f[sample][row : row + n] = acts[i].flatten(1).to(torch_dtype).cpu().numpy()
                    row += n
        for f in files.values():
            f.close()
        for i in files:
            os.replace(tmp[i], out_paths[i])
    finally:
        for i, f in files.items():
            if f.id.valid:
                f.close()
            tmp[i].unlink(missing_ok=True)
    log.info("wrote %d shards (%s)", len(files), dtype)
    return points
