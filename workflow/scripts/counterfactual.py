"""Rule counterfactual: one network's recognition of counterfactual faces (each studied
attribute flipped, and the nuisance controls), and where in depth each change moves the
activations (docs/protocol.md section 14)."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to

log_to(snakemake.log[0])

import json  # noqa: E402
import logging  # noqa: E402
import time  # noqa: E402

import pandas as pd  # noqa: E402

from facecues.data.synthetic.config import SyntheticConfig  # noqa: E402
from facecues.data.synthetic.counterfactual import FLIPS, flip_for, new_people  # noqa: E402
from facecues.errors import FacecuesError  # noqa: E402
from facecues.interventions.counterfactual import (  # noqa: E402
    COLUMNS,
    DEPTH_COLUMNS,
    counterfactual_effects,
)
from facecues.nets.device import job_network  # noqa: E402
from facecues.results.tables import write_table  # noqa: E402

log = logging.getLogger("counterfactual")
c = snakemake.params.counterfactual
with open(snakemake.input.world, encoding="utf-8") as f:
    cfg = SyntheticConfig.from_dict(json.load(f)["config"])
attributes = []
for a in snakemake.params.attributes:  # the studied attributes the world can flip
    try:
        flip_for(a)
        attributes.append(a)
    except FacecuesError as e:
        log.info("no counterfactual row for %s: %s", a, e)
if not attributes:
    raise FacecuesError(
        f"counterfactual: none of the studied attributes {snakemake.params.attributes} "
        f"has a flip (those that do: {', '.join(sorted(FLIPS))})"
    )
model, device = job_network(snakemake.input.model, snakemake.params.model, snakemake.threads)
t0 = time.perf_counter()
rows, depth = counterfactual_effects(
    model,
    new_people(cfg, c["people"], c["images_per_person"]),
    cfg,
    attributes=attributes,
    input_size=snakemake.params.model["input_size"],
    crop=snakemake.params.lfw_crop,
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
