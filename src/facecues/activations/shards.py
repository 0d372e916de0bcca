"""The activation shard: one HDF5 file per (network, attribute, probe point).

``results/activations/<network>/<attribute>/L07.h5``, written by the extract
step (``facecues.activations.extract``), read by the pls_vip step, deleted
once its probes are fitted. Layout:

- datasets ``train`` (rows, units), float16 or float32 (``probe.dtype``),
  chunked by whole rows of about 1 MiB (``row_chunk``), and ``train_y``
  (rows,) int8 in {-1, +1}; a ``val`` / ``val_y`` pair when a validation
  sample is extracted too (the workflow streams validation images instead);
  ``train_identity_y`` (rows,) int8 in {-1, +1} when the identity control
  task is on (``read_identity_labels``);
- attributes: the probe point's description ``point`` (``L07``), ``name``
  (``layer1.1.relu1``), ``kind``, ``shape`` (C, H, W) or (C,) and ``index``
  (``SHARD_ATTRS``), and whose activations they are, ``network`` and
  ``attribute`` (``OWNER_ATTRS``);
- units are the flattened NCHW map: unit = c*H*W + y*W + x;
- attribute ``format_version`` (``SHARD_FORMAT_VERSION``): a shard of another
  version (none: written before versions, read as version 1, the same layout) is
  refused by ``read_shard``
  (``check_format_version``: a DataFormatError naming the file, the version found
  and expected, and what to rerun).

A probe file (written by the pls_vip step) carries its shard's attributes,
checked by the same ``expect_attrs``.

``read_shard`` opens a shard with one FacecuesError, naming the file and what
was expected, for every way it can be wrong: not HDF5 or truncated, a missing
or mis-shaped dataset, a wrong dtype, attributes naming another network,
attribute or probe point, NaN or Inf activations (a diverged network) and a
point whose units are all constant (dead ReLUs). ``shard_bytes`` and
``reserved_bytes`` size it (``facecues plan``, the extract step's disk check).
h5py is imported by the functions that open files only, so that sizing a
study at workflow start-up does not load it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from facecues.errors import DataFormatError, FacecuesError
from facecues.io import REWRITE, open_h5
from facecues.nets.layout import POINT_ID

if TYPE_CHECKING:
    import h5py

#: Attributes every shard and probe file carries (the probe point's description).
SHARD_ATTRS = ("point", "name", "kind", "shape", "index")
#: Attributes naming whose activations they are.
OWNER_ATTRS = ("network", "attribute")
#: The attribute holding a file's format version (shards, probe files).
VERSION_ATTR = "format_version"
#: The shard layout's version (this module's docstring), written by ``create_shard``,
#: checked by ``read_shard``; raise it with any change a reader of older shards would
#: misread.
SHARD_FORMAT_VERSION = 1
#: What to do with a shard of another version.
SHARD_RERUN = "delete it (or results/activations) and rerun snakemake: rule extract writes it again"
FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32))
_POINT_NAME = re.compile(POINT_ID)
#: Bytes of one HDF5 chunk: whole rows, about 1 MiB.
CHUNK_BYTES = 1 << 20
#: Disk reserved per shard beyond its data, for HDF5's metadata and chunk index (the
#: file keeps this size: at most 64 KiB + 0.1% more than its data).
RESERVE_MARGIN = 64 << 10


def shard_bytes(units: int, rows: int, dtype: str) -> int:
    """Bytes of the activations of ``rows`` images at a point of ``units`` units."""
    return int(units) * int(rows) * np.dtype(dtype).itemsize


def reserved_bytes(units: int, rows: int, dtype: str) -> int:
    """Disk a shard's writer reserves up front: its data, 0.1% and ``RESERVE_MARGIN``."""
    data = shard_bytes(units, rows, dtype)
    return data + data // 1024 + RESERVE_MARGIN


