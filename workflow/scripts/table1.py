"""Rule table1: the test scores of every network, and Table I beside the paper's."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.atomic import atomic_path
from facecues.logs import end_job, log_to
from facecues.selection import read_tables
from facecues.tables import write_table1

log_to(snakemake.log[0])
scores = read_tables(*snakemake.input)
write_table1(scores, snakemake.output.md, snakemake.output.csv, snakemake.output.tex)
with atomic_path(snakemake.output.scores) as tmp:
    scores.to_csv(tmp, sep="\t", index=False)
end_job()
