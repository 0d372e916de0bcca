"""Counterfactual faces: the same person in the same photo with one attribute changed.

``render_image(person, state, ...)`` is a pure function of its two dicts (the state's
``render_seed`` fixes background, noise and occluder), so a copy of a person or image
state with one field changed, rendered again, is the same photo of the same person with
that one thing changed (docs/protocol.md section 14). Three kinds of change:

- **image-level flips** toggle one field of the image state (glasses, hat, smile, open
  mouth, pale lighting, blur, ...). Exact: nothing else in the photo moves. Blur moves its
  sigma to the same quantile of the other branch of the world's draw.
- **person-level flips** toggle one discrete trait and draw the person's continuous
  detail again from the person's own random stream (``people._continuous``), which for
  these traits consumes the same draws: every other detail stays bit-for-bit the same,
  and the flipped one is what the world would have drawn. Each flip names the details it
  may change; any other change is an error (a shifted stream), never a silent result.
  Baldness, hair style and facial hair enter no continuous draw (nothing is redrawn);
  the short style is their reference (``_SHORT``). Hair colour is the one joint draw:
  grey takes one tint draw where the others take three, so the hair alone is drawn in
  the new colour's branch of the person's own stream (a fresh generator of it) and every
  other detail is kept (``_hair_rgb``).
- **sex** is a declared bundle, not a single trait (the world ties sex to face width,
  mouth width, facial hair, clothing and make-up, and a man's hair length is drawn from
  a different number of draws): see ``_sex``. It uses no random draw.

The **nuisance controls** change no label: the same image state with the render seed,
the pose or the lighting taken from another image of the same person (the world's own
sampler, at image index ``DONOR + k``): a null the flips are measured against.

The people are new: drawn with dataset code ``COUNTERFACTUAL`` in the world's seed
sequence, disjoint from the streams of the world's VGGFace2, LFW and CelebA people.
They are rendered in the LFW geometry (the verification images the networks are scored
on), JPEG-coded at the image's own quality, as the world writes them.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from facecues.data.synthetic.config import SyntheticConfig
from facecues.data.synthetic.people import (
    _PERSON,
    ATTRIBUTES,
    _continuous,
    sample_image_state,
    sample_people,
    true_labels,
)
from facecues.data.synthetic.render import ASPECT, jpeg_bytes, render_image
from facecues.data.synthetic.world import _nuisance
from facecues.errors import FacecuesError

COUNTERFACTUAL = 9  # dataset code in the seed sequences (the world's are 1-3)
DONOR = 10_000  # the nuisance controls' draws come from image DONOR + k of the person
BLUR_SIGMA = {True: (0.9, 1.4), False: (0.0, 0.35)}  # people.sample_image_state's ranges
CONTROLS = {
    "render_seed": ("render_seed",),
    "pose": ("rotation", "dx", "dy", "scale", "yaw"),
    "light": ("gain", "cast", "grad"),
}


@dataclass(frozen=True)
class Face:
    """One image of a counterfactual person: traits, image state, and where they came from
    (the world's ``seed``; the person's stream is (seed, COUNTERFACTUAL, pid))."""

    person: dict
    state: dict
    seed: int
    image: int

    def labels(self) -> np.ndarray:
        """The true labels (+1/-1) of what is drawn; unrendered attributes -1."""
        return true_labels(self.person, self.state)


@dataclass(frozen=True)
class Flip:
    """How one attribute is changed: ``apply`` returns the face with it toggled.

    ``bundle`` names the other labels the flip may change with it (hat hides baldness,
    sunglasses hide narrow eyes, a hair colour replaces another, a beard is a mustache
    or a goatee), ``eligible`` the faces
    it applies to (combinations the world draws), ``exact`` whether everything else in
    the photo is bit-for-bit the same."""

    attribute: str
    level: str  # "image" | "person" | "bundle"
    exact: bool
    bundle: tuple[str, ...]
    eligible: Callable[[Face], bool]
    apply: Callable[[Face], Face]
    note: str


def _anyone(_face: Face) -> bool:
    return True


def _men(face: Face) -> bool:
    return face.person["male"]


def _women(face: Face) -> bool:
    return not face.person["male"]


def _toggle_state(key: str) -> Callable[[Face], Face]:
    def apply(face: Face) -> Face:
        st = copy.deepcopy(face.state)
        st[key] = not st[key]
        return replace(face, state=st)

    return apply


def _blur(face: Face) -> Face:
    """Blur on/off, the sigma moved to the same quantile of the other branch's range."""
    st = copy.deepcopy(face.state)
    lo, hi = BLUR_SIGMA[st["blurry"]]
    q = (st["blur_sigma"] - lo) / (hi - lo)
    st["blurry"] = not st["blurry"]
    lo, hi = BLUR_SIGMA[st["blurry"]]
    st["blur_sigma"] = float(lo + q * (hi - lo))
    return replace(face, state=st)


