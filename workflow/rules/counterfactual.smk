# Used, not only encoded: each network's recognition of counterfactual faces, the same
# photo with one attribute changed, against nuisance controls (docs/protocol.md
# section 14). Synthetic worlds only: real data has no renderer.
# Off on real data (facecues.study.config: an error where the user asks for them there).
COUNTERFACTUAL = STUDY.section("counterfactual")
COUNTERFACTUAL_NETWORKS = PROBED if COUNTERFACTUAL["enabled"] else []
# what the faces depend on (the bootstrap's seed and draws, the FMR and depth do not)
COUNTERFACTUAL_FACES = {k: COUNTERFACTUAL[k] for k in ("people", "images_per_person")}
# what rule all asks for: each network's tables, the study's over networks, the figures
# (over depth only where depth is measured)
COUNTERFACTUAL_TARGETS = (
    expand("results/counterfactual/{network}.tsv", network=COUNTERFACTUAL_NETWORKS)
    + ["results/tables/counterfactual.tsv", "results/tables/counterfactual_depth.tsv"]
    + expand(
        "results/figures/counterfactual_{figure}.{ext}",
        figure=["fnmr", "depth"] if COUNTERFACTUAL["depth"] else ["fnmr"],
        ext=["png", "pdf"],
    )
    if COUNTERFACTUAL["enabled"]
    else []
)


# The faces, rendered once for every network: the networks' inputs as 8-bit arrays; a few
# of them kept for the atlas (per variant the original and the changed face of 4 people).
rule counterfactual_faces:
    input:
        world=WORLD,
    output:
        faces=temp("results/counterfactual/faces.npz"),
        examples=directory("results/counterfactual/examples"),
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


# Over networks: per variant the mean rise over the trained networks with its interval,
# the untrained ones' beside; per probe point the mean sensitivity (facecues.results.counterfactual).
rule counterfactual_table:
    input:
        world=WORLD,
        tables=expand("results/counterfactual/{network}.tsv", network=COUNTERFACTUAL_NETWORKS),
        depth=expand("results/counterfactual/{network}_depth.tsv", network=COUNTERFACTUAL_NETWORKS),
    output:
        table="results/tables/counterfactual.tsv",
        depth="results/tables/counterfactual_depth.tsv",
    log:
        "results/logs/counterfactual_table.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/counterfactual_table.py"


rule fig_counterfactual_fnmr:
    input:
        world=WORLD,
        tables=expand("results/counterfactual/{network}.tsv", network=COUNTERFACTUAL_NETWORKS),
    output:
        png=report(
            "results/figures/counterfactual_fnmr.png",
            caption="../report/counterfactual_fnmr.rst",
            category="Figures",
        ),
        pdf="results/figures/counterfactual_fnmr.pdf",
    log:
        "results/logs/fig_counterfactual_fnmr.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/counterfactual_figures.py"


rule fig_counterfactual_depth:
    input:
        depth="results/tables/counterfactual_depth.tsv",
        points="results/tables/points.tsv",
    output:
        png=report(
            "results/figures/counterfactual_depth.png",
            caption="../report/counterfactual_depth.rst",
            category="Figures",
        ),
        pdf="results/figures/counterfactual_depth.pdf",
    log:
        "results/logs/fig_counterfactual_depth.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/counterfactual_figures.py"
