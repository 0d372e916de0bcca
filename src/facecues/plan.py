"""A study's plan before anything runs: jobs, cluster submissions, disk, time and memory.

``facecues plan --configfile configs/paper.yaml`` prints it.  Nothing here needs
the data or torch: counts come from the config (and the same rules as
``workflow/rules/*.smk``), sizes from ``facecues.layout``, times from the speeds
measured in ``README.md`` and ``benchmarks/README.md`` (constants below, each
with where it was measured), memory from peak-RSS measurements of the real code
on this project's 2-core development machine.

Cost model, first order:

- Compute per image of a ResNet-50-topology network is proportional to
  ``base_width**2 * input_size**2`` (every conv's multiply-adds scale with
  channels_in x channels_out x H x W); a measured speed at one (width, size)
  is scaled by that ratio.  This ignores fixed per-layer overheads, so small
  networks are estimated a little too fast, above all on a GPU; loading and
  decoding images (``train.workers`` processes), host copies of activations,
  HDF5 writes and process start-up are modelled separately, and a job's time
  is the sum of its parts (GPU work and data loading overlap: their maximum).
- A CPU job's speed is proportional to its threads (measured on 2 cores), so
  its CPU-hours do not depend on ``threads``.
- Estimated wall times get ``TIME_MARGIN`` and ``TIME_EXTRA_MIN`` and a floor
  of ``MIN_RUNTIME_MIN`` minutes, memory ``MEM_MARGIN`` and a floor of
  ``MIN_MEM_MB`` when they become a job's ``runtime`` / ``mem_mb``.
"""

from __future__ import annotations

import copy
import math
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .controls import control_names
from .layout import N_POINTS, STAGE_BLOCKS, point_id, point_shapes, units_per_image

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path("workflow/schemas/config.schema.yaml")

# ----------------------------------------------------------------------------------------
# The rules (workflow/rules/*.smk), in DAG order, and how they run.

RULES = (
    "synthesize", "splits", "train", "control_network", "finetune", "extract", "pls_vip",
    "score_val", "select", "score_test", "aggregate", "table1", "fig3", "fig4", "fig5",
    "average_faces_fig1", "average_faces_fig6", "summary", "all",
)  # fmt: skip
# Run on the submitting host on a cluster (Snakemake's ``localrules``): light and quick.
LOCAL_RULES = frozenset(
    {"all", "aggregate", "table1", "fig3", "fig4", "fig5", "average_faces_fig1",
     "average_faces_fig6", "summary", "select", "splits"}
)  # fmt: skip
SLURM_PLS_VIP_BATCH = 50  # profiles/slurm: group-components pls_vip=50
HEAVY_RULES = (
    "train", "control_network", "finetune", "extract", "score_val", "score_test", "synthesize"
)  # fmt: skip
# Threads the rules declare (``threads:``); train's and synthesize's come from the config.
# One each: on a CPU a 1-thread conv job does 1.4x the work per core-second of a 2-thread
# one (benchmarks/README.md, "Training on the CPU"); on a GPU the thread count matters little.
RULE_THREADS = {
    "control_network": 1, "finetune": 1, "extract": 1, "score_val": 1, "score_test": 1
}  # fmt: skip
TRAIN_GPU_RULES = ("train", "finetune")  # resources: gpu = train.gpus
PROBE_GPU_RULES = ("extract", "score_val", "score_test")  # resources: gpu = probe.gpus

# ----------------------------------------------------------------------------------------
# The real datasets (their published sizes; the plan never reads the data).

VGGFACE2_TRAIN_IMAGES = 3_141_890  # VGGFace2 train split (Cao et al., 2018)
VGGFACE2_TRAIN_IDENTITIES = 8_631
LFW_IMAGES = 13_233
LFW_PAIRS = 6_000  # pairs.txt: 10 folds x (300 matched + 300 mismatched)
CELEBA_PARTITIONS = (162_770, 19_867, 19_962)  # train, val, test (list_eval_partition.txt)
# Assumed typical full VGGFace2 JPEG (decoded whole, then the box is cropped); its decoding
# on train.workers cores, not the GPU, sets the paper preset's training time.
VGGFACE2_SOURCE_PIXELS = 400 * 500
CELEBA_PIXELS = 178 * 218  # img_align_celeba
LFW_PIXELS = 250 * 250

# facecues.synthetic.SyntheticConfig's sizes (tests/test_plan.py checks they agree).
SYNTHETIC_DEFAULTS = {
    "vgg_identities": 100,
    "vgg_images_per_identity": 40,
    "vgg_canvas": (96, 112),
    "lfw_identities": 40,
    "lfw_images_per_identity": 6,
    "lfw_folds": 10,
    "lfw_pairs_per_fold": 30,
    "lfw_size": 112,
    "celeba_train_identities": 340,
    "celeba_val_identities": 60,
    "celeba_test_identities": 80,
    "celeba_images_per_identity": 12,
    "celeba_size": (64, 78),
}

# ----------------------------------------------------------------------------------------
# Measured speeds.  "H200": the lent GPU machine of benchmarks/README.md (16 cores).
# "2-core machine": this project's development machine (AMD EPYC, 2 cores, 23 GB, local
# disk), shared with other jobs while measured (load average 3-7), so its calib figures are
# the best of several repeats and still on the slow side; calib = the throw-away
# measurement scripts run for this module (the library functions the jobs call, timed and
# their peak RSS read with getrusage / psutil).

