"""Benchmark: what a pls_vip process costs beyond its work.

The default study ran thousands of pls_vip jobs, one per point, whose own work
(read one shard, fit the probes, write one file) takes milliseconds to a second;
each job was a new process. A job now fits every point of a (network, attribute)
(issue 30's second session: 1,632 starts became 32); this script still measures,
in one run, on a shard of the default study's size, what one start costs:

1. the work: ``fit_layer_probes`` in this process, imports done (min of R);
2. the job as the rule runs it: ``python workflow/bin/pls_vip.py ...`` (min of R);
   overhead = (2) - (1): interpreter, imports, argument parsing, logging;
3. where that overhead goes: a bare interpreter and the import of numpy,
   h5py, facecues.probes.fit, and of ``snakemake.script`` (what the former
   ``script:`` rule paid on top: Snakemake's preamble imports it, then
   unpickles the job's objects);
4. Snakemake's own cost per job in the scheduling process: N trivial shell
   jobs (``touch``) run by ``snakemake --cores 2``, wall / N.

    python benchmarks/pls_vip_overhead.py              # point L23, R = 15, N = 200
    python benchmarks/pls_vip_overhead.py --point L01 --repeat 5
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from facecues.activations.shards import SHARD_FORMAT_VERSION, VERSION_ATTR  # noqa: E402
from facecues.nets.layout import resnet50_points  # noqa: E402
from facecues.probes.fit import fit_layer_probes  # noqa: E402
from facecues.probes.options import ProbeOptions  # noqa: E402

OPTIONS = dict(n_components=8, scale=True, top_k=8, vip_neurons=50, vip_seed=0)


def make_shard(path: Path, point: str, rows: int, width: int, size: int) -> tuple:
    """A float16 ReLU-like shard of the default study's shape at ``point``."""
    points = {p.id: p for p in resnet50_points(width, size, True)}
    index = int(point[1:])
    name, kind, shape = points[point].name, points[point].kind, points[point].shape
    units = int(np.prod(shape))
    rng = np.random.default_rng(0)
    y = np.repeat(np.array([1, -1], dtype=np.int8), rows // 2)
    x = rng.standard_normal((rows, units), dtype=np.float32) + 0.3 * (y[:, None] > 0)
    with h5py.File(path, "w") as f:
        f.attrs.update(point=point, name=name, kind=kind, shape=shape, index=index)
        f.attrs[VERSION_ATTR] = SHARD_FORMAT_VERSION
        f["train"] = np.maximum(x, 0).astype(np.float16)
        f["train_y"] = y
    return shape, units


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def command(shard: Path, out: Path, log: Path) -> list[str]:
    o = OPTIONS
    return [
        sys.executable, str(ROOT / "workflow/bin/pls_vip.py"), "--shards", str(shard),
        "--out", str(out), "--log", str(log), "--network", "0", "--attribute", "Male",
        *ProbeOptions(**o).to_argv(),
    ]  # fmt: skip


def import_cost(code: str, repeat: int) -> float:
    return best_of(repeat, lambda: subprocess.run([sys.executable, "-c", code], check=True))


def snakemake_per_job(n: int, workdir: Path) -> float:
    """Wall seconds per trivial job that ``snakemake --cores 2`` spends around it."""
    workdir.mkdir(parents=True, exist_ok=True)
    snakefile = workdir / "Snakefile"
    snakefile.write_text(
        f"rule all:\n    input: expand('out/{{i}}.txt', i=range({n}))\n\n"
        "rule touch:\n    output: 'out/{i}.txt'\n    shell: 'touch {output}'\n"
    )
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(snakefile), "-d", str(workdir),
         "--cores", "2", "-q", "all"],
        check=True, capture_output=True,
    )  # fmt: skip
    return (time.perf_counter() - t) / n


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--point", default="L23")
    a.add_argument("--rows", type=int, default=512, help="train_per_class x 2 (default 512)")
    a.add_argument("--width", type=int, default=16)
    a.add_argument("--size", type=int, default=64)
    a.add_argument("--repeat", type=int, default=15)
    a.add_argument("--jobs", type=int, default=200, help="trivial jobs for (4)")
    args = a.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shard, out, log = tmp / "shard.h5", tmp / "probe.h5", tmp / "job.log"
        shape, units = make_shard(shard, args.point, args.rows, args.width, args.size)
        work = best_of(
            args.repeat,
            lambda: fit_layer_probes(shard, out, network="0", attribute="Male", **OPTIONS),
        )
        job = best_of(args.repeat, lambda: subprocess.run(command(shard, out, log), check=True))
        costs = {
            "python (bare)": import_cost("pass", args.repeat),
            "import numpy": import_cost("import numpy", args.repeat),
            "import numpy, h5py": import_cost("import numpy, h5py", args.repeat),
            "import facecues.probes.fit": import_cost(
                f"import sys; sys.path.insert(0, {str(ROOT / 'src')!r}); "
                "import facecues.probes.fit", args.repeat),
            "import snakemake.script": import_cost("import snakemake.script", args.repeat),
        }  # fmt: skip
        per_job = snakemake_per_job(args.jobs, tmp / "smk")
    print(
        f"pls_vip at {args.point} {shape} ({units:,} units), {args.rows} rows, float16; "
        f"min of {args.repeat}"
    )
    print(f"  work in this process (fit_layer_probes)     {work:8.3f} s")
    print(f"  the job's command (python workflow/bin/...) {job:8.3f} s")
    print(f"  overhead per job (command - work)           {job - work:8.3f} s")
    print("where a job's start-up goes (a fresh interpreter each, min of runs):")
    for k, v in costs.items():
        print(f"  {k:<42}{v:8.3f} s")
    print(
        f"the former script: rule paid 'import snakemake.script' on top: "
        f"{costs['import snakemake.script'] - costs['python (bare)']:.3f} s more per job"
    )
    print(f"snakemake --cores 2, {args.jobs} trivial shell jobs: {per_job:.3f} s of wall per job")


if __name__ == "__main__":
    main()
