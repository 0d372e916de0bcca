"""Balanced probe samples per attribute (PROTOCOL.md section 3).

From the pool of CelebA train + val images, the validation sample is drawn
first (``val_per_class`` positives and negatives, without replacement), then
the training sample from the rest (``train_per_class`` of each). The random
generator is reset to the same seed before each attribute, so the splits are
the same for every network and every rerun. The authors derived that seed
from a string; ``split_seed`` may be that string or an integer.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np

from .errors import FacecuesError

log = logging.getLogger(__name__)

POOL_PARTITIONS = (0, 1)  # CelebA train and val
TEST_PARTITION = 2


def seed_from(value: str | int) -> int:
    """An integer seed; strings map as the authors' code did: sha1(s) mod (2^32 - 1)."""
    if isinstance(value, int):
        return value
    return int(hashlib.sha1(value.encode()).hexdigest(), 16) % (2**32 - 1)


@dataclass(frozen=True)
class Split:
    """Row indices into the CelebA listing, and labels in {-1, +1}, of one attribute's samples."""

    attribute: str
    train: np.ndarray
    train_y: np.ndarray
    val: np.ndarray
    val_y: np.ndarray


def balanced_split(
    labels: np.ndarray,
    partition: np.ndarray,
    attribute: str,
    *,
    train_per_class: int,
    val_per_class: int,
    seed: str | int,
    allow_reduction: bool = False,
) -> Split:
    """Draw the validation sample, then the training sample, balanced by class.

    ``labels`` holds the attribute for every CelebA image (+1/-1), ``partition``
    the official partition. If a class has fewer than ``train_per_class +
    val_per_class`` images in the pool this raises FacecuesError with the
    counts, unless ``allow_reduction`` is set: then both sizes shrink by the
    same factor, and a warning says so.
    """
    rng = np.random.RandomState(seed_from(seed))
    pool = np.isin(partition, POOL_PARTITIONS)
    pos = np.flatnonzero(pool & (labels == 1))
    neg = np.flatnonzero(pool & (labels == -1))
    need = train_per_class + val_per_class
    have = min(len(pos), len(neg))
    if have < need:
        msg = (
            f"attribute {attribute}: the balanced sample needs {need} positives and {need} "
            f"negatives in CelebA train+val ({val_per_class} val + {train_per_class} train per "
            f"class), found {len(pos)} positives and {len(neg)} negatives"
        )
        if not allow_reduction:
            raise FacecuesError(msg + " (set probe.allow_reduction: true to shrink the sample)")
        factor = have / need
        train_per_class = int(train_per_class * factor)
        val_per_class = have - train_per_class
        log.warning(
            "%s; reduced to %d val + %d train per class", msg, val_per_class, train_per_class
        )
    val_pos = rng.choice(pos, val_per_class, replace=False)
    val_neg = rng.choice(neg, val_per_class, replace=False)
    train_pos = rng.choice(np.setdiff1d(pos, val_pos), train_per_class, replace=False)
    train_neg = rng.choice(np.setdiff1d(neg, val_neg), train_per_class, replace=False)
    train = np.concatenate([train_pos, train_neg])
    val = np.concatenate([val_pos, val_neg])
    return Split(attribute, train, labels[train].astype(np.int8), val, labels[val].astype(np.int8))


def write_split(split: Split, filenames: list[str], path) -> None:
    """Write a split as TSV: index, filename, label, sample (train or val)."""
    rows = ["index\tfilename\tlabel\tsample"]
    for sample, idx, y in (("train", split.train, split.train_y), ("val", split.val, split.val_y)):
        rows += [f"{i}\t{filenames[i]}\t{int(v)}\t{sample}" for i, v in zip(idx, y, strict=True)]
    with open(path, "w") as f:
        f.write("\n".join(rows) + "\n")


def read_split(path, attribute: str) -> Split:
    """Read a split written by ``write_split``."""
    data = np.genfromtxt(path, delimiter="\t", names=True, dtype=None, encoding="utf-8")
    is_train = data["sample"] == "train"
    idx = data["index"].astype(np.int64)
    y = data["label"].astype(np.int8)
    return Split(attribute, idx[is_train], y[is_train], idx[~is_train], y[~is_train])
