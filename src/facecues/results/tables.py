"""The study's TSV tables, read back.

Every table the workflow writes (``results/accuracy/``, ``selection/``,
``test/``, ``multitask/``, ``tables/layer_accuracy.tsv``, ``test_scores.tsv``)
has one row per network (column ``network``) and attribute, and more keys
per table; ``read_tables`` reads one or several of them alike. The points table
(``tables/points.tsv``, one row per probe point) is written and read here too.
"""

from __future__ import annotations

import math

import pandas as pd

from facecues.errors import DataFormatError
from facecues.nets.layout import point_index

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


#: ``results/tables/points.tsv``: the network's probe points in forward order, as files,
#: tables and figures name them (the input ``L00`` is not one of the network's).
POINT_COLUMNS = ("point", "name", "kind", "layout", "shape", "stage", "units")


def write_points(rows, path) -> None:
    """Write the points table from rows (id, name, kind, layout, shape, stage), as the
    workflow passes them; ``shape`` is the stored, channels-first one (``16x32x32``)."""
    table = pd.DataFrame(
        [
            (pid, name, kind, layout, "x".join(map(str, shape)), stage, math.prod(shape))
            for pid, name, kind, layout, shape, stage in rows
        ],
        columns=list(POINT_COLUMNS),
    )
    write_table(table, path)


def read_point_rows(path) -> list[list]:
    """The points table as rows (index, name, kind, shape, stage), as
    ``facecues.nets.layout.depths_of_rows`` takes them."""
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    missing = set(POINT_COLUMNS) - set(table.columns)
    if missing:
        raise DataFormatError(f"{path}: not a points table; no column(s) {sorted(missing)}")
    return [
        [point_index(r.point), r.name, r.kind, [int(n) for n in r.shape.split("x")], r.stage]
        for r in table.itertuples(index=False)
    ]
