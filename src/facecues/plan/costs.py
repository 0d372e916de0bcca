"""What one job of each rule costs: time, memory and the rules' ``mem_mb`` / ``runtime``.

Nothing here needs the data or torch (workflow start-up sizes every heavy
rule from it): sizes come from ``facecues.nets.layout``, times from the
speeds measured in ``README.md`` and ``benchmarks/README.md`` (constants
below, each with where it was measured), memory from peak-RSS measurements
of the real code on this project's 2-core development machine.

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

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache

from facecues.activations.shards import shard_bytes
from facecues.data.synthetic.config import SyntheticConfig
from facecues.literature import (
    CELEBA_PARTITIONS,
    CELEBA_PIXELS,
    LFW_IMAGES,
    LFW_PAIRS,
    LFW_PIXELS,
    VGGFACE2_TRAIN_IDENTITIES,
    VGGFACE2_TRAIN_IMAGES,
)
from facecues.nets.layout import STAGE_BLOCKS, input_point
from facecues.nets.manifest import Manifest, is_built_in, network_points
from facecues.nets.names import study_networks
from facecues.plan.rules import HEAVY_RULES, rule_gpus, rule_threads
from facecues.probes.erasure import eraser_method, rows_per_class
from facecues.study.config import architecture, erasure_points

# ----------------------------------------------------------------------------------------
# The data (the published sizes of the real sets: facecues.literature).

# Assumed typical full VGGFace2 JPEG (decoded whole, then the box is cropped); its decoding
# on train.workers cores, not the GPU, sets the paper preset's training time.
VGGFACE2_SOURCE_PIXELS = 400 * 500

# ----------------------------------------------------------------------------------------
# Measured speeds.  "H200": the lent GPU machine of benchmarks/README.md (16 cores).
# "2-core machine": this project's development machine (AMD EPYC, 2 cores, 23 GB, local
# disk), shared with other jobs while measured (load average 3-7), so its calib figures are
# the best of several repeats and still on the slow side; calib = the throw-away
# measurement scripts run for this module (the library functions the jobs call, timed and
# their peak RSS read with getrusage / psutil).

REF_WIDTH, REF_SIZE = 64, 224  # the network of the GPU figures: ResNet-50 at 224 px
# The same network's FLOPs per image, as torch.utils.flop_counter counts them (the
# manifests' ``flops``; tests/test_plan.py checks it).
REF_FLOPS = 8_174_272_512
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
# Start-up of a torch job: imports 2.9 s (measured on the 2-core machine), the network, the
# CelebA lists.
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
# results/atlas of the default study (7.2 MB): a (network, attribute) page with its depth
# figure, 153 kB (51 points); a unit card, 72 kB (thumbnails, means, histogram)
ATLAS_PAGE_BYTES = 153_000
ATLAS_CARD_BYTES = 72_000
ATLAS_S_PER_ITEM = 0.25  # a page or a card (average_k 100): the job, 15.8 s for 32 + 31
# erasure: the Gram matrix of the n x d training sample, core-seconds per n^2 d (numpy's
# float32 matmul on this 2-core machine: ~2e-11; with the centring and the products)
ERASURE_GRAM_S_PER_ELEMENT = 5e-11

MEM_MARGIN = 1.25
MIN_MEM_MB = 2000
TIME_MARGIN = 1.5
TIME_EXTRA_MIN = 5
MIN_RUNTIME_MIN = 10
# A default run's model.pt: 6,285,125 B for 1,545,609 float32 values (103 kB of zip entries,
# names and the identities list); ~20 B more per identity name.
CHECKPOINT_OVERHEAD_BYTES = 100_000
CHECKPOINT_BYTES_PER_IDENTITY = 20


# ----------------------------------------------------------------------------------------
# What the config implies.


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
        s = {**_synthetic_defaults(), **(config.get("synthetic") or {})}
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


def _synthetic_defaults() -> dict:
    """The synthetic world's sizes when the config leaves them out."""
    return {f.name: f.default for f in fields(SyntheticConfig)}


