"""Table I: CelebA test accuracy of the selected layer, filter and neuron (PROTOCOL.md section 8).

Input: a test-score table, one row per (seed, attribute, selection), columns
``seed``, ``attribute``, ``selection`` (``multitask``, ``layer``, ``filter`` or
``neuron``) and ``test_accuracy`` (a fraction). Control networks (seeds named
``random*`` / ``shuffled*``) are left out.

The table itself is kept in a tidy form (:data:`TIDY_COLUMNS`), one row per
(source, row, column) cell that has a number:

- ``source``: ``this run``, ``paper`` (the paper's own results) or
  ``literature`` (other methods as quoted in the paper);
- ``row``: ``Multitask``, ``Best Layer``, ``Best Filter``, ``Best Neuron``,
  ``MOON``, ``AttCNN``, ``LNets+ANets``;
- ``column``: an attribute, ``Average (probed)`` or ``Average (all 40)``;
- ``mean`` and ``std`` in percent (``std`` over seeds; empty for quoted numbers
  and single-seed runs), ``seeds`` the number of seeds (0 for quoted numbers).

``Average (probed)`` is, per seed, the mean over the attributes this run probed,
then mean +- std over seeds; for quoted rows it is the mean of the quoted numbers
over the same attributes, given only where the paper reports all of them.
``Average (all 40)`` is the paper's 40-attribute average, and for this run's rows
only filled when all 40 attributes were scored.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import atomic_path, write_text
from .data.celeba import CELEBA_ATTRIBUTES
from .selection import is_control_seed

TIDY_COLUMNS = ["source", "row", "column", "mean", "std", "seeds"]
RUN, PAPER, LITERATURE = "this run", "paper", "literature"
SOURCES = (RUN, PAPER, LITERATURE)
ROWS = {
    "multitask": "Multitask",
    "layer": "Best Layer",
    "filter": "Best Filter",
    "neuron": "Best Neuron",
}
AVG_PROBED, AVG_40 = "Average (probed)", "Average (all 40)"

#: The 14 attributes of the paper's Table I, in its order.
PAPER_ATTRIBUTES = (
    "Male",
    "Smiling",
    "Eyeglasses",
    "Wearing_Hat",
    "Wearing_Lipstick",
    "Wavy_Hair",
    "High_Cheekbones",
    "Pointy_Nose",
    "Big_Nose",
    "Blurry",
    "Brown_Hair",
    "Oval_Face",
    "Narrow_Eyes",
    "Wearing_Necklace",
)
#: The paper's own rows: 14 attributes, then the average over all 40 (percent).
PAPER_ROWS = {
    "Multitask": (
        (98.2, 91.3, 99.5, 98.9, 93.7, 82.3, 86.2, 76.6, 83.9, 95.2, 86.2, 73.7, 85.6, 86.2),
        90.2,
    ),
    "Best Layer": (
        (97.7, 90.4, 98.3, 97.5, 92.1, 80.2, 83.6, 65.3, 72.6, 83.4, 74.0, 60.4, 71.3, 62.7),
        83.1,
    ),
    "Best Filter": (
        (96.4, 87.9, 96.7, 95.1, 89.9, 77.3, 81.0, 62.6, 69.6, 76.8, 67.3, 59.4, 72.4, 54.8),
        79.5,
    ),
    "Best Neuron": (
        (96.2, 83.4, 96.1, 96.3, 89.6, 70.5, 78.8, 65.3, 68.7, 69.8, 64.2, 60.3, 75.2, 54.7),
        77.4,
    ),
}
#: Literature rows as quoted in the paper: (per-attribute numbers or None, average).
LITERATURE_ROWS = {
    "MOON": (None, 90.9),
    "AttCNN": (None, 91.0),
    "LNets+ANets": ((98, 92, 99, 99, 93, 80, 87, 72, 78, 84, 80, 66, 81, 71), 87.0),
}
SOURCE_LABELS = {
    RUN: "this run",
    PAPER: "paper (quoted)",
    LITERATURE: "literature (quoted in paper)",
}


def _column_order(columns) -> list[str]:
    """Paper's 14 attributes first (its order), then CelebA order, then averages."""
    rank = {a: i for i, a in enumerate(PAPER_ATTRIBUTES)}
    for i, a in enumerate(CELEBA_ATTRIBUTES):
        rank.setdefault(a, len(PAPER_ATTRIBUTES) + i)
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
    s = scores[~scores["seed"].map(is_control_seed)].copy()
    s["seed"] = s["seed"].astype(str)
    unknown = set(s["selection"]) - set(ROWS)
    if unknown:
        raise ValueError(f"unknown selection(s) {sorted(unknown)}; expected {list(ROWS)}")
    s = s[s["test_accuracy"].notna()]
    dup = s.duplicated(["seed", "attribute", "selection"])
    if dup.any():
        first = s[dup].iloc[0]
        raise ValueError(
            f"{int(dup.sum())} duplicate score rows, e.g. seed {first['seed']}, "
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
            index="seed", columns="attribute", values="test_accuracy", aggfunc="mean"
        )
        acc = acc * 100.0
        for attr in probed:
            if attr in acc.columns:
                v = acc[attr].dropna()
                cells.append(_cell(RUN, label, attr, v.to_numpy()))
        if set(probed) <= set(acc.columns):
            per_seed = acc[probed].dropna().mean(axis=1)
            if len(per_seed):
                cells.append(_cell(RUN, label, AVG_PROBED, per_seed.to_numpy()))
        if set(CELEBA_ATTRIBUTES) <= set(acc.columns):
            per_seed = acc[list(CELEBA_ATTRIBUTES)].dropna().mean(axis=1)
            if len(per_seed):
                cells.append(_cell(RUN, label, AVG_40, per_seed.to_numpy()))
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
        "seeds": len(values),
    }


