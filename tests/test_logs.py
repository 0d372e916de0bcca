"""A job's process ends through facecues.logs.end_job with its log and output complete."""

import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _job(tmp_path, body: str) -> subprocess.CompletedProcess:
    code = (
        f"import sys; sys.path.insert(0, {str(SRC)!r})\n"
        "import logging\n"
        "from facecues.logs import end_job, log_to\n"
        f"log_to({str(tmp_path / 'job.log')!r})\n"
        f"{body}\n"
        "logging.getLogger('job').info('done')\n"
        "sys.stdout.write('no newline at the end')\n"
        "end_job()\n"
        "print('not reached')\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_end_job_flushes_the_log_and_stdout_and_exits_zero(tmp_path):
    run = _job(tmp_path, "import torch")
    assert run.returncode == 0
    assert run.stdout == "no newline at the end"
    assert "INFO job: done" in (tmp_path / "job.log").read_text()


def test_end_job_returns_while_child_processes_run(tmp_path):
    run = _job(
        tmp_path,
        "import multiprocessing, time\n"
        "child = multiprocessing.Process(target=time.sleep, args=(0.5,))\n"
        "child.start()",
    )
    assert run.returncode == 0
    assert run.stdout == "no newline at the endnot reached\n"
