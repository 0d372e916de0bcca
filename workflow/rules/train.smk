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
