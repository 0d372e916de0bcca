# Helpers shared by the rules: wildcard values, data locations, inputs.

import os
import shlex
import sys
from pathlib import Path

from facecues.controls import control_names
from facecues.layout import N_POINTS, point_id, units_per_image
from facecues.plan import itemsize, rule_resources, shard_probe_mem_mb, train_rows

POINTS = [point_id(i) for i in range(1, N_POINTS + 1)]
ATTRIBUTES = config["attributes"]
SYNTHETIC = config["data"]["source"] == "synthetic"
CHECKPOINTS = dict(config["model"]["checkpoints"])
if config["model"]["checkpoint"]:
    CHECKPOINTS.setdefault("checkpoint", config["model"]["checkpoint"])
NETWORKS = list(CHECKPOINTS) if CHECKPOINTS else [str(s) for s in config["seeds"]]
# Untrained networks of the same architecture, probed like NETWORKS (accuracy table,
# Fig. 3's control curves, claim d) but never selected, tested or fine-tuned.
CONTROLS = control_names(config["controls"]["random_networks"])
PROBED = NETWORKS + CONTROLS
clash = sorted(set(NETWORKS) & set(CONTROLS))
if clash:
    raise WorkflowError(f"config model.checkpoints: the names {clash} are reserved for controls")
WORLD = "results/synthetic/world.json"

# What each rule's results depend on, passed as its params: a config change
# reruns exactly the rules it concerns (threads, workers and GPUs rerun nothing).
ARCH = {k: config["model"][k] for k in ("base_width", "input_size", "stride_in_1x1")}
TRAIN = {k: v for k, v in config["train"].items() if k not in ("threads", "gpus", "workers")}
SAMPLE = {
    k: config["probe"][k]
    for k in ("train_per_class", "val_per_class", "split_seed", "allow_reduction")
}
PLS = {
    k: config["probe"][k]
    for k in (
        "n_components",
        "scale",
        "top_k",
        "vip_neurons",
        "vip_seed",
        "all_filters",
        "pooled_filters",
    )
}
# The shuffled-label control's seed (None: no control), a part of every pls_vip job.
PLS["shuffle_seed"] = (
    config["controls"]["shuffle_seed"] if config["controls"]["shuffled_labels"] else None
)
STREAM = {k: config["probe"][k] for k in ("dtype", "batch_size")}
MULTITASK = {k: v for k, v in config["multitask"].items() if k != "workers"}
SHARD_ITEMSIZE = itemsize(config)

# Memory (MB) and runtime (minutes) of one job of each heavy rule, sized from the config
# with margins (facecues.plan; `facecues plan` prints them). A cluster profile adds only
# partitions and accounts.
RESOURCES = {
    name: rule_resources(name, config)
    for name in (
        "synthesize",
        "train",
        "control_network",
        "finetune",
        "extract",
        "score_val",
        "score_test",
        "pls_vip",
    )
}


def probe_mem_mb(wildcards, input):
    """Memory of a pls_vip job from its shard's size (facecues.plan.shard_probe_mem_mb).

    Snakemake evaluates this again once the shard exists.
    """
    return shard_probe_mem_mb(input.size_mb, SHARD_ITEMSIZE)


def _say_disk_needs():
    """Tell, before any job runs, how much disk the temporary activation shards take."""
    m, p = config["model"], config["probe"]
    units = units_per_image(m["base_width"], m["input_size"], m["stride_in_1x1"])
    per_set = units * SHARD_ITEMSIZE * train_rows(config)
    print(
        f"facecues: {units:,} probe units per image; the training activations of one "
        f"(network, attribute) take {per_set / 1e9:.2f} GB ({p['dtype']}), deleted once its "
        f"50 points are probed ({len(NETWORKS) * len(ATTRIBUTES)} such sets; peak about one "
        f"set per extract job running at once, plus one)",
        file=sys.stderr,
    )


_say_disk_needs()

FIGURES = config["figures"]
for key in ("fig4_attribute", "fig5_attribute"):
    if FIGURES[key] not in ATTRIBUTES:
        raise WorkflowError(
            f"config figures.{key} = {FIGURES[key]} is not among the probed attributes "
            f"{ATTRIBUTES}"
        )
_fig1 = [a for a in FIGURES["fig1_attributes"] if a in ATTRIBUTES] or ATTRIBUTES[:3]
_fig6 = [a for a in FIGURES["fig6_attributes"] if a in ATTRIBUTES]
FACE_FIGURES = {
    "fig1": _fig1,
    "fig6": _fig6 or [a for a in ATTRIBUTES if a not in _fig1] or _fig1,
}


wildcard_constraints:
    seed=r"[A-Za-z0-9_.-]+",
    attribute=r"[A-Za-z0-9_]+",
    point=r"L\d\d",


from facecues.errors import FacecuesError
from facecues.splits import check_config

if not SYNTHETIC:
    from facecues.data.roots import check_data_roots

    try:  # at start-up, before any job: every unset or wrong root in one message
        check_data_roots(
            config["data"], ["celeba"] if CHECKPOINTS else ["celeba", "vggface2", "lfw"]
        )
    except FacecuesError as e:
        raise WorkflowError(str(e))

try:  # what the schema cannot say (n_components vs training rows, attribute names)
    check_config(config)
except FacecuesError as e:
    raise WorkflowError(str(e))


def data_root(name):
    """Root folder of dataset `name` (celeba, vggface2, lfw)."""
    if SYNTHETIC:
        return f"results/synthetic/{name}"
    return config["data"][f"{name}_root"]


def world_input(wildcards):
    """The synthetic world, when the study runs on it (nothing for real data)."""
    return [WORLD] if SYNTHETIC else []


def network_file(wildcards):
    """The checkpoint of network `seed`: a control, a given one, or the one trained here."""
    if wildcards.seed in CONTROLS:
        return f"results/models/{wildcards.seed}/model.pt"
    if CHECKPOINTS:
        return CHECKPOINTS[wildcards.seed]
    return f"results/models/{wildcards.seed}/model.pt"


def shard(point):
    return f"results/activations/{{seed}}/{{attribute}}/{point}.h5"


# pls_vip runs as a command, with the interpreter Snakemake gives a script: the env's
# `python` under --use-conda (or modules, containers), else Snakemake's own.
PYTHON = "python" if workflow.deployment_settings.deployment_method else shlex.quote(sys.executable)
PLS_VIP_SCRIPT = str(Path(workflow.current_basedir).parent / "bin" / "pls_vip.py")
# Read by rule pls_vip's shell command; every job (local, cluster, module) parses this file.
os.environ["FACECUES_PLS_VIP"] = f"{PYTHON} {shlex.quote(PLS_VIP_SCRIPT)}"


def pls_vip_options(wildcards):
    """The command-line options of workflow/scripts/pls_vip.py for this job."""
    p = PLS
    opts = [
        f"--network {wildcards.seed}",
        f"--attribute {wildcards.attribute}",
        f"--n-components {p['n_components']}",
        f"--scale {str(p['scale']).lower()}",
        f"--top-k {p['top_k']}",
        f"--vip-neurons {p['vip_neurons']}",
        f"--vip-seed {p['vip_seed']}",
    ]
    if p["shuffle_seed"] is not None:
        opts.append(f"--shuffle-seed {p['shuffle_seed']}")
    opts += ["--all-filters"] * p["all_filters"] + ["--pooled-filters"] * p["pooled_filters"]
    return " ".join(opts)


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
