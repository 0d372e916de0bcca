"""The atlas's counterfactual faces (docs/protocol.md section 14): the example pairs the
rule counterfactual_faces keeps are the faces rendered and changed, the atlas's page shows
every variant with its rise and links only to what the atlas holds, and an atlas without
the counterfactual is what it was."""

import html
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from facecues.data.celeba import CELEBA_ATTRIBUTES, load_celeba
from facecues.data.synthetic import counterfactual as cf
from facecues.data.synthetic.config import SyntheticConfig
from facecues.errors import DataFormatError
from facecues.interventions.counterfactual_examples import EXAMPLES, change_of, save_examples
from facecues.interventions.counterfactual_faces import input_image, render_faces
from facecues.results.atlas import build_atlas
from facecues.results.atlas_counterfactual import DISPLAY
from facecues.results.counterfactual import over_networks
from facecues.results.tables import read_tables, write_table
from tests.test_atlas import _constructed_inputs
from tests.test_browser import _not_blank, _visit, browser  # noqa: F401  (a fixture)

CFG = SyntheticConfig()
SIZE, CROP = 32, 0.6
FLIPS = ["Eyeglasses", "Goatee"]  # an image-level flip for all, a person-level one for men


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    """10 new people x 2 images rendered with their variants, and the examples kept."""
    people = cf.new_people(CFG, 10, 2)
    faces = render_faces(people, CFG, FLIPS, input_size=SIZE, crop=CROP)
    folder = tmp_path_factory.mktemp("counterfactual") / "examples"
    save_examples(faces, folder)
    return people, folder


def test_the_examples_are_the_faces_rendered_and_changed(examples):
    """Each pair is the person's image as the network's input, left, and the same image
    flipped (or re-rendered by the control) again here, right; what it says it changes is
    what the true labels say."""
    people, folder = examples
    table = pd.read_csv(folder / "examples.tsv", sep="\t", keep_default_na=False)
    assert list(dict.fromkeys(table["variant"])) == [*FLIPS, *cf.CONTROLS]
    for variant, rows in table.groupby("variant", sort=False):
        with Image.open(folder / f"{variant}.png") as im:
            sheet = np.asarray(im)
        assert sheet.shape == (SIZE * EXAMPLES, 2 * SIZE, 3)
        assert list(rows["row"]) == list(range(EXAMPLES)) and rows["person"].is_unique
        for r in rows.itertuples():
            face = people[r.person][r.image]
            if r.kind == "control":
                twin = cf.nuisance_control(variant, face, CFG)
            else:
                twin = cf.flip(variant, face)
            pair = sheet[r.row * SIZE : (r.row + 1) * SIZE]
            assert np.array_equal(pair[:, :SIZE], input_image(face, CFG, SIZE, CROP))
            assert np.array_equal(pair[:, SIZE:], input_image(twin, CFG, SIZE, CROP))
            assert not np.array_equal(pair[:, :SIZE], pair[:, SIZE:])
            assert r.changes == change_of(variant, r.kind)[1]
            if r.kind == "control":
                assert (r.before, r.after) == ("", "")
                assert np.array_equal(face.labels(), twin.labels())
                continue
            k = CELEBA_ATTRIBUTES.index(variant)
            was, now = face.labels()[k] > 0, twin.labels()[k] > 0
            assert now != was and (r.before, r.after) == (
                ("present", "absent") if was else ("absent", "present")
            )
    glasses = table[table["variant"] == "Eyeglasses"]
    assert sorted(glasses["before"]) == ["absent", "absent", "present", "present"]  # both ways
    goatee = table[table["variant"] == "Goatee"]
    assert all(people[p][0].person["male"] for p in goatee["person"])  # men only, as drawn
    assert "Person-level redraw, exact" in goatee["changes"].iloc[0]
    assert change_of("Male", "flip")[0] == "bundle" and "To female:" in change_of("Male", "flip")[1]


def _counterfactual_table(folder: Path) -> pd.DataFrame:
    """A results/tables/counterfactual.tsv (written and read back) over networks 0, 1 and
    random0 for the examples' variants and the planted contrast, from per-network rows."""
    rows = []
    variants = [(v, "flip") for v in FLIPS] + [(c, "control") for c in cf.CONTROLS]
    variants.append(("identity_bound_minus_per_image", "contrast"))
    for n, (network, scale) in enumerate((("0", 1.0), ("1", 0.8), ("random0", 0.01))):
        for k, (variant, kind) in enumerate(variants):
            rise = scale * (0.3 if kind == "flip" else 0.01) * (1 + k / 10) + n / 1000
            rows.append(
                dict(
                    network=network,
                    variant=variant,
                    kind=kind,
                    exact=True,
                    fnmr_rise=rise,
                    fnmr_rise_lo=rise - 0.05,
                    fnmr_rise_hi=rise + 0.04,
                    fmr_rise=rise / 10,
                    fmr_rise_lo=0.0,
                    fmr_rise_hi=rise / 5,
                )  # fmt: skip
            )
    table = over_networks(pd.DataFrame(rows), {"Eyeglasses": "identity", "Goatee": "identity"})
    write_table(table, folder / "counterfactual.tsv")
    return read_tables(folder / "counterfactual.tsv")


