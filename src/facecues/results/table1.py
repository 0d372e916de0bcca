"""Table I: test accuracy (CelebA's, or the synthetic world's) of the selected layer,
filter and neuron (docs/protocol.md §8).

Input: a test-score table, one row per (network, attribute, selection), columns
``network``, ``attribute``, ``selection`` (``multitask``, ``layer``, ``filter`` or
``neuron``) and ``test_accuracy`` (a fraction). Control networks (``random*``,
``facecues.nets.names``) are left out.

The table itself is kept in a tidy form (:data:`TIDY_COLUMNS`), one row per
(source, row, column) cell that has a number:

- ``source``: ``this run``, ``paper`` (the paper's own results) or
  ``literature`` (other methods as quoted in the paper);
- ``row``: ``Multitask``, ``Best Layer``, ``Best Filter``, ``Best Neuron``,
  ``MOON``, ``AttCNN``, ``LNets+ANets``;
- ``column``: an attribute, ``Average (probed)`` or ``Average (all 40)``;
- ``mean`` and ``std`` in percent (``std`` over networks; empty for quoted numbers
  and single-network runs), ``networks`` the number of networks (0 for quoted
  numbers).

``Average (probed)`` is, per network, the mean over the attributes this run probed,
then mean +- std over networks; for quoted rows it is the mean of the quoted numbers
over the same attributes, given only where the paper reports all of them.
``Average (all 40)`` is the paper's 40-attribute average, and for this run's rows
only filled when all 40 attributes were scored.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from facecues.data.celeba import CELEBA_ATTRIBUTES
from facecues.io import atomic_path, write_text
from facecues.literature import ALL_ATTRIBUTES, LITERATURE_ROWS, PAPER_ROWS, TABLE1_ATTRIBUTES
from facecues.nets.names import is_control

TIDY_COLUMNS = ["source", "row", "column", "mean", "std", "networks"]
RUN, PAPER, LITERATURE = "this run", "paper", "literature"
SOURCES = (RUN, PAPER, LITERATURE)
ROWS = {
    "multitask": "Multitask",
    "layer": "Best Layer",
    "filter": "Best Filter",
    "neuron": "Best Neuron",
}
AVG_PROBED, AVG_40 = "Average (probed)", f"Average (all {ALL_ATTRIBUTES})"

SOURCE_LABELS = {
    RUN: "this run",
    PAPER: "paper (quoted)",
    LITERATURE: "literature (quoted in paper)",
}


def _column_order(columns) -> list[str]:
    """Paper's 14 attributes first (its order), then CelebA order, then averages."""
    rank = {a: i for i, a in enumerate(TABLE1_ATTRIBUTES)}
    for i, a in enumerate(CELEBA_ATTRIBUTES):
        rank.setdefault(a, len(TABLE1_ATTRIBUTES) + i)
    averages = [c for c in (AVG_PROBED, AVG_40) if c in set(columns)]
    attrs = sorted(
        {c for c in columns if c not in (AVG_PROBED, AVG_40)},
        key=lambda a: (rank.get(a, 10_000), a),
    )
    return attrs + averages


def _row_order(frame: pd.DataFrame) -> list[tuple[str, str]]:
    names = list(ROWS.values()) + list(LITERATURE_ROWS)
    keys = {(s, r) for s, r in zip(frame["source"], frame["row"], strict=True)}
    return sorted(keys, key=lambda k: (SOURCES.index(k[0]), names.index(k[1])))


def _run_cells(scores: pd.DataFrame) -> tuple[list[dict], list[str]]:
    s = scores[~scores["network"].map(is_control)].copy()
    s["network"] = s["network"].astype(str)
    unknown = set(s["selection"]) - set(ROWS)
    if unknown:
        raise ValueError(f"unknown selection(s) {sorted(unknown)}; expected {list(ROWS)}")
    s = s[s["test_accuracy"].notna()]
    dup = s.duplicated(["network", "attribute", "selection"])
    if dup.any():
        first = s[dup].iloc[0]
        raise ValueError(
            f"{int(dup.sum())} duplicate score rows, e.g. network {first['network']}, "
            f"{first['attribute']}, {first['selection']}"
        )
    probed = s.loc[s["selection"] != "multitask", "attribute"].unique().tolist()
    if not probed:
        probed = s["attribute"].unique().tolist()
    cells = []
    for selection, label in ROWS.items():
        r = s[s["selection"] == selection]
        if r.empty:
            continue
        acc = r.pivot_table(
            index="network", columns="attribute", values="test_accuracy", aggfunc="mean"
        )
        acc = acc * 100.0
        for attr in probed:
            if attr in acc.columns:
                v = acc[attr].dropna()
                cells.append(_cell(RUN, label, attr, v.to_numpy()))
        if set(probed) <= set(acc.columns):
            per_network = acc[probed].dropna().mean(axis=1)
            if len(per_network):
                cells.append(_cell(RUN, label, AVG_PROBED, per_network.to_numpy()))
        if set(CELEBA_ATTRIBUTES) <= set(acc.columns):
            per_network = acc[list(CELEBA_ATTRIBUTES)].dropna().mean(axis=1)
            if len(per_network):
                cells.append(_cell(RUN, label, AVG_40, per_network.to_numpy()))
    return cells, probed


