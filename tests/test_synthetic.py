"""The synthetic face world: config, determinism, real formats, truthful labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facecues.data.celeba import CELEBA_ATTRIBUTES, load_celeba
from facecues.data.lfw import load_lfw_pairs
from facecues.data.synthetic.__main__ import main as cli_main
from facecues.data.synthetic.config import SyntheticConfig
from facecues.data.synthetic.people import ATTRIBUTES, IDENTITY, IMAGE, UNRENDERED, true_labels
from facecues.data.synthetic.render import render_image
from facecues.data.synthetic.world import plan_world, write_world
from facecues.data.vggface2 import load_vggface2
from facecues.errors import ConfigError, FacecuesError

TINY = dict(
    vgg_identities=5,
    vgg_images_per_identity=4,
    lfw_identities=4,
    lfw_images_per_identity=3,
    lfw_folds=2,
    lfw_pairs_per_fold=3,
    celeba_train_identities=6,
    celeba_val_identities=2,
    celeba_test_identities=2,
    celeba_images_per_identity=3,
    occlusion_rate=0.2,
)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("world")
    manifest = write_world(out, SyntheticConfig.from_dict({**TINY, "workers": 1}))
    return out, manifest


# ----------------------------------------------------------------------------- config
def test_config_defaults_and_from_dict():
    cfg = SyntheticConfig()
    assert cfg.vgg_identities == 100 and cfg.celeba_size == (64, 78)
    cfg2 = SyntheticConfig.from_dict({"seed": 3, "scale": [0.9, 1.1], "celeba_size": [32, 40]})
    assert cfg2.seed == 3 and cfg2.scale == (0.9, 1.1) and cfg2.celeba_size == (32, 40)
    assert SyntheticConfig.from_dict(cfg2.to_dict()) == cfg2
    assert "workers" not in cfg2.to_dict(include_workers=False)


def test_config_rejects_unknown_and_bad_values():
    with pytest.raises(FacecuesError) as exc:
        SyntheticConfig.from_dict({"vgg_identites": 5})
    assert "'vgg_identites'" in str(exc.value) and "vgg_identities" in str(exc.value)
    # the same schema machinery as the study's config (facecues.schema)
    with pytest.raises(ConfigError, match="synthetic: config key seed: 'zero' is not of type"):
        SyntheticConfig.from_dict({"seed": "zero"})
    with pytest.raises(ConfigError, match="config key scale: 1.0 is not of type 'array'"):
        SyntheticConfig.from_dict({"scale": 1.0})
    with pytest.raises(ConfigError, match=r"config key jpeg_quality.1: 101 is greater"):
        SyntheticConfig.from_dict({"jpeg_quality": [60, 101]})
    with pytest.raises(FacecuesError, match="lfw_pairs_per_fold"):
        SyntheticConfig.from_dict({**TINY, "lfw_pairs_per_fold": 50})
    with pytest.raises(FacecuesError, match="at least 2 per fold"):
        SyntheticConfig(lfw_identities=10, lfw_folds=10)


def test_default_world_has_enough_positives_and_negatives():
    """Balanced samples of 768 per class must fit for every attribute (labels only, no pixels)."""
    plan = plan_world(SyntheticConfig())
    tv = plan.celeba_partition <= 1
    pos = (plan.celeba_labels[tv] == 1).sum(0)
    neg = (plan.celeba_labels[tv] == -1).sum(0)
    short = [a for a, p, n in zip(CELEBA_ATTRIBUTES, pos, neg, strict=True) if min(p, n) < 768]
    assert not short, short
    assert len(plan.celeba_files) == 480 * 12 and len(plan.vgg_rows) == 4000


# ----------------------------------------------------------------------------- files
def test_world_files_load_with_the_real_loaders(world):
    out, manifest = world
    cfg = SyntheticConfig.from_dict(TINY)
    c = load_celeba(out / "celeba")
    assert c.image_dir == out / "celeba" / "Img" / "img_align_celeba"
    assert c.attr_names == list(CELEBA_ATTRIBUTES) and len(c) == 10 * 3
    img = Image.open(c.image_path(0))
    assert img.size == cfg.celeba_size and img.format == "JPEG"
    # partitions are disjoint by identity and sized as configured
    ids = {p: set(c.identity[c.partition == p].tolist()) for p in (0, 1, 2)}
    assert [len(ids[p]) for p in (0, 1, 2)] == [6, 2, 2]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])

    v = load_vggface2(out / "vggface2")
    assert len(v.identities) == 5 and len(v) == 20
    for i in range(len(v)):
        w, h = Image.open(v.image_path(i)).size
        x, y, bw, bh = v.boxes[i].tolist()
        assert 96 <= w <= 112 and 96 <= h <= 112
        assert 0 <= x and 0 <= y and x + bw <= w and y + bh <= h and 64 <= bw <= 72

    pairs = load_lfw_pairs(out / "lfw")
    assert len(pairs) == 2 * 2 * 3 and pairs.n_folds == 2
    assert pairs.same.tolist() == ([True] * 3 + [False] * 3) * 2
    lfw_people = {p.parent.name for p in pairs.path1 + pairs.path2}
    assert not lfw_people & set(v.identities)
    for f in (0, 1):  # folds disjoint by identity, as in real LFW
        other = {p.parent.name for k, p in enumerate(pairs.path1) if pairs.fold[k] != f}
        mine = {p.parent.name for k, p in enumerate(pairs.path1) if pairs.fold[k] == f}
        assert not mine & other
    assert Image.open(pairs.path1[0]).size == (112, 112)
    assert manifest["images_written"] == 30 + 20 + 12


def test_attribute_file_has_real_irregular_spacing(world):
    out, _ = world
    lines = (out / "celeba" / "Anno" / "list_attr_celeba.txt").read_text().splitlines()
    assert lines[0] == "30" and lines[1].split() == list(CELEBA_ATTRIBUTES)
    row = lines[2]
    assert row.startswith("000001.jpg") and len(row) == len("000001.jpg") + 3 * 40
    assert "  1" in "".join(lines[2:]) and " -1" in row


def test_world_json(world):
    out, manifest = world
    w = json.loads((out / "world.json").read_text())
    assert set(w["attributes"]) == set(CELEBA_ATTRIBUTES)
    assert "workers" not in w["config"] and w["config"]["seed"] == 0
    kinds = w["kinds"]
    assert len(kinds[IDENTITY]) + len(kinds[IMAGE]) >= 16
    assert {"Male", "Eyeglasses", "Wearing_Hat"} <= set(kinds[IDENTITY])
    assert {"Smiling", "Mouth_Slightly_Open", "Blurry", "Pale_Skin"} <= set(kinds[IMAGE])
    assert set(kinds[UNRENDERED]) and all(
        not w["attributes"][a]["rendered"] for a in kinds[UNRENDERED]
    )
    c = load_celeba(out / "celeba", check_images=False)
    male = w["attributes"]["Male"]["prevalence"]["all"]
    assert male == pytest.approx((c.attribute("Male") == 1).mean(), abs=1e-4)
    people = json.loads((out / "people.json").read_text())
    assert len(people["vggface2"]) == 5 and len(people["celeba"]) == 10
    assert manifest["attributes"] == w["attributes"]


def test_deterministic_for_any_worker_count(world, tmp_path):
    out, _ = world
    again = write_world(tmp_path / "w2", SyntheticConfig.from_dict({**TINY, "workers": 2}))
    assert again["workers"] == 2
    a, b = _tree(out), _tree(tmp_path / "w2")
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_seed_changes_the_world(tmp_path):
    cfg = {**TINY, "vgg_identities": 2, "lfw_identities": 4, "workers": 1}
    cfg.update(celeba_train_identities=2, celeba_val_identities=1, celeba_test_identities=1)
    write_world(tmp_path / "a", SyntheticConfig.from_dict(cfg))
    write_world(tmp_path / "b", SyntheticConfig.from_dict({**cfg, "seed": 1}))
    a = (tmp_path / "a" / "celeba" / "Img" / "img_align_celeba" / "000001.jpg").read_bytes()
    b = (tmp_path / "b" / "celeba" / "Img" / "img_align_celeba" / "000001.jpg").read_bytes()
    assert a != b


# ----------------------------------------------------------------------------- truth
def test_labels_are_the_drawn_state_without_label_noise():
    cfg = SyntheticConfig.from_dict({**TINY, "label_noise": 0.0})
    plan = plan_world(cfg)
    rendered = [j for j, a in enumerate(CELEBA_ATTRIBUTES) if ATTRIBUTES[a].kind != UNRENDERED]
    celeba_jobs = [j for j in plan.jobs if j.paths[0].startswith("celeba/")]
    index = {f: k for k, f in enumerate(plan.celeba_files)}
    for job in celeba_jobs:
        rows = [index[Path(p).name] for p in job.paths]
        for st, r in zip(job.states, rows, strict=True):
            expect = true_labels(job.person, st)
            np.testing.assert_array_equal(plan.celeba_labels[r, rendered], expect[rendered])
        # identity traits without per-image toggles are constant within a person
        labels = plan.celeba_labels[rows]
        for name in ("Male", "Big_Nose", "Black_Hair", "Goatee", "Young"):
            j = CELEBA_ATTRIBUTES.index(name)
            assert len(set(labels[:, j].tolist())) == 1


def _pair_diff(person, st, key, value, region):
    """Mean absolute pixel change inside and outside ``region`` when st[key] is set to value."""
    base = dict(st, occlusion=False, blur_sigma=0.0, noise_sigma=0.0, rotation=0.0, dx=0.0, dy=0.0)
    base["scale"] = 1.0
    off = np.asarray(
        render_image(person, {**base, key: not value}, (64, 78), (0, 0, 64, 78)), float
    )
    on = np.asarray(render_image(person, {**base, key: value}, (64, 78), (0, 0, 64, 78)), float)
    diff = np.abs(on - off).mean(2)
    y0, y1, x0, x1 = region
    inside = diff[y0:y1, x0:x1].mean()
    mask = np.ones_like(diff, bool)
    mask[y0:y1, x0:x1] = False
    return inside, diff[mask].mean()


def test_rendered_attributes_change_the_right_region():
    plan = plan_world(SyntheticConfig.from_dict(TINY))
    # eyes near y = 0.62 face units = 40 px of 78; mouth near y = 0.85 -> 55 px
    checks = [
        ("glasses_on", (30, 50, 8, 56)),
        ("smiling", (47, 64, 14, 50)),
        ("mouth_open", (47, 64, 14, 50)),
        ("hat_on", (0, 36, 0, 64)),
    ]
    for job in plan.jobs[-4:]:
        for key, region in checks:
            inside, outside = _pair_diff(job.person, dict(job.states[0]), key, True, region)
            assert inside > 1.0 and inside > 5 * outside, (key, inside, outside)


def test_cli(tmp_path, capsys):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("\n".join(f"{k}: {v}" for k, v in TINY.items()) + "\nvgg_identities: 2\n")
    assert cli_main([str(tmp_path / "out"), "--config", str(cfg), "--workers", "1"]) == 0
    text = capsys.readouterr().out
    assert "vggface2: 2 identities, 8 images" in text and "celeba:" in text
    assert (tmp_path / "out" / "world.json").is_file()
    bad = tmp_path / "bad.json"
    bad.write_text('{"colour": 1}')
    assert cli_main([str(tmp_path / "x"), "--config", str(bad)]) == 2
    assert "unknown synthetic-world config key" in capsys.readouterr().err
