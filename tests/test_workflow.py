"""The whole DAG, for real, on a tiny configuration in a temporary folder."""

import re
import subprocess
import sys
import sysconfig
import zipfile

import pandas as pd
import pytest
import yaml

from tests.conftest import ROOT, TINY_STUDY, assert_same_tables, snakemake

PAPER = ROOT / "configs/paper.yaml"


@pytest.mark.workflow
def test_tiny_study_runs_end_to_end_then_has_nothing_to_do(tiny_study):
    tmp_path, dry, run = tiny_study
    assert dry.returncode == 0, dry.stderr + dry.stdout
    # (1 trained network + 1 untrained control) x 2 attributes, 50 points + the input L00 each
    assert re.search(r"^pls_vip\s+4$", dry.stdout, re.M)
    assert re.search(r"^control_network\s+1$", dry.stdout, re.M)
    assert run.returncode == 0, run.stderr[-5000:] + run.stdout[-5000:]

    table = pd.read_csv(tmp_path / "results/tables/layer_accuracy.tsv", sep="\t", dtype=str)
    table[["accuracy", "depth"]] = table[["accuracy", "depth"]].astype(float)
    assert set(table["network"]) == {"0", "random0"}
    trained, control = table[table["network"] == "0"], table[table["network"] == "random0"]
    layer = trained[trained["probe"] == "layer"]
    assert len(layer) == 102
    assert sorted(layer["point"].unique()) == [f"L{i:02d}" for i in range(0, 51)]
    # the input point is the same for every network, trained or not
    pixels = table[(table["point"] == "L00") & (table["probe"] == "layer")]
    assert pixels.groupby("attribute")["accuracy"].nunique().eq(1).all()
    assert set(table["probe"]) == {"layer", "neurons", "neuron", "filters", "filter", "vip"}
    assert table["accuracy"].between(0, 1).all()
    # the authors' probe set: no filter probes at the pooled point
    assert not table[(table["point"] == "L50") & table["probe"].str.startswith("filter")].size
    # controls: the same probes on the untrained network; selectivity against it
    assert len(control) == len(trained)
    assert control["selectivity"].isna().all() and trained["selectivity"].notna().all()
    sel = trained["selectivity"].astype(float)
    gap = trained["accuracy"] - trained["control_accuracy"].astype(float)
    assert (sel - gap).abs().max() < 1e-9
    # the identity control task: the curve probes and the best single units, 50% or more
    task = trained.dropna(subset=["identity_task_accuracy"])
    assert set(task["probe"]) == {"layer", "filters", "neurons", "filter", "neuron"}
    assert set(task["rank"]) <= {"0", "1"} and table["qda_reg"].notna().all()
    assert task["identity_task_accuracy"].astype(float).between(0, 1).all()
    gap = task["accuracy"] - task["identity_task_accuracy"].astype(float)
    assert (task["identity_selectivity"].astype(float) - gap).abs().max() < 1e-9
    # the input point is never selected for Table I
    selection = pd.read_csv(tmp_path / "results/selection/0.tsv", sep="\t")
    assert (selection["depth"] > 0).all()
    for fig in ("fig1", "fig3", "fig4", "fig5", "fig6"):
        for ext in ("png", "pdf"):
            assert (tmp_path / f"results/figures/{fig}.{ext}").stat().st_size > 10_000, fig
    scores = pd.read_csv(tmp_path / "results/tables/test_scores.tsv", sep="\t")
    assert set(scores["selection"]) == {"layer", "filter", "neuron", "multitask"}
    assert len(scores) == 2 * 4 and scores["test_accuracy"].between(0, 1).all()
    table1 = (tmp_path / "results/tables/table1.md").read_text()
    assert "Best Layer" in table1 and "Multitask" in table1 and "Male" in table1
    assert "Best Layer" in (tmp_path / "results/tables/table1.tex").read_text()
    summary = (tmp_path / "results/summary.md").read_text()
    assert "planted" in summary.lower()
    # erasure at the stem, a block output and the pool (the tiny study's points)
    erasure = pd.read_csv(tmp_path / "results/tables/erasure.tsv", sep="\t", dtype=str)
    assert len(erasure) == 2 * 3 and set(erasure["network"]) == {"0"}
    assert set(zip(erasure["point"], erasure["name"], strict=True)) == {
        ("L01", "relu"),
        ("L40", "layer3.5.relu3"),
        ("L50", "avgpool"),
    }
    measured = erasure.filter(regex="^(verification|residual|probe)").astype(float)
    assert measured.apply(lambda c: c.between(0, 1)).all().all()
    downstream = pd.read_csv(tmp_path / "results/tables/erasure_downstream.tsv", sep="\t")
    assert len(downstream) == 2 * 3  # after L01: L40, L50; after L40: L50
    assert "## Encoded or used" in summary
    assert (tmp_path / "results/figures/erasure.png").stat().st_size > 10_000
    assert (tmp_path / "results/logs/train/0.log").stat().st_size > 0
    cards = list((tmp_path / "results/atlas/0").glob("L*/*/index.html"))
    assert len(cards) == 4 and (tmp_path / "results/atlas/index.html").is_file()
    assert not list((tmp_path / "results").glob("activations/**/*.h5")), "shards are temp()"

    again = snakemake(tmp_path, "-n")
    assert again.returncode == 0
    assert "Nothing to be done" in again.stdout + again.stderr

    report = snakemake(tmp_path, "--report", "results/report.zip")
    assert report.returncode == 0, report.stderr[-3000:]
    with zipfile.ZipFile(tmp_path / "results/report.zip") as z:
        html = z.read("report/report.html").decode()
        cards = [n for n in z.namelist() if "/0/L" in n]  # the atlas's cards' files
    for item in (
        "figures/fig3.png",
        "figures/erasure.png",
        "tables/table1.html",
        "summary.html",
        "atlas/index.html",
    ):
        assert f'"results/{item}": {{"name"' in html, item
    assert '"results/tables/layer_accuracy.html": {"name"' in html  # the compact view
    assert '"results/tables/layer_accuracy.tsv": {"name"' not in html  # the table: a file
    assert "identity control task" in html  # the workflow description and the captions
    assert len(cards) == 4 * 5  # the atlas travels in the zip
    size = (tmp_path / "results/report.zip").stat().st_size
    print(f"report: {size / 1e6:.1f} MB")
    summary_html = (tmp_path / "results/summary.html").read_text()
    assert "<table>" in summary_html and "Claim (a)" in summary_html
    assert "config sha256" in summary_html  # the provenance at its head


