rule synthesize:
    output:
        world=WORLD,
        celeba=directory("results/synthetic/celeba"),
        vggface2=directory("results/synthetic/vggface2"),
        lfw=directory("results/synthetic/lfw"),
    params:
        cfg=config["synthetic"],
    threads: config["synthetic"].get("workers", 1)
    log:
        "results/logs/synthesize.log",
    benchmark:
        "results/benchmarks/synthesize.tsv"
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/synthesize.py"


rule splits:
    input:
        world_input,
    output:
        "results/splits/{attribute}.tsv",
    params:
        celeba=data_root("celeba"),
        probe=SAMPLE,
    log:
        "results/logs/splits/{attribute}.log",
    conda:
        "../../envs/probe.yaml"
    script:
        "../scripts/splits.py"
