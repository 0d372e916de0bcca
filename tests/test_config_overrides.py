"""A newcomer's overrides: ``snakemake --config`` values, a smaller study's figure
attributes, and the start-up line's count of activation sets."""

from __future__ import annotations

import logging
import re

import pytest

from facecues.errors import ConfigError
from facecues.schema import coerce_strings
from facecues.study.config import load_config
from tests.conftest import ROOT, snakemake


def test_strings_read_as_the_numbers_the_schema_asks_for(caplog):
    with caplog.at_level(logging.WARNING):
        config = load_config(
            given={
                "seeds": ["0", "1", "2"],
                "train": {"epochs": "2", "lr": "0.05"},
                "probe": {"n_components": "8", "split_seed": "42"},
            }
        )
    assert config["seeds"] == [0, 1, 2]
    assert config["train"]["epochs"] == 2 and config["train"]["lr"] == 0.05
    assert config["probe"]["n_components"] == 8
    # the schema admits a string here (the authors' seed string): left as given
    assert config["probe"]["split_seed"] == "42"
    assert "seeds.0: '0' read as 0" in caplog.text
    assert "train.epochs: '2' read as 2" in caplog.text
    assert "split_seed" not in caplog.text


def test_a_string_that_is_no_number_is_still_refused():
    with pytest.raises(ConfigError, match=r"train\.epochs: 'two' is not of type 'integer'"):
        load_config(given={"train": {"epochs": "two"}})
    # a float is not read as an integer, nor a number as a boolean
    with pytest.raises(ConfigError, match=r"train\.epochs: '2\.5' is not of type 'integer'"):
        load_config(given={"train": {"epochs": "2.5"}})


def test_coercion_reads_booleans_and_nullable_integers_only_where_asked():
    schema = {
        "type": "object",
        "properties": {
            "flag": {"type": "boolean"},
            "cap": {"type": ["integer", "null"]},
            "name": {"type": "string"},
            "flags": {"type": "array", "items": {"type": "boolean"}},
        },
    }
    config = {"flag": "true", "cap": "7", "name": "3", "flags": ["false", "1"]}
    notes = coerce_strings(config, schema)
    assert config == {"flag": True, "cap": 7, "name": "3", "flags": [False, "1"]}
    assert len(notes) == 3


def test_smaller_study_draws_its_figures_from_probed_attributes(caplog):
    with caplog.at_level(logging.WARNING):
        config = load_config(given={"attributes": ["Male", "Smiling"]})
    figures = config["figures"]
    assert figures["fig5_attribute"] == "Male"  # the default, probed: kept
    assert figures["fig4_attribute"] == "Male"  # the default Pale_Skin is not probed
    assert "figures.fig4_attribute: the default Pale_Skin is not probed" in caplog.text


def test_a_figure_attribute_the_user_names_must_be_probed():
    with pytest.raises(ConfigError, match=r"figures\.fig4_attribute = Smiling .*'figures="):
        load_config(given={"attributes": ["Male"], "figures": {"fig4_attribute": "Smiling"}})


def test_counterfactuals_on_by_default_where_rendered_off_on_real_data(caplog):
    assert load_config()["counterfactual"]["enabled"] is True
    with caplog.at_level(logging.INFO):
        real = load_config(given={"data": {"source": "real"}})
    assert real["counterfactual"]["enabled"] is False and real["estimands"]["enabled"] is True
    assert "synthetic worlds only, off on real data" in caplog.text
    assert "the real-data estimands run" in caplog.text
    # asked for on real data by the user: one error naming the key
    with pytest.raises(ConfigError, match=r"counterfactual.enabled = true: .* data.source is real"):
        load_config(given={"data": {"source": "real"}, "counterfactual": {"enabled": True}})


def test_the_user_path_overrides_and_start_up_count(tmp_path):
    """``snakemake -n --config 'seeds=[0,1,2]' 'attributes=[Male,Smiling]'`` plans the
    smaller study, and the start-up line counts every extracted set, controls included."""
    (tmp_path / "config.yaml").write_text("{}\n")
    run = snakemake(
        tmp_path,
        "-n",
        "--quiet",
        "rules",
        "--config",
        "seeds=[0,1,2]",
        "attributes=[Male,Smiling]",
        "train={epochs: 2}",
        configfile=ROOT / "config.yaml",
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout + run.stderr
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", out, re.M))
    assert jobs["train"] == "3" and jobs["extract"] == "10"  # (3 + 2 controls) x 2
    sets = re.search(r"\((\d+) such sets, \(3 studied \+ 2 untrained networks\) x 2", out)
    assert sets and sets.group(1) == jobs["extract"], out


def test_plan_estimates_a_local_runs_wall_clock():
    """``facecues plan``: the wall clock of a local run, the larger of the work spread over
    the cores and the longest chain of jobs, printed for the README's 2 and 16 cores."""
    from facecues.plan.report import CHAIN, format_plan, plan
    from facecues.study.study import load_study

    p = plan(load_study(write=False))
    cpu = sum(r.jobs * r.threads * r.seconds_per_job for r in p.rules.values())
    chain = sum(p.rules[r].seconds_per_job for r in CHAIN if p.rules[r].jobs)
    for cores in (2, 16):
        assert p.wall_seconds(cores) == (max(cpu / cores, chain), cpu / cores, chain)
    assert p.wall_seconds(2)[0] > p.wall_seconds(16)[0] >= chain
    text = " ".join(format_plan(p).split())
    assert "wall clock of a local run, estimated: ~" in text and "with --cores 16" in text
    assert "GPU jobs on one GPU" not in text  # the default study has none
