"""A study's plan before anything runs: jobs, cluster submissions, disk, time and memory.

``facecues plan --configfile configs/paper.yaml`` prints it (``format_plan``).
Nothing here reads the data or imports torch (but to discover the points of a
network other than the built-in topology when no manifest of it is cached): the
jobs per rule follow the workflow's rules (``facecues.plan.rules``, the networks of
``facecues.nets.names``), the costs of one job ``facecues.plan.costs``, and
the sizes of shards and probe files their formats' own modules
(``facecues.activations.shards``, ``facecues.probes.probe_file``).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from facecues.activations.shards import shard_bytes
from facecues.nets.spec import describe
from facecues.plan.costs import (
    estimate_seconds,
    pls_point_seconds,
    pls_vip_mem_mb,
    rule_resources,
)
from facecues.plan.measured import (
    ATLAS_CARD_BYTES,
    ATLAS_PAGE_BYTES,
    CHECKPOINT_BYTES_PER_IDENTITY,
    CHECKPOINT_OVERHEAD_BYTES,
    SYNTH_BYTES_PER_IMAGE,
)
from facecues.plan.rules import HEAVY_RULES, LOCAL_RULES, RULES, rule_gpus, rule_threads
from facecues.plan.sizes import (
    activation_sets,
    datasets,
    identity_control,
    network_parameters,
    probes_per_point,
    train_rows,
)
from facecues.probes.probe_file import probe_file_bytes
from facecues.study.study import Study


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
    """Everything ``plan()`` works out for a study (bytes are bytes, times hours)."""

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
    study: Study | None = field(default=None, repr=False)

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

    def wall_seconds(self, cores: int, gpus: int = 1) -> tuple[float, float, float]:
        """Estimated wall time of a local run (``snakemake --cores cores``), with its two
        bounds: (estimate, work / cores, longest chain). The work is every job's threads x
        time spread over the cores (GPU jobs over the GPUs); the chain, one job of each
        rule of ``CHAIN`` in turn. Scheduling gaps and Snakemake's own time are left out."""
        cpu = sum(r.jobs * r.threads * r.seconds_per_job for r in self.rules.values() if not r.gpus)
        gpu = sum(r.jobs * r.gpus * r.seconds_per_job for r in self.rules.values() if r.gpus)
        work = max(cpu / cores, gpu / max(1, gpus))
        chain = sum(self.rules[r].seconds_per_job for r in CHAIN if self.rules[r].jobs)
        return max(work, chain), work, chain

    @property
    def kept_total(self) -> int:
        """Disk of everything that stays once the study is done."""
        return sum(self.kept_bytes.values())

    @property
    def peak_disk_bytes(self) -> int:
        """Upper bound of disk in use at once: peak shards + everything kept + resumables."""
        return self.peak_shard_bytes + self.kept_total + self.training_extra_bytes


def job_counts(study: Study) -> dict[str, int]:
    """Jobs per rule of the study's DAG, as ``snakemake -n`` counts them (rules left out
    run once). The control networks are extracted, probed and scored like the others."""
    networks, a = study.networks, len(study.attributes)
    n, c = len(networks.studied), len(networks.controls)
    probed = n + c
    erased = study.erasure.networks
    cf = study.config["counterfactual"]
    counterfactual = study.synthetic and cf["enabled"]
    estimands = counterfactual or study.config["estimands"]["enabled"]
    return {
        "synthesize": 1 if study.synthetic else 0,
        "splits": a,
        "train": n if networks.trained_here else 0,
        "control_network": c,
        "finetune": n,
        "extract": probed * a,
        "pls_vip": probed * a,
        "score_val": probed * a,
        "select": n,
        "score_test": n,
        "erasure": len(erased) * a,
        "erasure_table": 1 if erased else 0,
        "fig_erasure": 1 if erased else 0,
        "counterfactual_faces": 1 if counterfactual else 0,
        "counterfactual": probed if counterfactual else 0,
        "counterfactual_table": 1 if counterfactual else 0,
        "fig_counterfactual_fnmr": 1 if counterfactual else 0,
        "fig_counterfactual_depth": 1 if counterfactual and cf["depth"] else 0,
        "estimands": probed if estimands else 0,
        "estimands_table": 1 if estimands else 0,
    }