def _unresolved(atlas: Path) -> list[str]:
    """Every link and image of every page of ``atlas`` that is not a file inside it (or,
    for ``#id``, an element of the page)."""
    bad = []
    for page in atlas.rglob("*.html"):
        text = page.read_text()
        for link in re.findall(r"(?:href|src)='([^']*)'", text):
            address, _, anchor = html.unescape(link).partition("#")
            target = (page.parent / address).resolve() if address else page
            inside = target.is_relative_to(atlas.resolve())
            if not (inside and target.is_file()) or (anchor and f"id='{anchor}'" not in
                                                     target.read_text()):  # fmt: skip
                bad.append(f"{page.relative_to(atlas)}: {link}")
    return bad


def test_the_page_shows_every_variant_and_its_links_resolve(examples, tiny_world, tmp_path):
    _, folder = examples
    celeba = load_celeba(tiny_world / "celeba", check_images=False)
    accuracy, _ = _constructed_inputs(celeba, tmp_path)
    table = _counterfactual_table(tmp_path)
    atlas = tmp_path / "atlas"
    made = build_atlas(atlas, accuracy, {"0": tmp_path / "0_neurons.h5"}, celeba, 4,
                       counterfactual=(table, folder))  # fmt: skip
    assert made["pages"] == 1 + 3 * 2 + 2 + 1  # index, 3 networks x 2 attributes, 2 cards
    assert all("Smiling: no selected" in m for m in made["missing"])  # as constructed
    assert _unresolved(atlas) == []
    index = (atlas / "index.html").read_text()
    assert "<p><a href='counterfactual.html'>Counterfactual faces</a>:" in index
    page = (atlas / "counterfactual.html").read_text()
    assert "<a href='index.html'>atlas</a>" in page and "image-rendering: pixelated" in page
    fnmr = table[table["measure"] == "fnmr_rise"].set_index("variant")
    for variant in [*FLIPS, *cf.CONTROLS]:
        r = fnmr.loc[variant]
        assert f"<h2 id='{variant}'>{variant.replace('_', ' ')}" in page
        assert f"FNMR rise <b>{100 * r['mean']:+.1f} p.p." in page
        assert f"untrained {100 * r['untrained_mean']:+.1f} p.p." in page
        with Image.open(folder / f"{variant}.png") as im:
            sheet = np.asarray(im)
        examples = pd.read_csv(folder / "examples.tsv", sep="\t", keep_default_na=False)
        for r in examples[examples["variant"] == variant].itertuples():  # cut, as they were
            pair = sheet[r.row * SIZE : (r.row + 1) * SIZE]
            original, changed = f"person{r.person}_image{r.image}.png", f"{variant}_{r.row}.png"
            for name, half in ((original, pair[:, :SIZE]), (changed, pair[:, SIZE:])):
                with Image.open(atlas / "counterfactual" / name) as im:
                    assert np.array_equal(np.asarray(im), half), name
                shown = DISPLAY // SIZE * SIZE  # enlarged x4
                assert f"<img src='counterfactual/{name}' width='{shown}'" in page
    contrast = fnmr.loc["identity_bound_minus_per_image", "mean"]
    assert f"per-image ones': {100 * contrast:+.1f} p.p." in page
    assert "identity_bound_minus_per_image'" not in page  # no section: not a change of faces
    assert "Eyeglasses changed'><figcaption>person" in page and "absent → present" in page
    assert "A declared bundle" not in page  # Male not studied here


def test_bad_examples_are_one_clear_error_and_nothing_is_built(examples, tiny_world, tmp_path):
    _, folder = examples
    celeba = load_celeba(tiny_world / "celeba", check_images=False)
    accuracy, _ = _constructed_inputs(celeba, tmp_path)
    table = _counterfactual_table(tmp_path)
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    (broken / "examples.tsv").write_text("variant\tkind\nEyeglasses\tflip\n")
    with pytest.raises(DataFormatError, match=r"broken/examples.tsv: no column\(s\)"):
        build_atlas(tmp_path / "atlas", accuracy, {}, celeba, 4, counterfactual=(table, broken))
    shutil.copy(folder / "examples.tsv", broken)
    (broken / "pose.png").write_bytes(b"not a png")
    with pytest.raises(DataFormatError, match="pose.png: unreadable example pairs"):
        build_atlas(tmp_path / "atlas", accuracy, {}, celeba, 4, counterfactual=(table, broken))
    with pytest.raises(DataFormatError, match=r"no column\(s\) \['caps'\]"):
        build_atlas(tmp_path / "atlas", accuracy, {}, celeba, 4,
                    counterfactual=(table.drop(columns="caps"), folder))  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir() if "atlas" in p.name) == []


