# facecues: which face attributes a face-recognition network encodes.
# `snakemake --cores 2` runs the embedded default (config.yaml);
# `--configfile configs/paper.yaml` the full reproduction.

import os
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")

# The facecues library lives in src/: importable here and in every job, also
# inside --use-conda environments (which pin its dependencies, not facecues).
SRC = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC)
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")]))


configfile: Path(workflow.basedir) / "config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/extract.smk"
include: "workflow/rules/probe.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        "results/tables/layer_accuracy.tsv",
        expand("results/tables/table1.{ext}", ext=["md", "csv", "tex"]),
        expand("results/figures/fig{n}.{ext}", n=[1, 3, 4, 5, 6], ext=["png", "pdf"]),
        "results/summary.md",
