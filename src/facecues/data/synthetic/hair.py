"""Hair: long hair behind the head and in front of the shoulders, the hair on top of the
head, bangs, a bald head's fringe, and facial hair (stubble, sideburns, goatee,
mustache)."""

from __future__ import annotations

import math

import numpy as np

from facecues.data.synthetic.drawing import TAU, Pen, bez, ell, half_width_at, mix, rgba


def _hair_outline(p: dict, side: int, y0: float, y1: float, x_out: float, wavy: bool, n=14):
    """Outer edge of a hanging lock of hair from y0 down to y1 (side -1 left, +1 right)."""
    y = np.linspace(y0, y1, n)
    flare = 0.04 * np.clip((y - y0) / max(y1 - y0, 1e-6), 0, 1)
    x = x_out + flare
    if wavy:
        x = x + p["wave_amp"] * np.sin(TAU * p["wave_n"] * (y - y0) / 0.6 + p["wave_phase"] + side)
    return np.stack([0.5 + side * x, y], 1)


def long_hair_back(pen: Pen, p: dict, col) -> None:
    a, cy, bt, vol = p["face_a"], p["face_cy"], p["face_bt"], p["hair_vol"]
    wavy = p["hair_style"] == "wavy"
    top = ell(0.5, cy, a + vol, bt + vol, 20, math.pi, TAU)
    right = _hair_outline(p, 1, cy, p["hair_len"], a + vol, wavy)
    left = _hair_outline(p, -1, cy, p["hair_len"], a + vol, wavy)[::-1]
    bottom_y = p["hair_len"]
    xs = np.linspace(0.5 + a + vol, 0.5 - a - vol, 9)
    bot = np.stack([xs, bottom_y - 0.03 * np.abs(np.sin(np.linspace(0, 3, 9)))], 1)
    pen.poly(np.vstack([left, top, right, bot]), col)


def side_locks(pen: Pen, p: dict, col, strand) -> None:
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
                xs = xs + p["wave_amp"] * np.sin(TAU * p["wave_n"] * ys / 0.6 + k)
            pen.line(np.stack([xs, ys], 1), 0.008, strand)


def hair_cap(pen: Pen, p: dict, col, strand) -> None:
    """Hair on top of the head down to the hairline, with style-specific outline and strands."""
    a, cy, bt, vol = p["face_a"], p["face_cy"], p["face_bt"], p["hair_vol"]
    style = p["hair_style"]
    short = style == "short"
    side_y = cy + (0.02 if short else 0.06)
    n = 26
    ang = np.linspace(math.pi - 0.25, TAU + 0.25, n)
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
            bez([0.5 + a * 0.8, hl + 0.025], [part, hl - 0.02], [0.5 - a * 0.8, hl + 0.025], 9),
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
        pts = bez(crown, mid, end, 8)
        if style == "wavy":
            pts[:, 0] += p["wave_amp"] * 0.7 * np.sin(np.linspace(0, 6, 8) + srng.uniform(0, 6))
        pen.line(pts, 0.007, strand)
    if short:
        for _ in range(8):
            cx = 0.5 + srng.uniform(-0.8, 0.8) * a
            cyy = srng.uniform(cy - bt - vol * 0.5, hl)
            pen.ring(cx, cyy, 0.014, 0.012, 0.006, strand, 8)


def bangs(pen: Pen, p: dict, col, strand) -> None:
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
            bez([x + 0.02, top_y + 0.01], [x - 0.01, (top_y + bottom) / 2], [x, bottom], 6),
            0.006,
            strand,
        )


def bald(pen: Pen, p: dict, col, skin) -> None:
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
        0.5 - a * 0.25, cy - bt * 0.82, 0.06, 0.025, rgba(mix(skin, (255, 255, 255), 0.5), 110)
    )


def _beard_color(p: dict):
    return mix(p["hair_rgb"], (35, 28, 24), p["beard_dark"])


def facial_hair(pen: Pen, p: dict, st: dict, contour: np.ndarray) -> None:
    beard = _beard_color(p)
    my, w = p["mouth_y"], p["mouth_w"]
    cx = 0.5 + st["yaw"] * 1.2
    if st["stubble"]:
        lower = contour[contour[:, 1] > my - 0.07]
        lower = lower[np.argsort(np.arctan2(lower[:, 1] - p["face_cy"], lower[:, 0] - 0.5))]
        top = np.array([[0.5 - w * 1.4, my - 0.07], [0.5, my - 0.055], [0.5 + w * 1.4, my - 0.07]])
        pen.poly(np.vstack([lower[::-1], top]), rgba(mix(beard, (70, 70, 80), 0.4), 72))
    if p["sideburns"]:
        for s in (-1, 1):
            y0, y1 = p["ear_y"] - 0.09, p["ear_y"] + 0.045
            hw0, hw1 = half_width_at(p, y0), half_width_at(p, y1)
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
                ell(cx, top_y, w * 0.75, chin - top_y - 0.004, 10, 0.0, math.pi),
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