def test_without_the_counterfactual_the_atlas_is_unchanged(examples, tiny_world, tmp_path):
    """The same atlas with and without the page: every other file byte for byte the same,
    and the index differs by its link paragraph alone."""
    _, folder = examples
    celeba = load_celeba(tiny_world / "celeba", check_images=False)
    accuracy, _ = _constructed_inputs(celeba, tmp_path)
    files = {"0": tmp_path / "0_neurons.h5"}
    build_atlas(tmp_path / "without", accuracy, files, celeba, 4)
    with_ = tmp_path / "with"
    build_atlas(with_, accuracy, files, celeba, 4,
                counterfactual=(_counterfactual_table(tmp_path), folder))  # fmt: skip
    without = {p.relative_to(tmp_path / "without"): p.read_bytes()
               for p in (tmp_path / "without").rglob("*") if p.is_file()}  # fmt: skip
    assert not any("counterfactual" in str(p) for p in without)
    assert b"ounterfactual" not in without[Path("index.html")]
    for path, data in without.items():
        if path != Path("index.html"):
            assert (with_ / path).read_bytes() == data, path
    index = (with_ / "index.html").read_text()
    link = re.search(r"<p><a href='counterfactual.html'>.*?</p>", index).group(0)
    assert index.replace(link, "").encode() == without[Path("index.html")]


# --- the workflow (rules counterfactual_faces and atlas) -------------------------------


@pytest.fixture(scope="module")
def study(tiny_study, tmp_path_factory):
    """The tiny study, copied, run on with the counterfactual faces on (16 people): the
    rules counterfactual_faces, counterfactual, counterfactual_table and atlas."""
    from tests.conftest import TINY_STUDY, snakemake

    source, _, run = tiny_study
    assert run.returncode == 0, run.stderr[-3000:]
    workdir = tmp_path_factory.mktemp("tiny_counterfactual") / "study"
    shutil.copytree(source, workdir, symlinks=True)
    config = {**TINY_STUDY, "counterfactual": {"enabled": True, "people": 16, "fmr": 0.05,
                                              "bootstrap": 200}}  # fmt: skip
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(workdir, "--cores", "2", "results/atlas")
    assert run.returncode == 0, run.stderr[-3000:]
    return workdir / "results"


@pytest.mark.workflow
def test_the_rules_keep_the_examples_and_the_atlas_shows_them(study):
    examples = study / "counterfactual/examples"
    kept = pd.read_csv(examples / "examples.tsv", sep="\t", keep_default_na=False)
    variants = ["Male", "Smiling", *cf.CONTROLS]  # the tiny study's attributes
    assert list(dict.fromkeys(kept["variant"])) == variants
    for variant in variants:  # 4 people each, 32 px faces side by side
        with Image.open(examples / f"{variant}.png") as im:
            assert im.size == (2 * 32, 4 * 32), variant
    assert not (study / "counterfactual/faces.npz").exists()  # temp(), the examples kept
    atlas = study / "atlas"
    assert _unresolved(atlas) == []
    page = (atlas / "counterfactual.html").read_text()
    table = read_tables(study / "tables/counterfactual.tsv")
    for r in table[table["measure"] == "fnmr_rise"].itertuples():
        if r.kind != "contrast":
            assert f"FNMR rise <b>{100 * r.mean:+.1f} p.p." in page, r.variant
    assert "A declared bundle of traits, not exact. Male &lt;-&gt; female" in page
    assert "(encoded): <a href='0/Male.html'>network 0</a>, <a href='random0/Male.html'>" in page
    assert "href='counterfactual.html'" in (atlas / "index.html").read_text()


@pytest.mark.workflow
def test_the_page_opens_from_the_index_in_chromium(study, browser):  # noqa: F811
    def follow(page):
        page.get_by_role("link", name="Counterfactual faces").click()
        page.wait_for_load_state("load")
        follow.url = page.url

    text, png, problems = _visit(browser, study / "atlas/index.html", follow)
    assert not problems, problems  # every image loaded, no request outside the atlas
    assert follow.url.endswith("/atlas/counterfactual.html"), follow.url
    assert "Counterfactual faces" in text and "FNMR rise" in text and "→" in text
    assert _not_blank(png)
