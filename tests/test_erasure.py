"""Erasure: the closed-form LEACE against the reference (concept-erasure), its guarantee,
the eraser inside a real network's forward pass, bad input, and the summary's reading."""

import numpy as np
import pytest
import torch

from facecues.errors import ConfigError, FacecuesError
from facecues.interventions.erasure import erasure_sites
from facecues.nets.probe_points import capture, run_from
from facecues.nets.resnet import FaceResNet
from facecues.probes.erasure import eraser_method, fit_leace, fit_orth
from facecues.results.erasure import erasure_lines, planted_check, ranking, worked_points
from facecues.study.config import erasure_points, load_config
from tests.conftest import erasure_table

concept_erasure = pytest.importorskip("concept_erasure")


def _data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 2, n)
    mix = rng.normal(size=(d, d)) / np.sqrt(d)
    x = rng.normal(size=(n, d)) @ mix + np.outer(z, rng.normal(size=d)) + 3.0
    return x, z


@pytest.mark.parametrize("n,d", [(400, 30), (60, 200), (150, 150)])
@pytest.mark.parametrize("shrinkage", [True, False])
def test_closed_form_leace_equals_the_reference(n, d, shrinkage):
    x, z = _data(n, d)
    ref = concept_erasure.LeaceFitter.fit(
        torch.tensor(x),
        torch.tensor(z, dtype=torch.float64),
        shrinkage=shrinkage,
        constrain_cov_trace=False,
    ).eraser
    ours = fit_leace(x, z, shrinkage=shrinkage)
    expected = ref(torch.tensor(x)).numpy()
    scale = np.abs(x).max()
    assert np.abs(ours(x) - expected).max() < 1e-9 * scale
    p_ref = np.eye(d) - ref.P.numpy()
    assert np.abs(ours.matrix() - p_ref).max() < 1e-8 * max(1.0, np.abs(p_ref).max())
    assert ours.rank == 1


@pytest.mark.parametrize("n,d", [(400, 30), (60, 200)])
def test_orthogonal_eraser_equals_the_reference(n, d):
    x, z = _data(n, d, seed=3)
    ref = concept_erasure.LeaceFitter.fit(
        torch.tensor(x), torch.tensor(z, dtype=torch.float64), method="orth"
    ).eraser
    ours = fit_orth(x, z)
    assert np.abs(ours(x) - ref(torch.tensor(x)).numpy()).max() < 1e-9 * np.abs(x).max()
    assert ours.rank == 1
    # on its sample the classes share their mean, as after LEACE; the mean is kept
    erased = ours(x)
    gap = erased[z == 1].mean(0) - erased[z == 0].mean(0)
    before = x[z == 1].mean(0) - x[z == 0].mean(0)
    assert np.abs(gap).max() < 1e-9 * np.abs(before).max()
    assert np.allclose(erased.mean(0), x.mean(0))


def test_the_eraser_method_follows_the_fitting_images_per_unit():
    assert eraser_method("auto", 4096, 512) == "leace"
    assert eraser_method("auto", 4096, 2048) == "orth"
    assert eraser_method("orth", 4096, 16) == "orth"
    assert eraser_method("leace", 4096, 512) == "leace"
    with pytest.raises(FacecuesError, match="2048 units needs at least 16384 fitting images"):
        eraser_method("leace", 4096, 2048)
    with pytest.raises(FacecuesError, match="erasure.method = pca"):
        eraser_method("pca", 4096, 16)


@pytest.mark.parametrize("n,d", [(400, 30), (60, 200)])
def test_after_erasure_the_classes_share_their_mean(n, d):
    """LEACE's guarantee on the fitting sample: no linear function separates the classes
    (equal class means), and -1/+1 labels give the same eraser as 0/1."""
    x, z = _data(n, d, seed=1)
    erased = fit_leace(x, z)(x)
    gap = erased[z == 1].mean(0) - erased[z == 0].mean(0)
    before = x[z == 1].mean(0) - x[z == 0].mean(0)
    assert np.abs(gap).max() < 1e-9 * np.abs(before).max()
    assert np.allclose(fit_leace(x, 2 * z - 1)(x), erased)
    # the mean is kept
    assert np.allclose(erased.mean(0), x.mean(0))


def test_a_concept_under_the_tolerance_is_not_erased():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 5))
    z = np.tile([0, 1], 100)
    eraser = fit_leace(x - x[z == 1].mean(0) * z[:, None] + x[z == 0].mean(0) * z[:, None], z)
    assert eraser.rank == 0


def test_bad_labels_and_too_few_samples_are_one_clear_error():
    x, z = _data(50, 10)
    with pytest.raises(FacecuesError, match="1 present samples"):
        fit_leace(x, np.r_[np.zeros(49, int), 1])
    with pytest.raises(FacecuesError, match="binary attribute"):
        fit_leace(x, np.arange(50) % 3)
    with pytest.raises(FacecuesError, match="expected 50 labels"):
        fit_leace(x, z[:40])
    with pytest.raises(FacecuesError, match=r"shape \(n, d\)"):
        fit_leace(x[None], z)


