"""The projection format: how a saved probe computes its features from activations.

The pls_vip step saves, per probe, the unit columns it reads (None: every
unit of the map) and, for a PLS probe, a projection ``A`` (columns, k) and an
offset ``b`` (k,) with::

    features = X[:, columns] @ A - b,   A = W* / s,   b = (mu / s) @ W*

(W* the PLS's x rotations, mu and s its units' means and scales: the PLS's
``transform`` without a centred copy of X); a raw-value probe has no
projection (its features are X[:, columns] as float64). The probe file
(``probe_file`` in facecues' probes part) stores ``A`` as ``PROJECTION_DTYPE``;
the streaming step (``facecues.activations.streaming``) applies it to every
batch of new images. Both use this module; it imports numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PROJECTION_DTYPE", "Projector", "projection"]

#: The dtype a probe file stores projections in (features are computed in float64).
PROJECTION_DTYPE = np.float32


def projection(model) -> tuple[np.ndarray, np.ndarray]:
    """(A, b) with model.transform(X) == X @ A - b: A = W* / s, b = (mu / s) W*, for a
    fitted PLS (``x_rotations_``, ``x_std_``, ``x_mean_``), in float64."""
    rot = np.asarray(model.x_rotations_, dtype=np.float64)
    std = np.asarray(model.x_std_, dtype=np.float64)
    mean = np.asarray(model.x_mean_, dtype=np.float64)
    return rot / std[:, None], (mean / std) @ rot


@dataclass(frozen=True)
class Projector:
    """Features of one probe from a probe point's flattened activations (rows, units)."""

    columns: np.ndarray | None  # unit indices read; None = every unit
    projection: np.ndarray | None  # (len(columns), k) for PLS probes; None = raw values
    offset: np.ndarray | None  # (k,)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.columns is not None:
            x = x[:, self.columns]
        if self.projection is None:
            return x.astype(np.float64)
        return (x @ self.projection).astype(np.float64) - self.offset
