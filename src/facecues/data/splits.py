"""Balanced probe samples per attribute (docs/protocol.md section 3).

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
from pathlib import Path

import numpy as np

from facecues.data.celeba import PARTITIONS
from facecues.errors import FacecuesError
from facecues.io import write_text

log = logging.getLogger(__name__)

POOL_PARTITIONS = (PARTITIONS["train"], PARTITIONS["val"])
TEST_PARTITION = PARTITIONS["test"]


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


def identity_task_labels(identity: np.ndarray, seed: int) -> np.ndarray:
    """The identity control task's label of every image (docs/protocol.md section 11): a
    random +1 / -1 per person, the same for all of that person's images, balanced over
    people (half of them, rounded down, are +1), drawn from ``seed``.

    ``identity``: the person of every image of the listing (CelebA's
    ``identity_CelebA.txt``). The labels of a sample are ``labels[split.train]``
    and ``labels[split.val]``.
    """
    people, person = np.unique(np.asarray(identity), return_inverse=True)
    order = np.random.RandomState(seed_from(seed)).permutation(len(people))
    positive = np.zeros(len(people), dtype=bool)
    positive[order[: len(people) // 2]] = True
    return np.where(positive[person], 1, -1).astype(np.int8)


def identity_task_of(celeba, rows, task: dict) -> np.ndarray | None:
    """The identity-task labels of the images ``rows`` of ``celeba`` (``task``: config
    keys ``identity_task`` and ``identity_seed``); None, logged, when the task is off or
    the dataset lists no identities (no identity_CelebA.txt)."""
    if not task["identity_task"]:
        return None
    if celeba.identity is None:
        log.warning("%s: no identity_CelebA.txt: the identity control task is skipped", celeba.root)
        return None
    return identity_task_labels(celeba.identity, task["identity_seed"])[np.asarray(rows)]


def check_components(split: Split, n_components: int) -> None:
    """FacecuesError if a PLS with ``n_components`` cannot be fitted on the split's
    training rows (at most rows - 1 components after centring)."""
    rows = len(split.train)
    if n_components > rows - 1:
        raise FacecuesError(
            f"probe.n_components = {n_components} is larger than a PLS fit on the {rows} "
            f"training rows of attribute {split.attribute} can have; expected at most {rows - 1} "
            "(lower probe.n_components or raise probe.train_per_class)"
        )


def write_split(split: Split, filenames: list[str], path) -> None:
    """Write a split as TSV: index, filename, label, sample (train or val), atomically."""
    rows = [SPLIT_HEADER]
    for sample, idx, y in (("train", split.train, split.train_y), ("val", split.val, split.val_y)):
        rows += [f"{i}\t{filenames[i]}\t{int(v)}\t{sample}" for i, v in zip(idx, y, strict=True)]
    write_text(path, "\n".join(rows) + "\n")


SPLIT_HEADER = "index\tfilename\tlabel\tsample"


def read_split(path, attribute: str, celeba=None) -> Split:
    """Read a split written by ``write_split``.

    With ``celeba`` (the loaded attribute set) every row is checked against it:
    the image at that index must have that file name and label. A split drawn
    from another listing (the dataset root changed since it was cached) raises
    FacecuesError naming the split file, the attribute file and the first
    disagreeing row.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise FacecuesError(f"{path}: cannot read the split ({e})") from None
    if not lines or lines[0] != SPLIT_HEADER:
        raise FacecuesError(
            f"{path}: line 1 is {lines[0][:80] if lines else ''!r}, expected the header "
            f"{SPLIT_HEADER!r} of a split written by facecues' splits step"
        )
    idx, names, y, train = [], [], [], []
    for n, line in enumerate(lines[1:], start=2):
        parts = line.split("\t")
        if (
            len(parts) != 4
            or not parts[0].isdigit()
            or parts[2] not in ("-1", "1")
            or (parts[3] not in ("train", "val"))
        ):
            raise FacecuesError(
                f"{path}, line {n}: expected '<index> <filename> <-1 or 1> <train or val>' "
                f"separated by tabs, got {line[:80]!r}"
            )
        idx.append(int(parts[0]))
        names.append(parts[1])
        y.append(int(parts[2]))
        train.append(parts[3] == "train")
    idx_a, y_a, is_train = np.asarray(idx, np.int64), np.asarray(y, np.int8), np.asarray(train)
    if celeba is not None:
        _check_split_against(path, attribute, celeba, idx_a, names, y_a)
    return Split(attribute, idx_a[is_train], y_a[is_train], idx_a[~is_train], y_a[~is_train])


def _check_split_against(path, attribute, celeba, idx, names, y) -> None:
    where = getattr(celeba, "attr_file", None) or celeba.root
    labels = celeba.attribute(attribute)
    n = len(celeba.filenames)
    for row, (i, name, label) in enumerate(zip(idx.tolist(), names, y.tolist(), strict=True)):
        have = (celeba.filenames[i], int(labels[i])) if i < n else None
        if have != (name, label):
            found = f"image {have[0]!r} with label {have[1]}" if have else f"only {n} images"
            raise FacecuesError(
                f"{path}, line {row + 2}: the cached {attribute} split names image {name!r} "
                f"(index {i}, label {label}) but {where} now has {found} there: the dataset "
                "changed since this split was drawn (another data root or an edited attribute "
                f"file); expected the listing it was drawn from. Delete {path} (or run with "
                "--forcerun splits) to draw the samples again, and rerun what depends on them"
            )
