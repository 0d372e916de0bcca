# Used, not only encoded: each network's recognition of counterfactual faces, the same
# photo with one attribute changed, against nuisance controls (docs/protocol.md
# section 14). Synthetic worlds only: real data has no renderer.
COUNTERFACTUAL = STUDY.section("counterfactual")
if COUNTERFACTUAL["enabled"] and not SYNTHETIC:
    raise WorkflowError(
        "counterfactual.enabled: counterfactual faces need the synthetic world's renderer; "
        "a study on real data cannot have them (set counterfactual.enabled: false)"
    )
COUNTERFACTUAL_NETWORKS = PROBED if COUNTERFACTUAL["enabled"] else []


rule counterfactual:
    input:
        known_network("counterfactual"),
        model=network_file,
        world=WORLD,
        sources=NETWORK_FILES,
    output:
        table="results/counterfactual/{network}.tsv",
        depth="results/counterfactual/{network}_depth.tsv",
    log:
        "results/logs/counterfactual/{network}.log",
    benchmark:
        "results/benchmarks/counterfactual/{network}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    params:
        counterfactual=COUNTERFACTUAL,
        attributes=ATTRIBUTES,
        model=ARCH,
        lfw_crop=STUDY.train["lfw_crop"],
        batch_size=STUDY.stream.batch_size,
    script:
        "../scripts/counterfactual.py"
