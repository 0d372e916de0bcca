# Selection on validation, then one pass over the CelebA test partition per network.
rule select:
    input:
        expand("results/accuracy/{{seed}}/{attribute}.tsv", attribute=ATTRIBUTES),
    output:
        "results/selection/{seed}.tsv",
    log:
        "results/logs/select/{seed}.log",
    conda:
        "../../envs/probe.yaml"
    script:
        "../scripts/select.py"


rule score_test:
    input:
        world_input,
        model=network_file,
        selection="results/selection/{seed}.tsv",
        probes=expand(
            "results/probes/{{seed}}/{attribute}/{point}.h5", attribute=ATTRIBUTES, point=POINTS
        ),
    output:
        scores="results/test/{seed}.tsv",
        neurons="results/test/{seed}_neurons.h5",
    log:
        "results/logs/score_test/{seed}.log",
    benchmark:
        "results/benchmarks/score_test/{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1  # one core: 1-thread jobs pack the cores better than 2-thread ones
    resources:
        mem_mb=RESOURCES["score_test"]["mem_mb"],
        runtime=RESOURCES["score_test"]["runtime"],
        gpu=config["probe"]["gpus"],
    params:
        celeba=data_root("celeba"),
        model=ARCH,
        probe=STREAM,
    script:
        "../scripts/score_test.py"


# The supervised baseline: each network fine-tuned for all probed attributes at once.
rule finetune:
    input:
        world_input,
        model=network_file,
    output:
        "results/multitask/{seed}.tsv",
    log:
        "results/logs/finetune/{seed}.log",
    benchmark:
        "results/benchmarks/finetune/{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1  # one core: 1-thread jobs pack the cores better than 2-thread ones
    resources:
        mem_mb=RESOURCES["finetune"]["mem_mb"],
        runtime=RESOURCES["finetune"]["runtime"],
        gpu=config["train"]["gpus"],
    params:
        celeba=data_root("celeba"),
        model=ARCH,
        multitask=MULTITASK,
    script:
        "../scripts/finetune.py"
