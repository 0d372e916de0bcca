rule train:
    input:
        known_network("train", kinds=["trained"]),
        sources=NETWORK_FILES,
    output:
        model="results/models/{network}/model.pt",
        history="results/models/{network}/train_log.tsv",
    log:
        "results/logs/train/{network}.log",
    benchmark:
        "results/benchmarks/train/{network}.tsv"
    wildcard_constraints:
        network=r"\d+",
    priority: job_priority("train")
    conda:
        "../../envs/torch.yaml"
    threads: THREADS["train"]
    resources:
        mem_mb=RESOURCES["train"]["mem_mb"],
        runtime=RESOURCES["train"]["runtime"],
        gpu=GPUS["train"],
    params:
        vggface2=data_root("vggface2"),
        lfw=data_root("lfw"),
        model=ARCH,
        train=TRAIN,
    script:
        "../scripts/train.py"


# An untrained network of the same architecture (a control: facecues.nets.controls).
rule control_network:
    input:
        known_network("control_network", kinds=["control"]),
        sources=NETWORK_FILES,
    output:
        "results/models/{network}/model.pt",
    log:
        "results/logs/control_network/{network}.log",
    wildcard_constraints:
        network=r"random\d+",
    priority: job_priority("control_network")
    conda:
        "../../envs/torch.yaml"
    threads: THREADS["control_network"]
    resources:
        mem_mb=RESOURCES["control_network"]["mem_mb"],
        runtime=RESOURCES["control_network"]["runtime"],
    params:
        celeba=data_root("celeba"),
        model=ARCH,
        controls=CONTROL_INIT,
    script:
        "../scripts/control_network.py"
