"""Procedural face renderer (PIL, supersampled then box-downscaled).

Faces are drawn in *face units*: x in [0, 1] across the face crop's width, y in
[0, ASPECT] down its height (the crop is ASPECT times taller than wide, like CelebA's
aligned 178 x 218 images). The eyes sit near y = 0.62 (51% of the height), the chin
near y = 0.97. A per-image similarity transform (rotation, scale, shift) jitters the face
inside its crop; the crop itself may sit anywhere in a larger canvas.

This module draws the background, the face and its features and puts an image
together (``render_image``); the drawing primitives are in ``drawing``, the hair in
``hair``, what a person wears in ``accessories``.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from facecues.data.synthetic.accessories import clothes, glasses, hat, occluder
from facecues.data.synthetic.drawing import (
    Pen,
    bez,
    ell,
    face_contour,
    half_width_at,
    mix,
    mul,
    rgba,
)
from facecues.data.synthetic.hair import (
    bald,
    bangs,
    facial_hair,
    hair_cap,
    long_hair_back,
    side_locks,
)

ASPECT = 1.22
CENTER = (0.5, 0.64)


def _background(size, rng: np.random.Generator) -> Image.Image:
    w, h = size
    grey = rng.uniform(50, 210)
    base = grey + (rng.uniform(0, 255, 3) - grey) * rng.uniform(0.1, 0.5)
    grid = np.clip(base + rng.normal(0, 22, (3, 3, 3)), 0, 255).astype(np.uint8)
    img = Image.fromarray(grid, "RGB").resize((w, h), Image.BILINEAR)
    d = ImageDraw.Draw(img, "RGBA")
    for _ in range(int(rng.integers(3, 9))):
        col = rgba(np.clip(base + rng.normal(0, 45, 3), 0, 255), int(rng.integers(70, 220)))
        x0, y0 = rng.uniform(-0.2, 1.0) * w, rng.uniform(-0.2, 1.0) * h
        x1, y1 = x0 + rng.uniform(0.1, 0.6) * w, y0 + rng.uniform(0.1, 0.6) * h
        kind = rng.integers(3)
        if kind == 0:
            d.rectangle([x0, y0, x1, y1], fill=col)
        elif kind == 1:
            d.ellipse([x0, y0, x1, y1], fill=col)
        else:
            d.line([x0, y0, x1, y1], fill=col, width=int(rng.integers(2, max(3, w // 20))))
    return img


def _eye(pen: Pen, p: dict, st: dict, side: int, makeup: bool, lid_col) -> None:
    w, h = p["eye_w"], p["eye_h"] * (0.8 if st["smiling"] else 1.0)
    cx = 0.5 + side * p["eye_dx"] + st["yaw"]
    cy = p["eye_y"] + side * p["eye_tilt"] * 0.5
    xs = np.linspace(-w, w, 11)
    f = np.clip(1 - (xs / w) ** 2, 0, None)
    top = np.stack([cx + xs, cy - h * f**0.8], 1)
    bot = np.stack([cx + xs[::-1], cy + 0.75 * h * f[::-1] ** 0.8], 1)
    if makeup:
        shadow = np.vstack(
            [top, np.stack([cx + xs[::-1] * 1.1, cy - h - 0.035 * f[::-1] ** 0.6], 1)]
        )
        pen.poly(shadow, rgba(p["shadow_rgb"], 150))
    pen.poly(np.vstack([top, bot]), (236, 232, 226))
    ir = min(w * 0.42, 0.022)
    ic = ell(cx + st["yaw"] * 0.5, cy, ir, ir, 14)
    lo = np.interp(ic[:, 0], cx + xs, cy - h * f**0.8)
    hi = np.interp(ic[:, 0], cx + xs, cy + 0.75 * h * f**0.8)
    ic[:, 1] = np.clip(ic[:, 1], lo, hi)
    pen.poly(ic, tuple(p["iris"]))
    pc = ell(cx + st["yaw"] * 0.5, cy, ir * 0.45, ir * 0.45, 8)
    pc[:, 1] = np.clip(pc[:, 1], np.interp(pc[:, 0], cx + xs, cy - h * f**0.8), hi.max())
    pen.poly(pc, (15, 12, 12))
    pen.line(top, 0.016 if makeup else 0.008, (20, 15, 15) if makeup else lid_col)


def _brow(pen: Pen, p: dict, st: dict, side: int, col) -> None:
    length = p["brow_len"]
    cx = 0.5 + side * (p["eye_dx"] + 0.006) + st["yaw"]
    cy = p["eye_y"] - p["brow_dy"] - st["brow_raise"]
    u = np.linspace(-1, 1, 9)  # -1 inner end, +1 outer end
    x = cx + side * u * length
    peak = 0.35
    arch = p["brow_arch"] * np.clip(1 - ((u - peak) / 1.35) ** 2, 0, None)
    y = cy - arch + p["brow_tilt"] * u
    pen.line(np.stack([x, y], 1), p["brow_th"], col)


def _nose(pen: Pen, p: dict, st: dict, skin) -> None:
    cx = 0.5 + st["yaw"] * 1.6
    top_y = p["eye_y"] + 0.02
    tip_y = p["eye_y"] + p["nose_len"]
    w = p["nose_w"]
    dark = mul(skin, 0.6)
    light = mul(skin, 1.16)
    side = 1 if st["grad"] < 0 else -1
    pen.poly(
        [
            [cx + side * 0.01, top_y],
            [cx + side * w * 0.95, tip_y - 0.012],
            [cx + side * w * 0.3, tip_y],
        ],
        rgba(dark, 110),
    )
    if p["pointy_nose"]:
        pen.line([[cx, top_y + 0.03], [cx, tip_y - 0.006]], 0.008, rgba(light, 160))
        pen.poly(
            [[cx - w * 0.7, tip_y - 0.004], [cx + w * 0.7, tip_y - 0.004], [cx, tip_y + 0.024]],
            rgba(dark, 170),
        )
    else:
        pen.ellipse(cx, tip_y + 0.006, w * 0.85, 0.014, rgba(dark, 150), 14)
        pen.ellipse(cx, tip_y - 0.01, w * 0.45, 0.012, rgba(light, 140), 12)
    big = p["big_nose"]
    for s in (-1, 1):
        pen.ellipse(
            cx + s * w * 0.5, tip_y + 0.008, 0.009 * (1.4 if big else 1), 0.006, mul(skin, 0.38), 8
        )
        wing = ell(
            cx + s * w * 0.8,
            tip_y - 0.002,
            w * 0.35,
            0.016,
            8,
            math.pi / 2 - s * 1.4,
            math.pi / 2 + s * 1.4,
        )
        pen.line(wing, 0.009 if big else 0.006, rgba(dark, 220))


def _mouth(pen: Pen, p: dict, st: dict, skin) -> None:
    smiling, opened = st["smiling"], st["mouth_open"]
    cx = 0.5 + st["yaw"] * 1.2
    my = p["mouth_y"]
    w = p["mouth_w"] * (1.25 if smiling else 1.0)
    curve = 0.04 if smiling else 0.002
    gap = (0.044 if smiling else 0.034) if opened else (0.018 if smiling else 0.0)
    xs = np.linspace(-w, w, 15)
    f = np.clip(1 - (xs / w) ** 2, 0, None)
    mid = my - curve * (xs / w) ** 2  # where the lips meet (corners raised when smiling)
    upper_in = mid - gap / 2 * f**0.5
    lower_in = mid + gap / 2 * f**0.5 + (0.012 * f if smiling else 0)
    bow = 1 - 0.35 * np.exp(-((xs / (0.25 * w)) ** 2))
    upper_out = upper_in - p["lip_up"] * f**0.6 * bow
    lower_out = lower_in + p["lip_lo"] * f**0.6
    lip = tuple(p["lip_rgb"]) if p["lipstick"] else tuple(p["lip_natural"])
    if smiling:
        for s in (-1, 1):
            pen.line(
                bez(
                    [cx + s * (w + 0.02), my - 0.055],
                    [cx + s * (w + 0.045), my - 0.01],
                    [cx + s * (w + 0.022), my + 0.025],
                    7,
                ),
                0.01,
                rgba(mul(skin, 0.62), 230),
            )
    if gap > 0:
        pen.poly(
            np.vstack(
                [np.stack([cx + xs, upper_in], 1), np.stack([cx + xs[::-1], lower_in[::-1]], 1)]
            ),
            (55, 20, 25),
        )
        if smiling:
            teeth_h = min(gap, 0.018)
            pen.poly(
                np.vstack(
                    [
                        np.stack([cx + xs * 0.85, upper_in], 1),
                        np.stack([cx + xs[::-1] * 0.85, (upper_in + teeth_h * f**0.5)[::-1]], 1),
                    ]
                ),
                (240, 238, 230),
            )
    pen.poly(
        np.vstack(
            [np.stack([cx + xs, upper_out], 1), np.stack([cx + xs[::-1], upper_in[::-1]], 1)]
        ),
        lip,
    )
    pen.poly(
        np.vstack(
            [np.stack([cx + xs, lower_in], 1), np.stack([cx + xs[::-1], lower_out[::-1]], 1)]
        ),
        mul(lip, 1.08),
    )
    if gap == 0:
        pen.line(np.stack([cx + xs, mid], 1), 0.006, mul(lip, 0.45))


def _wrinkles(pen: Pen, p: dict, st: dict, skin) -> None:
    """Age lines: forehead (unless covered by bangs), nose-to-mouth folds, jowls, crow's feet."""
    col = rgba(mul(skin, 0.58), int(120 * p["wrinkle"] + 110))
    if not p["bangs"] or p["bald"]:
        for j in range(3):
            y = p["hairline"] + 0.05 + j * 0.02
            pen.line(bez([0.39, y + 0.006], [0.5, y - 0.008], [0.61, y + 0.006], 7), 0.008, col)
    my, mw = p["mouth_y"], p["mouth_w"]
    for s in (-1, 1):
        nx = 0.5 + s * (p["nose_w"] + 0.035)
        fold = bez(
            [nx, p["eye_y"] + p["nose_len"] - 0.02],
            [nx + s * 0.03, my - 0.01],
            [nx + s * 0.035, my + 0.045],
            7,
        )
        pen.line(fold, 0.01, col)
        pen.line(
            [[0.5 + s * (mw + 0.012), my + 0.012], [0.5 + s * (mw + 0.022), my + 0.07]], 0.008, col
        )
        ex = 0.5 + s * (p["eye_dx"] + p["eye_w"] + 0.012)
        for dy in (-0.012, 0.0, 0.012):
            pen.line(
                [[ex, p["eye_y"] + dy * 0.5], [ex + s * 0.026, p["eye_y"] + dy * 1.8]], 0.007, col
            )