REF_WIDTH, REF_SIZE = 64, 224  # the network of the GPU figures: ResNet-50 at 224 px
# benchmarks/README.md, gpu_check.py on the H200: training steps as facecues.train runs them
# (AMP, channels_last, SGD, batch 256), random batches, no data loading.
GPU_TRAIN_IMAGES_S = 5923.0
# Same run: forward passes capturing the 50 points, copied to the host as float16 (batch
# 64): 112 images/s of 9,083,904 units, i.e. 2.03 GB/s of device-to-host (pageable) copies,
# which dominate (by the training figure a forward pass takes ~2% of that time).  HDF5
# writes were not included.
GPU_EXTRACT_IMAGES_S = 112.0
GPU_COPY_BYTES_S = GPU_EXTRACT_IMAGES_S * 9_083_904 * 2
# Jobs that run the network without AMP (extract, score_*, finetune) in float32 (TF32
# convs): assumed twice as slow per image as the AMP training figure (not measured).
GPU_FP32_FACTOR = 2.0
# README.md "Where the time goes": training the default networks (width 16, 64 px, batch
# 64, 2 threads, workers 0 so image loading included) at ~330 images/s on the 2-core machine
# (a later run's train_log.tsv: 301-431 images/s in its quiet epochs).
CPU_TRAIN_IMAGES_S = 330.0
CPU_TRAIN_REF = (16, 64, 2)  # width, input size, threads of that figure
# A forward pass costs about a third of a training step (backward ~ two forwards; assumed,
# the calib timings on the shared machine were too noisy to tell).
FORWARD_FRACTION = 1 / 3
# Decoding + preprocessing one image on one core (PIL; calib, best of 3 x 6 repeats over
# JPEGs of 178x218 to 640x800 px: 0.5 ms at 178x218 and 3.4 ms at 640x800 for a 64 px
# output; +2.9-4.9 ms for a 224 px output): a fixed part, the decode per source pixel and
# the resize / normalise per input pixel.  224 px from a 400 x 500 JPEG: ~5 ms.
LOAD_S_FIXED = 0.3e-3
LOAD_S_PER_SOURCE_PIXEL = 6e-9
LOAD_S_PER_INPUT_PIXEL = 7e-8
# HDF5 on the 2-core machine's local disk (calib): writing row-chunked float16 shards
# 160-420 MB/s; reading a float16 shard into float32 (shards.read_shard) 74-340 MB/s
# of shard, 122 MB/s inside a pls_vip-style fit at m = 100,352 (3.4 of its 8.8 s).
DISK_WRITE_BYTES_S = 250e6
SHARD_READ_BYTES_S = 150e6
# benchmarks/README.md Run 4 (2-core machine, quiet): facecues' PLS fit 0.818 s at
# m = 100,352 and 3.352 s at m = 401,408 with n = 2,048 on 2 BLAS threads, 3.98e-9 and
# 4.08e-9 s per element of X, i.e. ~8.2e-9 core-seconds; pls_vip jobs run on 1 thread
# (Snakemake sets OMP_NUM_THREADS to the job's threads); calib, 1 thread: 1.78 s at
# m = 100,352 (8.7e-9 s per element).
PLS_CORE_S_PER_ELEMENT = 8.2e-9
# calib: unit_features (the whole-map PLS + top filters' PLS + VIP + unit choices) took
# 2.81 s where the whole-map fit alone took 1.78 s: 1.6x.
PLS_FIT_FACTOR = 1.6
# README.md: 800 pls_vip jobs of the default study ~0.45 s each, mostly process start-up.
PLS_JOB_START_S = 0.45
# Start-up of a torch job: imports 2.9 s (DESIGN.md), the network, the CelebA lists.
TORCH_JOB_START_S = 5.0
# load_vggface2 (calib): 30 s to parse 3,141,890 rows; + a stat of every listed image.
VGG_INDEX_S_PER_IMAGE = 2e-5
# QDA fits of score_val / score_test (facecues.qda on 1-8 features; calib: 0.8-5 ms per fit
# at 512 + 1,024 rows, 1.5-2.1 ms at 2,048 + 6,144; the default study's score_val jobs,
# ~14 s for ~3,500 fits and 1,024 streamed images (README.md), leave ~2 ms a fit).
QDA_S_PER_FIT = 1.5e-3
QDA_S_PER_ROW = 2e-7
# Projections of streamed activations onto the saved probes (numpy float32, 1 thread):
# calib 0.62 ns per unit and row for X @ A at m = 802,816; x2.5 for the filter probes'
# projections, the column gathers and the float64 casts.
PROJECT_S_PER_UNIT = 1.5e-9
# synthesize: the default world (10,000 images) in 22.4 s on 2 workers
# (results/benchmarks/synthesize.tsv of a default run), i.e. 4.5 ms per image and core.
SYNTH_CORE_S_PER_IMAGE = 22.4 * 2 / 10_000
# Light rules (splits, select, aggregate, tables, figures): splits and select took 0-1 s in a
# default run (its log's time stamps), the figure rules import matplotlib; "all" does nothing.
LIGHT_JOB_S = 10.0

# ----------------------------------------------------------------------------------------
# Measured memory (MB = 2^20 bytes; peak RSS on the 2-core machine: Snakemake's
# results/benchmarks/*.tsv max_rss of a default run (config.yaml, CPU) and calib runs).
#   default run, CPU: train 1,072-1,079, finetune 1,063-1,065, extract 1,028-1,048, score_val
#   1,285-1,301, score_test 1,084-1,179, synthesize 213 (2 workers).

# A torch job's own modules (import torch alone: 607 MB RSS; the default train job
# 1,072 MB less its weights, 24 MB, and activations, ~200 MB).
TORCH_BASE_MB = 850
SKLEARN_MB = 120  # score_*: scikit-learn + pandas on top of torch (calib: 724 vs 607 MB)
# Host memory CUDA adds: benchmarks/README.md, H200: a torch + CUDA process's imports took
# 0.91 GB against 0.16 GB for numpy alone; counted whole (an upper bound).
CUDA_CONTEXT_MB = 750
# CPU training keeps ~18 bytes per probe unit and image of the batch for backward (calib:
# 15-19 B at widths 8-32, 64-128 px, batches 16-64, peak RSS after the 4th SGD step less
# before the first, less 3 x the float32 parameters).
TRAIN_ACT_BYTES_PER_UNIT = 18.0
# CPU forward passes (extract, score_*): the captured float32 maps of all 50 points (4 B
# per unit) plus temporaries: the default extract jobs' ~190 MB over the base at batch 128,
# 185,856 units per image: 8 B per unit.
FORWARD_ACT_BYTES_PER_UNIT = 8.0
# VGGFace2's box list in load_vggface2 (calib, 3,141,890 rows): 1.64 GB peak while parsing,
# 887 MB retained (296 B per image); the image names (~80 B per image) are what each
# DataLoader worker ends up copying (reference counts touch their pages).
VGG_INDEX_BYTES_PER_IMAGE = 300
VGG_PARSE_BYTES_PER_IMAGE = 545
VGG_NAMES_BYTES_PER_IMAGE = 80
# A DataLoader worker's private memory besides batches and copied names: calib, the default
# train job with workers 0 and 2: 845 vs 862 MB PSS (RSS 1,084 vs 1,939 MB counts the
# forked, shared pages again); 100 MB each is kept for decoders and Python objects.
WORKER_MB = 100
PREFETCH_FACTOR = 2  # torch DataLoader default: batches in flight per worker
SYNTH_MB = 250  # the default world, 2 workers: 213 MB
SYNTH_BYTES_PER_IMAGE = 2300  # the default world on disk: 22.6 MB for 10,000 JPEGs

