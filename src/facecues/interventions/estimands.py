"""Estimands a lab can run on real faces: what an attribute does to recognition, read
from labelled photos of the same people, without a counterfactual.

A sample of CelebA people (``sample_people``: each with at least two images) is
embedded by a network; S[i, j] is the cosine similarity of images i and j, and the
threshold t is the one at the chosen false-match rate (1%) over all the sample's
impostor pairs (``facecues.interventions.counterfactual.fixed_fmr_threshold``). Over
the unordered pairs i < j (docs/protocol.md section 14, "Estimands on real faces"):

- ``agreement_fnmr``, attribute-agreement analysis of genuine pairs: the share of
  genuine pairs with S < t among those whose two images *mismatch* in the attribute,
  minus that share among those that *match*;
- ``agreement_fmr``, of impostor pairs: the share with S >= t among impostor pairs
  that *share* the attribute, minus that among those that *differ*;
- ``within_person_fnmr``, the within-person natural experiment: for each person with
  images both with and without the attribute (and a pair within one value), their
  genuine pairs' FNMR across the values minus within one value; the mean over those
  people.

Intervals: percentile bootstrap clustered by identity, the threshold held fixed
(``bootstrap_weights``: one set of people's draw counts for every attribute and
estimand): a genuine pair weighs its person's count, an impostor pair the product of
its two people's counts, a within-person difference its person's count. An estimand
that rests on too few people (fewer than ``MIN_PEOPLE`` in one of its two groups) is "not
estimable": NaN and a note, never a number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecues.errors import FacecuesError

AGREEMENT_FNMR, AGREEMENT_FMR, WITHIN_PERSON = (
    "agreement_fnmr",
    "agreement_fmr",
    "within_person_fnmr",
)
ESTIMANDS = (AGREEMENT_FNMR, AGREEMENT_FMR, WITHIN_PERSON)
MIN_PEOPLE = 10  # people an estimand's each group rests on, at least (facecues)
COLUMNS = [
    "network",
    "attribute",
    "estimand",
    "value",
    "lo",
    "hi",
    "people",
    "pairs",
    "threshold",
    "note",
]


def sample_people(person, n_people: int, per_person: int, rng) -> np.ndarray:
    """Sorted rows of ``person`` (an identity per image): ``n_people`` people drawn at
    random among those with at least two images (all of them where there are fewer), up
    to ``per_person`` images of each, drawn at random; one clear error where fewer than
    two people have two images."""
    person = np.asarray(person)
    ids, counts = np.unique(person, return_counts=True)
    eligible = ids[counts >= 2]
    if len(eligible) < 2:
        raise FacecuesError(
            f"estimands: {len(eligible)} CelebA identities have two images or more "
            f"(identity_CelebA.txt); genuine and impostor pairs need at least two"
        )
    chosen = rng.choice(eligible, size=min(n_people, len(eligible)), replace=False)
    rows = [rng.permutation(np.flatnonzero(person == p))[:per_person] for p in chosen]
    return np.sort(np.concatenate(rows))


def cosine_similarity(emb: np.ndarray) -> np.ndarray:
    """(n, n) cosine similarities of the rows of ``emb``."""
    e = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    return e @ e.T


@dataclass(frozen=True)
class PairSet:
    """The unordered pairs i < j of a sample: their people's codes (``a``, ``b``, in
    ``np.unique`` order of the people), whether genuine, and their similarity."""

    i: np.ndarray
    j: np.ndarray
    a: np.ndarray
    b: np.ndarray
    genuine: np.ndarray
    score: np.ndarray
    n_people: int

    @classmethod
    def of(cls, sim: np.ndarray, person) -> PairSet:
        _, code = np.unique(np.asarray(person), return_inverse=True)
        i, j = np.triu_indices(len(code), 1)
        a, b = code[i], code[j]
        return cls(i, j, a, b, a == b, sim[i, j], int(code.max()) + 1)

    def impostor_scores(self) -> np.ndarray:
        return self.score[~self.genuine]


def bootstrap_weights(n_people: int, n_boot: int, rng) -> np.ndarray:
    """(n_boot, n_people) draw counts of each person in ``n_boot`` resamples of the
    people with replacement."""
    return rng.multinomial(n_people, np.full(n_people, 1 / n_people), size=n_boot).astype(float)


def clustered_rate(hit, a, b, genuine: bool, weights: np.ndarray):
    """(share of ``hit`` among the pairs, that share in each resample of ``weights``),
    the pairs of people ``a``/``b`` weighted by their person's draw count (``genuine``,
    a == b) or by the product of their two people's counts; NaN where none weigh."""
    hit = np.asarray(hit, float)
    if not len(hit):
        return np.nan, np.full(len(weights), np.nan)
    n = weights.shape[1]
    if genuine:
        num = weights @ np.bincount(a, hit, n)
        den = weights @ np.bincount(a, minlength=n).astype(float)
    else:
        sums, counts = np.zeros((n, n)), np.zeros((n, n))
        np.add.at(sums, (a, b), hit)
        np.add.at(counts, (a, b), 1.0)
        num = np.einsum("bp,pq,bq->b", weights, sums, weights)
        den = np.einsum("bp,pq,bq->b", weights, counts, weights)
    boot = np.divide(num, den, out=np.full(len(num), np.nan), where=den > 0)
    return float(hit.mean()), boot