def network_manifest(config: Mapping) -> Manifest:
    """The config's network's probe points (``facecues.nets.manifest``): the built-in
    topology's from the layout; another network's from its cached manifest, or
    discovered (importing torch) without writing one."""
    entry = architecture(config)
    return _manifest(json.dumps(entry, sort_keys=True), config["model"]["input_size"])


@lru_cache(maxsize=8)
def _manifest(entry: str, input_size: int) -> Manifest:
    entry = json.loads(entry)
    return network_points(entry, input_size, entry.get("points"), write=False)


def probed_points(config: Mapping) -> list:
    """The probe points of the config's network, the input L00 first when it is probed
    (``controls.input_point``)."""
    points = list(network_manifest(config).points)
    if config.get("controls", {}).get("input_point", False):
        points.insert(0, input_point(config["model"]["input_size"]))
    return points


def point_units(config: Mapping) -> list[int]:
    """Units of each probe point of the config's network (``probed_points``)."""
    return [p.units for p in probed_points(config)]


def itemsize(config: Mapping) -> int:
    """Bytes per value of the activation shards (probe.dtype)."""
    return shard_bytes(1, 1, config["probe"]["dtype"])


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


def network_scale(config: Mapping) -> float:
    """The config network's compute per image relative to ResNet-50 at 224 px: from its
    width and input size for the built-in topology, else from the FLOPs its manifest
    counted (``REF_FLOPS``; a crude guide: a ViT's attention runs at another speed)."""
    m = config["model"]
    if is_built_in(architecture(config)):
        return compute_scale(m["base_width"], m["input_size"])
    return network_manifest(config).flops / REF_FLOPS


def network_parameters(config: Mapping, num_classes: int) -> tuple[int, int]:
    """``model_parameters`` of the config's network with a head of ``num_classes``; for a
    network other than the built-in topology, from its manifest, the head's input being
    its last point (the embedding)."""
    if is_built_in(architecture(config)):
        return model_parameters(config["model"]["base_width"], num_classes)
    manifest = network_manifest(config)
    head = (manifest.points[-1].units + 1) * num_classes if num_classes > 0 else 0
    return manifest.parameters + head, manifest.state_values + head


