"""Rule summary: the paper's claims, measured in this run, with verdicts."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to
from facecues.results.provenance import read_provenance
from facecues.results.summary import world_kinds_from_json, write_summary
from facecues.results.tables import read_tables

log_to(snakemake.log[0])
table = read_tables(snakemake.input.table)
scores = read_tables(snakemake.input.scores)
world = [f for f in snakemake.input if str(f).endswith("world.json")]
kinds = world_kinds_from_json(world[0]) if world else None
write_summary(
    scores,
    table,
    kinds,
    snakemake.output[0],
    val_rows=snakemake.params.val_rows,
    provenance=read_provenance(snakemake.input.provenance),
)
end_job()