MEM_MARGIN = 1.25
MIN_MEM_MB = 2000
TIME_MARGIN = 1.5
TIME_EXTRA_MIN = 5
MIN_RUNTIME_MIN = 10


class ConfigError(ValueError):
    """A config file that cannot be read, parsed or validated; the message names the file."""


# ----------------------------------------------------------------------------------------
# The config, as Snakemake builds it.


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the config file ({e.strerror or e})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({' '.join(str(e).split())})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of config keys, got {type(data).__name__}")
    return data


def _update(config: dict, overwrite: Mapping) -> dict:
    """Snakemake's ``update_config``: nested mappings merge key by key, the rest replaces."""
    for key, value in overwrite.items():
        if isinstance(value, Mapping) and isinstance(config.get(key), Mapping):
            _update(config[key], value)
        else:
            config[key] = copy.deepcopy(value)
    return config


def _set_defaults(instance: dict, schema: Mapping) -> None:
    """Fill the schema's defaults as Snakemake's ``validate(config, schema)`` does."""
    props = schema.get("properties", {})
    for key, sub in props.items():
        if isinstance(sub, Mapping) and "default" in sub and key not in instance:
            instance[key] = copy.deepcopy(sub["default"])
    for key, sub in props.items():
        if isinstance(instance.get(key), dict) and isinstance(sub, Mapping):
            _set_defaults(instance[key], sub)


def load_config(
    configfile: str | Path | None = None, *, root: str | Path | None = None, validate: bool = True
) -> dict:
    """The config a Snakemake run of this workflow would see.

    ``root/config.yaml`` (the workflow's default; ``root`` = the folder holding the
    Snakefile, by default the repository this module lives in) updated by
    ``configfile`` the way ``--configfile`` does (nested mappings key by key), then
    the schema's defaults filled in.  With ``validate`` and ``jsonschema`` installed
    the result is checked against the schema.  Raises ConfigError naming the file.
    """
    root = Path(root) if root is not None else ROOT
    if not (root / "config.yaml").is_file():
        raise ConfigError(
            f"{root / 'config.yaml'}: the workflow's default config not found (is {root} the "
            "folder holding the Snakefile?)"
        )
    config = _read_yaml(root / "config.yaml")
    label = str(root / "config.yaml")
    if configfile is not None:
        _update(config, _read_yaml(Path(configfile)))
        label = str(configfile)
    schema_path = root / SCHEMA
    if schema_path.is_file():
        schema = _read_yaml(schema_path)
        _set_defaults(config, schema)
        if validate:
            _validate(config, schema, label)
    return config


def _validate(config: dict, schema: dict, label: str) -> None:
    try:
        import jsonschema  # optional (the workflow extra); only here, never at import
    except ImportError:
        return
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(config)
    )
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ConfigError(f"{label}: config key {where}: {error.message}")


# ----------------------------------------------------------------------------------------
# What the config implies.


def controls(config: Mapping) -> list[str]:
    """The control networks (``random0``, ...) probed beside the studied ones."""
    return control_names(config.get("controls", {}).get("random_networks", 0))


def networks(config: Mapping) -> tuple[list[str], bool]:
    """(network names, trained here?) as workflow/rules/common.smk derives them."""
    checkpoints = dict(config["model"].get("checkpoints") or {})
    if config["model"].get("checkpoint"):
        checkpoints.setdefault("checkpoint", config["model"]["checkpoint"])
    if checkpoints:
        return list(checkpoints), False
    return [str(s) for s in config["seeds"]], True


@dataclass(frozen=True)
class Datasets:
    """Image counts and typical source sizes the jobs read (real: published sizes)."""

    train_images: int  # face-ID training images per epoch
    identities: int
    lfw_images: int  # images embedded for the per-epoch LFW check
    celeba: tuple[int, int, int]  # train, val, test partitions
    vgg_pixels: int  # pixels of one training source image
    celeba_pixels: int
    lfw_pixels: int
    synthetic_images: int = 0  # images synthesize renders (0 for real data)


def datasets(config: Mapping) -> Datasets:
    """The data a config's jobs read, from the published sizes or the synthetic world's."""
    train = config.get("train", {})
    if config["data"]["source"] == "synthetic":
        s = {**SYNTHETIC_DEFAULTS, **(config.get("synthetic") or {})}
        ids = s["vgg_identities"]
        per_id = s["vgg_images_per_identity"]
        lfw = s["lfw_identities"] * s["lfw_images_per_identity"]
        pairs = s["lfw_folds"] * s["lfw_pairs_per_fold"] * 2
        per = s["celeba_images_per_identity"]
        celeba = tuple(s[f"celeba_{p}_identities"] * per for p in ("train", "val", "test"))
        canvas = sum(s["vgg_canvas"]) / 2
        cw, ch = s["celeba_size"]
        out = dict(
            lfw_images=min(lfw, 2 * pairs),
            celeba=celeba,
            vgg_pixels=int(canvas * canvas),
            celeba_pixels=int(cw * ch),
            lfw_pixels=int(s["lfw_size"]) ** 2,
            synthetic_images=ids * per_id + lfw + sum(celeba),
        )
    else:
        ids = VGGFACE2_TRAIN_IDENTITIES
        per_id = VGGFACE2_TRAIN_IMAGES / VGGFACE2_TRAIN_IDENTITIES
        out = dict(
            lfw_images=min(LFW_IMAGES, 2 * LFW_PAIRS),
            celeba=CELEBA_PARTITIONS,
            vgg_pixels=VGGFACE2_SOURCE_PIXELS,
            celeba_pixels=CELEBA_PIXELS,
            lfw_pixels=LFW_PIXELS,
        )
    ids = max(1, ids - len(train.get("exclude_identities") or []))
    if train.get("max_identities"):
        ids = min(ids, int(train["max_identities"]))
    return Datasets(train_images=int(round(ids * per_id)), identities=ids, **out)


