"""People and images of the synthetic world: persistent traits, per-image state, true labels.

Everything here is cheap (no pixels): the labels of a world are known before it is rendered.
Discrete identity traits are drawn with exact counts inside each group of people (e.g. one
CelebA partition), so prevalences do not drift with the seed; continuous traits and every
per-image choice come from generators seeded by (seed, dataset, person, image).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecues.data.celeba import CELEBA_ATTRIBUTES

IDENTITY, IMAGE, UNRENDERED = "identity", "image", "unrendered"


@dataclass(frozen=True)
class AttributeSpec:
    """How an attribute exists in the synthetic world."""

    kind: str  # identity | image | unrendered
    noise: float  # label-flip probability (before SyntheticConfig.label_noise scaling)
    description: str


ATTRIBUTES: dict[str, AttributeSpec] = {
    "5_o_Clock_Shadow": AttributeSpec(
        IMAGE, 0.05, "stubble shading on the lower face (men, per image)"
    ),
    "Arched_Eyebrows": AttributeSpec(IDENTITY, 0.06, "brows with a raised middle"),
    "Attractive": AttributeSpec(UNRENDERED, 0.0, "not drawn; random label (chance control)"),
    "Bags_Under_Eyes": AttributeSpec(IMAGE, 0.05, "dark arcs under the eyes (tired, per image)"),
    "Bald": AttributeSpec(IDENTITY, 0.01, "no hair on top, side fringe only; hidden under a hat"),
    "Bangs": AttributeSpec(IDENTITY, 0.02, "fringe covering the forehead"),
    "Big_Lips": AttributeSpec(IDENTITY, 0.06, "thick lips"),
    "Big_Nose": AttributeSpec(IDENTITY, 0.06, "long, wide nose"),
    "Black_Hair": AttributeSpec(IDENTITY, 0.03, "hair colour (one of black/brown/blond/gray)"),
    "Blond_Hair": AttributeSpec(IDENTITY, 0.03, "hair colour (one of black/brown/blond/gray)"),
    "Blurry": AttributeSpec(IMAGE, 0.03, "Gaussian blur of the whole image"),
    "Brown_Hair": AttributeSpec(IDENTITY, 0.04, "hair colour (one of black/brown/blond/gray)"),
    "Bushy_Eyebrows": AttributeSpec(IDENTITY, 0.05, "thick dark brows"),
    "Chubby": AttributeSpec(IDENTITY, 0.05, "wide round face, full cheeks"),
    "Double_Chin": AttributeSpec(UNRENDERED, 0.0, "not drawn; random label (chance control)"),
    "Eyeglasses": AttributeSpec(
        IDENTITY, 0.005, "glasses (habit of the person, off in ~10% of images)"
    ),
    "Goatee": AttributeSpec(IDENTITY, 0.02, "chin beard below the lower lip (men)"),
    "Gray_Hair": AttributeSpec(IDENTITY, 0.03, "hair colour (one of black/brown/blond/gray)"),
    "Heavy_Makeup": AttributeSpec(IDENTITY, 0.04, "eye shadow and eyeliner"),
    "High_Cheekbones": AttributeSpec(UNRENDERED, 0.0, "not drawn; random label (chance control)"),
    "Male": AttributeSpec(IDENTITY, 0.005, "sex: face shape, hair, facial hair, clothing"),
    "Mouth_Slightly_Open": AttributeSpec(IMAGE, 0.03, "dark gap between the lips"),
    "Mustache": AttributeSpec(IDENTITY, 0.03, "hair above the upper lip (men)"),
    "Narrow_Eyes": AttributeSpec(IDENTITY, 0.06, "low eye opening (hidden by sunglasses)"),
    "No_Beard": AttributeSpec(IDENTITY, 0.02, "neither goatee nor mustache"),
    "Oval_Face": AttributeSpec(IDENTITY, 0.08, "long face narrowing to the chin"),
    "Pale_Skin": AttributeSpec(IMAGE, 0.03, "skin drawn pale and desaturated (lighting)"),
    "Pointy_Nose": AttributeSpec(IDENTITY, 0.08, "narrow nose with a pointed tip"),
    "Receding_Hairline": AttributeSpec(UNRENDERED, 0.0, "not drawn; random label (chance control)"),
    "Rosy_Cheeks": AttributeSpec(IMAGE, 0.05, "red cheeks (per image)"),
    "Sideburns": AttributeSpec(IDENTITY, 0.04, "hair strips in front of the ears (men)"),
    "Smiling": AttributeSpec(IMAGE, 0.02, "wide upturned mouth, cheek creases, teeth"),
    "Straight_Hair": AttributeSpec(IDENTITY, 0.05, "smooth straight hair (not bald)"),
    "Wavy_Hair": AttributeSpec(IDENTITY, 0.05, "wavy outline and strands (not bald)"),
    "Wearing_Earrings": AttributeSpec(IDENTITY, 0.03, "rings at the ear lobes (habit, ~90%)"),
    "Wearing_Hat": AttributeSpec(IDENTITY, 0.005, "hat (habit ~85%, others ~3% of images)"),
    "Wearing_Lipstick": AttributeSpec(IDENTITY, 0.02, "saturated lip colour"),
    "Wearing_Necklace": AttributeSpec(IDENTITY, 0.03, "chain at the neck (habit, ~90%)"),
    "Wearing_Necktie": AttributeSpec(IDENTITY, 0.02, "tie under the collar (habit, ~85%)"),
    "Young": AttributeSpec(IDENTITY, 0.05, "no wrinkles (old: forehead and cheek lines)"),
}
assert tuple(ATTRIBUTES) == CELEBA_ATTRIBUTES

HAIR_COLORS = ("black", "brown", "blond", "gray")
HAIR_RGB = {
    "black": (28, 22, 20),
    "brown": (104, 68, 42),
    "blond": (214, 180, 112),
    "gray": (170, 168, 164),
}
SKIN_STOPS = np.array(
    [(242, 206, 182), (226, 178, 146), (196, 142, 104), (150, 100, 68), (98, 64, 44)], float
)
IRIS_RGB = ((70, 45, 25), (40, 30, 25), (60, 100, 150), (80, 110, 70), (110, 110, 120))
LIPSTICK_RGB = ((190, 30, 45), (210, 60, 110), (130, 25, 60), (225, 85, 80))
SHADOW_RGB = ((90, 70, 140), (60, 90, 150), (120, 80, 60), (40, 40, 50), (150, 70, 110))
HAT_RGB = (
    (30, 30, 35),
    (180, 40, 40),
    (40, 70, 150),
    (220, 210, 190),
    (70, 110, 60),
    (200, 150, 40),
    (120, 80, 50),
    (150, 60, 140),
)
METAL_RGB = ((230, 190, 80), (215, 215, 225), (245, 240, 225))

# person-level generator stream tags (the 4th element of the seed sequence)
_PERSON, _IMAGE = 0, 1


def _exact(rng: np.random.Generator, mask: np.ndarray, p: float) -> np.ndarray:
    """Boolean array with exactly round(p * mask.sum()) True values, placed at random in mask."""
    out = np.zeros(mask.shape, dtype=bool)
    idx = np.flatnonzero(mask)
    k = int(round(p * len(idx)))
    if k:
        out[rng.permutation(idx)[:k]] = True
    return out


def _exact_cat(
    rng: np.random.Generator, mask: np.ndarray, probs: dict[str, float], fill: str = ""
) -> np.ndarray:
    """Categorical labels with exact (largest-remainder) counts inside mask."""
    out = np.full(mask.shape, fill, dtype=object)
    idx = rng.permutation(np.flatnonzero(mask))
    names = list(probs)
    p = np.array([probs[k] for k in names], float)
    raw = p / p.sum() * len(idx)
    counts = np.floor(raw).astype(int)
    for j in np.argsort(-(raw - counts), kind="stable")[: len(idx) - counts.sum()]:
        counts[j] += 1
    start = 0
    for name, c in zip(names, counts, strict=True):
        out[idx[start : start + c]] = name
        start += c
    return out


def sample_people(seed: int, dataset: int, group: int, pids: list[int]) -> list[dict]:
    """Persistent traits of the people ``pids`` of one group (exact prevalences in the group).

    ``dataset`` and ``group`` are small integers naming the dataset and the group inside it
    (e.g. a CelebA partition); ``pids`` are the people's indices inside the dataset.
    """
    n = len(pids)
    rng = np.random.default_rng([seed, dataset, 1_000_000 + group])
    all_ = np.ones(n, dtype=bool)
    male = _exact(rng, all_, 0.5)
    fem = ~male
    bald = _exact(rng, male, 0.56) | _exact(rng, fem, 0.06)
    color = _exact_cat(rng, all_, {"black": 0.27, "brown": 0.27, "blond": 0.23, "gray": 0.23})
    style = _exact_cat(rng, male & ~bald, {"straight": 0.36, "wavy": 0.30, "short": 0.34}, "none")
    style_f = _exact_cat(rng, fem & ~bald, {"straight": 0.42, "wavy": 0.40, "short": 0.18})
    style[fem & ~bald] = style_f[fem & ~bald]
    lipstick = _exact(rng, fem, 0.62)
    makeup = _exact(rng, fem & lipstick, 0.72) | _exact(rng, fem & ~lipstick, 0.2)
    traits = {
        "male": male,
        "bald": bald,
        "hair_color": color,
        "hair_style": style,
        "bangs": _exact(rng, ~bald, 0.42),
        "glasses": _exact(rng, all_, 0.32),
        "hat": _exact(rng, all_, 0.30),
        "lipstick": lipstick,
        "makeup": makeup,
        "earrings": _exact(rng, fem, 0.56),
        "necklace": _exact(rng, fem, 0.50) | _exact(rng, male, 0.05),
        "necktie": _exact(rng, male, 0.55),
        "mustache": _exact(rng, male, 0.56),
        "goatee": _exact(rng, male, 0.52),
        "sideburns": _exact(rng, male, 0.52),
        "big_nose": _exact(rng, all_, 0.36),
        "pointy_nose": _exact(rng, all_, 0.33),
        "narrow_eyes": _exact(rng, all_, 0.32),
        "bushy_brows": _exact(rng, all_, 0.33),
        "arched_brows": _exact(rng, fem, 0.55) | _exact(rng, male, 0.2),
        "chubby": _exact(rng, all_, 0.28),
        "big_lips": _exact(rng, all_, 0.36),
        "young": _exact(rng, all_, 0.62),
    }
    traits["oval"] = _exact(rng, ~traits["chubby"], 0.42)
    people = []
    for k, pid in enumerate(pids):
        person = {
            key: (str(v[k]) if v.dtype == object else bool(v[k])) for key, v in traits.items()
        }
        person.update(_continuous(np.random.default_rng([seed, dataset, pid, _PERSON]), person))
        person["pid"] = int(pid)
        people.append(person)
    return people


def _rgb(c) -> list[int]:
    return [int(np.clip(round(float(v)), 0, 255)) for v in c]


def _continuous(rng: np.random.Generator, p: dict) -> dict:
    """Continuous, per-person detail that makes people distinguishable."""
    u = rng.uniform
    male, chubby, oval = p["male"], p["chubby"], p["oval"]
    t = rng.beta(1.5, 2.4) * (len(SKIN_STOPS) - 1)
    i = min(int(t), len(SKIN_STOPS) - 2)
    skin = SKIN_STOPS[i] * (1 - (t - i)) + SKIN_STOPS[i + 1] * (t - i) + rng.normal(0, 6, 3)
    tint = rng.normal(0, 8, 3) if p["hair_color"] != "gray" else np.full(3, rng.normal(0, 10))
    hair = np.array(HAIR_RGB[p["hair_color"]], float) * u(0.8, 1.2) + tint
    face_a = u(0.245, 0.275) + (0.012 if male else 0.0) + (0.03 if chubby else 0.0)
    face_a -= 0.015 if oval else 0.0
    face_bb = u(0.31, 0.35) + (0.035 if oval else 0.0) - (0.015 if chubby else 0.0)
    jaw = u(0.35, 0.45) if oval else (u(0.04, 0.14) if chubby else u(0.14, 0.3))
    hair_len = (
        u(0.98, 1.2)
        if (not male and rng.random() < 0.8)
        else u(0.66, 0.82)
        if not male
        else u(0.6, 0.72)
    )
    moles = [
        [u(-0.17, 0.17), u(0.68, 0.9), u(0.008, 0.014)] for _ in range(int(rng.integers(0, 4)))
    ]
    out = {
        "skin": _rgb(skin),
        "hair_rgb": _rgb(hair),
        "face_a": face_a,
        "face_bt": u(0.32, 0.35),
        "face_bb": face_bb,
        "face_cy": u(0.63, 0.65),
        "jaw": jaw,
        "square": u(2.0, 2.3) if oval or chubby else u(2.0, 2.9),
        "eye_dx": u(0.095, 0.122),
        "eye_y": u(0.605, 0.635),
        "eye_w": u(0.05, 0.062),
        "eye_h": u(0.022, 0.028) * (0.42 if p["narrow_eyes"] else 1.0),
        "eye_tilt": u(-0.012, 0.012),
        "iris": list(IRIS_RGB[int(rng.integers(len(IRIS_RGB)))]),
        "brow_dy": u(0.052, 0.072),
        "brow_th": u(0.026, 0.034) if p["bushy_brows"] else u(0.009, 0.014),
        "brow_len": u(0.065, 0.085),
        "brow_tilt": u(-0.012, 0.012),
        "brow_arch": u(0.02, 0.03) if p["arched_brows"] else u(-0.004, 0.006),
        "brow_dark": u(0.45, 0.6) if p["bushy_brows"] else u(0.65, 0.9),
        "nose_len": u(0.11, 0.13) + (0.04 if p["big_nose"] else 0.0),
        "nose_w": u(0.026, 0.034) * (1.6 if p["big_nose"] else 1.0),
        "mouth_y": u(0.835, 0.855),
        "mouth_w": u(0.07, 0.088) + (0.006 if male else 0.0),
        "lip_up": u(0.008, 0.012) * (1.9 if p["big_lips"] else 1.0),
        "lip_lo": u(0.011, 0.016) * (1.9 if p["big_lips"] else 1.0),
        "lip_rgb": list(LIPSTICK_RGB[int(rng.integers(len(LIPSTICK_RGB)))]),
        "lip_natural": _rgb(skin * np.array([0.8, 0.55, 0.55]) + rng.normal(0, 5, 3)),
        "shadow_rgb": list(SHADOW_RGB[int(rng.integers(len(SHADOW_RGB)))]),
        "ear_y": u(0.62, 0.66),
        "ear_r": u(0.026, 0.036),
        "hairline": u(0.4, 0.44),
        "hair_vol": u(0.025, 0.06),
        "hair_part": u(-0.12, 0.12),
        "hair_len": hair_len,
        "wave_n": u(5.0, 8.0),
        "wave_amp": u(0.012, 0.022),
        "wave_phase": u(0, 2 * np.pi),
        "strand_seed": int(rng.integers(1 << 30)),
        "fringe_len": u(0.085, 0.115),
        "moles": moles,
        "freckles": bool(rng.random() < 0.15),
        "glasses_rgb": _rgb(
            [(25, 25, 30), (95, 55, 30), (70, 72, 85), (140, 25, 35)][int(rng.integers(4))]
        ),
        "glasses_round": bool(rng.random() < 0.4),
        "glasses_th": u(0.013, 0.02),
        "sunglasses": bool(p["glasses"] and rng.random() < 0.2),
        "hat_rgb": list(HAT_RGB[int(rng.integers(len(HAT_RGB)))]),
        "hat_style": ["cap", "beanie", "brim"][int(rng.integers(3))],
        "tie_rgb": _rgb(rng.uniform(20, 200, 3)),
        "metal_rgb": list(METAL_RGB[int(rng.integers(len(METAL_RGB)))]),
        "beard_dark": u(0.35, 0.7),
        "wrinkle": 0.0 if p["young"] else u(0.6, 1.0),
    }
    return out


def sample_image_state(
    seed: int, dataset: int, person: dict, image: int, cfg_nuisance: dict
) -> dict:
    """Per-image state (expression, accessories worn, pose, lighting, blur, noise, JPEG)."""
    rng = np.random.default_rng([seed, dataset, person["pid"], _IMAGE, image])
    r = rng.random
    u = rng.uniform
    male = person["male"]
    st = {
        "smiling": bool(r() < 0.48),
        "mouth_open": bool(r() < 0.45),
        "blurry": bool(r() < 0.26),
        "pale": bool(r() < 0.30),
        "rosy": bool(r() < 0.30),
        "bags": bool(r() < 0.30),
        "stubble": bool(male and r() < 0.55),
        "glasses_on": bool(person["glasses"] and r() < 0.9),
        "hat_on": bool(r() < 0.85) if person["hat"] else bool(r() < 0.03),
        "earrings_on": bool(person["earrings"] and r() < 0.9),
        "necklace_on": bool(person["necklace"] and r() < 0.9),
        "necktie_on": bool(person["necktie"] and r() < 0.85),
        "occlusion": bool(r() < cfg_nuisance["occlusion_rate"]),
        "rotation": float(u(-1, 1) * cfg_nuisance["rotation"]),
        "dx": float(u(-1, 1) * cfg_nuisance["shift"]),
        "dy": float(u(-1, 1) * cfg_nuisance["shift"]),
        "scale": float(u(*cfg_nuisance["scale"])),
        "yaw": float(u(-0.02, 0.02)),
        "brow_raise": float(u(-0.006, 0.01)),
        "gain": float(u(0.78, 1.15)),
        "cast": [float(x) for x in u(0.95, 1.05, 3)],
        "grad": float(u(-0.35, 0.35)),
        "noise_sigma": float(u(*cfg_nuisance["noise_sigma"])),
        "jpeg": int(
            rng.integers(cfg_nuisance["jpeg_quality"][0], cfg_nuisance["jpeg_quality"][1] + 1)
        ),
        "shirt_rgb": _rgb(u(30, 230, 3)),
        "collar": bool(r() < 0.5),
        "render_seed": int(rng.integers(1 << 62)),
    }
    st["blur_sigma"] = float(u(0.9, 1.4)) if st["blurry"] else float(u(0.0, 0.35))
    labels = true_labels(person, st)
    unrendered = rng.random(4) < 0.5
    k = 0
    for j, name in enumerate(CELEBA_ATTRIBUTES):
        if ATTRIBUTES[name].kind == UNRENDERED:
            labels[j] = 1 if unrendered[k] else -1
            k += 1
    flips = rng.random(len(CELEBA_ATTRIBUTES)) < np.array(
        [ATTRIBUTES[a].noise * cfg_nuisance["label_noise"] for a in CELEBA_ATTRIBUTES]
    )
    labels[flips] *= -1
    st["labels"] = labels
    return st


def true_labels(person: dict, st: dict) -> np.ndarray:
    """The 40 CelebA labels (+1/-1, int8) of what is drawn (unrendered ones set to -1)."""
    p = person
    hair = not p["bald"]
    on = {
        "5_o_Clock_Shadow": st["stubble"],
        "Arched_Eyebrows": p["arched_brows"],
        "Bags_Under_Eyes": st["bags"],
        "Bald": p["bald"] and not st["hat_on"],
        "Bangs": p["bangs"] and hair,
        "Big_Lips": p["big_lips"],
        "Big_Nose": p["big_nose"],
        "Black_Hair": p["hair_color"] == "black",
        "Blond_Hair": p["hair_color"] == "blond",
        "Blurry": st["blurry"],
        "Brown_Hair": p["hair_color"] == "brown",
        "Bushy_Eyebrows": p["bushy_brows"],
        "Chubby": p["chubby"],
        "Eyeglasses": st["glasses_on"],
        "Goatee": p["goatee"],
        "Gray_Hair": p["hair_color"] == "gray",
        "Heavy_Makeup": p["makeup"],
        "Male": p["male"],
        "Mouth_Slightly_Open": st["mouth_open"],
        "Mustache": p["mustache"],
        "Narrow_Eyes": p["narrow_eyes"] and not (st["glasses_on"] and p["sunglasses"]),
        "No_Beard": not (p["goatee"] or p["mustache"]),
        "Oval_Face": p["oval"],
        "Pale_Skin": st["pale"],
        "Pointy_Nose": p["pointy_nose"],
        "Rosy_Cheeks": st["rosy"],
        "Sideburns": p["sideburns"],
        "Smiling": st["smiling"],
        "Straight_Hair": hair and p["hair_style"] == "straight",
        "Wavy_Hair": hair and p["hair_style"] == "wavy",
        "Wearing_Earrings": st["earrings_on"],
        "Wearing_Hat": st["hat_on"],
        "Wearing_Lipstick": p["lipstick"],
        "Wearing_Necklace": st["necklace_on"],
        "Wearing_Necktie": st["necktie_on"],
        "Young": p["young"],
    }
    return np.array([1 if on.get(a, False) else -1 for a in CELEBA_ATTRIBUTES], dtype=np.int8)
