"""Paper-scale job costs on this machine: one ``extract`` job and one ``pls_vip`` job.

The jobs are the real ones, run as the workflow's rule scripts run them, each in
its own child process (its own peak RSS, CPU time and ``/proc/self/io``):

- extract: a random-init ResNet-50 (``FaceResNet``, base width 64, stride in the
  1x1 conv as configs/paper.yaml) saved as a checkpoint, loaded with
  ``facecues.nets.device.job_network`` (2 threads, as the rule declares) and run by
  ``facecues.activations.extract.extract_shards`` over real JPEG files (178 x 218 px, the size
  of CelebA's aligned images, resized to 224 px as the job does) with the paper's
  probe settings (float16, batch 64): the 50 shards, ~37 GB at 2,048 rows;
- pls_vip: ``facecues.probes.fit.fit_layer_probes`` (n_components 8, top_k 8,
  vip_neurons 50, scale) on the largest shard (the stem, L01: 64 x 112 x 112 =
  802,816 units; layer1's outputs L04 / L07 / L10 are as large) with the paper's
  2,048 rows, on 1 BLAS thread (the rule declares none; Snakemake sets
  OMP_NUM_THREADS to the job's threads), once with the shard dropped from the
  page cache (fsync + POSIX_FADV_DONTNEED, checked with ``fincore``) and once
  warm, straight after.

Inside the children, thin wrappers time the phases without changing the code
path: image loading (``ImageFiles.__getitem__``), forward passes (hooks on the
network), HDF5 writes (``h5py.Dataset.__setitem__``) and closes; the shard read
(``activations.shards.read_shard``, checks included) and the fit
(``probes.fit.unit_features``).  The
parent samples every second the machine's CPU use (``/proc/stat``), the child's,
the load average, dirty page cache and the disk's own counters
(``/proc/diskstats``), and stops the extract job if free disk falls below
``--min-free-gb``.  ``dd`` on the same disk gives the reference throughputs
(direct and buffered I/O), before and after the jobs.

    python benchmarks/paper_scale.py                 # 2,048 images, all 50 points (~37 GB)
    python benchmarks/paper_scale.py --images 512    # a quarter of the rows, scaled up x4
    python benchmarks/paper_scale.py --images 64 --pls-rows 256 --dd-mib 256   # a smoke test

With fewer ``--images`` than ``--paper-rows``, the extract figures are also given
scaled linearly to the paper's rows, and the pls_vip shard (``--pls-rows`` rows)
is written by a second extract job over point L01 alone.  Every file is deleted at
the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from facecues.nets.layout import point_id, resnet50_points  # noqa: E402  (no torch)

GB, MB, MIB = 1e9, 1e6, 2**20
PAPER = dict(base_width=64, input_size=224, stride_in_1x1=True)  # configs/paper.yaml model
PROBE = dict(dtype="float16", batch_size=64, n_components=8, top_k=8, vip_neurons=50, scale=True)
EXTRACT_THREADS = 2  # workflow/rules/extract.smk: threads: 2
IMAGE_SIZE = (178, 218)  # CelebA's img_align_celeba
PLS_POINT = 1  # L01, the stem: 802,816 units at 224 px, width 64
HZ = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------- /proc readers
def proc_io(pid: int | str = "self") -> dict[str, int]:
    try:
        text = Path(f"/proc/{pid}/io").read_text()
    except OSError:
        return {}
    return {k: int(v) for k, v in (line.split(": ") for line in text.splitlines())}


def proc_cpu_jiffies(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime (all threads)


def machine_busy_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs since boot."""
    v = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = v[3] + v[4]  # idle + iowait
    total = sum(v[:8])  # without guest (already counted in user)
    return total - idle, total


def meminfo(*keys: str) -> dict[str, int]:
    out = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        k, v = line.split(":", 1)
        if k in keys:
            out[k] = int(v.split()[0]) * 1024
    return out


def loadavg() -> tuple[float, float, float]:
    a = Path("/proc/loadavg").read_text().split()
    return float(a[0]), float(a[1]), float(a[2])


def block_device(path: Path) -> str | None:
    """The /proc/diskstats name of the device holding ``path``."""
    st = os.stat(path)
    major, minor = os.major(st.st_dev), os.minor(st.st_dev)
    for line in Path("/proc/diskstats").read_text().splitlines():
        f = line.split()
        if int(f[0]) == major and int(f[1]) == minor:
            return f[2]
    return None


def disk_sectors(dev: str | None) -> tuple[int, int]:
    """(bytes read, bytes written) by the whole device since boot."""
    if dev is None:
        return 0, 0
    for line in Path("/proc/diskstats").read_text().splitlines():
        f = line.split()
        if f[2] == dev:
            return int(f[5]) * 512, int(f[9]) * 512
    return 0, 0


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "?"


