"""Counterfactual faces (docs/protocol.md section 14): each flip changes its attribute's
label (or its declared bundle's) and nothing else, the nuisance controls change no
label, the people are new, and the world's own renders stay what they were."""

import hashlib

import numpy as np
import pytest

from facecues.data.celeba import CELEBA_ATTRIBUTES
from facecues.data.synthetic import counterfactual as cf
from facecues.data.synthetic.config import SyntheticConfig
from facecues.data.synthetic.people import ATTRIBUTES, HAIR_RGB, UNRENDERED
from facecues.data.synthetic.render import jpeg_bytes, render_image
from facecues.data.synthetic.world import plan_world
from facecues.errors import FacecuesError

CFG = SyntheticConfig()


@pytest.fixture(scope="module")
def faces():
    return [face for person in cf.new_people(CFG, 40, 3) for face in person]


def _moved(a: dict, b: dict) -> set[str]:
    """The keys whose values differ (arrays compared element-wise)."""
    return {k for k in a if not np.array_equal(np.asarray(a[k], object), np.asarray(b[k], object))}


def _changed(a: cf.Face, b: cf.Face) -> set[str]:
    return {CELEBA_ATTRIBUTES[j] for j in np.flatnonzero(a.labels() != b.labels())}


@pytest.mark.parametrize("attribute", sorted(cf.FLIPS))
def test_a_flip_changes_its_attribute_and_only_its_bundle(faces, attribute):
    f = cf.FLIPS[attribute]
    done = 0
    for face in faces:
        g = cf.flip(attribute, face)
        if g is None:
            assert not f.eligible(face)
            continue
        done += 1
        changed = _changed(face, g)
        assert attribute in changed
        assert changed <= {attribute, *f.bundle}, (attribute, changed)
        if f.level == "image":  # the person untouched, one state field (blur: and its sigma)
            assert not _moved(face.person, g.person)
            moved = _moved(face.state, g.state)
            assert len(moved) == 1 or moved == {"blurry", "blur_sigma"}, moved
        if f.level == "person":  # the image untouched
            assert not _moved(face.state, g.state)
        if f.level == "image" or not f.bundle:  # a toggle: twice gives the face back
            back = cf.flip(attribute, g)
            assert back is not None and not _changed(face, back)
            assert not _moved(face.person, back.person)
    assert done >= 20, f"{attribute}: applied to only {done} of {len(faces)} faces"


def test_person_flips_move_only_their_declared_detail(faces):
    """The redraw from the person's own stream reproduces every other detail bit for bit:
    Bushy_Eyebrows moves the brows' thickness and darkness, nothing else."""
    face = faces[0]
    g = cf.flip("Bushy_Eyebrows", face)
    assert _moved(face.person, g.person) == {"bushy_brows", "brow_th", "brow_dark"}
    h = cf.flip("Blond_Hair", next(f for f in faces if f.person["hair_color"] == "black"))
    assert h.person["hair_color"] == "blond"


def test_a_flip_that_shifts_the_stream_is_an_error(faces):
    with pytest.raises(FacecuesError, match="shifts the person's random stream"):
        cf._redraw(faces[0], {"male": not faces[0].person["male"]}, ())


def _quantile(value: float, lo: float, hi: float) -> float:
    return (value - lo) / (hi - lo)


def test_face_shape_flips_move_the_worlds_terms_on_the_same_draws(faces):
    """Chubby and Oval_Face redraw the face shape from the same uniform draws: the width
    and chin move by the world's terms (chubby +0.03 and -0.015, oval -0.015 and
    +0.035), the jaw keeps its quantile in the other branch's range; never both."""
    jaw = {"oval": (0.35, 0.45), "chubby": (0.04, 0.14), "neither": (0.14, 0.3)}

    def shape(p):
        return "oval" if p["oval"] else "chubby" if p["chubby"] else "neither"

    terms = {"Chubby": ("chubby", 0.03, -0.015), "Oval_Face": ("oval", -0.015, 0.035)}
    for attribute, (trait, da, dbb) in terms.items():
        for face in faces:
            g = cf.flip(attribute, face)
            if g is None:
                assert face.person["chubby" if trait == "oval" else "oval"]
                continue
            p, q = face.person, g.person
            assert _moved(p, q) <= {trait, "face_a", "face_bb", "jaw", "square"}
            assert not (q["chubby"] and q["oval"])
            sign = 1 if q[trait] else -1
            assert q["face_a"] - p["face_a"] == pytest.approx(sign * da, abs=1e-12)
            assert q["face_bb"] - p["face_bb"] == pytest.approx(sign * dbb, abs=1e-12)
            before = _quantile(p["jaw"], *jaw[shape(p)])
            assert _quantile(q["jaw"], *jaw[shape(q)]) == pytest.approx(before, abs=1e-9)


