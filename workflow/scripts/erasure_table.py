"""Rule erasure_table: the erasure jobs' tables as two tables of the study."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to
from facecues.results.tables import read_tables, write_table

log_to(snakemake.log[0])
write_table(read_tables(*snakemake.input.tables), snakemake.output.table)
write_table(read_tables(*snakemake.input.downstream), snakemake.output.downstream)
end_job()
