"""Rule fig5: VIP distribution over all layers and single-neuron accuracy against VIP."""

from pathlib import Path

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.io import open_h5
from facecues.logs import end_job, log_to
from facecues.probes.probe_file import WHAT, read_probe_file
from facecues.results.figures.vip import fig5
from facecues.results.tables import read_tables

log_to(snakemake.log[0])
vip = []
for path in snakemake.input.probes:  # results/probes/<network>/<attribute>/<point>.h5
    network, attribute = Path(path).parent.parent.name, Path(path).parent.name
    with open_h5(path, WHAT) as f:
        read_probe_file(path, f, network=network, attribute=attribute)  # checks it
        vip.append(f["vip"][...])
table = read_tables(snakemake.input.table)
fig5(vip, table, snakemake.params.attribute, snakemake.output.png, snakemake.output.pdf)
end_job()