def test_bald_and_hair_styles_toggle_against_short_hair(faces):
    """Bald <-> short hair without bangs where no hat hides it; Straight_Hair and
    Wavy_Hair <-> short; every result a combination the world draws."""
    seen = set()
    for face in faces:
        for attribute in ("Bald", "Straight_Hair", "Wavy_Hair"):
            g = cf.flip(attribute, face)
            if g is None:
                continue
            p, q = face.person, g.person
            assert _moved(p, q) <= {"bald", "hair_style"}
            if attribute == "Bald":
                assert q["hair_style"] == ("none" if q["bald"] else "short")
            assert not (q["bald"] and q["bangs"])
            seen.add((attribute, p["hair_style"], q["hair_style"]))
        if face.state["hat_on"]:
            assert cf.flip("Bald", face) is None
    assert seen == {
        ("Bald", "none", "short"),
        ("Bald", "short", "none"),
        ("Straight_Hair", "straight", "short"),
        ("Straight_Hair", "short", "straight"),
        ("Wavy_Hair", "wavy", "short"),
        ("Wavy_Hair", "short", "wavy"),
    }


def _hair_by_hand(face: cf.Face, colour: str) -> list[int]:
    """people._continuous's first draws, written out: skin (a beta, three normals), the
    tint (one normal for grey, three for the others), the hair's gain."""
    rng = np.random.default_rng([face.seed, cf.COUNTERFACTUAL, face.person["pid"], 0])
    rng.beta(1.5, 2.4)
    rng.normal(0, 6, 3)
    tint = np.full(3, rng.normal(0, 10)) if colour == "gray" else rng.normal(0, 8, 3)
    rgb = np.array(HAIR_RGB[colour], float) * rng.uniform(0.8, 1.2) + tint
    return [int(np.clip(round(float(v)), 0, 255)) for v in rgb]


def test_hair_colour_is_the_worlds_draw_in_each_branch(faces):
    """Grey draws one tint where the others draw three: the flipped hair is what the world
    draws for the person in the new colour's branch, everything else the person's own,
    and a flip and its way back give the person back bit for bit."""
    attribute_of = {colour: a for a, colour in cf._HAIR.items()}
    greys = [f for f in faces if f.person["hair_color"] == "gray"]
    assert greys and len(greys) < len(faces)
    for face in faces:  # the writing-out is the world's: it gives every person's own hair
        assert face.person["hair_rgb"] == _hair_by_hand(face, face.person["hair_color"])
    for face in faces[::3]:
        g = cf.flip("Gray_Hair", face)
        new = g.person["hair_color"]
        assert new == ("brown" if face.person["hair_color"] == "gray" else "gray")
        assert _moved(face.person, g.person) == {"hair_color", "hair_rgb"}
        assert g.person["hair_rgb"] == _hair_by_hand(face, new)
        back = cf.flip(attribute_of[face.person["hair_color"]], g)
        assert not _moved(face.person, back.person)
    black = next(f for f in faces if f.person["hair_color"] == "black")
    old = cf._redraw(black, {"hair_color": "blond"}, ("hair_rgb",))  # no grey: the same
    assert cf.flip("Blond_Hair", black).person == old.person
    stranger = cf.Face(black.person, black.state, black.seed + 1, black.image)
    with pytest.raises(FacecuesError, match="not the draw of the person's own stream"):
        cf.flip("Gray_Hair", stranger)


def test_no_beard_removes_or_grows_both(faces):
    """No_Beard on men: a beard (mustache, goatee or both) goes entirely, or both come;
    a flip and its way back give the face back for men with both or neither."""
    kinds = set()
    for face in faces:
        g = cf.flip("No_Beard", face)
        if not face.person["male"]:
            assert g is None
            continue
        p, q = face.person, g.person
        bare = not (p["mustache"] or p["goatee"])
        assert q["mustache"] == q["goatee"] == bare
        assert _moved(p, q) <= {"mustache", "goatee"}
        kinds.add((p["mustache"], p["goatee"]))
        if p["mustache"] == p["goatee"]:
            assert not _moved(p, cf.flip("No_Beard", g).person)
    assert kinds == {(True, True), (True, False), (False, True), (False, False)}


