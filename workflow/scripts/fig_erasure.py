"""Rule fig_erasure: the verification accuracy lost by erasing each attribute, over depth."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to
from facecues.results.figures.erasure import fig_erasure
from facecues.results.tables import read_tables

log_to(snakemake.log[0])
fig_erasure(read_tables(snakemake.input[0]), snakemake.output.png, snakemake.output.pdf)
end_job()
