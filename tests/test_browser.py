"""The report and the HTML pages in a real browser: Debian's Chromium, driven headless by
Playwright. Skipped where either is missing, except under FACECUES_REQUIRE_BROWSER=1
(``.ci/run`` sets it, after installing both)."""

import io
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import snakemake

CHROMIUM = os.environ.get("FACECUES_CHROMIUM") or shutil.which("chromium") or ""


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    missing = [
        what
        for what, ok in (("playwright", sync_playwright), ("chromium", Path(CHROMIUM).is_file()))
        if not ok
    ]
    if missing:
        if os.environ.get("FACECUES_REQUIRE_BROWSER"):
            pytest.fail(f"browser test required but {', '.join(missing)} missing")
        pytest.skip(f"{', '.join(missing)} not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _visit(browser, path: Path, act=None) -> tuple:
    """Open ``path``, run ``act(page)``; return (page text, screenshot PNG, what went wrong)."""
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    problems = []
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else 0)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}"))

    def outside(request):
        if not request.url.startswith(("file://", "data:", "blob:", "about:")):
            problems.append(f"outside request: {request.url}")

    page.on("request", outside)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    if act:
        act(page)
    broken = page.evaluate(
        "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
        ".map(i => i.src.slice(0, 80))"
    )
    problems += [f"image not loaded: {src}" for src in broken]
    text, png = page.inner_text("body"), page.screenshot()
    page.close()
    return text, png, problems


def _follow(link: str):
    """An action for _visit: click the first table link showing ``link``; keeps the URL."""

    def act(page):
        page.locator("table a", has_text=link).first.click()
        page.wait_for_load_state("load")
        act.url = page.url

    return act


def _not_blank(png: bytes) -> bool:
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    return pixels.std() > 5


@pytest.mark.workflow
def test_report_and_pages_load_in_chromium_without_errors(tiny_study, browser, tmp_path):
    workdir, _, run = tiny_study
    assert run.returncode == 0, run.stderr[-3000:]
    report = snakemake(workdir, "--report", "results/report_browser.zip")
    assert report.returncode == 0, report.stderr[-3000:]
    results = workdir / "results"
    with zipfile.ZipFile(results / "report_browser.zip") as z:
        z.extractall(tmp_path)
    unpacked = tmp_path / "report_browser"  # the zip's one folder, named as the file

    def open_tables(page):
        page.get_by_text("Tables", exact=True).first.click()
        page.wait_for_timeout(500)

    text, png, problems = _visit(browser, unpacked / "report.html", open_tables)
    assert not problems, problems
    assert "table1.html" in text and "layer_accuracy.html" in text, text[:2000]
    assert "Atlas" in text, text[:2000]
    assert _not_blank(png)

    # the atlas as the report's zip holds it: its index, and on to a unit card
    indexes = unpacked.glob("data/raw/*/index.html")
    (index,) = [p for p in indexes if (p.parent / "0").is_dir()]
    text, png, problems = _visit(browser, index, _follow("neuron"))
    assert not problems, problems
    assert "excite it most" in text and _not_blank(png)

    pages = {
        "summary.html": ("Claim (a)", "config sha256"),
        "tables/table1.html": ("Best Layer", "Produced by facecues"),
        "tables/layer_accuracy.html": ("Whole-layer accuracy over depth", "identity task"),
    }
    for name, expected in pages.items():
        text, png, problems = _visit(browser, results / name)
        assert not problems, (name, problems)
        for snippet in expected:
            assert snippet in text, (name, snippet)
        assert _not_blank(png), name


@pytest.mark.workflow
def test_atlas_index_leads_to_an_attribute_page_and_a_unit_card(tiny_study, browser):
    workdir, _, run = tiny_study
    assert run.returncode == 0, run.stderr[-3000:]
    atlas = workdir / "results/atlas"
    text, png, problems = _visit(browser, atlas / "index.html")
    assert not problems, problems
    assert "Male" in text and "Missing" not in text
    assert "network random0 (untrained control)" in text
    assert _not_blank(png)

    attribute_page = _follow("%")  # the index cell: best point and its accuracy
    text, png, problems = _visit(browser, atlas / "index.html", attribute_page)
    assert not problems, problems
    assert attribute_page.url.endswith("/0/Male.html"), attribute_page.url
    assert "L00 (input)" in text and "L50 (avgpool)" in text and "selectivity" in text
    assert _not_blank(png)

    card = _follow("neuron")
    text, png, problems = _visit(browser, atlas / "index.html", card)
    assert not problems, problems
    network, point, unit = card.url.split("/")[-4:-1]
    assert network == "0" and point.startswith("L") and unit.startswith("n"), card.url
    assert f"{network} / {point} / {unit}" in text and "excite it most" in text
    assert _not_blank(png)


@pytest.mark.workflow
def test_accuracy_view_fits_1400_px_and_keeps_its_labels_when_scrolled(tiny_study, browser):
    """The 51 points of the accuracy view fit a 1,400 px page; in the report's 1,050 px
    frame the table scrolls in its own box and its two label columns stay in view."""
    workdir, _, run = tiny_study
    assert run.returncode == 0, run.stderr[-3000:]
    view = (workdir / "results/tables/layer_accuracy.html").as_uri()
    measure = """() => {
        const box = document.querySelector('.scroll');
        const first = box.querySelector('tr:nth-child(2) > :nth-child(1)').getBoundingClientRect();
        const second = box.querySelector('tr:nth-child(2) > :nth-child(2)').getBoundingClientRect();
        return {page: document.documentElement.scrollWidth, view: window.innerWidth,
                box: box.scrollWidth, shown: box.clientWidth, first: first.left,
                firstRight: first.right, second: second.left};
    }"""
    for width in (1400, 1920):
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto(view)
        m = page.evaluate(measure)
        assert m["page"] <= m["view"] and m["box"] <= m["shown"], (width, m)
        page.close()
    page = browser.new_page(viewport={"width": 1050, "height": 800})
    page.goto(view)
    before = page.evaluate(measure)
    assert before["page"] <= before["view"] and before["box"] > before["shown"], before
    page.evaluate("document.querySelector('.scroll').scrollLeft = 400")
    after = page.evaluate(measure)
    page.close()
    # in place to the pixel (the table's own left border scrolls away: 1 px)
    assert abs(after["first"] - before["first"]) <= 1, (before, after)
    assert abs(after["second"] - before["second"]) <= 1, (before, after)
    assert after["second"] >= after["firstRight"] - 1, after  # side by side, not overlapping
