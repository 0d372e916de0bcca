"""Rule points: the network's probe points as a table (results/tables/points.tsv)."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to
from facecues.results.tables import write_points

log_to(snakemake.log[0])
write_points(snakemake.params.rows, snakemake.output[0])
end_job()
