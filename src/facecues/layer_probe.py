"""The per-(network, probe point, attribute) step: PLS + VIP on the training
activations, then, for every probe of PROTOCOL.md sections 5-7, its training
features and how to compute the same features for new images.

Output file (``results/probes/<seed>/<attribute>/L07.h5``):
- attributes ``point``, ``name``, ``kind``, ``shape``, ``index`` from the shard;
- ``vip`` (units,) and ``filter_score`` (channels,); ``train_y``;
- one group per probe under ``features/``: ``layer`` (the PLS scores of the
  whole map), ``neurons`` (the top-k neurons' raw values, jointly),
  ``filters`` (PLS scores of the top-k filters' maps together),
  ``neuron_<r>`` / ``filter_<r>`` (rank r alone), ``vip_<j>`` (the j-th
  VIP-uniform single neuron). Each holds ``train`` (features), ``columns``
  (the units it reads; absent = all) and, for PLS probes, ``projection`` A
  and ``offset`` b with features = X[:, columns] A - b (A = W* / s,
  b = (mu / s) W*: PLS1.transform without a centred copy), plus the
  attributes ``units`` (unit or channel indices) and ``vip``.
Only numpy, h5py and facecues' numpy path are imported, so the thousands of
such jobs start fast.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np

from .probes import unit_features


def projection(model) -> tuple[np.ndarray, np.ndarray]:
    """(A, b) with model.transform(X) == X @ A - b: A = W* / s, b = (mu / s) W*."""
    rot = np.asarray(model.x_rotations_, dtype=np.float64)
    std = np.asarray(model.x_std_, dtype=np.float64)
    mean = np.asarray(model.x_mean_, dtype=np.float64)
    return rot / std[:, None], (mean / std) @ rot


def read_float32(dataset, block_bytes: int = 64 << 20) -> np.ndarray:
    """A (rows, units) HDF5 dataset as one float32 array, read in row blocks.

    A float16 shard is converted block by block, so memory holds the float32
    array plus one block (about ``block_bytes`` of float16), never both whole
    copies; a float32 shard is read straight into the array.
    """
    rows, units = dataset.shape
    out = np.empty((rows, units), dtype=np.float32)
    step = max(1, block_bytes // max(1, units * dataset.dtype.itemsize))
    for i in range(0, rows, step):
        stop = min(i + step, rows)
        if dataset.dtype == np.float32:
            dataset.read_direct(out, np.s_[i:stop], np.s_[i:stop])
        else:
            out[i:stop] = dataset[i:stop]
    return out


def fit_layer_probes(
    shard: str | Path,
    out: str | Path,
    *,
    n_components: int = 8,
    scale: bool = True,
    top_k: int = 8,
    vip_neurons: int = 50,
    all_filters: bool = False,
    seed: int = 0,
) -> None:
    """Fit the probes of one shard (written by ``facecues.extract``) and write ``out``."""
    with h5py.File(shard, "r") as f:
        meta = dict(f.attrs)
        xtr = read_float32(f["train"])
        ytr = f["train_y"][...]
    features = unit_features(
        xtr,
        ytr,
        None,
        tuple(int(s) for s in meta["shape"]),
        n_components=n_components,
        top_k=top_k,
        vip_neurons=vip_neurons,
        seed=seed,
        all_filters=all_filters,
        scale=scale,
    )
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    with h5py.File(tmp, "w") as g:
        g.attrs.update(meta)
        g.create_dataset("vip", data=features.pop("_vip")["score"].astype(np.float32))
        g.create_dataset("filter_score", data=features.pop("_filter_scores")["score"])
        g["train_y"] = ytr
        for name, feat in features.items():
            grp = g.create_group(f"features/{name}")
            grp["train"] = np.asarray(feat["train"], dtype=np.float64)
            if feat["columns"] is not None:
                grp["columns"] = feat["columns"]
            if feat["model"] is not None:
                a, b = projection(feat["model"])
                grp["projection"], grp["offset"] = a.astype(np.float32), b
            grp.attrs["units"] = feat["units"]
            grp.attrs["vip"] = feat["score"]
    os.replace(tmp, out)
