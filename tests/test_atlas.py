"""The unit atlas built from the tiny study's own tables, activations and images: what
it links, and what it says when a part of the study is missing."""

import itertools
import shutil

import h5py
import pytest

from facecues.data.celeba import load_celeba
from facecues.results.atlas import build_atlas
from facecues.results.tables import read_tables


@pytest.fixture(scope="module")
def study(tiny_study):
    workdir, _, run = tiny_study
    assert run.returncode == 0, run.stderr[-3000:]
    results = workdir / "results"
    return results, read_tables(results / "tables/layer_accuracy.tsv")


@pytest.mark.workflow
def test_cards_follow_the_selected_units_and_pages_cover_every_point(study, tmp_path):
    results, table = study
    celeba = load_celeba(results / "synthetic/celeba", check_images=False)
    made = build_atlas(tmp_path / "atlas", table, {"0": results / "test/0_neurons.h5"}, celeba, 4)
    atlas = tmp_path / "atlas"
    assert made["missing"] == [] and made["cards"] == 4  # best neuron and filter, 2 attributes
    with h5py.File(results / "test/0_neurons.h5") as f:
        for key in ("Male", "filter/Male"):
            d = f[key]
            kind = "n" if key == "Male" else "c"
            card = atlas / "0" / d.attrs["point"] / f"{kind}{d.attrs['unit']}"
            assert {p.name for p in card.iterdir()} == {
                "index.html", "top.jpg", "bottom.jpg", "means.png", "hist.png"
            }  # fmt: skip
            link = f"{card.relative_to(atlas / '0')}/index.html"
            assert link in (atlas / "0/Male.html").read_text()
    index = (atlas / "index.html").read_text()
    assert "0/Male.html" in index and "random0/Smiling.html" in index
    page = (atlas / "random0/Male.html").read_text()
    assert all(f"L{i:02d} (" in page for i in range(51)) and "card</a>" not in page
    assert not list(tmp_path.glob("atlas.tmp"))


@pytest.mark.workflow
def test_a_missing_point_file_or_image_is_named_and_the_rest_is_built(study, tmp_path):
    results, table = study
    celeba_root = tmp_path / "celeba"
    shutil.copytree(results / "synthetic/celeba", celeba_root)
    celeba = load_celeba(celeba_root, check_images=False)
    with h5py.File(results / "test/0_neurons.h5") as f:
        point, test = f["Male"].attrs["point"], f["test_index"][...]
    gone = celeba.image_path(int(test[0]))
    gone.unlink()
    cut = table[~((table["network"] == "0") & (table["point"] == "L07"))]
    made = build_atlas(
        tmp_path / "atlas",
        cut,
        {"0": results / "test/0_neurons.h5", "1": tmp_path / "1_neurons.h5"},
        celeba,
        4,
    )
    atlas = tmp_path / "atlas"
    index = (atlas / "index.html").read_text()
    assert f"network 1: {tmp_path / '1_neurons.h5'} is missing" in index
    assert made["cards"] == 0 and len(made["missing"]) == 5  # file 1, and 4 cards with the image
    assert f"network 0, {point} n" in index and gone.name in index
    assert "no probe results" in index  # network 1 has no rows in the table
    assert "Missing for network 0: no probe results at L07." in (atlas / "0/Male.html").read_text()
    assert "L07 (" in (atlas / "random0/Male.html").read_text()


def _constructed_inputs(celeba, folder):
    """A table of networks "0", "a&b" and "random0" x Male, Smiling x L00-L02, and "0"'s
    unit file (Male's best neuron and filter at L01)."""
    import numpy as np
    import pandas as pd

    rows = []
    for network, attribute, depth in itertools.product(
        ("0", "a&b", "random0"), ("Male", "Smiling"), range(3)
    ):
        base = dict(network=network, attribute=attribute, point=f"L{depth:02d}", depth=depth,
                    name="input" if depth == 0 else f"layer{depth}", vip=1.0, qda_reg=0.0,
                    selectivity=0.1 if depth else np.nan)  # fmt: skip
        layer = {"probe": "layer", "rank": 0, "units": "", "accuracy": 0.6 + depth / 10}
        rows.append(base | layer)
        for probe, rank in itertools.product(("filter", "neuron"), range(2)):
            rows.append({**base, "probe": probe, "rank": rank, "units": f"{rank + 3} 9",
                         "accuracy": 0.55})  # fmt: skip
    test = celeba.indices(2)
    with h5py.File(folder / "0_neurons.h5", "w") as f:
        f["test_index"] = test
        for key in ("Male", "filter/Male"):
            d = f.create_dataset(key, data=np.linspace(0, 1, len(test)))
            d.attrs.update(point="L01", unit=3, name="layer1", test_accuracy=0.75)
    return pd.DataFrame(rows), test


def test_atlas_from_constructed_inputs_escapes_and_links(tiny_world, tmp_path):
    """The pages from constructed inputs: links, cards and what is missing, every name
    escaped (a network "a&b"; a missing image's message quotes its path)."""
    celeba = load_celeba(tiny_world / "celeba", check_images=False)
    table, test = _constructed_inputs(celeba, tmp_path)
    files = {"0": tmp_path / "0_neurons.h5", "a&b": tmp_path / "none.h5"}
    made = build_atlas(tmp_path / "atlas", table, files, celeba, 4)
    atlas = tmp_path / "atlas"
    assert made["cards"] == 2 and made["pages"] == 1 + 3 * 2 + 2
    index = (atlas / "index.html").read_text()
    assert "<th>network a&amp;b (trained)</th>" in index and "href='a&amp;b/Male.html'" in index
    assert "<th>network random0 (untrained control)</th>" in index and "none.h5 is missing" in index
    assert "<a href='0/L01/n3/index.html'>neuron</a>" in index
    male = (atlas / "0/Male.html").read_text()
    assert "<details open><summary>L01 (layer1): whole layer 70.0% <b>(Table I neuron" in male
    assert "<a href='L01/n3/index.html'>card</a>" in male
    assert "<a href='L01/n3/index.html'>card (Male)</a>" in (atlas / "0/Smiling.html").read_text()
    card = (atlas / "0/L01/c3/index.html").read_text()
    assert "<h1>0 / L01 / c3</h1>" in card and "A filter's probe reads" in card
    assert "<a href='../../../index.html'>atlas</a>" in card
    # the attribute it was chosen for links back to the network's page for it
    assert "<b><a href='../../Male.html'>Male</a></b>" in card and (atlas / "0/Male.html").exists()

    celeba.image_path(int(test[0])).rename(tmp_path / "away.jpg")  # cards fail, named
    try:
        made = build_atlas(tmp_path / "atlas", table, files, celeba, 4)
    finally:
        (tmp_path / "away.jpg").rename(celeba.image_path(int(test[0])))
    index = (atlas / "index.html").read_text()
    assert made["cards"] == 0 and "No such file or directory: &#x27;" in index
