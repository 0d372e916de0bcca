"""Rule score_test: the selections of one network on the CelebA test partition."""

from pathlib import Path

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to

log_to(snakemake.log[0])

from facecues.data.celeba import load_celeba  # noqa: E402
from facecues.data.splits import TEST_PARTITION  # noqa: E402
from facecues.nets.device import job_network  # noqa: E402
from facecues.probes.scoring import score_test, write_unit_activations  # noqa: E402
from facecues.results.tables import read_tables, write_table  # noqa: E402

m, p = snakemake.params.model, snakemake.params.probe
celeba = load_celeba(snakemake.params.celeba)
selection = read_tables(snakemake.input.selection)
model, device = job_network(snakemake.input.model, snakemake.params.model, snakemake.threads)
probe_files = {(Path(f).parent.name, Path(f).stem): f for f in snakemake.input.probes}
scores, units = score_test(
    model,
    selection,
    lambda attribute, point: probe_files[(attribute, point)],
    celeba,
    input_size=m["input_size"],
    batch_size=p["batch_size"],
    device=device,
)
# the neurons file first: once the scores exist, both are complete
write_unit_activations(snakemake.output.neurons, scores, units, celeba.indices(TEST_PARTITION))
write_table(scores, snakemake.output.scores)
end_job()