def row_chunk(units: int, itemsize: int, rows: int) -> tuple[int, int]:
    """HDF5 chunk shape for (rows, units): whole rows, about ``CHUNK_BYTES`` per chunk."""
    return (max(1, min(rows, CHUNK_BYTES // (units * itemsize))), units)


def create_shard(f: h5py.File, point, samples: dict, dtype: str, identity_y=None, **owner) -> dict:
    """Write ``point``'s description and ``owner`` (network, attribute) into the open file
    ``f`` and create its datasets: per sample (``train``, ``val``) of ``samples``
    ({sample: (paths, y)}) an empty (rows, units) array in ``dtype`` and its labels;
    ``identity_y``: the training rows' identity-task labels (None: none). Returns
    {sample: the dataset to fill}."""
    np_dtype = np.dtype(dtype)
    f.attrs.update(
        point=point.id,
        name=point.name,
        kind=point.kind,
        shape=point.shape,
        index=point.index,
        **owner,
    )
    f.attrs[VERSION_ATTR] = SHARD_FORMAT_VERSION
    out = {}
    for sample, (paths, y) in samples.items():
        out[sample] = f.create_dataset(
            sample,
            shape=(len(paths), point.units),
            dtype=np_dtype,
            chunks=row_chunk(point.units, np_dtype.itemsize, len(paths)),
        )
        f.create_dataset(f"{sample}_y", data=np.asarray(y, dtype=np.int8))
    if identity_y is not None:
        f.create_dataset("train_identity_y", data=np.asarray(identity_y, dtype=np.int8))
    return out


def text(v) -> str:
    """An HDF5 attribute as str (h5py gives bytes or str, by how it was written)."""
    return v.decode() if isinstance(v, bytes) else str(v)


#: The version of a file written before versions were recorded (facecues up to 0.1's
#: commit 985181d): version 1 is that layout, so such a file is read as version 1.
UNVERSIONED = 1


def check_format_version(path, meta, what: str, expected: int, rerun: str) -> None:
    """DataFormatError unless the attributes ``meta`` of the file ``path`` hold
    ``format_version`` ``expected`` (none: ``UNVERSIONED``): the message names the file,
    the version found and expected, and what to do (``rerun``)."""
    found = meta.get(VERSION_ATTR, UNVERSIONED)
    if np.ndim(found) == 0 and np.issubdtype(type(found), np.integer):
        found = int(found)
    if found != expected:
        have = repr(found)
        raise DataFormatError(
            f"{path}: format_version {have}, expected {expected}: {what} in another "
            f"format (another facecues version wrote it); {rerun}"
        )


def expect_attrs(
    path, f: h5py.File, what: str, *, version: int | None = None, rerun: str = REWRITE, **expected
) -> dict:
    """Check ``f``'s attributes: the probe point's description is present, the file's
    ``format_version`` is ``version`` (None: not checked; ``rerun``: what to do
    otherwise), and those in ``expected`` (network, attribute, point; None = not
    checked) have the expected value.

    ``network`` and ``attribute`` are checked where the file records them (shards
    written before they were recorded do not). Returns the attributes as a dict.
    """
    meta = dict(f.attrs)
    missing = [a for a in SHARD_ATTRS if a not in meta]
    if missing:
        raise FacecuesError(
            f"{path}: attributes {missing} missing; expected {what} with attributes "
            f"{list(SHARD_ATTRS)} (written by facecues); {REWRITE}"
        )
    if version is not None:
        check_format_version(path, meta, what, version, rerun)
    for key, want in expected.items():
        if want is None or (key in OWNER_ATTRS and key not in meta):
            continue
        have = text(meta.get(key))
        if have != str(want):
            raise FacecuesError(
                f"{path}: this file's {key} is {have!r}, expected {str(want)!r}: it belongs to "
                f"another {key} ({what} of network {text(meta.get('network', '?'))}, attribute "
                f"{text(meta.get('attribute', '?'))}, point {text(meta['point'])}); {REWRITE}"
            )
    return meta


def point_from_name(path: Path) -> str | None:
    """The point id a file's name gives (``L07.h5`` -> ``L07``, ``L100.h5`` -> ``L100``),
    else None."""
    return path.stem if _POINT_NAME.fullmatch(path.stem) else None


def map_units(meta) -> int:
    """Units of the map whose ``shape`` attribute ``meta`` holds."""
    return int(np.prod([int(s) for s in np.atleast_1d(meta["shape"])]))


def describe(path, meta) -> str:
    """``<path>: probe point L07 (layer1.1.relu1) of network 0, attribute Male``."""
    net, attr = meta.get("network"), meta.get("attribute")
    owner = f" of network {text(net)}" if net is not None else ""
    owner += f", attribute {text(attr)}" if attr is not None else ""
    return f"{path}: probe point {text(meta['point'])} ({text(meta['name'])}){owner}"


def check_activations(
    where: str, nonfinite: int, total: int, constant_units: int, units: int, rows: int
) -> None:
    """One FacecuesError if activations hold NaN or Inf, or if every unit is constant."""
    if nonfinite:
        raise FacecuesError(
            f"{where}: {nonfinite:,} of {total:,} activation values are NaN or Inf; expected "
            "finite values (the network has diverged or its checkpoint is damaged: check its "
            "training log, e.g. a smaller train.lr)"
        )
    if rows > 1 and constant_units == units:
        raise FacecuesError(
            f"{where}: all {units:,} units have zero variance over the {rows} training rows "
            "(dead ReLUs: every unit constant); expected at least one varying unit, a PLS "
            "probe cannot be fitted there (check the network's training or its checkpoint)"
        )


def read_shard(
    path: str | Path,
    *,
    network: str | None = None,
    attribute: str | None = None,
    point: str | None = None,
    block_bytes: int = 64 << 20,
) -> tuple[dict, np.ndarray, np.ndarray]:
    """Open an activation shard written by the extract step and check it.

    Returns (attributes, X float32 (rows, units), y int8 (rows,)). ``X`` is read
    in row blocks (a float16 shard converted block by block: memory holds the
    float32 array plus one block, never both whole copies). ``point`` defaults
    to the file name when it is one (``L07.h5``). Raises FacecuesError naming
    the file and what was expected (see the module's docstring).
    """
    import h5py

    path = Path(path)
    point = point or point_from_name(path)
    what = "an activation shard (datasets train, train_y) written by facecues' extract step"
    with open_h5(path, what) as f:
        meta = expect_attrs(
            path,
            f,
            what,
            version=SHARD_FORMAT_VERSION,
            rerun=SHARD_RERUN,
            network=network,
            attribute=attribute,
            point=point,
        )
        for name in ("train", "train_y"):
            if name not in f or not isinstance(f[name], h5py.Dataset):
                raise FacecuesError(f"{path}: dataset {name!r} missing; expected {what}")
        d, dy = f["train"], f["train_y"]
        units = map_units(meta)
        if d.dtype not in FLOAT_DTYPES:
            raise FacecuesError(
                f"{path}: dataset 'train' has dtype {d.dtype}, expected float16 or float32"
            )
        if d.ndim != 2 or d.shape[1] != units:
            raise FacecuesError(
                f"{path}: dataset 'train' has shape {d.shape}, expected (rows, {units}) for a "
                f"map of shape {tuple(int(s) for s in np.atleast_1d(meta['shape']))}"
            )
        rows = d.shape[0]
        if dy.shape != (rows,):
            raise FacecuesError(
                f"{path}: dataset 'train_y' has shape {dy.shape}, expected ({rows},) (one label "
                "per row of 'train')"
            )
        try:
            y = dy[...]
            x = np.empty((rows, units), dtype=np.float32)
            step = max(1, block_bytes // max(1, units * d.dtype.itemsize))
            nonfinite, lo, hi = 0, None, None
            for i in range(0, rows, step):
                stop = min(i + step, rows)
                if d.dtype == np.float32:
                    d.read_direct(x, np.s_[i:stop], np.s_[i:stop])
                else:
                    x[i:stop] = d[i:stop]
                block = x[i:stop]
                nonfinite += int(block.size - np.count_nonzero(np.isfinite(block)))
                bmin, bmax = block.min(axis=0), block.max(axis=0)
                lo = bmin if lo is None else np.minimum(lo, bmin)
                hi = bmax if hi is None else np.maximum(hi, bmax)
        except OSError as e:
            raise FacecuesError(
                f"{path}: cannot read dataset 'train' ({e}); the file is truncated or damaged; "
                f"{REWRITE}"
            ) from None
    if not np.isin(y, (-1, 1)).all():
        raise FacecuesError(f"{path}: 'train_y' holds values other than -1 and +1")
    constant = int(np.count_nonzero(lo == hi)) if rows else units
    check_activations(describe(path, meta), nonfinite, x.size, constant, units, rows)
    return meta, x, y


def read_identity_labels(path: str | Path) -> np.ndarray | None:
    """The identity control task's labels of a shard's training rows (None where the
    shard has none), checked: one label of -1 or +1 per row of ``train``."""
    what = "an activation shard (datasets train, train_y) written by facecues' extract step"
    with open_h5(path, what) as f:
        check_format_version(path, dict(f.attrs), what, SHARD_FORMAT_VERSION, SHARD_RERUN)
        if "train_identity_y" not in f:
            return None
        y, rows = f["train_identity_y"][...], f["train"].shape[0]
    if y.shape != (rows,) or not np.isin(y, (-1, 1)).all():
        raise FacecuesError(
            f"{path}: 'train_identity_y' has shape {y.shape} or values other than -1 and +1; "
            f"expected ({rows},) labels of the identity control task; {REWRITE}"
        )
    return y
