"""Rule accuracy_view: a compact HTML view of the accuracy table, for the report."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.io import write_text
from facecues.logs import end_job, log_to
from facecues.results.pages import accuracy_page
from facecues.results.tables import read_tables

log_to(snakemake.log[0])
write_text(snakemake.output[0], accuracy_page(read_tables(snakemake.input[0])))
end_job()
