"""Rule provenance: the commit, versions, config and input hashes of the study."""

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.logs import end_job, log_to
from facecues.results.provenance import write_provenance

log_to(snakemake.log[0])
write_provenance(
    snakemake.output[0],
    snakemake.params.workflow,
    snakemake.params.config,
    dict(zip(snakemake.params.kinds, snakemake.input.envs, strict=True)),
    [*snakemake.input.models, *snakemake.input.splits],
)
end_job()
