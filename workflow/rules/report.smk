rule aggregate:
    input:
        expand("results/accuracy/{seed}/{attribute}.tsv", seed=NETWORKS, attribute=ATTRIBUTES),
    output:
        report(
            "results/tables/layer_accuracy.tsv",
            caption="../report/layer_accuracy.rst",
            category="Tables",
        ),
    log:
        "results/logs/aggregate.log",
    conda:
        "../../envs/probe.yaml"
    script:
        "../scripts/aggregate.py"


rule fig3:
    input:
        "results/tables/layer_accuracy.tsv",
    output:
        png=report(
            "results/figures/fig3.png", caption="../report/fig3.rst", category="Figures"
        ),
        pdf="results/figures/fig3.pdf",
    log:
        "results/logs/fig3.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/fig3.py"
