# facecues: which face attributes a face-recognition network encodes.
# `snakemake --cores 2` runs the embedded default (config.yaml);
# `--configfile configs/paper.yaml` the full reproduction.

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/extract.smk"
include: "workflow/rules/probe.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        "results/tables/layer_accuracy.tsv",
        "results/figures/fig3.png",
        "results/figures/fig3.pdf",