def _quoted_cells(source: str, rows: dict, probed: list[str]) -> list[dict]:
    cells = []
    for row, (numbers, avg40) in rows.items():
        quoted = dict(zip(PAPER_ATTRIBUTES, numbers, strict=True)) if numbers else {}
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
        "seeds": 0,
    }


def table1(scores: pd.DataFrame) -> pd.DataFrame:
    """Tidy Table I (:data:`TIDY_COLUMNS`): this run's rows, then the quoted ones.

    Rows of this run without any score are omitted; quoted rows keep only the
    probed attributes (and their averages).
    """
    missing = {"seed", "attribute", "selection", "test_accuracy"} - set(scores.columns)
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
    out["seeds"] = out["seeds"].astype(int)
    return out


def read_table1(csv_path: str | Path) -> pd.DataFrame:
    """Read back the CSV written by :func:`write_table1` (tidy, :data:`TIDY_COLUMNS`)."""
    frame = pd.read_csv(csv_path, dtype={"source": str, "row": str, "column": str})
    return _sorted(frame[TIDY_COLUMNS])


def _fmt(mean: float, std: float, tex: bool) -> str:
    if math.isnan(mean):
        return ""
    if math.isnan(std):
        return f"{mean:.1f}"
    return f"${mean:.1f} \\pm {std:.1f}$" if tex else f"{mean:.1f} ± {std:.1f}"


def _grid(frame: pd.DataFrame, tex: bool) -> tuple[list[str], list[tuple[str, str, list[str]]]]:
    columns = _column_order(frame["column"])
    index = {(s, r, c): (m, d) for s, r, c, m, d in frame[TIDY_COLUMNS[:5]].itertuples(False)}
    out = []
    for source, row in _row_order(frame):
        cells = [_fmt(*index.get((source, row, c), (math.nan, math.nan)), tex) for c in columns]
        out.append((source, row, cells))
    return columns, out


def _seeds_label(frame: pd.DataFrame) -> str:
    n = frame.loc[frame["source"] == RUN, "seeds"]
    n = int(n.max()) if len(n) else 0
    return f"this run ({n} seed{'s' if n != 1 else ''})"


def _header(col: str) -> str:
    return col.replace("_", " ")


def to_markdown(frame: pd.DataFrame) -> str:
    """Markdown rendering of a tidy Table I."""
    columns, rows = _grid(frame, tex=False)
    labels = dict(SOURCE_LABELS, **{RUN: _seeds_label(frame)})
    lines = [
        "| Source | Method | " + " | ".join(_header(c) for c in columns) + " |",
        "|---|---|" + "---:|" * len(columns),
    ]
    for source, row, cells in rows:
        lines.append(f"| {labels[source]} | {row} | " + " | ".join(cells) + " |")
    lines += ["", _NOTE.format(n=_n_probed(columns))]
    return "\n".join(lines) + "\n"


def _n_probed(columns: list[str]) -> int:
    return sum(c not in (AVG_PROBED, AVG_40) for c in columns)


_NOTE = (
    "CelebA test accuracy (%). This run: mean ± std over network seeds. "
    "Quoted rows are copied from Diniz & Schwartz (FG 2020), Table I; blank where the paper "
    "gives no number. Average (probed): mean over the {n} attributes probed here (quoted rows: "
    "only where the paper reports all of them). Average (all 40): over all 40 attributes."
)


def _tex_escape(s: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_")):
        s = s.replace(a, b)
    s = s.replace("±", r"$\pm$")
    return s


def to_latex(frame: pd.DataFrame) -> str:
    """LaTeX (booktabs) rendering of a tidy Table I: a ``tabular`` to ``\\input``."""
    columns, rows = _grid(frame, tex=True)
    labels = dict(SOURCE_LABELS, **{RUN: _seeds_label(frame)})
    out = [
        "% Table I, written by facecues.tables; needs \\usepackage{booktabs,graphicx}",
        "% " + _NOTE.format(n=_n_probed(columns)),
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
) -> pd.DataFrame:
    """Write Table I as Markdown, CSV (tidy, see :func:`read_table1`) and LaTeX.

    Returns the tidy table.
    """
    frame = table1(scores)
    for p in (md_path, csv_path, tex_path):
        Path(p).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(csv_path) as tmp:
        frame.to_csv(tmp, index=False)
    write_text(md_path, to_markdown(frame))
    write_text(tex_path, to_latex(frame))
    return frame