def resident_bytes(path: Path) -> int | None:
    """Bytes of ``path`` in the page cache (util-linux ``fincore``), None if unknown."""
    if not shutil.which("fincore"):
        return None
    r = subprocess.run(
        ["fincore", "--bytes", "--noheadings", "--raw", "-o", "RES", str(path)],
        capture_output=True,
        text=True,
    )
    try:
        return int(r.stdout.split()[0])
    except (IndexError, ValueError):
        return None


def drop_from_cache(path: Path) -> None:
    """Write back and evict ``path``'s pages (no root needed for one's own files)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------- sampling
class Sampler:
    """Samples the machine and one process every ``interval`` s while it runs."""

    def __init__(
        self,
        pid: int | None,
        dev: str | None,
        disk_path: Path,
        min_free: float = 0,
        on_low_disk=None,
        interval: float = 1.0,
    ):
        self.pid, self.dev, self.disk_path = pid, dev, disk_path
        self.min_free, self.on_low_disk, self.interval = min_free, on_low_disk, interval
        self.samples: list[dict] = []
        self.low_disk = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> dict:
        busy, total = machine_busy_jiffies()
        rd, wr = disk_sectors(self.dev)
        mem = meminfo("Dirty", "Writeback", "Cached", "MemAvailable")
        s = dict(
            t=time.perf_counter(),
            busy=busy,
            total=total,
            load=loadavg()[0],
            dev_read=rd,
            dev_write=wr,
            dirty=mem.get("Dirty", 0) + mem.get("Writeback", 0),
            cached=mem.get("Cached", 0),
            free=shutil.disk_usage(self.disk_path).free,
        )
        if self.pid is not None:
            s["proc_cpu"] = proc_cpu_jiffies(self.pid)
            s["proc_write"] = proc_io(self.pid).get("write_bytes")
        return s

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            s = self.sample()
            self.samples.append(s)
            if self.min_free and s["free"] < self.min_free and not self.low_disk:
                self.low_disk = True
                if self.on_low_disk:
                    self.on_low_disk()

    def __enter__(self):
        self.samples.append(self.sample())
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(self.sample())

    def summary(self) -> dict:
        s = self.samples
        a, b = s[0], s[-1]
        dt = max(1e-9, b["t"] - a["t"])
        ncpu = os.cpu_count() or 1
        busy_cores = (b["busy"] - a["busy"]) / max(1, b["total"] - a["total"]) * ncpu
        out = dict(
            seconds=dt,
            load_start=a["load"],
            load_max=max(x["load"] for x in s),
            load_end=b["load"],
            machine_busy_cores=busy_cores,
            dev_read_bytes=b["dev_read"] - a["dev_read"],
            dev_write_bytes=b["dev_write"] - a["dev_write"],
            dirty_max=max(x["dirty"] for x in s),
            free_min=min(x["free"] for x in s),
        )
        cpus = [x.get("proc_cpu") for x in s if x.get("proc_cpu") is not None]
        if len(cpus) >= 2:
            out["proc_cores"] = (cpus[-1] - cpus[0]) / HZ / dt
            out["other_cores"] = max(0.0, busy_cores - out["proc_cores"])
        out["dev_write_peak_bytes_s"] = _peak_rate(s, "dev_write", 5.0)
        return out


def _peak_rate(samples: list[dict], key: str, window: float) -> float:
    """Highest rate of ``key`` over any ``window`` seconds of samples."""
    best, j = 0.0, 0
    for i in range(len(samples)):
        while samples[i]["t"] - samples[j]["t"] > window:
            j += 1
        dt = samples[i]["t"] - samples[j]["t"]
        if dt >= window * 0.8:
            best = max(best, (samples[i][key] - samples[j][key]) / dt)
    return best


# ---------------------------------------------------------------------- dd
def run_dd(args: list[str]) -> dict:
    """One dd run: bytes, seconds and B/s as dd reports them; wall and CPU of dd itself."""
    env = dict(os.environ, LC_ALL="C")
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(["dd", *args], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise RuntimeError(f"dd {' '.join(args)} failed: {r.stderr}")
    m = re.search(r"(\d+) bytes .* copied, ([\d.e+-]+) s", r.stderr)
    nbytes, secs = int(m.group(1)), float(m.group(2))
    return dict(
        args=" ".join(args),
        bytes=nbytes,
        seconds=secs,
        wall=wall,
        bytes_s=nbytes / secs,
        cpu=(ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
        load=loadavg()[0],
    )


def dd_suite(folder: Path, mib: int) -> dict:
    """Direct and buffered sequential write and (cold) read of ``mib`` MiB on ``folder``'s disk."""
    f = folder / "dd.bin"
    count = max(1, mib // 16)
    out = {}
    try:
        out["write_direct"] = run_dd(
            [
                "if=/dev/zero",
                f"of={f}",
                "bs=16M",
                f"count={count}",
                "oflag=direct",
                "conv=fdatasync",
            ]
        )
        out["read_direct"] = run_dd([f"if={f}", "of=/dev/null", "bs=16M", "iflag=direct"])
        f.unlink()
        out["write_buffered"] = run_dd(
            ["if=/dev/zero", f"of={f}", "bs=16M", f"count={count}", "conv=fdatasync"]
        )
        drop_from_cache(f)
        out["read_buffered_cold"] = run_dd([f"if={f}", "of=/dev/null", "bs=16M"])
        out["read_buffered_cold"]["resident_before"] = 0  # just dropped
    finally:
        f.unlink(missing_ok=True)
    return out


# ---------------------------------------------------------------------- inputs
def make_images(folder: Path, n: int, seed: int = 0) -> list[Path]:
    """``n`` JPEGs of 178 x 218 px: smooth random colour fields plus grain (~10-20 kB)."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    w, h = IMAGE_SIZE
    paths = []
    for i in range(n):
        low = rng.integers(0, 256, (14, 12, 3), dtype=np.uint8)
        img = np.asarray(Image.fromarray(low).resize((w, h), Image.BICUBIC), dtype=np.float32)
        img += rng.normal(0, 6, img.shape)
        p = folder / f"{i:06d}.jpg"
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(p, quality=90)
        paths.append(p)
    return paths


def make_network(path: Path, seed: int = 0) -> None:
    """A random-init paper network saved as the train rule saves one."""
    import torch

    from facecues.nets.checkpoint import save_network
    from facecues.nets.resnet import FaceResNet

    torch.manual_seed(seed)
    save_network(
        FaceResNet(0, base_width=PAPER["base_width"], stride_in_1x1=PAPER["stride_in_1x1"]), path
    )


# ---------------------------------------------------------------------- children
class Phases:
    """Wall and CPU seconds (the process's, all threads) spent inside wrapped calls."""

    def __init__(self, *keys: str):
        self.wall = dict.fromkeys(keys, 0.0)
        self.cpu = dict.fromkeys(keys, 0.0)

    @staticmethod
    def now() -> tuple[float, float]:
        return time.perf_counter(), time.process_time()

    def add(self, key: str, t0: tuple[float, float]) -> None:
        self.wall[key] += time.perf_counter() - t0[0]
        self.cpu[key] += time.process_time() - t0[1]

    def wrap(self, key: str, fn, on_call=None):
        def wrapper(*a, **k):
            t0 = self.now()
            try:
                return fn(*a, **k)
            finally:
                self.add(key, t0)
                if on_call is not None:
                    on_call(a)

        return wrapper

    def result(self) -> dict:
        return {**self.wall, "cpu_phases": self.cpu}


def _times() -> dict:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return dict(t=time.perf_counter(), user=ru.ru_utime, sys=ru.ru_stime, maxrss=ru.ru_maxrss)


def child_extract(spec: dict) -> dict:
    """The extract rule's script (workflow/scripts/extract.py) on ``spec``, phases timed."""
    start, io0 = _times(), proc_io()
    import h5py
    import numpy as np

    import facecues.data.images as fimages
    from facecues.activations.extract import extract_shards
    from facecues.nets.device import job_network

    ph = Phases("load", "forward", "write", "close")
    written = dict(write_calls=0, write_bytes=0)

    def count(a) -> None:  # Dataset.__setitem__(self, key, value)
        written["write_calls"] += 1
        written["write_bytes"] += getattr(a[2], "nbytes", 0)

    fimages.ImageFiles.__getitem__ = ph.wrap("load", fimages.ImageFiles.__getitem__)
    h5py.Dataset.__setitem__ = ph.wrap("write", h5py.Dataset.__setitem__, count)
    h5py.File.close = ph.wrap("close", h5py.File.close)
    imported = _times()

    model, device = job_network(spec["model"], PAPER, spec["threads"])
    fwd_t0 = {}
    model.register_forward_pre_hook(lambda *_: fwd_t0.__setitem__("t", ph.now()))
    model.register_forward_hook(lambda *_: ph.add("forward", fwd_t0["t"]))
    paths = [Path(p) for p in spec["images"]]
    y = np.where(np.arange(len(paths)) % 2 == 0, 1, -1).astype(np.int8)
    outputs = {int(k): Path(v) for k, v in spec["outputs"].items()}
    before = _times()
    extract_shards(
        model,
        {"train": (paths, y)},
        outputs,
        input_size=PAPER["input_size"],
        dtype=PROBE["dtype"],
        batch_size=PROBE["batch_size"],
        device=device,
    )
    end, io1 = _times(), proc_io()
    return dict(
        device=str(device),
        rows=len(paths),
        points=len(outputs),
        wall=end["t"] - start["t"],
        imports=imported["t"] - start["t"],
        startup=before["t"] - start["t"],
        call=end["t"] - before["t"],
        user=end["user"],
        sys=end["sys"],
        user_call=end["user"] - before["user"],
        sys_call=end["sys"] - before["sys"],
        maxrss=end["maxrss"] * 1024,
        maxrss_before_call=before["maxrss"] * 1024,
        io={k: io1.get(k, 0) - io0.get(k, 0) for k in io1},
        **written,
        **ph.result(),
    )


def child_pls(spec: dict) -> dict:
    """The pls_vip rule's script (workflow/scripts/pls_vip.py) on ``spec``, phases timed."""
    start, io0 = _times(), proc_io()
    import h5py

    from facecues.probes import fit as layer_probe

    ph = Phases("read", "fit")
    layer_probe.read_shard = ph.wrap("read", layer_probe.read_shard)
    layer_probe.unit_features = ph.wrap("fit", layer_probe.unit_features)
    with h5py.File(spec["shard"], "r") as f:
        rows, units = f["train"].shape
    before = _times()
    layer_probe.fit_layer_probes(
        spec["shard"],
        spec["out"],
        n_components=PROBE["n_components"],
        scale=PROBE["scale"],
        top_k=PROBE["top_k"],
        vip_neurons=PROBE["vip_neurons"],
    )
    end, io1 = _times(), proc_io()
    return dict(
        rows=rows,
        units=units,
        wall=end["t"] - start["t"],
        startup=before["t"] - start["t"],
        call=end["t"] - before["t"],
        user=end["user"],
        sys=end["sys"],
        maxrss=end["maxrss"] * 1024,
        io={k: io1.get(k, 0) - io0.get(k, 0) for k in io1},
        out_bytes=os.path.getsize(spec["out"]),
        **ph.result(),
    )


def run_child(
    kind: str, spec: dict, folder: Path, threads: int, min_free: float, after=None
) -> dict:
    """Run a child (its own process, BLAS / OpenMP threads as Snakemake sets them) under a
    Sampler; stop it if free disk falls below ``min_free``.  ``after()``, if given, runs
    under the same Sampler once the child has ended; its seconds are ``result["after"]``."""
    spec_path, result_path = folder / f"{kind}.spec.json", folder / f"{kind}.result.json"
    spec_path.write_text(json.dumps(spec))
    result_path.unlink(missing_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    cmd = [sys.executable, __file__, "--child", kind, str(spec_path), str(result_path)]
    log = folder / f"{kind}.log"
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(log, "w") as lf:
        proc = subprocess.Popen(cmd, stdout=lf, stderr=subprocess.STDOUT, env=env)
        sampler = Sampler(
            proc.pid,
            block_device(folder),
            folder,
            min_free,
            on_low_disk=lambda: proc.send_signal(signal.SIGKILL),
        )
        with sampler:
            rc = proc.wait()
            wall = time.perf_counter() - t0
            if rc == 0 and after is not None:
                after()
            after_s = time.perf_counter() - t0 - wall
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if sampler.low_disk:
        raise RuntimeError(f"{kind}: stopped, free disk fell below {min_free / GB:.0f} GB")
    if rc != 0:
        raise RuntimeError(f"{kind} child failed (rc {rc}):\n{log.read_text()[-3000:]}")
    result = json.loads(result_path.read_text())
    result["process_wall"] = wall  # interpreter start-up included
    result["after"] = after_s
    result["process_cpu"] = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    result["machine"] = sampler.summary()
    return result


# ---------------------------------------------------------------------- text
def fmt_bytes(b: float) -> str:
    return f"{b / GB:,.2f} GB" if abs(b) >= 1e8 else f"{b / MB:,.1f} MB"


def fmt_rate(b: float) -> str:
    return f"{b / MB:,.0f} MB/s"


def contention(m: dict) -> str:
    other = m.get("other_cores")
    return (
        f"load {m['load_start']:.2f} -> {m['load_end']:.2f} (max {m['load_max']:.2f}); "
        f"machine busy {m['machine_busy_cores']:.2f} cores"
        + (
            f", of which the job {m['proc_cores']:.2f}, others {other:.2f}"
            if other is not None
            else ""
        )
    )


def plan_comparison(ex: dict, pls_cold: dict, paper_rows: int) -> list[str]:
    """The plan's assumed speeds and memory (facecues.plan.costs, paper config on the CPU) against
    the measurements."""
    from facecues.literature import CELEBA_PIXELS
    from facecues.plan import costs as P
    from facecues.plan import measured as M
    from facecues.study.study import load_study

    rows = ex["rows"]

    def paper(per_class: int):  # this machine: the CPU path of the model
        given = {"probe": {"gpus": 0, "train_per_class": per_class}}
        return load_study(ROOT / "configs" / "paper.yaml", given=given, write=False)

    cfg, pls_cfg = paper(rows // 2), paper(pls_cold["rows"] // 2)
    units = sum(p.units for p in resnet50_points(**PAPER))
    nbytes = rows * units * 2
    forward_plan = P._step_s(cfg, False, EXTRACT_THREADS, amp=False) * M.FORWARD_FRACTION
    load_plan = P._load_s(CELEBA_PIXELS, PAPER["input_size"])
    forward = ex["forward"] / rows
    load = ex["load"] / rows
    write_rate = ex["write_bytes"] / ex["write"]
    n, m = pls_cold["rows"], pls_cold["units"]
    fit_el = pls_cold["fit"] / (n * m)  # 1 thread: core-seconds per element
    fit_el_cpu = pls_cold["cpu_phases"]["fit"] / (n * m)
    read_rate = n * m * 2 / pls_cold["read"]
    read_rate_cpu = n * m * 2 / pls_cold["cpu_phases"]["read"]
    forward_cpu = ex["cpu_phases"]["forward"] / rows / EXTRACT_THREADS
    est_extract = P.estimate_seconds("extract", cfg)
    est_pls = P.PLS_JOB_START_S + P.pls_point_seconds(m, pls_cfg)
    lines = [
        f"  {'constant / estimate':<34}{'plan.py':>14}{'measured':>14}  note",
        f"  {'forward s/image (2 thr, 224 px)':<34}{forward_plan:>14.3f}{forward:>14.3f}  "
        f"CPU_TRAIN_IMAGES_S {M.CPU_TRAIN_IMAGES_S:.0f} x FORWARD_FRACTION "
        f"{M.FORWARD_FRACTION:.2f}; same forward with CPU_TRAIN_IMAGES_S = "
        f"{M.CPU_TRAIN_IMAGES_S * forward_plan / forward:.0f}",
        f"  {'  its CPU-s / 2 (2 free cores)':<34}{forward_plan:>14.3f}{forward_cpu:>14.3f}  "
        f"the same without contention (if both threads were busy): CPU_TRAIN_IMAGES_S = "
        f"{M.CPU_TRAIN_IMAGES_S * forward_plan / forward_cpu:.0f}",
        f"  {'load s/image (178x218 -> 224)':<34}{load_plan:>14.4f}{load:>14.4f}  "
        "LOAD_S_* (decode + resize + normalise, 1 core)",
        f"  {'DISK_WRITE_BYTES_S':<34}{M.DISK_WRITE_BYTES_S / MB:>11.0f} MB{write_rate / MB:>11.0f}"
        f" MB  HDF5 writes inside the job (page cache, throttled by writeback)",
        f"  {'SHARD_READ_BYTES_S':<34}{M.SHARD_READ_BYTES_S / MB:>11.0f} MB{read_rate / MB:>11.0f}"
        f" MB  read_shard, cold shard, float16 -> float32",
        f"  {'  by its CPU seconds':<34}{M.SHARD_READ_BYTES_S / MB:>11.0f} MB"
        f"{read_rate_cpu / MB:>11.0f} MB  shard bytes / CPU-s of the read (without contention)",
        f"  {'PLS_FIT_FACTOR x PLS_CORE_S_PER_EL':<34}"
        f"{M.PLS_FIT_FACTOR * M.PLS_CORE_S_PER_ELEMENT:>14.2e}{fit_el:>14.2e}  unit_features, "
        f"1 thread, n x m = {n:,} x {m:,} (PLS_CORE_S_PER_ELEMENT = {fit_el / M.PLS_FIT_FACTOR:.2e}"
        " at the same factor)",
        f"  {'  by its CPU seconds':<34}"
        f"{M.PLS_FIT_FACTOR * M.PLS_CORE_S_PER_ELEMENT:>14.2e}{fit_el_cpu:>14.2e}  "
        f"(PLS_CORE_S_PER_ELEMENT = {fit_el_cpu / M.PLS_FIT_FACTOR:.2e} at the same factor)",
        f"  {'TORCH_JOB_START_S':<34}{M.TORCH_JOB_START_S:>14.1f}{ex['startup']:>14.1f}  "
        "imports + job_network (in the child, interpreter start not counted)",
        f"  {'PLS_JOB_START_S':<34}{M.PLS_JOB_START_S:>14.2f}"
        f"{pls_cold['process_wall'] - pls_cold['call']:>14.2f}  process wall less the call",
        f"  {'extract job s (' + format(rows, ',') + ' rows)':<34}"
        f"{est_extract:>14.0f}"
        f"{ex['process_wall']:>14.0f}  estimate_seconds('extract'), CPU",
        f"  {'extract peak RSS MB':<34}{P.estimate_mem_mb('extract', cfg):>14,.0f}"
        f"{ex['maxrss'] / MIB:>14,.0f}  estimate_mem_mb (before MEM_MARGIN)",
        f"  {'pls_vip job s (' + format(m, ',') + ' units)':<34}{est_pls:>14.1f}"
        f"{pls_cold['process_wall']:>14.1f}"
        "  PLS_JOB_START_S + pls_point_seconds, cold shard",
        f"  {'pls_vip peak RSS MB':<34}{P.pls_vip_mem_mb(m, pls_cfg):>14,}"
        f"{pls_cold['maxrss'] / MIB:>14,.0f}  pls_vip_mem_mb (what the rule asks)",
        f"  (extract: {fmt_bytes(nbytes)} of shards; the plan's CPU extract has no term for the "
        f"float16 casts, measured {ex['cast'] / rows:.3f} s/image)",
    ]
    return lines


def report(res: dict, args) -> str:
    ex, paper_rows = res["extract"], args.paper_rows
    rows = ex["rows"]
    scale = paper_rows / rows
    shard_bytes = ex["shard_bytes"]
    L = [
        f"paper-scale job costs: {res['cpu']} x {os.cpu_count()} CPUs, "
        f"{meminfo('MemTotal')['MemTotal'] / 2**30:.0f} GiB RAM; disk {res['device']} "
        f"({res['fs']}) at {res['folder']}",
        f"network: ResNet-50, width {PAPER['base_width']}, {PAPER['input_size']} px, "
        f"stride_in_1x1, random init; {PROBE['dtype']} shards, batch {PROBE['batch_size']}, "
        f"torch threads {EXTRACT_THREADS}; pls_vip BLAS threads {args.pls_threads}",
        "",
        "dd on the same disk (16 MiB blocks):",
    ]
    for when in ("dd_before", "dd_after"):
        if when in res:
            d = res[when]
            L.append(
                f"  {when[3:]:<7} "
                + "  ".join(f"{k} {fmt_rate(v['bytes_s'])}" for k, v in d.items())
                + f"   ({fmt_bytes(d['write_direct']['bytes'])} each, "
                f"load {d['write_direct']['load']:.2f})"
            )
    dd = res["dd_before"]
    L += [
        "",
        f"extract: {rows:,} images x {ex['points']} points"
        + (
            f" (a subset: x{scale:g} = the paper's {paper_rows:,} rows in the right column)"
            if rows != paper_rows
            else ""
        ),
    ]
    cpu = ex["cpu_phases"]
    call_cpu = ex["user_call"] + ex["sys_call"]
    job_cpu = ex["user"] + ex["sys"]
    cast_cpu = call_cpu - sum(cpu.values())
    # name, value, unit, CPU seconds (or None), scales with the rows
    rows_tbl: list[tuple] = [
        ("job wall (process)", ex["process_wall"], "s", job_cpu, True),
        ("  start-up (imports, network)", ex["startup"], "s", job_cpu - call_cpu, False),
        ("  extract_shards call", ex["call"], "s", call_cpu, True),
        ("    image loading", ex["load"], "s", cpu["load"], True),
        ("    forward passes (+ capture)", ex["forward"], "s", cpu["forward"], True),
        ("    float16 casts + numpy", ex["cast"], "s", cast_cpu, True),
        ("    HDF5 writes (Dataset.__setitem__)", ex["write"], "s", cpu["write"], True),
        ("    HDF5 closes", ex["close"], "s", cpu["close"], True),
        ("fsync of the shards after the job", ex["flush"], "s", None, True),
        ("CPU user", ex["user"], "s", None, ex["user_call"]),
        ("CPU sys", ex["sys"], "s", None, ex["sys_call"]),
        ("peak RSS", ex["maxrss"], "B", None, False),
        ("shards on disk", shard_bytes, "B", None, True),
        ("/proc/self/io write_bytes", ex["io"].get("write_bytes", 0), "B", None, True),
        ("/proc/self/io read_bytes", ex["io"].get("read_bytes", 0), "B", None, True),
        (
            "disk written, all processes (diskstats)",
            ex["machine"]["dev_write_bytes"],
            "B",
            None,
            True,
        ),
    ]
    head = f"  {'':<40}{'measured':>14}{'CPU':>12}"
    L.append(head + (f"{'x' + format(scale, 'g'):>14}" if scale != 1 else ""))
    for name, v, unit, c, scales in rows_tbl:
        txt = fmt_bytes(v) if unit == "B" else f"{v:,.1f} s"
        line = f"  {name:<40}{txt:>14}{'' if c is None else f'{c:,.1f} s':>12}"
        if scale != 1:
            if name == "job wall (process)":
                scales = ex["call"]
            sv = v * scale if scales is True else v
            if scales is not True and scales:  # only the extract_shards call's part scales
                sv = v - scales + scales * scale
            line += f"{fmt_bytes(sv) if unit == 'B' else f'{sv:,.1f} s':>14}"
        L.append(line)
    w = ex["write_bytes"] / ex["write"]
    e2e = shard_bytes / (ex["write"] + ex["close"] + ex["flush"])
    job_rate = shard_bytes / ex["process_wall"]
    L += [
        f"  throughput: HDF5 writes {fmt_rate(w)} = {w / dd['write_buffered']['bytes_s']:.2f}x dd "
        f"buffered write, {w / dd['write_direct']['bytes_s']:.2f}x dd direct;",
        f"    writes + closes + post-job fsync {fmt_rate(e2e)} "
        f"({e2e / dd['write_buffered']['bytes_s']:.2f}x dd buffered); "
        f"whole job {fmt_rate(job_rate)}"
        f"; disk's peak (5 s, all processes) {fmt_rate(ex['machine']['dev_write_peak_bytes_s'])}",
        f"    per image: {ex['process_wall'] / rows:.3f} s wall, "
        f"{(ex['user'] + ex['sys']) / rows:.3f} CPU-s; peak dirty+writeback "
        f"{fmt_bytes(ex['machine']['dirty_max'])}; min free disk "
        f"{fmt_bytes(ex['machine']['free_min'])}",
        f"  contention: {contention(ex['machine'])}",
        "",
        f"pls_vip: {res['pls_shard']} ({res['pls']['cold']['units']:,} units x "
        f"{res['pls']['cold']['rows']:,} rows, {fmt_bytes(res['pls_shard_bytes'])}), "
        f"fit_layer_probes(n_components {PROBE['n_components']}, top_k {PROBE['top_k']}, "
        f"vip_neurons {PROBE['vip_neurons']}, scale)",
        f"  {'':<40}" + "".join(f"{k:>14}" for k in res["pls"]),
    ]
    pls = res["pls"]

    def row(name, fn, kind="s"):
        vals = []
        for r in pls.values():
            v = fn(r)
            vals.append(
                fmt_bytes(v)
                if kind == "B"
                else fmt_rate(v)
                if kind == "r"
                else f"{v:,.1f} s"
                if kind == "s"
                else f"{v:,.2f}"
            )
        return f"  {name:<40}" + "".join(f"{v:>14}" for v in vals)

    L += [
        row("in page cache before", lambda r: r["resident_before"] or 0, "B"),
        row("job wall (process)", lambda r: r["process_wall"]),
        row("  start-up (interpreter, imports)", lambda r: r["process_wall"] - r["call"]),
        row("  read_shard (shard -> float32)", lambda r: r["read"]),
        row("    its CPU", lambda r: r["cpu_phases"]["read"]),
        row("  unit_features (PLS, VIP, probes)", lambda r: r["fit"]),
        row("    its CPU", lambda r: r["cpu_phases"]["fit"]),
        row("  write probe file", lambda r: r["call"] - r["read"] - r["fit"]),
        row("CPU user", lambda r: r["user"]),
        row("CPU sys", lambda r: r["sys"]),
        row("peak RSS", lambda r: r["maxrss"], "B"),
        row("/proc/self/io read_bytes", lambda r: r["io"].get("read_bytes", 0), "B"),
        row("/proc/self/io write_bytes", lambda r: r["io"].get("write_bytes", 0), "B"),
        row(
            "read throughput (shard bytes / read)",
            lambda r: res["pls_shard_bytes"] / r["read"],
            "r",
        ),
        row(
            "  vs dd direct read",
            lambda r: res["pls_shard_bytes"] / r["read"] / dd["read_direct"]["bytes_s"],
            "x",
        ),
        row(
            "  vs dd buffered cold read",
            lambda r: res["pls_shard_bytes"] / r["read"] / dd["read_buffered_cold"]["bytes_s"],
            "x",
        ),
        row("load average, start", lambda r: r["machine"]["load_start"], "x"),
        row("load average, max", lambda r: r["machine"]["load_max"], "x"),
        row("machine busy cores", lambda r: r["machine"]["machine_busy_cores"], "x"),
        row("  of which others", lambda r: r["machine"].get("other_cores", 0), "x"),
        "",
        "against facecues.plan.costs (configs/paper.yaml, probe.gpus = 0):",
        *plan_comparison(ex, pls["cold"], paper_rows),
    ]
    return "\n".join(L)


# ---------------------------------------------------------------------- main
def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--images",
        type=int,
        default=2048,
        help="rows of the extract job (default 2,048, the paper's)",
    )
    ap.add_argument(
        "--paper-rows",
        type=int,
        default=2048,
        help="rows the extract figures are scaled to (default 2,048)",
    )
    ap.add_argument(
        "--pls-rows", type=int, default=2048, help="rows of the pls_vip shard (default 2,048)"
    )
    ap.add_argument("--pls-threads", type=int, default=1)
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help="working folder (default a new temporary folder under /work)",
    )
    ap.add_argument(
        "--min-free-gb",
        type=float,
        default=15.0,
        help="stop the extract job below this much free disk (default 15)",
    )
    ap.add_argument("--dd-mib", type=int, default=4096, help="size of the dd test file")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--keep", action="store_true", help="keep the working folder")
    ap.add_argument("--child", nargs=3, metavar=("KIND", "SPEC", "RESULT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        kind, spec, result = args.child
        fn = child_extract if kind.startswith("extract") else child_pls
        Path(result).write_text(json.dumps(fn(json.loads(Path(spec).read_text()))))
        return

    base = Path("/work") if Path("/work").is_dir() else None
    folder = args.out or Path(tempfile.mkdtemp(prefix="paper_scale-", dir=base))
    folder.mkdir(parents=True, exist_ok=True)
    min_free = args.min_free_gb * GB
    points = resnet50_points(**PAPER)
    units = [p.units for p in points]
    per_row = sum(units) * 2
    pls_units = units[PLS_POINT - 1]
    rows = args.images
    pls_separate = args.pls_rows != rows
    need = rows * per_row + (args.pls_rows * pls_units * 2 if pls_separate else 0)
    free = shutil.disk_usage(folder).free
    if free - need - args.dd_mib * MIB < min_free:
        fit = int((free - min_free - args.dd_mib * MIB) // per_row) // PROBE["batch_size"]
        raise SystemExit(
            f"{rows:,} rows need {fmt_bytes(need)} of shards, {fmt_bytes(free)} free and "
            f"{args.min_free_gb:g} GB must stay free: use --images {fit * PROBE['batch_size']}"
        )
    avail = meminfo("MemAvailable")["MemAvailable"]
    if args.pls_rows * pls_units * 4 * 1.3 > avail:
        raise SystemExit(
            f"pls_vip needs ~{fmt_bytes(args.pls_rows * pls_units * 5.2)}, "
            f"{fmt_bytes(avail)} available: lower --pls-rows"
        )

    res: dict = dict(cpu=cpu_model(), folder=str(folder), device=block_device(folder))
    res["fs"] = next(
        (
            f"{line.split()[0]} {line.split()[2]}"
            for line in Path("/proc/mounts").read_text().splitlines()
            if line.split()[1] == "/"
        ),
        "?",
    )
    print(
        f"working folder {folder}; {fmt_bytes(need)} of shards to write, "
        f"{fmt_bytes(free)} free; load average {loadavg()}",
        flush=True,
    )
    try:
        print(f"dd, {args.dd_mib} MiB ...", flush=True)
        res["dd_before"] = dd_suite(folder, args.dd_mib)
        t = time.perf_counter()
        images = make_images(folder / "images", max(rows, args.pls_rows))
        make_network(folder / "model.pt")
        print(
            f"{len(images):,} JPEGs and the network in {time.perf_counter() - t:.0f} s", flush=True
        )
        shard_dir = folder / "activations"
        outputs = {i: str(shard_dir / f"{point_id(i)}.h5") for i in range(1, len(points) + 1)}
        spec = dict(
            model=str(folder / "model.pt"),
            threads=EXTRACT_THREADS,
            images=[str(p) for p in images[:rows]],
            outputs=outputs,
        )
        print(f"extract: {rows:,} images x {len(outputs)} points ...", flush=True)

        def fsync_shards() -> None:  # what the job left in the page cache, written back
            for p in outputs.values():
                fd = os.open(p, os.O_RDONLY)
                os.fsync(fd)
                os.close(fd)

        ex = run_child("extract", spec, folder, EXTRACT_THREADS, min_free, after=fsync_shards)
        ex["flush"] = ex["after"]
        ex["shard_bytes"] = sum(os.path.getsize(p) for p in outputs.values())
        ex["cast"] = ex["call"] - ex["load"] - ex["forward"] - ex["write"] - ex["close"]
        res["extract"] = ex
        print(
            f"  {ex['process_wall']:.0f} s, {fmt_bytes(ex['shard_bytes'])}, fsync after "
            f"{ex['flush']:.1f} s",
            flush=True,
        )

        shard = Path(outputs[PLS_POINT])
        if pls_separate:
            for p in outputs.values():
                Path(p).unlink()
            spec = dict(
                model=str(folder / "model.pt"),
                threads=EXTRACT_THREADS,
                images=[str(p) for p in images[: args.pls_rows]],
                outputs={PLS_POINT: str(shard)},
            )
            print(f"extract {point_id(PLS_POINT)} alone, {args.pls_rows:,} rows ...", flush=True)
            res["extract_pls_shard"] = run_child(
                "extract_one", spec, folder, EXTRACT_THREADS, min_free
            )
        else:
            for i, p in outputs.items():
                if i != PLS_POINT:
                    Path(p).unlink()
        res["pls_shard"] = f"{point_id(PLS_POINT)} ({points[PLS_POINT - 1].name})"
        res["pls_shard_bytes"] = shard.stat().st_size
        res["pls"] = {}
        for run in ("cold", "warm"):
            if run == "cold":
                drop_from_cache(shard)
            resident = resident_bytes(shard)
            print(
                f"pls_vip ({run}; {fmt_bytes(resident or 0)} of the shard in page cache) ...",
                flush=True,
            )
            spec = dict(shard=str(shard), out=str(folder / "probes" / f"{run}.h5"))
            (folder / "probes").mkdir(exist_ok=True)
            r = run_child("pls", spec, folder, args.pls_threads, 0)
            r["resident_before"] = resident
            res["pls"][run] = r
            print(f"  {r['process_wall']:.1f} s, peak RSS {fmt_bytes(r['maxrss'])}", flush=True)
        shard.unlink()
        shutil.rmtree(folder / "images")
        res["dd_after"] = dd_suite(folder, args.dd_mib)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    res["args"] = {k: str(v) for k, v in vars(args).items()}
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    print()
    print(report(res, args))


if __name__ == "__main__":
    main()
