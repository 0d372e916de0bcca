# facecues: which face attributes a face-recognition network encodes.
# `snakemake --cores 2` runs the embedded default (config.yaml);
# `--configfile configs/paper.yaml` the full reproduction.

import sys
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")

# The facecues library lives in src/ beside this file. Found from this file, not
# the caller's folder, so it is importable here also when the workflow is used
# as a module from another folder (workflow.basedir is then the caller's).
# Jobs find it the same way, through workflow/scripts/_src_path.py.
HERE = Path(workflow.current_basedir)
sys.path.insert(0, str(HERE / "src"))

from facecues.errors import FacecuesError
from facecues.study.config import load_config
from facecues.study.study import Study

# The study, read once (facecues.study): config.yaml beside this file under what the user
# gives (--configfile and --config, or the caller's `config:` when this workflow is a
# module: Snakemake skips a module's configfile directive), the schema's defaults filled
# in, validated against workflow/schemas/config.schema.yaml and checked, by the loader
# `facecues plan` uses too; then what it means (networks, the manifest of probe points and
# its depths, erasure points), derived once. Rules and helpers read STUDY, never the raw
# config; `config` keeps the resolved mapping every job receives.
try:
    STUDY = Study.from_config(
        load_config(
            given=config,
            defaults=HERE / "config.yaml",
            schema=HERE / "workflow/schemas/config.schema.yaml",
        ),
        root=HERE,
    )
except FacecuesError as e:
    raise WorkflowError(str(e))
config.clear()
config.update(STUDY.config)


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/extract.smk"
include: "workflow/rules/probe.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/erasure.smk"
include: "workflow/rules/counterfactual.smk"
include: "workflow/rules/estimands.smk"
include: "workflow/rules/report.smk"


# The report's landing page (snakemake --report results/report.html).
report: "workflow/report/workflow.rst"


# Local runs schedule on job ends only (no rate-limiter timers; common.smk says why).
onstart:
    drop_local_rate_limiter(workflow)


# Seconds of work each: on a cluster they run on the submitting host (facecues.plan.rules).
workflow.localrules(*LOCAL_RULES)


rule all:
    input:
        expand("results/tables/layer_accuracy.{ext}", ext=["tsv", "html"]),
        expand("results/tables/table1.{ext}", ext=["md", "csv", "tex", "html"]),
        expand("results/figures/fig{n}.{ext}", n=[1, 3, 4, 5, 6], ext=["png", "pdf"]),
        expand("results/summary.{ext}", ext=["md", "html"]),
        "results/verdicts.json",
        "results/provenance.json",
        "results/atlas",
        expand("results/tables/erasure{part}.tsv", part=["", "_downstream"] if ERASED else []),
        expand("results/figures/erasure.{ext}", ext=["png", "pdf"] if ERASED else []),
        COUNTERFACTUAL_TARGETS,
        ["results/tables/estimands_agreement.tsv", "results/estimands.md"] if ESTIMANDS_ON else [],
