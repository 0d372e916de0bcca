"""LFW verification pairs: ``pairs.txt`` and images ``lfw/<name>/<name>_<iiii>.jpg``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facecues.data._text import check_missing, content_lines, read_lines
from facecues.errors import DataFormatError


@dataclass(eq=False)
class LFWPairs:
    """LFW pairs: two image paths per pair, whether they show the same person, and the fold."""

    root: Path
    path1: list[Path]
    path2: list[Path]
    same: np.ndarray  # bool (P,)
    fold: np.ndarray  # int64 (P,), 0 .. n_folds - 1

    def __len__(self) -> int:
        return len(self.path1)

    @property
    def n_folds(self) -> int:
        """Number of folds (10 in the standard protocol)."""
        return int(self.fold.max()) + 1 if len(self.fold) else 0


def lfw_image_path(root: str | Path, name: str, index: int, image_dir: str = "lfw") -> Path:
    """``root/image_dir/<name>/<name>_<iiii>.jpg`` (index 1-based)."""
    return Path(root) / image_dir / name / f"{name}_{index:04d}.jpg"


def _positive_int(token: str) -> int | None:
    return int(token) if token.isdigit() and int(token) > 0 else None


def load_lfw_pairs(
    root: str | Path,
    pairs_file: str = "pairs.txt",
    image_dir: str = "lfw",
    check_images: bool = True,
) -> LFWPairs:
    """Load LFW verification pairs from ``root/pairs.txt``.

    The first line is ``n_folds n_per_fold`` (tab or spaces; ``10 300`` for real LFW; a
    single number means one fold, as in ``pairsDevTrain.txt``); each fold then holds
    ``n_per_fold`` matched lines ``name i j`` followed by ``n_per_fold`` mismatched lines
    ``name1 i name2 j``. Images are ``root/lfw/<name>/<name>_<iiii>.jpg``. Raises
    DataFormatError naming the file, line and what was expected.
    """
    root = Path(root)
    path = root / pairs_file
    if not path.is_file():
        raise DataFormatError(f"{path}: LFW pairs file not found")
    lines = read_lines(path)
    body = list(content_lines(lines))
    if not body:
        raise DataFormatError(f"{path}: empty file, expected a first line 'n_folds n_per_fold'")
    head_no, head = body[0]
    head_vals = [_positive_int(t) for t in head.split()]
    if not 1 <= len(head_vals) <= 2 or any(v is None for v in head_vals):
        raise DataFormatError(
            f"{path}, line {head_no}: expected 'n_folds n_per_fold' (e.g. '10 300'), got {head!r}"
        )
    n_folds, n_per_fold = (1, head_vals[0]) if len(head_vals) == 1 else head_vals
    expected = 2 * n_folds * n_per_fold
    rows = body[1:]
    if len(rows) != expected:
        raise DataFormatError(
            f"{path}, line {head_no}: header says {n_folds} fold(s) x {n_per_fold} matched + "
            f"{n_per_fold} mismatched pairs = {expected} lines, but the file has {len(rows)}"
        )

    path1: list[Path] = []
    path2: list[Path] = []
    same = np.zeros(expected, dtype=bool)
    fold = np.zeros(expected, dtype=np.int64)
    for k, (lineno, line) in enumerate(rows):
        f, r = divmod(k, 2 * n_per_fold)
        matched = r < n_per_fold
        parts = line.split()
        if matched:
            ok = len(parts) == 3
            if ok:
                name1, name2 = parts[0], parts[0]
                i, j = _positive_int(parts[1]), _positive_int(parts[2])
        else:
            ok = len(parts) == 4
            if ok:
                name1, name2 = parts[0], parts[2]
                i, j = _positive_int(parts[1]), _positive_int(parts[3])
        if not ok or i is None or j is None:
            kind = "matched pair 'name i j'" if matched else "mismatched pair 'name1 i name2 j'"
            raise DataFormatError(
                f"{path}, line {lineno}: expected a {kind} (fold {f + 1}, entry {r + 1}; "
                f"i, j positive integers), got {line[:80]!r}"
            )
        path1.append(lfw_image_path(root, name1, i, image_dir))
        path2.append(lfw_image_path(root, name2, j, image_dir))
        same[k] = matched
        fold[k] = f

    if check_images:
        unique = sorted(set(path1) | set(path2))
        check_missing(unique, "images", path)
    return LFWPairs(root=root, path1=path1, path2=path2, same=same, fold=fold)
