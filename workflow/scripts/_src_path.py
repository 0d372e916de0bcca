"""Put the facecues beside these scripts (../../src) first on the job's sys.path.

Every rule script imports this before facecues. Snakemake puts the scripts'
folder on a job's path, so this works wherever the job runs: in a --use-conda
environment (which pins facecues' dependencies, not facecues), on a cluster
node, and when the workflow is a module of another folder's Snakefile. Where
there is no src/ beside the scripts, an installed facecues is used.
"""

import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
if (SRC / "facecues").is_dir() and str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))
