"""Crop and resize geometry of the training and probing pipelines."""

import numpy as np
import pytest
from PIL import Image

from facecues.data.images import (
    center_crop,
    load_rgb,
    loose_crop,
    probe_input,
    resize_shorter,
    to_tensor,
    train_input,
)
from facecues.errors import DataFormatError


def _marked(w=100, h=80):
    """A black image with a white box at x 20..59, y 10..49."""
    a = np.zeros((h, w, 3), np.uint8)
    a[10:50, 20:60] = 255
    return Image.fromarray(a)


def test_loose_crop_is_the_box_enlarged_about_its_centre():
    img = _marked()
    assert np.asarray(loose_crop(img, (20, 10, 40, 40), 1.0)).min() == 255
    big = loose_crop(img, (20, 10, 40, 40), 1.5)  # 60 x 60 about centre (40, 30)
    assert big.size == (60, 60)
    a = np.asarray(big)
    assert a[10:50, 10:50].min() == 255 and a[:10].max() == 0


def test_loose_crop_outside_the_image_is_black_and_keeps_the_face_in_place():
    crop = np.asarray(loose_crop(_marked(), (0, 0, 40, 40), 2.0))  # (-20, -20) .. (60, 60)
    assert crop.shape == (80, 80, 3)
    assert crop[:20].max() == 0  # above the image
    assert crop[30, 40:80].min() == 255  # the white box starts at image x 20 = crop x 40


def test_resize_shorter_side():
    assert resize_shorter(Image.new("RGB", (100, 200)), 50).size == (50, 100)
    assert resize_shorter(Image.new("RGB", (300, 120)), 60).size == (150, 60)


def test_centre_crop():
    c = center_crop(Image.new("RGB", (100, 80)), 0.5)
    assert c.size == (40, 40)


def test_normalisation_and_probe_input():
    x = to_tensor(Image.fromarray(np.full((4, 6, 3), [0, 128, 255], np.uint8)))
    assert x.shape == (3, 4, 6)
    np.testing.assert_allclose(x[:, 0, 0].numpy(), [-1.0, 0.0, 127 / 128])
    assert probe_input(Image.new("RGB", (178, 218)), 224).shape == (3, 224, 224)


def test_train_input_crop_size_randomness_and_grayscale():
    img = Image.fromarray(np.random.default_rng(0).integers(0, 255, (120, 100, 3), np.uint8))
    kw = dict(bbox_scale=1.0, resize=72, crop=64, grayscale_p=0.0)
    a = train_input(img, (10, 10, 64, 78), np.random.default_rng(1), **kw)
    b = train_input(img, (10, 10, 64, 78), np.random.default_rng(1), **kw)
    assert a.shape == (3, 64, 64) and (a == b).all()
    gray = train_input(img, (10, 10, 64, 78), np.random.default_rng(1), **{**kw, "grayscale_p": 1})
    assert (gray[0] == gray[1]).all() and (gray[1] == gray[2]).all()
    crops = {
        train_input(img, (10, 10, 64, 78), np.random.default_rng(s), **kw).sum().item()
        for s in range(8)
    }
    assert len(crops) > 1  # the random window moves


def test_unreadable_images_name_the_file(tmp_path):
    with pytest.raises(DataFormatError, match="nope.jpg: image file not found"):
        load_rgb(tmp_path / "nope.jpg")
    (tmp_path / "bad.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DataFormatError, match="bad.jpg: not a readable image"):
        load_rgb(tmp_path / "bad.jpg")
