"""Rule splits: the balanced validation and training samples of one attribute."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to

log_to(snakemake.log[0])

from facecues.data.celeba import load_celeba  # noqa: E402
from facecues.data.splits import balanced_split, check_components, write_split  # noqa: E402

p = snakemake.params.probe
attribute = snakemake.wildcards.attribute
celeba = load_celeba(snakemake.params.celeba)
split = balanced_split(
    celeba.attribute(attribute),
    celeba.partition,
    attribute,
    train_per_class=p["train_per_class"],
    val_per_class=p["val_per_class"],
    seed=p["split_seed"],
    allow_reduction=p["allow_reduction"],
)
# a check of the sample against the probes' components, not an input of the split: read
# from the config, so that a change of probe.n_components reruns the probes, not the splits
check_components(split, snakemake.config["probe"]["n_components"])
write_split(split, celeba.filenames, snakemake.output[0])
end_job()
