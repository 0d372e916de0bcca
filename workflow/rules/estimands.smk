# Estimands a lab can run on real faces (attribute agreement, the within-person natural
# experiment), on a sample of CelebA people, and in the synthetic world their agreement
# with the counterfactual truth (docs/protocol.md section 14, "Estimands on real faces").
# They run where the counterfactual faces do (synthetic, counterfactual.enabled) or where
# estimands.enabled asks (real data too).
ESTIMANDS = STUDY.section("estimands")
ESTIMANDS_ON = bool(COUNTERFACTUAL_NETWORKS) or ESTIMANDS["enabled"]
ESTIMAND_NETWORKS = PROBED if ESTIMANDS_ON else []


rule estimands:
    input:
        known_network("estimands"),
        model=network_file,
        sources=NETWORK_FILES,
    output:
        table="results/estimands/{network}.tsv",
        draws="results/estimands/{network}_draws.npz",
    log:
        "results/logs/estimands/{network}.log",
    benchmark:
        "results/benchmarks/estimands/{network}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    params:
        estimands=ESTIMANDS,
        attributes=ATTRIBUTES,
        celeba=data_root("celeba"),
        model=ARCH,
        batch_size=STUDY.stream.batch_size,
    script:
        "../scripts/estimands.py"


rule estimands_table:
    input:
        tables=expand("results/estimands/{network}.tsv", network=ESTIMAND_NETWORKS),
        draws=expand("results/estimands/{network}_draws.npz", network=ESTIMAND_NETWORKS),
        truth=expand("results/counterfactual/{network}.tsv", network=COUNTERFACTUAL_NETWORKS),
    output:
        table="results/tables/estimands.tsv",
        agreement="results/tables/estimands_agreement.tsv",
        page="results/estimands.md",
    log:
        "results/logs/estimands_table.log",
    benchmark:
        "results/benchmarks/estimands_table.tsv"
    conda:
        "../../envs/probe.yaml"
    params:
        networks={n: NETS.kind(n) for n in ESTIMAND_NETWORKS},
        synthetic=SYNTHETIC,
    script:
        "../scripts/estimands_table.py"