def test_the_new_flips_change_the_picture(faces):
    """On a sharp face without a hat (a hat hides a short-haired man's hair style: the
    world labels it all the same, so the flip changes the label and little else)."""
    for attribute in (
        "Bald",
        "Straight_Hair",
        "Wavy_Hair",
        "Chubby",
        "Oval_Face",
        "Gray_Hair",
        "No_Beard",
    ):
        sharp = [f for f in faces if not (f.state["blurry"] or f.state["hat_on"])]
        face = next(f for f in sharp if cf.FLIPS[attribute].eligible(f))
        base = np.asarray(cf.render(face, CFG), dtype=np.int16)
        g = np.asarray(cf.render(cf.flip(attribute, face), CFG), dtype=np.int16)
        assert (np.abs(g - base) > 16).sum() > 20, attribute


def test_blur_keeps_its_quantile(faces):
    face = next(f for f in faces if not f.state["blurry"])
    g = cf.flip("Blurry", face)
    q = face.state["blur_sigma"] / 0.35
    assert g.state["blurry"] and g.state["blur_sigma"] == pytest.approx(0.9 + 0.5 * q)
    for f in faces:  # the ranges the module assumes are the world's
        lo, hi = cf.BLUR_SIGMA[f.state["blurry"]]
        assert lo <= f.state["blur_sigma"] <= hi


def test_flips_and_controls_change_the_picture(faces):
    face = faces[3]
    base = np.asarray(cf.render(face, CFG), dtype=np.int16)
    for attribute in ("Eyeglasses", "Wearing_Hat", "Smiling", "Male", "Young"):
        g = cf.flip(attribute, face)
        assert (np.abs(np.asarray(cf.render(g, CFG), dtype=np.int16) - base) > 16).sum() > 20
    for name in cf.CONTROLS:
        g = cf.nuisance_control(name, face, CFG)
        assert not _changed(face, g)
        assert _moved(face.state, g.state) == set(cf.CONTROLS[name])
        assert np.abs(np.asarray(cf.render(g, CFG), dtype=np.int16) - base).mean() > 0.5


def test_the_controls_change_no_label(faces):
    for face in faces:
        for name in cf.CONTROLS:
            assert not _changed(face, cf.nuisance_control(name, face, CFG))


def test_one_clear_error_per_attribute_without_a_flip():
    unrendered = next(a for a in CELEBA_ATTRIBUTES if ATTRIBUTES[a].kind == UNRENDERED)
    with pytest.raises(FacecuesError, match="does not render it"):
        cf.flip_for(unrendered)
    with pytest.raises(FacecuesError, match="not a CelebA attribute"):
        cf.flip_for("Tall")
    with pytest.raises(FacecuesError, match="nuisance control 'zoom'"):
        cf.nuisance_control("zoom", cf.new_people(CFG, 2, 2)[0][0], CFG)
    rendered = {a for a in CELEBA_ATTRIBUTES if ATTRIBUTES[a].kind != UNRENDERED}
    assert rendered == set(cf.FLIPS)  # every rendered attribute has a flip


def test_the_people_are_new():
    """Not the world's LFW, VGGFace2 or CelebA people: other streams, other faces."""
    world = plan_world(CFG)
    seen = {(tuple(j.person["skin"]), j.person["face_a"]) for j in world.jobs}
    new = [f.person for person in cf.new_people(CFG, 50, 2) for f in person[:1]]
    assert not seen & {(tuple(p["skin"]), p["face_a"]) for p in new}


def test_an_unflipped_face_renders_as_the_world_writes_it():
    face = cf.new_people(CFG, 2, 2)[1][0]
    img = render_image(face.person, face.state, (CFG.lfw_size,) * 2, cf.lfw_box(CFG), 3)
    again = np.asarray(cf.render(face, CFG))
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(jpeg_bytes(img, face.state["jpeg"]))) as im:
        assert np.array_equal(np.asarray(im.convert("RGB")), again)


