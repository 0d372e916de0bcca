"""Estimands a lab can run on real faces (facecues.interventions.estimands), counted
pair by pair; their clustered bootstrap's coverage, simulated; their agreement with a
truth (facecues.results.estimands); the rules on the tiny study."""

import numpy as np
import pandas as pd
import pytest

from facecues.errors import FacecuesError
from facecues.interventions import estimands as est

# --- the maths, against pairs counted one by one ---------------------------------


def _sample(n_people=24, seed=0):
    """Embeddings of people with 2-5 images each (a person component and noise) and two
    labels: one per person (identity-bound) and one per image."""
    rng = np.random.default_rng(seed)
    person = np.repeat(np.arange(n_people), rng.integers(2, 6, n_people))
    emb = rng.normal(size=(n_people, 12))[person] + 0.9 * rng.normal(size=(len(person), 12))
    per_person = rng.choice([-1, 1], n_people)[person]
    per_image = rng.choice([-1, 1], len(person))
    return emb, person * 7 + 3, {"bound": per_person, "image": per_image}  # ids not 0..n-1


def _brute(sim, person, y, t):
    """The three estimands from loops over the unordered pairs i < j."""
    n = len(person)
    miss = {True: [], False: []}  # genuine pairs: mismatch?
    false = {True: [], False: []}  # impostor pairs: share?
    by_person = {}
    for i in range(n):
        for j in range(i + 1, n):
            same = y[i] == y[j]
            if person[i] == person[j]:
                miss[not same].append(sim[i, j] < t)
                by_person.setdefault(person[i], {True: [], False: []})[not same].append(
                    sim[i, j] < t
                )
            else:
                false[same].append(sim[i, j] >= t)
    diffs = [
        np.mean(d[True]) - np.mean(d[False]) for d in by_person.values() if d[True] and d[False]
    ]
    return {
        est.AGREEMENT_FNMR: np.mean(miss[True]) - np.mean(miss[False]) if miss[True] else np.nan,
        est.AGREEMENT_FMR: np.mean(false[True]) - np.mean(false[False]),
        est.WITHIN_PERSON: np.mean(diffs) if len(diffs) >= est.MIN_PEOPLE else np.nan,
    }


def test_the_estimands_are_the_pairs_counted_one_by_one():
    emb, person, labels = _sample()
    sim = est.cosine_similarity(emb)
    t = float(np.quantile(sim, 0.8))
    w = est.bootstrap_weights(len(np.unique(person)), 200, np.random.default_rng(0))
    rows, draws = est.estimands(sim, person, labels, t, w, "n")
    assert [(r["attribute"], r["estimand"]) for r in rows] == [
        (a, e) for a in labels for e in est.ESTIMANDS
    ]
    for r in rows:
        truth = _brute(sim, person, labels[r["attribute"]], t)[r["estimand"]]
        if np.isnan(truth):
            assert np.isnan(r["value"]) and r["note"].startswith("not estimable"), r
            assert np.isnan(draws[f"{r['estimand']}:{r['attribute']}"]).all()
        else:
            assert r["value"] == pytest.approx(truth, abs=1e-12), r
            assert r["lo"] <= r["value"] <= r["hi"] and r["note"] == ""
    by = {(r["attribute"], r["estimand"]): r for r in rows}
    # a label per person never differs within a person: no genuine mismatch, nobody
    # both ways; the per-image label is estimable everywhere
    assert "mismatching: 0 people" in by["bound", est.AGREEMENT_FNMR]["note"]
    assert "0 people with the attribute both ways" in by["bound", est.WITHIN_PERSON]["note"]
    assert all(np.isfinite(by["image", e]["value"]) for e in est.ESTIMANDS)


def test_a_bootstrap_draw_of_everyone_once_is_the_estimate():
    emb, person, labels = _sample(seed=1)
    sim = est.cosine_similarity(emb)
    t = float(np.quantile(sim, 0.7))
    ones = np.ones((1, len(np.unique(person))))
    rows, draws = est.estimands(sim, person, labels, t, ones)
    for r in rows:
        d = draws[f"{r['estimand']}:{r['attribute']}"][0]
        assert d == pytest.approx(r["value"], abs=1e-12) or (np.isnan(d) and np.isnan(r["value"]))