def pale(skin) -> tuple[int, int, int]:
    """Pale (washed-out) version of a skin colour: desaturated and lightened."""
    lum = 0.3 * skin[0] + 0.59 * skin[1] + 0.11 * skin[2]
    desat = [lum + (c - lum) * 0.5 for c in skin]
    return mix(desat, (250, 244, 240), 0.45)


def draw_person(pen: Pen, p: dict, st: dict, rng: np.random.Generator) -> None:
    """Draw one person (traits ``p``) in one image state ``st`` with ``pen``, back to
    front: long hair behind, clothes, ears, face, its marks, features, facial hair, the
    hair on top, what is worn, an occluder (the only draws from ``rng``)."""
    skin = tuple(p["skin"])
    if st["pale"]:
        skin = pale(skin)
    hair = tuple(p["hair_rgb"])
    strand = mul(hair, 0.72) if p["hair_color"] != "black" else mix(hair, (90, 80, 75), 0.5)
    long_hair = not p["bald"] and p["hair_style"] in ("straight", "wavy") and p["hair_len"] > 0.74

    if long_hair:
        long_hair_back(pen, p, hair)
    clothes(pen, p, st, skin)
    if long_hair:
        side_locks(pen, p, hair, strand)
    _ears(pen, p, skin)
    contour = face_contour(p)
    pen.poly(contour, skin)
    pen.line(np.vstack([contour, contour[:1]]), 0.007, rgba(mul(skin, 0.72), 170))
    _skin_marks(pen, p, st, skin)
    _eyes_and_brows(pen, p, st, skin, hair)
    _nose(pen, p, st, skin)
    facial_hair(pen, p, st, contour)
    _mouth(pen, p, st, skin)
    _head_hair(pen, p, hair, strand, skin)
    _worn(pen, p, st)
    if st["occlusion"]:
        occluder(pen, p, rng, skin)


