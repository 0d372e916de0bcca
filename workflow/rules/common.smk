# Helpers shared by the rules: wildcard values, data locations, inputs.

import os
import shlex
import sys
from dataclasses import asdict
from pathlib import Path

import snakemake
import yaml

import facecues
from facecues.errors import FacecuesError
from facecues.nets.layout import POINT_ID
from facecues.nets.names import NAME_PATTERN
from facecues.nets.spec import source_hashes
from facecues.plan.costs import disk_note, itemsize, rule_resources, shard_probe_mem_mb
from facecues.plan.rules import HEAVY_RULES, LOCAL_RULES, rule_gpus, rule_threads
from facecues.plan.rules import job_priority as priority_of
from facecues.results.provenance import git_state

# Everything below reads STUDY (facecues.study.study.Study, built once in the Snakefile).
if STUDY.manifest.method == "hooks":
    print(
        f"model.architecture: FX tracing failed "
        f"({STUDY.manifest.trace_error.splitlines()[0]}); its points were found by forward "
        "hooks, which do not see functional nonlinearities; name points by hand with "
        "model.architecture.points",
        file=sys.stderr,
    )
# The network's probe points (the manifest's), and every point probed: the input L00 too
# (a control). The scripts that draw depth axes and judge depth ranges read the points
# from results/tables/points.tsv (rule points).
NETWORK_POINTS = [p.id for p in STUDY.network_points]
POINTS = STUDY.point_ids
ATTRIBUTES = STUDY.attributes
SYNTHETIC = STUDY.synthetic
# The networks (facecues.nets.names): trained here (named by seed) or given as
# checkpoints, and the untrained controls, probed like them (accuracy table, Fig. 3's
# control curves, claim d) but never selected, tested or fine-tuned.
NETS = STUDY.networks
NETWORKS = list(NETS.studied)
CONTROLS = list(NETS.controls)
PROBED = list(NETS.probed)
WORLD = "results/synthetic/world.json"
# Erasure (docs/protocol.md section 13): at these points, in the studied networks, where
# LFW pairs are at hand (synthetic, or data.lfw_root given).
ERASURE_POINTS = list(STUDY.erasure.points)
ERASED = list(STUDY.erasure.networks)

# What each rule's results depend on, passed as its params: a config change
# reruns exactly the rules it concerns (threads, workers and GPUs rerun nothing).
ARCH = asdict(STUDY.model)
if not STUDY.built_in:
    ARCH["architecture"] = dict(STUDY.architecture)
# The network's source files (a `file` entry's module and the modules beside it that it
# imports; facecues.nets.spec.source_files), {path: sha256}: inputs of every job that
# builds or loads the network (`sources`), so that an edit reruns them and what follows:
# as an input newer than the outputs whose checksum differs from the one Snakemake
# recorded (a touch alone reruns nothing), and through their sha256 in params
# (`model.sources`: an edited file put back with an older mtime reruns too, under the
# default rerun triggers); also hashed in provenance.json and in the manifest's name.
NETWORK_SOURCES = source_hashes(STUDY.architecture)
NETWORK_FILES = list(NETWORK_SOURCES)
if NETWORK_SOURCES:
    ARCH["sources"] = NETWORK_SOURCES
TRAIN = {k: v for k, v in STUDY.train.items() if k not in ("threads", "gpus", "workers")}
SAMPLE = asdict(STUDY.probe_sample)
# The pls_vip step's options (facecues.probes.options: each declared once there).
PROBE_OPTIONS = STUDY.probe
PLS = PROBE_OPTIONS.params()
# The identity control task (docs/protocol.md section 11): whether it is on and the seed
# of its labels, a part of the extract, pls_vip and score_val jobs.
IDENTITY_TASK = {k: getattr(STUDY.controls, k) for k in ("identity_task", "identity_seed")}
STREAM = {k: getattr(STUDY.stream, k) for k in ("dtype", "batch_size")}
MULTITASK = {k: v for k, v in STUDY.multitask.items() if k != "workers"}
# The untrained controls' initialisation and BatchNorm recalibration (rule control_network).
CONTROL_INIT = {
    k: v for k, v in STUDY.config["controls"].items() if k in ("init_seed", "recalibrate_bn")
}  # in the config's order, as before (Snakemake compares params by their text)
SHARD_ITEMSIZE = itemsize(STUDY)

# Threads, GPUs, memory (MB) and runtime (minutes) of one job of each rule, sized from
# the config (facecues.plan; `facecues plan` prints them). A cluster profile adds only
# partitions and accounts.
THREADS = {rule: rule_threads(rule, STUDY) for rule in HEAVY_RULES}
GPUS = {rule: rule_gpus(rule, STUDY) for rule in HEAVY_RULES}
RESOURCES = {rule: rule_resources(rule, STUDY) for rule in (*HEAVY_RULES, "pls_vip")}


def probe_mem_mb(wildcards, input):
    """Memory of a pls_vip job from its largest shard (facecues.plan.costs.shard_probe_mem_mb):
    it holds one point's shard at a time.

    Snakemake evaluates this again once the shards exist.
    """
    return shard_probe_mem_mb(max(input.size_files_mb, default=0), SHARD_ITEMSIZE)


# Before any job runs: how much disk the temporary activation shards take.
print(disk_note(STUDY), file=sys.stderr)

FIGURES = STUDY.figures
_fig1 = [a for a in FIGURES.fig1_attributes if a in ATTRIBUTES] or ATTRIBUTES[:3]
_fig6 = [a for a in FIGURES.fig6_attributes if a in ATTRIBUTES]
FACE_FIGURES = {
    "fig1": _fig1,
    "fig6": _fig6 or [a for a in ATTRIBUTES if a not in _fig1] or _fig1,
}


