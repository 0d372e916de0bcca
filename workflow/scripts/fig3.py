"""Rule fig3: accuracy over depth per attribute."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)
import pandas as pd

from facecues.logs import log_to

log_to(snakemake.log[0])

from facecues.figures import fig3  # noqa: E402

table = pd.read_csv(snakemake.input[0], sep="\t", dtype={"seed": str})
fig3(table, snakemake.output.png, snakemake.output.pdf)