def test_the_rest_of_the_pass_from_a_point_is_the_whole_pass():
    """run_from (the erasure jobs' pass on from an erased point) gives the whole pass's
    later activations and embedding from the point's own activations, at the stem, a
    block output and the pool; an erased point changes what follows."""
    torch.manual_seed(0)
    model = FaceResNet(0, base_width=4).eval()
    for m in model.modules():  # non-trivial residual branches
        if isinstance(m, torch.nn.BatchNorm2d):
            torch.nn.init.normal_(m.weight, 1.0, 0.2)
    x = torch.randn(24, 3, 32, 32)
    with torch.no_grad(), capture(model, [1, 10, 40, 50]) as acts:
        emb = model.embed(x)
        whole = {p: acts[p].clone() for p in (1, 10, 40, 50)}
    for start in (1, 10, 50):
        with torch.no_grad(), capture(model, [40]) as acts:
            got = run_from(model, start, whole[start])
            if start < 40:
                assert torch.allclose(acts[40], whole[40], atol=1e-5)
        assert torch.allclose(got, emb, atol=1e-5), start
    flat = whole[10].flatten(1)
    eraser = fit_leace(flat.double().numpy(), np.tile([0, 1], 12))
    erased = eraser(flat)
    assert erased.dtype == torch.float32
    assert np.allclose(erased.numpy(), eraser(flat.double().numpy()), atol=1e-4)
    with torch.no_grad():
        assert not torch.allclose(run_from(model, 10, erased.reshape(whole[10].shape)), emb)
    with pytest.raises(ValueError, match="not a whole module's output"):
        run_from(model, 5, whole[10])


def test_erasure_points_must_be_whole_modules():
    model = FaceResNet(0, base_width=4)
    with pytest.raises(FacecuesError, match="L05 .*inside a block"):
        erasure_sites(model, [5])
    with pytest.raises(FacecuesError, match="L51: the network has points L01-L50"):
        erasure_sites(model, [51])
    assert erasure_points(load_config()) == ["L10", "L22", "L40", "L49", "L50"]
    with pytest.raises(ConfigError, match=r"erasure.points: L99 \(no such point"):
        load_config(given={"erasure": {"points": ["L99", "L10"]}})
    with pytest.raises(ConfigError, match=r"L06 \(layer1.1.relu2, inside a block\)"):
        load_config(given={"erasure": {"points": ["L06"]}})
    # too few validation images for the residual check: refused at start when erasure is on
    few = {"erasure": {"enabled": True}, "probe": {"val_per_class": 17}}
    with pytest.raises(ConfigError, match="probe.val_per_class = 17 is too few for erasure"):
        load_config(given=few)
    load_config(given={**few, "erasure": {"enabled": False}})


def test_the_summary_ranks_attributes_and_judges_the_planted_truth():
    kinds = {"Male": "identity", "Eyeglasses": "identity", "Smiling": "image"}
    t = erasure_table(
        {
            "Male": [0.05, 0.06, 0.055],
            "Eyeglasses": [0.03, 0.02, 0.025],
            "Smiling": [0.003, 0.002, 0.004],
        }
    )
    r = ranking(t, kinds)
    assert list(r["attribute"]) == ["Male", "Eyeglasses", "Smiling"]
    assert r.iloc[0]["kind"] == "identity-bound"
    check, why = planted_check(t, kinds)
    assert check == "yes", why
    lines = "\n".join(erasure_lines(t, kinds))
    assert "| 1 | Male | identity-bound | +5.5 p.p." in lines
    assert "rank 1: LEACE at L50; orthogonal at L10 (4,096 fitting images)" in lines
    assert "| 51.0% | 56.0% | 6 of 6 |" in lines
    assert "whole-layer probe still reads the attribute at 18 of 18" in lines
    # the reverse world: per-image attributes cost more
    flipped = {"Male": "image", "Eyeglasses": "image", "Smiling": "identity"}
    assert planted_check(t, flipped)[0] == "no"
    # random directions costing more than per-image attributes fail the check
    assert (
        planted_check(
            erasure_table(
                {"Male": [0.05, 0.06], "Smiling": [0.003, 0.002]}, control_accuracy=0.9 - 0.02
            ),
            kinds,
        )[0]
        == "no"
    )
    # residual probes off chance are named
    t.loc[0, ["at_chance", "residual_linear_accuracy"]] = [False, 0.6]
    assert "Not at chance after erasure at 1 of 18" in "\n".join(erasure_lines(t, kinds))
    # an erasure that left the attribute readable at most points is not judged
    t["at_chance"] = [True] * 5 + [False] * 13
    check, why = planted_check(t, kinds)
    assert check is None and "stayed linearly readable after erasure at 13 of 18" in why
    # judged at the points where it worked, on their rows only
    t["at_chance"] = t["point"] == "L50"
    t.loc[t["point"] == "L10", "verification_accuracy_erased"] = 0.9  # no drop at L10
    assert worked_points(t) == ["L50"]
    check, why = planted_check(t, kinds)
    assert check == "yes" and why.startswith("at L50, erasing identity-bound")
    assert "the mean over L50 (the points where the erasure worked" in "\n".join(
        erasure_lines(t, kinds)
    )