def _cell(source, row, column, values) -> dict:
    values = np.asarray(values, dtype=float)
    std = float(values.std(ddof=1)) if len(values) > 1 else math.nan
    return {
        "source": source,
        "row": row,
        "column": column,
        "mean": float(values.mean()),
        "std": std,
        "networks": len(values),
    }


def _quoted_cells(source: str, rows: dict, probed: list[str]) -> list[dict]:
    cells = []
    for row, (numbers, avg40) in rows.items():
        quoted = dict(zip(TABLE1_ATTRIBUTES, numbers, strict=True)) if numbers else {}
        for attr in probed:
            if attr in quoted:
                cells.append(_quoted(source, row, attr, quoted[attr]))
        if quoted and probed and all(a in quoted for a in probed):
            mean = float(np.mean([quoted[a] for a in probed]))
            cells.append(_quoted(source, row, AVG_PROBED, mean))
        cells.append(_quoted(source, row, AVG_40, avg40))
    return cells


def _quoted(source, row, column, value) -> dict:
    return {
        "source": source,
        "row": row,
        "column": column,
        "mean": float(value),
        "std": math.nan,
        "networks": 0,
    }


def table1(scores: pd.DataFrame) -> pd.DataFrame:
    """Tidy Table I (:data:`TIDY_COLUMNS`): this run's rows, then the quoted ones.

    Rows of this run without any score are omitted; quoted rows keep only the
    probed attributes (and their averages).
    """
    missing = {"network", "attribute", "selection", "test_accuracy"} - set(scores.columns)
    if missing:
        raise ValueError(f"score table lacks columns {sorted(missing)}")
    cells, probed = _run_cells(scores)
    cells += _quoted_cells(PAPER, PAPER_ROWS, probed)
    cells += _quoted_cells(LITERATURE, LITERATURE_ROWS, probed)
    frame = pd.DataFrame(cells, columns=TIDY_COLUMNS)
    return _sorted(frame)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    rows = {k: i for i, k in enumerate(_row_order(frame))}
    cols = {c: i for i, c in enumerate(_column_order(frame["column"]))}
    key = [
        (rows[(s, r)], cols[c])
        for s, r, c in zip(frame["source"], frame["row"], frame["column"], strict=True)
    ]
    order = sorted(range(len(frame)), key=key.__getitem__)
    out = frame.iloc[order].reset_index(drop=True)
    out["networks"] = out["networks"].astype(int)
    return out


def read_table1(csv_path: str | Path) -> pd.DataFrame:
    """Read back the CSV written by :func:`write_table1` (tidy, :data:`TIDY_COLUMNS`)."""
    frame = pd.read_csv(csv_path, dtype={"source": str, "row": str, "column": str})
    return _sorted(frame[TIDY_COLUMNS])


def format_mean_std(mean: float, std: float, tex: bool = False) -> str:
    """A cell: ``mean ± std`` (one decimal), ``mean`` alone without a std, "" without a
    mean; in LaTeX math with ``tex``."""
    if math.isnan(mean):
        return ""
    if math.isnan(std):
        return f"{mean:.1f}"
    return f"${mean:.1f} \\pm {std:.1f}$" if tex else f"{mean:.1f} ± {std:.1f}"


#: The test set of a study on CelebA; ``data_label`` names the synthetic world's.
CELEBA = "CelebA"


def data_label(source: str) -> str:
    """The name of the test set Table I's "this run" rows were scored on (``data.source``)."""
    return CELEBA if source != "synthetic" else "The synthetic world's (CelebA-format)"


