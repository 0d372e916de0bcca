"""HTML pages of the study's text results, for the Snakemake report and a browser.

Snakemake's report embeds HTML results in the page; Markdown and TSV files
it only offers for download. ``markdown_page`` renders Table I and the
summary (Python-Markdown, its ``tables`` extension), ``accuracy_page`` a
compact view of ``layer_accuracy.tsv`` (whole-layer accuracy per attribute and
point, coloured, and the controls at the depth landmarks) instead of the whole
table. Pages are self-contained: inline style, no script, no request.
"""

from __future__ import annotations

import html

import markdown
import numpy as np
import pandas as pd

from facecues.nets.names import is_control

STYLE = """
body { font-family: system-ui, sans-serif; font-size: 14px; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 12px; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; }
th { background: #f2f2f2; }
code { font-size: 12px; }
"""


def document(title: str, body: str, style: str = "") -> str:
    """A self-contained HTML page: ``body`` under the pages' inline style (and ``style``
    after it)."""
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}{style}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )


def table_points(table: pd.DataFrame) -> list[tuple[str, str]]:
    """(point, name) of the probe points in an accuracy table, in depth order."""
    ordered = table.drop_duplicates("point").sort_values("depth")
    return list(ordered[["point", "name"]].itertuples(index=False, name=None))


# A wide table scrolls inside its own box, its label columns (``sticky`` of them) stay in
# view, and a number with its interval never wraps ("85.6 ±" over "0.7").
WIDE_TABLE = """
.scroll { overflow-x: auto; max-width: 100%; }
.scroll table { margin: 0; border-collapse: separate; border-spacing: 0;
  border-top: 1px solid #ccc; border-left: 1px solid #ccc; }
.scroll td, .scroll th { white-space: nowrap; border-width: 0 1px 1px 0; }
.sticky2 tr > :nth-child(-n+2) { position: sticky; background: #fff; z-index: 1; }
.sticky2 tr > :nth-child(1) { left: 0; box-sizing: border-box; width: 14em; min-width: 14em;
  max-width: 14em; white-space: normal; }
.sticky2 tr > :nth-child(2) { left: 14em; }
.sticky2 th:nth-child(-n+2) { background: #f2f2f2; }
"""


# The accuracy view's cells: two digits each, so that 51 points fit a 1,400 px page.
COMPACT = """
.compact td, .compact th { padding: 0 1px; font-size: 10px; }
.compact tr > :nth-child(1) { box-sizing: border-box; width: 10em; min-width: 10em;
  max-width: 10em; }
.compact tr > :nth-child(2) { left: 10em; }
"""


def markdown_page(text: str, title: str, wide: bool = False) -> str:
    """A Markdown text (summary.md, table1.md) as a self-contained HTML page; ``wide``:
    its tables scroll in their own box, the first two columns kept in view, cells unwrapped
    (Table I)."""
    body = markdown.markdown(text, extensions=["tables"])
    if wide:
        body = body.replace("<table>", "<div class='scroll sticky2'><table>").replace(
            "</table>", "</table></div>"
        )
    return document(title, body, WIDE_TABLE if wide else "")


def _colour(acc: float) -> str:
    """Background of an accuracy cell: white at chance (50%), blue at 100%."""
    if not np.isfinite(acc):
        return "#fff"
    t = min(1.0, max(0.0, (acc - 0.5) / 0.5))
    r, g = int(255 - 200 * t), int(255 - 120 * t)
    return f"rgb({r},{g},255)"


def accuracy_page(table: pd.DataFrame) -> str:
    """A compact view of the accuracy table: the trained networks' whole-layer validation
    accuracy per attribute and probe point (mean over networks, coloured), and per
    attribute the untrained networks' and the identity task's beside it at the same
    points. The whole table stays a file (``layer_accuracy.tsv``)."""
    t = table[table["probe"] == "layer"].copy()
    t["control"] = t["network"].astype(str).map(is_control).astype(bool)
    points = table_points(t)
    trained = t[~t["control"]].groupby(["attribute", "point"])["accuracy"].mean()
    untrained = t[t["control"]].groupby(["attribute", "point"])["accuracy"].mean()
    task = (
        t[~t["control"]].groupby(["attribute", "point"])["identity_task_accuracy"].mean()
        if "identity_task_accuracy" in t
        else pd.Series(dtype=float)
    )
    attributes = list(dict.fromkeys(t["attribute"]))
    n_trained = t.loc[~t["control"], "network"].nunique()
    n_untrained = t.loc[t["control"], "network"].nunique()
    head = "".join(
        f"<th title='{html.escape(name)}'>{html.escape(point)}</th>" for point, name in points
    )
    parts = [
        "<h1>Whole-layer accuracy over depth</h1>",
        f"<p>Validation accuracy of the whole-layer probe (PLS(8) + QDA), mean over "
        f"{n_trained} trained network(s); per attribute, the rows below give the same probe "
        f"on {n_untrained} untrained network(s) and on the identity control task (a random "
        "label per person). L00 is the input pixels; hover a point for its place in the "
        "network. Colour: white at chance (50%), blue at 100%. Every probe of every network "
        "is in <code>results/tables/layer_accuracy.tsv</code>.</p>",
        "<div class='scroll sticky2 compact'>"
        f"<table style='text-align:right'><tr><th>attribute</th><th>probe of</th>{head}</tr>",
    ]
    for attr in attributes:
        for label, series in (
            ("trained", trained),
            ("untrained", untrained),
            ("identity task", task),
        ):
            if not len(series) or attr not in series.index.get_level_values(0):
                continue
            cells = []
            for point, _ in points:
                acc = float(series.get((attr, point), np.nan))
                text = f"{100 * acc:.0f}" if np.isfinite(acc) else ""
                cells.append(f"<td style='background:{_colour(acc)}'>{text}</td>")
            name = html.escape(attr.replace("_", " ")) if label == "trained" else ""
            parts.append(f"<tr><td>{name}</td><td>{label}</td>{''.join(cells)}</tr>")
    parts.append("</table></div>")
    return document("Whole-layer accuracy over depth", "\n".join(parts), WIDE_TABLE + COMPACT)
