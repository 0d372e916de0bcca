import numpy as np

from facecues.training.verification import best_threshold, cosine_similarity, verification_accuracy


def test_cosine():
    a = np.array([[1.0, 0.0], [1.0, 1.0]])
    b = np.array([[2.0, 0.0], [-1.0, -1.0]])
    np.testing.assert_allclose(cosine_similarity(a, b), [1.0, -1.0])


def test_separable_case_is_perfect_and_threshold_between_classes():
    sim = np.array([0.9, 0.8, 0.7, 0.2, 0.1, 0.0] * 10)
    same = np.array([True, True, True, False, False, False] * 10)
    fold = np.repeat(np.arange(10), 6)
    assert verification_accuracy(sim, same, fold) == (1.0, 0.0)
    t = best_threshold(sim, same)
    assert 0.2 < t <= 0.7


def test_threshold_chosen_on_other_folds():
    # Fold 0 alone would prefer a threshold of 0.5; the other nine folds say 0.05:
    # fold 0's pairs at 0.1 (different people) are then called "same".
    sim = np.concatenate([[0.9, 0.1], np.tile([0.1, 0.0], 9)])
    same = np.concatenate([[True, False], np.tile([True, False], 9)])
    fold = np.repeat(np.arange(10), 2)
    mean, _ = verification_accuracy(sim, same, fold)
    assert mean == (0.5 + 9 * 1.0) / 10


def _brute_force_threshold(sim, same):
    """The search best_threshold replaced: every midpoint between sorted similarities (and
    both ends) tried one by one, O(n^2); ties to the lowest."""
    s = np.sort(sim)
    candidates = np.concatenate([[s[0] - 1e-6], (s[1:] + s[:-1]) / 2, [s[-1] + 1e-6]])
    acc = [np.mean((sim >= t) == same) for t in candidates]
    return float(candidates[int(np.argmax(acc))])


def test_roc_curve_search_returns_the_brute_force_threshold():
    rng = np.random.default_rng(0)
    for trial in range(300):
        n = int(rng.integers(2, 60))
        same = rng.random(n) < rng.uniform(0.05, 0.95)
        # ties (rounded similarities), separable and overlapping classes, one class only
        sim = rng.normal(same * rng.uniform(0, 2), 1.0)
        if trial % 3 == 0:
            sim = np.round(sim, 1)
        if trial % 50 == 0:
            same[:] = trial % 100 == 0
        assert best_threshold(sim, same) == _brute_force_threshold(sim, same), trial
