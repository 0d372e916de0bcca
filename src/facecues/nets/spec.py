"""Architecture entries (``facecues.nets.architectures``): parsed from a spec string,
described in one word and hashed. Torch-free: workflow start-up reads them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from facecues.errors import FacecuesError

SOURCES = ("facecues", "torchvision", "timm", "file")
BUILT_IN = ("resnet50",)


def parse_spec(spec: str, kwargs: Mapping | None = None) -> dict:
    """``torchvision:resnet18`` -> ``{"source": "torchvision", "name": "resnet18", ...}``;
    a ``.py`` file with ``:factory`` is a ``file`` entry; a bare name is built in."""
    source, sep, name = spec.partition(":")
    if sep and source in SOURCES[:3]:
        entry = {"source": source, "name": name}
    elif sep and source.endswith(".py"):
        entry = {"source": "file", "name": spec}
    elif not sep:
        entry = {"source": "facecues", "name": spec}
    else:
        raise FacecuesError(
            f"architecture {spec!r}: expected resnet50, torchvision:<builder>, "
            "timm:<model> or path/to/file.py:<factory>"
        )
    return {**entry, "kwargs": dict(kwargs or {})}


def describe(entry: Mapping) -> str:
    """The entry in one word, as a spec string."""
    if entry["source"] in ("facecues", "file"):
        return entry["name"]
    return f"{entry['source']}:{entry['name']}"


def entry_key(entry: Mapping, input_size: int, points=None) -> str:
    """A short hash naming a discovery's cache file: the entry, the input size, the
    point patterns and, for a ``file`` entry, the file's bytes."""
    blob = {"entry": dict(entry), "input_size": input_size, "points": points}
    if entry["source"] == "file":
        path = Path(entry["name"].rpartition(":")[0])
        blob["file"] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    text = json.dumps(blob, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def resolve_file(entry: Mapping, *roots: str | Path) -> dict:
    """``entry`` with a ``file`` entry's relative path made absolute: found from the
    current folder first, then from each of ``roots`` (e.g. the workflow's folder, where
    ``configs/networks/`` lies); unchanged when found nowhere (building it names it)."""
    entry = dict(entry)
    if entry.get("source") != "file":
        return entry
    file, sep, factory = entry["name"].rpartition(":")
    path = Path(file)
    if sep and not path.is_absolute():
        for root in (Path.cwd(), *map(Path, roots)):
            if (root / path).is_file():
                entry["name"] = f"{(root / path).resolve()}:{factory}"
                break
    return entry
