"""What a person wears: hats, glasses, the shirt (collar, necktie, necklace), and an
object occluding the face."""

from __future__ import annotations

import math

import numpy as np

from facecues.data.synthetic.drawing import TAU, Pen, bez, ell, half_width_at, mix, mul, rgba


def hat(pen: Pen, p: dict, col) -> None:
    a, cy, bt = p["face_a"], p["face_cy"], p["face_bt"]
    style = p["hat_style"]
    low = p["hairline"] + 0.01
    dark = mul(col, 0.7)
    if style == "brim":
        crown = np.vstack(
            [
                ell(0.5, low - 0.005, a * 0.9, bt * 0.95, 16, math.pi, TAU),
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
        pen.ellipse(0.5, low, a + 0.12, 0.035, mul(col, 0.85), 24)
    else:
        rx, ry = a + 0.035, cy - low + bt * 0.55
        top = ell(0.5, low + 0.02, rx, ry, 20, math.pi, TAU)
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


def glasses(pen: Pen, p: dict, st: dict) -> None:
    col = tuple(p["glasses_rgb"])
    th = p["glasses_th"]
    rx, ry = p["eye_w"] + 0.024, 0.046
    ey = p["eye_y"] + 0.004
    for s in (-1, 1):
        cx = 0.5 + s * p["eye_dx"] + st["yaw"]
        if p["glasses_round"]:
            pts = ell(cx, ey, rx * 0.92, ry * 1.05, 20)
        else:
            xs = np.array([-1, -0.8, 0.8, 1, 1, 0.8, -0.8, -1]) * rx
            ys = np.array([-0.7, -1, -1, -0.7, 0.7, 1, 1, 0.7]) * ry
            pts = np.stack([cx + xs, ey + ys], 1)
        pen.poly(pts, (22, 22, 28, 235) if p["sunglasses"] else (255, 255, 255, 40))
        pen.line(np.vstack([pts, pts[:1]]), th, col)
        hw = half_width_at(p, ey)
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


def occluder(pen: Pen, p: dict, rng: np.random.Generator, skin) -> None:
    ang = rng.uniform(0, TAU)
    r = rng.uniform(0.22, 0.3)
    cx, cy = 0.5 + r * math.cos(ang), p["face_cy"] + 0.05 + r * math.sin(ang)
    size = rng.uniform(0.08, 0.14)
    col = (
        mul(skin, rng.uniform(0.9, 1.05))
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


def clothes(pen: Pen, p: dict, st: dict, skin) -> None:
    neck_w = 0.115 if p["male"] else 0.095
    chin = p["face_cy"] + p["face_bb"]
    pen.poly(
        [
            [0.5 - neck_w, chin - 0.12],
            [0.5 + neck_w, chin - 0.12],
            [0.5 + neck_w * 1.1, 1.2],
            [0.5 - neck_w * 1.1, 1.2],
        ],
        mul(skin, 0.86),
    )
    pen.poly(
        [[0.5 - neck_w * 0.9, chin - 0.02], [0.5 + neck_w * 0.9, chin - 0.02], [0.5, chin + 0.04]],
        rgba(mul(skin, 0.6), 90),
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
        c = mix(shirt, (245, 245, 245), 0.5)
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
            mul(tie, 0.8),
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
        pts = bez(
            [0.5 - neck_w * 1.02, chin + 0.05],
            [0.5, ny + 0.07],
            [0.5 + neck_w * 1.02, chin + 0.05],
            12,
        )
        pen.line(pts, 0.011, metal)
        pen.ellipse(0.5, ny + 0.04, 0.012, 0.015, metal, 8)