def _ears(pen: Pen, p: dict, skin) -> None:
    for s in (-1, 1):
        hw = half_width_at(p, p["ear_y"])
        pen.ellipse(
            0.5 + s * (hw + p["ear_r"] * 0.45),
            p["ear_y"],
            p["ear_r"],
            p["ear_r"] * 1.7,
            mul(skin, 0.93),
            14,
        )
        pen.ellipse(
            0.5 + s * (hw + p["ear_r"] * 0.45),
            p["ear_y"],
            p["ear_r"] * 0.45,
            p["ear_r"] * 1.0,
            mul(skin, 0.75),
            10,
        )


def _skin_marks(pen: Pen, p: dict, st: dict, skin) -> None:
    """Chubby cheeks, freckles (their own random stream), moles, wrinkles, rosy cheeks,
    bags under the eyes."""
    a = p["face_a"]
    if p["chubby"]:
        for s in (-1, 1):
            pen.ellipse(
                0.5 + s * (a - 0.07),
                p["mouth_y"] - 0.03,
                0.06,
                0.045,
                rgba(mul(skin, 1.08), 90),
                14,
            )
    if p["freckles"]:
        frng = np.random.default_rng(p["strand_seed"] + 1)
        for _ in range(18):
            x = 0.5 + frng.uniform(-0.16, 0.16)
            pen.ellipse(
                x,
                p["eye_y"] + frng.uniform(0.04, 0.11),
                0.006,
                0.006,
                rgba(mul(skin, 0.7), 180),
                6,
            )
    for mx, my_, mr in p["moles"]:
        pen.ellipse(0.5 + mx, my_, mr, mr, mul(skin, 0.35), 8)
    if p["wrinkle"] > 0:
        _wrinkles(pen, p, st, skin)
    if st["rosy"]:
        for s in (-1, 1):
            pen.ellipse(
                0.5 + s * (p["eye_dx"] + 0.03),
                p["eye_y"] + 0.125,
                0.05,
                0.034,
                (220, 60, 75, 95),
                14,
            )
    if st["bags"]:
        for s in (-1, 1):
            cx = 0.5 + s * p["eye_dx"] + st["yaw"]
            yb = p["eye_y"] + p["eye_h"] + 0.012
            pen.line(
                bez(
                    [cx - p["eye_w"], yb - 0.006], [cx, yb + 0.02], [cx + p["eye_w"], yb - 0.006], 8
                ),
                0.016,
                rgba(mix(mul(skin, 0.5), (80, 50, 100), 0.4), 200),
            )


