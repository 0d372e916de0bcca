# PLS + VIP per (network, probe point, attribute): a light job (numpy + h5py).
rule pls_vip:
    input:
        shard("{point}"),
    output:
        "results/probes/{seed}/{attribute}/{point}.h5",
    params:
        probe=config["probe"],
    priority: 10
    log:
        "results/logs/pls_vip/{seed}/{attribute}/{point}.log",
    conda:
        "../../envs/probe.yaml"
    script:
        "../scripts/pls_vip.py"


# QDA on every probe's features, per (network, attribute): imports scikit-learn once.
rule qda:
    input:
        expand("results/probes/{{seed}}/{{attribute}}/{point}.h5", point=POINTS),
    output:
        "results/accuracy/{seed}/{attribute}.tsv",
    priority: 10
    log:
        "results/logs/qda/{seed}/{attribute}.log",
    conda:
        "../../envs/probe.yaml"
    script:
        "../scripts/qda.py"
