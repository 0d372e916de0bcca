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

import math

from facecues.activations.shards import shard_bytes
from facecues.plan.measured import (
    ATLAS_S_PER_ITEM,
    CF_BOOTSTRAP_S,
    CF_DEPTH_S_PER_UNIT,
    CF_RENDER_S_PER_FACE,
    CPU_TRAIN_IMAGES_S,
    CPU_TRAIN_REF,
    CUDA_CONTEXT_MB,
    DISK_WRITE_BYTES_S,
    ERASURE_GRAM_S_PER_ELEMENT,
    FORWARD_ACT_BYTES_PER_UNIT,
    FORWARD_FRACTION,
    GPU_COPY_BYTES_S,
    GPU_FP32_FACTOR,
    GPU_TRAIN_IMAGES_S,
    LIGHT_JOB_S,
    LOAD_S_FIXED,
    LOAD_S_PER_INPUT_PIXEL,
    LOAD_S_PER_SOURCE_PIXEL,
    MEM_MARGIN,
    MIN_MEM_MB,
    MIN_RUNTIME_MIN,
    PLS_CORE_S_PER_ELEMENT,
    PLS_FIT_FACTOR,
    PLS_JOB_START_S,
    PREFETCH_FACTOR,
    PROJECT_S_PER_UNIT,
    QDA_S_PER_FIT,
    QDA_S_PER_ROW,
    SHARD_READ_BYTES_S,
    SKLEARN_MB,
    SYNTH_CORE_S_PER_IMAGE,
    SYNTH_MB,
    TIME_EXTRA_MIN,
    TIME_MARGIN,
    TORCH_BASE_MB,
    TORCH_JOB_START_S,
    TRAIN_ACT_BYTES_PER_UNIT,
    VGG_INDEX_BYTES_PER_IMAGE,
    VGG_INDEX_S_PER_IMAGE,
    VGG_NAMES_BYTES_PER_IMAGE,
    VGG_PARSE_BYTES_PER_IMAGE,
    WORKER_MB,
)
from facecues.plan.rules import HEAVY_RULES, rule_gpus, rule_threads
from facecues.plan.sizes import (
    Datasets,
    activation_sets,
    compute_scale,
    datasets,
    erasure_fit_images,
    erasure_rows,
    erasure_units,
    features_per_point,
    identity_control,
    itemsize,
    network_parameters,
    network_scale,
    point_units,
    probes_per_point,
    train_rows,
)
from facecues.probes.erasure import eraser_method
from facecues.study.study import Study

MB = 1 / 2**20

# ----------------------------------------------------------------------------------------
# Time.


def _step_s(study: Study, gpu: bool, threads: int, *, amp: bool) -> float:
    """Seconds of one training step per image (fwd + bwd) on the job's device."""
    scale = network_scale(study)
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


class _Job:
    """What every estimate of one job of ``rule`` starts from: its device and threads,
    the data, the points' units, a forward pass and a CelebA image's decoding."""

    def __init__(self, rule: str, study: Study):
        self.rule, self.study = rule, study
        self.size = study.model.input_size
        self.gpu = rule_gpus(rule, study) > 0
        self.threads = rule_threads(rule, study)
        self.d = datasets(study)
        self.units = point_units(study)
        self.total_units = sum(self.units)
        self.forward = _step_s(study, self.gpu, self.threads, amp=False) * FORWARD_FRACTION
        self.celeba_load = _load_s(self.d.celeba_pixels, self.size)

    def pass_s(self, compute_s: float, load_core_s: float, workers: int) -> float:
        return _pass_s(compute_s, load_core_s, gpu=self.gpu, workers=workers, threads=self.threads)


def _train_s(j: _Job) -> float:
    t = j.study.train
    step = _step_s(j.study, j.gpu, j.threads, amp=True)
    per = j.pass_s(step, _load_s(j.d.vgg_pixels, j.size), t.get("workers", 0))
    lfw = j.d.lfw_images * j.pass_s(j.forward, _load_s(j.d.lfw_pixels, j.size), 0)
    index = j.d.train_images * VGG_INDEX_S_PER_IMAGE
    return TORCH_JOB_START_S + index + t["epochs"] * (j.d.train_images * per + lfw)


def _finetune_s(j: _Job) -> float:
    mt = j.study.multitask
    tr, va, te = j.d.celeba
    step = _step_s(j.study, j.gpu, j.threads, amp=False)
    workers = mt.get("workers", 0)
    train = tr * mt["epochs"] * j.pass_s(step, j.celeba_load, workers)
    evals = (va * mt["epochs"] + te) * j.pass_s(j.forward, j.celeba_load, workers)
    return TORCH_JOB_START_S + train + evals


