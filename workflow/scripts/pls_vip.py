"""Rule pls_vip: PLS + VIP and the probe features of one probe point."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.layer_probe import fit_layer_probes
from facecues.logs import log_to

log_to(snakemake.log[0])
p = snakemake.params.probe
fit_layer_probes(
    snakemake.input[0],
    snakemake.output[0],
    n_components=p["n_components"],
    scale=p["scale"],
    top_k=p["top_k"],
    vip_neurons=p["vip_neurons"],
)