def _stream(face: Face) -> np.random.Generator:
    """A fresh generator of the person's own stream (what ``sample_people`` drew from)."""
    return np.random.default_rng([face.seed, COUNTERFACTUAL, face.person["pid"], _PERSON])


def _redraw(face: Face, changes: dict, details: tuple[str, ...]) -> Face:
    """The person with the traits ``changes`` and their continuous detail drawn again from
    their own stream; only ``details`` may differ, else the stream shifted (an error)."""
    p = copy.deepcopy(face.person)
    p.update(changes)
    again = _continuous(_stream(face), p)
    moved = sorted(k for k, v in again.items() if k not in details and v != p[k])
    if moved:
        raise FacecuesError(
            f"counterfactual {changes}: the redraw moved {moved} (person {p['pid']}): the "
            "trait shifts the person's random stream, so this flip is not exact"
        )
    p.update(again)
    return replace(face, person=p)


def _toggle_trait(key: str, details: tuple[str, ...] = ()) -> Callable[[Face], Face]:
    def apply(face: Face) -> Face:
        return _redraw(face, {key: not face.person[key]}, details)

    return apply


_HAIR = {"Black_Hair": "black", "Brown_Hair": "brown", "Blond_Hair": "blond", "Gray_Hair": "gray"}
_HAIR_OFF = {"black": "brown", "brown": "black", "blond": "brown", "gray": "brown"}  # "off"


def _hair_rgb(face: Face, colour: str) -> list[int]:
    """The hair colour the world draws for this person with hair ``colour``: the branch
    of ``people._continuous`` for that colour, run on a fresh generator of the person's
    own stream, of which only the hair is kept. Skin is drawn before the hair, so the
    branches agree up to it; grey draws one tint where the others draw three, so the
    draws after the hair shift between branches: the person keeps their own."""
    return _continuous(_stream(face), {**face.person, "hair_color": colour})["hair_rgb"]


def _hair(attribute: str) -> Callable[[Face], Face]:
    colour = _HAIR[attribute]

    def apply(face: Face) -> Face:
        p = copy.deepcopy(face.person)
        if _hair_rgb(face, p["hair_color"]) != p["hair_rgb"]:
            raise FacecuesError(
                f"counterfactual {attribute} (person {p['pid']}): the hair colour "
                f"{p['hair_rgb']} is not the draw of the person's own stream (seed "
                f"{face.seed}, dataset {COUNTERFACTUAL}): not one of new_people's faces"
            )
        p["hair_color"] = _HAIR_OFF[p["hair_color"]] if p["hair_color"] == colour else colour
        p["hair_rgb"] = _hair_rgb(face, p["hair_color"])
        return replace(face, person=p)

    return apply


# the short style is the reference of the hair flips: the world's style of people with
# hair that sets none of Bald, Straight_Hair and Wavy_Hair (a bald person has "none")
_SHORT = "short"


def _hair_style(attribute: str, style: str) -> Flip:
    """``style`` <-> short, for people with hair of one of the two styles."""

    def apply(face: Face) -> Face:
        now = face.person["hair_style"]
        return _redraw(face, {"hair_style": _SHORT if now == style else style}, ())

    def eligible(face: Face) -> bool:
        return not face.person["bald"] and face.person["hair_style"] in (style, _SHORT)

    return Flip(attribute, "person", True, (), eligible, apply, "<-> short, not bald")


def _bald(face: Face) -> Face:
    """Bald <-> short hair without bangs (the world gives bald people no style, no bangs)."""
    was = face.person["bald"]
    return _redraw(face, {"bald": not was, "hair_style": _SHORT if was else "none"}, ())


def _bald_eligible(face: Face) -> bool:
    """Bald people and people whose hair sets no other label, where no hat hides it."""
    p = face.person
    plain = p["bald"] or (p["hair_style"] == _SHORT and not p["bangs"])
    return plain and not face.state["hat_on"]


