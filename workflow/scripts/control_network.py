"""Rule control_network: an untrained network of the studied architecture (random<i>)."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to

log_to(snakemake.log[0])

from facecues.training.recalibration import make_control_network  # noqa: E402

m, c = snakemake.params.model, snakemake.params.controls
make_control_network(
    snakemake.wildcards.network,
    snakemake.output[0],
    base_width=m["base_width"],
    stride_in_1x1=m["stride_in_1x1"],
    input_size=m["input_size"],
    architecture=m.get("architecture"),
    init_seed=c["init_seed"],
    recalibrate_images=c["recalibrate_bn"],
    celeba_root=snakemake.params.celeba,
    threads=snakemake.threads,
)
end_job()
