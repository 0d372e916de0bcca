"""Rule finetune: the multitask baseline of one network."""

from facecues.logs import log_to

log_to(snakemake.log[0])

import torch  # noqa: E402

from facecues.checkpoint import load_network  # noqa: E402
from facecues.data import load_celeba  # noqa: E402
from facecues.device import pick_device  # noqa: E402
from facecues.multitask import MultitaskConfig, finetune_multitask  # noqa: E402

torch.set_num_threads(snakemake.threads)
m = snakemake.params.model
network = snakemake.wildcards.seed
trunk = load_network(
    snakemake.input.model, base_width=m["base_width"], stride_in_1x1=m["stride_in_1x1"]
)
table = finetune_multitask(
    trunk,
    load_celeba(snakemake.params.celeba),
    snakemake.config["attributes"],
    MultitaskConfig(**snakemake.params.multitask),
    input_size=m["input_size"],
    network=network,
    seed=int(network) if network.isdigit() else 0,
    device=pick_device(),
)
table.to_csv(snakemake.output[0], sep="\t", index=False)