def test_the_clustered_bootstrap_covers_the_true_difference():
    """Simulated coverage of the 95% interval of the genuine and impostor agreement
    estimands and of the within-person one, with person-level heterogeneity (each
    person's own miss rate): the truth is the population value of each."""
    rng = np.random.default_rng(0)
    n_people, per, reps = 40, 4, 120
    person = np.repeat(np.arange(n_people), per)
    iu = np.triu_indices(len(person), 1)
    hits = dict.fromkeys(est.ESTIMANDS, 0)
    for _ in range(reps):
        base = rng.beta(2, 5, n_people)  # each person's miss rate; +0.2 across the label
        y = rng.choice([-1, 1], len(person))
        same_label = y[iu[0]] == y[iu[1]]
        genuine = person[iu[0]] == person[iu[1]]
        p_miss = base[person[iu[0]]] + 0.2 * ~same_label
        # impostors: false-match rate 0.05, +0.05 when they share the label
        p = np.where(genuine, p_miss, 0.05 + 0.05 * same_label)
        # a similarity that is below 0 exactly with probability p (genuine: a miss),
        # above 0 with probability p (impostor: a false match)
        u = rng.random(len(p))
        score = np.where(genuine, np.where(u < p, -1.0, 1.0), np.where(u < p, 1.0, -1.0))
        sim = np.zeros((len(person), len(person)))
        sim[iu] = score
        w = est.bootstrap_weights(n_people, 400, rng)
        rows, _ = est.estimands(sim, person, {"a": y}, 0.0, w)
        truth = {est.AGREEMENT_FNMR: 0.2, est.AGREEMENT_FMR: 0.05, est.WITHIN_PERSON: 0.2}
        for r in rows:
            hits[r["estimand"]] += r["lo"] <= truth[r["estimand"]] <= r["hi"]
    for name, h in hits.items():
        assert 0.88 <= h / reps <= 1.0, (name, h / reps)


def test_too_few_people_is_not_estimable_never_a_number():
    rng = np.random.default_rng(2)
    person = np.repeat(np.arange(12), 3)
    y = -np.ones(len(person), int)
    y[[0, 3, 6]] = 1  # three people with the attribute both ways
    sim = est.cosine_similarity(rng.normal(size=(len(person), 5)))
    w = est.bootstrap_weights(12, 100, rng)
    value, boot, people, _, note = est.within_person(est.PairSet.of(sim, person), y, 0.0, w)
    assert np.isnan(value) and np.isnan(boot).all() and people == 3
    assert note == "not estimable (3 people with the attribute both ways; at least 10 needed)"


def test_the_sample_draws_people_with_two_images_or_more():
    person = np.r_[np.repeat(np.arange(10), 5), 100, 101]  # two people with one image
    rows = est.sample_people(person, 4, 3, np.random.default_rng(0))
    ids, counts = np.unique(person[rows], return_counts=True)
    assert len(ids) == 4 and (counts == 3).all() and not {100, 101} & set(ids)
    assert len(est.sample_people(person, 50, 9, np.random.default_rng(0))) == 50
    with pytest.raises(FacecuesError, match="1 CelebA identities have two images"):
        est.sample_people(np.r_[0, 0, 1, 2], 4, 3, np.random.default_rng(0))


# --- agreement with the truth (facecues.results.estimands) ------------------------


def test_spearman_is_scipys_with_ties():
    from scipy.stats import spearmanr

    from facecues.results.estimands import spearman

    rng = np.random.default_rng(3)
    x, t = rng.integers(0, 4, (5, 7)).astype(float), rng.normal(size=7)
    for row, rho in zip(x, spearman(x, t), strict=True):
        assert rho == pytest.approx(spearmanr(row, t).statistic)


def _tables(noise: float, seed=0):
    """Estimands of two trained networks and a control on six attributes (three of each
    kind) equal to the truth plus ``noise``; draws around them."""
    rng = np.random.default_rng(seed)
    truth_values = dict(A=0.4, B=0.3, C=0.2, d=0.02, e=0.01, f=0.0)
    kinds = {a: "identity" if a.isupper() else "image" for a in truth_values}
    rows, truth, draws = [], [], {}
    for net in ("0", "1", "random0"):
        draws[net] = {}
        for a, v in truth_values.items():
            scale = 0.0 if net.startswith("random") else 1.0
            value = scale * v + noise * rng.normal()
            draws[net][f"{est.AGREEMENT_FMR}:{a}"] = value + 0.01 * rng.normal(size=300)
            for name in (est.AGREEMENT_FNMR, est.WITHIN_PERSON):
                draws[net][f"{name}:{a}"] = np.full(300, np.nan)
            rows += [
                dict(network=net, attribute=a, estimand=est.AGREEMENT_FMR, value=value,
                     lo=value - 0.02, hi=value + 0.02, note="")
            ]  # fmt: skip
            rows += [
                dict(network=net, attribute=a, estimand=n, value=np.nan, note="not estimable")
                for n in (est.AGREEMENT_FNMR, est.WITHIN_PERSON)
            ]
            truth.append(
                dict(network=net, variant=a, kind="flip", fnmr_rise=scale * v, fmr_rise=0.0)
            )
    nets = {"0": "trained", "1": "trained", "random0": "control"}
    return pd.DataFrame(rows, columns=est.COLUMNS), pd.DataFrame(truth), draws, kinds, nets


