"""Rule estimands_table: every network's estimands as one table, their agreement with
the counterfactual truth where the study measured it, and results/estimands.md."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to

log_to(snakemake.log[0])

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from facecues.data.synthetic.people import ATTRIBUTES  # noqa: E402
from facecues.io import atomic_path  # noqa: E402
from facecues.results.estimands import AGREEMENT_COLUMNS, agreement, page  # noqa: E402
from facecues.results.tables import read_tables, write_table  # noqa: E402

networks = snakemake.params.networks  # {network: kind}, in the study's order
table = read_tables(*snakemake.input.tables)
found = None
if snakemake.input.truth:
    draws = {n: dict(np.load(p)) for n, p in zip(networks, snakemake.input.draws, strict=True)}
    kinds = {a: spec.kind for a, spec in ATTRIBUTES.items()}
    found = agreement(table, read_tables(*snakemake.input.truth), draws, kinds, networks)
write_table(table, snakemake.output.table)
write_table(
    found if found is not None else pd.DataFrame(columns=AGREEMENT_COLUMNS),
    snakemake.output.agreement,
)
with atomic_path(snakemake.output.page) as tmp:
    tmp.write_text(page(table, found, snakemake.params.synthetic))
end_job()
