# facecues: which face attributes a face-recognition network encodes.
# `snakemake --cores 2` runs the embedded default (config.yaml);
# `--configfile configs/paper.yaml` the full reproduction.

import sys
from pathlib import Path

import yaml
from snakemake.utils import min_version, update_config, validate

min_version("9.0")

# The facecues library lives in src/ beside this file. Found from this file, not
# the caller's folder, so it is importable here also when the workflow is used
# as a module from another folder (workflow.basedir is then the caller's).
# Jobs find it the same way, through workflow/scripts/_src_path.py.
SRC = Path(workflow.current_basedir) / "src"
sys.path.insert(0, str(SRC))


# The defaults are config.yaml beside this file, under what the user gives: --configfile
# and --config, or the caller's `config:` when this workflow is a module (Snakemake skips a
# module's configfile directive, which would leave the schema's defaults instead).
_given = dict(config)
config.clear()
config.update(yaml.safe_load((Path(workflow.current_basedir) / "config.yaml").read_text()))
update_config(config, _given)


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/extract.smk"
include: "workflow/rules/probe.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"


# Local runs schedule on job ends only (no rate-limiter timers; common.smk says why).
onstart:
    drop_local_rate_limiter(workflow)


# Seconds of work each: on a cluster they run on the submitting host (facecues.plan.LOCAL_RULES).
localrules:
    all,
    splits,
    select,
    aggregate,
    table1,
    fig3,
    fig4,
    fig5,
    average_faces_fig1,
    average_faces_fig6,
    summary,


rule all:
    input:
        "results/tables/layer_accuracy.tsv",
        expand("results/tables/table1.{ext}", ext=["md", "csv", "tex"]),
        expand("results/figures/fig{n}.{ext}", n=[1, 3, 4, 5, 6], ext=["png", "pdf"]),
        "results/summary.md",
