"""Per-job logging for workflow steps."""

from __future__ import annotations

import logging
import sys


def log_to(path: str | None) -> None:
    """Send logging and stderr (tqdm progress bars, warnings) to ``path`` (if given)."""
    if path:
        sys.stderr = open(path, "a", buffering=1)  # noqa: SIM115 - lives for the job
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
