"""Rule extract: activations of one attribute's training sample at every probe point."""

from pathlib import Path

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to

log_to(snakemake.log[0])

from facecues.data import load_celeba  # noqa: E402
from facecues.extract import extract_shards, shard_bytes  # noqa: E402
from facecues.jobs import job_network  # noqa: E402
from facecues.shards import check_free_space  # noqa: E402
from facecues.splits import read_split  # noqa: E402

m, p = snakemake.params.model, snakemake.params.probe
celeba = load_celeba(snakemake.params.celeba, check_images=False)
split = read_split(snakemake.input.split, snakemake.wildcards.attribute, celeba=celeba)
model, device = job_network(snakemake.input.model, snakemake.params.model, snakemake.threads)
outputs = {int(Path(f).stem[1:]): Path(f) for f in snakemake.output}
# before anything is written: do the shards fit on the disk? (a full disk mid-write is
# also one clear error, with nothing kept: facecues.shards.atomic_h5_set)
check_free_space(
    Path(snakemake.output[0]).parent,
    shard_bytes(model, m["input_size"], len(split.train), p["dtype"], outputs),
    f"the {len(outputs)} activation shards of network {snakemake.wildcards.seed}, "
    f"attribute {snakemake.wildcards.attribute}",
)
extract_shards(
    model,
    {"train": ([celeba.image_path(i) for i in split.train], split.train_y)},
    outputs,
    input_size=m["input_size"],
    dtype=p["dtype"],
    batch_size=p["batch_size"],
    device=device,
    network=snakemake.wildcards.seed,
    attribute=snakemake.wildcards.attribute,
)
end_job()
