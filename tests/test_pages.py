"""HTML pages of Table I, the summary and the accuracy table (results/pages.py)."""

import re

import pandas as pd

from facecues.results.pages import accuracy_page, markdown_page


def test_markdown_tables_become_html_tables_in_a_self_contained_page():
    page = markdown_page("# Title\n\n| a | b |\n|---|---:|\n| x | 1.0 |\n", "T")
    assert page.startswith("<!doctype html>") and "<title>T</title>" in page
    assert "<table>" in page and "<td>x</td>" in page and "<h1>Title</h1>" in page
    assert not re.search(r"<script|https?://|src=", page)  # no request, no script


def test_accuracy_view_has_a_row_per_attribute_and_kind_of_network():
    rows = []
    for network, acc, task in (("0", 0.9, 0.6), ("1", 0.8, 0.55), ("random0", 0.5, None)):
        for point, depth in (("L00", 0), ("L01", 1)):
            rows.append(
                dict(network=network, attribute="Male", point=point, name=f"n{depth}",
                     depth=depth, probe="layer", accuracy=acc, identity_task_accuracy=task)
            )  # fmt: skip
    rows.append({**rows[0], "probe": "neuron", "accuracy": 0.1})  # not a whole-layer row
    page = accuracy_page(pd.DataFrame(rows))
    assert "<th title='n0'>L00</th><th title='n1'>L01</th>" in page
    trained = re.search(r"<tr><td>Male</td><td>trained</td>(.*?)</tr>", page)[1]
    assert re.findall(r">(\d+)</td>", trained) == ["85", "85"]  # mean of 90% and 80%
    assert "<td></td><td>untrained</td><td style='background:rgb(255,255,255)'>50</td>" in page
    assert "<td>identity task</td>" in page and "2 trained network(s)" in page
