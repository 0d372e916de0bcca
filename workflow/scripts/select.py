"""Rule select: best layer, single filter and single neuron per attribute, on validation."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.atomic import atomic_path
from facecues.logs import end_job, log_to
from facecues.selection import read_tables, select_units

log_to(snakemake.log[0])
table = read_tables(*snakemake.input)
with atomic_path(snakemake.output[0]) as tmp:
    select_units(table).to_csv(tmp, sep="\t", index=False)
end_job()
