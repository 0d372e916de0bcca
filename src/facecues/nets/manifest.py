"""A network's probe-point manifest: written once by discovery, read torch-free.

Workflow start-up, every cluster job and ``facecues plan`` need each
network's points (id, name, kind, stage, shape, units) without importing
torch. For the built-in ResNet-50 topology they come from
``facecues.nets.layout``. For any other network, ``network_points``
discovers them once (``facecues.nets.discovery``, importing torch) and
caches the result as JSON under ``results/manifests/``, named by the
architecture and a hash of what determines the points (the entry, the input
size, the point patterns and a user file's bytes): a later call reads the
file.

The file (``MANIFEST_FORMAT_VERSION`` 2: each point's ``layout``, its shape stored
channels first; version 1 had neither and is refused; files written before the key
was named ``format_version`` name it ``format``, read the same)::

    {"format_version": 2, "architecture": {"source": ..., "name": ..., "kwargs": {...}},
     "input_size": 224, "patterns": null, "method": "fx", "trace_error": "",
     "flops": 8174272512, "parameters": 23508032, "state_values": 23561152,
     "points": [{"id": "L01", "name": "relu", "kind": "stem", "stage": "stem",
                 "shape": [64, 112, 112], "units": 802816, "layout": "chw"}, ...]}

Every job that probes a discovered network checks that the points it finds
on the loaded network are the manifest's (``check_points``): it refuses to
run otherwise, naming both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from facecues.errors import DataFormatError, FacecuesError
from facecues.io import atomic_path
from facecues.nets.layout import ProbePoint, point_index, resnet50_points
from facecues.nets.spec import describe, entry_key

#: The manifest file's format version (key ``format_version``), written by
#: ``write_manifest``, checked by ``read_manifest``.
MANIFEST_FORMAT_VERSION = 2
CACHE = Path("results/manifests")
#: What a version-1 manifest's study must redo: version 2 has the block rule of
#: ``facecues.nets.blocks`` (points, and so their ids, can differ) and stores channels-last
#: points (C, H, W), which version 1 stored as they came, (H, W, C).
LAYOUT_CHANGE = (
    ". Version 1 found other blocks (a point's id can now name another point) and stored "
    "channels-last points (Swin, ConvNeXt's MLPs) as (H, W, C): delete that study's "
    "results/probes as well, so that its probes are fitted again on the points named now"
)


@dataclass(frozen=True)
class Manifest:
    """A network's probe points and how they were found (``fx``, ``hooks`` or
    ``layout`` for the built-in topology)."""

    architecture: Mapping
    input_size: int
    points: tuple[ProbePoint, ...]
    method: str
    trace_error: str = ""
    patterns: tuple[str, ...] | None = None
    flops: int = 0  # one image's forward pass (0: not counted, the built-in topology)
    parameters: int = 0
    state_values: int = 0
    path: str = field(default="", compare=False)  # the file it was read from, if any


def is_built_in(entry: Mapping) -> bool:
    """Whether ``entry`` is the built-in ResNet-50 topology (points from the layout)."""
    return entry.get("source", "facecues") == "facecues"


def cache_path(entry: Mapping, input_size: int, patterns=None, cache: Path = CACHE) -> Path:
    """Where the manifest of ``entry`` at ``input_size`` is cached."""
    word = describe(entry)
    if entry["source"] == "file":  # the file's name and the factory, not its folders
        file, _, factory = word.rpartition(":")
        word = f"{Path(file).stem}_{factory}"
    word = re.sub(r"[^A-Za-z0-9_.-]+", "_", word).strip("_")[:40]
    return Path(cache) / f"{word}-{entry_key(entry, input_size, patterns)}.json"


def network_points(
    entry: Mapping,
    input_size: int,
    patterns: Sequence[str] | None = None,
    cache: Path | None = CACHE,
    write: bool = True,
) -> Manifest:
    """The probe points of ``entry`` at ``input_size``: the layout's for the built-in
    topology, else the manifest cached in ``cache``, discovered first if missing and
    then written there (unless ``write`` is False)."""
    patterns = tuple(patterns) if patterns else None
    if is_built_in(entry) and not patterns:
        kw = dict(entry.get("kwargs") or {})
        width, v1 = kw.get("base_width", 64), kw.get("stride_in_1x1", True)
        points = resnet50_points(width, input_size, v1)
        return Manifest(dict(entry), input_size, tuple(points), "layout")
    path = cache_path(entry, input_size, patterns, cache) if cache is not None else None
    if path is not None and path.is_file():
        return read_manifest(path)
    manifest = discover_manifest(entry, input_size, patterns)
    if path is not None and write:
        write_manifest(manifest, path)
    return manifest


def discover_manifest(entry: Mapping, input_size: int, patterns=None) -> Manifest:
    """Build ``entry`` (untrained) and discover its points (imports torch)."""
    from facecues.nets.architectures import build_backbone
    from facecues.nets.discovery import discover

    found = discover(build_backbone(entry, input_size), input_size, patterns)
    return Manifest(
        dict(entry),
        input_size,
        tuple(found.probe_points()),
        found.method,
        found.trace_error,
        tuple(patterns) if patterns else None,
        found.flops,
        found.parameters,
        found.state_values,
    )


def write_manifest(manifest: Manifest, path: str | Path) -> None:
    """Write ``manifest`` as JSON (atomically)."""
    doc = {
        "format_version": MANIFEST_FORMAT_VERSION,
        "architecture": dict(manifest.architecture),
        "input_size": manifest.input_size,
        "patterns": list(manifest.patterns) if manifest.patterns else None,
        "method": manifest.method,
        "trace_error": manifest.trace_error,
        "flops": manifest.flops,
        "parameters": manifest.parameters,
        "state_values": manifest.state_values,
        "points": [
            {
                "id": p.id,
                "name": p.name,
                "kind": p.kind,
                "stage": p.stage,
                "shape": list(p.shape),
                "units": p.units,
                "layout": p.layout,
            }
            for p in manifest.points
        ],
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(doc, indent=1) + "\n")


def read_manifest(path: str | Path) -> Manifest:
    """Read a manifest written by ``write_manifest``; a file that is not one is named."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise FacecuesError(
            f"{path}: not a facecues probe-point manifest ({type(e).__name__}: {e}); delete it "
            "and it is discovered again"
        ) from None
    found = doc.get("format_version", doc.get("format")) if isinstance(doc, dict) else None
    if found != MANIFEST_FORMAT_VERSION:
        have = "none" if found is None else repr(found)
        raise DataFormatError(
            f"{path}: format_version {have}, expected {MANIFEST_FORMAT_VERSION}: a probe-point "
            "manifest in another format (another facecues version wrote it); delete it (or "
            "results/manifests) and rerun snakemake (or facecues points): it is discovered again"
            + (LAYOUT_CHANGE if found == 1 else "")
        )
    try:
        points = tuple(
            ProbePoint(
                point_index(p["id"]),
                p["name"],
                p["kind"],
                tuple(p["shape"]),
                p["stage"],
                p["layout"],
            )
            for p in doc["points"]
        )
        if [p.index for p in points] != list(range(1, len(points) + 1)):
            raise ValueError("point ids are not L01, L02, ... in order")
        return Manifest(
            doc["architecture"],
            int(doc["input_size"]),
            points,
            doc["method"],
            doc.get("trace_error", ""),
            tuple(doc["patterns"]) if doc.get("patterns") else None,
            int(doc["flops"]),
            int(doc["parameters"]),
            int(doc["state_values"]),
            str(path),
        )
    except (ValueError, KeyError, TypeError) as e:
        raise FacecuesError(
            f"{path}: not a facecues probe-point manifest ({type(e).__name__}: {e}); delete it "
            "and it is discovered again"
        ) from None


