"""Rule estimands: one network's estimands a lab can run on real faces (attribute
agreement, the within-person natural experiment) on a sample of CelebA people
(docs/protocol.md section 14, "Estimands on real faces")."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to

log_to(snakemake.log[0])

import logging  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from facecues.data.celeba import load_celeba  # noqa: E402
from facecues.data.images import ImageFiles  # noqa: E402
from facecues.errors import FacecuesError  # noqa: E402
from facecues.interventions.counterfactual import (  # noqa: E402
    MIN_FALSE_MATCHES,
    embeddings,
    fixed_fmr_threshold,
)
from facecues.interventions.estimands import (  # noqa: E402
    COLUMNS,
    PairSet,
    bootstrap_weights,
    cosine_similarity,
    estimands,
    sample_people,
)
from facecues.nets.device import job_network  # noqa: E402
from facecues.results.tables import write_table  # noqa: E402

log = logging.getLogger("estimands")
e, m = snakemake.params.estimands, snakemake.params.model
network = snakemake.wildcards.network
celeba = load_celeba(snakemake.params.celeba, check_images=False)
if celeba.identity is None:
    raise FacecuesError(
        f"estimands: {celeba.root} has no identity_CelebA.txt; attribute agreement and the "
        f"within-person experiment need each image's identity"
    )
rng = np.random.default_rng(e["seed"])  # the same people and draws for every network
rows = sample_people(celeba.identity, e["people"], e["images_per_person"], rng)
person = celeba.identity[rows]
t0 = time.perf_counter()
model, device = job_network(snakemake.input.model, m, snakemake.threads)
data = ImageFiles([celeba.image_path(i) for i in rows], m["input_size"])
x = torch.stack([data[k] for k in range(len(data))])
emb = embeddings(model, x, device, snakemake.params.batch_size)
t1 = time.perf_counter()
sim = cosine_similarity(emb)
pairs = PairSet.of(sim, person)
impostors = pairs.impostor_scores()
if len(impostors) * e["fmr"] < MIN_FALSE_MATCHES:
    raise FacecuesError(
        f"estimands.fmr: {len(rows)} images of {pairs.n_people} people give "
        f"{len(impostors)} impostor pairs, {len(impostors) * e['fmr']:.1f} false matches at "
        f"FMR = {e['fmr']:g}; at least {MIN_FALSE_MATCHES} are needed (more people or a "
        f"larger estimands.fmr)"
    )
threshold = fixed_fmr_threshold(impostors, e["fmr"])
weights = bootstrap_weights(pairs.n_people, e["bootstrap"], rng)
labels = {a: celeba.attribute(a)[rows] for a in snakemake.params.attributes}
table, draws = estimands(sim, person, labels, threshold, weights, network)
log.info(
    "%d images of %d people, threshold %.4f at FMR %g: embedded in %.1f s, estimands and "
    "%d bootstrap draws in %.1f s",
    len(rows),
    pairs.n_people,
    threshold,
    e["fmr"],
    t1 - t0,
    e["bootstrap"],
    time.perf_counter() - t1,
)
for r in table:
    if r["note"]:
        log.warning("%s of %s: %s", r["estimand"], r["attribute"], r["note"])
np.savez(snakemake.output.draws, **draws)
write_table(pd.DataFrame(table, columns=COLUMNS), snakemake.output.table)
end_job()
