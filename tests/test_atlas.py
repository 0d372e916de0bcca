"""The unit atlas built from the tiny study's own tables, activations and images: what
it links, and what it says when a part of the study is missing."""

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
