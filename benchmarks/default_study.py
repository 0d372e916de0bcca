"""Benchmark: the default study as a newcomer runs it, with its time per rule.

Exports the committed tree (``git archive HEAD``: a clean checkout, nothing
cached), runs ``snakemake --cores 2`` on it with this interpreter's
Snakemake, and prints the wall time and, per rule, from Snakemake's own job
log (start and finish stamps, 1 s resolution): jobs, summed job seconds,
mean per job, the wall during which at least one of its jobs ran, and its
share of the run's core-seconds (sum / (wall x cores)).

    python benchmarks/default_study.py                  # config.yaml, --cores 2
    python benchmarks/default_study.py --configfile benchmarks/no_controls.yaml
    python benchmarks/default_study.py --keep /work/run  # keep the run folder
    python benchmarks/default_study.py --load 2          # beside 2 busy processes

It also prints the wall time in train-job units (wall / the mean train job, the
README's 5x budget) and when each train job and the first control network's job
started: the critical path (training) should start first, whatever else is ready.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
START = re.compile(r"^(?:local)?rule (\w+):$")
JOBID = re.compile(r"^\s+jobid: (\d+)$")
FINISHED = re.compile(r"^Finished jobid: (\d+) \(Rule: (\w+)\)$")
NETWORK = re.compile(r"^\s+wildcards: .*\bnetwork=([^,\s]+)")


def job_intervals(log: str) -> list[tuple[str, float, float]]:
    """(rule, start, end) in seconds since the epoch of every finished job of a run's log."""
    return [(rule, s, e) for rule, s, e, _ in network_jobs(log)]


def network_jobs(log: str) -> list[tuple[str, float, float, str | None]]:
    """(rule, start, end, network wildcard or None) of every finished job of a run's log."""
    stamp, rule, last, starts, networks, out = None, None, None, {}, {}, []
    for line in log.splitlines():
        if m := STAMP.match(line):
            stamp = datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y").timestamp()
        elif m := START.match(line):
            rule = m.group(1)
        elif (m := JOBID.match(line)) and rule is not None:
            last = int(m.group(1))
            starts[last] = (rule, stamp)
            rule = None
        elif (m := NETWORK.match(line)) and last is not None:
            networks[last] = m.group(1)
        elif m := FINISHED.match(line):
            jobid = int(m.group(1))
            name, begun = starts.pop(jobid, (m.group(2), stamp))
            out.append((name, begun, stamp, networks.get(jobid)))
    return out


def critical_path_lines(jobs, started: float, wall: float) -> list[str]:
    """The wall time in train-job units and when training and the controls started."""
    trains = sorted((s, e, n) for rule, s, e, n in jobs if rule == "train")
    control = [s for rule, s, _, n in jobs if n and n.startswith("random")]
    if not trains:
        return ["no train job ran"]
    mean = sum(e - s for s, e, _ in trains) / len(trains)
    starts = ", ".join(f"{n} at +{s - started:.0f} s" for s, _, n in trains)
    first = f"+{min(control) - started:.0f} s" if control else "none ran"
    return [
        f"wall = {wall / mean:.2f} train jobs (mean train job {mean:.0f} s; budget 5)",
        f"train jobs started: {starts}; first control-network job: {first}",
    ]


def busy_load(n: int) -> list[subprocess.Popen]:
    """``n`` processes that keep a core busy each until killed (a loaded machine)."""
    code = "while True: pass"
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(n)]


def busy(intervals: list[tuple[float, float]]) -> float:
    """Length of the union of [start, end] intervals."""
    total, end = 0.0, None
    for s, e in sorted(intervals):
        if end is None or s > end:
            total += e - s
            end = e
        elif e > end:
            total += e - end
            end = e
    return total