def _control_network_s(j: _Job) -> float:
    """BatchNorm recalibration: forward passes, no writes."""
    return TORCH_JOB_START_S + j.study.controls.recalibrate_bn * (j.forward + j.celeba_load)


def _extract_s(j: _Job) -> float:
    nbytes = j.total_units * itemsize(j.study)
    copy_s = nbytes / GPU_COPY_BYTES_S if j.gpu else 0.0
    per = j.forward + copy_s + nbytes / DISK_WRITE_BYTES_S + j.celeba_load
    return TORCH_JOB_START_S + train_rows(j.study) * per


def _score_s(j: _Job) -> float:
    """score_val, or score_test as if a selection sat at every point (an upper bound)."""
    study, units = j.study, j.units
    attributes = len(study.attributes)
    if j.rule == "score_val":
        rows = 2 * study.probe_sample.val_per_class
        fits, files_units = len(units) * probes_per_point(study), j.total_units
    else:
        selections = 3 * attributes
        rows, fits = j.d.celeba[2], selections
        files_units = min(selections, len(units) * attributes) * max(units)
    copy_s = j.total_units * 4 / GPU_COPY_BYTES_S if j.gpu else 0.0
    per = j.forward + copy_s + j.total_units * PROJECT_S_PER_UNIT + j.celeba_load
    qda = fits * (QDA_S_PER_FIT + QDA_S_PER_ROW * (rows + train_rows(study)))
    read = files_units * study.probe.n_components * 4 / SHARD_READ_BYTES_S
    return TORCH_JOB_START_S + read + rows * per + qda


def _pls_vip_s(j: _Job) -> float:
    return PLS_JOB_START_S + sum(pls_point_seconds(u, j.study) for u in j.units)


def _synthesize_s(j: _Job) -> float:
    return 2.0 + j.d.synthetic_images * SYNTH_CORE_S_PER_IMAGE / max(1, j.threads)


def _erasure_s(j: _Job) -> float:
    """The sample (training rows and as many validation rows) once per point, the rest of
    the pass from each point that has later ones (about half a pass), the eraser's extra
    images once, and the LFW images once, then with each point's eraser and its control."""
    units = erasure_units(j.study)
    if not units:  # no erasure for this network
        return 0.0
    rows = erasure_rows(j.study)
    passes = len(units) + 0.5 * (len(units) - 1)
    extra = erasure_fit_images(j.study, j.d) - train_rows(j.study)
    images = rows * (passes * j.forward + j.celeba_load) + extra * (j.forward + j.celeba_load)
    lfw_load = _load_s(j.d.lfw_pixels, j.size)
    lfw = j.d.lfw_images * ((1 + 2 * len(units)) * j.forward + lfw_load)
    return TORCH_JOB_START_S + images + lfw + erasure_fit_seconds(units, j.study, j.d)


def _counterfactual_faces(j: _Job) -> tuple[int, int]:
    """(faces, variants): the originals and their changed twins, and the variants (each
    probed attribute's flip and the 3 nuisance controls)."""
    cf = j.study.config["counterfactual"]
    variants = len(j.study.attributes) + 3
    return cf["people"] * cf["images_per_person"] * (1 + variants), variants


def _counterfactual_faces_s(j: _Job) -> float:
    faces, _ = _counterfactual_faces(j)
    return TORCH_JOB_START_S + faces * CF_RENDER_S_PER_FACE


def _counterfactual_s(j: _Job) -> float:
    """Every face through the network (at every probe point too, with ``depth``), then the
    bootstrap of every variant."""
    cf = j.study.config["counterfactual"]
    faces, variants = _counterfactual_faces(j)
    depth = faces * j.total_units * CF_DEPTH_S_PER_UNIT if cf["depth"] else 0.0
    return (
        TORCH_JOB_START_S + faces * j.forward + depth + cf["bootstrap"] * variants * CF_BOOTSTRAP_S
    )


def _estimands_s(j: _Job) -> float:
    """The sample of CelebA images decoded and embedded, then the bootstrap per attribute."""
    e = j.study.config["estimands"]
    images = e["people"] * e["images_per_person"]
    draws = e["bootstrap"] * len(j.study.attributes) * CF_BOOTSTRAP_S
    return TORCH_JOB_START_S + images * (j.forward + j.celeba_load) + draws


def _atlas_s(j: _Job) -> float:
    networks, a = j.study.networks, len(j.study.attributes)
    items = len(networks.probed) * a + len(networks.studied) * a * 2
    return items * ATLAS_S_PER_ITEM  # job start included


_SECONDS = {
    "train": _train_s,
    "finetune": _finetune_s,
    "control_network": _control_network_s,
    "extract": _extract_s,
    "score_val": _score_s,
    "score_test": _score_s,
    "pls_vip": _pls_vip_s,
    "synthesize": _synthesize_s,
    "erasure": _erasure_s,
    "atlas": _atlas_s,
    "counterfactual_faces": _counterfactual_faces_s,
    "counterfactual": _counterfactual_s,
    "estimands": _estimands_s,
}


