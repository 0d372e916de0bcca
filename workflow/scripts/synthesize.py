"""Rule synthesize: render the synthetic face world in the real datasets' formats."""

import json
from pathlib import Path

import _src_path  # noqa: F401  (facecues from ../../src, see there)

from facecues.data.synthetic.config import SyntheticConfig
from facecues.data.synthetic.world import write_world
from facecues.logs import end_job, log_to

if __name__ == "__main__":  # the renderer's worker processes import this file again
    log_to(snakemake.log[0])
    # the study's synthetic section, validated at start-up (facecues.study.config)
    cfg = SyntheticConfig.from_dict(
        {**snakemake.params.cfg, "workers": snakemake.threads}, checked=True
    )
    manifest = write_world(Path(snakemake.output.world).parent, cfg)
    print(json.dumps(manifest, indent=1, default=str)[:4000], flush=True)
    end_job()