def _step_s(config: Mapping, gpu: bool, threads: int, *, amp: bool) -> float:
    """Seconds of one training step per image (fwd + bwd) on the job's device."""
    scale = network_scale(config)
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
    - pls_vip: the mean over the network's points of ``pls_vip_seconds``;
    - synthesize: SYNTH_CORE_S_PER_IMAGE per image over the workers; atlas:
      ATLAS_S_PER_ITEM per page and per card (at most two per trained network and
      attribute); others LIGHT_JOB_S.
    """
    m, p = config["model"], config["probe"]
    size = m["input_size"]
    gpu = rule_gpus(rule, config) > 0
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
            rows, fits = 2 * p["val_per_class"], len(units) * probes_per_point(config)
            files_units = total_units
        else:
            selections = 3 * len(config["attributes"])
            rows, fits = d.celeba[2], selections
            files_units = min(selections, len(units) * len(config["attributes"])) * max(units)
        copy_s = total_units * 4 / GPU_COPY_BYTES_S if gpu else 0.0
        per = forward + copy_s + total_units * PROJECT_S_PER_UNIT + celeba_load
        qda = fits * (QDA_S_PER_FIT + QDA_S_PER_ROW * (rows + train_rows(config)))
        read = files_units * p["n_components"] * 4 / SHARD_READ_BYTES_S
        return TORCH_JOB_START_S + read + rows * per + qda
    if rule == "pls_vip":
        return sum(pls_vip_seconds(u, config) for u in units) / len(units)
    if rule == "synthesize":
        return 2.0 + d.synthetic_images * SYNTH_CORE_S_PER_IMAGE / max(1, threads)
    if rule == "erasure":
        units = erasure_units(config)
        if not units:  # no erasure for this network
            return 0.0
        # the sample (training rows and as many validation rows) once per point, the rest
        # of the pass from each point that has later ones (about half a pass), the
        # eraser's extra images once, and the LFW images once, then with each point's
        # eraser and its control
        rows = erasure_rows(config)
        passes = len(units) + 0.5 * (len(units) - 1)
        extra = erasure_fit_images(config, d) - train_rows(config)
        images = rows * (passes * forward + celeba_load) + extra * (forward + celeba_load)
        lfw_load = _load_s(d.lfw_pixels, size)
        lfw = d.lfw_images * ((1 + 2 * len(units)) * forward + lfw_load)
        return TORCH_JOB_START_S + images + lfw + erasure_fit_seconds(units, config, d)
    if rule == "atlas":
        networks, a = study_networks(config), len(config["attributes"])
        items = len(networks.probed) * a + len(networks.studied) * a * 2
        return items * ATLAS_S_PER_ITEM  # job start included
    return 0.0 if rule == "all" else LIGHT_JOB_S


def pls_vip_seconds(units: int, config: Mapping) -> float:
    """Wall seconds of one pls_vip job (1 thread) on a probe point of ``units`` units."""
    n = train_rows(config)
    read = n * units * itemsize(config) / SHARD_READ_BYTES_S
    fits = 2 if identity_control(config) else 1  # the probes again on the identity task
    return PLS_JOB_START_S + read + fits * PLS_FIT_FACTOR * PLS_CORE_S_PER_ELEMENT * n * units


def erasure_units(config: Mapping) -> list[int]:
    """Units of each erasure point (``facecues.study.config.erasure_points``)."""
    by_id = {pt.id: pt.units for pt in network_manifest(config).points}
    return [by_id[i] for i in erasure_points(config)]


def erasure_rows(config: Mapping) -> int:
    """Rows of an erasure job's sample: the training sample and its validation rows
    (``facecues.probes.erasure.rows_per_class``)."""
    p = config["probe"]
    per_class, _ = rows_per_class(p["train_per_class"], p["val_per_class"], p["n_components"])
    return train_rows(config) + 2 * per_class


def erasure_fit_images(config: Mapping, d) -> int:
    """Images an erasure job fits its eraser on: ``erasure.fit_images``, or fewer where
    CelebA (``d.celeba``) has fewer outside the attribute's validation sample, but at
    least the training sample."""
    outside = sum(d.celeba) - 2 * int(config["probe"]["val_per_class"])
    return max(train_rows(config), min(config["erasure"]["fit_images"], outside))


def erasure_fit_seconds(units: list[int], config: Mapping, d) -> float:
    """Seconds of an erasure job's fits: per point two eraser fits (LEACE: the n x n Gram
    matrix or the d x d covariance of the n fitting images, n d min(n, d),
    ERASURE_GRAM_S_PER_ELEMENT; the orthogonal eraser's class sums are nothing beside
    it), the whole-layer probe on the training sample and eight on halves of the
    validation sample (whole-layer and linear, before and after), and the probe again
    at every later point (PLS fits as in ``pls_vip_seconds``)."""
    n = train_rows(config)
    fit = erasure_fit_images(config, d)
    val = erasure_rows(config) - n
    pls = PLS_FIT_FACTOR * PLS_CORE_S_PER_ELEMENT
    fits = 0.0
    for i, u in enumerate(units):
        if _leace(config, fit, u):
            fits += 2 * ERASURE_GRAM_S_PER_ELEMENT * fit * u * min(fit, u)
        fits += pls * u * (n + 4 * val) + pls * n * sum(units[i + 1 :])
    return fits


def _leace(config: Mapping, images: int, units: int) -> bool:
    """Whether an erasure point of ``units`` gets LEACE (else the orthogonal eraser):
    ``eraser_method``'s choice, or LEACE wherever ``erasure.method`` asks for it (the
    config's check refuses it where too wide for ``erasure.fit_images``)."""
    method = config["erasure"]["method"]
    return method == "leace" or eraser_method(method, images, units) == "leace"


