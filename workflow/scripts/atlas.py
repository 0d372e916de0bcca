"""Rule atlas: the unit atlas, a static site of the study's probes and selected units."""

import logging

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.data.celeba import load_celeba
from facecues.logs import end_job, log_to
from facecues.results.atlas import build_atlas
from facecues.results.tables import read_tables

log_to(snakemake.log[0])
cf = snakemake.input.counterfactual  # [table, examples folder] where the study ran it
made = build_atlas(
    snakemake.output[0],
    read_tables(snakemake.input.table),
    dict(zip(snakemake.params.networks, snakemake.input.units, strict=True)),
    load_celeba(snakemake.params.celeba, check_images=False),
    k=snakemake.params.k,
    counterfactual=(read_tables(cf[0]), cf[1]) if cf else None,
)
log = logging.getLogger("atlas")
for what in made["missing"]:
    log.warning("missing: %s", what)
log.info("%(pages)d pages, %(cards)d unit cards, %(bytes)d bytes", made)
log.info("counterfactual faces' page: %s", "yes" if cf else "no (the study does not run them)")
end_job()
