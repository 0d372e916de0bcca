"""Rule score_val: validation accuracy of every probe of one (network, attribute)."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to

log_to(snakemake.log[0])

from facecues.data.celeba import load_celeba  # noqa: E402
from facecues.data.splits import identity_task_of, read_split  # noqa: E402
from facecues.io import write_text  # noqa: E402
from facecues.nets.device import job_network  # noqa: E402
from facecues.probes.scoring import format_rows, score_validation  # noqa: E402

m, p = snakemake.params.model, snakemake.params.probe
celeba = load_celeba(snakemake.params.celeba, check_images=False)
split = read_split(snakemake.input.split, snakemake.wildcards.attribute, celeba=celeba)
model, device = job_network(snakemake.input.model, snakemake.params.model, snakemake.threads)
rows = score_validation(
    model,
    snakemake.input.probes,
    [celeba.image_path(i) for i in split.val],
    split.val_y,
    network=snakemake.wildcards.network,
    attribute=snakemake.wildcards.attribute,
    input_size=m["input_size"],
    batch_size=p["batch_size"],
    device=device,
    identity_y=identity_task_of(celeba, split.val, snakemake.params.identity),
)
write_text(snakemake.output[0], format_rows(rows))
end_job()