def _people(pairs: PairSet, keep: np.ndarray) -> int:
    return len(np.unique(np.r_[pairs.a[keep], pairs.b[keep]]))


def _count(people: int) -> str:
    return f"{people} {'person' if people == 1 else 'people'}"


def _difference(pairs, hit, first, second, genuine, weights, groups: tuple[str, str]):
    """The rate of ``hit`` over pairs ``first`` minus over pairs ``second`` (masks), its
    draws, the people and pairs it rests on, and a note where a group has fewer than
    ``MIN_PEOPLE`` people (the value NaN then)."""
    (r1, b1), (r0, b0) = (
        clustered_rate(hit[m], pairs.a[m], pairs.b[m], genuine, weights) for m in (first, second)
    )
    people = [_people(pairs, m) for m in (first, second)]
    few = [f"{g}: {_count(p)}" for g, p in zip(groups, people, strict=True) if p < MIN_PEOPLE]
    note = f"not estimable ({'; '.join(few)}; at least {MIN_PEOPLE} needed)" if few else ""
    value = np.nan if few else r1 - r0
    boot = np.full(len(weights), np.nan) if few else b1 - b0
    return value, boot, min(people), int(first.sum() + second.sum()), note


def agreement(pairs: PairSet, y, threshold: float, weights: np.ndarray):
    """Attribute-agreement analysis of labels ``y`` (one per image): {estimand: (value,
    bootstrap draws, people, pairs, note)} for ``agreement_fnmr`` and ``agreement_fmr``."""
    y = np.asarray(y)
    same = y[pairs.i] == y[pairs.j]
    g, imp = pairs.genuine, ~pairs.genuine
    miss, false_match = pairs.score < threshold, pairs.score >= threshold
    return {
        AGREEMENT_FNMR: _difference(
            pairs, miss, g & ~same, g & same, True, weights, ("mismatching", "matching")
        ),
        AGREEMENT_FMR: _difference(
            pairs, false_match, imp & same, imp & ~same, False, weights, ("sharing", "differing")
        ),
    }


def within_person(pairs: PairSet, y, threshold: float, weights: np.ndarray):
    """The within-person natural experiment of labels ``y``: (value, bootstrap draws,
    people, pairs, note): each person's genuine FNMR across the attribute's values minus
    within one value, for the people with both (a pair across and a pair within), their
    mean; not estimable with fewer than ``MIN_PEOPLE`` such people."""
    y = np.asarray(y)
    g = pairs.genuine
    a, across = pairs.a[g], (y[pairs.i] != y[pairs.j])[g]
    miss = (pairs.score < threshold)[g].astype(float)
    n = pairs.n_people
    n_across = np.bincount(a[across], minlength=n)
    n_within = np.bincount(a[~across], minlength=n)
    both = (n_across > 0) & (n_within > 0)
    people = int(both.sum())
    n_pairs = int((n_across + n_within)[both].sum())
    if people < MIN_PEOPLE:
        note = (
            f"not estimable ({_count(people)} with the attribute both ways; "
            f"at least {MIN_PEOPLE} needed)"
        )
        return np.nan, np.full(len(weights), np.nan), people, n_pairs, note
    d = (
        np.bincount(a[across], miss[across], n)[both] / n_across[both]
        - np.bincount(a[~across], miss[~across], n)[both] / n_within[both]
    )
    w = weights[:, both]
    den = w.sum(1)
    boot = np.divide(w @ d, den, out=np.full(len(w), np.nan), where=den > 0)
    return float(d.mean()), boot, people, n_pairs, ""


def interval(boot: np.ndarray) -> tuple[float, float]:
    """The 95% percentile interval of bootstrap draws (NaN ones left out)."""
    boot = boot[np.isfinite(boot)]
    if not len(boot):
        return np.nan, np.nan
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return float(lo), float(hi)


def estimands(sim, person, labels: dict[str, np.ndarray], threshold, weights, network=""):
    """The rows (``COLUMNS``) of every estimand of every attribute in ``labels``
    ({attribute: labels per image}) from the sample's similarities ``sim`` at
    ``threshold``, and their bootstrap draws {"<estimand>:<attribute>": (n_boot,)}."""
    pairs = PairSet.of(sim, person)
    rows, draws = [], {}
    for attribute, y in labels.items():
        found = agreement(pairs, y, threshold, weights)
        found[WITHIN_PERSON] = within_person(pairs, y, threshold, weights)
        for name in ESTIMANDS:
            value, boot, people, n_pairs, note = found[name]
            lo, hi = interval(boot)
            draws[f"{name}:{attribute}"] = boot
            rows.append(
                dict(
                    network=network,
                    attribute=attribute,
                    estimand=name,
                    value=value,
                    lo=lo,
                    hi=hi,
                    people=people,
                    pairs=n_pairs,
                    threshold=threshold,
                    note=note,
                )
            )
    return rows, draws
