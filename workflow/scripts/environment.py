"""Rule environment_<kind>: what a job of this kind of rule sees (its env's packages)."""

import json

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.io import write_text
from facecues.logs import end_job, log_to
from facecues.results.provenance import environment

log_to(snakemake.log[0])
env = environment(snakemake.params.packages)
write_text(snakemake.output[0], json.dumps(env, indent=1) + "\n")
end_job()
