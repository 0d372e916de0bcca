"""Rule synthesize: render the synthetic face world in the real datasets' formats."""

import json
from pathlib import Path

from facecues.logs import log_to

log_to(snakemake.log[0])

from facecues.synthetic import SyntheticConfig, write_world  # noqa: E402

cfg = SyntheticConfig.from_dict({**snakemake.params.cfg, "workers": snakemake.threads})
manifest = write_world(Path(snakemake.output.world).parent, cfg)
print(json.dumps(manifest, indent=1, default=str)[:4000], flush=True)
