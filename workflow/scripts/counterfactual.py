"""Rule counterfactual: one network's recognition of the counterfactual faces (each
studied attribute flipped, and the nuisance controls), and where in depth each change
moves the activations (docs/protocol.md section 14)."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to

log_to(snakemake.log[0])

import logging  # noqa: E402
import time  # noqa: E402

import pandas as pd  # noqa: E402

from facecues.interventions.counterfactual import (  # noqa: E402
    COLUMNS,
    DEPTH_COLUMNS,
    counterfactual_effects,
)
from facecues.interventions.counterfactual_faces import load_faces  # noqa: E402
from facecues.nets.device import job_network  # noqa: E402
from facecues.results.tables import write_table  # noqa: E402

log = logging.getLogger("counterfactual")
c = snakemake.params.counterfactual
faces = load_faces(snakemake.input.faces)
model, device = job_network(snakemake.input.model, snakemake.params.model, snakemake.threads)
t0 = time.perf_counter()
rows, depth = counterfactual_effects(
    model,
    faces,
    input_size=snakemake.params.model["input_size"],
    fmr=c["fmr"],
    device=device,
    batch_size=snakemake.params.batch_size,
    n_boot=c["bootstrap"],
    seed=c["seed"],
    network=snakemake.wildcards.network,
    depth=c["depth"],
)
log.info("%d variants in %.1f s", len(rows), time.perf_counter() - t0)
write_table(pd.DataFrame(depth, columns=DEPTH_COLUMNS), snakemake.output.depth)
write_table(pd.DataFrame(rows, columns=COLUMNS), snakemake.output.table)
end_job()
