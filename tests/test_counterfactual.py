"""Counterfactual faces (docs/protocol.md section 14): each flip changes its attribute's
label (or its declared bundle's) and nothing else, the nuisance controls change no
label, the people are new, and the world's own renders stay what they were."""

import hashlib

import numpy as np
import pytest

from facecues.data.celeba import CELEBA_ATTRIBUTES
from facecues.data.synthetic import counterfactual as cf
from facecues.data.synthetic.config import SyntheticConfig
from facecues.data.synthetic.people import ATTRIBUTES, UNRENDERED
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
    with pytest.raises(FacecuesError, match="no exact flip yet"):
        cf.flip_for("Gray_Hair")
    with pytest.raises(FacecuesError, match="not a CelebA attribute"):
        cf.flip_for("Tall")
    with pytest.raises(FacecuesError, match="nuisance control 'zoom'"):
        cf.nuisance_control("zoom", cf.new_people(CFG, 2, 2)[0][0], CFG)
    rendered = {a for a in CELEBA_ATTRIBUTES if ATTRIBUTES[a].kind != UNRENDERED}
    assert rendered == set(cf.FLIPS) | set(cf.NOT_YET)


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
