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
# what the faces depend on (the bootstrap's seed and draws, the FMR and depth do not)
COUNTERFACTUAL_FACES = {k: COUNTERFACTUAL[k] for k in ("people", "images_per_person")}


# The faces, rendered once for every network: the networks' inputs as 8-bit arrays.
rule counterfactual_faces:
    input:
        world=WORLD,
    output:
        temp("results/counterfactual/faces.npz"),
    log:
        "results/logs/counterfactual/faces.log",
    benchmark:
        "results/benchmarks/counterfactual/faces.tsv"
    conda:
        "../../envs/torch.yaml"
    params:
        counterfactual=COUNTERFACTUAL_FACES,
        attributes=ATTRIBUTES,
        input_size=STUDY.model.input_size,
        lfw_crop=STUDY.train["lfw_crop"],
    script:
        "../scripts/counterfactual_faces.py"


rule counterfactual:
    input:
        known_network("counterfactual"),
        model=network_file,
        faces="results/counterfactual/faces.npz",
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
        model=ARCH,
        batch_size=STUDY.stream.batch_size,
    script:
        "../scripts/counterfactual.py"
