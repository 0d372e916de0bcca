# Encoded or used: each attribute erased at the erasure points of each studied network,
# and what LFW verification loses (docs/protocol.md section 13).
rule erasure:
    input:
        known_network("erasure", kinds=["trained", "checkpoint"]),
        model=network_file,
        split="results/splits/{attribute}.tsv",
        sources=NETWORK_FILES,
    output:
        table="results/erasure/{network}/{attribute}.tsv",
        downstream="results/erasure/{network}/{attribute}_downstream.tsv",
    log:
        "results/logs/erasure/{network}/{attribute}.log",
    benchmark:
        "results/benchmarks/erasure/{network}/{attribute}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: THREADS["erasure"]
    resources:
        mem_mb=RESOURCES["erasure"]["mem_mb"],
        runtime=RESOURCES["erasure"]["runtime"],
        gpu=GPUS["erasure"],
    params:
        celeba=data_root("celeba"),
        lfw=data_root("lfw"),
        lfw_crop=STUDY.train["lfw_crop"],
        model=ARCH,
        points=ERASURE_POINTS,
        erasure={k: getattr(STUDY.erasure, k) for k in ("seed", "fit_images", "method")},
        n_components=STUDY.probe.n_components,
        batch_size=STUDY.stream.batch_size,
    script:
        "../scripts/erasure.py"


rule erasure_table:
    input:
        tables=expand(
            "results/erasure/{network}/{attribute}.tsv",
            network=ERASED,
            attribute=ATTRIBUTES,
        ),
        downstream=expand(
            "results/erasure/{network}/{attribute}_downstream.tsv",
            network=ERASED,
            attribute=ATTRIBUTES,
        ),
    output:
        table="results/tables/erasure.tsv",
        downstream="results/tables/erasure_downstream.tsv",
    log:
        "results/logs/erasure_table.log",
    conda:
        "../../envs/probe.yaml"
    script:
        "../scripts/erasure_table.py"


rule fig_erasure:
    input:
        "results/tables/erasure.tsv",
    output:
        png=report(
            "results/figures/erasure.png", caption="../report/erasure.rst", category="Figures"
        ),
        pdf="results/figures/erasure.pdf",
    log:
        "results/logs/fig_erasure.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/fig_erasure.py"
