"""The study's TSV tables, read back.

Every table the workflow writes (``results/accuracy/``, ``selection/``,
``test/``, ``multitask/``, ``tables/layer_accuracy.tsv``, ``test_scores.tsv``)
has one row per network (column ``network``) and attribute, and more keys
per table; ``read_tables`` reads one or several of them alike.
"""

from __future__ import annotations

import pandas as pd

TEXT_COLUMNS = {"network": str, "units": str}
"""Columns read as text: network names (``0`` is a name, not a number), and unit lists,
where a single index ("17") would otherwise come back as a float ("17.0")."""


def read_tables(*paths) -> pd.DataFrame:
    """One or more of the study's TSV tables (accuracy, selection, test scores), concatenated."""
    frames = [pd.read_csv(p, sep="\t", dtype=TEXT_COLUMNS) for p in paths]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def write_table(table: pd.DataFrame, path) -> None:
    """Write one of the study's tables as TSV, atomically (``facecues.io.atomic_path``)."""
    from facecues.io import atomic_path

    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False)
