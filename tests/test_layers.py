"""The parts import downward only: pyproject.toml's import-linter contracts (the layers
cli > plan | results > study > interventions > training > probes > activations >
nets | data > io | literature | logs > errors; no torch in the Snakefile's start-up or
the probe job), checked by lint-imports as CI does."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_parts_import_downward_only():
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command as c; c()",
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "facecues' parts import downward only KEPT" in run.stdout, run.stdout