def point_units(config: Mapping) -> list[int]:
    """Units of each of the 50 probe points for the config's network."""
    m = config["model"]
    return [
        math.prod(shape)
        for _, _, shape in point_shapes(m["base_width"], m["input_size"], m["stride_in_1x1"])
    ]


def itemsize(config: Mapping) -> int:
    """Bytes per value of the activation shards (probe.dtype)."""
    return 2 if config["probe"]["dtype"] == "float16" else 4


def train_rows(config: Mapping) -> int:
    """Rows of every shard: the attribute's balanced training sample."""
    return 2 * int(config["probe"]["train_per_class"])


def model_parameters(base_width: int, num_classes: int) -> tuple[int, int]:
    """(trainable parameters, state-dict values) of ``FaceResNet(num_classes, base_width)``.

    Counted from the ResNet-50 layout (convs without bias, batch norms with weight, bias,
    running mean and variance); tests/test_plan.py checks it against the torch module.
    """
    w = base_width
    params, buffers = 3 * w * 49 + 2 * w, 2 * w + 1  # + each BN's num_batches_tracked
    inplanes = w
    for s, blocks in enumerate(STAGE_BLOCKS):
        planes = w * 2**s
        out = planes * 4
        for b in range(blocks):
            params += inplanes * planes + planes * planes * 9 + planes * out
            params += 2 * (2 * planes + out)
            buffers += 2 * (2 * planes + out) + 3
            if b == 0:  # projection shortcut
                params += inplanes * out + 2 * out
                buffers += 2 * out + 1
            inplanes = out
    if num_classes > 0:
        params += inplanes * num_classes + num_classes
    return params, params + buffers


def compute_scale(base_width: int, input_size: int) -> float:
    """Compute per image relative to ResNet-50 (width 64) at 224 px: (w/64)^2 (s/224)^2."""
    return (base_width / REF_WIDTH) ** 2 * (input_size / REF_SIZE) ** 2


def _gpu(config: Mapping, rule: str) -> int:
    if rule in TRAIN_GPU_RULES:
        return int(config["train"].get("gpus", 0))
    if rule in PROBE_GPU_RULES:
        return int(config["probe"].get("gpus", 0))
    return 0


def rule_threads(rule: str, config: Mapping) -> int:
    """The ``threads:`` a rule declares (1 when it declares none)."""
    if rule == "train":
        return int(config["train"].get("threads", 1))
    if rule == "synthesize":
        return int((config.get("synthetic") or {}).get("workers", 1)) or 1
    return RULE_THREADS.get(rule, 1)


def _step_s(config: Mapping, gpu: bool, threads: int, *, amp: bool) -> float:
    """Seconds of one training step per image (fwd + bwd) on the job's device."""
    m = config["model"]
    scale = compute_scale(m["base_width"], m["input_size"])
    if gpu:
        return scale / GPU_TRAIN_IMAGES_S * (1.0 if amp else GPU_FP32_FACTOR)
    w, s, t = CPU_TRAIN_REF
    return scale / (CPU_TRAIN_IMAGES_S * compute_scale(w, s)) * t / max(1, threads)


def _load_s(source_pixels: float, input_size: int) -> float:
    """Core-seconds to decode and preprocess one image."""
    return (
        LOAD_S_FIXED
        + source_pixels * LOAD_S_PER_SOURCE_PIXEL
        + input_size**2 * LOAD_S_PER_INPUT_PIXEL
    )


def _pass_s(compute_s: float, load_core_s: float, *, gpu: bool, workers: int, threads: int):
    """Seconds per image of a pass over a dataset: compute plus decoding, which overlap when
    DataLoader workers decode (on at most ``threads`` cores).  On the CPU the measured speed
    includes the decoding (CPU_TRAIN_IMAGES_S was timed end to end)."""
    if not gpu:
        return compute_s
    if workers <= 0:
        return compute_s + load_core_s
    return max(compute_s, load_core_s / max(1, min(workers, threads)))


def estimate_seconds(rule: str, config: Mapping) -> float:
    """Estimated wall seconds of one job of ``rule`` (the cost model above).

    - train: start-up, reading VGGFace2's index (VGG_INDEX_S_PER_IMAGE), then per epoch
      every training image (an AMP step, decoding in ``train.workers`` processes) and the
      LFW images (a forward pass, decoded in the main process);
    - finetune: CelebA train x epochs (float32 steps) + val x epochs + test (forwards),
      decoded by ``multitask.workers`` on the job's 2 threads;
    - extract: per training row a forward pass, its copy to the host (GPU), the shard writes
      (DISK_WRITE_BYTES_S) and decoding; score_val / score_test: per validation / test row
      a forward pass, the host copy of every point in float32 (GPU), the projections and
      decoding, then the QDA fits, and reading the probe files; score_test as if a
      selection sat at every point (an upper bound);
    - pls_vip: the mean over the 50 points of ``pls_vip_seconds``;
    - synthesize: SYNTH_CORE_S_PER_IMAGE per image over the workers; others LIGHT_JOB_S.
    """
    m, p = config["model"], config["probe"]
    size = m["input_size"]
    gpu = _gpu(config, rule) > 0
    threads = rule_threads(rule, config)
    d = datasets(config)
    units = point_units(config)
    total_units = sum(units)
    forward = _step_s(config, gpu, threads, amp=False) * FORWARD_FRACTION
    celeba_load = _load_s(d.celeba_pixels, size)
    if rule == "train":
        t = config["train"]
        step = _step_s(config, gpu, threads, amp=True)
        per = _pass_s(
            step, _load_s(d.vgg_pixels, size), gpu=gpu, workers=t.get("workers", 0), threads=threads
        )
        lfw = d.lfw_images * _pass_s(
            forward, _load_s(d.lfw_pixels, size), gpu=gpu, workers=0, threads=threads
        )
        index = d.train_images * VGG_INDEX_S_PER_IMAGE
        return TORCH_JOB_START_S + index + t["epochs"] * (d.train_images * per + lfw)
    if rule == "finetune":
        mt = config["multitask"]
        tr, va, te = d.celeba
        step = _step_s(config, gpu, threads, amp=False)
        kw = dict(gpu=gpu, workers=mt.get("workers", 0), threads=threads)
        train = tr * mt["epochs"] * _pass_s(step, celeba_load, **kw)
        evals = (va * mt["epochs"] + te) * _pass_s(forward, celeba_load, **kw)
        return TORCH_JOB_START_S + train + evals
    if rule == "control_network":  # BatchNorm recalibration: forward passes, no writes
        return TORCH_JOB_START_S + config["controls"]["recalibrate_bn"] * (forward + celeba_load)
    if rule == "extract":
        nbytes = total_units * itemsize(config)
        copy_s = nbytes / GPU_COPY_BYTES_S if gpu else 0.0
        per = forward + copy_s + nbytes / DISK_WRITE_BYTES_S + celeba_load
        return TORCH_JOB_START_S + train_rows(config) * per
    if rule in ("score_val", "score_test"):
        if rule == "score_val":
            rows, fits = 2 * p["val_per_class"], N_POINTS * probes_per_point(config)
            files_units = total_units
        else:
            selections = 3 * len(config["attributes"])
            rows, fits = d.celeba[2], selections
            files_units = min(selections, N_POINTS * len(config["attributes"])) * max(units)
        copy_s = total_units * 4 / GPU_COPY_BYTES_S if gpu else 0.0
        per = forward + copy_s + total_units * PROJECT_S_PER_UNIT + celeba_load
        qda = fits * (QDA_S_PER_FIT + QDA_S_PER_ROW * (rows + train_rows(config)))
        read = files_units * p["n_components"] * 4 / SHARD_READ_BYTES_S
        return TORCH_JOB_START_S + read + rows * per + qda
    if rule == "pls_vip":
        return sum(pls_vip_seconds(u, config) for u in units) / len(units)
    if rule == "synthesize":
        return 2.0 + d.synthetic_images * SYNTH_CORE_S_PER_IMAGE / max(1, threads)
    return 0.0 if rule == "all" else LIGHT_JOB_S