# sha256 of the JPEG bytes of three images of the default world, from the code before the
# counterfactual module existed (commit 1de34b3): the world's renders are unchanged
DEFAULT_WORLD_IMAGES = {
    "lfw/lfw/Synth_Person_0001/Synth_Person_0001_0001.jpg": (
        "dad02e82144d25ff011b59eb36335459fa07f9911e6ed5191ad1c743f77cb86b"
    ),
    "lfw/lfw/Synth_Person_0007/Synth_Person_0007_0003.jpg": (
        "b31056521e3ac9a7af2628af71b6f2d2122e5bf990f32a66748eebea74a82435"
    ),
    "vggface2/train/n000005/0002_01.jpg": (
        "6b71bb47ca35a3b5b6125773cc590ec591d4e980d0c8c083a4834afc3cdab6e2"
    ),
}


def test_the_default_worlds_images_are_unchanged():
    plan = plan_world(CFG)
    found = {}
    for job in plan.jobs:
        for k, rel in enumerate(job.paths):
            if rel in DEFAULT_WORLD_IMAGES:
                img = render_image(job.person, job.states[k], job.canvases[k], job.boxes[k], 3)
                found[rel] = hashlib.sha256(jpeg_bytes(img, job.states[k]["jpeg"])).hexdigest()
    assert found == DEFAULT_WORLD_IMAGES


# --- the effect on recognition (facecues.interventions.counterfactual) ---------------


@pytest.fixture(scope="module")
def tiny_run():
    """An untrained tiny network measured on 12 new people x 3 images, at FMR = 5%."""
    import torch

    from facecues.interventions.counterfactual import counterfactual_effects
    from facecues.interventions.counterfactual_faces import render_faces
    from facecues.nets.resnet import FaceResNet

    torch.manual_seed(0)
    model = FaceResNet(0, base_width=4).eval()
    people = cf.new_people(CFG, 12, 3)
    faces = render_faces(people, CFG, ["Wearing_Hat", "Smiling"], input_size=32, crop=0.6)
    rows, depth = counterfactual_effects(
        model, faces, input_size=32, fmr=0.05, n_boot=200, depth=True
    )
    return model, people, rows, depth


def _brute_force(model, people, variant, fmr):
    """The estimands counted pair by pair, from faces rendered and flipped again and
    embedded one at a time."""
    from facecues.interventions.counterfactual import embeddings
    from facecues.interventions.counterfactual_faces import as_input, input_image

    def emb(face):  # rendered and flipped again, one at a time
        e = embeddings(model, as_input(input_image(face, CFG, 32, 0.6)[None]), "cpu", 1)[0]
        return e / np.linalg.norm(e)

    faces = [f for person in people for f in person]
    control = variant in cf.CONTROLS
    twins = [
        cf.nuisance_control(variant, f, CFG) if control else cf.flip(variant, f) for f in faces
    ]
    e = [emb(f) for f in faces]
    t_e = [emb(t) if t is not None else None for t in twins]
    pid = [f.person["pid"] for f in faces]
    j_attr = CELEBA_ATTRIBUTES.index(variant) if not control else 0
    y = [f.labels()[j_attr] for f in faces]
    n = len(faces)
    impostors = sorted(
        (float(e[i] @ e[j]) for i in range(n) for j in range(i + 1, n) if pid[i] != pid[j]),
        reverse=True,
    )
    # the lowest impostor score whose FMR is at most fmr
    t = min(s for s in impostors if np.mean(np.array(impostors) >= s) <= fmr)
    out = {"threshold": t}
    for kind in ("genuine", "impostor"):
        before, after = [], []
        for i in range(n):
            for j in range(n):
                if i == j or t_e[j] is None or (pid[i] == pid[j]) != (kind == "genuine"):
                    continue
                if not control and (y[i] == y[j]) != (kind == "genuine"):
                    continue
                s, c = float(e[i] @ e[j]), float(e[i] @ t_e[j])
                before.append(s < t if kind == "genuine" else s >= t)
                after.append(c < t if kind == "genuine" else c >= t)
        out[f"{kind}_pairs"] = len(before)
        key = "fnmr" if kind == "genuine" else "fmr"
        out[key], out[f"{key}_changed"] = np.mean(before), np.mean(after)
    return out