def estimate_seconds(rule: str, study: Study) -> float:
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
    - pls_vip: one start (PLS_JOB_START_S), then ``pls_point_seconds`` of every point;
    - synthesize: SYNTH_CORE_S_PER_IMAGE per image over the workers; atlas:
      ATLAS_S_PER_ITEM per page and per card (at most two per trained network and
      attribute); counterfactual_faces: CF_RENDER_S_PER_FACE per face; counterfactual: a
      forward pass per face (and CF_DEPTH_S_PER_UNIT per unit with ``depth``) and the
      bootstrap; estimands: its CelebA sample decoded and embedded; others LIGHT_JOB_S.
    """
    if rule in _SECONDS:
        return _SECONDS[rule](_Job(rule, study))
    return 0.0 if rule == "all" else LIGHT_JOB_S


def pls_point_seconds(units: int, study: Study) -> float:
    """Wall seconds (1 thread) a pls_vip job spends on a probe point of ``units`` units:
    reading its shard and the fits, the job's start not included."""
    n = train_rows(study)
    read = n * units * itemsize(study) / SHARD_READ_BYTES_S
    fits = 2 if identity_control(study) else 1  # the probes again on the identity task
    return read + fits * PLS_FIT_FACTOR * PLS_CORE_S_PER_ELEMENT * n * units


def erasure_fit_seconds(units: list[int], study: Study, d: Datasets) -> float:
    """Seconds of an erasure job's fits: per point two eraser fits (LEACE: the n x n Gram
    matrix or the d x d covariance of the n fitting images, n d min(n, d),
    ERASURE_GRAM_S_PER_ELEMENT; the orthogonal eraser's class sums are nothing beside
    it), the whole-layer probe on the training sample and eight on halves of the
    validation sample (whole-layer and linear, before and after), and the probe again
    at every later point (PLS fits as in ``pls_point_seconds``)."""
    n = train_rows(study)
    fit = erasure_fit_images(study, d)
    val = erasure_rows(study) - n
    pls = PLS_FIT_FACTOR * PLS_CORE_S_PER_ELEMENT
    fits = 0.0
    for i, u in enumerate(units):
        if _leace(study, fit, u):
            fits += 2 * ERASURE_GRAM_S_PER_ELEMENT * fit * u * min(fit, u)
        fits += pls * u * (n + 4 * val) + pls * n * sum(units[i + 1 :])
    return fits


def _leace(study: Study, images: int, units: int) -> bool:
    """Whether an erasure point of ``units`` gets LEACE (else the orthogonal eraser):
    ``eraser_method``'s choice, or LEACE wherever ``erasure.method`` asks for it (the
    config's check refuses it where too wide for ``erasure.fit_images``)."""
    method = study.erasure.method
    return method == "leace" or eraser_method(method, images, units) == "leace"


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


def pls_vip_mem_mb(units: int, study: Study) -> int:
    """``shard_probe_mem_mb`` for a shard of ``units`` units, sized from the study."""
    size_mb = shard_bytes(units, train_rows(study), study.stream.dtype) / 2**20
    return shard_probe_mem_mb(size_mb, itemsize(study))


def _base_mb(j: _Job) -> float:
    return TORCH_BASE_MB + (CUDA_CONTEXT_MB if j.gpu else 0)


def _image_bytes(j: _Job) -> int:
    return 3 * j.size**2 * 4  # one preprocessed image, float32


def _train_mem_mb(j: _Job) -> float:
    """train / finetune (see ``estimate_mem_mb``)."""
    study = j.study
    cfg = study.train if j.rule == "train" else study.multitask
    classes = j.d.identities if j.rule == "train" else len(study.attributes)
    params, state = network_parameters(study, classes)
    weights = (3 * params + state) * 4
    acts = 0 if j.gpu else cfg["batch_size"] * j.total_units * TRAIN_ACT_BYTES_PER_UNIT
    workers = cfg.get("workers", 0)
    batch = cfg["batch_size"] * _image_bytes(j)
    batches = (workers * PREFETCH_FACTOR + 2) * batch
    images = j.d.train_images if j.rule == "train" else sum(j.d.celeba)
    index = images * VGG_INDEX_BYTES_PER_IMAGE
    per_worker = WORKER_MB / MB + images * VGG_NAMES_BYTES_PER_IMAGE + 2 * batch
    steady = _base_mb(j) + (weights + acts + batches + index + workers * per_worker) * MB
    parsing = TORCH_BASE_MB + images * VGG_PARSE_BYTES_PER_IMAGE * MB
    return max(steady, parsing)


