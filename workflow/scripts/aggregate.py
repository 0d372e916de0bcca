"""Rule aggregate: one table with every probe accuracy of the study, and selectivity."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.atomic import atomic_path
from facecues.logs import end_job, log_to
from facecues.selection import read_tables
from facecues.selectivity import add_selectivity

log_to(snakemake.log[0])
table = read_tables(*snakemake.input)
with atomic_path(snakemake.output[0]) as tmp:
    add_selectivity(table).to_csv(tmp, sep="\t", index=False)
end_job()
