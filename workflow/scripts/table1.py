"""Rule table1: the test scores of every network, and Table I beside the paper's."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to
from facecues.results.provenance import read_provenance, stamp
from facecues.results.table1 import write_table1
from facecues.results.tables import read_tables, write_table

log_to(snakemake.log[0])
scores = read_tables(*snakemake.input.tests, *snakemake.input.multitask)
produced_by = stamp(read_provenance(snakemake.input.provenance))
write_table1(scores, snakemake.output.md, snakemake.output.csv, snakemake.output.tex, produced_by)
write_table(scores, snakemake.output.scores)
end_job()
