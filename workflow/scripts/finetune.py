"""Rule finetune: the multitask baseline of one network."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to

log_to(snakemake.log[0])

from facecues.data.celeba import load_celeba  # noqa: E402
from facecues.nets.device import job_network  # noqa: E402
from facecues.results.tables import write_table  # noqa: E402
from facecues.training.multitask import MultitaskConfig, finetune_multitask  # noqa: E402

m = snakemake.params.model
network = snakemake.wildcards.network
trunk, device = job_network(snakemake.input.model, snakemake.params.model, snakemake.threads)
table = finetune_multitask(
    trunk,
    load_celeba(snakemake.params.celeba),
    snakemake.params.attributes,
    # workers: how images are decoded, not what is computed (no param: it reruns nothing)
    MultitaskConfig(**snakemake.params.multitask, workers=snakemake.config["multitask"]["workers"]),
    input_size=m["input_size"],
    network=network,
    seed=int(network) if network.isdigit() else 0,
    device=device,
)
write_table(table, snakemake.output[0])
end_job()