def own_cpu_seconds(pid: int, into: list[float], stop: threading.Event) -> None:
    """Poll the user + system CPU seconds of process ``pid`` itself (not its children)
    from /proc every 0.2 s, keeping the last value in ``into[0]``, until ``stop``."""
    tick = os.sysconf("SC_CLK_TCK")
    stat = Path(f"/proc/{pid}/stat")
    while not stop.wait(0.2):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except (FileNotFoundError, ProcessLookupError):
            return
        into[0] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--cores", type=int, default=2)
    a.add_argument("--keep", type=Path, help="run here and keep it (default: a temp folder)")
    a.add_argument("--config", nargs="*", default=[], help="passed to snakemake --config")
    a.add_argument(
        "--configfile",
        type=Path,
        help="passed to snakemake --configfile (laid "
        "over config.yaml; nested numbers must come this way, --config reads "
        "them as text)",
    )
    a.add_argument("--load", type=int, default=0, metavar="N", help="run beside N busy processes")
    args = a.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="facecues-default-"))
    src, run = tmp / "src", (args.keep or tmp / "run")
    src.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "HEAD"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(src / "Snakefile"),
        "--directory",
        str(run),
        "--cores",
        str(args.cores),
    ]
    if args.configfile:
        cmd += ["--configfile", str(args.configfile.resolve())]
    if args.config:
        cmd += ["--config", *args.config]
    log_path = tmp / "snakemake.log"
    load = busy_load(args.load)
    t, started = time.perf_counter(), time.time()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=src, stdout=subprocess.DEVNULL, stderr=log)
        own, stop = [float("nan")], threading.Event()
        poll = threading.Thread(target=own_cpu_seconds, args=(proc.pid, own, stop))
        poll.start()
        _, status, usage = os.wait4(proc.pid, 0)  # usage: Snakemake and every job
        stop.set()
        poll.join()
    wall = time.perf_counter() - t
    for p in load:
        p.kill()
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"snakemake failed ({os.waitstatus_to_exitcode(status)}); log: {log_path}")
    text = log_path.read_text()
    jobs = job_intervals(text)
    critical = critical_path_lines(network_jobs(text), started, wall)
    by_rule: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for rule, s, e in jobs:
        by_rule[rule].append((s, e))
    print(
        f"default study from a clean export of {commit}: {len(jobs)} jobs, "
        f"wall {wall:.0f} s ({wall / 60:.1f} min) on --cores {args.cores}"
        + (f", --configfile {args.configfile}" if args.configfile else "")
        + (f", --config {' '.join(args.config)}" if args.config else "")
        + (f", beside {args.load} busy processes" if args.load else "")
    )
    print("\n".join(critical))
    print(f"{'rule':<20}{'jobs':>6}{'sum s':>9}{'mean s':>9}{'busy wall s':>13}{'core share':>12}")
    rows = sorted(by_rule.items(), key=lambda kv: -sum(e - s for s, e in kv[1]))
    for rule, iv in rows:
        total = sum(e - s for s, e in iv)
        print(
            f"{rule:<20}{len(iv):>6}{total:>9.0f}{total / len(iv):>9.2f}{busy(iv):>13.0f}"
            f"{total / (wall * args.cores):>12.1%}"
        )
    total = sum(e - s for _, s, e in jobs)
    print(
        f"{'all jobs':<20}{len(jobs):>6}{total:>9.0f}{'':>9}{'':>13}"
        f"{total / (wall * args.cores):>12.1%}"
    )
    print(
        "(job times from Snakemake's log, 1 s stamps; the rest of the core-seconds is "
        "Snakemake's own work and idle cores)"
    )
    cpu = usage.ru_utime + usage.ru_stime
    first = min(s for _, s, _ in jobs) - started
    print(
        f"CPU: {cpu:.0f} s in all = {cpu / (wall * args.cores):.0%} of {args.cores} cores x "
        f"wall; Snakemake's own process {own[0]:.0f} s; first job started "
        f"{first:.0f} s after the command"
    )
    if args.keep is None:
        shutil.rmtree(tmp)
    else:
        shutil.rmtree(src)
        print(f"run kept in {run}; Snakemake's log in {log_path}")


if __name__ == "__main__":
    main()