def _beard(face: Face) -> Face:
    """No_Beard: the beard goes (mustache and goatee), or a full one comes (both)."""
    bare = not (face.person["mustache"] or face.person["goatee"])
    return _redraw(face, {"mustache": bare, "goatee": bare}, ())


# the world's sex terms in people._continuous (added to the same uniform draws)
_FACE_A, _MOUTH_W, _MALE_HAIR_LEN = 0.012, 0.006, 0.72


def _sex(face: Face) -> Face:
    """Male <-> female as a bundle. To female: no facial hair (mustache, goatee,
    sideburns, stubble), no necktie, face and mouth narrower by the world's sex terms. To
    male: no lipstick, make-up or earrings, face and mouth wider, hair cut to at most a
    man's longest (0.72). Everything else (hair colour and style, baldness, skin,
    clothes, pose) stays; no random draw."""
    p, st = copy.deepcopy(face.person), copy.deepcopy(face.state)
    to_male = not p["male"]
    sign = 1.0 if to_male else -1.0
    p["male"] = to_male
    p["face_a"] += sign * _FACE_A
    p["mouth_w"] += sign * _MOUTH_W
    if to_male:
        p.update(lipstick=False, makeup=False, earrings=False)
        p["hair_len"] = min(p["hair_len"], _MALE_HAIR_LEN)
        st["earrings_on"] = False
    else:
        p.update(mustache=False, goatee=False, sideburns=False, necktie=False)
        st.update(stubble=False, necktie_on=False)
    return replace(face, person=p, state=st)


def _not(trait: str) -> Callable[[Face], bool]:
    """Eligible where the person lacks ``trait`` (the world draws oval faces only among
    the faces that are not chubby: never both)."""
    return lambda face: not face.person[trait]


def _narrow_eyes_visible(face: Face) -> bool:
    return not (face.state["glasses_on"] and face.person["sunglasses"])


def _image(attribute, key, bundle=(), eligible=_anyone, note="") -> Flip:
    return Flip(attribute, "image", True, bundle, eligible, _toggle_state(key), note)


def _person(attribute, key, details=(), bundle=(), eligible=_anyone, note="") -> Flip:
    return Flip(attribute, "person", True, bundle, eligible, _toggle_trait(key, details), note)


_BEARD = ("No_Beard",)
_BEARDS = ("Goatee", "Mustache")  # No_Beard is the absence of both
_FACE_SHAPE = ("face_a", "face_bb", "jaw", "square")  # chubby and oval move these draws
_SEX_BUNDLE = (
    "5_o_Clock_Shadow",
    "Goatee",
    "Heavy_Makeup",
    "Mustache",
    "No_Beard",
    "Sideburns",
    "Wearing_Earrings",
    "Wearing_Lipstick",
    "Wearing_Necktie",
)

FLIPS: dict[str, Flip] = {
    f.attribute: f
    for f in (
        _image("5_o_Clock_Shadow", "stubble", eligible=_men, note="men only, as drawn"),
        _image("Bags_Under_Eyes", "bags"),
        Flip("Blurry", "image", True, (), _anyone, _blur, "sigma to the same quantile"),
        _image("Eyeglasses", "glasses_on", ("Narrow_Eyes",), note="sunglasses hide the eyes"),
        _image("Mouth_Slightly_Open", "mouth_open"),
        _image("Pale_Skin", "pale"),
        _image("Rosy_Cheeks", "rosy"),
        _image("Smiling", "smiling"),
        _image("Wearing_Earrings", "earrings_on", eligible=_women, note="women only"),
        _image("Wearing_Hat", "hat_on", ("Bald",), note="a hat hides baldness"),
        _image("Wearing_Necklace", "necklace_on"),
        _image("Wearing_Necktie", "necktie_on", eligible=_men, note="men only"),
        _person("Arched_Eyebrows", "arched_brows", ("brow_arch",)),
        _person("Bangs", "bangs", eligible=lambda f: not f.person["bald"], note="not bald"),
        Flip("Bald", "person", True, (), _bald_eligible, _bald, "<-> short hair, no hat"),
        _hair_style("Straight_Hair", "straight"),
        _hair_style("Wavy_Hair", "wavy"),
        _person("Chubby", "chubby", _FACE_SHAPE, eligible=_not("oval"), note="not oval"),
        _person("Oval_Face", "oval", _FACE_SHAPE, eligible=_not("chubby"), note="not chubby"),
        Flip("No_Beard", "person", True, _BEARDS, _men, _beard, "men: both go, or both come"),
        _person("Big_Lips", "big_lips", ("lip_up", "lip_lo")),
        _person("Big_Nose", "big_nose", ("nose_len", "nose_w")),
        _person("Bushy_Eyebrows", "bushy_brows", ("brow_th", "brow_dark")),
        _person("Goatee", "goatee", bundle=_BEARD, eligible=_men, note="men only"),
        _person("Heavy_Makeup", "makeup", eligible=_women, note="women only"),
        _person("Mustache", "mustache", bundle=_BEARD, eligible=_men, note="men only"),
        _person("Narrow_Eyes", "narrow_eyes", ("eye_h",), eligible=_narrow_eyes_visible),
        _person("Pointy_Nose", "pointy_nose"),
        _person("Sideburns", "sideburns", eligible=_men, note="men only"),
        _person("Wearing_Lipstick", "lipstick", eligible=_women, note="women only"),
        _person("Young", "young", ("wrinkle",), note="wrinkles drawn (or removed)"),
        *(
            Flip(a, "person", True, tuple(sorted(set(_HAIR) - {a})), _anyone, _hair(a), "")
            for a in _HAIR
        ),
        Flip("Male", "bundle", False, _SEX_BUNDLE, _anyone, _sex, "see _sex"),
    )
}


