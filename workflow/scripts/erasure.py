"""Rule erasure: erase one attribute at each erasure point of one network, and measure it."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to

log_to(snakemake.log[0])

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from facecues.data.celeba import load_celeba  # noqa: E402
from facecues.data.lfw import load_lfw_pairs  # noqa: E402
from facecues.data.splits import read_split  # noqa: E402
from facecues.errors import FacecuesError  # noqa: E402
from facecues.interventions.erasure import (  # noqa: E402
    COLUMNS,
    DOWNSTREAM_COLUMNS,
    erase_attribute,
    extra_fit_rows,
)
from facecues.nets.device import job_network  # noqa: E402
from facecues.nets.layout import point_index  # noqa: E402
from facecues.probes.fit import probe_stream  # noqa: E402
from facecues.results.tables import write_table  # noqa: E402

m, e = snakemake.params.model, snakemake.params.erasure
network, attribute = snakemake.wildcards.network, snakemake.wildcards.attribute
celeba = load_celeba(snakemake.params.celeba, check_images=False)
split = read_split(snakemake.input.split, attribute, celeba=celeba)
if celeba.identity is None:  # the residual check's halves share no person
    raise FacecuesError(
        f"erasure: {celeba.root} has no identity_CelebA.txt; the residual check splits the "
        f"validation sample by person and needs each image's identity"
    )
model, device = job_network(snakemake.input.model, m, snakemake.threads)
extra = extra_fit_rows(  # any CelebA image but the probes' validation sample
    np.arange(len(celeba)),
    split.train,
    split.val,
    e["fit_images"],
    np.random.default_rng(probe_stream(e["seed"], network, f"{attribute}:eraser sample")),
)
rows, downstream = erase_attribute(
    model,
    train=([celeba.image_path(i) for i in split.train], split.train_y),
    val=([celeba.image_path(i) for i in split.val], split.val_y, celeba.identity[split.val]),
    pairs=load_lfw_pairs(snakemake.params.lfw),
    points=[point_index(p) for p in snakemake.params.points],
    input_size=m["input_size"],
    lfw_crop=snakemake.params.lfw_crop,
    device=device,
    n_components=snakemake.params.n_components,
    batch_size=snakemake.params.batch_size,
    seed=probe_stream(e["seed"], network, attribute),
    network=network,
    attribute=attribute,
    extra=([celeba.image_path(i) for i in extra], celeba.attribute(attribute)[extra]),
    method=e["method"],
)
write_table(pd.DataFrame(downstream, columns=DOWNSTREAM_COLUMNS), snakemake.output.downstream)
write_table(pd.DataFrame(rows, columns=COLUMNS), snakemake.output.table)
end_job()
