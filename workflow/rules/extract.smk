# Training activations of one attribute's balanced sample, one shard per probe
# point; temp(): removed once every point's probes are fitted. Validation and
# test images are streamed later, never stored as activations.
rule extract:
    input:
        known_network("extract"),
        model=network_file,
        split="results/splits/{attribute}.tsv",
        sources=NETWORK_FILES,
    output:
        temp([shard(p) for p in POINTS]),
    log:
        "results/logs/extract/{network}/{attribute}.log",
    benchmark:
        "results/benchmarks/extract/{network}/{attribute}.tsv"
    priority: job_priority("extract")
    conda:
        "../../envs/torch.yaml"
    threads: THREADS["extract"]
    resources:
        mem_mb=RESOURCES["extract"]["mem_mb"],
        runtime=RESOURCES["extract"]["runtime"],
        gpu=GPUS["extract"],
    params:
        celeba=data_root("celeba"),
        model=ARCH,
        probe=STREAM,
        identity=IDENTITY_TASK,
    script:
        "../scripts/extract.py"
