import numpy as np
import pandas as pd
import pytest
from PIL import Image

from facecues.nets.layout import resnet50_depths
from facecues.results.figures.depth import fig3, fig3_curves, fig4
from facecues.results.figures.faces import _unit_label, average_faces, fig_average_faces
from facecues.results.figures.style import trained_rows
from facecues.results.figures.vip import fig5

KINDS = ["stem"] + ["inner", "inner", "output"] * 16 + ["pool"]
R50 = resnet50_depths()  # the points of _table: ResNet-50's


def _table(attrs=("Narrow_Eyes", "Male"), networks=("0", "1"), vip_rows=10):
    rng = np.random.default_rng(1)
    rows = []
    for network in networks:
        for attr in attrs:
            for d, kind in enumerate(KINDS, start=1):
                base = 0.7 + (0.0 if kind != "inner" else -0.03) + rng.normal(0, 0.01)

                def add(probe, rank, acc, vip, d=d, kind=kind, network=network, attr=attr):
                    rows.append(
                        dict(
                            network=network,
                            attribute=attr,
                            point=f"L{d:02d}",
                            name=f"n{d}",
                            kind=kind,
                            depth=d,
                            probe=probe,
                            rank=rank,
                            units="1 2",
                            vip=vip,
                            accuracy=acc,
                        )
                    )

                add("layer", 0, base, 1.0)
                add("filters", 0, base - 0.02, 2.0)
                add("neurons", 0, base - 0.05, 5.0)
                for r in range(1, 3):
                    add("neuron", r, base - 0.1, 6.0 - r)
                for r in range(1, vip_rows + 1):
                    v = 6.0 * (r - 1) / (vip_rows - 1)
                    add("vip", r, 0.5 + 0.03 * v + rng.normal(0, 0.01), v)
    return pd.DataFrame(rows)


def _nonempty(*paths):
    for p in paths:
        assert p.exists() and p.stat().st_size > 1000, p


def test_fig4(tmp_path):
    table = _table()
    control = table[table["network"] == "0"].assign(network="random0", accuracy=0.5)
    fig4(
        pd.concat([table, control]),
        "Narrow_Eyes",
        tmp_path / "f4.png",
        tmp_path / "f4.pdf",
        depths=R50,
    )
    _nonempty(tmp_path / "f4.png", tmp_path / "f4.pdf")


def test_fig4_missing_attribute(tmp_path):
    with pytest.raises(ValueError, match=r"'Smiling'.*available: Male, Narrow_Eyes"):
        fig4(_table(), "Smiling", tmp_path / "x.png", depths=R50)


def test_fig5(tmp_path):
    rng = np.random.default_rng(0)
    vips = [rng.lognormal(-0.5, 0.7, size=500) for _ in range(20)]
    fig5(vips, _table(networks=("0",)), "Male", tmp_path / "f5.png", tmp_path / "f5.pdf")
    _nonempty(tmp_path / "f5.png", tmp_path / "f5.pdf")
    with pytest.raises(ValueError, match="VIP array"):
        fig5([], _table(networks=("0",)), "Male", tmp_path / "g.png")


def test_average_faces_exact():
    # image i is constant, equal to its activation -> means are known exactly
    act = np.array([5, 1, 9, 3, 7, 0, 8, 2], dtype=float)
    images = np.stack([np.full((4, 3, 3), a, dtype=np.uint8) for a in act])
    top, bottom = average_faces(images, act, k=3)
    assert top.shape == (4, 3, 3) and top.dtype == np.float64
    assert np.all(top == (9 + 8 + 7) / 3) and np.all(bottom == (0 + 1 + 2) / 3)
    # grayscale list input, ties keep the lower index
    gray = [np.full((2, 2), v, dtype=np.uint8) for v in (10, 20, 30)]
    top, bottom = average_faces(gray, [1.0, 1.0, 0.0], k=1)
    assert top.shape == (2, 2, 3) and np.all(top == 10) and np.all(bottom == 30)
    with pytest.raises(ValueError, match="activations"):
        average_faces(images, act[:-1], k=2)
    with pytest.raises(ValueError, match="k = 9"):
        average_faces(images, act, k=9)


def test_average_faces_from_paths(tmp_path):
    paths = []
    for i, v in enumerate((0, 100, 200, 250)):
        p = tmp_path / f"{i}.png"
        Image.fromarray(np.full((5, 4, 3), v, dtype=np.uint8)).save(p)
        paths.append(p)
    top, bottom = average_faces(paths, [0, 1, 2, 3], k=2, loader="pil")
    assert np.all(top == 225) and np.all(bottom == 50)


def test_fig_average_faces(tmp_path):
    rng = np.random.default_rng(0)
    panels = [
        dict(
            top=rng.uniform(0, 255, (13, 11, 3)),
            bottom=rng.uniform(0, 255, (13, 11, 3)),
            attribute="Eyeglasses",
            point="L34",
            name="layer3.4.relu1",
            unit=1234 + i,
            shape=(256, 14, 14),
            k=100,
        )
        for i in range(5)
    ]
    panels[-1].pop("shape")
    fig_average_faces(panels, tmp_path / "f1.png", tmp_path / "f1.pdf")
    _nonempty(tmp_path / "f1.png", tmp_path / "f1.pdf")
    with pytest.raises(ValueError, match="at least one"):
        fig_average_faces([], tmp_path / "e.png")


def test_unit_label():
    assert _unit_label({"unit": 1234, "shape": (256, 14, 14)}) == "unit 1234 (c6, y4, x2)"
    assert _unit_label({"unit": 17, "shape": (2048,)}) == "unit 17"


def test_controls_stay_out_of_the_trained_curves(tmp_path):
    trained = _table().assign(identity_task_accuracy=0.6)
    random = _table(networks=("random0",)).assign(accuracy=0.55, identity_task_accuracy=np.nan)
    both = pd.concat([trained, random], ignore_index=True)
    curves, untrained, identity = fig3_curves(both)
    alone, _, _ = fig3_curves(trained)
    pd.testing.assert_frame_equal(curves, alone)  # the untrained rows change nothing
    assert (untrained["probe"] == "layer").all() and np.allclose(untrained["mean"], 0.55)
    assert np.allclose(identity["mean"], 0.6) and len(identity) == 2 * 50
    assert set(trained_rows(both)["network"]) == {"0", "1"}
    fig3(both, tmp_path / "fig3.png", tmp_path / "fig3.pdf", depths=R50)
    _nonempty(tmp_path / "fig3.png", tmp_path / "fig3.pdf")
