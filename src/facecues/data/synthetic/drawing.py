"""Drawing in face units: colour helpers, outlines (ellipse arcs, quadratic Béziers), the
``Pen`` that maps face units to pixels, and the face's own outline.

Face units (facecues.data.synthetic.render): x in [0, 1] across the face crop's width, y
in [0, ASPECT] down its height.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

TAU = 2 * math.pi


def mix(a, b, t: float) -> tuple[int, int, int]:
    return tuple(int(round(x * (1 - t) + y * t)) for x, y in zip(a, b, strict=True))


def mul(c, f: float) -> tuple[int, int, int]:
    return tuple(int(min(255, max(0, round(x * f)))) for x in c)


def rgba(c, a: int) -> tuple[int, int, int, int]:
    return (int(c[0]), int(c[1]), int(c[2]), int(a))


def ell(cx, cy, rx, ry, n=24, a0=0.0, a1=TAU) -> np.ndarray:
    t = np.linspace(a0, a1, n, endpoint=(a1 - a0) < TAU - 1e-9)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def bez(p0, p1, p2, n=10) -> np.ndarray:
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
        self.poly(ell(cx, cy, rx, ry, n), fill)

    def ring(self, cx, cy, rx, ry, width, fill, n=20) -> None:
        pts = ell(cx, cy, rx, ry, n)
        self.line(np.vstack([pts, pts[:1]]), width, fill)


def face_contour(p: dict, n: int = 48) -> np.ndarray:
    """Closed outline of the face (forehead round, lower half superelliptic with a jaw taper)."""
    a, bt, bb, cy = p["face_a"], p["face_bt"], p["face_bb"], p["face_cy"]
    t = np.linspace(0, TAU, n, endpoint=False)
    c, s = np.cos(t), np.sin(t)
    lower = s > 0
    e = np.where(lower, 2.0 / p["square"], 1.0)
    x = a * np.sign(c) * np.abs(c) ** e
    y = np.where(lower, bb, bt) * np.sign(s) * np.abs(s) ** e
    x = x * (1 - p["jaw"] * np.clip(s, 0, None) ** 2)
    return np.stack([0.5 + x, cy + y], 1)


def half_width_at(p: dict, y: float) -> float:
    """Half-width of the face contour at height y (approximate, from the contour samples)."""
    pts = face_contour(p, 64)
    right = pts[pts[:, 0] >= 0.5]
    order = np.argsort(right[:, 1])
    return float(np.interp(y, right[order, 1], right[order, 0]) - 0.5)
