# PLS + VIP per (network, probe point, attribute): a light job (numpy + h5py).
rule pls_vip:
    input:
        shard("{point}"),
    output:
        "results/probes/{seed}/{attribute}/{point}.h5",
    params:
        probe=PLS,
    resources:
        mem_mb=probe_mem_mb,
    priority: 10
    log:
        "results/logs/pls_vip/{seed}/{attribute}/{point}.log",
    conda:
        "../../envs/probe.yaml"
    script:
        "../scripts/pls_vip.py"


# Validation: stream the validation images once through the network, project
# them with every point's saved probes, QDA per probe (imports scikit-learn once).
rule score_val:
    input:
        world_input,
        model=network_file,
        split="results/splits/{attribute}.tsv",
        probes=expand("results/probes/{{seed}}/{{attribute}}/{point}.h5", point=POINTS),
    output:
        "results/accuracy/{seed}/{attribute}.tsv",
    params:
        celeba=data_root("celeba"),
        model=ARCH,
        probe=STREAM,
    threads: 1  # mostly QDA fits, single-threaded
    resources:
        mem_mb=4000,
        gpu=config["probe"]["gpus"],
    priority: 10
    log:
        "results/logs/score_val/{seed}/{attribute}.log",
    benchmark:
        "results/benchmarks/score_val/{seed}/{attribute}.tsv"
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/score_val.py"