@pytest.mark.parametrize("variant", ["Wearing_Hat", "pose"])
def test_the_rises_are_the_pairs_counted_one_by_one(tiny_run, variant):
    model, people, rows, _ = tiny_run
    row = next(r for r in rows if r["variant"] == variant)
    truth = _brute_force(model, people, variant, 0.05)
    assert row["threshold"] == pytest.approx(truth["threshold"], abs=1e-6)
    for key, value in truth.items():
        assert row[key] == pytest.approx(value, abs=1e-6), key
    assert row["fnmr_rise"] == pytest.approx(row["fnmr_changed"] - row["fnmr"])
    assert row["fnmr_rise_lo"] <= row["fnmr_rise"] <= row["fnmr_rise_hi"]
    assert row["fmr_rise_lo"] <= row["fmr_rise"] <= row["fmr_rise_hi"]
    assert row["genuine_pairs"] > 0 and row["impostor_pairs"] > 0


def test_the_planted_contrast_is_the_difference_of_the_kinds_rises(tiny_run):
    """Identity-bound (Wearing_Hat) minus per-image (Smiling), its interval from the same
    resamples as the rows'."""
    rows = {r["variant"]: r for r in tiny_run[2]}
    c = rows["identity_bound_minus_per_image"]
    hat, smile = rows["Wearing_Hat"], rows["Smiling"]
    for key in ("fnmr", "fmr"):
        assert c[f"{key}_rise"] == pytest.approx(hat[f"{key}_rise"] - smile[f"{key}_rise"])
        assert c[f"{key}_rise_lo"] <= c[f"{key}_rise"] <= c[f"{key}_rise_hi"]
    assert c["kind"] == "contrast" and c["exact"]
    assert c["genuine_pairs"] == hat["genuine_pairs"] + smile["genuine_pairs"]


def test_the_face_file_round_trips_and_is_the_networks_input(tmp_path):
    from facecues.data.images import center_crop, probe_input
    from facecues.interventions.counterfactual_faces import (
        as_input,
        load_faces,
        render_faces,
        save_faces,
    )

    people = cf.new_people(CFG, 3, 2)
    faces = render_faces(people, CFG, ["Male", "Bangs"], input_size=32, crop=0.6)
    save_faces(faces, tmp_path / "faces.npz")
    back = load_faces(tmp_path / "faces.npz")
    assert list(back.variants) == ["Male", "Bangs", *cf.CONTROLS]
    assert np.array_equal(back.images, faces.images) and np.array_equal(back.labels, faces.labels)
    for name, v in faces.variants.items():
        w = back.variants[name]
        assert (w.kind, w.exact) == (v.kind, v.exact)
        assert np.array_equal(w.changed, v.changed) and np.array_equal(w.images, v.images)
    assert back.variants["Male"].exact is False and back.variants["pose"].kind == "control"
    face = people[1][0]  # the stored input is the study's preprocessing of the render
    expected = probe_input(center_crop(cf.render(face, CFG), 0.6), 32)
    assert torch_equal(as_input(back.images[2:3])[0], expected)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(FacecuesError, match="bad.npz: unreadable counterfactual-faces file"):
        load_faces(tmp_path / "bad.npz")


def torch_equal(a, b) -> bool:
    import torch

    return bool(torch.equal(a, b))


def test_too_few_impostor_pairs_for_the_fmr_is_one_clear_error():
    from facecues.interventions.counterfactual import fixed_fmr_threshold

    impostors = np.linspace(0, 1, 594)  # 12 people x 3 images
    with pytest.raises(FacecuesError, match=r"594 impostor pairs put 5.9 false matches"):
        fixed_fmr_threshold(impostors, 0.01)
    t = fixed_fmr_threshold(impostors, 0.05)
    assert np.mean(impostors >= t) <= 0.05 < np.mean(impostors >= impostors[impostors < t][-1])


