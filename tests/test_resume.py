"""Killed anywhere, the study resumes to the same results, byte for byte (issue 11).

One tiny study is started, SIGKILLed (the whole Snakemake process group, jobs
included) at five moments in turn, and restarted each time with the default
profile; the last restart runs to the end. Its tables must equal those of the
uninterrupted reference run (``tiny_study``) byte for byte. After every kill,
each file left under ``results/`` with an output's name must be complete
(probe files, shards and checkpoints open and pass their checks, tables
parse): a killed job leaves at most a ``*.tmp-<pid>*`` file.

At some moments ``.snakemake/`` is deleted before the restart, as when it is
lost with a node: Snakemake then has no incomplete markers, so only the atomic
writes keep a half-written file from being taken as done.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import h5py
import pandas as pd
import pytest
import torch
import yaml

from facecues.activations.shards import read_shard
from facecues.probes.probe_file import load_point_probes
from tests.conftest import TINY_STUDY, assert_same_tables, snakemake_command


def _has(path: Path, text: str) -> bool:
    try:
        return text in path.read_text(errors="replace")
    except OSError:
        return False


def _training(d: Path) -> bool:
    return (
        _has(d / "results/logs/train/0.log", "training seed")
        and not (d / "results/models/0/model.pt").exists()
    )


def _extraction(d: Path) -> bool:  # shards being written under their temporary names
    return any((d / "results/activations/0").glob("*/L*.tmp-*.h5"))


def _pls_vip(d: Path) -> bool:
    return len(list((d / "results/probes").glob("*/*/L*.h5"))) >= 6


def _score_val(d: Path) -> bool:
    return any((d / "results/logs/score_val/0").glob("*.log"))


def _figures(d: Path) -> bool:
    logs = d / "results/logs"
    return any((logs / f"{f}.log").exists() for f in ("fig1", "fig3", "fig4", "fig5", "fig6"))


# (moment, condition on the run folder); .snakemake/ is deleted before each restart. Every
# output is written under a temporary name and renamed, so even without Snakemake's
# incomplete markers (.snakemake/ lost with a node) no killed output looks finished.
MOMENTS = [
    ("training", _training),
    ("extraction", _extraction),
    ("pls_vip", _pls_vip),
    ("score_val", _score_val),
    ("figures", _figures),
]


def _run_and_kill(workdir: Path, condition, log: Path, timeout: float = 900) -> bool:
    """Run the study; SIGKILL its process group once ``condition`` holds.

    Returns True if killed, False if the run ended first.
    """
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            snakemake_command(workdir, "--cores", "2"),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: snakemake and every job
        )
        t0 = time.monotonic()
        try:
            while proc.poll() is None:
                if condition(workdir):
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    _wait_group_gone(proc.pid)
                    return True
                if time.monotonic() - t0 > timeout:
                    raise TimeoutError(f"the run did not reach the moment in {timeout} s")
                time.sleep(0.02)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    return False


def _wait_group_gone(pgid: int, timeout: float = 30) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"processes of group {pgid} still alive {timeout} s after SIGKILL")


def _is_tmp(path: Path) -> bool:
    return ".tmp" in path.name or path.name.endswith(".resume")


def assert_nothing_half_written(results: Path) -> list[str]:
    """Every file with an output's name under ``results`` is complete; returns the
    temporary files left beside them."""
    leftovers = []
    for path in sorted(results.rglob("*")):
        if not path.is_file() or path.parts[-2] in ("logs", "benchmarks"):
            continue
        rel = path.relative_to(results)
        if rel.parts[0] in ("logs", "benchmarks", "synthetic"):
            continue
        if _is_tmp(path):
            leftovers.append(str(rel))
            continue
        if rel.parts[0] == "activations":
            read_shard(path, network=rel.parts[1], attribute=rel.parts[2])
        elif rel.parts[0] == "probes":
            load_point_probes(path, network=rel.parts[1], attribute=rel.parts[2])
        elif path.suffix == ".h5":
            with h5py.File(path, "r"):
                pass
        elif path.suffix == ".pt":
            torch.load(path, weights_only=True)
        elif path.suffix == ".tsv":
            assert len(pd.read_csv(path, sep="\t")) > 0, rel
        elif path.suffix == ".csv":
            assert len(pd.read_csv(path)) > 0, rel
    return leftovers


@pytest.mark.workflow
def test_killed_anywhere_the_study_resumes_to_identical_tables(tiny_study, tmp_path):
    reference, _, run = tiny_study
    assert run.returncode == 0, run.stderr[-3000:]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(TINY_STUDY))
    log = tmp_path / "runs.log"
    report = []
    for moment, condition in MOMENTS:
        killed = _run_and_kill(tmp_path, condition, log)
        assert killed, f"the run ended before the moment {moment!r}; see {log}"
        leftovers = assert_nothing_half_written(tmp_path / "results")
        report.append(f"{moment}: killed; temporary files left: {leftovers or 'none'}")
        # as when .snakemake/ is lost with a node: no incomplete markers, no lock
        subprocess.run(["rm", "-rf", str(tmp_path / ".snakemake")], check=True)
    final = subprocess.run(
        snakemake_command(tmp_path, "--cores", "2"), capture_output=True, text=True, timeout=1800
    )
    print("\n".join(report))
    assert final.returncode == 0, final.stderr[-5000:] + final.stdout[-3000:]
    assert_same_tables(tmp_path / "results", reference / "results")
    leftovers = assert_nothing_half_written(tmp_path / "results")
    # the shards a killed extract left (their disk reserved) are removed by the rerun
    assert not [f for f in leftovers if f.startswith("activations/")], leftovers
