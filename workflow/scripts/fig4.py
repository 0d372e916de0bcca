"""Rule fig4: one attribute's accuracy over depth, residual-block structure marked."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)
import pandas as pd

from facecues.logs import log_to
from facecues.paper_figures import fig4

log_to(snakemake.log[0])
table = pd.read_csv(snakemake.input[0], sep="\t", dtype={"seed": str})
fig4(table, snakemake.params.attribute, snakemake.output.png, snakemake.output.pdf)
