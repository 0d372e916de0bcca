"""CelebA loader against small fixtures written in the real on-disk formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facecues.data.celeba import CELEBA_ATTRIBUTES, load_celeba
from facecues.errors import DataFormatError, FacecuesError

N = 6


def _labels(n: int = N) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.where(rng.random((n, len(CELEBA_ATTRIBUTES))) < 0.4, 1, -1).astype(np.int8)


def _attr_text(labels: np.ndarray, names=CELEBA_ATTRIBUTES, count=None, eol="\n", trail=""):
    lines = [str(len(labels) if count is None else count), " ".join(names) + trail]
    for i, row in enumerate(labels):
        # the real file right-aligns each value in width 3: "-1" gets one space, "1" two
        lines.append(f"{i + 1:06d}.jpg" + "".join(f"{v:3d}" for v in row) + trail)
    return eol.join(lines) + eol


def write_celeba(
    root: Path,
    layout: str = "original",
    labels: np.ndarray | None = None,
    partition=None,
    identity=True,
    images=True,
    eol="\n",
    trail="",
) -> Path:
    """Write a tiny CelebA in ``layout`` ('original' or 'torchvision'); return the base dir."""
    labels = _labels() if labels is None else labels
    n = len(labels)
    partition = [0, 0, 0, 1, 1, 2][:n] if partition is None else partition
    names = [f"{i + 1:06d}.jpg" for i in range(n)]
    if layout == "original":
        anno, evald, imgd = root / "Anno", root / "Eval", root / "Img" / "img_align_celeba"
    else:
        anno = evald = root / "celeba"
        imgd = root / "celeba" / "img_align_celeba"
    for d in (anno, evald, imgd):
        d.mkdir(parents=True, exist_ok=True)
    (anno / "list_attr_celeba.txt").write_bytes(_attr_text(labels, eol=eol, trail=trail).encode())
    part = "".join(f"{nm} {p}{trail}{eol}" for nm, p in zip(names, partition, strict=True))
    (evald / "list_eval_partition.txt").write_bytes(part.encode())
    if identity:
        ids = "".join(f"{nm} {100 + i // 2}{eol}" for i, nm in enumerate(names))
        (anno / "identity_CelebA.txt").write_bytes(ids.encode())
    if images:
        for nm in names:
            Image.new("RGB", (8, 10), (120, 90, 60)).save(imgd / nm, quality=90)
    return anno


def test_original_layout(tmp_path):
    labels = _labels()
    write_celeba(tmp_path, labels=labels)
    ds = load_celeba(tmp_path)
    assert ds.attr_names == list(CELEBA_ATTRIBUTES)
    assert ds.filenames[0] == "000001.jpg" and len(ds) == N
    assert ds.labels.dtype == np.int8 and ds.labels.shape == (N, 40)
    np.testing.assert_array_equal(ds.labels, labels)
    assert ds.partition.dtype == np.int8
    assert ds.partition.tolist() == [0, 0, 0, 1, 1, 2]
    assert ds.identity.dtype == np.int64 and ds.identity.tolist() == [100, 100, 101, 101, 102, 102]
    assert ds.image_path(2) == tmp_path / "Img" / "img_align_celeba" / "000003.jpg"
    assert ds.image_path(2).is_file()
    np.testing.assert_array_equal(ds.attribute("Male"), labels[:, 20])
    assert ds.indices((0, 1)).tolist() == [0, 1, 2, 3, 4]


def test_real_spacing_is_irregular(tmp_path):
    anno = write_celeba(tmp_path)
    line = (anno / "list_attr_celeba.txt").read_text().splitlines()[2]
    assert "  1" in line and " -1" in line  # multi-space separators, as in the real file


@pytest.mark.parametrize("point_at_celeba", [False, True])
def test_torchvision_layout(tmp_path, point_at_celeba):
    labels = _labels()
    write_celeba(tmp_path, layout="torchvision", labels=labels, identity=False)
    root = tmp_path / "celeba" if point_at_celeba else tmp_path
    ds = load_celeba(root)
    np.testing.assert_array_equal(ds.labels, labels)
    assert ds.identity is None
    assert ds.image_path(0) == tmp_path / "celeba" / "img_align_celeba" / "000001.jpg"


def test_crlf_and_trailing_spaces(tmp_path):
    labels = _labels()
    write_celeba(tmp_path, labels=labels, eol="\r\n", trail="  ")
    ds = load_celeba(tmp_path)
    np.testing.assert_array_equal(ds.labels, labels)
    assert ds.filenames[-1] == "000006.jpg"
    assert ds.partition.tolist() == [0, 0, 0, 1, 1, 2]


def test_single_spaces_and_tabs(tmp_path):
    anno = write_celeba(tmp_path)
    labels = _labels()
    lines = [str(N), "\t".join(CELEBA_ATTRIBUTES)]
    lines += [f"{i + 1:06d}.jpg " + " ".join(map(str, r)) for i, r in enumerate(labels)]
    (anno / "list_attr_celeba.txt").write_text("\n".join(lines) + "\n\n")
    np.testing.assert_array_equal(load_celeba(tmp_path).labels, labels)


def test_partition_in_other_order(tmp_path):
    write_celeba(tmp_path)
    p = tmp_path / "Eval" / "list_eval_partition.txt"
    p.write_text("".join(reversed(p.read_text().splitlines(keepends=True))))
    assert load_celeba(tmp_path).partition.tolist() == [0, 0, 0, 1, 1, 2]


def test_missing_files_names_layouts(tmp_path):
    with pytest.raises(DataFormatError) as exc:
        load_celeba(tmp_path)
    msg = str(exc.value)
    assert "original" in msg and "torchvision" in msg
    assert "Anno/list_attr_celeba.txt" in msg and "celeba/list_attr_celeba.txt" in msg


def test_missing_partition_file(tmp_path):
    write_celeba(tmp_path)
    (tmp_path / "Eval" / "list_eval_partition.txt").unlink()
    with pytest.raises(DataFormatError, match="list_eval_partition.txt"):
        load_celeba(tmp_path)


def _rewrite_line(anno: Path, lineno: int, new: str) -> None:
    p = anno / "list_attr_celeba.txt"
    lines = p.read_text().splitlines()
    lines[lineno - 1] = new
    p.write_text("\n".join(lines) + "\n")


def test_count_mismatch(tmp_path):
    anno = write_celeba(tmp_path)
    _rewrite_line(anno, 1, "7")
    with pytest.raises(DataFormatError, match=r"line 1: the count says 7 images but .* lists 6"):
        load_celeba(tmp_path)


def test_bad_count_line(tmp_path):
    anno = write_celeba(tmp_path)
    _rewrite_line(anno, 1, "six")
    with pytest.raises(DataFormatError, match="line 1: expected the image count"):
        load_celeba(tmp_path)


def test_bad_value(tmp_path):
    anno = write_celeba(tmp_path)
    row = ["000002.jpg"] + ["1"] * 39 + ["0"]
    _rewrite_line(anno, 4, " ".join(row))
    with pytest.raises(DataFormatError) as exc:
        load_celeba(tmp_path)
    msg = str(exc.value)
    assert "list_attr_celeba.txt, line 4" in msg and "'0'" in msg and "Young" in msg


def test_wrong_column_count(tmp_path):
    anno = write_celeba(tmp_path)
    _rewrite_line(anno, 5, "000003.jpg" + "  1" * 39)
    with pytest.raises(DataFormatError, match=r"line 5: expected an image name and 40 values"):
        load_celeba(tmp_path)


def test_partition_names_do_not_match(tmp_path):
    write_celeba(tmp_path)
    p = tmp_path / "Eval" / "list_eval_partition.txt"
    p.write_text(p.read_text().replace("000004.jpg", "999999.jpg"))
    with pytest.raises(DataFormatError) as exc:
        load_celeba(tmp_path)
    msg = str(exc.value)
    assert "list_eval_partition.txt" in msg and "000004.jpg" in msg and "999999.jpg" in msg


def test_bad_partition_value(tmp_path):
    write_celeba(tmp_path)
    p = tmp_path / "Eval" / "list_eval_partition.txt"
    p.write_text(p.read_text().replace("000006.jpg 2", "000006.jpg 3"))
    with pytest.raises(DataFormatError, match=r"list_eval_partition.txt, line 6: .*0, 1, 2"):
        load_celeba(tmp_path)


def test_missing_images(tmp_path):
    write_celeba(tmp_path)
    for i in (2, 5):
        (tmp_path / "Img" / "img_align_celeba" / f"00000{i}.jpg").unlink()
    with pytest.raises(DataFormatError) as exc:
        load_celeba(tmp_path)
    msg = str(exc.value)
    assert "2 of 6 images" in msg and "000002.jpg" in msg and "000005.jpg" in msg
    assert len(load_celeba(tmp_path, check_images=False)) == N


def test_missing_image_folder(tmp_path):
    write_celeba(tmp_path, images=False)
    with pytest.raises(DataFormatError, match="img_align_celeba"):
        load_celeba(tmp_path)


def test_unknown_attribute(tmp_path):
    write_celeba(tmp_path)
    ds = load_celeba(tmp_path)
    with pytest.raises(FacecuesError) as exc:
        ds.attribute("Beard")
    assert "Beard" in str(exc.value) and "No_Beard" in str(exc.value)


def test_duplicate_image(tmp_path):
    anno = write_celeba(tmp_path)
    _rewrite_line(anno, 4, "000001.jpg" + "  1" * 40)
    with pytest.raises(DataFormatError, match="line 4: image '000001.jpg' listed twice"):
        load_celeba(tmp_path)
