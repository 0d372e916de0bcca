"""Rule counterfactual_faces: the study's counterfactual faces, rendered once for all its
networks (docs/protocol.md section 14)."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to

log_to(snakemake.log[0])

import json  # noqa: E402
import logging  # noqa: E402

from facecues.data.synthetic.config import SyntheticConfig  # noqa: E402
from facecues.data.synthetic.counterfactual import FLIPS, flip_for, new_people  # noqa: E402
from facecues.errors import FacecuesError  # noqa: E402
from facecues.interventions.counterfactual_examples import save_examples  # noqa: E402
from facecues.interventions.counterfactual_faces import render_faces, save_faces  # noqa: E402

log = logging.getLogger("counterfactual_faces")
c = snakemake.params.counterfactual
with open(snakemake.input.world, encoding="utf-8") as f:
    cfg = SyntheticConfig.from_dict(json.load(f)["config"])
attributes = []
for a in snakemake.params.attributes:  # the studied attributes the world can flip
    try:
        flip_for(a)
        attributes.append(a)
    except FacecuesError as e:
        log.info("no counterfactual of %s: %s", a, e)
if not attributes:
    raise FacecuesError(
        f"counterfactual: none of the studied attributes {snakemake.params.attributes} "
        f"has a flip (those that do: {', '.join(sorted(FLIPS))})"
    )
faces = render_faces(
    new_people(cfg, c["people"], c["images_per_person"]),
    cfg,
    attributes,
    input_size=snakemake.params.input_size,
    crop=snakemake.params.lfw_crop,
)
log.info("%d faces, %d variants: %s", len(faces.person), len(faces.variants), list(faces.variants))
save_faces(faces, snakemake.output.faces)
save_examples(faces, snakemake.output.examples)
end_job()
