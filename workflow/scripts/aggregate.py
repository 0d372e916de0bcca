"""Rule aggregate: one table with every probe accuracy of the study."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)
import pandas as pd

from facecues.atomic import atomic_path
from facecues.logs import log_to

log_to(snakemake.log[0])
table = pd.concat([pd.read_csv(f, sep="\t", dtype={"seed": str}) for f in snakemake.input])
with atomic_path(snakemake.output[0]) as tmp:
    table.to_csv(tmp, sep="\t", index=False)
