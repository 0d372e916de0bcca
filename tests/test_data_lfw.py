"""LFW pairs loader against small fixtures written in the real on-disk format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facecues.data.lfw import load_lfw_pairs
from facecues.errors import DataFormatError

PEOPLE = {"Ann_Lee": 3, "Bo_Chen-Wu": 2, "Cy_Ode": 2}


def write_lfw(root: Path, sep: str = "\t", eol: str = "\n", images: bool = True) -> Path:
    """Two folds of two matched + two mismatched pairs; return the pairs.txt path."""
    lines = [
        f"2{sep}2",
        f"Ann_Lee{sep}1{sep}2",
        f"Bo_Chen-Wu{sep}1{sep}2",
        f"Ann_Lee{sep}1{sep}Bo_Chen-Wu{sep}2",
        f"Cy_Ode{sep}1{sep}Ann_Lee{sep}3",
        f"Cy_Ode{sep}1{sep}2",
        f"Ann_Lee{sep}2{sep}3",
        f"Bo_Chen-Wu{sep}1{sep}Cy_Ode{sep}2",
        f"Ann_Lee{sep}1{sep}Cy_Ode{sep}1",
    ]
    p = root / "pairs.txt"
    root.mkdir(parents=True, exist_ok=True)
    p.write_bytes((eol.join(lines) + eol).encode())
    if images:
        for name, n in PEOPLE.items():
            (root / "lfw" / name).mkdir(parents=True, exist_ok=True)
            for i in range(1, n + 1):
                Image.new("RGB", (10, 10), (50, 50, 50)).save(
                    root / "lfw" / name / f"{name}_{i:04d}.jpg"
                )
    return p


@pytest.mark.parametrize("sep,eol", [("\t", "\n"), ("  ", "\r\n")])
def test_load(tmp_path, sep, eol):
    write_lfw(tmp_path, sep=sep, eol=eol)
    pairs = load_lfw_pairs(tmp_path)
    assert len(pairs) == 8 and pairs.n_folds == 2
    assert pairs.same.dtype == bool and pairs.same.tolist() == [1, 1, 0, 0] * 2
    assert pairs.fold.dtype == np.int64 and pairs.fold.tolist() == [0] * 4 + [1] * 4
    assert pairs.path1[0] == tmp_path / "lfw" / "Ann_Lee" / "Ann_Lee_0001.jpg"
    assert pairs.path2[0] == tmp_path / "lfw" / "Ann_Lee" / "Ann_Lee_0002.jpg"
    assert pairs.path2[2] == tmp_path / "lfw" / "Bo_Chen-Wu" / "Bo_Chen-Wu_0002.jpg"
    assert pairs.path2[3].name == "Ann_Lee_0003.jpg"


def test_single_number_header(tmp_path):
    p = write_lfw(tmp_path)
    lines = p.read_text().splitlines()
    p.write_text("\n".join(["4"] + lines[1:3] + lines[5:7] + lines[3:5] + lines[7:9]) + "\n")
    pairs = load_lfw_pairs(tmp_path)
    assert pairs.n_folds == 1 and pairs.same.tolist() == [1] * 4 + [0] * 4


def test_missing_pairs_file(tmp_path):
    with pytest.raises(DataFormatError, match="pairs.txt"):
        load_lfw_pairs(tmp_path)


def _edit(p: Path, lineno: int, new: str | None) -> None:
    lines = p.read_text().splitlines()
    if new is None:
        del lines[lineno - 1]
    else:
        lines[lineno - 1] = new
    p.write_text("\n".join(lines) + "\n")


def test_bad_header(tmp_path):
    p = write_lfw(tmp_path)
    _edit(p, 1, "ten 300")
    with pytest.raises(DataFormatError, match=r"pairs.txt, line 1: expected 'n_folds n_per_fold'"):
        load_lfw_pairs(tmp_path)


def test_wrong_line_count(tmp_path):
    p = write_lfw(tmp_path)
    _edit(p, 9, None)
    with pytest.raises(DataFormatError, match=r"= 8 lines, but the file has 7"):
        load_lfw_pairs(tmp_path)


@pytest.mark.parametrize(
    "lineno,new,what",
    [
        (3, "Bo_Chen-Wu 1 Ann_Lee 2", "matched pair"),
        (4, "Ann_Lee 1 2", "mismatched pair"),
        (2, "Ann_Lee one 2", "matched pair"),
        (5, "Cy_Ode 1 Ann_Lee 0", "mismatched pair"),
    ],
)
def test_bad_pair_lines(tmp_path, lineno, new, what):
    p = write_lfw(tmp_path)
    _edit(p, lineno, new)
    with pytest.raises(DataFormatError) as exc:
        load_lfw_pairs(tmp_path)
    assert f"pairs.txt, line {lineno}" in str(exc.value) and what in str(exc.value)


def test_missing_images(tmp_path):
    write_lfw(tmp_path)
    (tmp_path / "lfw" / "Ann_Lee" / "Ann_Lee_0003.jpg").unlink()
    (tmp_path / "lfw" / "Cy_Ode" / "Cy_Ode_0002.jpg").unlink()
    with pytest.raises(DataFormatError) as exc:
        load_lfw_pairs(tmp_path)
    msg = str(exc.value)
    assert "2 of 7 images" in msg and "Ann_Lee_0003.jpg" in msg and "Cy_Ode_0002.jpg" in msg
    assert len(load_lfw_pairs(tmp_path, check_images=False)) == 8
