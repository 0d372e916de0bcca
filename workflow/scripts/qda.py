"""Rule qda: validation accuracy of every probe of one (network, attribute)."""

from facecues.logs import log_to

log_to(snakemake.log[0])

from facecues.layer_scores import score_points  # noqa: E402

table = score_points(snakemake.input, snakemake.wildcards.seed, snakemake.wildcards.attribute)
table.to_csv(snakemake.output[0], sep="\t", index=False)
