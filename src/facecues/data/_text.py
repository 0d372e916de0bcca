"""Shared helpers for reading the plain-text annotation files of the face datasets."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from facecues.errors import DataFormatError

#: How many missing files an error message lists before summarising.
MAX_LISTED = 5


def read_lines(path: Path) -> list[str]:
    """Read a text file as a list of lines (CRLF/LF tolerated, BOM dropped, right-stripped).

    Raises DataFormatError when the file is missing or not valid UTF-8/ASCII text.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataFormatError(f"{path}: file not found") from None
    except OSError as exc:
        raise DataFormatError(f"{path}: cannot read ({exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFormatError(
            f"{path}: not a UTF-8 text file (byte {exc.start}: {exc.reason})"
        ) from None
    return [line.rstrip() for line in text.splitlines()]


def content_lines(lines: Sequence[str], start: int = 0) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, line) for the non-blank lines from index ``start`` on."""
    for idx in range(start, len(lines)):
        line = lines[idx]
        if line.strip():
            yield idx + 1, line


def preview(items: Sequence[str], limit: int = MAX_LISTED) -> str:
    """Format the first few items of a list, with a count of the rest."""
    shown = ", ".join(str(x) for x in items[:limit])
    rest = len(items) - limit
    return shown + (f", ... ({rest} more)" if rest > 0 else "")


def listdir_set(folder: Path) -> set[str] | None:
    """Names in a folder (None if the folder does not exist)."""
    try:
        with os.scandir(folder) as it:
            return {entry.name for entry in it}
    except (FileNotFoundError, NotADirectoryError):
        return None


def missing_files(paths: Iterable[Path]) -> list[Path]:
    """The paths that do not exist, checked with one directory listing per folder."""
    cache: dict[Path, set[str] | None] = {}
    missing = []
    for p in paths:
        parent = p.parent
        if parent not in cache:
            cache[parent] = listdir_set(parent)
        names = cache[parent]
        if names is None or p.name not in names:
            missing.append(p)
    return missing


def check_missing(paths: Sequence[Path], what: str, listed_in: Path) -> None:
    """Raise DataFormatError listing the first few of ``paths`` that do not exist."""
    missing = missing_files(paths)
    if missing:
        raise DataFormatError(
            f"{len(missing)} of {len(paths)} {what} listed in {listed_in} are missing: "
            f"{preview([str(m) for m in missing])}"
        )