def test_agreement_finds_a_faithful_estimand_and_a_pooled_row():
    from facecues.results.estimands import POOLED, agreement

    table, truth, draws, kinds, nets = _tables(noise=0.0)
    found = agreement(table, truth, draws, kinds, nets)
    row = found[
        (found.network == POOLED)
        & (found.estimand == est.AGREEMENT_FMR)
        & (found.truth == "fnmr_rise")
    ].iloc[0]
    assert row.spearman == pytest.approx(1.0) and row.attributes == 6
    assert row.spearman_lo > 0.5 and row.ordering_recovered
    assert row.contrast == pytest.approx(0.3 - 0.01) == row.truth_contrast
    missing = found[(found.network == "0") & (found.estimand == est.WITHIN_PERSON)].iloc[0]
    assert np.isnan(missing.spearman) and missing.note.startswith("0 attributes")


def test_agreement_of_noise_is_no_evidence():
    from facecues.results.estimands import POOLED, agreement, page

    table, truth, draws, kinds, nets = _tables(noise=1.0, seed=4)
    for net in draws:  # draws as wide as the noise
        for k, v in draws[net].items():
            draws[net][k] = v + np.random.default_rng(5).normal(size=len(v))
    found = agreement(table, truth, draws, kinds, nets)
    row = found[(found.network == POOLED) & (found.estimand == est.AGREEMENT_FMR)].iloc[0]
    assert row.spearman_lo < 0
    text = page(table, found, synthetic=True)
    assert "is no evidence of the causal ranking" in text


def test_the_page_on_real_data_says_the_truth_is_synthetic_only():
    from facecues.results.estimands import page

    table = _tables(0.0)[0]
    text = page(table, None, synthetic=False)
    assert "exist only in the synthetic world" in text and "runs on real faces" in text
    assert "| A | +40.0 [+38.0, +42.0] |" in text and "| A | not estimable |" in text


# --- the rules (workflow/rules/estimands.smk) on the tiny study -------------------


def _config(tmp_path, **sections):
    import yaml

    from tests.conftest import TINY_STUDY

    cfg = {**TINY_STUDY, "erasure": {"enabled": False}, **sections}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    return tmp_path / "config.yaml"


@pytest.mark.workflow
def test_the_rules_write_the_estimands_beside_the_truth(tmp_path):
    """A real Snakemake run on the tiny study with the counterfactual faces: every
    network's estimands, the agreement table, the page."""
    from facecues.interventions.estimands import COLUMNS
    from facecues.results.estimands import AGREEMENT_COLUMNS
    from tests.conftest import snakemake

    configfile = _config(
        tmp_path,
        counterfactual={"enabled": True, "people": 16, "fmr": 0.05, "bootstrap": 200,
                        "depth": False},
        estimands={"bootstrap": 200},
    )  # fmt: skip
    target = "results/tables/estimands_agreement.tsv"
    run = snakemake(tmp_path, "--cores", "2", target, configfile=configfile)
    assert run.returncode == 0, run.stderr[-3000:]
    table = pd.read_csv(tmp_path / "results/tables/estimands.tsv", sep="\t", dtype={"network": str})
    assert list(table.columns) == COLUMNS
    assert set(table.network) == {"0", "random0"} and len(table) == 2 * 2 * 3
    male = table[(table.attribute == "Male") & (table.estimand == est.WITHIN_PERSON)]
    assert male.value.isna().all() and male.note.str.startswith("not estimable").all()
    found = pd.read_csv(tmp_path / target, sep="\t", dtype={"network": str})
    assert list(found.columns) == AGREEMENT_COLUMNS
    assert {"0", "random0", "trained"} == set(found.network)
    assert (tmp_path / "results/estimands.md").read_text().startswith("# Estimands")


@pytest.mark.workflow
def test_on_real_data_the_estimands_run_without_the_truth(tiny_world, tmp_path):
    from tests.conftest import snakemake

    configfile = _config(tmp_path, estimands={"enabled": True})
    roots = ", ".join(f"{n}_root: {tiny_world / n}" for n in ("celeba", "vggface2", "lfw"))
    run = snakemake(
        tmp_path, "-n", "--config", f"data={{source: real, {roots}}}", configfile=configfile
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "estimands_table" in run.stdout and "rule counterfactual" not in run.stdout
