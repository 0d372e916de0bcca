"""Procedural face renderer (PIL, supersampled then box-downscaled).

Faces are drawn in *face units*: x in [0, 1] across the face crop's width, y in
[0, ASPECT] down its height (the crop is ASPECT times taller than wide, like CelebA's
aligned 178 x 218 images). The eyes sit near y = 0.62 (51% of the height), the chin
near y = 0.97. A per-image similarity transform (rotation, scale, shift) jitters the face
inside its crop; the crop itself may sit anywhere in a larger canvas.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

ASPECT = 1.22
CENTER = (0.5, 0.64)
_TAU = 2 * math.pi


def _mix(a, b, t: float) -> tuple[int, int, int]:
    return tuple(int(round(x * (1 - t) + y * t)) for x, y in zip(a, b, strict=True))


def _mul(c, f: float) -> tuple[int, int, int]:
    return tuple(int(min(255, max(0, round(x * f)))) for x in c)


def _rgba(c, a: int) -> tuple[int, int, int, int]:
    return (int(c[0]), int(c[1]), int(c[2]), int(a))


def _ell(cx, cy, rx, ry, n=24, a0=0.0, a1=_TAU) -> np.ndarray:
    t = np.linspace(a0, a1, n, endpoint=(a1 - a0) < _TAU - 1e-9)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def _bez(p0, p1, p2, n=10) -> np.ndarray:
    t = np.linspace(0, 1, n)[:, None]
    p0, p1, p2 = (np.asarray(p, float) for p in (p0, p1, p2))
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2


class Pen:
    """Draws face-unit shapes through an affine map onto a (supersampled) RGB image."""

    def __init__(self, img: Image.Image, matrix: np.ndarray, px: float):
        self.draw = ImageDraw.Draw(img, "RGBA")
        self.m = matrix  # 2 x 3, face units -> pixels
        self.px = px  # pixels per face unit

    def _t(self, pts) -> list[float]:
        pts = np.asarray(pts, float)
        return (pts @ self.m[:, :2].T + self.m[:, 2]).ravel().tolist()

    def poly(self, pts, fill) -> None:
        self.draw.polygon(self._t(pts), fill=tuple(fill))

    def line(self, pts, width: float, fill) -> None:
        w = max(1, int(round(width * self.px)))
        self.draw.line(self._t(pts), fill=tuple(fill), width=w, joint="curve" if w > 2 else None)

    def ellipse(self, cx, cy, rx, ry, fill, n=20) -> None:
        self.poly(_ell(cx, cy, rx, ry, n), fill)

    def ring(self, cx, cy, rx, ry, width, fill, n=20) -> None:
        pts = _ell(cx, cy, rx, ry, n)
        self.line(np.vstack([pts, pts[:1]]), width, fill)


# ----------------------------------------------------------------------------- geometry
def face_contour(p: dict, n: int = 48) -> np.ndarray:
    """Closed outline of the face (forehead round, lower half superelliptic with a jaw taper)."""
    a, bt, bb, cy = p["face_a"], p["face_bt"], p["face_bb"], p["face_cy"]
    t = np.linspace(0, _TAU, n, endpoint=False)
    c, s = np.cos(t), np.sin(t)
    lower = s > 0
    e = np.where(lower, 2.0 / p["square"], 1.0)
    x = a * np.sign(c) * np.abs(c) ** e
    y = np.where(lower, bb, bt) * np.sign(s) * np.abs(s) ** e
    x = x * (1 - p["jaw"] * np.clip(s, 0, None) ** 2)
    return np.stack([0.5 + x, cy + y], 1)


def _half_width_at(p: dict, y: float) -> float:
    """Half-width of the face contour at height y (approximate, from the contour samples)."""
    pts = face_contour(p, 64)
    right = pts[pts[:, 0] >= 0.5]
    order = np.argsort(right[:, 1])
    return float(np.interp(y, right[order, 1], right[order, 0]) - 0.5)


# ----------------------------------------------------------------------------- parts
def _background(size, rng: np.random.Generator) -> Image.Image:
    w, h = size
    grey = rng.uniform(50, 210)
    base = grey + (rng.uniform(0, 255, 3) - grey) * rng.uniform(0.1, 0.5)
    grid = np.clip(base + rng.normal(0, 22, (3, 3, 3)), 0, 255).astype(np.uint8)
    img = Image.fromarray(grid, "RGB").resize((w, h), Image.BILINEAR)
    d = ImageDraw.Draw(img, "RGBA")
    for _ in range(int(rng.integers(3, 9))):
        col = _rgba(np.clip(base + rng.normal(0, 45, 3), 0, 255), int(rng.integers(70, 220)))
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


def _hair_outline(p: dict, side: int, y0: float, y1: float, x_out: float, wavy: bool, n=14):
    """Outer edge of a hanging lock of hair from y0 down to y1 (side -1 left, +1 right)."""
    y = np.linspace(y0, y1, n)
    flare = 0.04 * np.clip((y - y0) / max(y1 - y0, 1e-6), 0, 1)
    x = x_out + flare
    if wavy:
        x = x + p["wave_amp"] * np.sin(_TAU * p["wave_n"] * (y - y0) / 0.6 + p["wave_phase"] + side)
    return np.stack([0.5 + side * x, y], 1)


def _long_hair_back(pen: Pen, p: dict, col) -> None:
    a, cy, bt, vol = p["face_a"], p["face_cy"], p["face_bt"], p["hair_vol"]
    wavy = p["hair_style"] == "wavy"
    top = _ell(0.5, cy, a + vol, bt + vol, 20, math.pi, _TAU)
    right = _hair_outline(p, 1, cy, p["hair_len"], a + vol, wavy)
    left = _hair_outline(p, -1, cy, p["hair_len"], a + vol, wavy)[::-1]
    bottom_y = p["hair_len"]
    xs = np.linspace(0.5 + a + vol, 0.5 - a - vol, 9)
    bot = np.stack([xs, bottom_y - 0.03 * np.abs(np.sin(np.linspace(0, 3, 9)))], 1)
    pen.poly(np.vstack([left, top, right, bot]), col)


def _side_locks(pen: Pen, p: dict, col, strand) -> None:
    """Hair falling in front of the shoulders (long hair), drawn over the shirt."""
    a, cy, vol = p["face_a"], p["face_cy"], p["hair_vol"]
    wavy = p["hair_style"] == "wavy"
    y0, y1 = cy + 0.12, p["hair_len"]
    if y1 <= y0 + 0.05:
        return
    for side in (-1, 1):
        outer = _hair_outline(p, side, y0, y1, a + vol, wavy)
        inner_x = 0.5 + side * (a * 0.62)
        inner = np.stack([np.full(6, inner_x), np.linspace(y1, y0, 6)], 1)
        if wavy:
            inner[:, 0] += p["wave_amp"] * 0.6 * np.sin(np.linspace(0, 4, 6) + p["wave_phase"])
        pen.poly(np.vstack([outer, inner]), col)
        for k in range(3):
            x = 0.5 + side * (a * 0.7 + (k + 0.5) * (vol + 0.12) / 3.5)
            ys = np.linspace(y0 + 0.02, y1 - 0.02, 8)
            xs = np.full(8, x)
            if wavy:
                xs = xs + p["wave_amp"] * np.sin(_TAU * p["wave_n"] * ys / 0.6 + k)
            pen.line(np.stack([xs, ys], 1), 0.008, strand)


def _hair_cap(pen: Pen, p: dict, col, strand) -> None:
    """Hair on top of the head down to the hairline, with style-specific outline and strands."""
    a, cy, bt, vol = p["face_a"], p["face_cy"], p["face_bt"], p["hair_vol"]
    style = p["hair_style"]
    short = style == "short"
    side_y = cy + (0.02 if short else 0.06)
    n = 26
    ang = np.linspace(math.pi - 0.25, _TAU + 0.25, n)
    rx, ry = a + vol * (0.7 if short else 1.0), bt + vol
    outer = np.stack([0.5 + rx * np.cos(ang), cy + ry * np.sin(ang)], 1)
    outer[:, 1] = np.minimum(outer[:, 1], side_y)
    if short:  # curly, bumpy outline
        bump = 0.012 * np.abs(np.sin(np.arange(n) * 2.1 + p["wave_phase"]))
        outer[:, 0] += (outer[:, 0] - 0.5) / rx * bump
        outer[:, 1] -= bump
    elif style == "wavy":
        wob = p["wave_amp"] * 0.8 * np.sin(np.arange(n) * 1.3 + p["wave_phase"])
        outer[:, 0] += (outer[:, 0] - 0.5) / rx * wob
    hl = p["hairline"]
    part = 0.5 + p["hair_part"] * a
    inner = np.vstack(
        [
            [0.5 + a * 1.0, side_y],
            [0.5 + a * 0.93, cy - 0.12],
            _bez([0.5 + a * 0.8, hl + 0.025], [part, hl - 0.02], [0.5 - a * 0.8, hl + 0.025], 9),
            [0.5 - a * 0.93, cy - 0.12],
            [0.5 - a * 1.0, side_y],
        ]
    )
    pen.poly(np.vstack([outer, inner]), col)
    # strands from the parting outwards
    srng = np.random.default_rng(p["strand_seed"])
    crown = np.array([part, cy - bt - vol * 0.6])
    for _ in range(7 if not short else 5):
        end = np.array([0.5 + srng.uniform(-1, 1) * a * 1.05, srng.uniform(hl, cy - 0.04)])
        mid = (crown + end) / 2 + [srng.uniform(-0.03, 0.03), -0.03]
        pts = _bez(crown, mid, end, 8)
        if style == "wavy":
            pts[:, 0] += p["wave_amp"] * 0.7 * np.sin(np.linspace(0, 6, 8) + srng.uniform(0, 6))
        pen.line(pts, 0.007, strand)
    if short:
        for _ in range(8):
            cx = 0.5 + srng.uniform(-0.8, 0.8) * a
            cyy = srng.uniform(cy - bt - vol * 0.5, hl)
            pen.ring(cx, cyy, 0.014, 0.012, 0.006, strand, 8)


def _bangs(pen: Pen, p: dict, col, strand) -> None:
    a, cy = p["face_a"], p["face_cy"]
    hl = p["hairline"]
    bottom = p["eye_y"] - p["brow_dy"] - 0.022
    top_y = hl - 0.03
    n = 9
    xs = np.linspace(0.5 + a * 0.92, 0.5 - a * 0.92, n)
    jag = np.where(np.arange(n) % 2 == 0, 0.0, -0.022)
    length = bottom - 0.012 * np.cos(np.linspace(-1.2, 1.2, n)) + jag
    length = np.minimum(length, bottom)
    edge = np.stack([xs, length], 1)
    top = np.array([[0.5 - a * 0.95, cy - 0.12], [0.5, top_y], [0.5 + a * 0.95, cy - 0.12]])
    pen.poly(np.vstack([top[2:], edge, top[:1], top[1:2]]), col)
    for k in range(6):
        x = 0.5 + (k - 2.5) / 3.0 * a * 0.8
        pen.line(
            _bez([x + 0.02, top_y + 0.01], [x - 0.01, (top_y + bottom) / 2], [x, bottom], 6),
            0.006,
            strand,
        )


def _bald(pen: Pen, p: dict, col, skin) -> None:
    a, cy, bt = p["face_a"], p["face_cy"], p["face_bt"]
    for side in (-1, 1):
        ang = (
            np.linspace(-0.55, 0.1, 8)
            if side == 1
            else np.linspace(math.pi - 0.1, math.pi + 0.55, 8)
        )
        outer = np.stack([0.5 + (a + 0.018) * np.cos(ang), cy + (bt * 0.9) * np.sin(ang)], 1)
        inner = np.stack([0.5 + (a - 0.03) * np.cos(ang), cy + (bt * 0.8) * np.sin(ang)], 1)[::-1]
        pen.poly(np.vstack([outer, inner]), col)
    pen.ellipse(
        0.5 - a * 0.25, cy - bt * 0.82, 0.06, 0.025, _rgba(_mix(skin, (255, 255, 255), 0.5), 110)
    )


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
        pen.poly(shadow, _rgba(p["shadow_rgb"], 150))
    pen.poly(np.vstack([top, bot]), (236, 232, 226))
    ir = min(w * 0.42, 0.022)
    ic = _ell(cx + st["yaw"] * 0.5, cy, ir, ir, 14)
    lo = np.interp(ic[:, 0], cx + xs, cy - h * f**0.8)
    hi = np.interp(ic[:, 0], cx + xs, cy + 0.75 * h * f**0.8)
    ic[:, 1] = np.clip(ic[:, 1], lo, hi)
    pen.poly(ic, tuple(p["iris"]))
    pc = _ell(cx + st["yaw"] * 0.5, cy, ir * 0.45, ir * 0.45, 8)
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
    dark = _mul(skin, 0.6)
    light = _mul(skin, 1.16)
    side = 1 if st["grad"] < 0 else -1
    pen.poly(
        [
            [cx + side * 0.01, top_y],
            [cx + side * w * 0.95, tip_y - 0.012],
            [cx + side * w * 0.3, tip_y],
        ],
        _rgba(dark, 110),
    )
    if p["pointy_nose"]:
        pen.line([[cx, top_y + 0.03], [cx, tip_y - 0.006]], 0.008, _rgba(light, 160))
        pen.poly(
            [[cx - w * 0.7, tip_y - 0.004], [cx + w * 0.7, tip_y - 0.004], [cx, tip_y + 0.024]],
            _rgba(dark, 170),
        )
    else:
        pen.ellipse(cx, tip_y + 0.006, w * 0.85, 0.014, _rgba(dark, 150), 14)
        pen.ellipse(cx, tip_y - 0.01, w * 0.45, 0.012, _rgba(light, 140), 12)
    big = p["big_nose"]
    for s in (-1, 1):
        pen.ellipse(
            cx + s * w * 0.5, tip_y + 0.008, 0.009 * (1.4 if big else 1), 0.006, _mul(skin, 0.38), 8
        )
        wing = _ell(
            cx + s * w * 0.8,
            tip_y - 0.002,
            w * 0.35,
            0.016,
            8,
            math.pi / 2 - s * 1.4,
            math.pi / 2 + s * 1.4,
        )
        pen.line(wing, 0.009 if big else 0.006, _rgba(dark, 220))


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
                _bez(
                    [cx + s * (w + 0.02), my - 0.055],
                    [cx + s * (w + 0.045), my - 0.01],
                    [cx + s * (w + 0.022), my + 0.025],
                    7,
                ),
                0.01,
                _rgba(_mul(skin, 0.62), 230),
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
        _mul(lip, 1.08),
    )
    if gap == 0:
        pen.line(np.stack([cx + xs, mid], 1), 0.006, _mul(lip, 0.45))


def _beard_color(p: dict):
    return _mix(p["hair_rgb"], (35, 28, 24), p["beard_dark"])


def _facial_hair(pen: Pen, p: dict, st: dict, contour: np.ndarray) -> None:
    beard = _beard_color(p)
    my, w = p["mouth_y"], p["mouth_w"]
    cx = 0.5 + st["yaw"] * 1.2
    if st["stubble"]:
        lower = contour[contour[:, 1] > my - 0.07]
        lower = lower[np.argsort(np.arctan2(lower[:, 1] - p["face_cy"], lower[:, 0] - 0.5))]
        top = np.array([[0.5 - w * 1.4, my - 0.07], [0.5, my - 0.055], [0.5 + w * 1.4, my - 0.07]])
        pen.poly(np.vstack([lower[::-1], top]), _rgba(_mix(beard, (70, 70, 80), 0.4), 72))
    if p["sideburns"]:
        for s in (-1, 1):
            y0, y1 = p["ear_y"] - 0.09, p["ear_y"] + 0.045
            hw0, hw1 = _half_width_at(p, y0), _half_width_at(p, y1)
            pen.poly(
                [
                    [0.5 + s * (hw0 + 0.006), y0],
                    [0.5 + s * (hw1 + 0.004), y1],
                    [0.5 + s * (hw1 - 0.04), y1 - 0.005],
                    [0.5 + s * (hw0 - 0.035), y0],
                ],
                beard,
            )
    if p["goatee"]:
        chin = p["face_cy"] + p["face_bb"]
        top_y = my + p["lip_lo"] + 0.016
        pts = np.vstack(
            [
                [[cx - w * 0.75, top_y], [cx + w * 0.75, top_y]],
                _ell(cx, top_y, w * 0.75, chin - top_y - 0.004, 10, 0.0, math.pi),
            ]
        )
        pen.poly(pts, beard)
    if p["mustache"]:
        xs = np.linspace(-1.12, 1.12, 11)
        low = my - p["lip_up"] - 0.004 + 0.016 * xs**2
        high = my - p["lip_up"] - 0.032 + 0.006 * xs**2
        pen.poly(
            np.vstack(
                [np.stack([cx + xs * w, low], 1), np.stack([cx + xs[::-1] * w, high[::-1]], 1)]
            ),
            beard,
        )


def _hat(pen: Pen, p: dict, col) -> None:
    a, cy, bt = p["face_a"], p["face_cy"], p["face_bt"]
    style = p["hat_style"]
    low = p["hairline"] + 0.01
    dark = _mul(col, 0.7)
    if style == "brim":
        crown = np.vstack(
            [
                _ell(0.5, low - 0.005, a * 0.9, bt * 0.95, 16, math.pi, _TAU),
                [[0.5 + a * 0.9, low], [0.5 - a * 0.9, low]],
            ]
        )
        pen.poly(crown, col)
        pen.poly(
            [
                [0.5 - a * 0.9, low - 0.05],
                [0.5 + a * 0.9, low - 0.05],
                [0.5 + a * 0.9, low - 0.015],
                [0.5 - a * 0.9, low - 0.015],
            ],
            dark,
        )
        pen.ellipse(0.5, low, a + 0.12, 0.035, _mul(col, 0.85), 24)
    else:
        rx, ry = a + 0.035, cy - low + bt * 0.55
        top = _ell(0.5, low + 0.02, rx, ry, 20, math.pi, _TAU)
        pen.poly(np.vstack([top, [[0.5 + rx, low + 0.03], [0.5 - rx, low + 0.03]]]), col)
        if style == "beanie":
            pen.poly(
                [
                    [0.5 - rx, low - 0.04],
                    [0.5 + rx, low - 0.04],
                    [0.5 + rx, low + 0.03],
                    [0.5 - rx, low + 0.03],
                ],
                dark,
            )
            pen.ellipse(0.5, low + 0.02 - ry, 0.03, 0.022, dark, 10)
        else:  # cap with visor
            pen.ellipse(0.5, low + 0.03, a * 0.95, 0.03, dark, 20)
            pen.line([[0.5, low + 0.02 - ry], [0.5, low]], 0.006, dark)


def _glasses(pen: Pen, p: dict, st: dict) -> None:
    col = tuple(p["glasses_rgb"])
    th = p["glasses_th"]
    rx, ry = p["eye_w"] + 0.024, 0.046
    ey = p["eye_y"] + 0.004
    for s in (-1, 1):
        cx = 0.5 + s * p["eye_dx"] + st["yaw"]
        if p["glasses_round"]:
            pts = _ell(cx, ey, rx * 0.92, ry * 1.05, 20)
        else:
            xs = np.array([-1, -0.8, 0.8, 1, 1, 0.8, -0.8, -1]) * rx
            ys = np.array([-0.7, -1, -1, -0.7, 0.7, 1, 1, 0.7]) * ry
            pts = np.stack([cx + xs, ey + ys], 1)
        pen.poly(pts, (22, 22, 28, 235) if p["sunglasses"] else (255, 255, 255, 40))
        pen.line(np.vstack([pts, pts[:1]]), th, col)
        hw = _half_width_at(p, ey)
        pen.line([[cx + s * rx, ey - ry * 0.5], [0.5 + s * (hw + 0.01), ey - 0.01]], th * 0.8, col)
    inner = p["eye_dx"] - rx
    pen.line(
        [
            [0.5 - inner + st["yaw"], ey - ry * 0.4],
            [0.5 + st["yaw"], ey - ry * 0.6],
            [0.5 + inner + st["yaw"], ey - ry * 0.4],
        ],
        th * 0.8,
        col,
    )


def _wrinkles(pen: Pen, p: dict, st: dict, skin) -> None:
    """Age lines: forehead (unless covered by bangs), nose-to-mouth folds, jowls, crow's feet."""
    col = _rgba(_mul(skin, 0.58), int(120 * p["wrinkle"] + 110))
    if not p["bangs"] or p["bald"]:
        for j in range(3):
            y = p["hairline"] + 0.05 + j * 0.02
            pen.line(_bez([0.39, y + 0.006], [0.5, y - 0.008], [0.61, y + 0.006], 7), 0.008, col)
    my, mw = p["mouth_y"], p["mouth_w"]
    for s in (-1, 1):
        nx = 0.5 + s * (p["nose_w"] + 0.035)
        fold = _bez(
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


def _occluder(pen: Pen, p: dict, rng: np.random.Generator, skin) -> None:
    ang = rng.uniform(0, _TAU)
    r = rng.uniform(0.22, 0.3)
    cx, cy = 0.5 + r * math.cos(ang), p["face_cy"] + 0.05 + r * math.sin(ang)
    size = rng.uniform(0.08, 0.14)
    col = (
        _mul(skin, rng.uniform(0.9, 1.05))
        if rng.random() < 0.4
        else tuple(int(v) for v in rng.uniform(20, 235, 3))
    )
    if rng.random() < 0.5:
        pen.ellipse(cx, cy, size, size * rng.uniform(0.6, 1.4), col, 16)
    else:
        rot = rng.uniform(0, math.pi)
        c, s = math.cos(rot) * size, math.sin(rot) * size
        pen.poly(
            [
                [cx - c + s * 0.5, cy - s - c * 0.5],
                [cx + c + s * 0.5, cy + s - c * 0.5],
                [cx + c - s * 0.5, cy + s + c * 0.5],
                [cx - c - s * 0.5, cy - s + c * 0.5],
            ],
            col,
        )


def _clothes(pen: Pen, p: dict, st: dict, skin) -> None:
    neck_w = 0.115 if p["male"] else 0.095
    chin = p["face_cy"] + p["face_bb"]
    pen.poly(
        [
            [0.5 - neck_w, chin - 0.12],
            [0.5 + neck_w, chin - 0.12],
            [0.5 + neck_w * 1.1, 1.2],
            [0.5 - neck_w * 1.1, 1.2],
        ],
        _mul(skin, 0.86),
    )
    pen.poly(
        [[0.5 - neck_w * 0.9, chin - 0.02], [0.5 + neck_w * 0.9, chin - 0.02], [0.5, chin + 0.04]],
        _rgba(_mul(skin, 0.6), 90),
    )
    shirt = tuple(st["shirt_rgb"])
    ny = 1.07
    dip = 0.1 if (st["collar"] or st["necktie_on"]) else 0.05
    body = [
        [0.5 - neck_w * 1.05, ny],
        [0.5 - 0.3, ny + 0.04],
        [0.5 - 0.46, ny + 0.12],
        [0.5 - 0.56, 1.7],
        [0.5 + 0.56, 1.7],
        [0.5 + 0.46, ny + 0.12],
        [0.5 + 0.3, ny + 0.04],
        [0.5 + neck_w * 1.05, ny],
        [0.5, ny + dip],
    ]
    pen.poly(body, shirt)
    if st["necktie_on"] or st["collar"]:
        c = _mix(shirt, (245, 245, 245), 0.5)
        for s in (-1, 1):
            pen.poly(
                [
                    [0.5 + s * neck_w * 1.1, ny - 0.02],
                    [0.5 + s * 0.005, ny + dip],
                    [0.5 + s * neck_w * 1.5, ny + 0.06],
                ],
                c,
            )
    if st["necktie_on"]:
        tie = tuple(p["tie_rgb"])
        pen.poly(
            [
                [0.5 - 0.022, ny + dip - 0.03],
                [0.5 + 0.022, ny + dip - 0.03],
                [0.5 + 0.016, ny + dip + 0.005],
                [0.5 - 0.016, ny + dip + 0.005],
            ],
            _mul(tie, 0.8),
        )
        pen.poly(
            [
                [0.5 - 0.016, ny + dip + 0.005],
                [0.5 + 0.016, ny + dip + 0.005],
                [0.5 + 0.04, 1.5],
                [0.5, 1.56],
                [0.5 - 0.04, 1.5],
            ],
            tie,
        )
    if st["necklace_on"]:
        metal = tuple(p["metal_rgb"])
        pts = _bez(
            [0.5 - neck_w * 1.02, chin + 0.05],
            [0.5, ny + 0.07],
            [0.5 + neck_w * 1.02, chin + 0.05],
            12,
        )
        pen.line(pts, 0.011, metal)
        pen.ellipse(0.5, ny + 0.04, 0.012, 0.015, metal, 8)


def pale(skin) -> tuple[int, int, int]:
    """Pale (washed-out) version of a skin colour: desaturated and lightened."""
    lum = 0.3 * skin[0] + 0.59 * skin[1] + 0.11 * skin[2]
    desat = [lum + (c - lum) * 0.5 for c in skin]
    return _mix(desat, (250, 244, 240), 0.45)


def draw_person(pen: Pen, p: dict, st: dict, rng: np.random.Generator) -> None:
    """Draw one person (traits ``p``) in one image state ``st`` with ``pen``."""
    skin = tuple(p["skin"])
    if st["pale"]:
        skin = pale(skin)
    hair = tuple(p["hair_rgb"])
    strand = _mul(hair, 0.72) if p["hair_color"] != "black" else _mix(hair, (90, 80, 75), 0.5)
    has_hair = not p["bald"]
    long_hair = has_hair and p["hair_style"] in ("straight", "wavy") and p["hair_len"] > 0.74
    a = p["face_a"]

    if long_hair:
        _long_hair_back(pen, p, hair)
    _clothes(pen, p, st, skin)
    if long_hair:
        _side_locks(pen, p, hair, strand)
    for s in (-1, 1):  # ears
        hw = _half_width_at(p, p["ear_y"])
        pen.ellipse(
            0.5 + s * (hw + p["ear_r"] * 0.45),
            p["ear_y"],
            p["ear_r"],
            p["ear_r"] * 1.7,
            _mul(skin, 0.93),
            14,
        )
        pen.ellipse(
            0.5 + s * (hw + p["ear_r"] * 0.45),
            p["ear_y"],
            p["ear_r"] * 0.45,
            p["ear_r"] * 1.0,
            _mul(skin, 0.75),
            10,
        )
    contour = face_contour(p)
    pen.poly(contour, skin)
    pen.line(np.vstack([contour, contour[:1]]), 0.007, _rgba(_mul(skin, 0.72), 170))
    if p["chubby"]:
        for s in (-1, 1):
            pen.ellipse(
                0.5 + s * (a - 0.07),
                p["mouth_y"] - 0.03,
                0.06,
                0.045,
                _rgba(_mul(skin, 1.08), 90),
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
                _rgba(_mul(skin, 0.7), 180),
                6,
            )
    for mx, my_, mr in p["moles"]:
        pen.ellipse(0.5 + mx, my_, mr, mr, _mul(skin, 0.35), 8)
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
                _bez(
                    [cx - p["eye_w"], yb - 0.006], [cx, yb + 0.02], [cx + p["eye_w"], yb - 0.006], 8
                ),
                0.016,
                _rgba(_mix(_mul(skin, 0.5), (80, 50, 100), 0.4), 200),
            )
    lid = _mul(skin, 0.45)
    for s in (-1, 1):
        _eye(pen, p, st, s, p["makeup"], lid)
    brow_col = (
        _mix(hair, (45, 35, 30), 1 - p["brow_dark"])
        if p["hair_color"] in ("blond", "gray")
        else _mul(hair, p["brow_dark"] + 0.1)
    )
    for s in (-1, 1):
        _brow(pen, p, st, s, brow_col)
    _nose(pen, p, st, skin)
    _facial_hair(pen, p, st, contour)
    _mouth(pen, p, st, skin)
    if has_hair:
        _hair_cap(pen, p, hair, strand)
        if p["bangs"]:
            _bangs(pen, p, hair, strand)
    else:
        _bald(pen, p, hair, skin)
    if st["hat_on"]:
        _hat(pen, p, tuple(p["hat_rgb"]))
    if st["glasses_on"]:
        _glasses(pen, p, st)
    if st["earrings_on"]:
        metal = tuple(p["metal_rgb"])
        for s in (-1, 1):
            hw = _half_width_at(p, p["ear_y"])
            ex, ey = 0.5 + s * (hw + p["ear_r"] * 0.45), p["ear_y"] + p["ear_r"] * 1.7 + 0.016
            pen.ring(ex, ey, 0.016, 0.018, 0.009, metal, 12)
    if st["occlusion"]:
        _occluder(pen, p, rng, skin)


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
