import numpy as np
import pytest

from facecues.data.splits import (
    balanced_split,
    identity_task_labels,
    identity_task_of,
    read_split,
    seed_from,
    write_split,
)
from facecues.errors import FacecuesError


def _labels(n=2000, p=0.3, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.where(rng.random(n) < p, 1, -1).astype(np.int8)
    partition = rng.choice([0, 1, 2], size=n, p=[0.7, 0.1, 0.2]).astype(np.int8)
    return labels, partition


def test_authors_seed_string():
    import hashlib

    digest = hashlib.sha1(b"smartsenselab").hexdigest()
    assert seed_from("smartsenselab") == int(digest, 16) % (2**32 - 1)
    assert seed_from(5) == 5
    assert seed_from("smartsenselab") == seed_from("smartsenselab")


def test_balanced_disjoint_pool_only_and_reproducible():
    labels, partition = _labels()
    s = balanced_split(labels, partition, "A", train_per_class=50, val_per_class=100, seed="x")
    assert len(s.train) == 100 and len(s.val) == 200
    assert (s.train_y == 1).sum() == 50 and (s.val_y == 1).sum() == 100
    assert not set(s.train) & set(s.val)
    assert np.isin(partition[np.concatenate([s.train, s.val])], [0, 1]).all()
    assert (labels[s.train] == s.train_y).all() and (labels[s.val] == s.val_y).all()
    again = balanced_split(labels, partition, "B", train_per_class=50, val_per_class=100, seed="x")
    np.testing.assert_array_equal(s.train, again.train)
    np.testing.assert_array_equal(s.val, again.val)


def test_validation_drawn_first():
    # The validation sample does not depend on the training size.
    labels, partition = _labels()
    a = balanced_split(labels, partition, "A", train_per_class=10, val_per_class=100, seed=3)
    b = balanced_split(labels, partition, "A", train_per_class=60, val_per_class=100, seed=3)
    np.testing.assert_array_equal(a.val, b.val)


def test_shortage_is_a_clear_error_or_a_logged_reduction(caplog):
    labels, partition = _labels(n=600, p=0.1)
    with pytest.raises(FacecuesError, match=r"attribute Bald: .* found \d+ positives"):
        balanced_split(labels, partition, "Bald", train_per_class=40, val_per_class=120, seed=0)
    s = balanced_split(
        labels,
        partition,
        "Bald",
        train_per_class=40,
        val_per_class=120,
        seed=0,
        allow_reduction=True,
    )
    pos = int(((labels == 1) & (partition < 2)).sum())
    assert len(s.train) // 2 + len(s.val) // 2 == pos
    assert "reduced" in caplog.text


def test_tsv_round_trip(tmp_path):
    labels, partition = _labels()
    s = balanced_split(labels, partition, "A", train_per_class=20, val_per_class=30, seed=1)
    names = [f"{i + 1:06d}.jpg" for i in range(len(labels))]
    write_split(s, names, tmp_path / "A.tsv")
    r = read_split(tmp_path / "A.tsv", "A")
    for field in ("train", "train_y", "val", "val_y"):
        np.testing.assert_array_equal(getattr(r, field), getattr(s, field))


def test_identity_task_labels_one_per_person_balanced_over_people():
    identity = np.array([7, 3, 3, 9, 7, 12, 3, 9, 20, 20, 5])
    y = identity_task_labels(identity, 0)
    assert set(np.unique(y)) == {-1, 1} and y.dtype == np.int8
    per_person = {p: set(y[identity == p]) for p in np.unique(identity)}
    assert all(len(v) == 1 for v in per_person.values())  # every image of a person alike
    assert sum(v == {1} for v in per_person.values()) == 6 // 2  # half the people
    np.testing.assert_array_equal(y, identity_task_labels(identity, 0))  # seeded
    assert not np.array_equal(y, identity_task_labels(identity, 1))
    np.testing.assert_array_equal(
        identity_task_labels(identity, "smartsenselab"),
        identity_task_labels(identity, seed_from("smartsenselab")),
    )


def test_identity_task_of_a_sample_and_where_it_is_skipped(caplog):
    from types import SimpleNamespace

    on = {"identity_task": True, "identity_seed": 3}
    celeba = SimpleNamespace(identity=np.array([5, 5, 6, 6, 7, 8]), root="celeba")
    rows = np.array([0, 1, 4])
    np.testing.assert_array_equal(
        identity_task_of(celeba, rows, on), identity_task_labels(celeba.identity, 3)[rows]
    )
    assert identity_task_of(celeba, rows, {**on, "identity_task": False}) is None
    no_identities = SimpleNamespace(identity=None, root="celeba")
    assert identity_task_of(no_identities, rows, on) is None
    assert "no identity_CelebA.txt: the identity control task is skipped" in caplog.text
