"""The workflow's rules as the Snakefile and ``facecues plan`` both use them.

Names in DAG order, which run on the submitting host of a cluster
(``localrules``), the threads each declares and which take a GPU. The
Snakefile reads ``LOCAL_RULES`` and the rules their ``threads:`` from here,
so the plan counts what the workflow does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from facecues.nets.names import is_control

if TYPE_CHECKING:
    from facecues.study.study import Study

RULES = (
    "synthesize", "splits", "train", "control_network", "finetune", "extract", "pls_vip",
    "score_val", "select", "score_test", "environment_torch", "environment_probe",
    "environment_report", "provenance", "aggregate", "accuracy_view", "points", "table1", "fig3",
    "fig4", "fig5", "average_faces_fig1", "average_faces_fig6", "erasure", "erasure_table",
    "fig_erasure", "counterfactual_faces", "counterfactual", "counterfactual_table",
    "fig_counterfactual_fnmr", "fig_counterfactual_depth", "estimands", "estimands_table",
    "summary", "atlas", "all",
)  # fmt: skip
#: Seconds of work each: on a cluster they run on the submitting host (``localrules``;
#: environment_torch runs where the probing jobs run, to see their GPUs).
LOCAL_RULES = (
    "all", "splits", "select", "environment_probe", "environment_report", "provenance",
    "aggregate", "accuracy_view", "points", "table1", "fig3", "fig4", "fig5",
    "average_faces_fig1", "average_faces_fig6", "erasure_table", "fig_erasure",
    "counterfactual_table", "fig_counterfactual_fnmr", "fig_counterfactual_depth",
    "estimands_table", "summary", "atlas",
)  # fmt: skip
#: The rules whose jobs are sized from the config (``mem_mb``, ``runtime``).
HEAVY_RULES = (
    "train", "control_network", "finetune", "extract", "score_val", "score_test", "erasure",
    "synthesize",
)  # fmt: skip
# Threads the rules declare; train's and synthesize's come from the config. One each: on
# a CPU a 1-thread conv job does 1.4x the work per core-second of a 2-thread one
# (benchmarks/README.md, "Training on the CPU"); on a GPU the thread count matters little.
RULE_THREADS = {
    "control_network": 1, "finetune": 1, "extract": 1, "score_val": 1, "score_test": 1,
    "erasure": 1,
}  # fmt: skip
TRAIN_GPU_RULES = ("train", "finetune")  # resources: gpu = train.gpus
# resources: gpu = probe.gpus
PROBE_GPU_RULES = ("extract", "score_val", "score_test", "erasure", "environment_torch")


def rule_threads(rule: str, study: Study) -> int:
    """The ``threads:`` a rule declares (1 when it declares none)."""
    if rule == "train":
        return int(study.train.get("threads", 1))
    if rule == "synthesize":
        return study.world.workers or 1
    return RULE_THREADS.get(rule, 1)


def rule_gpus(rule: str, study: Study) -> int:
    """The GPUs one job of ``rule`` declares (``resources: gpu``)."""
    if rule in TRAIN_GPU_RULES:
        return int(study.train.get("gpus", 0))
    if rule in PROBE_GPU_RULES:
        return int(study.stream.gpus)
    return 0


#: Job priorities (Snakemake's ``priority:``, higher first among ready jobs): the critical
#: path first. Every study network's chain waits on its training, the longest job of the
#: study, so ``train`` (and ``synthesize``, which feeds it) outrank everything; then the
#: studied networks' probing, pls_vip and score_val above extract so that a set's shards
#: are probed and deleted before the next set is written; the untrained controls' chain
#: last: it only feeds the tables, and runs on cores the critical path leaves idle.
PRIORITIES = {
    "synthesize": 100,
    "train": 100,
    "pls_vip": 50,
    "score_val": 50,
    "extract": 40,
    "finetune": 40,
    "select": 40,
    "score_test": 40,
}
#: The control networks' jobs (control_network, and extract, pls_vip, score_val of a
#: ``random<i>`` network): below every studied network's, still ordered among themselves.
CONTROL_PRIORITIES = {"pls_vip": 10, "score_val": 10, "extract": 1, "control_network": 1}


def job_priority(rule: str, network: str | None = None) -> int:
    """The priority of a job of ``rule`` on ``network`` (``PRIORITIES``; a control
    network's jobs ``CONTROL_PRIORITIES``; 0 for the report's rules)."""
    if network is not None and is_control(network):
        return CONTROL_PRIORITIES.get(rule, 0)
    return PRIORITIES.get(rule, 0)