def _eyes_and_brows(pen: Pen, p: dict, st: dict, skin, hair) -> None:
    """Eyes (lids from the skin colour) and brows (from the hair colour)."""
    lid = mul(skin, 0.45)
    for s in (-1, 1):
        _eye(pen, p, st, s, p["makeup"], lid)
    brow_col = (
        mix(hair, (45, 35, 30), 1 - p["brow_dark"])
        if p["hair_color"] in ("blond", "gray")
        else mul(hair, p["brow_dark"] + 0.1)
    )
    for s in (-1, 1):
        _brow(pen, p, st, s, brow_col)


def _head_hair(pen: Pen, p: dict, hair, strand, skin) -> None:
    """The hair on top of the head and bangs, or a bald head's fringe."""
    if not p["bald"]:
        hair_cap(pen, p, hair, strand)
        if p["bangs"]:
            bangs(pen, p, hair, strand)
    else:
        bald(pen, p, hair, skin)


def _worn(pen: Pen, p: dict, st: dict) -> None:
    """Hat, glasses, earrings."""
    if st["hat_on"]:
        hat(pen, p, tuple(p["hat_rgb"]))
    if st["glasses_on"]:
        glasses(pen, p, st)
    if st["earrings_on"]:
        metal = tuple(p["metal_rgb"])
        for s in (-1, 1):
            hw = half_width_at(p, p["ear_y"])
            ex, ey = 0.5 + s * (hw + p["ear_r"] * 0.45), p["ear_y"] + p["ear_r"] * 1.7 + 0.016
            pen.ring(ex, ey, 0.016, 0.018, 0.009, metal, 12)


def face_matrix(
    box: tuple[float, float, float, float], st: dict, ss: int
) -> tuple[np.ndarray, float]:
    """Affine map from face units to supersampled pixels for a crop ``box`` (x, y, w, h)."""
    x, y, w, _h = box
    px = w * ss
    k = st["scale"]
    th = math.radians(st["rotation"])
    r = k * np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    c = np.array(CENTER)
    t = c - r @ c + np.array([st["dx"], st["dy"]])
    m = np.hstack([r * px, (t * px + np.array([x * ss, y * ss]))[:, None]])
    return m, px * k


def render_image(
    person: dict, st: dict, canvas: tuple[int, int], box: tuple[int, int, int, int], ss: int = 3
) -> Image.Image:
    """Render one image: background, person in crop ``box`` of a ``canvas`` (w, h), nuisance."""
    rng = np.random.default_rng(st["render_seed"])
    cw, ch = canvas
    img = _background((cw * ss, ch * ss), rng)
    m, px = face_matrix(box, st, ss)
    draw_person(Pen(img, m, px), person, st, rng)
    img = img.reduce(ss)
    sigma = st["blur_sigma"] * box[2] / 64.0
    if sigma > 0.15:
        img = img.filter(ImageFilter.GaussianBlur(sigma))
    arr = np.asarray(img, dtype=np.float32)
    ramp = 1 + st["grad"] * (np.linspace(-0.5, 0.5, cw, dtype=np.float32))[None, :, None]
    arr = arr * (st["gain"] * np.asarray(st["cast"], np.float32)) * ramp
    arr += rng.normal(0.0, st["noise_sigma"], arr.shape).astype(np.float32)
    return Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "RGB")


def jpeg_bytes(img: Image.Image, quality: int) -> bytes:
    """Encode as baseline JPEG (deterministic for a given image and quality)."""
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=int(quality))
    return buf.getvalue()
