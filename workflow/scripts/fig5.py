"""Rule fig5: VIP distribution over all layers and single-neuron accuracy against VIP."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)
import h5py

from facecues.logs import log_to
from facecues.paper_figures import fig5
from facecues.selection import read_tables

log_to(snakemake.log[0])
vip = []
for path in snakemake.input.probes:
    with h5py.File(path, "r") as f:
        vip.append(f["vip"][...])
table = read_tables(snakemake.input.table)
fig5(vip, table, snakemake.params.attribute, snakemake.output.png, snakemake.output.pdf)