def pls_vip_seconds(units: int, config: Mapping) -> float:
    """Wall seconds of one pls_vip job (1 thread) on a probe point of ``units`` units."""
    n = train_rows(config)
    read = n * units * itemsize(config) / SHARD_READ_BYTES_S
    fits = 2 if shuffled_control(config) else 1  # the probes again on shuffled labels
    return PLS_JOB_START_S + read + fits * PLS_FIT_FACTOR * PLS_CORE_S_PER_ELEMENT * n * units


def shuffled_control(config: Mapping) -> bool:
    """Whether every pls_vip job also fits the shuffled-label control."""
    return bool(config.get("controls", {}).get("shuffled_labels", False))


def probes_per_point(config: Mapping) -> int:
    """Probes fitted at one point (layer, neurons, filters, top-k of each, VIP-uniform,
    and the shuffled-label twins of layer, filters, neurons, filter_1, neuron_1)."""
    k = config["probe"]["top_k"]
    return 3 + 2 * k + config["probe"]["vip_neurons"] + 5 * shuffled_control(config)


# ----------------------------------------------------------------------------------------
# Memory.


def shard_probe_mem_mb(shard_mb: float, itemsize: int) -> int:
    """Memory (MB) of a pls_vip job fitting a shard of ``shard_mb`` MiB (``itemsize`` B/value).

    The shard as a float32 matrix plus a quarter, plus 800 MB (measured: 1.18x the float32
    training matrix at 100,352 units, imports included; 7,297 MiB at 802,816 units and
    2,048 rows; 771 MiB for a 64-row shard, above a 500 MB base). The rule pls_vip asks
    this from its shard's ``input.size_mb``.
    """
    return int(shard_mb * 4 / itemsize * 1.25) + 800


def pls_vip_mem_mb(units: int, config: Mapping) -> int:
    """``shard_probe_mem_mb`` for a shard of ``units`` units, sized from the config."""
    size_mb = train_rows(config) * units * itemsize(config) / 2**20
    return shard_probe_mem_mb(size_mb, itemsize(config))


def estimate_mem_mb(rule: str, config: Mapping) -> float:
    """Estimated peak memory (MB) of one job of ``rule``, before MEM_MARGIN.

    Every torch job: TORCH_BASE_MB (+ CUDA_CONTEXT_MB on a GPU) plus

    - train / finetune: float32 parameters, gradients and momentum plus the state dict being
      saved, 4 x (3 params + state); on the CPU the activations autograd keeps,
      batch x units per image x TRAIN_ACT_BYTES_PER_UNIT; (PREFETCH_FACTOR x workers + 2)
      preprocessed batches in flight (3 x size^2 float32 per image); train: VGGFace2's
      index, VGG_INDEX_BYTES_PER_IMAGE per image (VGG_PARSE_BYTES_PER_IMAGE while it is
      parsed, before anything else is allocated); per worker WORKER_MB, its copy of the
      image names and the batch it is collating (its samples and their stack);
    - extract / score_*: the network; on the CPU the 50 captured maps of a batch,
      batch x units x FORWARD_ACT_BYTES_PER_UNIT; on a GPU the host holds the copy of one
      point at a time (2 x batch x largest point's units x 4 B); extract: that point in the
      shard's dtype; score_val: every point's projection (units x n_components float32) and
      the features of every validation row, collected then concatenated (2 x rows x 50 x
      features per point x 8 B), plus scikit-learn; score_test: the probe files of up to
      3 selections per attribute (each whole-map projection of the largest point, an upper
      bound) and the test rows' selected features;
    - synthesize: SYNTH_MB; pls_vip: ``pls_vip_mem_mb`` of the largest point.

    Checked against the default run (config.yaml, CPU; measured / modelled, MB): train
    1,072 / 1,085, finetune 1,063 / 1,085, extract 1,028-1,048 / 1,053, score_val
    1,285-1,301 / 1,289, score_test 1,084-1,179 / 1,184.  The paper preset (GPU, 8 workers):
    train ~10.8 GB, mostly the workers (names copied, batches collated and prefetched).
    """
    m, p = config["model"], config["probe"]
    gpu = _gpu(config, rule) > 0
    units = point_units(config)
    total, largest = sum(units), max(units)
    d = datasets(config)
    base = TORCH_BASE_MB + (CUDA_CONTEXT_MB if gpu else 0)
    mb = 1 / 2**20
    image = 3 * m["input_size"] ** 2 * 4  # one preprocessed image, float32
    if rule in ("train", "finetune"):
        cfg = config["train"] if rule == "train" else config["multitask"]
        classes = d.identities if rule == "train" else len(config["attributes"])
        params, state = model_parameters(m["base_width"], classes)
        weights = (3 * params + state) * 4
        acts = 0 if gpu else cfg["batch_size"] * total * TRAIN_ACT_BYTES_PER_UNIT
        workers = cfg.get("workers", 0)
        batch = cfg["batch_size"] * image
        batches = (workers * PREFETCH_FACTOR + 2) * batch
        images = d.train_images if rule == "train" else sum(d.celeba)
        index = images * VGG_INDEX_BYTES_PER_IMAGE
        per_worker = WORKER_MB / mb + images * VGG_NAMES_BYTES_PER_IMAGE + 2 * batch
        steady = base + (weights + acts + batches + index + workers * per_worker) * mb
        parsing = TORCH_BASE_MB + images * VGG_PARSE_BYTES_PER_IMAGE * mb
        return max(steady, parsing)
    if rule in ("extract", "score_val", "score_test", "control_network"):
        _, state = model_parameters(m["base_width"], 0)
        b = p["batch_size"]
        acts = 2 * b * largest * 4 if gpu else b * total * FORWARD_ACT_BYTES_PER_UNIT
        nc = p["n_components"]
        if rule == "control_network":
            held = 0
        elif rule == "extract":
            held = b * largest * itemsize(config)
        elif rule == "score_val":
            rows = 2 * p["val_per_class"]
            held = total * nc * 4 + 2 * rows * N_POINTS * _features_per_point(config) * 8
            base += SKLEARN_MB
        else:
            selections = 3 * len(config["attributes"])
            held = min(selections, N_POINTS * len(config["attributes"])) * largest * nc * 4
            held += 2 * d.celeba[2] * selections * nc * 8
            base += SKLEARN_MB
        return base + (state * 4 + acts + held + 2 * b * image) * mb
    if rule == "synthesize":
        return SYNTH_MB
    if rule == "pls_vip":
        return pls_vip_mem_mb(largest, config)
    return 500


