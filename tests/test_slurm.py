"""The tiny study through profiles/slurm on a real SLURM cluster gives the local run's tables.

Runs where a SLURM cluster answers (`.ci/run` starts a one-node one with .ci/slurm/);
skipped elsewhere. The CI overlay (.ci/slurm/profile, given as --workflow-profile)
switches only the partition, the accounting, the status command, conda and the cores
of a group job.
"""

import re
import shutil
import subprocess
import time

import pytest
import yaml

from tests.conftest import ROOT, TINY_STUDY, assert_same_tables, snakemake


def _cluster_answers() -> bool:
    if not shutil.which("sinfo") or not shutil.which("sbatch"):
        return False
    try:
        run = subprocess.run(
            ["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        return False
    return run.returncode == 0 and re.search(r"idle|mixed|alloc", run.stdout) is not None


pytestmark = [
    pytest.mark.workflow,
    pytest.mark.skipif(not _cluster_answers(), reason="no SLURM cluster (.ci/slurm/start.sh)"),
]


def test_tiny_study_through_the_slurm_profile_gives_the_local_tables(tiny_study, tmp_path):
    reference, _, local = tiny_study
    assert local.returncode == 0, local.stderr[-3000:]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(TINY_STUDY))
    start = time.monotonic()
    run = snakemake(
        tmp_path,
        "--profile",
        str(ROOT / "profiles/slurm"),
        "--workflow-profile",
        str(ROOT / ".ci/slurm/profile"),
        timeout=2400,
    )
    wall = time.monotonic() - start
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-5000:]
    submissions = len(re.findall(r"has been submitted with SLURM jobid", log))
    print(f"SLURM: {submissions} sbatch submissions, {wall:.0f} s wall")
    # 1 synthesize, 1 train, 1 control_network, 1 finetune, 4 extract, 4 pls_vip,
    # 4 score_val, 1 score_test, 2 erasure
    assert 15 < submissions < 22, submissions
    assert_same_tables(tmp_path / "results", reference / "results")
