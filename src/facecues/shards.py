"""Activation shards and probe files, checked when opened and written atomically.

Two kinds of HDF5 file pass between the workflow's jobs:

- an activation shard ``results/activations/<net>/<attribute>/L07.h5``
  (written by ``facecues.extract``): datasets ``train`` (rows, units) float16
  or float32 and ``train_y`` (rows,) int8 in {-1, +1}; attributes ``point``,
  ``name``, ``kind``, ``shape``, ``index`` and, since this module exists,
  ``network`` and ``attribute``;
- a probe file ``results/probes/<net>/<attribute>/L07.h5`` (written by
  ``facecues.layer_probe``): the shard's attributes, ``vip`` (units,),
  ``filter_score`` (channels,), ``train_y`` and the probes packed in ``pls/``
  and ``raw/``.

``read_shard`` and ``read_probe_file`` open them with one FacecuesError,
naming the file and what was expected, for every way they can be wrong: not
HDF5 or truncated, a missing or mis-shaped dataset, a wrong dtype, attributes
naming another network, attribute or probe point, NaN or Inf activations (a
diverged network) and a point whose units are all constant (dead ReLUs).

``atomic_h5`` writes such a file under a temporary name and renames it when
complete, removing the temporary file on any error; a full disk becomes one
FacecuesError naming the file.
"""

from __future__ import annotations

import errno
import glob
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import h5py
import numpy as np

from .errors import FacecuesError

__all__ = [
    "SHARD_ATTRS",
    "atomic_h5",
    "atomic_h5_set",
    "check_free_space",
    "check_activations",
    "disk_full",
    "expect_attrs",
    "open_h5",
    "read_probe_file",
    "read_shard",
    "remove_stale_tmps",
    "truncate_files",
]

#: Attributes every shard and probe file carries (the probe point's description).
SHARD_ATTRS = ("point", "name", "kind", "shape", "index")
#: Attributes naming whose activations they are (recorded by extract since issue 11).
OWNER_ATTRS = ("network", "attribute")
FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32))
_POINT_NAME = re.compile(r"^L\d\d$")
K = TypeVar("K")
_REWRITE = "delete it and rerun the workflow to write it again"


def disk_full(e: BaseException) -> bool:
    """Whether ``e`` (an OSError, possibly raised by HDF5 with errno lost) means a full disk."""
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(e)
    return "No space left on device" in text or "errno = 28" in text or "Disk quota" in text


def _free_bytes(folder: Path) -> str:
    try:
        st = os.statvfs(folder)
        return f"{st.f_bavail * st.f_frsize / 1e6:.1f} MB free there now"
    except OSError:
        return "free space unknown"


def reserve_space(path: Path, nbytes: int) -> None:
    """Allocate ``nbytes`` of disk to the file at ``path`` now (ENOSPC here, cleanly,
    rather than inside HDF5's writes; HDF5 trims the file to its real size on close).
    A filesystem without fallocate support is left alone."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.posix_fallocate(fd, 0, nbytes)
    except OSError as e:
        if e.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
            raise
    finally:
        os.close(fd)


@contextmanager
def atomic_h5_set(
    paths: Mapping[K, str | Path], mode: str = "w", reserve: Mapping[K, int] | None = None
) -> Iterator[dict[K, h5py.File]]:
    """HDF5 files written under temporary names and renamed when ALL are complete.

    Yields {key: open file}. ``reserve`` (bytes per key) allocates each file's
    disk space up front, so a full disk is met before anything is written
    instead of inside HDF5 (whose library state a failed write can leave
    damaged). On success every file is closed first (a full disk shows at the
    latest when HDF5 flushes on close) and only then renamed to its path. On
    any error every temporary file is truncated (freeing its space while HDF5
    still holds it open), closed and removed, so no path is written; a full
    disk is re-raised as one FacecuesError naming the file.
    """
    paths = {k: Path(p) for k, p in paths.items()}
    tmps = {k: p.with_name(f"{p.stem}.tmp-{os.getpid()}{p.suffix}") for k, p in paths.items()}
    for p in paths.values():
        remove_stale_tmps(p)
    files: dict[K, h5py.File] = {}
    current = None
    try:
        for k, tmp in tmps.items():
            current = paths[k]
            tmp.parent.mkdir(parents=True, exist_ok=True)
            files[k] = h5py.File(tmp, mode)
            if reserve and reserve.get(k):
                reserve_space(tmp, reserve[k])
        current = None
        yield files
        for k, f in files.items():
            current = paths[k]
            f.close()
        for k, tmp in tmps.items():
            os.replace(tmp, paths[k])
    except BaseException as e:
        _discard(files, tmps)
        if not isinstance(e, FacecuesError) and disk_full(e):
            where = current or _named(e, tmps, paths) or next(iter(paths.values()), "")
            raise FacecuesError(
                f"{where}: no space left on device while writing it "
                f"({_free_bytes(Path(where).parent)}); nothing was kept: free space (or "
                "point results/ at a larger disk) and rerun"
            ) from None
        raise


def remove_stale_tmps(path: Path) -> list[Path]:
    """Delete the temporary files that killed writers of ``path`` left (``<stem>.tmp-<pid>``).

    Snakemake runs one job at a time per output, so a temporary file of ``path``
    found when a writer starts is a leftover (with its disk reserved, for a shard).
    """
    path = Path(path)
    stale = [
        t
        for t in path.parent.glob(f"{glob.escape(path.stem)}.tmp-*{glob.escape(path.suffix)}")
        if t.name != f"{path.stem}.tmp-{os.getpid()}{path.suffix}"
    ]
    for t in stale:
        t.unlink(missing_ok=True)
    return stale


def _named(e: BaseException, tmps: dict, paths: dict) -> Path | None:
    """The output whose temporary file HDF5's message names, if any."""
    for k, tmp in tmps.items():
        if str(tmp) in str(e):
            return paths[k]
    return None