def test_depth_sensitivity_at_the_pool_is_the_embedding_distance(tiny_run):
    """At the pool (L50, the embedding) the change distance is the mean distance between
    each face's embedding and its twin's; every point of the network has a row."""
    from facecues.interventions.counterfactual import embeddings
    from facecues.interventions.counterfactual_faces import as_input, input_image

    model, people, _, depth = tiny_run
    rows = [r for r in depth if r["variant"] == "light"]
    assert [r["point"] for r in rows] == [f"L{i:02d}" for i in range(1, 51)]
    faces = [f for person in people for f in person]

    def emb(face):
        return embeddings(model, as_input(input_image(face, CFG, 32, 0.6)[None]), "cpu", 1)[0]

    d = [np.linalg.norm(emb(f) - emb(cf.nuisance_control("light", f, CFG))) for f in faces]
    pool = rows[-1]
    assert pool["faces"] == len(faces)
    assert pool["change_distance"] == pytest.approx(np.mean(d), rel=1e-5)
    assert pool["sensitivity"] == pytest.approx(pool["change_distance"] / pool["genuine_distance"])


def test_the_bootstrap_interval_covers_the_true_rise():
    """Simulated coverage of the 95% interval over people, genuine (one person a pair)
    and impostor (two people a pair) pairs, with person-level heterogeneity."""
    from facecues.interventions.counterfactual import Pairs, bootstrap_weights, interval, rise

    rng = np.random.default_rng(0)
    n_people, per = 40, 3
    person = np.repeat(np.arange(n_people), per)
    hits = {True: 0, False: 0}
    reps = 150
    for _ in range(reps):
        p_after = rng.beta(2, 6, n_people)  # each person's own rate after the change
        for genuine in (True, False):
            same = person[:, None] == person[None, :]
            i, j = np.nonzero((same if genuine else ~same) & ~np.eye(len(person), dtype=bool))
            before = rng.random(len(i)) < 0.1
            after = rng.random(len(i)) < p_after[person[j]]
            w = bootstrap_weights(person, 300, rng)
            lo, hi = interval(rise(before, after, Pairs(i, j, person), genuine, w)[3])
            hits[genuine] += lo <= 0.25 - 0.1 <= hi  # E[beta(2, 6)] = 0.25
    for genuine, h in hits.items():
        assert 0.88 <= h / reps <= 1.0, (genuine, h / reps)


# --- the workflow's rule (workflow/rules/counterfactual.smk) -------------------------


def _study_config(tmp_path, **counterfactual):
    import yaml

    from tests.conftest import TINY_STUDY

    cfg = {**TINY_STUDY, "counterfactual": {"enabled": True, **counterfactual}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    return tmp_path / "config.yaml"


@pytest.mark.workflow
def test_the_rule_writes_each_networks_table(tmp_path):
    """A real Snakemake run of the rule on an untrained control of the tiny study: a row
    per studied attribute with a flip and per control, and their planted contrast; 50
    depth rows each."""
    import pandas as pd

    from facecues.interventions.counterfactual import COLUMNS, DEPTH_COLUMNS
    from tests.conftest import snakemake

    configfile = _study_config(tmp_path, people=16, fmr=0.05, bootstrap=200)
    target = "results/counterfactual/random0.tsv"
    run = snakemake(tmp_path, "--cores", "2", target, configfile=configfile)
    assert run.returncode == 0, run.stderr[-3000:]
    table = pd.read_csv(tmp_path / "results/counterfactual/random0.tsv", sep="\t")
    assert list(table.columns) == COLUMNS
    contrast = "identity_bound_minus_per_image"  # Male minus Smiling
    assert list(table.variant) == ["Male", "Smiling", *cf.CONTROLS, contrast]
    assert (table.people == 16).all() and (table.genuine_pairs > 0).all()
    depth = pd.read_csv(tmp_path / "results/counterfactual/random0_depth.tsv", sep="\t")
    assert list(depth.columns) == DEPTH_COLUMNS and len(depth) == 5 * 50
    assert not (tmp_path / "results/counterfactual/faces.npz").exists()  # temp(): rendered once


@pytest.mark.workflow
def test_a_real_data_study_asking_for_counterfactuals_is_one_clear_error(tiny_world, tmp_path):
    from tests.conftest import snakemake

    configfile = _study_config(tmp_path)
    roots = ", ".join(f"{n}_root: {tiny_world / n}" for n in ("celeba", "vggface2", "lfw"))
    run = snakemake(
        tmp_path, "-n", "--config", f"data={{source: real, {roots}}}", configfile=configfile
    )
    assert run.returncode != 0
    assert "counterfactual faces need the synthetic world's renderer" in run.stdout + run.stderr
    assert not (tmp_path / "results").exists()
