import numpy as np

from facecues.verification import best_threshold, cosine_similarity, verification_accuracy


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
