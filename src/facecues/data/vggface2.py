"""VGGFace2 identity set: ``bb_landmark/loose_bb_{split}.csv`` and ``{split}/<id>/<img>.jpg``."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facecues.data._text import check_missing, read_lines
from facecues.errors import DataFormatError

BOX_COLUMNS = ("NAME_ID", "X", "Y", "W", "H")


@dataclass(eq=False)
class VGGFace2:
    """A loaded VGGFace2 split: image names, class labels and loose face boxes (X, Y, W, H)."""

    root: Path
    split: str
    names: list[str]  # NAME_ID, e.g. "n000002/0001_01"
    identities: list[str]  # sorted class ids, e.g. "n000002"
    labels: np.ndarray  # int64 (N,), index into ``identities``
    boxes: np.ndarray  # int64 (N, 4): X, Y, W, H

    def __len__(self) -> int:
        return len(self.names)

    def image_path(self, i: int) -> Path:
        """Path of image ``i``: ``root/split/NAME_ID.jpg``."""
        return self.root / self.split / f"{self.names[i]}.jpg"


def box_csv_path(root: str | Path, split: str = "train") -> Path:
    """Where the loose bounding boxes of ``split`` live."""
    return Path(root) / "bb_landmark" / f"loose_bb_{split}.csv"


def _to_int(token: str) -> int | None:
    token = token.strip()
    try:
        return int(token)
    except ValueError:
        pass
    try:
        value = float(token)
    except ValueError:
        return None
    if not np.isfinite(value):
        return None
    return int(round(value))


def load_vggface2(
    root: str | Path,
    split: str = "train",
    exclude_identities: Iterable[str] = (),
    check_images: bool = True,
) -> VGGFace2:
    """Load a VGGFace2 split from ``root`` using ``bb_landmark/loose_bb_{split}.csv``.

    Identities in ``exclude_identities`` are dropped (e.g. those overlapping a test set).
    Labels index the sorted list of remaining identities. With ``check_images`` every
    listed image ``root/split/NAME_ID.jpg`` must exist. Raises DataFormatError naming the
    file, line and what was expected.
    """
    root = Path(root)
    path = box_csv_path(root, split)
    if not path.is_file():
        raise DataFormatError(
            f"{path}: VGGFace2 box file not found (expected root/bb_landmark/loose_bb_{split}.csv "
            f"under root {root})"
        )
    lines = read_lines(path)
    rows = csv.reader(io.StringIO("\n".join(lines)), skipinitialspace=True)
    excluded = set(exclude_identities)

    names: list[str] = []
    classes: list[str] = []
    boxes: list[tuple[int, int, int, int]] = []
    header_seen = False
    seen: set[str] = set()
    for lineno, row in enumerate(rows, start=1):
        if not row or all(not c.strip() for c in row):
            continue
        row = [c.strip() for c in row]
        if not header_seen:
            if tuple(c.upper() for c in row) != BOX_COLUMNS:
                raise DataFormatError(
                    f"{path}, line {lineno}: expected the header {','.join(BOX_COLUMNS)}, "
                    f"got {','.join(row)!r}"
                )
            header_seen = True
            continue
        if len(row) != 5:
            raise DataFormatError(
                f"{path}, line {lineno}: expected 5 fields NAME_ID,X,Y,W,H, got {len(row)}: "
                f"{','.join(row)[:80]!r}"
            )
        name = row[0].strip("/")
        if name.endswith(".jpg"):
            name = name[:-4]
        ident, sep, img = name.partition("/")
        if not sep or not ident or not img or "/" in img:
            raise DataFormatError(
                f"{path}, line {lineno}: NAME_ID {row[0]!r} is not of the form "
                f"<identity>/<image>, e.g. n000002/0001_01"
            )
        vals = [_to_int(c) for c in row[1:]]
        if any(v is None for v in vals):
            raise DataFormatError(
                f"{path}, line {lineno}: X,Y,W,H must be numbers, got {','.join(row[1:])!r}"
            )
        x, y, w, h = vals
        if w <= 0 or h <= 0:
            raise DataFormatError(
                f"{path}, line {lineno}: box width and height must be positive, got W={w} H={h}"
            )
        if name in seen:
            raise DataFormatError(f"{path}, line {lineno}: NAME_ID {name!r} listed twice")
        seen.add(name)
        if ident in excluded:
            continue
        names.append(name)
        classes.append(ident)
        boxes.append((x, y, w, h))
    if not header_seen:
        raise DataFormatError(f"{path}: empty file, expected the header {','.join(BOX_COLUMNS)}")

    identities = sorted(set(classes))
    index = {c: i for i, c in enumerate(identities)}
    data = VGGFace2(
        root=root,
        split=split,
        names=names,
        identities=identities,
        labels=np.asarray([index[c] for c in classes], dtype=np.int64),
        boxes=np.asarray(boxes, dtype=np.int64).reshape(-1, 4),
    )
    if check_images:
        if not (root / split).is_dir():
            raise DataFormatError(
                f"image folder {root / split} not found (images are listed in {path})"
            )
        check_missing([data.image_path(i) for i in range(len(data))], "images", path)
    return data