def truncate_files(files) -> None:
    """Empty open HDF5 files that are being thrown away (frees a full disk)."""
    for f in files:
        try:
            os.truncate(f.filename, 0)
        except (OSError, ValueError):
            pass


def _discard(files: dict, tmps: dict) -> None:
    for k, tmp in tmps.items():
        try:
            os.truncate(tmp, 0)  # frees a full disk, so that HDF5's close can succeed
        except OSError:
            pass
        f = files.get(k)
        if f is not None and f.id.valid:
            try:
                f.close()
            except Exception:  # noqa: BLE001 - the file is being thrown away
                pass
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_h5(path: str | Path, mode: str = "w") -> Iterator[h5py.File]:
    """One HDF5 file written under a temporary name, renamed to ``path`` when complete
    (``atomic_h5_set`` of one file): ``path`` is either absent or complete."""
    with atomic_h5_set({0: path}, mode) as files:
        yield files[0]


def check_free_space(folder: str | Path, need: int, what: str) -> None:
    """FacecuesError if the disk holding ``folder`` has less than ``need`` bytes free."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free < need:
        raise FacecuesError(
            f"{folder}: {what} need {need / 1e6:,.1f} MB, only {free / 1e6:,.1f} MB free on its "
            "disk; nothing was written: free space (or point results/ at a larger disk, or use "
            "probe.dtype: float16) and rerun"
        )


def open_h5(path: str | Path, what: str) -> h5py.File:
    """Open ``path`` read-only, or raise FacecuesError saying it is missing, not HDF5 or
    truncated (``what`` says which file was expected)."""
    path = Path(path)
    if not path.is_file():
        raise FacecuesError(f"{path}: {what} not found")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        size = path.stat().st_size
        raise FacecuesError(
            f"{path}: not a readable HDF5 file ({size} bytes; truncated or not HDF5: {e}); "
            f"expected {what}; {_REWRITE}"
        ) from None


def _text(v) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def expect_attrs(path, f: h5py.File, what: str, **expected) -> dict:
    """Check ``f``'s attributes: the probe point's description is present, and those in
    ``expected`` (network, attribute, point; None = not checked) have the expected value.

    ``network`` and ``attribute`` are checked where the file records them (shards
    written before they were recorded do not). Returns the attributes as a dict.
    """
    meta = dict(f.attrs)
    missing = [a for a in SHARD_ATTRS if a not in meta]
    if missing:
        raise FacecuesError(
            f"{path}: attributes {missing} missing; expected {what} with attributes "
            f"{list(SHARD_ATTRS)} (written by facecues); {_REWRITE}"
        )
    for key, want in expected.items():
        if want is None or (key in OWNER_ATTRS and key not in meta):
            continue
        have = _text(meta.get(key))
        if have != str(want):
            raise FacecuesError(
                f"{path}: this file's {key} is {have!r}, expected {str(want)!r}: it belongs to "
                f"another {key} ({what} of network {_text(meta.get('network', '?'))}, attribute "
                f"{_text(meta.get('attribute', '?'))}, point {_text(meta['point'])}); {_REWRITE}"
            )
    return meta


def _point_from_name(path: Path) -> str | None:
    return path.stem if _POINT_NAME.match(path.stem) else None


def _units(meta) -> int:
    return int(np.prod([int(s) for s in np.atleast_1d(meta["shape"])]))


def _where(path, meta) -> str:
    net, attr = meta.get("network"), meta.get("attribute")
    owner = f" of network {_text(net)}" if net is not None else ""
    owner += f", attribute {_text(attr)}" if attr is not None else ""
    return f"{path}: probe point {_text(meta['point'])} ({_text(meta['name'])}){owner}"


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
    """Open an activation shard written by ``facecues.extract`` and check it.

    Returns (attributes, X float32 (rows, units), y int8 (rows,)). ``X`` is read
    in row blocks (a float16 shard converted block by block: memory holds the
    float32 array plus one block, never both whole copies). ``point`` defaults
    to the file name when it is one (``L07.h5``). Raises FacecuesError naming
    the file and what was expected (see the module's docstring).
    """
    path = Path(path)
    point = point or _point_from_name(path)
    what = "an activation shard (datasets train, train_y) written by facecues' extract step"
    with open_h5(path, what) as f:
        meta = expect_attrs(path, f, what, network=network, attribute=attribute, point=point)
        for name in ("train", "train_y"):
            if name not in f or not isinstance(f[name], h5py.Dataset):
                raise FacecuesError(f"{path}: dataset {name!r} missing; expected {what}")
        d, dy = f["train"], f["train_y"]
        units = _units(meta)
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
                f"{_REWRITE}"
            ) from None
    if not np.isin(y, (-1, 1)).all():
        raise FacecuesError(f"{path}: 'train_y' holds values other than -1 and +1")
    constant = int(np.count_nonzero(lo == hi)) if rows else units
    check_activations(_where(path, meta), nonfinite, x.size, constant, units, rows)
    return meta, x, y


def read_probe_file(
    path: str | Path,
    f: h5py.File,
    *,
    network: str | None = None,
    attribute: str | None = None,
    point: str | None = None,
) -> tuple[dict, dict]:
    """Read and check an open probe file written by ``facecues.layer_probe``; returns
    (attributes, contents).

    Every dataset is read once and checked as read: the attributes (as
    ``read_shard``), that ``vip``, ``train_y`` and the packed ``pls/`` and
    ``raw/`` probes exist with shapes consistent with each other and with the
    map's units, and that ``pls/`` holds the ``layer`` probe.
    ``contents``: ``train_y``, ``shuffled_y`` (None without the
    shuffled-label control), ``features`` {PLS probe: {``train``, ``columns``
    (None: the whole map), ``projection``, ``offset``, ``units``, ``vip`` (the
    mean over its units)}} and ``raw`` {``names``, ``units``, ``train``,
    ``offsets``, ``columns``, ``scores``}.
    """
    path = Path(path)
    point = point or _point_from_name(path)
    what = "a probe file (vip, train_y, pls/, raw/) written by facecues' pls_vip step"
    meta = expect_attrs(path, f, what, network=network, attribute=attribute, point=point)
    try:
        return meta, _read_probe_contents(path, f, meta, what)
    except OSError as e:
        raise FacecuesError(
            f"{path}: cannot read it ({e}); the file is truncated or damaged; {_REWRITE}"
        ) from None


def _read_probe_contents(path: Path, f: h5py.File, meta: dict, what: str) -> dict:
    units = _units(meta)
    for name in ("vip", "train_y"):
        if name not in f:
            raise FacecuesError(f"{path}: {name!r} missing; expected {what}; {_REWRITE}")
    if f["vip"].shape != (units,):
        raise FacecuesError(
            f"{path}: 'vip' has shape {f['vip'].shape}, expected ({units},), one per unit of "
            f"the map {tuple(int(s) for s in np.atleast_1d(meta['shape']))}; {_REWRITE}"
        )
    train_y = f["train_y"][...]
    rows = train_y.shape[0] if train_y.ndim == 1 else -1
    if rows < 2:
        raise FacecuesError(f"{path}: 'train_y' has shape {train_y.shape}, expected (rows,)")
    return {
        "train_y": train_y,
        "shuffled_y": f["shuffled_y"][...] if "shuffled_y" in f else None,
        "features": _read_pls_probes(path, f, rows, units),
        "raw": _read_raw_probes(path, f, rows, units),
    }


def _read_pls_probes(path: Path, f: h5py.File, rows: int, units: int) -> dict:
    """The packed PLS probes (``pls/``, facecues.layer_probe._write_pls_probes), read,
    checked and unpacked: {probe: {train, columns, projection, offset, units, vip}}."""
    where = f"{path}: pls"
    pls = _read_group(path, f, "pls", ("names", "offsets", "train", "projection", "offset",
                                       "columns", "units", "vip"))
    names = pls["names"]
    offsets, train, proj = pls["offsets"], pls["train"], pls["projection"]
    ends = (train.shape[-1] if train.ndim else -1, proj.shape[0] if proj.ndim else -1,
            pls["columns"].size, pls["units"].size)
    if (
        offsets.shape != (len(names) + 1, 4) or offsets[0].any()
        or np.any(np.diff(offsets, axis=0) < 0) or tuple(offsets[-1]) != ends
        or train.shape != (rows, ends[0]) or pls["offset"].shape != (ends[0],)
        or proj.ndim != 2 or pls["vip"].shape != (len(names),)
    ):
        raise FacecuesError(
            f"{where}: names, offsets, train {train.shape}, projection {proj.shape}, offset, "
            f"columns, units and vip disagree (expected train ({rows}, k)); {_REWRITE}"
        )
    if "layer" not in names:
        raise FacecuesError(f"{where}: no 'layer' probe among {names}; expected one; {_REWRITE}")
    columns = pls["columns"]
    if columns.ndim != 1 or columns.dtype.kind not in "iu":
        raise FacecuesError(f"{where}/columns: expected a 1-D integer array of units; {_REWRITE}")
    if columns.size and (columns.min() < 0 or columns.max() >= units):
        raise FacecuesError(
            f"{where}/columns reads units {columns.min()}..{columns.max()}, expected 0.."
            f"{units - 1}; {_REWRITE}"
        )
    features = {}
    for i, name in enumerate(names):
        (k0, r0, c0, u0), (k1, r1, c1, u1) = offsets[i], offsets[i + 1]
        cols = columns[c0:c1] if c1 > c0 else None
        if (r1 - r0) != (units if cols is None else cols.size) or not 0 < k1 - k0 <= proj.shape[1]:
            raise FacecuesError(
                f"{where}: probe {name!r} has {r1 - r0} projection rows and {k1 - k0} "
                f"features, expected one row per unit it reads "
                f"({units if cols is None else cols.size}) and 1..{proj.shape[1]} features; "
                f"{_REWRITE}"
            )
        features[name] = {
            "train": train[:, k0:k1],
            "columns": cols,
            "projection": proj[r0:r1, : k1 - k0],
            "offset": pls["offset"][k0:k1],
            "units": pls["units"][u0:u1],
            "vip": float(pls["vip"][i]),
        }
    return features


def _read_raw_probes(path: Path, f: h5py.File, rows: int, units: int) -> dict:
    """The packed raw-unit probes (``raw/``, facecues.layer_probe._write_raw_probes), read
    and checked."""
    where = f"{path}: raw"
    raw = _read_group(path, f, "raw", ("names", "units", "train", "offsets", "columns",
                                       "scores"))
    union, offsets, columns = raw["units"], raw["offsets"], raw["columns"]
    if raw["train"].shape != (rows, union.size):
        raise FacecuesError(
            f"{where}/train has shape {raw['train'].shape}, expected ({rows}, {union.size}); "
            f"{_REWRITE}"
        )
    n = len(raw["names"])
    if (
        offsets.shape != (n + 1,) or offsets[0] != 0 or np.any(np.diff(offsets) < 0)
        or offsets[-1] != columns.size or raw["scores"].shape != columns.shape
    ):
        raise FacecuesError(f"{where}: offsets, columns and scores disagree; {_REWRITE}")
    if union.size and (union.min() < 0 or union.max() >= units):
        raise FacecuesError(
            f"{where}/units reads units {union.min()}..{union.max()}, expected 0..{units - 1}; "
            f"{_REWRITE}"
        )
    if not np.isin(columns, union).all():
        raise FacecuesError(f"{where}/columns names units missing from raw/units; {_REWRITE}")
    return raw


def _read_group(path: Path, f: h5py.File, group: str, parts: tuple[str, ...]) -> dict:
    """Every dataset ``parts`` of the packed group ``group`` (``pls``, ``raw``), read whole;
    ``names`` as a list of str."""
    if group not in f or any(k not in f[group] for k in parts):
        raise FacecuesError(
            f"{path}: {group}: expected the datasets {', '.join(parts)}; {_REWRITE}"
        )
    out = {k: f[group][k][...] for k in parts}
    out["names"] = [_text(n) for n in out["names"]]
    return out
