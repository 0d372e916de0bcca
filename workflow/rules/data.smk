rule synthesize:
    output:
        world=WORLD,
        celeba=directory("results/synthetic/celeba"),
        vggface2=directory("results/synthetic/vggface2"),
        lfw=directory("results/synthetic/lfw"),
    log:
        "results/logs/synthesize.log",
    benchmark:
        "results/benchmarks/synthesize.tsv"
    priority: job_priority("synthesize")
    conda:
        "../../envs/torch.yaml"
    threads: THREADS["synthesize"]
    resources:
        mem_mb=RESOURCES["synthesize"]["mem_mb"],
        runtime=RESOURCES["synthesize"]["runtime"],
    params:
        cfg=STUDY.section("synthetic"),
    script:
        "../scripts/synthesize.py"


rule splits:
    input:
        world_input,
    output:
        "results/splits/{attribute}.tsv",
    log:
        "results/logs/splits/{attribute}.log",
    conda:
        "../../envs/probe.yaml"
    params:
        celeba=data_root("celeba"),
        probe=SAMPLE,
    script:
        "../scripts/splits.py"
