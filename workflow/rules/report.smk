# What produced the study: per kind of rule, what one of its jobs sees (its env's packages,
# the GPUs of the torch rules), then the commit, config and input hashes.
for _kind in ENV_KINDS:

    rule:
        name:
            f"environment_{_kind}"
        output:
            f"results/provenance/{_kind}.json",
        log:
            f"results/logs/environment_{_kind}.log",
        conda:
            f"../../envs/{_kind}.yaml"
        resources:
            gpu=rule_gpus(f"environment_{_kind}", STUDY),
        params:
            packages=ENV_PACKAGES[_kind],
        script:
            "../scripts/environment.py"


rule provenance:
    input:
        envs=expand("results/provenance/{kind}.json", kind=ENV_KINDS),
        models=[checkpoint_path(n) for n in PROBED],
        splits=expand("results/splits/{attribute}.tsv", attribute=ATTRIBUTES),
    output:
        "results/provenance.json",
    log:
        "results/logs/provenance.log",
    conda:
        "../../envs/report.yaml"
    params:
        kinds=ENV_KINDS,
        workflow=WORKFLOW_STATE,
        config=config,
    script:
        "../scripts/provenance.py"


rule aggregate:
    input:
        expand("results/accuracy/{network}/{attribute}.tsv", network=PROBED, attribute=ATTRIBUTES),
    output:
        "results/tables/layer_accuracy.tsv",
    log:
        "results/logs/aggregate.log",
    conda:
        "../../envs/probe.yaml"
    script:
        "../scripts/aggregate.py"


# A compact view of the accuracy table for the report (the table itself stays a file).
rule accuracy_view:
    input:
        "results/tables/layer_accuracy.tsv",
    output:
        report(
            "results/tables/layer_accuracy.html",
            caption="../report/layer_accuracy.rst",
            category="Tables",
        ),
    log:
        "results/logs/accuracy_view.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/accuracy_view.py"


# The network's probe points, a table the figures and the summary read their depth
# landmarks from (facecues.results.tables.write_points), and a reader's key to L23.
rule points:
    output:
        "results/tables/points.tsv",
    log:
        "results/logs/points.log",
    conda:
        "../../envs/report.yaml"
    params:
        rows=STUDY.point_rows,
    script:
        "../scripts/points.py"


rule fig3:
    input:
        "results/tables/layer_accuracy.tsv",
        points="results/tables/points.tsv",
    output:
        png=report("results/figures/fig3.png", caption="../report/fig3.rst", category="Figures"),
        pdf="results/figures/fig3.pdf",
    log:
        "results/logs/fig3.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/fig3.py"


rule table1:
    input:
        tests=expand("results/test/{network}.tsv", network=NETWORKS),
        multitask=expand("results/multitask/{network}.tsv", network=NETWORKS),
        provenance="results/provenance.json",
    output:
        scores="results/tables/test_scores.tsv",
        md="results/tables/table1.md",
        csv="results/tables/table1.csv",
        tex="results/tables/table1.tex",
        html=report("results/tables/table1.html", caption="../report/table1.rst", category="Tables"),
    log:
        "results/logs/table1.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/table1.py"


rule fig4:
    input:
        "results/tables/layer_accuracy.tsv",
        points="results/tables/points.tsv",
    output:
        png=report("results/figures/fig4.png", caption="../report/fig4.rst", category="Figures"),
        pdf="results/figures/fig4.pdf",
    log:
        "results/logs/fig4.log",
    conda:
        "../../envs/report.yaml"
    params:
        attribute=FIGURES.fig4_attribute,
    script:
        "../scripts/fig4.py"


rule fig5:
    input:
        table="results/tables/layer_accuracy.tsv",
        probes=expand(
            "results/probes/{network}/{attribute}/{point}.h5",
            network=NETWORKS,
            attribute=FIGURES.fig5_attribute,
            point=NETWORK_POINTS,
        ),
    output:
        png=report("results/figures/fig5.png", caption="../report/fig5.rst", category="Figures"),
        pdf="results/figures/fig5.pdf",
    log:
        "results/logs/fig5.log",
    conda:
        "../../envs/report.yaml"
    params:
        attribute=FIGURES.fig5_attribute,
    script:
        "../scripts/fig5.py"


# Figs. 1 and 6 (one rule each: a report caption cannot hold a wildcard).
for _fig in ("fig1", "fig6"):

    rule:
        name:
            f"average_faces_{_fig}"
        input:
            world_input,
            neurons=f"results/test/{NETWORKS[0]}_neurons.h5",
        output:
            png=report(
                f"results/figures/{_fig}.png",
                caption=f"../report/{_fig}.rst",
                category="Figures",
            ),
            pdf=f"results/figures/{_fig}.pdf",
        log:
            f"results/logs/{_fig}.log",
        conda:
            "../../envs/report.yaml"
        params:
            celeba=data_root("celeba"),
            attributes=FACE_FIGURES[_fig],
            k=FIGURES.average_k,
        script:
            "../scripts/average_faces.py"


rule summary:
    input:
        world_input,
        table="results/tables/layer_accuracy.tsv",
        scores="results/tables/test_scores.tsv",
        provenance="results/provenance.json",
        points="results/tables/points.tsv",
        erasure=["results/tables/erasure.tsv"] if ERASED else [],
        counterfactual=expand(
            "results/counterfactual/{network}.tsv", network=COUNTERFACTUAL_NETWORKS
        ),
    output:
        md="results/summary.md",
        html=report("results/summary.html", caption="../report/summary.rst", category="Summary"),
        verdicts="results/verdicts.json",
    log:
        "results/logs/summary.log",
    conda:
        "../../envs/report.yaml"
    params:
        val_rows=2 * STUDY.probe_sample.val_per_class,
    script:
        "../scripts/summary.py"


# The unit atlas: a static site of every network's probes and the selected units' cards.
rule atlas:
    input:
        world_input,
        table="results/tables/layer_accuracy.tsv",
        units=expand("results/test/{network}_neurons.h5", network=NETWORKS),
        # the counterfactual faces' page, where the study runs them
        counterfactual=(
            ["results/tables/counterfactual.tsv", "results/counterfactual/examples"]
            if COUNTERFACTUAL["enabled"]
            else []
        ),
    output:
        report(
            directory("results/atlas"),
            htmlindex="index.html",
            caption="../report/atlas.rst",
            category="Atlas",
        ),
    log:
        "results/logs/atlas.log",
    benchmark:
        "results/benchmarks/atlas.tsv"
    conda:
        "../../envs/report.yaml"
    params:
        celeba=data_root("celeba"),
        networks=NETWORKS,
        k=FIGURES.average_k,
    script:
        "../scripts/atlas.py"
