# Selection on validation, then one pass over the CelebA test partition per network.
rule select:
    input:
        known_network("select", kinds=["trained", "checkpoint"], world=False),
        accuracy=expand("results/accuracy/{{network}}/{attribute}.tsv", attribute=ATTRIBUTES),
    output:
        "results/selection/{network}.tsv",
    log:
        "results/logs/select/{network}.log",
    priority: job_priority("select")
    conda:
        "../../envs/probe.yaml"
    script:
        "../scripts/select_units.py"


rule score_test:
    input:
        known_network("score_test", kinds=["trained", "checkpoint"]),
        model=network_file,
        selection="results/selection/{network}.tsv",
        probes=expand(
            "results/probes/{{network}}/{attribute}/{point}.h5",
            attribute=ATTRIBUTES,
            point=NETWORK_POINTS,
        ),
        sources=NETWORK_FILES,
    output:
        scores="results/test/{network}.tsv",
        neurons="results/test/{network}_neurons.h5",
    log:
        "results/logs/score_test/{network}.log",
    benchmark:
        "results/benchmarks/score_test/{network}.tsv"
    priority: job_priority("score_test")
    conda:
        "../../envs/torch.yaml"
    threads: THREADS["score_test"]
    resources:
        mem_mb=RESOURCES["score_test"]["mem_mb"],
        runtime=RESOURCES["score_test"]["runtime"],
        gpu=GPUS["score_test"],
    params:
        celeba=data_root("celeba"),
        model=ARCH,
        probe=STREAM,
    script:
        "../scripts/score_test.py"


# The supervised baseline: each network fine-tuned for all probed attributes at once.
rule finetune:
    input:
        known_network("finetune", kinds=["trained", "checkpoint"]),
        model=network_file,
        sources=NETWORK_FILES,
    output:
        "results/multitask/{network}.tsv",
    log:
        "results/logs/finetune/{network}.log",
    benchmark:
        "results/benchmarks/finetune/{network}.tsv"
    priority: job_priority("finetune")
    conda:
        "../../envs/torch.yaml"
    threads: THREADS["finetune"]
    resources:
        mem_mb=RESOURCES["finetune"]["mem_mb"],
        runtime=RESOURCES["finetune"]["runtime"],
        gpu=GPUS["finetune"],
    params:
        celeba=data_root("celeba"),
        model=ARCH,
        multitask=MULTITASK,
        attributes=ATTRIBUTES,
    script:
        "../scripts/finetune.py"
