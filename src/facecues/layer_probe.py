"""The per-(network, probe point, attribute) step: PLS + VIP on the training
activations, then, for every probe of PROTOCOL.md sections 5-7, its training
features and how to compute the same features for new images.

Output file (``results/probes/<seed>/<attribute>/L07.h5``):
- attributes ``point``, ``name``, ``kind``, ``shape``, ``index`` from the shard,
  ``network`` and ``attribute`` (the wildcards it was fitted for);
- ``vip`` (units,) and ``filter_score`` (channels,); ``train_y``, and
  ``shuffled_y`` (the same labels permuted) when the shuffled-label control
  is on;
- the probes: ``layer`` (the PLS scores of the whole map), ``neurons`` (the
  top-k neurons' raw values, jointly), ``filters`` (PLS scores of the top-k
  filters' maps together), ``neuron_<r>`` / ``filter_<r>`` (rank r alone),
  ``vip_<j>`` (the j-th VIP-uniform single neuron; its draw seeded per
  network, point and attribute), and ``shuffled_<name>`` for the probes of
  ``SHUFFLED_PROBES`` fitted on ``shuffled_y`` (their accuracy is the chance
  level as measured). No ``filter*`` probes at the pooled point L50 unless
  asked (a "filter" there is one unit; the authors build none).
- the PLS probes (layer, filters, filter_<r> and their twins), packed in ``pls/``
  (see ``_write_pls_probes``): per probe its training features, the units it
  reads (none = the whole map), and the projection A and offset b with
  features = X[:, columns] A - b (A = W* / s, b = (mu / s) W*: PLS1.transform
  without a centred copy);
- the probes on raw unit values (neurons, VIP-uniform), packed in ``raw/``
  (see ``_write_raw_probes``).
Packed, not a group per probe: a file holds ~20 datasets instead of ~70, and
the validation step opens 50 such files per job.
Only numpy, h5py and facecues' numpy path are imported, so the thousands of
such jobs start fast.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import h5py
import numpy as np

from .probes import unit_features
from .shards import atomic_h5, read_shard

# The probes refitted on shuffled labels (``shuffled_<name>``): the curves and the best
# single units, the chance level each is compared with.
SHUFFLED_PROBES = ("layer", "filters", "neurons", "filter_1", "neuron_1")


def projection(model) -> tuple[np.ndarray, np.ndarray]:
    """(A, b) with model.transform(X) == X @ A - b: A = W* / s, b = (mu / s) W*."""
    rot = np.asarray(model.x_rotations_, dtype=np.float64)
    std = np.asarray(model.x_std_, dtype=np.float64)
    mean = np.asarray(model.x_mean_, dtype=np.float64)
    return rot / std[:, None], (mean / std) @ rot


def probe_stream(seed: int, network: str, attribute: str, *more: int) -> np.random.SeedSequence:
    """A random stream for one (network, attribute[, point]) from the config's ``seed``.

    Strings enter through CRC-32, so the stream is the same on every machine
    and Python version (unlike ``hash``).
    """
    words = [int(seed), zlib.crc32(str(network).encode()), zlib.crc32(str(attribute).encode())]
    return np.random.SeedSequence(words + [int(m) for m in more])


def shuffled_labels(y: np.ndarray, seed: int, network: str, attribute: str) -> np.ndarray:
    """``y`` permuted within the balanced sample; the same permutation at every point."""
    rng = np.random.default_rng(probe_stream(seed, network, attribute))
    return np.asarray(y)[rng.permutation(len(y))]


def fit_layer_probes(
    shard: str | Path,
    out: str | Path,
    *,
    network: str = "",
    attribute: str = "",
    n_components: int = 8,
    scale: bool = True,
    top_k: int = 8,
    vip_neurons: int = 50,
    vip_seed: int = 0,
    all_filters: bool = False,
    pooled_filters: bool = False,
    shuffle_seed: int | None = 0,
) -> None:
    """Fit the probes of one shard (written by ``facecues.extract``) and write ``out``.

    ``network`` and ``attribute`` name the shard's (wildcard) network and
    attribute (the shard must say the same; not given: the shard's own): they
    are written into ``out`` and seed the VIP-uniform draw
    (``vip_seed``, per network, point and attribute) and the shuffled-label
    control (``shuffle_seed``; None builds no control).
    """
    # checked on open: its attributes name this network, attribute and point; finite values
    meta, xtr, ytr = read_shard(shard, network=network or None, attribute=attribute or None)
    # not given: the shard's own (extract records them), which seed the draws below
    network = str(network or meta.get("network", ""))
    attribute = str(attribute or meta.get("attribute", ""))
    index = int(meta["index"])
    shape = tuple(int(s) for s in meta["shape"])
    options = dict(n_components=n_components, top_k=top_k, pooled_filters=pooled_filters,
                   scale=scale)
    features = unit_features(
        xtr, ytr, None, shape, vip_neurons=vip_neurons, all_filters=all_filters,
        seed=probe_stream(vip_seed, network, attribute, index), **options,
    )
    shuffled, y_shuffled = {}, None
    if shuffle_seed is not None:
        # The shuffled-label control: the same probes, fitted on permuted labels.
        y_shuffled = shuffled_labels(ytr, shuffle_seed, network, attribute)
        control = unit_features(xtr, y_shuffled, None, shape, vip_neurons=0, singles=1, **options)
        shuffled = {f"shuffled_{n}": control[n] for n in SHUFFLED_PROBES if n in control}
    meta.update(network=network, attribute=attribute)
    with atomic_h5(out) as g:
        g.attrs.update(meta)
        g.create_dataset("vip", data=features.pop("_vip")["score"].astype(np.float32))
        g.create_dataset("filter_score", data=features.pop("_filter_scores")["score"])
        g["train_y"] = ytr
        if y_shuffled is not None:
            g["shuffled_y"] = y_shuffled
        all_features = {**features, **shuffled}
        _write_pls_probes(g, {n: f for n, f in all_features.items() if f["model"] is not None})
        _write_raw_probes(g, xtr, {n: f for n, f in all_features.items() if f["model"] is None})


def _write_pls_probes(g: h5py.File, pls: dict[str, dict]) -> None:
    """The PLS probes, packed into ``pls/``: per probe (``names``) its k features in
    ``train`` (rows, sum k) and ``offset`` (sum k,), its projection in the rows of
    ``projection`` (sum rows, max k; the first k columns), the units it reads in
    ``columns`` (none: the whole map, one projection row per unit), its channels in
    ``units`` (none for ``layer``), all sliced by ``offsets`` (probes + 1, 4: the
    cumulative counts of features, projection rows, columns and units), and ``vip``
    (probes,) the mean VIP of its units (of the map for ``layer``)."""
    names = list(pls)
    ab = [projection(pls[n]["model"]) for n in names]
    columns = [np.zeros(0, np.int64) if pls[n]["columns"] is None
               else np.asarray(pls[n]["columns"], np.int64) for n in names]
    units = [np.asarray(pls[n]["units"], np.int64).reshape(-1) for n in names]
    sizes = [(b.size, a.shape[0], c.size, u.size)
             for (a, b), c, u in zip(ab, columns, units, strict=True)]
    k_max = max((b.size for _, b in ab), default=0)
    proj = np.zeros((sum(a.shape[0] for a, _ in ab), k_max), dtype=np.float32)
    row = 0
    for a, _ in ab:
        proj[row : row + a.shape[0], : a.shape[1]] = a
        row += a.shape[0]
    grp = g.create_group("pls")
    grp["names"] = np.array(names, dtype=h5py.string_dtype())
    grp["offsets"] = np.vstack([np.zeros((1, 4), np.int64),
                                np.cumsum(np.array(sizes, np.int64).reshape(-1, 4), axis=0)])
    grp["train"] = np.hstack([np.asarray(pls[n]["train"], np.float64).reshape(-1, b.size)
                              for n, (_, b) in zip(names, ab, strict=True)])
    grp["projection"] = proj
    grp["offset"] = np.concatenate([b for _, b in ab]) if ab else np.zeros(0)
    grp["columns"] = np.concatenate(columns) if columns else np.zeros(0, np.int64)
    grp["units"] = np.concatenate(units) if units else np.zeros(0, np.int64)
    grp["vip"] = np.array([np.mean(pls[n]["score"]) for n in names], dtype=np.float64)


def _write_raw_probes(g: h5py.File, xtr: np.ndarray, raw: dict[str, dict]) -> None:
    """The probes on raw unit values, packed into ``raw/`` (a few datasets, not a group
    each: the validation step opens 50 such files per job): ``units`` the sorted union of
    the units they read, ``train`` the training rows at those units (float64), and per
    probe (``names``) its units ``columns[offsets[i]:offsets[i + 1]]`` and their VIP
    ``scores``."""
    names = list(raw)
    columns = [np.asarray(raw[n]["columns"], dtype=np.int64) for n in names]
    units = np.unique(np.concatenate(columns)) if columns else np.zeros(0, np.int64)
    grp = g.create_group("raw")
    grp["names"] = np.array(names, dtype=h5py.string_dtype())
    grp["units"] = units
    grp["train"] = np.asarray(xtr[:, units], dtype=np.float64)
    grp["offsets"] = np.cumsum([0] + [c.size for c in columns]).astype(np.int64)
    grp["columns"] = np.concatenate(columns) if columns else np.zeros(0, np.int64)
    grp["scores"] = (
        np.concatenate([np.asarray(raw[n]["score"], np.float64) for n in names])
        if names else np.zeros(0)
    )
