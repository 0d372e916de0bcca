"""Write outputs under a temporary name and rename them when complete.

A job killed mid-write (SIGKILL, node loss, a full disk) then leaves at most a
``<name>.tmp-<pid>`` file beside the output, never a file with the output's
name that a later run could take as finished, even without Snakemake's own
incomplete markers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "write_text"]


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    The suffix of ``path`` is kept (``fig3.tmp-12.png``) so writers that choose
    a format from the name (matplotlib, pandas) still do. On an exception the
    temporary file is removed and the exception propagates.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.tmp-{os.getpid()}{path.suffix}")
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