def job_manifest(model_cfg: Mapping, cache: Path = CACHE) -> Manifest | None:
    """The manifest a job's network must match (config key ``model``, as the workflow
    passes it): the one cached at workflow start-up (discovered again, not written, where
    it is missing); None for the built-in topology, whose points are the layout's."""
    entry = model_cfg.get("architecture")
    if not entry or is_built_in(entry):
        return None
    return network_points(entry, model_cfg["input_size"], entry.get("points"), cache, False)


def _point_line(p: ProbePoint) -> str:
    return f"{p.id} {p.name} ({p.kind}, {p.layout}, {'x'.join(map(str, p.shape))})"


def check_points(manifest: Manifest, found: Sequence[ProbePoint], where: str) -> None:
    """FacecuesError unless the points ``found`` on a job's network (``where``: the job)
    are the manifest's, with the first difference, from both, in the message."""
    want, have = list(manifest.points), list(found)
    if want == have:
        return
    k = next((i for i, (a, b) in enumerate(zip(want, have, strict=False)) if a != b), None)
    if k is None:
        k = min(len(want), len(have))
    theirs = _point_line(want[k]) if k < len(want) else "no such point"
    ours = _point_line(have[k]) if k < len(have) else "no such point"
    source = manifest.path or "the manifest discovered at start-up"
    raise FacecuesError(
        f"{where}: the network's probe points differ from its manifest {source}: the "
        f"manifest has {len(want)} points, this job finds {len(have)}; first difference: "
        f"manifest {theirs} vs job {ours}. The job does not run: its shards would not be "
        "the points the tables name. Delete the manifest (results/manifests) and rerun "
        "snakemake, or name the points by hand (model.architecture.points)"
    )
