import numpy as np

from facecues.data.celeba import load_celeba
from facecues.nets.resnet import FaceResNet
from facecues.training.multitask import MultitaskConfig, finetune_multitask


def test_multitask_baseline_scores_every_attribute(tiny_world):
    celeba = load_celeba(tiny_world / "celeba")
    attributes = ["Male", "Eyeglasses", "Smiling"]
    table = finetune_multitask(
        FaceResNet(0, base_width=4),
        celeba,
        attributes,
        MultitaskConfig(epochs=2, batch_size=16),
        input_size=32,
        network="7",
        seed=7,
    )
    assert list(table["attribute"]) == attributes
    assert set(table["selection"]) == {"multitask"} and set(table["network"]) == {"7"}
    assert table["epoch"].between(1, 2).all()
    n_test = len(celeba.indices(2))
    # accuracies are fractions of the test images
    assert np.allclose(table["test_accuracy"] * n_test, np.round(table["test_accuracy"] * n_test))
    assert table["val_accuracy"].between(0, 1).all()