def _grid(frame: pd.DataFrame, tex: bool) -> tuple[list[str], list[tuple[str, str, list[str]]]]:
    columns = _column_order(frame["column"])
    index = {(s, r, c): (m, d) for s, r, c, m, d in frame[TIDY_COLUMNS[:5]].itertuples(False)}
    out = []
    for source, row in _row_order(frame):
        missing = (math.nan, math.nan)
        cells = [format_mean_std(*index.get((source, row, c), missing), tex) for c in columns]
        out.append((source, row, cells))
    return columns, out


def _networks_label(frame: pd.DataFrame) -> str:
    n = frame.loc[frame["source"] == RUN, "networks"]
    n = int(n.max()) if len(n) else 0
    return f"this run ({n} network{'s' if n != 1 else ''})"


def _header(col: str) -> str:
    return col.replace("_", " ")


def to_markdown(frame: pd.DataFrame, produced_by: str | None = None, data: str = CELEBA) -> str:
    """Markdown rendering of a tidy Table I (``produced_by``: a last line naming the
    commit and config hash, facecues.results.provenance.stamp; ``data``: the test set's
    name, ``data_label``)."""
    columns, rows = _grid(frame, tex=False)
    labels = dict(SOURCE_LABELS, **{RUN: _networks_label(frame)})
    lines = [
        "| Source | Method | " + " | ".join(_header(c) for c in columns) + " |",
        "|---|---|" + "---:|" * len(columns),
    ]
    for source, row, cells in rows:
        lines.append(f"| {labels[source]} | {row} | " + " | ".join(cells) + " |")
    lines += ["", _NOTE.format(n=_n_probed(columns), data=data)]
    if produced_by:
        lines += ["", f"Produced by {produced_by}."]
    return "\n".join(lines) + "\n"


def _n_probed(columns: list[str]) -> int:
    return sum(c not in (AVG_PROBED, AVG_40) for c in columns)


_NOTE = (
    "{data} test accuracy (%). This run: mean ± std (standard deviation) over networks. "
    "Quoted rows are copied from Diniz & Schwartz (FG 2020), Table I; blank where the paper "
    "gives no number. Average (probed): mean over the {n} attributes probed here (quoted rows: "
    "only where the paper reports all of them). Average (all 40): over all 40 attributes."
)


def _tex_escape(s: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_")):
        s = s.replace(a, b)
    s = s.replace("±", r"$\pm$")
    return s


def to_latex(frame: pd.DataFrame, data: str = CELEBA) -> str:
    """LaTeX (booktabs) rendering of a tidy Table I: a ``tabular`` to ``\\input``."""
    columns, rows = _grid(frame, tex=True)
    labels = dict(SOURCE_LABELS, **{RUN: _networks_label(frame)})
    out = [
        "% Table I, written by facecues.results.table1; needs \\usepackage{booktabs,graphicx}",
        "% " + _NOTE.format(n=_n_probed(columns), data=data),
        r"\begin{tabular}{l" + "r" * len(columns) + "}",
        r"\toprule",
        "Method & "
        + " & ".join(r"\rotatebox{90}{" + _tex_escape(_header(c)) + "}" for c in columns)
        + r" \\",
    ]
    previous = None
    for source, row, cells in rows:
        if source != previous:
            out.append(r"\midrule")
            out.append(
                rf"\multicolumn{{{len(columns) + 1}}}{{l}}"
                rf"{{\emph{{{_tex_escape(labels[source])}}}}} \\"
            )
            previous = source
        out.append(_tex_escape(row) + " & " + " & ".join(cells) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(out) + "\n"


def write_table1(
    scores: pd.DataFrame,
    md_path: str | Path,
    csv_path: str | Path,
    tex_path: str | Path,
    produced_by: str | None = None,
    data: str = CELEBA,
) -> pd.DataFrame:
    """Write Table I as Markdown, CSV (tidy, see :func:`read_table1`) and LaTeX;
    ``produced_by`` (the commit and config hash) closes the Markdown, opens the LaTeX as
    a comment and fills the CSV's ``produced_by`` column; ``data`` names the test set in
    the notes (``data_label``).

    Returns the tidy table.
    """
    frame = table1(scores)
    for p in (md_path, csv_path, tex_path):
        Path(p).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(csv_path) as tmp:
        frame.assign(produced_by=produced_by or "").to_csv(tmp, index=False)
    write_text(md_path, to_markdown(frame, produced_by, data))
    tex = to_latex(frame, data)
    write_text(tex_path, f"% Produced by {produced_by}\n{tex}" if produced_by else tex)
    return frame
