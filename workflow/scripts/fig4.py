"""Rule fig4: one attribute's accuracy over depth, residual-block structure marked."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to
from facecues.nets.layout import depths_of_rows
from facecues.results.figures.depth import fig4
from facecues.results.tables import read_point_rows, read_tables

log_to(snakemake.log[0])
table = read_tables(snakemake.input[0])
fig4(
    table,
    snakemake.params.attribute,
    snakemake.output.png,
    snakemake.output.pdf,
    depths=depths_of_rows(read_point_rows(snakemake.input.points)),
)
end_job()
