"""CelebA attribute set: ``list_attr_celeba.txt``, ``list_eval_partition.txt``, identities, images.

Two directory layouts are recognised:

- original: ``root/Anno/list_attr_celeba.txt``, ``root/Eval/list_eval_partition.txt``,
  ``root/Anno/identity_CelebA.txt``, ``root/Img/img_align_celeba/``;
- torchvision's: the same four names flat in ``root/celeba/`` (or in ``root`` itself
  when it points at that ``celeba`` folder).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facecues.data._text import check_missing, content_lines, preview, read_lines
from facecues.errors import DataFormatError, FacecuesError

#: The 40 CelebA attributes, in the order of ``list_attr_celeba.txt``.
CELEBA_ATTRIBUTES: tuple[str, ...] = (
    "5_o_Clock_Shadow",
    "Arched_Eyebrows",
    "Attractive",
    "Bags_Under_Eyes",
    "Bald",
    "Bangs",
    "Big_Lips",
    "Big_Nose",
    "Black_Hair",
    "Blond_Hair",
    "Blurry",
    "Brown_Hair",
    "Bushy_Eyebrows",
    "Chubby",
    "Double_Chin",
    "Eyeglasses",
    "Goatee",
    "Gray_Hair",
    "Heavy_Makeup",
    "High_Cheekbones",
    "Male",
    "Mouth_Slightly_Open",
    "Mustache",
    "Narrow_Eyes",
    "No_Beard",
    "Oval_Face",
    "Pale_Skin",
    "Pointy_Nose",
    "Receding_Hairline",
    "Rosy_Cheeks",
    "Sideburns",
    "Smiling",
    "Straight_Hair",
    "Wavy_Hair",
    "Wearing_Earrings",
    "Wearing_Hat",
    "Wearing_Lipstick",
    "Wearing_Necklace",
    "Wearing_Necktie",
    "Young",
)

ATTR_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"
IDENTITY_FILE = "identity_CelebA.txt"
IMAGE_DIR = "img_align_celeba"
#: The official partitions' codes in ``list_eval_partition.txt``.
PARTITIONS = {"train": 0, "val": 1, "test": 2}


@dataclass(frozen=True, eq=False)
class CelebA:
    """A loaded CelebA attribute set (labels in {-1, +1}, partition 0 train / 1 val / 2 test)."""

    root: Path
    image_dir: Path
    attr_names: list[str]
    filenames: list[str]
    labels: np.ndarray  # int8 (N, n_attributes), values -1 / +1
    partition: np.ndarray  # int8 (N,), values 0 / 1 / 2
    identity: np.ndarray | None = None  # int64 (N,) or None when identity_CelebA.txt is absent
    attr_file: Path | None = None  # the list_attr_celeba.txt read (named in error messages)

    def __len__(self) -> int:
        return len(self.filenames)

    def image_path(self, i: int) -> Path:
        """Path of image ``i`` (0-based row of the attribute file)."""
        return self.image_dir / self.filenames[i]

    def attr_index(self, name: str) -> int:
        """Column of attribute ``name``; FacecuesError listing the valid names if unknown."""
        try:
            return self.attr_names.index(name)
        except ValueError:
            where = f"{self.attr_file}: " if self.attr_file else ""
            raise FacecuesError(
                f"{where}unknown CelebA attribute {name!r} (config key 'attributes'); expected "
                f"one of the {len(self.attr_names)} names on line 2 of "
                f"{self.attr_file.name if self.attr_file else 'the attribute file'}: "
                f"{', '.join(self.attr_names)}"
            ) from None

    def attribute(self, name: str) -> np.ndarray:
        """Labels (N,) int8 in {-1, +1} of attribute ``name``."""
        return self.labels[:, self.attr_index(name)]

    def indices(self, partition: int | tuple[int, ...]) -> np.ndarray:
        """Row indices of the images in the given partition(s) (0 train, 1 val, 2 test)."""
        parts = (partition,) if isinstance(partition, int) else tuple(partition)
        return np.flatnonzero(np.isin(self.partition, parts))


def _layouts(root: Path) -> list[tuple[str, dict[str, Path]]]:
    orig = {
        "attr": root / "Anno" / ATTR_FILE,
        "partition": root / "Eval" / PARTITION_FILE,
        "identity": root / "Anno" / IDENTITY_FILE,
        "images": root / "Img" / IMAGE_DIR,
    }
    out = [("original", orig)]
    for name, base in (("torchvision", root / "celeba"), ("flat", root)):
        out.append(
            (
                name,
                {
                    "attr": base / ATTR_FILE,
                    "partition": base / PARTITION_FILE,
                    "identity": base / IDENTITY_FILE,
                    "images": base / IMAGE_DIR,
                },
            )
        )
    return out


def find_celeba_files(root: str | Path) -> dict[str, Path]:
    """Locate the CelebA files under ``root`` (original or torchvision layout).

    Returns a dict with keys ``attr``, ``partition``, ``identity``, ``images``.
    Raises DataFormatError naming every layout tried when no attribute file is found.
    """
    root = Path(root)
    layouts = _layouts(root)
    for _name, files in layouts:
        if files["attr"].is_file():
            if not files["partition"].is_file():
                # the partition file is sometimes shipped next to the attribute file
                alt = files["attr"].parent / PARTITION_FILE
                if alt.is_file():
                    files = {**files, "partition": alt}
            return files
    tried = "; ".join(f"{name}: {files['attr']}" for name, files in layouts)
    raise DataFormatError(f"no CelebA attribute file {ATTR_FILE} under {root} (tried {tried})")


def _parse_attr_file(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    lines = read_lines(path)
    if len(lines) < 2:
        raise DataFormatError(
            f"{path}: expected line 1 = image count and line 2 = attribute names, "
            f"file has {len(lines)} line(s)"
        )
    head = lines[0].split()
    if len(head) != 1 or not head[0].isdigit():
        raise DataFormatError(
            f"{path}, line 1: expected the image count (one integer), got {lines[0]!r}"
        )
    count = int(head[0])
    names = lines[1].split()
    if not names:
        raise DataFormatError(f"{path}, line 2: expected the attribute names, line is empty")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataFormatError(f"{path}, line 2: duplicate attribute names {dupes}")
    n_attr = len(names)

    filenames: list[str] = []
    values: list[str] = []
    line_numbers: list[int] = []
    for lineno, line in content_lines(lines, 2):
        parts = line.split()
        if len(parts) != n_attr + 1:
            raise DataFormatError(
                f"{path}, line {lineno}: expected an image name and {n_attr} values "
                f"(-1 or 1), got {len(parts) - 1} value(s): {line[:80]!r}"
            )
        filenames.append(parts[0])
        values.extend(parts[1:])
        line_numbers.append(lineno)

    if len(filenames) != count:
        raise DataFormatError(
            f"{path}, line 1: the count says {count} images but the file lists {len(filenames)}"
        )
    if not filenames:
        return names, filenames, np.zeros((0, n_attr), dtype=np.int8)
    tokens = np.asarray(values).reshape(len(filenames), n_attr)
    pos = (tokens == "1") | (tokens == "+1")
    neg = tokens == "-1"
    bad = ~(pos | neg)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataFormatError(
            f"{path}, line {line_numbers[r]}: value {tokens[r, c]!r} of attribute "
            f"{names[c]!r} is not -1 or 1"
        )
    labels = np.where(pos, 1, -1).astype(np.int8)
    _check_unique(filenames, path, line_numbers)
    return names, filenames, labels


def _check_unique(filenames: list[str], path: Path, line_numbers: list[int]) -> None:
    if len(set(filenames)) != len(filenames):
        seen: set[str] = set()
        for name, lineno in zip(filenames, line_numbers, strict=True):
            if name in seen:
                raise DataFormatError(f"{path}, line {lineno}: image {name!r} listed twice")
            seen.add(name)


def _int_or_none(token: str) -> int | None:
    try:
        return int(token)
    except ValueError:
        return None


def _parse_two_column(
    path: Path, what: str, allowed: tuple[int, ...] | None
) -> tuple[list[str], np.ndarray]:
    """Parse ``<image> <integer>`` lines (partition or identity file)."""
    lines = read_lines(path)
    names: list[str] = []
    vals: list[int] = []
    line_numbers: list[int] = []
    for lineno, line in content_lines(lines):
        parts = line.split()
        v = _int_or_none(parts[1]) if len(parts) == 2 else None
        if v is None or (allowed is not None and v not in allowed):
            exp = f"one of {', '.join(map(str, allowed))}" if allowed else "an integer"
            raise DataFormatError(
                f"{path}, line {lineno}: expected '<image> <{what}>' with {what} {exp}, "
                f"got {line[:80]!r}"
            )
        names.append(parts[0])
        vals.append(v)
        line_numbers.append(lineno)
    _check_unique(names, path, line_numbers)
    return names, np.asarray(vals, dtype=np.int64)


def _align(
    filenames: list[str], other_names: list[str], values: np.ndarray, attr_path: Path, path: Path
) -> np.ndarray:
    """Reorder ``values`` (listed for ``other_names``) to the order of ``filenames``."""
    if other_names == filenames:
        return values
    index = {n: i for i, n in enumerate(other_names)}
    only_attr = [n for n in filenames if n not in index]
    known = set(filenames)
    only_other = [n for n in other_names if n not in known]
    if only_attr or only_other:
        parts = []
        if only_attr:
            parts.append(f"{len(only_attr)} image(s) of {attr_path} absent: {preview(only_attr)}")
        if only_other:
            parts.append(f"{len(only_other)} image(s) not in {attr_path}: {preview(only_other)}")
        raise DataFormatError(
            f"{path}: image names do not match {attr_path.name}; " + "; ".join(parts)
        )
    return values[[index[n] for n in filenames]]


def load_celeba(root: str | Path, check_images: bool = True) -> CelebA:
    """Load CelebA attributes, partitions and (if present) identities from ``root``.

    ``root`` may use the original layout (``Anno/``, ``Eval/``, ``Img/``) or torchvision's
    (``celeba/`` holding the files flat, or ``root`` being that folder). With
    ``check_images`` every listed image must exist in ``img_align_celeba/``.
    Raises DataFormatError naming the file, line and what was expected.
    """
    root = Path(root)
    files = find_celeba_files(root)
    names, filenames, labels = _parse_attr_file(files["attr"])

    if not files["partition"].is_file():
        raise DataFormatError(
            f"{files['partition']}: partition file not found (attribute file found at "
            f"{files['attr']})"
        )
    p_names, p_vals = _parse_two_column(files["partition"], "partition", (0, 1, 2))
    partition = _align(filenames, p_names, p_vals, files["attr"], files["partition"])

    identity = None
    if files["identity"].is_file():
        i_names, i_vals = _parse_two_column(files["identity"], "identity", None)
        identity = _align(filenames, i_names, i_vals, files["attr"], files["identity"])

    image_dir = files["images"]
    if check_images:
        if not image_dir.is_dir():
            raise DataFormatError(
                f"image folder {image_dir} not found (images are listed in {files['attr']})"
            )
        check_missing([image_dir / f for f in filenames], "images", files["attr"])

    return CelebA(
        root=root,
        image_dir=image_dir,
        attr_names=names,
        filenames=filenames,
        labels=labels,
        partition=partition.astype(np.int8),
        identity=None if identity is None else identity.astype(np.int64),
        attr_file=files["attr"],
    )


def read_attribute_names(root: str | Path) -> tuple[Path, list[str]]:
    """The attribute file under ``root`` and the names on its line 2 (reads two lines only)."""
    path = find_celeba_files(root)["attr"]
    try:
        with open(path, encoding="utf-8-sig") as f:
            f.readline()
            return path, f.readline().split()
    except (OSError, UnicodeDecodeError) as e:
        raise DataFormatError(f"{path}: cannot read the attribute names on line 2 ({e})") from None
