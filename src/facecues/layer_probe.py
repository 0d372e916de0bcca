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

from .probes import unit_features


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
        xtr = f["train"][...].astype(np.float32)
        xva = f["val"][...].astype(np.float32)
        ytr, yva = f["train_y"][...], f["val_y"][...]
    features = unit_features(
        xtr,
        ytr,
        xva,
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
        g["train_y"], g["val_y"] = ytr, yva
        for name, feat in features.items():
            grp = g.create_group(f"features/{name}")
            grp["train"] = np.asarray(feat["train"], dtype=np.float64)
            grp["val"] = np.asarray(feat["eval"], dtype=np.float64)
            grp.attrs["units"] = feat["units"]
            grp.attrs["vip"] = feat["score"]
    os.replace(tmp, out)
