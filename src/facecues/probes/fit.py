"""The pls_vip step: PLS + VIP on one shard's training activations, then every
probe of docs/protocol.md sections 5-7, written to a probe file
(``facecues.probes.probe_file``: its layout).

Probes (names as in the probe file and the accuracy table): ``layer`` (the
PLS scores of the whole map), ``neurons`` (the top-k neurons' raw values,
jointly), ``filters`` (PLS scores of the top-k filters' maps together),
``neuron_<r>`` / ``filter_<r>`` (rank r alone), ``vip_<j>`` (the j-th
VIP-uniform single neuron; its draw seeded per network, point and
attribute), and ``identity_<name>`` for the probes of ``CONTROL_PROBES``
fitted on the identity control task's labels (a random label per person:
what a probe scores there it gets from telling people apart; docs/protocol.md
section 11).
No ``filter*`` probes at a pooled point unless asked (a "filter" there is one
unit; the authors build none).

Only numpy, h5py and facecues' numpy path are imported, so the thousands of
such jobs start fast.
"""

from __future__ import annotations

import dataclasses
import logging
import zlib
from pathlib import Path

import numpy as np

from facecues.activations.shards import read_identity_labels, read_shard
from facecues.io import atomic_h5
from facecues.probes.kinds import CONTROL, FILTER, FILTERS, LAYER, NEURON, NEURONS
from facecues.probes.options import ProbeOptions
from facecues.probes.probe_file import write_probe_file
from facecues.probes.units import unit_features

log = logging.getLogger(__name__)

# The probes fitted again on the identity control task (``identity_<name>``): the curves
# and the best single units.
CONTROL_PROBES = (LAYER.probe(), FILTERS.probe(), NEURONS.probe(), FILTER.probe(1), NEURON.probe(1))


def probe_stream(seed: int, network: str, attribute: str, *more: int) -> np.random.SeedSequence:
    """A random stream for one (network, attribute[, point]) from the config's ``seed``.

    Strings enter through CRC-32, so the stream is the same on every machine
    and Python version (unlike ``hash``).
    """
    words = [int(seed), zlib.crc32(str(network).encode()), zlib.crc32(str(attribute).encode())]
    return np.random.SeedSequence(words + [int(m) for m in more])


def _fits_qda(y: np.ndarray, features: int) -> bool:
    """Whether both classes of ``y`` have more rows than ``features`` (a QDA's class
    covariance of that many features is singular otherwise)."""
    _, counts = np.unique(y, return_counts=True)
    return len(counts) == 2 and counts.min() > features


def fit_layer_probes(
    shard: str | Path,
    out: str | Path,
    options: ProbeOptions | None = None,
    *,
    network: str = "",
    attribute: str = "",
    **changes,
) -> None:
    """Fit the probes of one shard (written by the extract step) and write ``out``.

    ``options`` (``facecues.probes.options.ProbeOptions``; None: the defaults),
    with ``changes`` to its fields (``top_k=3``...), are the probes' options.
    ``network`` and ``attribute`` name the shard's (wildcard) network and
    attribute (the shard must say the same; not given: the shard's own): they
    are written into ``out`` and seed the VIP-uniform draw
    (``vip_seed``, per network, point and attribute). ``identity_task``: fit the
    control probes too, where the shard holds the task's labels.
    """
    o = dataclasses.replace(options or ProbeOptions(), **changes)
    # checked on open: its attributes name this network, attribute and point; finite values
    meta, xtr, ytr = read_shard(shard, network=network or None, attribute=attribute or None)
    # not given: the shard's own (extract records them), which seed the draws below
    network = str(network or meta.get("network", ""))
    attribute = str(attribute or meta.get("attribute", ""))
    index = int(meta["index"])
    shape = tuple(int(s) for s in meta["shape"])
    seed = probe_stream(o.vip_seed, network, attribute, index)
    features = unit_features(xtr, ytr, None, shape, o, seed=seed)
    controls, y_identity = {}, read_identity_labels(shard) if o.identity_task else None
    if y_identity is not None and _fits_qda(y_identity, max(o.n_components, o.top_k)):
        # The identity control task: the same probes, fitted on a random label per person.
        twin = dataclasses.replace(o, vip_neurons=0, all_filters=False)
        task = unit_features(xtr, y_identity, None, shape, twin, singles=1)
        controls = {CONTROL + n: task[n] for n in CONTROL_PROBES if n in task}
    else:
        if y_identity is not None:
            log.warning(
                "%s: the identity task's labels leave a class too small for a QDA on %d "
                "features (%s); its probes are not fitted",
                shard,
                max(o.n_components, o.top_k),
                {
                    int(k): int(c)
                    for k, c in zip(*np.unique(y_identity, return_counts=True), strict=True)
                },
            )
        y_identity = None
    meta.update(network=network, attribute=attribute)
    vip = features.pop("_vip")["score"]
    filter_score = features.pop("_filter_scores")["score"]
    with atomic_h5(out) as g:
        write_probe_file(g, meta, vip, filter_score, ytr, y_identity, xtr, {**features, **controls})
