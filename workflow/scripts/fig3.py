"""Rule fig3: accuracy over depth per attribute."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to
from facecues.nets.layout import depths_of_rows
from facecues.results.tables import read_point_rows, read_tables

log_to(snakemake.log[0])

from facecues.results.figures.depth import fig3  # noqa: E402

table = read_tables(snakemake.input[0])
depths = depths_of_rows(read_point_rows(snakemake.input.points))
fig3(table, snakemake.output.png, snakemake.output.pdf, depths=depths)
end_job()