def flip_for(attribute: str) -> Flip:
    """The registered flip of ``attribute`` (every rendered attribute has one), or one
    clear error saying why there is none."""
    if attribute in FLIPS:
        return FLIPS[attribute]
    if attribute not in ATTRIBUTES:
        raise FacecuesError(f"counterfactual flip {attribute!r}: not a CelebA attribute")
    raise FacecuesError(
        f"counterfactual flip {attribute!r}: the synthetic world does not render it "
        "(its label is random), so there is nothing to change in the image"
    )


def flip(attribute: str, face: Face) -> Face | None:
    """``face`` with ``attribute`` toggled, or None where the flip does not apply."""
    f = flip_for(attribute)
    return f.apply(face) if f.eligible(face) else None


def nuisance_control(name: str, face: Face, cfg: SyntheticConfig) -> Face:
    """``face`` with the fields of control ``name`` (``CONTROLS``) taken from another image
    state of the same person (image ``DONOR + face.image``): no label changes."""
    if name not in CONTROLS:
        raise FacecuesError(f"nuisance control {name!r}: expected one of {sorted(CONTROLS)}")
    donor = sample_image_state(
        face.seed, COUNTERFACTUAL, face.person, DONOR + face.image, _nuisance(cfg)
    )
    st = copy.deepcopy(face.state)
    for key in CONTROLS[name]:
        st[key] = copy.deepcopy(donor[key])
    return replace(face, state=st)


def new_people(cfg: SyntheticConfig, n_people: int, images_per_person: int) -> list[list[Face]]:
    """``n_people`` people no network has seen, ``images_per_person`` images each."""
    if n_people < 2 or images_per_person < 2:
        raise FacecuesError(
            f"counterfactual people: need at least 2 people with 2 images each, got "
            f"{n_people} x {images_per_person}"
        )
    nuis = _nuisance(cfg)
    people = sample_people(cfg.seed, COUNTERFACTUAL, 0, list(range(n_people)))
    return [
        [
            Face(p, sample_image_state(cfg.seed, COUNTERFACTUAL, p, k, nuis), cfg.seed, k)
            for k in range(images_per_person)
        ]
        for p in people
    ]


def lfw_box(cfg: SyntheticConfig) -> tuple[int, int, int, int]:
    """The world's LFW face box (X, Y, W, H): the crop centred in the square canvas."""
    s, fw = cfg.lfw_size, cfg.lfw_face_width
    fh = int(round(fw * ASPECT))
    return ((s - fw) // 2, (s - fh) // 2, fw, fh)


def render(face: Face, cfg: SyntheticConfig) -> Image.Image:
    """The face as the world writes an LFW image: rendered, then JPEG-coded at its quality."""
    img = render_image(face.person, face.state, (cfg.lfw_size,) * 2, lfw_box(cfg), cfg.supersample)
    with Image.open(io.BytesIO(jpeg_bytes(img, face.state["jpeg"]))) as im:
        return im.convert("RGB")
