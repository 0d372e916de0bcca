"""The critical path first: the priorities Snakemake's dry run gives the default study's
jobs start every network's training (and the world it trains on) before any control
network's work, and probe the studied networks before the controls."""

import re

import pytest

from facecues.plan.rules import job_priority
from tests.conftest import ROOT, snakemake

JOB = re.compile(r"^(?:local)?rule (\w+):$")
FIELD = re.compile(r"^\s+(wildcards|priority): (.*)$")


def dry_run_jobs(text: str) -> list[dict]:
    """Each job of a dry run's output: its rule, network (if any) and priority."""
    jobs = []
    for line in text.splitlines():
        if m := JOB.match(line):
            jobs.append({"rule": m.group(1), "network": None, "priority": 0})
        elif jobs and (m := FIELD.match(line)):
            if m.group(1) == "priority":
                jobs[-1]["priority"] = int(m.group(2))
            elif n := re.search(r"network=([^,\s]+)", m.group(2)):
                jobs[-1]["network"] = n.group(1)
    return jobs


@pytest.fixture(scope="module")
def default_jobs(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("priorities")
    run = snakemake(workdir, "-n", "--cores", "2", configfile=ROOT / "config.yaml")
    assert run.returncode == 0, run.stderr[-3000:]
    return dry_run_jobs(run.stdout)


def test_training_outranks_every_control_job(default_jobs):
    trains = [j for j in default_jobs if j["rule"] == "train"]
    synth = [j for j in default_jobs if j["rule"] == "synthesize"]
    controls = [j for j in default_jobs if j["network"] and j["network"].startswith("random")]
    assert len(trains) == 2 and len(synth) == 1
    assert {j["rule"] for j in controls} == {
        "control_network", "extract", "pls_vip", "score_val", "counterfactual", "estimands"
    }  # fmt: skip
    lowest_train = min(j["priority"] for j in trains)
    assert synth[0]["priority"] >= lowest_train
    assert lowest_train > max(j["priority"] for j in controls)
    # nothing else outranks training either
    assert lowest_train >= max(j["priority"] for j in default_jobs)


def test_studied_networks_probed_before_controls(default_jobs):
    def priorities(rule, control):
        return {
            j["priority"]
            for j in default_jobs
            if j["rule"] == rule and j["network"].startswith("random") == control
        }

    for rule in ("extract", "pls_vip", "score_val"):
        assert min(priorities(rule, False)) > max(priorities(rule, True)), rule
    # a set's shards are probed before the next set is extracted
    assert min(priorities("pls_vip", False)) > max(priorities("extract", False))
    assert min(priorities("pls_vip", True)) > max(priorities("extract", True))


def test_job_priority_names_controls_by_their_prefix():
    assert job_priority("train", "0") == job_priority("synthesize") > 0
    assert job_priority("extract", "random3") < job_priority("extract", "mynet")
    assert job_priority("table1") == 0
