"""Rule extract: activations of one attribute's training sample at every probe point."""

from pathlib import Path

from facecues.logs import log_to

log_to(snakemake.log[0])

import torch  # noqa: E402

from facecues.checkpoint import load_network  # noqa: E402
from facecues.data import load_celeba  # noqa: E402
from facecues.device import pick_device  # noqa: E402
from facecues.extract import extract_shards  # noqa: E402
from facecues.splits import read_split  # noqa: E402

torch.set_num_threads(snakemake.threads)
m, p = snakemake.params.model, snakemake.params.probe
celeba = load_celeba(snakemake.params.celeba, check_images=False)
split = read_split(snakemake.input.split, snakemake.wildcards.attribute)
model = load_network(
    snakemake.input.model, base_width=m["base_width"], stride_in_1x1=m["stride_in_1x1"]
)
outputs = {int(Path(f).stem[1:]): Path(f) for f in snakemake.output}
extract_shards(
    model,
    {"train": ([celeba.image_path(i) for i in split.train], split.train_y)},
    outputs,
    input_size=m["input_size"],
    dtype=p["dtype"],
    batch_size=p["batch_size"],
    device=pick_device(),
)
