"""VGGFace2 loader against small fixtures written in the real on-disk format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facecues.data.vggface2 import load_vggface2
from facecues.errors import DataFormatError

NAMES = ["n000002/0001_01", "n000002/0002_01", "n000005/0001_02", "n000003/0010_01"]


def write_vgg(root: Path, names=NAMES, quote=True, eol="\n", images=True, split="train") -> Path:
    """Write a tiny VGGFace2 split; return the csv path."""
    (root / "bb_landmark").mkdir(parents=True, exist_ok=True)
    rows = ["NAME_ID,X,Y,W,H"]
    for k, name in enumerate(names):
        nid = f'"{name}"' if quote else name
        rows.append(f"{nid},{10 + k},{20 + k},{30 + k},{40 + k}")
        if images:
            p = root / split / f"{name}.jpg"
            p.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (12, 12), (10, 20, 30)).save(p)
    csv = root / "bb_landmark" / f"loose_bb_{split}.csv"
    csv.write_bytes((eol.join(rows) + eol).encode())
    return csv


@pytest.mark.parametrize("quote,eol", [(True, "\n"), (False, "\r\n")])
def test_load(tmp_path, quote, eol):
    write_vgg(tmp_path, quote=quote, eol=eol)
    ds = load_vggface2(tmp_path)
    assert ds.split == "train" and len(ds) == 4
    assert ds.names == NAMES
    assert ds.identities == ["n000002", "n000003", "n000005"]
    assert ds.labels.dtype == np.int64 and ds.labels.tolist() == [0, 0, 2, 1]
    assert ds.boxes.dtype == np.int64 and ds.boxes.shape == (4, 4)
    assert ds.boxes[1].tolist() == [11, 21, 31, 41]
    assert ds.image_path(2) == tmp_path / "train" / "n000005" / "0001_02.jpg"


def test_exclude_and_other_split(tmp_path):
    write_vgg(tmp_path, split="test")
    ds = load_vggface2(tmp_path, split="test", exclude_identities={"n000002"})
    assert ds.names == ["n000005/0001_02", "n000003/0010_01"]
    assert ds.identities == ["n000003", "n000005"] and ds.labels.tolist() == [1, 0]
    assert ds.boxes[:, 0].tolist() == [12, 13]
    assert ds.image_path(0) == tmp_path / "test" / "n000005" / "0001_02.jpg"


def test_missing_csv(tmp_path):
    with pytest.raises(DataFormatError, match=r"bb_landmark/loose_bb_train.csv"):
        load_vggface2(tmp_path)


def test_bad_header(tmp_path):
    csv = write_vgg(tmp_path)
    csv.write_text(csv.read_text().replace("NAME_ID,X,Y,W,H", "NAME,X,Y,W,H"))
    with pytest.raises(DataFormatError, match=r"loose_bb_train.csv, line 1: expected the header"):
        load_vggface2(tmp_path)


@pytest.mark.parametrize(
    "row,what",
    [
        ('"n000002/0003_01",1,2,3', "expected 5 fields"),
        ('"n000002/0003_01",1,2,three,4', "must be numbers"),
        ('"n000002",1,2,3,4', "<identity>/<image>"),
        ('"n000002/0003_01",1,2,0,4', "positive"),
    ],
)
def test_malformed_row(tmp_path, row, what):
    csv = write_vgg(tmp_path)
    lines = csv.read_text().splitlines()
    lines.insert(3, row)
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError) as exc:
        load_vggface2(tmp_path)
    assert "loose_bb_train.csv, line 4" in str(exc.value) and what in str(exc.value)


def test_missing_images(tmp_path):
    write_vgg(tmp_path)
    (tmp_path / "train" / "n000005" / "0001_02.jpg").unlink()
    with pytest.raises(DataFormatError) as exc:
        load_vggface2(tmp_path)
    assert "1 of 4 images" in str(exc.value) and "0001_02.jpg" in str(exc.value)
    assert len(load_vggface2(tmp_path, check_images=False)) == 4
