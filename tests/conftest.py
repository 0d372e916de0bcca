"""Shared fixtures: a tiny synthetic world, written once per test session in the real formats."""

import pytest

from facecues.synthetic import SyntheticConfig, write_world

TINY_WORLD = dict(
    vgg_identities=6,
    vgg_images_per_identity=8,
    lfw_identities=4,
    lfw_images_per_identity=3,
    lfw_folds=2,
    lfw_pairs_per_fold=3,
    celeba_train_identities=10,
    celeba_val_identities=4,
    celeba_test_identities=2,
    celeba_images_per_identity=8,
    workers=1,
)


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory):
    """Root of a tiny synthetic world (vggface2/, lfw/, celeba/, world.json)."""
    root = tmp_path_factory.mktemp("world")
    write_world(root, SyntheticConfig.from_dict(TINY_WORLD))
    return root
