"""Architecture entries (``facecues.nets.architectures``): parsed from a spec string,
described in one word and hashed, with a ``file`` entry's source files (the file and the
modules beside it that it imports). Torch-free: workflow start-up reads them."""

from __future__ import annotations

import ast
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
    point patterns and, for a ``file`` entry, the bytes of its source files
    (``source_hashes``)."""
    blob = {"entry": dict(entry), "input_size": input_size, "points": points}
    if entry["source"] == "file":
        blob["files"] = source_hashes(entry)
    text = json.dumps(blob, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def entry_file(entry: Mapping) -> Path | None:
    """The module file of a ``file`` entry (``path/to/file.py`` of ``...:factory``)."""
    if entry.get("source") != "file":
        return None
    return Path(entry["name"].rpartition(":")[0])


def source_files(entry: Mapping) -> list[Path]:
    """The source files of a ``file`` entry: the module file, then every module beside it
    (in its folder or a package there) that it imports, directly or through another such
    module, read from the files' import statements (``ast``, nothing is run); ``[]`` for
    the other sources, ``[file]`` where the file is missing or not Python (building it
    names the error)."""
    file = entry_file(entry)
    if file is None:
        return []
    folder, found, todo = file.parent, [file], [file]
    while todo:
        try:
            tree = ast.parse(todo.pop().read_bytes())
        except (OSError, SyntaxError, ValueError):
            continue
        for path in _imported_beside(tree, folder):
            if path not in found:
                found.append(path)
                todo.append(path)
    return found


def _imported_beside(tree: ast.AST, folder: Path) -> list[Path]:
    """The files in ``folder`` that the import statements of ``tree`` name: ``import a.b``
    and ``from a.b import c`` give ``a.py`` or ``a/__init__.py``, ``a/b.py`` (or
    ``a/b/__init__.py``) and ``a/b/c.py`` where they exist."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    files = []
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            base = folder.joinpath(*parts[:i])
            files += [f for f in (base.with_suffix(".py"), base / "__init__.py") if f.is_file()]
    return files


def source_hashes(entry: Mapping) -> dict[str, str]:
    """{path: sha256 of its bytes} of the entry's source files (``source_files``; a
    missing file hashes to ``""``)."""
    return {
        str(f): hashlib.sha256(f.read_bytes()).hexdigest() if f.is_file() else ""
        for f in source_files(entry)
    }


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
