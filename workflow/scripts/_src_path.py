"""Put the facecues beside these scripts (../../src) first on the job's sys.path.

Every rule script imports this before facecues. Snakemake puts the scripts'
folder on a job's path, so this works wherever the job runs: in a --use-conda
environment (which pins facecues' dependencies, not facecues), on a cluster
node, and when the workflow is a module of another folder's Snakefile, also
where another facecues is installed. Where there is no src/ beside the
scripts, an installed facecues is used.
"""

import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
if (SRC / "facecues").is_dir() and sys.path[:1] != [str(SRC)]:
    # First, even where it is on the path already: Snakemake's preamble appends the
    # parent's sys.path after the interpreter's, so an installed facecues (another
    # checkout's editable install) would otherwise come first.
    while str(SRC) in sys.path:
        sys.path.remove(str(SRC))
    sys.path.insert(0, str(SRC))
