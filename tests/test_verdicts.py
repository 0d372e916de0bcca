"""The verdicts as data: results/verdicts.json written beside summary.md, read back by
``facecues architectures``, its format version checked; no depth default anywhere."""

import importlib
import inspect
import json
import re

import pytest

from facecues.errors import FacecuesError
from facecues.nets.layout import resnet50_depths
from facecues.results.architectures import CLAIMS, render_comparison, study_row
from facecues.results.claims import KEYS, WORDS
from facecues.results.claims.store import FORMAT_VERSION, read_claims, read_verdicts
from facecues.results.summary import write_summary
from tests.test_summary import GOOD, _layer_table, _paper_scores, _scores

R50 = resnet50_depths()
KINDS = {"Smiling": "image", "Male": "identity", "Attractive": "unrendered"}
CURVES = {"Smiling": (0.9, 0.75), "Male": (0.9, 0.95), "Attractive": (0.51, 0.5)}
# how facecues architectures read the verdicts before verdicts.json: summary.md's table
SUMMARY_ROW = re.compile(r"^\| \((\w+)\) .* \| ([^|]+) \|$")


def _written(tmp_path, scores=None, kinds=KINDS, **kwargs):
    md, js = tmp_path / "summary.md", tmp_path / "verdicts.json"
    scores = _scores(GOOD, test_images=2000) if scores is None else scores
    judged = write_summary(
        scores, _layer_table(CURVES), kinds, md, depths=R50, verdicts=js, **kwargs
    )
    return judged, md, js


def test_verdicts_json_round_trip(tmp_path):
    judged, md, js = _written(tmp_path, val_rows=400)
    verdicts = read_verdicts(js)
    assert verdicts == {v.key: v.verdict for v in judged}
    assert list(verdicts) == list(KEYS) and set(verdicts.values()) <= set(WORDS)
    scraped = {
        m[1]: m[2].strip() for line in md.read_text().splitlines() if (m := SUMMARY_ROW.match(line))
    }
    assert verdicts == scraped  # the same verdicts the summary shows
    data = json.loads(js.read_text())
    assert data["format_version"] == FORMAT_VERSION and data["provenance"] is None
    claims = {c["key"]: c for c in read_claims(js)}
    # claim (a): each checked attribute against the paper's thresholds, as fractions
    high = next(c for c in claims["a"]["checks"] if c["what"] == "Male: best neuron")
    assert high["threshold"] == pytest.approx(0.96) and high["above"] is True
    assert high["source"] == "paper" and high["outcome"] in ("yes", "no", "borderline")
    value = high["value"]
    assert value["low"] < value["value"] < value["high"] and value["networks"] == 2
    assert value["level"] == 0.95 and value["spread_measured"] is True
    # (c): this project's thresholds, marked so; the depth ranges named
    assert {c["source"] for c in claims["c"]["checks"]} == {"facecues"}
    assert claims["c"]["detail"]["shallow"] == "L01-L04"
    assert claims["c"]["detail"]["level"] == pytest.approx(0.6)
    # (d) not testable here (no untrained networks): its reason, no checks
    assert claims["d"]["verdict"] == "not testable in this run" and not claims["d"]["checks"]
    assert "random" in claims["d"]["why"]


def _strings(x):
    if isinstance(x, str):
        yield x
    elif isinstance(x, dict):
        for v in x.values():
            yield from _strings(v)
    elif isinstance(x, list):
        for v in x:
            yield from _strings(v)


def test_verdicts_are_data_not_markdown(tmp_path):
    _, _, js = _written(tmp_path)
    for claim in read_claims(js):
        for s in _strings(claim):
            assert "\n" not in s and not s.startswith(("|", "#", "- ")), (claim["key"], s)


def test_a_run_without_test_scores_or_world(tmp_path):
    judged, _, js = _written(tmp_path, scores=_paper_scores().iloc[:0], kinds=None)
    claims = {c["key"]: c for c in read_claims(js)}
    assert "planted" not in claims and claims["a"]["detail"]["source"] == "validation"
    assert "no test scores" in claims["a"]["why"]
    assert json.loads(js.read_text())  # NaN written as null: valid JSON throughout


def test_a_wrong_format_version_names_what_to_rerun(tmp_path):
    _, _, js = _written(tmp_path)
    data = json.loads(js.read_text())
    data["format_version"] = FORMAT_VERSION + 1
    js.write_text(json.dumps(data))
    with pytest.raises(
        FacecuesError, match=rf"format_version {FORMAT_VERSION + 1}.*rerun the summary rule"
    ):
        read_verdicts(js)
    js.write_text(json.dumps({"claims": []}))  # older than the versions
    with pytest.raises(FacecuesError, match=r"verdicts.json: format_version None"):
        read_verdicts(js)


def test_architectures_read_the_verdicts_json(tmp_path):
    """A study's verdict cells in architectures.md: from verdicts.json, the same as the
    summary's table said."""
    results = tmp_path / "study" / "results"
    results.mkdir(parents=True)
    _, md, js = _written(results)
    row = {
        "study": "resnet",
        "network": "ResNet-50 topology, 32 px",
        "points": 50,
        "units": 1234,
        "lfw": [0.9, 0.92],
        "table1": {},
        "verdicts": read_verdicts(js),
        "results": str(results),
    }
    text = render_comparison([row])
    cells = next(line for line in text.splitlines() if line.startswith("| resnet"))
    scraped = {
        m[1]: m[2].strip() for line in md.read_text().splitlines() if (m := SUMMARY_ROW.match(line))
    }
    assert cells.split(" | ")[-len(CLAIMS) :] == [
        *(scraped[k] for k in CLAIMS[:-1]),
        scraped["planted"] + " |",
    ]
    # a study folder without verdicts.json is named, with the file it lacks
    from facecues.results.architectures import ComparedStudy

    (results / "provenance.json").write_text("{}")
    (results / "tables").mkdir()
    (results / "tables" / "table1.csv").write_text("")
    js.unlink()
    with pytest.raises(FacecuesError, match=r"verdicts.json does not exist"):
        study_row(ComparedStudy("resnet", tmp_path / "study"))


MODULES = [
    "facecues.results.summary",
    "facecues.results.claims.depth",
    "facecues.results.claims.evidence",
    "facecues.results.figures.style",
    "facecues.results.figures.depth",
]


@pytest.mark.parametrize("name", MODULES)
def test_no_default_network_depths(name):
    """A caller that forgets ``depths`` is told so, rather than given ResNet-50's."""
    module = importlib.import_module(name)
    for fname, f in inspect.getmembers(module, inspect.isfunction):
        p = inspect.signature(f).parameters.get("depths")
        if p is not None:
            assert p.default is inspect.Parameter.empty, f"{name}.{fname}"
    assert not hasattr(module, "DEPTHS")