def _features_per_point(config: Mapping) -> int:
    """Feature columns kept per row and point in score_val (layer, filters, neurons...)."""
    k, nc = config["probe"]["top_k"], config["probe"]["n_components"]
    return nc + k + k + k * nc + nc + config["probe"]["vip_neurons"]


def rule_resources(rule: str, config: Mapping) -> dict[str, int]:
    """``{"mem_mb": int, "runtime": int (minutes)}`` for one job of a heavy rule.

    Estimated time (``estimate_seconds``) x TIME_MARGIN + TIME_EXTRA_MIN, at least
    MIN_RUNTIME_MIN; estimated peak memory (``estimate_mem_mb``) x MEM_MARGIN, at least
    MIN_MEM_MB.  ``rule`` is one of HEAVY_RULES, or ``pls_vip``: then the memory is exactly
    what workflow/rules/common.smk's ``probe_mem_mb`` asks for the largest point's shard,
    and the runtime that of the mean point.
    """
    if rule not in HEAVY_RULES and rule != "pls_vip":
        raise ValueError(f"no resource model for rule {rule!r}; known: {HEAVY_RULES}")
    minutes = estimate_seconds(rule, config) / 60 * TIME_MARGIN + TIME_EXTRA_MIN
    if rule == "pls_vip":
        mem = pls_vip_mem_mb(max(point_units(config)), config)
    else:
        mem = max(MIN_MEM_MB, math.ceil(estimate_mem_mb(rule, config) * MEM_MARGIN))
    return {"mem_mb": int(mem), "runtime": int(max(MIN_RUNTIME_MIN, math.ceil(minutes)))}


# ----------------------------------------------------------------------------------------
# Disk.


def probe_file_bytes(shape: tuple[int, ...], config: Mapping) -> int:
    """Bytes of one ``results/probes/<net>/<attribute>/Lxx.h5`` (layer_probe.fit_layer_probes).

    vip (float32, every unit), filter_score (float64 per channel), train_y (int8); the PLS
    probes (layer, filters, filter_r) packed: their training features and offsets
    (float64), the float32 projection rows of the units each reads (padded to the largest
    k), those units' int64 indices, and per probe its channels, offsets, mean VIP and
    name; the raw-unit probes (neurons, neuron_r, vip_j) packed: the training rows at the
    union of their units (float64; counted without overlaps, an upper bound) and each
    probe's units and VIP (int64 + float64); HDF5 headers ~PROBE_OBJECT_BYTES per object.
    """
    p = config["probe"]
    n, k_top, nc = train_rows(config), p["top_k"], p["n_components"]
    c, h, w = (tuple(shape) + (1, 1))[:3]
    m, hw = c * h * w, h * w
    shuffled = shuffled_control(config)
    total = 4 * m + 8 * c + n + n * shuffled  # vip, filter_score, train_y, shuffled_y
    pooled = (h, w) == (1, 1)  # no filter probes at the pooled point unless asked
    kf = 0 if pooled and not p.get("pooled_filters") else min(k_top, c)
    k, kf_comp, kj = min(nc, m, n), min(nc, hw, n), min(nc, kf * hw, n)
    k_max = max(k, kf_comp, kj) if kf else k  # the projection's columns
    layer = n * k * 8 + m * k_max * 4 + k * 8
    one_filter = n * kf_comp * 8 + hw * 8 + hw * k_max * 4 + kf_comp * 8 + 8
    joint = (n * kj * 8 + kf * hw * (8 + k_max * 4) + kj * 8 + kf * 8) if kf else 0
    total += layer + kf * one_filter + joint
    pls = 1 + (kf + 1 if kf else 0)
    if shuffled:  # the twins of layer, filters and filter_1
        total += layer + (joint + one_filter if kf else 0)
        pls += 1 + (2 if kf else 0)
    total += (pls + 1) * 32 + pls * (8 + 16)  # offsets, vip, names
    kn = min(k_top, m)
    singles = kn + kn + p["vip_neurons"] + (kn + 1) * shuffled  # units the raw probes read
    union = min(m, 2 * kn + p["vip_neurons"] if shuffled else kn + p["vip_neurons"])
    probes = 1 + kn + p["vip_neurons"] + 2 * shuffled
    total += n * union * 8 + union * 8 + singles * 16 + (probes + 1) * 8 + probes * 16
    objects = 3 + shuffled + 9 + 7  # + pls/ and its 8 datasets, raw/ and its 6
    return total + PROBE_FILE_BYTES + objects * PROBE_OBJECT_BYTES


