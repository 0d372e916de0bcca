rule train:
    input:
        world_input,
    output:
        model="results/models/{seed}/model.pt",
        history="results/models/{seed}/train_log.tsv",
    log:
        "results/logs/train/{seed}.log",
    benchmark:
        "results/benchmarks/train/{seed}.tsv"
    wildcard_constraints:
        seed=r"\d+",
    conda:
        "../../envs/torch.yaml"
    threads: config["train"]["threads"]
    resources:
        mem_mb=RESOURCES["train"]["mem_mb"],
        runtime=RESOURCES["train"]["runtime"],
        gpu=config["train"]["gpus"],
    params:
        vggface2=data_root("vggface2"),
        lfw=data_root("lfw"),
        model=ARCH,
        train=TRAIN,
    script:
        "../scripts/train.py"


# An untrained network of the same architecture (a control: facecues.controls).
rule control_network:
    input:
        world_input,
    output:
        "results/models/{seed}/model.pt",
    log:
        "results/logs/control_network/{seed}.log",
    wildcard_constraints:
        seed=r"random\d+",
    conda:
        "../../envs/torch.yaml"
    threads: 1  # one core: 1-thread jobs pack the cores better than 2-thread ones
    resources:
        mem_mb=RESOURCES["control_network"]["mem_mb"],
        runtime=RESOURCES["control_network"]["runtime"],
    params:
        celeba=data_root("celeba"),
        model=ARCH,
        controls={k: v for k, v in config["controls"].items() if k.startswith(("init", "recal"))},
    script:
        "../scripts/control_network.py"
