# Training activations of one attribute's balanced sample, one shard per probe
# point; temp(): removed once every point's probes are fitted. Validation and
# test images are streamed later, never stored as activations.
rule extract:
    input:
        world_input,
        model=network_file,
        split="results/splits/{attribute}.tsv",
    output:
        temp([shard(p) for p in POINTS]),
    log:
        "results/logs/extract/{seed}/{attribute}.log",
    benchmark:
        "results/benchmarks/extract/{seed}/{attribute}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1  # one core: 1-thread jobs pack the cores better than 2-thread ones
    resources:
        mem_mb=RESOURCES["extract"]["mem_mb"],
        runtime=RESOURCES["extract"]["runtime"],
        gpu=config["probe"]["gpus"],
    params:
        celeba=data_root("celeba"),
        model=ARCH,
        probe=STREAM,
    script:
        "../scripts/extract.py"