def rule_plans(study: Study, jobs: dict[str, int]):
    """One ``RulePlan`` per rule: its jobs, cluster submissions, device and costs."""
    rules = {}
    for rule in RULES:
        count = jobs.get(rule, 1)
        gpus = rule_gpus(rule, study)
        local = rule in LOCAL_RULES
        subs = 0 if local else count
        res = rule_resources(rule, study) if rule in HEAVY_RULES or rule == "pls_vip" else {}
        rules[rule] = RulePlan(
            rule=rule,
            jobs=count,
            submissions=subs,
            device="local" if local else ("gpu" if gpus else "cpu"),
            threads=rule_threads(rule, study),
            gpus=gpus,
            seconds_per_job=estimate_seconds(rule, study) if count else 0.0,
            mem_mb=res.get("mem_mb"),
            runtime_min=res.get("runtime"),
        )
    return rules


def kept_bytes(study: Study, jobs: dict[str, int]) -> dict[str, int]:
    """What stays on disk once the study is done, by kind."""
    networks, a = study.networks, len(study.attributes)
    n, probed = len(networks.studied), len(networks.probed)
    points, sets = study.probed_points, probed * a
    d = datasets(study)
    p, sample = study.probe, study.probe_sample
    probe_options = dict(
        rows=train_rows(study),
        n_components=p.n_components,
        top_k=p.top_k,
        vip_neurons=p.vip_neurons,
        control_twins=identity_control(study),
        pooled_filters=p.pooled_filters,
    )
    probes = sum(probe_file_bytes(pt.shape, **probe_options) for pt in points) * sets
    _, state = network_parameters(study, d.identities)
    one = state * 4 + CHECKPOINT_OVERHEAD_BYTES + CHECKPOINT_BYTES_PER_IDENTITY * d.identities
    checkpoints = one * n if networks.trained_here else 0
    accuracy_rows = sets * len(points) * probes_per_point(study)
    other = (
        2 * accuracy_rows * 110  # results/accuracy/* and layer_accuracy.tsv, ~110 B a row
        + n * d.celeba[2] * a * 2 * 4  # results/test/*_neurons.h5: best neuron and filter
        + a * 2 * (sample.train_per_class + sample.val_per_class) * 16  # results/splits
        + 20e6  # figures, tables, report
        + sum(jobs.values()) * 1000  # logs and benchmarks, ~1 kB a job
    )
    kept = {"probes": probes, "checkpoints": checkpoints}
    if d.synthetic_images:  # a default world's JPEGs: 22.6 MB for 10,000 images
        kept["synthetic world"] = d.synthetic_images * SYNTH_BYTES_PER_IMAGE
    # one page per (probed network, attribute), at most two cards per (network, attribute)
    kept["atlas"] = probed * a * ATLAS_PAGE_BYTES + n * a * 2 * ATLAS_CARD_BYTES
    kept["tables, logs, other"] = int(other)
    return kept


def plan(study: Study, *, concurrent_extracts: int = 1) -> Plan:
    """Work out a study without running anything (see the module docstring).

    ``concurrent_extracts``: extract jobs running at once (peak shard disk).
    """
    networks = study.networks
    points = study.probed_points
    rows, dtype = train_rows(study), study.stream.dtype
    shard = {pt.id: shard_bytes(pt.units, rows, dtype) for pt in points}
    set_bytes = sum(shard.values())
    sets = activation_sets(study)
    jobs = job_counts(study)
    # While a network trains, its resumable checkpoint (+ optimizer state) sits beside it.
    params, state = network_parameters(study, datasets(study).identities)
    resumable = (state + params) * 4 * len(networks.studied) if networks.trained_here else 0
    return Plan(
        networks=list(networks.studied),
        controls=list(networks.controls),
        trained=networks.trained_here,
        attributes=study.attributes,
        source=study.source,
        units_per_image=sum(pt.units for pt in points),
        rows=rows,
        dtype=dtype,
        rules=rule_plans(study, jobs),
        shard_bytes=shard,
        set_bytes=set_bytes,
        sets=sets,
        concurrent_extracts=concurrent_extracts,
        peak_shard_bytes=min(sets, concurrent_extracts + 1) * set_bytes,
        kept_bytes=kept_bytes(study, jobs),
        training_extra_bytes=resumable,
        study=study,
    )


