"""Rules fig_counterfactual_fnmr and fig_counterfactual_depth: what changing one attribute
costs recognition, and where in depth the change moves the face (docs/protocol.md
section 14)."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to

log_to(snakemake.log[0])

from facecues.nets.layout import depths_of_rows  # noqa: E402
from facecues.results.figures.counterfactual import (  # noqa: E402
    fig_counterfactual_depth,
    fig_counterfactual_fnmr,
)
from facecues.results.summary import world_kinds_from_json  # noqa: E402
from facecues.results.tables import read_point_rows, read_tables  # noqa: E402

out = snakemake.output
if snakemake.rule == "fig_counterfactual_fnmr":
    kinds = world_kinds_from_json(snakemake.input.world)
    fig_counterfactual_fnmr(read_tables(*snakemake.input.tables), kinds, out.png, out.pdf)
else:
    depths = depths_of_rows(read_point_rows(snakemake.input.points))
    fig_counterfactual_depth(read_tables(snakemake.input.depth), out.png, out.pdf, depths=depths)
end_job()