@pytest.mark.workflow
def test_bad_config_fails_at_start_with_the_key(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({**TINY_STUDY, "attributes": ["Mael"]}))
    run = snakemake(tmp_path, "-n")
    assert run.returncode != 0
    assert "Mael" in run.stderr + run.stdout
    assert not (tmp_path / "results").exists()


def _job_counts(stdout: str) -> dict[str, int]:
    block = stdout.split("Job stats:")[1].split("\n\n")[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", block, re.M)}


@pytest.mark.workflow
def test_paper_preset_builds_the_full_dag_on_real_format_data(tiny_world, tmp_path):
    roots = ", ".join(f"{n}_root: {tiny_world / n}" for n in ("celeba", "vggface2", "lfw"))
    run = snakemake(tmp_path, "-n", "--config", f"data={{{roots}}}", configfile=PAPER)
    assert run.returncode == 0, run.stderr[-3000:]
    counts = _job_counts(run.stdout)
    assert counts["train"] == 6 and counts["splits"] == 40
    # 6 trained networks and 2 untrained controls
    assert counts["extract"] == 8 * 40 and counts["score_val"] == 8 * 40
    assert counts["pls_vip"] == 8 * 40 and counts["control_network"] == 2
    assert counts["score_test"] == 6 and counts["select"] == 6 and counts["finetune"] == 6
    assert "synthesize" not in counts
    assert "37.82 GB" in run.stderr  # ~38 GB per (network, attribute) in float16


@pytest.mark.workflow
def test_paper_preset_without_roots_stops_at_start_naming_each_key(tmp_path):
    run = snakemake(
        tmp_path, "-n", "--config", f"data={{lfw_root: {tmp_path / 'nowhere'}}}", configfile=PAPER
    )
    assert run.returncode != 0
    out = run.stdout + run.stderr
    assert "data.celeba_root is not set" in out and "data.vggface2_root is not set" in out
    assert f"data.lfw_root = {tmp_path / 'nowhere'} does not exist" in out
    assert not (tmp_path / "results").exists()


@pytest.mark.workflow
def test_a_given_checkpoint_is_probed_without_training(tmp_path):
    from facecues.nets.checkpoint import save_network
    from facecues.nets.resnet import FaceResNet

    save_network(FaceResNet(3, base_width=4), tmp_path / "mine.pt")
    study = {
        **TINY_STUDY,
        "model": {**TINY_STUDY["model"], "checkpoint": str(tmp_path / "mine.pt")},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(study))
    dry = snakemake(tmp_path, "-n")
    assert dry.returncode == 0, dry.stderr[-3000:]
    counts = _job_counts(dry.stdout)
    assert "train" not in counts
    # the given network and the untrained control of its architecture
    assert counts["extract"] == 4 and counts["pls_vip"] == 4 and counts["score_test"] == 1
    assert counts["control_network"] == 1
    assert "results/test/checkpoint.tsv" in dry.stdout


# How snakedeploy users run it: a Snakefile of their own uses this workflow as a module,
# from a Snakemake whose interpreter has not installed facecues.
CALLER = """
configfile: "config.yaml"


module facecues:
    snakefile:
        "{snakefile}"
    config:
        config


use rule * from facecues
"""

# -S: no site, so no .pth files and no editable facecues; the venv's packages added by hand
# (computed here: without site, sysconfig would name the base interpreter's).
SITE = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
WITHOUT_FACECUES = (
    f"import sys; sys.path += {SITE!r}; "
    "from snakemake.cli import main; sys.argv[0] = 'snakemake'; main()"
)


@pytest.mark.workflow
def test_module_use_from_another_folder_gives_the_same_tables(tiny_study, tmp_path):
    reference, _, run = tiny_study
    assert run.returncode == 0, run.stderr[-3000:]
    (tmp_path / "Snakefile").write_text(CALLER.format(snakefile=ROOT / "Snakefile"))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(TINY_STUDY))
    probe = subprocess.run(
        [sys.executable, "-S", "-c", "import facecues"], capture_output=True, cwd=tmp_path
    )
    assert probe.returncode != 0, "the caller's interpreter must not see facecues"
    module = subprocess.run(
        [sys.executable, "-S", "-c", WITHOUT_FACECUES, "--cores", "2"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert module.returncode == 0, module.stderr[-5000:]
    assert_same_tables(tmp_path / "results", reference / "results")


def test_paper_preset_draws_the_papers_figures():
    """Fig. 4: Narrow_Eyes; Fig. 1: the paper's six neurons' attributes; Fig. 6: Eyeglasses."""
    default, paper = (yaml.safe_load(p.read_text()) for p in (ROOT / "config.yaml", PAPER))
    figures = {**default["figures"], **paper["figures"]}
    assert figures["fig4_attribute"] == "Narrow_Eyes"
    assert figures["fig1_attributes"] == [
        "Pale_Skin",
        "Mustache",
        "Bangs",
        "Narrow_Eyes",
        "Big_Nose",
        "Bald",
    ]
    assert figures["fig6_attributes"] == ["Eyeglasses"]
    drawn = {figures["fig4_attribute"], figures["fig5_attribute"], *figures["fig1_attributes"]}
    assert drawn <= set(paper["attributes"])
