"""LFW-style face verification: embeddings, cosine similarity, the 10-fold protocol.

Each epoch of training logs its network's verification accuracy on the LFW
pairs (docs/protocol.md section 1): per fold, the threshold on the cosine
similarity is chosen on the other folds and the accuracy measured on it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_curve
from torch import nn
from torch.utils.data import DataLoader

from facecues.data.images import ImageFiles
from facecues.nets.architectures import embed


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two (n, d) arrays."""
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return np.sum(a * b, axis=1)


def best_threshold(sim: np.ndarray, same: np.ndarray) -> float:
    """The threshold on ``sim`` (predict "same" when sim >= t) with the highest accuracy.

    Every way to split the sorted similarities is tried through
    ``sklearn.metrics.roc_curve`` (one threshold per distinct value, and one
    above all), each scored as (true "same" + true "different") / pairs; ties
    go to the lowest threshold. The threshold returned lies midway between
    the chosen value and the next lower one (1e-6 beyond either end), so that
    held-out pairs with a similarity between two training values are split
    halfway.
    """
    sim, same = np.asarray(sim, dtype=np.float64), np.asarray(same, dtype=bool)
    positives = int(same.sum())
    if positives in (0, len(same)):  # one class only: call everybody what they all are
        return float(sim.min() - 1e-6 if positives else sim.max() + 1e-6)
    fpr, tpr, thresholds = roc_curve(same, sim, drop_intermediate=False)
    negatives = len(same) - positives
    correct = np.rint(tpr * positives) + negatives - np.rint(fpr * negatives)
    k = len(correct) - 1 - int(np.argmax(correct[::-1]))  # the lowest of the best thresholds
    if k == 0:  # above every similarity: nobody is "same"
        return float(sim.max() + 1e-6)
    if k == len(thresholds) - 1:  # the lowest value: everybody is "same"
        return float(thresholds[k] - 1e-6)
    return float((thresholds[k + 1] + thresholds[k]) / 2)


def fold_accuracy(sim: np.ndarray, same: np.ndarray, fold: np.ndarray, k: int) -> float:
    """Verification accuracy on fold ``k``, its threshold chosen on the other folds."""
    same = np.asarray(same, dtype=bool)
    test = fold == k
    t = best_threshold(sim[~test], same[~test])
    return float(np.mean((sim[test] >= t) == same[test]))


def verification_accuracy(
    sim: np.ndarray, same: np.ndarray, fold: np.ndarray
) -> tuple[float, float]:
    """Mean and std of the 10-fold (or n-fold) verification accuracy.

    For each fold, the threshold is chosen on the other folds and the accuracy
    measured on the held-out fold, as in the LFW protocol.
    """
    accs = [fold_accuracy(sim, same, fold, k) for k in np.unique(fold)]
    return float(np.mean(accs)), float(np.std(accs))


@torch.no_grad()
def embed_images(
    model: nn.Module, paths: list[Path], size: int, device, crop: float = 1.0, batch_size=256
):
    """Pooled embeddings (n, d) of the images at ``paths``, in eval mode."""
    was_training = model.training
    model.eval()
    out = []
    for x in DataLoader(ImageFiles(paths, size, crop), batch_size=batch_size):
        out.append(embed(model, x.to(device)).float().cpu().numpy())
    model.train(was_training)
    return np.concatenate(out)


def pair_images(pairs) -> list[Path]:
    """The distinct images of ``pairs``, in the order ``pair_similarity`` reads them."""
    return sorted(set(pairs.path1) | set(pairs.path2))


def pair_similarity(emb: np.ndarray, pairs) -> np.ndarray:
    """Cosine similarity of each pair, from the embeddings ``emb`` of ``pair_images``."""
    index = {p: i for i, p in enumerate(pair_images(pairs))}
    return cosine_similarity(
        emb[[index[p] for p in pairs.path1]], emb[[index[p] for p in pairs.path2]]
    )


def lfw_accuracy(model: nn.Module, pairs, size: int, device, crop: float = 1.0) -> float:
    """Mean 10-fold LFW verification accuracy of ``model`` on ``pairs``."""
    emb = embed_images(model, pair_images(pairs), size, device, crop)
    return verification_accuracy(pair_similarity(emb, pairs), pairs.same, pairs.fold)[0]
