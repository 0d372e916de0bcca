"""Rule table1: the test scores of every network, and Table I beside the paper's."""

from pathlib import Path

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.io import write_text
from facecues.logs import end_job, log_to
from facecues.results.pages import markdown_page
from facecues.results.provenance import read_provenance, stamp
from facecues.results.table1 import data_label, write_table1
from facecues.results.tables import read_tables, write_table

log_to(snakemake.log[0])
scores = read_tables(*snakemake.input.tests, *snakemake.input.multitask)
provenance = read_provenance(snakemake.input.provenance)
produced_by = stamp(provenance)
data = data_label(provenance["config"]["data"]["source"])
out = snakemake.output
write_table1(scores, out.md, out.csv, out.tex, produced_by, data)
write_text(out.html, markdown_page(Path(out.md).read_text(), "Table I", wide=True))
write_table(scores, out.scores)
end_job()
