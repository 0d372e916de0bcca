import numpy as np
import pandas as pd
import pytest

from facecues.nets.names import is_control
from facecues.results.selection import COLUMNS, select_units


def _row(network, attr, depth, probe, rank, acc, kind="output"):
    return {
        "network": network,
        "attribute": attr,
        "point": f"L{depth:02d}",
        "name": f"p{depth}",
        "kind": kind,
        "depth": depth,
        "probe": probe,
        "rank": rank,
        "units": f"{depth * 100 + rank}",
        "vip": 1.0,
        "accuracy": acc,
    }


@pytest.fixture
def table():
    rows = []
    # network 0, Male: layer best at depth 3; tie 0.9 at depths 3 and 5 -> 3.
    for d, a in [(1, 0.7), (3, 0.9), (5, 0.9), (7, 0.8)]:
        rows.append(_row("0", "Male", d, "layer", 0, a))
    # neurons: tie 0.85 at (depth 5, rank 2) and (depth 5, rank 1) and (depth 7, rank 1)
    rows += [
        _row("0", "Male", 3, "neuron", 1, 0.80),
        _row("0", "Male", 5, "neuron", 2, 0.85),
        _row("0", "Male", 5, "neuron", 1, 0.85),
        _row("0", "Male", 7, "neuron", 1, 0.85),
        _row("0", "Male", 7, "neuron", 3, np.nan),
    ]
    # filters: clear winner at depth 7 rank 4
    rows += [
        _row("0", "Male", 3, "filter", 1, 0.81),
        _row("0", "Male", 7, "filter", 4, 0.88),
        _row("0", "Male", 7, "filter", 1, 0.87),
    ]
    # joint probes and VIP neurons must never be selected, even when higher
    rows += [
        _row("0", "Male", 1, "filters", 0, 0.99),
        _row("0", "Male", 1, "neurons", 0, 0.99),
        _row("0", "Male", 1, "vip", 7, 0.99),
    ]
    # network 1, Smiling: only layer rows
    rows += [_row("1", "Smiling", d, "layer", 0, 0.6 + d / 100) for d in (1, 2)]
    return pd.DataFrame(rows)


def test_winners_and_ties(table):
    sel = select_units(table)
    assert list(sel.columns) == COLUMNS
    got = {(r.network, r.attribute, r.selection): r for r in sel.itertuples()}
    assert set(got) == {
        ("0", "Male", "layer"),
        ("0", "Male", "filter"),
        ("0", "Male", "neuron"),
        ("1", "Smiling", "layer"),
    }
    layer = got[("0", "Male", "layer")]
    assert (layer.depth, layer.point, layer.rank, layer.val_accuracy) == (3, "L03", 0, 0.9)
    neuron = got[("0", "Male", "neuron")]
    assert (neuron.depth, neuron.rank, neuron.val_accuracy) == (5, 1, 0.85)
    assert neuron.units == "501"
    filt = got[("0", "Male", "filter")]
    assert (filt.depth, filt.rank, filt.val_accuracy) == (7, 4, 0.88)
    assert got[("1", "Smiling", "layer")].depth == 2


def test_order_independent(table):
    a = select_units(table)
    b = select_units(table.sample(frac=1.0, random_state=3))
    pd.testing.assert_frame_equal(a, b)


def test_integer_network_names_become_strings(table):
    t = table.copy()
    t["network"] = t["network"].astype(int)
    assert select_units(t)["network"].tolist()[0] == "0"


def test_missing_columns():
    with pytest.raises(ValueError, match="accuracy"):
        select_units(pd.DataFrame({"network": [], "attribute": []}))


def test_control_names():
    assert is_control("random0") and is_control("random12")
    assert not is_control("0") and not is_control(3) and not is_control("my_random")


def test_top_k_1_unit_lists_survive_the_tsv_round_trip(tmp_path):
    # probe.top_k: 1 makes every unit list a single index; read back as numbers they
    # became "123.0" and score_test crashed on int("123.0")
    import h5py

    from facecues.probes.scoring import first_unit, write_unit_activations
    from facecues.results.tables import read_tables

    rows = [
        dict(network="0", attribute="Male", point=f"L{d:02d}", name=f"n{d}", depth=d, probe=probe,
             rank=rank, units=units, accuracy=acc)
        for d, acc in ((1, 0.7), (2, 0.8))
        for probe, rank, units in (("layer", 0, ""), ("neuron", 1, 123 + d), ("filter", 1, 5))
    ]  # fmt: skip
    path = tmp_path / "Male.tsv"
    pd.DataFrame(rows).to_csv(path, sep="\t", index=False)
    assert pd.read_csv(path, sep="\t")["units"].dtype == float  # the trap
    table = read_tables(path)
    assert table.loc[table.probe == "neuron", "units"].tolist() == ["124", "125"]
    selection = select_units(table)
    selection.to_csv(tmp_path / "selection.tsv", sep="\t", index=False)
    scores = read_tables(tmp_path / "selection.tsv").assign(test_accuracy=0.9)
    neuron = scores[scores.selection == "neuron"]
    assert neuron["units"].tolist() == ["125"]
    units = {("neuron", "Male"): np.ones(3), ("filter", "Male"): np.zeros(3)}
    write_unit_activations(tmp_path / "n.h5", scores, units, np.arange(3))
    with h5py.File(tmp_path / "n.h5") as f:
        assert f["Male"].attrs["unit"] == 125 and f["Male"].attrs["point"] == "L02"
        assert f["filter/Male"].attrs["unit"] == 5 and f["filter/Male"].shape == (3,)
    assert first_unit(125.0) == 125 and first_unit("7 9") == 7
    with pytest.raises(ValueError, match="not a list of unit indices"):
        first_unit("1.5")