# ----------------------------------------------------------------------------------------
# Text.


#: The rules one (network, attribute) set passes through in turn, from the data to Table I:
#: the longest chain of jobs of a run.
CHAIN = ("synthesize", "train", "extract", "pls_vip", "score_val", "select", "score_test", "table1")
#: The cores of the README's two commands (the default study, the paper preset).
WALL_CORES = (2, 16)

#: A partition's time limit many clusters set; a job asking for more is pointed out.
PARTITION_LIMIT_H = 24


def _gb(b: float) -> str:
    """Bytes in the unit that keeps the number short: ``824 kB``, ``3.29 GB``, ``12.1 TB``."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= size:
            value = b / size
            return f"{value:.3g} {unit}" if value < 100 else f"{value:,.0f} {unit}"
    return f"{b:.0f} B"


def format_points_plan(study: Study) -> str:
    """Per probe point of the study's network: its name, kind, shape and units, its
    shard's bytes, and its share of a pls_vip job: time, and the memory the job asks for
    when this is its largest shard."""
    rows = [("id", "name", "kind", "shape", "units", "shard", "pls_vip", "mem_mb")]
    n, dtype = train_rows(study), study.stream.dtype
    for pt in study.probed_points:
        rows.append(
            (
                pt.id,
                pt.name,
                pt.kind,
                "x".join(map(str, pt.shape)),
                f"{pt.units:,}",
                _gb(shard_bytes(pt.units, n, dtype)),
                f"{pls_point_seconds(pt.units, study):.1f} s",
                f"{pls_vip_mem_mb(pt.units, study):,}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            c.ljust(w) if i < 4 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    lines.append(
        f"shard: {n:,} training rows in {dtype}; pls_vip: the point's share of its pls_vip "
        "job (reading the shard, the fits) and the memory the job asks for where it is the "
        "largest shard"
    )
    return "\n".join(line.rstrip() for line in lines)


def _hours(h: float) -> str:
    return f"{h:,.1f}" if h >= 10 or h == 0 else f"{h:.2f}"


def _dur(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.1f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _network_line(study: Study) -> str:
    """The network in words: the built-in topology and its width, or another network
    with what its manifest counted."""
    entry = study.architecture
    if study.built_in:
        return f"ResNet-50 topology, base width {study.model.base_width}"
    man = study.manifest
    how = "FX tracing" if man.method == "fx" else "forward hooks (tracing failed)"
    return (
        f"{describe(entry)} ({len(man.points)} points found by {how}; "
        f"{man.parameters / 1e6:.1f} M parameters, {_flops(man.flops)} per image)"
    )


def _flops(n: float) -> str:
    """``22.5 GFLOPs``, ``54 MFLOPs``."""
    return f"{n / 1e9:.1f} GFLOPs" if n >= 1e9 else f"{n / 1e6:.0f} MFLOPs"


def format_plan(plan: Plan) -> str:
    """The plan as a text table for a terminal."""
    study = plan.study
    lines = [
        f"facecues plan: {len(plan.networks)} network(s) "
        f"({'trained here: seeds' if plan.trained else 'given checkpoints'} "
        f"{', '.join(plan.networks)})"
        + (f" + {len(plan.controls)} untrained control(s)" if plan.controls else "")
        + f" x {len(plan.attributes)} attribute(s) x {len(plan.shard_bytes)} probe points"
        + (" (the input L00 included)" if "L00" in plan.shard_bytes else "")
        + "; "
        f"data: {plan.source}",
        f"network: {_network_line(study)}, {study.model.input_size} px input: "
        f"{plan.units_per_image:,} probe units per image",
        "",
        f"{'rule':<25}{'jobs':>8}{'sbatch':>8}  {'on':<6}{'thr':>4}{'gpu':>4}"
        f"{'time/job':>10}{'mem_mb':>9}{'runtime':>9}{'CPU-h':>9}{'GPU-h':>8}",
    ]
    for r in plan.rules.values():
        if not r.jobs:
            continue
        lines.append(
            f"{r.rule:<25}{r.jobs:>8,}{r.submissions:>8,}  {r.device:<6}{r.threads:>4}"
            f"{r.gpus:>4}{_dur(r.seconds_per_job):>10}"
            f"{'' if r.mem_mb is None else f'{r.mem_mb:,}':>9}"
            f"{'' if r.runtime_min is None else _dur(r.runtime_min * 60):>9}"
            f"{_hours(r.cpu_hours):>9}{_hours(r.gpu_hours) if r.gpus else '-':>8}"
        )
    total_jobs = sum(plan.jobs.values())
    lines.append(
        f"{'total':<25}{total_jobs:>8,}{plan.submissions:>8,}{'':>44}"
        f"{_hours(plan.cpu_hours):>9}{_hours(plan.gpu_hours):>8}"
    )
    walls = [(c, *plan.wall_seconds(c)) for c in WALL_CORES]
    lines += [""] + textwrap.wrap(
        "wall clock of a local run, estimated: "
        + ", ".join(
            f"~{_dur(wall)} with --cores {c} (work / cores {_dur(work)}, longest chain "
            f"{_dur(chain)})"
            for c, wall, work, chain in walls
        )
        + ("; GPU jobs on one GPU" if plan.gpu_hours else "")
        + "; scheduling gaps and Snakemake's own time not included",
        100,
    )
    columns = [
        "jobs: jobs of the rule, as snakemake -n counts them",
        "sbatch: submissions on a SLURM cluster (one per job)",
        "on: where a job runs: gpu / cpu, a cluster node of that kind; local, the submitting host",
        "thr, gpu: threads and GPUs one job asks for",
        "time/job: estimated wall time of one job (pls_vip: every point of a (network, "
        "attribute) in turn)",
        "mem_mb, runtime: what one job asks for, margins included (pls_vip: the largest shard)",
        "CPU-h, GPU-h: threads x time and GPUs x time, over all the rule's jobs",
    ]
    lines += [""] + [line for c in columns for line in textwrap.wrap(c, 100)]
    long = [
        r for r in plan.rules.values() if r.jobs and (r.runtime_min or 0) > PARTITION_LIMIT_H * 60
    ]
    for r in long:
        lines += [""] + textwrap.wrap(
            f"warning: one {r.rule} job asks for {_dur(r.runtime_min * 60)}, more than the "
            f"{PARTITION_LIMIT_H} h many partitions allow: pick a partition with a longer limit, "
            "or let it be killed and rerun the same command"
            + (" (training resumes from its last finished epoch)" if r.rule == "train" else "")
            + ", or make the job smaller (fewer epochs, images or attributes).",
            100,
        )
    lines += ["", "disk"]
    largest = max(plan.shard_bytes, key=plan.shard_bytes.get)
    smallest = min(plan.shard_bytes, key=plan.shard_bytes.get)
    lines += [
        f"  activation shards (temporary): {_gb(plan.set_bytes)} per (network, attribute) set,",
        f"    {plan.dtype}, {plan.rows:,} rows x {plan.units_per_image:,} units; one shard per "
        f"point: {_gb(plan.shard_bytes[largest])} ({largest}) to "
        f"{_gb(plan.shard_bytes[smallest])} ({smallest});",
        f"    {plan.sets:,} sets, {_gb(plan.set_bytes * plan.sets)} written in all, each set "
        f"deleted once its {len(plan.shard_bytes)} points are probed",
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