# Probe files: data bytes as above (the raw probes' union an upper bound), plus headers and
# attributes: small files (21-94 kB) 11-14 kB over their data, about 20 objects each.
# Fitted: 5 kB per file + 400 B per object. A default run's files (0.33-2.8 MB) are 1-8%
# below the estimate (its raw units overlap).
PROBE_FILE_BYTES = 5_000
PROBE_OBJECT_BYTES = 400
# A default run's model.pt: 6,285,125 B for 1,545,609 float32 values (103 kB of zip entries,
# names and the identities list); ~20 B more per identity name.
CHECKPOINT_OVERHEAD_BYTES = 100_000
CHECKPOINT_BYTES_PER_IDENTITY = 20


# ----------------------------------------------------------------------------------------
# The plan.


@dataclass
class RulePlan:
    """One rule's jobs, submissions and costs."""

    rule: str
    jobs: int
    submissions: int  # sbatch submissions on a SLURM cluster (0: runs on the submitting host)
    device: str  # "gpu", "cpu" or "local" (LOCAL_RULES)
    threads: int
    gpus: int
    seconds_per_job: float  # estimated wall time
    mem_mb: int | None = None  # rule_resources / probe_mem_mb (None: light rule)
    runtime_min: int | None = None

    @property
    def cpu_hours(self) -> float:
        """Core-hours the rule's jobs hold (threads x wall)."""
        return self.jobs * self.threads * self.seconds_per_job / 3600

    @property
    def gpu_hours(self) -> float:
        return self.jobs * self.gpus * self.seconds_per_job / 3600


@dataclass
class Plan:
    """Everything ``plan()`` works out for a config (bytes are bytes, times hours)."""

    networks: list[str]
    controls: list[str]
    trained: bool
    attributes: list[str]
    source: str
    units_per_image: int
    rows: int  # training rows of every shard
    dtype: str
    rules: dict[str, RulePlan]
    shard_bytes: dict[str, int]  # per probe point (one shard file)
    set_bytes: int  # one (network, attribute) set of 50 shards
    sets: int
    concurrent_extracts: int
    peak_shard_bytes: int
    kept_bytes: dict[str, int]  # what stays, by kind
    training_extra_bytes: int  # resumable checkpoints while networks train
    pls_vip_batch: int | None = None
    config: dict = field(default_factory=dict, repr=False)

    @property
    def jobs(self) -> dict[str, int]:
        """Jobs per rule, as ``snakemake -n``'s job stats count them."""
        return {r: p.jobs for r, p in self.rules.items() if p.jobs}

    @property
    def submissions(self) -> int:
        """sbatch submissions on a SLURM cluster."""
        return sum(p.submissions for p in self.rules.values())

    @property
    def cpu_hours(self) -> float:
        return sum(p.cpu_hours for p in self.rules.values())

    @property
    def gpu_hours(self) -> float:
        return sum(p.gpu_hours for p in self.rules.values())

    @property
    def kept_total(self) -> int:
        """Disk of everything that stays once the study is done."""
        return sum(self.kept_bytes.values())

    @property
    def peak_disk_bytes(self) -> int:
        """Upper bound of disk in use at once: peak shards + everything kept + resumables."""
        return self.peak_shard_bytes + self.kept_total + self.training_extra_bytes


def plan(
    config: Mapping, *, pls_vip_batch: int | None = None, concurrent_extracts: int = 1
) -> Plan:
    """Work out a config's study without running anything (see the module docstring).

    ``pls_vip_batch``: pls_vip jobs per cluster submission (grouped within a (network,
    attribute) set, whose 50 jobs become ready together when its extract ends); None =
    one each.  ``concurrent_extracts``: extract jobs running at once (peak shard disk).
    """
    if pls_vip_batch is not None and pls_vip_batch < 1:
        raise ValueError(f"pls_vip_batch must be >= 1, got {pls_vip_batch}")
    nets, trained = networks(config)
    attrs = list(config["attributes"])
    for key in ("fig4_attribute", "fig5_attribute"):  # checked at start-up, as common.smk does
        value = config.get("figures", {}).get(key)
        if value is not None and value not in attrs:
            raise ConfigError(
                f"config figures.{key} = {value} is not among the probed attributes {attrs}"
            )
    n, a = len(nets), len(attrs)
    c = len(controls(config))
    probed = n + c  # the control networks are extracted, probed and scored like the others
    synthetic = config["data"]["source"] == "synthetic"
    jobs = {
        "synthesize": 1 if synthetic else 0,
        "splits": a,
        "train": n if trained else 0,
        "control_network": c,
        "finetune": n,
        "extract": probed * a,
        "pls_vip": probed * N_POINTS * a,
        "score_val": probed * a,
        "select": n,
        "score_test": n,
    }
    rules = {}
    for rule in RULES:
        count = jobs.get(rule, 1)
        gpus = _gpu(config, rule)
        local = rule in LOCAL_RULES
        if local:
            subs = 0
        elif rule == "pls_vip" and pls_vip_batch:
            subs = probed * a * math.ceil(N_POINTS / pls_vip_batch)
        else:
            subs = count
        res = rule_resources(rule, config) if rule in HEAVY_RULES or rule == "pls_vip" else {}
        rules[rule] = RulePlan(
            rule=rule,
            jobs=count,
            submissions=subs,
            device="local" if local else ("gpu" if gpus else "cpu"),
            threads=rule_threads(rule, config),
            gpus=gpus,
            seconds_per_job=estimate_seconds(rule, config) if count else 0.0,
            mem_mb=res.get("mem_mb"),
            runtime_min=res.get("runtime"),
        )

    m, p = config["model"], config["probe"]
    shapes = point_shapes(m["base_width"], m["input_size"], m["stride_in_1x1"])
    rows, size = train_rows(config), itemsize(config)
    shard = {point_id(i): math.prod(s) * rows * size for i, (_, _, s) in enumerate(shapes, 1)}
    set_bytes = sum(shard.values())
    sets = probed * a
    peak_sets = min(sets, concurrent_extracts + 1)
    d = datasets(config)
    probes = sum(probe_file_bytes(s, config) for _, _, s in shapes) * sets
    _, state = model_parameters(m["base_width"], d.identities)
    one = state * 4 + CHECKPOINT_OVERHEAD_BYTES + CHECKPOINT_BYTES_PER_IDENTITY * d.identities
    checkpoints = one * n if trained else 0
    accuracy_rows = sets * N_POINTS * probes_per_point(config)
    other = (
        2 * accuracy_rows * 110  # results/accuracy/* and layer_accuracy.tsv, ~110 B a row
        + n * d.celeba[2] * a * 4  # results/test/*_neurons.h5
        + a * 2 * (p["train_per_class"] + p["val_per_class"]) * 16  # results/splits
        + 20e6  # figures, tables, report
        + sum(jobs.values()) * 1000  # logs and benchmarks, ~1 kB a job
    )
    kept = {"probes": probes, "checkpoints": checkpoints}
    if d.synthetic_images:  # a default world's JPEGs: 22.6 MB for 10,000 images
        kept["synthetic world"] = d.synthetic_images * SYNTH_BYTES_PER_IMAGE
    kept["tables, logs, other"] = int(other)
    # While a network trains, its resumable checkpoint (+ optimizer state) sits beside it.
    params, state = model_parameters(m["base_width"], d.identities)
    resumable = (state + params) * 4 * n if trained else 0
    return Plan(
        networks=nets,
        controls=controls(config),
        trained=trained,
        attributes=attrs,
        source=config["data"]["source"],
        units_per_image=units_per_image(m["base_width"], m["input_size"], m["stride_in_1x1"]),
        rows=rows,
        dtype=p["dtype"],
        rules=rules,
        shard_bytes=shard,
        set_bytes=set_bytes,
        sets=sets,
        concurrent_extracts=concurrent_extracts,
        peak_shard_bytes=peak_sets * set_bytes,
        kept_bytes=kept,
        training_extra_bytes=resumable,
        pls_vip_batch=pls_vip_batch,
        config=dict(config),
    )


