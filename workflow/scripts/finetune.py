"""Rule finetune: the multitask baseline of one network."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to

log_to(snakemake.log[0])

from facecues.atomic import atomic_path  # noqa: E402
from facecues.data import load_celeba  # noqa: E402
from facecues.jobs import job_network  # noqa: E402
from facecues.multitask import MultitaskConfig, finetune_multitask  # noqa: E402

m = snakemake.params.model
network = snakemake.wildcards.seed
trunk, device = job_network(snakemake.input.model, snakemake.params.model, snakemake.threads)
table = finetune_multitask(
    trunk,
    load_celeba(snakemake.params.celeba),
    snakemake.config["attributes"],
    MultitaskConfig(**snakemake.params.multitask, workers=snakemake.config["multitask"]["workers"]),
    input_size=m["input_size"],
    network=network,
    seed=int(network) if network.isdigit() else 0,
    device=device,
)
with atomic_path(snakemake.output[0]) as tmp:
    table.to_csv(tmp, sep="\t", index=False)
end_job()