def _forward_mem_mb(j: _Job) -> float:
    """extract, score_val, score_test, control_network (see ``estimate_mem_mb``)."""
    study = j.study
    _, state = network_parameters(study, 0)
    b, nc, largest = study.stream.batch_size, study.probe.n_components, max(j.units)
    acts = 2 * b * largest * 4 if j.gpu else b * j.total_units * FORWARD_ACT_BYTES_PER_UNIT
    base, held = _base_mb(j), 0
    if j.rule == "extract":
        held = b * largest * itemsize(study)
    elif j.rule == "score_val":
        rows = 2 * study.probe_sample.val_per_class
        held = j.total_units * nc * 4 + 2 * rows * len(j.units) * features_per_point(study) * 8
        base += SKLEARN_MB
    elif j.rule == "score_test":
        attributes = len(study.attributes)
        selections = 3 * attributes
        held = min(selections, len(j.units) * attributes) * largest * nc * 4
        held += 2 * j.d.celeba[2] * selections * nc * 8
        base += SKLEARN_MB
    return base + (state * 4 + acts + held + 2 * b * _image_bytes(j)) * MB


def _erasure_mem_mb(j: _Job) -> float:
    """One point's activations of the sample (float32) and their erased copy, or the later
    points' from the first (whichever is more); the centred training rows; the extra
    fitting images' rows at the LEACE points (three times: as captured, joined with the
    training rows and centred); the decoded images of the sample and of LFW."""
    study = j.study
    units, rows = erasure_units(study), erasure_rows(study)
    if not units:
        return 0
    acts = 2 * study.stream.batch_size * j.total_units * FORWARD_ACT_BYTES_PER_UNIT
    widest = max(max(units), sum(units[1:]))
    held = 2 * rows * widest * 4 + train_rows(study) * max(units) * 4
    fit = erasure_fit_images(study, j.d)
    held += 3 * fit * 4 * sum(u for u in units if _leace(study, fit, u))
    held += (rows + j.d.lfw_images) * _image_bytes(j)
    return _base_mb(j) + SKLEARN_MB + (acts + held) * MB


_MEMORY = {
    "train": _train_mem_mb,
    "finetune": _train_mem_mb,
    "extract": _forward_mem_mb,
    "score_val": _forward_mem_mb,
    "score_test": _forward_mem_mb,
    "control_network": _forward_mem_mb,
    "erasure": _erasure_mem_mb,
    "synthesize": lambda j: SYNTH_MB,
    "pls_vip": lambda j: pls_vip_mem_mb(max(j.units), j.study),
}


def estimate_mem_mb(rule: str, study: Study) -> float:
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
    if rule in _MEMORY:
        return _MEMORY[rule](_Job(rule, study))
    return 500


def rule_resources(rule: str, study: Study) -> dict[str, int]:
    """``{"mem_mb": int, "runtime": int (minutes)}`` for one job of a heavy rule.

    Estimated time (``estimate_seconds``) x TIME_MARGIN + TIME_EXTRA_MIN, at least
    MIN_RUNTIME_MIN; estimated peak memory (``estimate_mem_mb``) x MEM_MARGIN, at least
    MIN_MEM_MB.  ``rule`` is one of HEAVY_RULES, or ``pls_vip``: then the memory is exactly
    what workflow/rules/common.smk's ``probe_mem_mb`` asks for the largest point's shard,
    and the runtime that of every point in turn.
    """
    if rule not in HEAVY_RULES and rule != "pls_vip":
        raise ValueError(f"no resource model for rule {rule!r}; known: {HEAVY_RULES}")
    minutes = estimate_seconds(rule, study) / 60 * TIME_MARGIN + TIME_EXTRA_MIN
    if rule == "pls_vip":
        mem = pls_vip_mem_mb(max(point_units(study)), study)
    else:
        mem = max(MIN_MEM_MB, math.ceil(estimate_mem_mb(rule, study) * MEM_MARGIN))
    return {"mem_mb": int(mem), "runtime": int(max(MIN_RUNTIME_MIN, math.ceil(minutes)))}


def disk_note(study: Study) -> str:
    """The line the workflow prints at start-up: how much disk the temporary activation
    shards take (one set per extract job running at once, plus the one being probed)."""
    dtype = study.stream.dtype
    points = study.probed_points
    units = sum(pt.units for pt in points)
    per_set = shard_bytes(units, train_rows(study), dtype)
    nets = study.networks
    sets = activation_sets(study)
    return (
        f"facecues: {units:,} probe units per image; the training activations of one "
        f"(network, attribute) take {per_set / 1e9:.2f} GB ({dtype}), deleted once its "
        f"{len(points)} points are probed ({sets} such sets, ({len(nets.studied)} studied + "
        f"{len(nets.controls)} untrained networks) x {len(study.attributes)} attributes; "
        "peak about one set per extract job running at once, plus one)"
    )
