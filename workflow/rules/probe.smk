# Set by common.smk: the interpreter and workflow/bin/pls_vip.py.
envvars:
    "FACECUES_PLS_VIP",


# PLS + VIP per (network, attribute), every probe point's shard in turn: a light job
# (numpy + h5py), run as a plain command that skips Snakemake's script preamble; one
# process for all the points of an extract job's shards, which are made and removed
# together (one point per job spent ~90% of it starting the interpreter).
rule pls_vip:
    input:
        known_network("pls_vip", world=False),
        shards=[shard(p) for p in POINTS],
    output:
        expand("results/probes/{{network}}/{{attribute}}/{point}.h5", point=POINTS),
    log:
        "results/logs/pls_vip/{network}/{attribute}.log",
    priority: job_priority("pls_vip")
    conda:
        "../../envs/probe.yaml"
    resources:
        mem_mb=probe_mem_mb,
        runtime=RESOURCES["pls_vip"]["runtime"],
    params:
        options=pls_vip_options,
        probe=PLS,
    # The command comes from $FACECUES_PLS_VIP (common.smk), not from params: a moved
    # checkout or another interpreter must not make Snakemake redo every pls_vip job.
    shell:
        "$FACECUES_PLS_VIP --shards {input.shards:q} --out {output:q} --log {log:q} {params.options}"


# Validation: stream the validation images once through the network, project
# them with every point's saved probes, QDA per probe (imports scikit-learn once).
rule score_val:
    input:
        known_network("score_val"),
        model=network_file,
        split="results/splits/{attribute}.tsv",
        probes=expand("results/probes/{{network}}/{{attribute}}/{point}.h5", point=POINTS),
        sources=NETWORK_FILES,
    output:
        "results/accuracy/{network}/{attribute}.tsv",
    log:
        "results/logs/score_val/{network}/{attribute}.log",
    benchmark:
        "results/benchmarks/score_val/{network}/{attribute}.tsv"
    priority: job_priority("score_val")
    conda:
        "../../envs/torch.yaml"
    threads: THREADS["score_val"]  # mostly QDA fits, single-threaded
    resources:
        mem_mb=RESOURCES["score_val"]["mem_mb"],
        runtime=RESOURCES["score_val"]["runtime"],
        gpu=GPUS["score_val"],
    params:
        celeba=data_root("celeba"),
        model=ARCH,
        probe=STREAM,
        identity=IDENTITY_TASK,
    script:
        "../scripts/score_val.py"
