"""Rule counterfactual_table: the networks' counterfactual tables as two tables of the
study, over networks (docs/protocol.md section 14)."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to
from facecues.results.counterfactual import depth_over_networks, over_networks
from facecues.results.summary import world_kinds_from_json
from facecues.results.tables import read_tables, write_table

log_to(snakemake.log[0])
kinds = world_kinds_from_json(snakemake.input.world)
depth = depth_over_networks(read_tables(*snakemake.input.depth), kinds)
table = over_networks(read_tables(*snakemake.input.tables), kinds)
write_table(depth, snakemake.output.depth)
write_table(table, snakemake.output.table)
end_job()
