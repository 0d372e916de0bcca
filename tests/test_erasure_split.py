"""The erasure's residual check split by person: halves that share no person, the
binomial bound of chance (its false-alarm rate and power, simulated), and why a split
by image was wrong (a probe reads "this person -> label")."""

import numpy as np
import pytest

from facecues.errors import FacecuesError
from facecues.interventions.erasure import (
    CHANCE_LEVEL,
    _two_fold,
    chance_bound,
    person_halves,
    verdict,
)


def _people(n_people, per, d, signal, rng, per_image=False):
    """Activations of ``n_people`` x ``per`` images: a strong person component (as a face
    network's), noise, and ``signal`` x the label along one direction; labels one per
    person, or one per image (``per_image``)."""
    person = np.repeat(np.arange(n_people), per)
    y = rng.choice([-1, 1], size=n_people * per if per_image else n_people)
    y = y if per_image else y[person]
    x = 2.0 * rng.normal(size=(n_people, d))[person] + rng.normal(size=(len(person), d))
    x[:, 0] += signal * y
    return x, y, person


def test_the_halves_share_no_person_and_are_balanced():
    rng = np.random.default_rng(0)
    person = np.repeat(np.arange(40), rng.integers(1, 5, 40))
    y = rng.choice([-1, 1], size=len(person))
    a, b = person_halves(y, person, rng)
    assert not set(person[a]) & set(person[b])
    assert not set(a) & set(b)
    for half in (a, b):
        assert (y[half] > 0).sum() == (y[half] < 0).sum() > 0


def test_the_chance_bound_is_the_binomial_quantile():
    n = 400
    bound = chance_bound(n)
    k = round(bound * n)
    # P(X >= k + 1) <= 5% < P(X >= k) for X ~ Binomial(400, 1/2), counted directly
    from math import comb

    tail = [sum(comb(n, j) for j in range(m, n + 1)) / 2**n for m in (k, k + 1)]
    assert tail[1] <= CHANCE_LEVEL < tail[0]
    assert 0.5 < bound < 0.55


def test_split_by_image_reads_people_split_by_person_does_not():
    """No attribute at all, only people with a label each: split by image, the linear
    probe reads "this person -> label" far above chance; split by person it is at
    chance (the old check's error, issue 30)."""
    rng = np.random.default_rng(1)
    x, y, person = _people(40, 4, 60, 0.0, rng)  # few people, wide activations
    (_, by_person), n, _ = _two_fold(x, y, person, 8, np.random.default_rng(0))
    (_, by_image), _, _ = _two_fold(x, y, np.arange(len(y)), 8, np.random.default_rng(0))
    assert by_image > 0.7 and by_person <= chance_bound(n)


@pytest.mark.parametrize("per_image", [False, True])
def test_the_at_chance_rule_false_alarms_rarely_and_finds_a_residual(per_image):
    """Simulated: with no signal the residual is called above chance in at most ~5% of
    draws (the bound counts people, so images of one person that agree do not pass for
    evidence); a residual the linear probe reads at ~67% (150 people) is found in 80% of
    draws or more (measured: all of 20; at ~57-60% in 25-75%)."""
    rng = np.random.default_rng(2)
    reps, calls = {0.0: 200, 1.2: 40}, {0.0: 0, 1.2: 0}
    for signal, n_reps in reps.items():
        for _ in range(n_reps):
            x, y, person = _people(150, 2, 10, signal, rng, per_image)
            (_, linear), n, _ = _two_fold(x, y, person, 4, rng)
            calls[signal] += linear > chance_bound(n)
    # measured 5.5% (labels per person) and 5.0% (per image) over 200 other draws;
    # 9% is the nominal 5% plus 2.6 binomial SDs of 200 draws
    assert calls[0.0] / reps[0.0] <= 0.09, calls
    assert calls[1.2] / reps[1.2] >= 0.8, calls


def test_small_halves_use_fewer_components_and_none_is_one_clear_error():
    rng = np.random.default_rng(3)
    x, y, person = _people(12, 2, 5, 0.0, rng, per_image=True)
    a, b = person_halves(y, person, np.random.default_rng(0))
    *_, k = _two_fold(x, y, person, 8, np.random.default_rng(0))
    assert k == min(len(a), len(b)) // 2 - 1 < 8
    x, y, person = x[:4], np.array([1, 1, -1, -1]), np.array([0, 0, 1, 1])
    with pytest.raises(FacecuesError, match="split by person, a half of the validation"):
        _two_fold(x, y, person, 8, rng)  # one person, one class, in each half


def test_the_verdict_says_removable_at_a_cost_never_used():
    row = dict(
        at_chance=True,
        residual_linear_accuracy=0.51,
        chance_bound=0.535,
        verification_accuracy=0.90,
        verification_accuracy_erased=0.885,
        drop_se=0.004,
    )
    assert verdict(row) == "linearly removable at +1.50 +- 0.40 p.p. verification cost"
    row.update(at_chance=False, residual_linear_accuracy=0.6)
    assert verdict(row).startswith("not linearly removed: the linear probe still reads 60.0%")
    assert "used" not in verdict(row)