# ----------------------------------------------------------------------------------------
# Text.


def _gb(b: float) -> str:
    return f"{b / 1e9:,.2f} GB" if b >= 1e8 else f"{b / 1e6:,.1f} MB"


def _hours(h: float) -> str:
    return f"{h:,.1f}" if h >= 10 or h == 0 else f"{h:.2f}"


def _dur(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.1f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def format_plan(plan: Plan) -> str:
    """The plan as a text table for a terminal."""
    c = plan.config
    m = c.get("model", {})
    lines = [
        f"facecues plan: {len(plan.networks)} network(s) "
        f"({'trained here: seeds' if plan.trained else 'given checkpoints'} "
        f"{', '.join(plan.networks)})"
        + (f" + {len(plan.controls)} untrained control(s)" if plan.controls else "")
        + f" x {len(plan.attributes)} attribute(s) x {N_POINTS} probe points; "
        f"data: {plan.source}",
        f"network: ResNet-50 topology, base width {m.get('base_width')}, "
        f"{m.get('input_size')} px input: {plan.units_per_image:,} probe units per image",
        "",
        f"{'rule':<20}{'jobs':>8}{'sbatch':>8}  {'on':<6}{'thr':>4}{'gpu':>4}"
        f"{'time/job':>10}{'mem_mb':>9}{'runtime':>9}{'CPU-h':>9}{'GPU-h':>8}",
    ]
    for r in plan.rules.values():
        if not r.jobs:
            continue
        lines.append(
            f"{r.rule:<20}{r.jobs:>8,}{r.submissions:>8,}  {r.device:<6}{r.threads:>4}"
            f"{r.gpus:>4}{_dur(r.seconds_per_job):>10}"
            f"{'' if r.mem_mb is None else f'{r.mem_mb:,}':>9}"
            f"{'' if r.runtime_min is None else _dur(r.runtime_min * 60):>9}"
            f"{_hours(r.cpu_hours):>9}{_hours(r.gpu_hours) if r.gpus else '-':>8}"
        )
    total_jobs = sum(plan.jobs.values())
    lines.append(
        f"{'total':<20}{total_jobs:>8,}{plan.submissions:>8,}{'':>44}"
        f"{_hours(plan.cpu_hours):>9}{_hours(plan.gpu_hours):>8}"
    )
    batch = (
        f"pls_vip batched {plan.pls_vip_batch} per submission"
        if plan.pls_vip_batch
        else "one submission per pls_vip job (--pls-vip-batch N to batch them)"
    )
    notes = (
        f"sbatch: submissions on a SLURM cluster, where 'local' rules run on the submitting "
        f"host; {batch}. time/job: estimated wall time (pls_vip: the mean point); mem_mb and "
        "runtime: what one job should ask for, margins included (pls_vip: probe_mem_mb of "
        "the largest shard); CPU-h: threads x time."
    )
    lines += textwrap.wrap(notes, 100) + ["", "disk"]
    largest = max(plan.shard_bytes, key=plan.shard_bytes.get)
    smallest = min(plan.shard_bytes, key=plan.shard_bytes.get)
    lines += [
        f"  activation shards (temporary): {_gb(plan.set_bytes)} per (network, attribute) set,",
        f"    {plan.dtype}, {plan.rows:,} rows x {plan.units_per_image:,} units; one shard per "
        f"point: {_gb(plan.shard_bytes[largest])} ({largest}) to "
        f"{_gb(plan.shard_bytes[smallest])} ({smallest});",
        f"    {plan.sets:,} sets, {_gb(plan.set_bytes * plan.sets)} written in all, each set "
        "deleted once its 50 points are probed",
        f"  {'peak shards':<28}{_gb(plan.peak_shard_bytes):>12}  ({plan.concurrent_extracts} "
        "extract job(s) at once + 1 set being probed)",
    ]
    for kind, b in plan.kept_bytes.items():
        if b:
            lines.append(f"  {kind + ' (kept)':<28}{_gb(b):>12}")
    lines += [
        f"  {'total kept':<28}{_gb(plan.kept_total):>12}",
        f"  {'peak disk (upper bound)':<28}{_gb(plan.peak_disk_bytes):>12}"
        "  (peak shards + all kept + training resume files)",
    ]
    return "\n".join(lines)
