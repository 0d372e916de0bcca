"""Rule summary: the paper's claims, measured in this run, with verdicts."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)
import pandas as pd

from facecues.logs import log_to
from facecues.summary import world_kinds_from_json, write_summary

log_to(snakemake.log[0])
table = pd.read_csv(snakemake.input.table, sep="\t", dtype={"seed": str, "units": str})
scores = pd.read_csv(snakemake.input.scores, sep="\t", dtype={"seed": str, "units": str})
world = [f for f in snakemake.input if str(f).endswith("world.json")]
kinds = world_kinds_from_json(world[0]) if world else None
write_summary(scores, table, kinds, snakemake.output[0], val_rows=snakemake.params.val_rows)
