"""Rule summary: the paper's claims, measured in this run, with verdicts (summary.md, its
HTML page, and verdicts.json: the verdicts as data)."""

from pathlib import Path

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.io import write_text
from facecues.logs import end_job, log_to
from facecues.nets.layout import depths_of_rows
from facecues.results.pages import markdown_page
from facecues.results.provenance import read_provenance
from facecues.results.summary import world_kinds_from_json, write_summary
from facecues.results.tables import read_point_rows, read_tables

log_to(snakemake.log[0])
table = read_tables(snakemake.input.table)
scores = read_tables(snakemake.input.scores)
world = [f for f in snakemake.input if str(f).endswith("world.json")]
kinds = world_kinds_from_json(world[0]) if world else None
erasure = read_tables(snakemake.input.erasure[0]) if snakemake.input.erasure else None
cf = snakemake.input.counterfactual
counterfactual = read_tables(*cf) if cf else None
write_summary(
    scores,
    table,
    kinds,
    snakemake.output.md,
    val_rows=snakemake.params.val_rows,
    provenance=read_provenance(snakemake.input.provenance),
    erasure=erasure,
    depths=depths_of_rows(read_point_rows(snakemake.input.points)),
    verdicts=snakemake.output.verdicts,
    counterfactual=counterfactual,
)
write_text(
    snakemake.output.html,
    markdown_page(Path(snakemake.output.md).read_text(), "Summary: the paper's claims"),
)
end_job()