@pytest.mark.parametrize(
    "device",
    [
        "cpu",
        pytest.param(
            "cuda",
            marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
        ),
    ],
)
def test_erase_attribute_on_a_real_world(tiny_world, device):
    """The erasure step on the tiny world's CelebA and LFW files, on the CPU and on a GPU
    where there is one: a row per point in depth order, the later points' probes, every
    accuracy in [0, 1]."""
    from facecues.data.celeba import load_celeba
    from facecues.data.lfw import load_lfw_pairs
    from facecues.interventions.erasure import COLUMNS, erase_attribute

    celeba = load_celeba(tiny_world / "celeba", check_images=False)
    labels = celeba.attribute("Male")
    rows = np.arange(len(labels))
    pos, neg = rows[labels > 0], rows[labels < 0]
    train = np.r_[pos[:12], neg[:12]]
    val = np.r_[pos[12:30], neg[12:30]]
    paths = [celeba.image_path(i) for i in rows]
    torch.manual_seed(0)
    model = FaceResNet(0, base_width=4)
    extra = np.r_[pos[30:40], neg[30:40]]
    table, downstream = erase_attribute(
        model,
        train=([paths[i] for i in train], labels[train]),
        val=([paths[i] for i in val], labels[val], celeba.identity[val]),
        extra=([paths[i] for i in extra], labels[extra]),
        pairs=load_lfw_pairs(tiny_world / "lfw"),
        points=[50, 1, 22],
        input_size=32,
        lfw_crop=0.6,
        device=device,
        network="x",
        attribute="Male",
        n_components=2,  # the halves split by person hold few of the tiny world's images
    )
    assert [r["point"] for r in table] == ["L01", "L22", "L50"]
    assert set(table[0]) == set(COLUMNS)
    # 44 fitting images: LEACE only where the point has at most 11 units (none here)
    assert [(r["method"], r["fit_images"]) for r in table] == [("orth", 44)] * 3
    for r in table:
        for key in (
            "probe_accuracy",
            "residual_accuracy",
            "residual_linear_accuracy",
            "verification_accuracy_erased",
            "chance_bound",
        ):
            assert 0 <= r[key] <= 1, (key, r)
        assert r["at_chance"] == (r["residual_linear_accuracy"] <= r["chance_bound"])
        assert r["verdict"].startswith(
            "linearly removable at" if r["at_chance"] else "not linearly removed"
        )
    assert [(d["point"], d["later_point"]) for d in downstream] == [
        ("L01", "L22"),
        ("L01", "L50"),
        ("L22", "L50"),
    ]


def test_the_erasers_extra_images_are_summed_a_batch_at_a_time(tiny_world):
    """The eraser fitted from the extra images' streamed statistics (rows at a LEACE
    point, class sums at an orthogonal one) equals the eraser fitted on all rows at once;
    the extra rows drawn for it never repeat the training sample's."""
    from facecues.data.celeba import load_celeba
    from facecues.interventions.erasure import (
        _extra_statistics,
        _fit_eraser,
        _images,
        extra_fit_rows,
    )

    celeba = load_celeba(tiny_world / "celeba", check_images=False)
    labels = celeba.attribute("Male")
    rows = np.arange(len(celeba))
    train, val = rows[:16], rows[16:56]
    extra = extra_fit_rows(rows, train, val, 40, np.random.default_rng(0))
    assert len(extra) == 24 and not set(extra) & (set(train) | set(val))
    everything = extra_fit_rows(rows, train, val, len(rows), np.random.default_rng(0))
    assert sorted(everything) == list(rows[56:])  # all but the probes' samples
    assert len(extra_fit_rows(rows, train, val, 8, np.random.default_rng(0))) == 0
    torch.manual_seed(0)
    model = FaceResNet(0, base_width=4).eval()
    paths = [celeba.image_path(i) for i in np.r_[train, extra]]
    with torch.no_grad(), capture(model, [1, 50]) as acts:
        model.embed(_images(paths, 32))
        full = {p: acts[p].flatten(1).numpy() for p in (1, 50)}
    y, z = labels[train], labels[extra]
    shuffled = np.random.default_rng(1).permutation(z)
    methods = {1: "orth", 50: "leace"}
    rows, sums = _extra_statistics(model, paths[16:], [z, shuffled], methods, 32, 5, "cpu")
    assert set(rows) == {50} and set(sums) == {1}
    for p, method in methods.items():
        tr = full[p][:16]
        for k, labelling in enumerate([z, shuffled]):
            streamed = _fit_eraser(
                method, tr, y, rows.get(p), sums[p][k] if p in sums else None, labelling
            )
            whole = (fit_leace if method == "leace" else fit_orth)(
                full[p].astype(np.float64), np.r_[y, labelling]
            )
            assert np.allclose(streamed(full[p]), whole(full[p]), atol=1e-4)
