"""The per-(network, probe point, attribute) step: PLS + VIP on the training
activations, then the features every QDA probe of PROTOCOL.md sections 5-7
needs, for the training and validation samples.

Output file (``results/probes/<seed>/<attribute>/L07.h5``):
- attributes ``point``, ``name``, ``kind``, ``shape`` copied from the shard;
- ``vip`` (units,) and ``filter_score`` (channels,);
- ``train_y``, ``val_y``;
- one group per probe under ``features/``: ``layer`` (the 8 PLS scores of the
  whole map), ``neurons`` (the top-k neurons' raw values, jointly),
  ``filters`` (PLS scores of the top-k filters' maps together),
  ``neuron_<r>`` / ``filter_<r>`` (rank r alone), ``vip_<j>`` (the j-th
  VIP-uniform single neuron); each with datasets ``train``, ``val`` and the
  attribute ``units`` (unit or channel indices) and ``vip``.
Only numpy, h5py and facecues' numpy path are imported, so the thousands of
such jobs start fast.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np

from .pls import PLS1, filter_scores, vip
from .probes import filter_columns, top_filters, top_neurons, vip_uniform_neurons


def _pls_features(xtr, ytr, xva, n_components: int, scale: bool):
    k = min(n_components, xtr.shape[1])
    model = PLS1(n_components=k, scale=scale).fit(xtr, ytr)
    return model, model.x_scores_, model.transform(xva)


def fit_layer_probes(
    shard: str | Path,
    out: str | Path,
    *,
    n_components: int = 8,
    scale: bool = True,
    top_k: int = 8,
    vip_neurons: int = 50,
    seed: int = 0,
) -> None:
    """Fit the probes of one shard (written by ``facecues.extract``) and write ``out``."""
    with h5py.File(shard, "r") as f:
        meta = dict(f.attrs)
        xtr = f["train"][...].astype(np.float32)
        xva = f["val"][...].astype(np.float32)
        ytr, yva = f["train_y"][...], f["val_y"][...]
    shape = tuple(int(s) for s in meta["shape"])
    maps = shape if len(shape) == 3 else (shape[0], 1, 1)

    features: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
    model, ttr, tva = _pls_features(xtr, ytr, xva, n_components, scale)
    v = np.asarray(vip(model), dtype=np.float64)
    fs = np.asarray(filter_scores(v, maps), dtype=np.float64)
    features["layer"] = (ttr, tva, np.arange(0), np.array([v.mean()]))

    neurons = top_neurons(v, top_k)
    features["neurons"] = (xtr[:, neurons], xva[:, neurons], neurons, v[neurons])
    for r, u in enumerate(neurons, start=1):
        features[f"neuron_{r}"] = (xtr[:, [u]], xva[:, [u]], np.array([u]), v[[u]])

    filters = top_filters(fs, top_k)
    cols = [filter_columns(int(c), maps) for c in filters]
    for r, (c, cc) in enumerate(zip(filters, cols, strict=True), start=1):
        _, a, b = _pls_features(xtr[:, cc], ytr, xva[:, cc], n_components, scale)
        features[f"filter_{r}"] = (a, b, np.array([c]), fs[[c]])
    joint = np.concatenate(cols)
    _, a, b = _pls_features(xtr[:, joint], ytr, xva[:, joint], n_components, scale)
    features["filters"] = (a, b, filters, fs[filters])

    for j, u in enumerate(vip_uniform_neurons(v, vip_neurons, seed=seed), start=1):
        features[f"vip_{j}"] = (xtr[:, [u]], xva[:, [u]], np.array([u]), v[[u]])

    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    with h5py.File(tmp, "w") as g:
        g.attrs.update(meta)
        g.create_dataset("vip", data=v.astype(np.float32))
        g.create_dataset("filter_score", data=fs.astype(np.float32))
        g["train_y"], g["val_y"] = ytr, yva
        for name, (a, b, units, score) in features.items():
            grp = g.create_group(f"features/{name}")
            grp["train"] = np.asarray(a, dtype=np.float64)
            grp["val"] = np.asarray(b, dtype=np.float64)
            grp.attrs["units"] = np.asarray(units, dtype=np.int64)
            grp.attrs["vip"] = np.asarray(score, dtype=np.float64)
    os.replace(tmp, out)
