"""LFW-style face verification: cosine similarity of embeddings, 10-fold protocol."""

from __future__ import annotations

import numpy as np


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two (n, d) arrays."""
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return np.sum(a * b, axis=1)


def best_threshold(sim: np.ndarray, same: np.ndarray) -> float:
    """The threshold on ``sim`` (predict "same" when sim >= t) with the highest accuracy.

    Candidates are the midpoints between consecutive sorted similarities (and
    both ends); ties go to the smallest threshold.
    """
    s = np.sort(sim)
    candidates = np.concatenate([[s[0] - 1e-6], (s[1:] + s[:-1]) / 2, [s[-1] + 1e-6]])
    acc = [np.mean((sim >= t) == same) for t in candidates]
    return float(candidates[int(np.argmax(acc))])


def verification_accuracy(
    sim: np.ndarray, same: np.ndarray, fold: np.ndarray
) -> tuple[float, float]:
    """Mean and std of the 10-fold (or n-fold) verification accuracy.

    For each fold, the threshold is chosen on the other folds and the accuracy
    measured on the held-out fold, as in the LFW protocol.
    """
    same = np.asarray(same, dtype=bool)
    accs = []
    for k in np.unique(fold):
        test = fold == k
        t = best_threshold(sim[~test], same[~test])
        accs.append(np.mean((sim[test] >= t) == same[test]))
    return float(np.mean(accs)), float(np.std(accs))
