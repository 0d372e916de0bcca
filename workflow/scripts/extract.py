"""Rule extract: activations of one attribute's training sample at every probe point."""

from pathlib import Path

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to

log_to(snakemake.log[0])

from facecues.activations.extract import extract_shards  # noqa: E402
from facecues.data.celeba import load_celeba  # noqa: E402
from facecues.data.splits import identity_task_of, read_split  # noqa: E402
from facecues.nets.device import job_network  # noqa: E402
from facecues.nets.layout import point_index  # noqa: E402

m, p = snakemake.params.model, snakemake.params.probe
celeba = load_celeba(snakemake.params.celeba, check_images=False)
split = read_split(snakemake.input.split, snakemake.wildcards.attribute, celeba=celeba)
model, device = job_network(snakemake.input.model, snakemake.params.model, snakemake.threads)
# checks the disk has room for every shard before anything is written (a full disk
# mid-write is also one clear error, with nothing kept: facecues.io.atomic_h5_set)
extract_shards(
    model,
    {"train": ([celeba.image_path(i) for i in split.train], split.train_y)},
    {point_index(Path(f).stem): Path(f) for f in snakemake.output},
    input_size=m["input_size"],
    dtype=p["dtype"],
    batch_size=p["batch_size"],
    device=device,
    network=snakemake.wildcards.network,
    attribute=snakemake.wildcards.attribute,
    identity_y=identity_task_of(celeba, split.train, snakemake.params.identity),
)
end_job()
