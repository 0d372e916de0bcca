import math

import numpy as np
import pandas as pd
import pytest

from facecues.data.celeba import CELEBA_ATTRIBUTES
from facecues.results.table1 import (
    AVG_40,
    AVG_PROBED,
    PAPER,
    RUN,
    TIDY_COLUMNS,
    read_table1,
    table1,
    write_table1,
)


def _scores(attrs=("Male", "Smiling", "Bald"), networks=("0", "1", "2"), selections=None):
    selections = selections or ("layer", "filter", "neuron")
    rng = np.random.default_rng(0)
    rows = []
    for network in networks:
        for attr in attrs:
            for i, sel in enumerate(selections):
                acc = 0.9 - 0.02 * i + rng.normal(0, 0.01)
                rows.append(
                    {"network": network, "attribute": attr, "selection": sel, "test_accuracy": acc}
                )
    return pd.DataFrame(rows)


def test_round_trip_and_files(tmp_path):
    scores = _scores()
    md, csv, tex = tmp_path / "t.md", tmp_path / "t.csv", tmp_path / "t.tex"
    frame = write_table1(scores, md, csv, tex)
    assert list(frame.columns) == TIDY_COLUMNS
    back = read_table1(csv)
    pd.testing.assert_frame_equal(frame, back)
    # this run's numbers: mean and std over networks in percent
    male = scores[(scores["attribute"] == "Male") & (scores["selection"] == "neuron")]
    cell = back[(back["source"] == RUN) & (back["row"] == "Best Neuron")]
    cell = cell[cell["column"] == "Male"].iloc[0]
    assert cell["mean"] == pytest.approx(100 * male["test_accuracy"].mean())
    assert cell["std"] == pytest.approx(100 * male["test_accuracy"].std(ddof=1))
    assert cell["networks"] == 3

    md_text, tex_text = md.read_text(), tex.read_text()
    for text in (md_text, tex_text):
        assert "Best Neuron" in text and "LNets+ANets" in text and "MOON" in text
        assert "AttCNN" in text and "97.7" in text  # paper's Best Layer, Male
        assert "90.9" in text  # MOON average
    assert "paper (quoted)" in md_text and "± " in md_text
    assert r"\toprule" in tex_text and r"\bottomrule" in tex_text and r"\pm" in tex_text
    assert "Wearing" not in md_text  # only probed attributes are columns
    assert "Multitask" in md_text  # the paper's multitask row is quoted
    # no multitask scores in this run -> no "this run" multitask row
    assert not ((frame["source"] == RUN) & (frame["row"] == "Multitask")).any()


def test_quoted_cells_and_blanks():
    frame = table1(_scores())
    paper = frame[(frame["source"] == PAPER) & (frame["row"] == "Best Neuron")]
    got = dict(zip(paper["column"], paper["mean"], strict=True))
    assert got == {"Male": 96.2, "Smiling": 83.4, AVG_40: 77.4}  # Bald: not in the paper
    lit = frame[frame["source"] == "literature"]
    assert set(lit["row"]) == {"MOON", "AttCNN", "LNets+ANets"}
    assert lit[lit["row"] == "MOON"]["column"].tolist() == [AVG_40]
    # column order: the paper's attributes first, in its order
    run = frame[(frame["source"] == RUN) & (frame["row"] == "Best Layer")]
    assert run["column"].tolist() == ["Male", "Smiling", "Bald", AVG_PROBED]


def test_paper_average_over_probed_when_complete():
    frame = table1(_scores(attrs=("Male", "Eyeglasses"), selections=("multitask", "layer")))
    paper = frame[(frame["source"] == PAPER) & (frame["column"] == AVG_PROBED)]
    avg = dict(zip(paper["row"], paper["mean"], strict=True))
    assert avg["Best Layer"] == pytest.approx((97.7 + 98.3) / 2)
    assert set(frame.loc[frame["source"] == RUN, "row"]) == {"Multitask", "Best Layer"}


def test_single_network_and_all_40(tmp_path):
    frame = write_table1(
        _scores(attrs=CELEBA_ATTRIBUTES, networks=("0",)),
        tmp_path / "a.md",
        tmp_path / "a.csv",
        tmp_path / "a.tex",
    )
    run = frame[frame["source"] == RUN]
    assert run["std"].isna().all() and (run["networks"] == 1).all()
    a40 = run[run["column"] == AVG_40]
    ap = run[run["column"] == AVG_PROBED]
    assert len(a40) == 3 and np.allclose(a40["mean"].to_numpy(), ap["mean"].to_numpy())
    pd.testing.assert_frame_equal(frame, read_table1(tmp_path / "a.csv"))
    assert "±" not in (tmp_path / "a.md").read_text().split("\n\n")[0].split("(quoted)")[0]


def test_control_networks_dropped_and_errors():
    s = _scores(networks=("0", "random0"))
    frame = table1(s)
    assert frame.loc[frame["source"] == RUN, "networks"].max() == 1
    bad = s.assign(selection="best")
    with pytest.raises(ValueError, match="unknown selection"):
        table1(bad)
    with pytest.raises(ValueError, match="duplicate"):
        table1(pd.concat([s, s]))
    with pytest.raises(ValueError, match="lacks columns"):
        table1(s.drop(columns="test_accuracy"))
    assert math.isnan(frame.loc[frame["source"] == PAPER, "std"].iloc[0])


def test_points_table_gives_back_the_studys_depth_landmarks(tmp_path):
    from facecues.errors import DataFormatError
    from facecues.nets.layout import depths_of_rows
    from facecues.results.tables import read_point_rows, write_points
    from facecues.study.study import load_study

    study = load_study(write=False)
    path = tmp_path / "points.tsv"
    write_points(study.point_rows, path)
    table = pd.read_csv(path, sep="\t")
    assert list(table["point"][[0, 49]]) == ["L01", "L50"]
    assert table.loc[22, "name"] == "layer3.0.relu1" and table.loc[0, "shape"] == "16x32x32"
    assert table["units"].sum() == sum(p.units for p in study.network_points)
    assert depths_of_rows(read_point_rows(path)) == study.depths
    path.write_text("point\tname\nL01\trelu\n")
    with pytest.raises(DataFormatError, match="not a points table"):
        read_point_rows(path)
