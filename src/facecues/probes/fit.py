"""The pls_vip step: PLS + VIP on one shard's training activations, then every
probe of docs/protocol.md sections 5-7, written to a probe file
(``facecues.probes.probe_file``: its layout).

Probes (names as in the probe file and the accuracy table): ``layer`` (the
PLS scores of the whole map), ``neurons`` (the top-k neurons' raw values,
jointly), ``filters`` (PLS scores of the top-k filters' maps together),
``neuron_<r>`` / ``filter_<r>`` (rank r alone), ``vip_<j>`` (the j-th
VIP-uniform single neuron; its draw seeded per network, point and
attribute), and ``shuffled_<name>`` for the probes of ``SHUFFLED_PROBES``
fitted on permuted labels (their accuracy is the chance level as measured).
No ``filter*`` probes at a pooled point unless asked (a "filter" there is one
unit; the authors build none).

Only numpy, h5py and facecues' numpy path are imported, so the thousands of
such jobs start fast.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from facecues.activations.shards import read_shard
from facecues.io import atomic_h5
from facecues.probes.probe_file import write_probe_file
from facecues.probes.units import unit_features

# The probes refitted on shuffled labels (``shuffled_<name>``): the curves and the best
# single units, the chance level each is compared with.
SHUFFLED_PROBES = ("layer", "filters", "neurons", "filter_1", "neuron_1")


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
    """Fit the probes of one shard (written by the extract step) and write ``out``.

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
    options = dict(
        n_components=n_components, top_k=top_k, pooled_filters=pooled_filters, scale=scale
    )
    features = unit_features(
        xtr,
        ytr,
        None,
        shape,
        vip_neurons=vip_neurons,
        all_filters=all_filters,
        seed=probe_stream(vip_seed, network, attribute, index),
        **options,
    )
    shuffled, y_shuffled = {}, None
    if shuffle_seed is not None:
        # The shuffled-label control: the same probes, fitted on permuted labels.
        y_shuffled = shuffled_labels(ytr, shuffle_seed, network, attribute)
        control = unit_features(xtr, y_shuffled, None, shape, vip_neurons=0, singles=1, **options)
        shuffled = {f"shuffled_{n}": control[n] for n in SHUFFLED_PROBES if n in control}
    meta.update(network=network, attribute=attribute)
    vip = features.pop("_vip")["score"]
    filter_score = features.pop("_filter_scores")["score"]
    with atomic_h5(out) as g:
        write_probe_file(g, meta, vip, filter_score, ytr, y_shuffled, xtr, {**features, **shuffled})
