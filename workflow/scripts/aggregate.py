"""Rule aggregate: one table with every probe accuracy of the study, and selectivity."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to
from facecues.results.selectivity import add_selectivity
from facecues.results.tables import read_tables, write_table

log_to(snakemake.log[0])
table = read_tables(*snakemake.input)
write_table(add_selectivity(table), snakemake.output[0])
end_job()
