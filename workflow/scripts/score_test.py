"""Rule score_test: the selections of one network on the CelebA test partition."""

from pathlib import Path

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to

log_to(snakemake.log[0])

from facecues.atomic import atomic_path  # noqa: E402
from facecues.data import load_celeba  # noqa: E402
from facecues.jobs import job_network  # noqa: E402
from facecues.selection import read_tables  # noqa: E402
from facecues.test_scores import TEST_PARTITION, score_test, write_neuron_activations  # noqa: E402

m, p = snakemake.params.model, snakemake.params.probe
celeba = load_celeba(snakemake.params.celeba)
selection = read_tables(snakemake.input.selection)
model, device = job_network(snakemake.input.model, snakemake.params.model, snakemake.threads)
probe_files = {(Path(f).parent.name, Path(f).stem): f for f in snakemake.input.probes}
scores, neurons = score_test(
    model,
    selection,
    lambda attribute, point: probe_files[(attribute, point)],
    celeba,
    input_size=m["input_size"],
    batch_size=p["batch_size"],
    device=device,
)
# the neurons file first: once the scores exist, both are complete
write_neuron_activations(snakemake.output.neurons, scores, neurons, celeba.indices(TEST_PARTITION))
with atomic_path(snakemake.output.scores) as tmp:
    scores.to_csv(tmp, sep="\t", index=False)
end_job()