wildcard_constraints:
    network=NAME_PATTERN,
    attribute=r"[A-Za-z0-9_]+",
    point=POINT_ID,  # L00 ... L99, L100 ... (facecues.nets.layout)


if not SYNTHETIC:
    from facecues.data.roots import check_real_data

    try:  # at start-up, before any job: every unset or wrong root in one message
        needed = ["celeba"] if NETS.checkpoints else ["celeba", "vggface2", "lfw"]
        check_real_data(STUDY.config["data"], ATTRIBUTES, needed)
    except FacecuesError as e:
        raise WorkflowError(str(e))

if NETS.checkpoints and workflow.is_main_process:
    # torch, only for given checkpoints: each loaded into the network, as its jobs will,
    # before any job (not again in each cluster job, which loads its own)
    from facecues.nets.checkpoint import check_checkpoints

    try:
        check_checkpoints(NETS.checkpoints, ARCH)
    except FacecuesError as e:
        raise WorkflowError(str(e))


def job_priority(rule):
    """The `priority:` of `rule`'s jobs (facecues.plan.rules.job_priority): training and
    what feeds it first, the studied networks' probing next, the controls' chain last."""
    return lambda wildcards: priority_of(rule, wildcards.get("network"))


def data_root(name):
    """Root folder of dataset `name` (celeba, vggface2, lfw)."""
    return STUDY.data_root(name)


def world_input(wildcards):
    """The synthetic world, when the study runs on it (nothing for real data)."""
    return [WORLD] if SYNTHETIC else []


def known_network(rule, kinds=("trained", "checkpoint", "control"), world=True):
    """An input function of `rule` (the synthetic world, if any and `world`) that first
    checks that the `network` wildcard names a network of the study of one of `kinds`: a
    request for another one (a target file of an unknown network) stops the run before
    any job, naming the value and the rule."""

    def inputs(wildcards):
        kind = NETS.kind(wildcards.network)
        if kind not in kinds:
            what = "is not a network of this study" if kind is None else f"is a {kind} network"
            expected = ", ".join(n for n in PROBED if NETS.kind(n) in kinds)
            raise WorkflowError(
                f"network '{wildcards.network}' (wildcard of rule {rule}) {what}; "
                f"expected one of {expected} ({NETS.describe()})"
            )
        return world_input(wildcards) if world else []

    return inputs


def network_file(wildcards):
    """The checkpoint of network `network`: a given one, or one made here."""
    return checkpoint_path(wildcards.network)


def env_dependencies(kind):
    """The `dependencies` of envs/<kind>.yaml (`name=version[=build]`)."""
    path = Path(workflow.current_basedir).parent.parent / "envs" / f"{kind}.yaml"
    return yaml.safe_load(path.read_text())["dependencies"]


def checkpoint_path(name):
    """The checkpoint file of network `name` (the rules' `network_file` for a name)."""
    return NETS.checkpoints.get(name, f"results/models/{name}/model.pt")


# What produced the study (facecues.results.provenance): the kinds of rule, each with its
# env, and the packages each env file pins; the commit and versions, read at start-up.
ENV_KINDS = ("torch", "probe", "report")
ENV_PACKAGES = {
    kind: [
        {"pytorch": "torch"}.get(name, name)
        for name in (d.split("=")[0] for d in env_dependencies(kind))
        if name != "python"
    ]
    for kind in ENV_KINDS
}
WORKFLOW_STATE = {
    **git_state(Path(workflow.current_basedir).parent.parent),
    "facecues": facecues.__version__,
    "snakemake": snakemake.__version__,
}
if NETWORK_SOURCES:
    WORKFLOW_STATE["network_files"] = NETWORK_SOURCES


def shard(point):
    return f"results/activations/{{network}}/{{attribute}}/{point}.h5"


# pls_vip runs as a command, with the interpreter Snakemake gives a script: the env's
# `python` under --use-conda (or modules, containers), else Snakemake's own.
PYTHON = "python" if workflow.deployment_settings.deployment_method else shlex.quote(sys.executable)
PLS_VIP_SCRIPT = str(Path(workflow.current_basedir).parent / "bin" / "pls_vip.py")
# Read by rule pls_vip's shell command; every job (local, cluster, module) parses this file.
os.environ["FACECUES_PLS_VIP"] = f"{PYTHON} {shlex.quote(PLS_VIP_SCRIPT)}"


def pls_vip_options(wildcards):
    """The command-line options of workflow/bin/pls_vip.py for this job."""
    opts = [f"--network {wildcards.network}", f"--attribute {wildcards.attribute}"]
    return " ".join(opts + PROBE_OPTIONS.to_argv())


def drop_local_rate_limiter(workflow):
    """Run local jobs without Snakemake's job rate limiter (a cluster run keeps it).

    Snakemake (9.27) ends every scheduling pass that leaves ready jobs waiting by
    arming a timer of the limit's timespan (--max-jobs-per-timespan, 100/1s),
    whose firing runs another pass, which arms another timer: each finished job
    adds such a chain, so the passes grow with the run (each also re-evaluates
    the ready jobs' resources). With 1,700 jobs its own process took 112-150 CPU
    s of a 600 s run on 2 cores, and it waits for its last timer before it
    exits. A local run needs no timer: a pass runs whenever a job ends (so it
    ignores --max-jobs-per-timespan). Called from `onstart` (the scheduler
    exists then; not when the workflow is a module, nor with --no-hooks);
    Snakemake's internals, hence the guards.
    """
    scheduler = getattr(workflow, "scheduler", None)
    if workflow.local_exec and getattr(scheduler, "job_rate_limiter", None) is not None:
        scheduler.job_rate_limiter = None
