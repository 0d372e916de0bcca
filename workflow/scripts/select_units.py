"""Rule select: best layer, single filter and single neuron per attribute, on validation."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to
from facecues.results.selection import select_units
from facecues.results.tables import read_tables, write_table

log_to(snakemake.log[0])
table = read_tables(*snakemake.input.accuracy)
write_table(select_units(table), snakemake.output[0])
end_job()
