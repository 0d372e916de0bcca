"""Unit-level probes of one probe point (docs/protocol.md section 7), on arrays.

Unit selection and feature computation need numpy only (and facecues' numpy
PLS path); the QDA scoring (``facecues.qda``, which imports scikit-learn) is
imported only by the functions that score, so a job that only computes
features stays light.

Conventions: X_train (n, m) and X_eval (n_eval, m) are the flattened maps of
one probe point, unit index = c*H*W + y*W + x for a map of shape (C, H, W)
(PyTorch's NCHW order); a pooled point has shape (C,) (or (C, 1, 1)); a token map
(C, T) (docs/protocol.md section 4) is read as (C, 1, T): a filter is a channel
over all tokens.
Rankings are highest score first, ties broken by the lower index.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from facecues.probes.kinds import CHANNEL, FILTER, FILTERS, LAYER, NEURON, NEURONS, VIP_UNIFORM
from facecues.probes.options import ProbeOptions
from facecues.probes.pls import PLS1, filter_scores, vip

__all__ = [
    "top_neurons",
    "top_filters",
    "vip_uniform_neurons",
    "filter_columns",
    "fit_column_pls",
    "column_pls_scores",
    "unit_features",
    "score_features",
    "layer_unit_probes",
]


def _map_shape(shape) -> tuple[int, int, int]:
    shape = tuple(int(d) for d in shape)
    if len(shape) == 1:
        return (shape[0], 1, 1)
    if len(shape) == 2:  # channels x tokens
        return (shape[0], 1, shape[1])
    if len(shape) != 3:
        raise ValueError(f"map shape must be (C, H, W), (C, T) or (C,), got {shape}")
    return shape


def _top(scores, k: int) -> np.ndarray:
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 1:
        raise ValueError(f"scores must be 1-D, got shape {s.shape}")
    # A stable sort of -s keeps equal scores in index order.
    return np.argsort(-s, kind="stable")[: max(0, int(k))]


def top_neurons(vip_scores, k: int = 8) -> np.ndarray:
    """Indices of the k units with the highest VIP, highest first (ties: lower index)."""
    return _top(vip_scores, k)


def top_filters(filter_scores_, k: int = 8) -> np.ndarray:
    """Indices of the k channels with the highest filter score, highest first."""
    return _top(filter_scores_, k)


def vip_uniform_neurons(vip_scores, n: int = 50, seed=0) -> np.ndarray:
    """Units spread over the VIP range (Fig. 5): n indices, in draw order.

    n target scores are drawn uniformly in [min VIP, max VIP] from
    ``numpy.random.default_rng(seed)`` (an int, a sequence of ints or a
    SeedSequence); for each, the unit whose VIP is
    nearest (ties: lower index).  A unit may be chosen for several targets.
    """
    v = np.asarray(vip_scores, dtype=np.float64)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f"VIP scores must be a non-empty 1-D array, got shape {v.shape}")
    targets = np.random.default_rng(seed).uniform(v.min(), v.max(), size=int(n))
    return np.array([int(np.argmin(np.abs(v - t))) for t in targets], dtype=np.int64)


def filter_columns(c: int, shape) -> np.ndarray:
    """Unit indices of channel c of a map of shape (C, H, W): c*H*W ... (c+1)*H*W - 1."""
    C, H, W = _map_shape(shape)
    if not 0 <= c < C:
        raise ValueError(f"channel {c} out of range for {C} channels")
    return np.arange(c * H * W, (c + 1) * H * W, dtype=np.int64)


def _columns(X, cols: np.ndarray):
    """X[:, cols]; a view when cols is a contiguous run (a channel), else a copy."""
    cols = np.asarray(cols, dtype=np.int64)
    if cols.size and np.array_equal(cols, np.arange(cols[0], cols[0] + cols.size)):
        return X[:, int(cols[0]) : int(cols[0]) + cols.size]
    return X[:, cols]


def fit_column_pls(
    X_train, y_train, column_sets: Sequence, n_components: int = 8, **pls_kwargs
) -> list[PLS1]:
    """One PLS per set of columns of X_train, k = min(n_components, columns, rows).

    Used for "each top filter alone" (one set per channel) and "the top
    filters jointly" (one set, the concatenated channels).  Extra keyword
    arguments go to ``PLS1`` (scale, dtype, device).
    """
    models = []
    for cols in column_sets:
        Xc = _columns(X_train, cols)
        k = min(int(n_components), Xc.shape[1], Xc.shape[0])
        models.append(PLS1(n_components=k, **pls_kwargs).fit(Xc, y_train))
    return models


def column_pls_scores(models: Sequence[PLS1], column_sets: Sequence, X, chunk_rows: int = 4096):
    """The PLS scores of the rows of X under each (model, column set)."""
    return [
        m.transform(_columns(X, cols), chunk_rows=chunk_rows)
        for m, cols in zip(models, column_sets, strict=True)
    ]


def unit_features(
    X_train,
    y_train,
    X_eval,
    shape,
    options: ProbeOptions | None = None,
    *,
    seed=0,
    singles: int | None = None,
    model: PLS1 | None = None,
    dtype=None,
    device=None,
    **changes,
) -> dict[str, dict]:
    """Every probe's features for one probe point (docs/protocol.md sections 5-7).

    ``options`` (``facecues.probes.options.ProbeOptions``; None: the defaults),
    with ``changes`` to its fields (``top_k=3``...), give the probes:
    ``layer`` (the PLS scores of the whole map), ``neurons`` (raw values of
    the top_k VIP neurons jointly), ``neuron_<r>`` (rank r alone),
    ``filters`` (PLS scores of the top_k filters' maps jointly),
    ``filter_<r>`` (rank r alone), ``vip_<j>`` (the j-th of ``vip_neurons``
    VIP-uniform neurons) and, with ``all_filters``, ``channel_<c>`` for every
    channel c (expensive: one PLS per channel); the kinds of
    ``facecues.probes.kinds``. Every PLS has ``n_components`` components and
    ``scale``. At a pooled point (shape (C,)) a "filter" is a single unit, so,
    as in the authors' code, no filter probes are built there unless
    ``pooled_filters``.

    Returns {probe name: {"train", "eval", "units", "score"}}. ``seed`` seeds
    the VIP-uniform draw (anything ``numpy.random.default_rng`` takes).
    ``singles``: build ``neuron_<r>`` / ``filter_<r>`` only for r <= singles
    (None: all top_k). "units" holds unit or channel indices
    and "score" their VIP / filter score; "columns" the units the probe reads
    (None = all) and "model" its fitted PLS1 (None for raw-value probes), so
    the same features can be computed later for other rows.  ``X_eval`` may
    be None (then "eval" is None).  Also returns ``"_vip"`` and
    ``"_filter_scores"`` (the arrays themselves).  ``model``: an already
    fitted whole-map PLS1 to reuse. ``dtype``, ``device``: the PLS1's.
    """
    o = dataclasses.replace(options or ProbeOptions(), **changes)
    n_components, top_k = o.n_components, o.top_k
    pls_kwargs = dict(scale=o.scale, dtype=dtype, device=device)
    C, H, W = _map_shape(shape)
    if X_train.shape[1] != C * H * W:
        raise ValueError(f"X_train has {X_train.shape[1]} units, map {shape} has {C * H * W}")
    out: dict[str, dict] = {}
    if model is None:
        k = min(int(n_components), X_train.shape[1], X_train.shape[0])
        model = PLS1(n_components=k, **pls_kwargs).fit(X_train, y_train)
    v = _np(vip(model)).astype(np.float64)
    fs = np.asarray(filter_scores(v, (C, H, W)), dtype=np.float64)
    out["_vip"], out["_filter_scores"] = {"score": v}, {"score": fs}
    out[LAYER.probe()] = _entry(
        model.x_scores_, _transform(model, X_eval), [], [v.mean()], None, model
    )

    neurons = top_neurons(v, top_k)
    out[NEURONS.probe()] = _raw_entry(X_train, X_eval, neurons, v)
    singles = top_k if singles is None else min(int(singles), top_k)
    for r, u in enumerate(neurons[:singles], start=1):
        out[NEURON.probe(r)] = _raw_entry(X_train, X_eval, np.array([u]), v)

    pooled = len(tuple(shape)) == 1 or (H, W) == (1, 1)
    filters = top_filters(fs, top_k) if o.pooled_filters or not pooled else np.array([], int)
    sets = [filter_columns(int(c), (C, H, W)) for c in filters]
    joint = [np.concatenate(sets)] if len(sets) else []
    alone = sets[:singles]
    models = fit_column_pls(X_train, y_train, alone + joint, n_components, **pls_kwargs)
    evals = column_pls_scores(models, alone + joint, X_eval) if X_eval is not None else None
    for r, c in enumerate(filters[:singles], start=1):
        m, e = models[r - 1], evals[r - 1] if evals else None
        out[FILTER.probe(r)] = _entry(m.x_scores_, e, [c], fs[[c]], sets[r - 1], m)
    if joint:
        e = evals[-1] if evals else None
        out[FILTERS.probe()] = _entry(
            models[-1].x_scores_, e, filters, fs[filters], joint[0], models[-1]
        )

    for j, u in enumerate(vip_uniform_neurons(v, o.vip_neurons, seed=seed), start=1):
        out[VIP_UNIFORM.probe(j)] = _raw_entry(X_train, X_eval, np.array([u]), v)

    if o.all_filters:
        for c in range(C):
            cols = [filter_columns(c, (C, H, W))]
            (m,) = fit_column_pls(X_train, y_train, cols, n_components, **pls_kwargs)
            e = column_pls_scores([m], cols, X_eval)[0] if X_eval is not None else None
            out[CHANNEL.probe(c)] = _entry(m.x_scores_, e, [c], fs[[c]], cols[0], m)
    return out


def _np(a) -> np.ndarray:
    if hasattr(a, "detach"):  # a torch tensor, possibly on a GPU
        a = a.detach().cpu().numpy()
    return np.asarray(a)


def _entry(train, eval_, units, score, columns=None, model=None) -> dict:
    return {
        "train": _np(train),
        "eval": None if eval_ is None else _np(eval_),
        "units": np.asarray(units, dtype=np.int64),
        "score": np.asarray(score, dtype=np.float64),
        "columns": None if columns is None else np.asarray(columns, dtype=np.int64),
        "model": model,
    }


def _raw_entry(X_train, X_eval, units: np.ndarray, v) -> dict:
    """A probe on raw unit values (no PLS): its features are the columns ``units``."""
    e = None if X_eval is None else X_eval[:, units]
    return _entry(X_train[:, units], e, units, v[units], units, None)


def _transform(model: PLS1, X):
    return None if X is None else model.transform(X)


def score_features(features: dict[str, dict], y_train, y_eval, **qda_kwargs) -> dict[str, float]:
    """QDA accuracy on the eval rows of every probe in ``unit_features``' output."""
    from facecues.probes.qda import qda_accuracy_many  # scikit-learn: only where QDA is scored

    names = [name for name in features if not name.startswith("_")]
    acc, _ = qda_accuracy_many(
        [features[n]["train"] for n in names],
        y_train,
        [features[n]["eval"] for n in names],
        y_eval,
        **qda_kwargs,
    )
    return dict(zip(names, (float(a) for a in acc), strict=True))


def layer_unit_probes(
    X_train, y_train, X_eval, y_eval, shape, options: ProbeOptions | None = None, **kwargs
) -> dict[str, float]:
    """``unit_features`` then ``score_features``: every probe's eval accuracy.

    ``options`` and the keyword arguments go to ``unit_features`` (changes to the
    options' fields, seed, singles, model, dtype, device).
    """
    features = unit_features(X_train, y_train, X_eval, shape, options, **kwargs)
    return score_features(features, y_train, y_eval)
