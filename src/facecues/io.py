"""Writing outputs so that a killed job never leaves one that looks finished.

Every output is written under a temporary name (``<stem>.tmp-<pid><suffix>``,
the suffix kept so that writers choosing a format from the name still do)
and renamed when complete. A job killed mid-write (SIGKILL, node loss, a
full disk) then leaves at most such a temporary file beside the output,
never a file with the output's name that a later run could take as done,
even without Snakemake's own incomplete markers.

- ``atomic_path`` / ``write_text``: any file;
- ``atomic_h5_set`` / ``atomic_h5``: HDF5 files, one or several renamed
  together, their disk reserved up front, a full disk turned into one
  FacecuesError naming the file;
- ``check_free_space``, ``open_h5``: the checks before a write and a read.

h5py is imported only by the HDF5 functions: jobs that write text import
none of it.
"""

from __future__ import annotations

import errno
import glob
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from facecues.errors import ConfigError, FacecuesError

if TYPE_CHECKING:
    import h5py

__all__ = [
    "REWRITE",
    "atomic_h5",
    "atomic_h5_set",
    "atomic_path",
    "check_free_space",
    "disk_full",
    "open_h5",
    "read_yaml",
    "remove_stale_tmps",
    "truncate_files",
    "write_text",
]

K = TypeVar("K")
#: What to do about a damaged file the workflow wrote.
REWRITE = "delete it and rerun the workflow to write it again"


def temporary_name(path: Path) -> Path:
    """The name a writer of ``path`` in this process uses until the file is complete."""
    return path.with_name(f"{path.stem}.tmp-{os.getpid()}{path.suffix}")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    On an exception the temporary file is removed and the exception propagates.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    """``Path(path).write_text(text)``, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


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


def remove_stale_tmps(path: Path) -> list[Path]:
    """Delete the temporary files that killed writers of ``path`` left (``<stem>.tmp-<pid>``).

    Snakemake runs one job at a time per output, so a temporary file of ``path``
    found when a writer starts is a leftover (with its disk reserved, for a shard).
    """
    path = Path(path)
    pattern = f"{glob.escape(path.stem)}.tmp-*{glob.escape(path.suffix)}"
    stale = [t for t in path.parent.glob(pattern) if t != temporary_name(path)]
    for t in stale:
        t.unlink(missing_ok=True)
    return stale


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
    import h5py

    paths = {k: Path(p) for k, p in paths.items()}
    tmps = {k: temporary_name(p) for k, p in paths.items()}
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


@contextmanager
def atomic_h5(path: str | Path, mode: str = "w") -> Iterator[h5py.File]:
    """One HDF5 file written under a temporary name, renamed to ``path`` when complete
    (``atomic_h5_set`` of one file): ``path`` is either absent or complete."""
    with atomic_h5_set({0: path}, mode) as files:
        yield files[0]


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


def open_h5(path: str | Path, what: str) -> h5py.File:
    """Open ``path`` read-only, or raise FacecuesError saying it is missing, not HDF5 or
    truncated (``what`` says which file was expected)."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise FacecuesError(f"{path}: {what} not found")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        size = path.stat().st_size
        raise FacecuesError(
            f"{path}: not a readable HDF5 file ({size} bytes; truncated or not HDF5: {e}); "
            f"expected {what}; {REWRITE}"
        ) from None


def read_yaml(path: str | Path) -> dict:
    """A YAML mapping from ``path`` (empty file: {}), or ConfigError naming the file."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the config file ({e.strerror or e})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({' '.join(str(e).split())})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of config keys, got {type(data).__name__}")
    return data