def identity_control(config: Mapping) -> bool:
    """Whether every pls_vip job also fits the identity control task's probes (where the
    data lists identities, which the plan does not read: assumed)."""
    return bool(config.get("controls", {}).get("identity_task", False))


def probes_per_point(config: Mapping) -> int:
    """Probes fitted at one point (layer, neurons, filters, top-k of each, VIP-uniform,
    and the identity-task twins of layer, filters, neurons, filter_1, neuron_1)."""
    k = config["probe"]["top_k"]
    return 3 + 2 * k + config["probe"]["vip_neurons"] + 5 * identity_control(config)


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
    size_mb = shard_bytes(units, train_rows(config), config["probe"]["dtype"]) / 2**20
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
    gpu = rule_gpus(rule, config) > 0
    units = point_units(config)
    total, largest = sum(units), max(units)
    d = datasets(config)
    base = TORCH_BASE_MB + (CUDA_CONTEXT_MB if gpu else 0)
    mb = 1 / 2**20
    image = 3 * m["input_size"] ** 2 * 4  # one preprocessed image, float32
    if rule in ("train", "finetune"):
        cfg = config["train"] if rule == "train" else config["multitask"]
        classes = d.identities if rule == "train" else len(config["attributes"])
        params, state = network_parameters(config, classes)
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
        _, state = network_parameters(config, 0)
        b = p["batch_size"]
        acts = 2 * b * largest * 4 if gpu else b * total * FORWARD_ACT_BYTES_PER_UNIT
        nc = p["n_components"]
        if rule == "control_network":
            held = 0
        elif rule == "extract":
            held = b * largest * itemsize(config)
        elif rule == "score_val":
            rows = 2 * p["val_per_class"]
            held = total * nc * 4 + 2 * rows * len(units) * _features_per_point(config) * 8
            base += SKLEARN_MB
        else:
            selections = 3 * len(config["attributes"])
            held = min(selections, len(units) * len(config["attributes"])) * largest * nc * 4
            held += 2 * d.celeba[2] * selections * nc * 8
            base += SKLEARN_MB
        return base + (state * 4 + acts + held + 2 * b * image) * mb
    if rule == "erasure":
        units, rows = erasure_units(config), erasure_rows(config)
        if not units:
            return 0
        acts = 2 * p["batch_size"] * total * FORWARD_ACT_BYTES_PER_UNIT
        # one point's activations of the sample (float32) and their erased copy, or the
        # later points' from the first (whichever is more); the centred training rows; the
        # extra fitting images' rows at the LEACE points (three times: as captured, joined
        # with the training rows and centred); the decoded images of the sample and of LFW
        widest = max(max(units), sum(units[1:]))
        held = 2 * rows * widest * 4 + train_rows(config) * max(units) * 4
        fit = erasure_fit_images(config, d)
        held += 3 * fit * 4 * sum(u for u in units if _leace(config, fit, u))
        held += (rows + d.lfw_images) * image
        return base + SKLEARN_MB + (acts + held) * mb
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


def disk_note(config: Mapping) -> str:
    """The line the workflow prints at start-up: how much disk the temporary activation
    shards take (one set per extract job running at once, plus the one being probed)."""
    p = config["probe"]
    points = probed_points(config)
    units = sum(pt.units for pt in points)
    per_set = shard_bytes(units, train_rows(config), p["dtype"])
    networks = study_networks(config)
    sets = len(networks.studied) * len(config["attributes"])
    return (
        f"facecues: {units:,} probe units per image; the training activations of one "
        f"(network, attribute) take {per_set / 1e9:.2f} GB ({p['dtype']}), deleted once its "
        f"{len(points)} points are probed ({sets} such sets; peak about one set per extract job "
        "running at once, plus one)"
    )
