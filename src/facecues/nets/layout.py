"""Probe points of the ResNet-50 topology, and the depth landmarks read from them.

Torch-free: workflow start-up (and every cluster job, which re-reads the
Snakefile) needs the point ids and the activation sizes a config implies,
and should not pay for importing torch. ``facecues.nets.probe_points``
discovers the same points from a real model; a test checks that both agree.

The 50 points (docs/protocol.md section 4), in forward order: the stem's ReLU
(before max-pool), then per bottleneck block ``layerS.B.relu1``,
``layerS.B.relu2`` and the block output ``layerS.B.relu3``, then the global
average pool, ``L01`` to ``L50``. ``L00`` is the input itself (the image as
the network receives it), probed as a control (``with_input``), not a point
of the network.

Depth landmarks (``depths``) are the project's own choice, not the paper's,
computed from a network's points rather than written down: over its map
points (every point but pooled vectors) at relative depth r = 0 (first) to 1
(last), *shallow* points have r <= 0.08 and *deep* ones r >= 0.9; the
*middle* point is the first point of the block holding r = 0.5 (blocks:
``facecues.nets.blocks``; the point itself where it is in no block). For the
ResNet-50 topology: shallow L01-L04 (stem and first block), deep L45-L49,
middle L23 (the first point of block layer3.0, which holds L25 at r = 0.5).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

STAGE_BLOCKS = (3, 4, 6, 3)
EXPANSION = 4
N_POINTS = 1 + 3 * sum(STAGE_BLOCKS) + 1  # the network's points, without the input
# Kinds of point that are a whole module's output, which an eraser can replace in the
# forward pass (relu1/relu2 are hooked on their BatchNorm, before the ReLU).
ERASABLE_KINDS = ("stem", "output", "pool")
INPUT = "input"  # the input point's name, kind and stage
#: Relative depth (over the map points) up to which a point is shallow, and from which deep.
SHALLOW_UP_TO, DEEP_FROM = 0.08, 0.9


#: A point id as ``point_id`` writes it: ``L`` and at least two digits, no other leading
#: zero (``L00`` ... ``L99``, ``L100`` ...). The one pattern of every reader of point ids:
#: the Snakefile's ``{point}`` wildcard, the shard reader, the config schema (a test
#: checks the schema's copy) and ``point_index``. No ``{m,n}``: a wildcard constraint
#: of Snakemake's cannot hold braces (``L\d{2,}`` matches nothing there).
POINT_ID = r"L(?:[0-9][0-9]|[1-9][0-9][0-9]+)"
_POINT_ID = re.compile(POINT_ID)

#: How a point's values are laid out in the network (``ProbePoint.layout``). Whatever the
#: layout, a point is stored channels first, so that a filter is one channel: a map as
#: (C, H, W), a token map as (D, T), a vector as (D,).
CHW, HWC, TOKENS, VECTOR = "chw", "hwc", "tokens", "vector"
LAYOUTS = {
    CHW: "channels-first map (C, H, W)",
    HWC: "channels-last map (H, W, C), stored as (C, H, W)",
    TOKENS: "token map (T, D), stored as (D, T)",
    VECTOR: "vector (D,)",
}


def point_id(index: int) -> str:
    """``7 -> 'L07'``, ``100 -> 'L100'``: the file and figure name of probe point
    ``index`` (1-based; 0 is the input)."""
    return f"L{index:02d}"


def point_index(text: str) -> int:
    """``'L07' -> 7``, ``'L100' -> 100``: the number of a point id (``POINT_ID``); anything
    else is a ValueError naming it."""
    if not _POINT_ID.fullmatch(str(text)):
        raise ValueError(f"{text!r} is not a probe point id (L00, L01, ..., L99, L100, ...)")
    return int(str(text)[1:])


@dataclass(frozen=True)
class ProbePoint:
    """One probe point: its number (1-based), id (``L07``), place in the network, kind and
    per-image shape.

    ``kind``: ``input`` (the image itself, ``L00``), ``stem``, ``inner`` (relu1/relu2
    inside a block), ``output`` (a block output) or ``pool``; a discovered network's
    points may also be ``transition`` (between blocks, outside any) or ``post`` (after
    the last block); ``stage``: ``input``, ``stem``, ``layer1`` ... ``layer4`` or
    ``pool``. ``layout``: how the network lays the values out (``LAYOUTS``; by default
    ``chw`` for a map, ``tokens`` for a 2-d shape, ``vector``); ``shape`` is the stored,
    channels-first one whatever the layout.
    """

    index: int
    name: str
    kind: str
    shape: tuple[int, ...]  # (C, H, W); (D, T) for tokens; (C,) for the pool
    stage: str = ""
    layout: str = ""

    def __post_init__(self):
        if not self.layout:
            default = {1: VECTOR, 2: TOKENS}.get(len(self.shape), CHW)
            object.__setattr__(self, "layout", default)
        if self.layout not in LAYOUTS:
            raise ValueError(
                f"point {self.id}: layout {self.layout!r}, expected one of {', '.join(LAYOUTS)}"
            )

    @property
    def id(self) -> str:
        return point_id(self.index)

    @property
    def units(self) -> int:
        return math.prod(self.shape)


def _down(h: int) -> int:
    """Spatial size after a stride-2 conv or pool with 'same' padding."""
    return (h - 1) // 2 + 1


def input_point(input_size: int) -> ProbePoint:
    """``L00``: the network's input, an RGB image of ``input_size`` pixels."""
    return ProbePoint(0, INPUT, INPUT, (3, input_size, input_size), INPUT)


def resnet50_points(
    base_width: int = 64, input_size: int = 224, stride_in_1x1: bool = True, with_input=False
) -> list[ProbePoint]:
    """The 50 probe points of a ResNet-50-topology network in forward order, after the
    input point ``L00`` when ``with_input``."""
    h = _down(input_size)
    points = [("relu", "stem", (base_width, h, h), "stem")]
    h = _down(h)  # max-pool
    for s, blocks in enumerate(STAGE_BLOCKS, start=1):
        planes = base_width * 2 ** (s - 1)
        for b in range(blocks):
            stride = 2 if (b == 0 and s > 1) else 1
            out = _down(h) if stride == 2 else h
            first = out if stride_in_1x1 else h
            stage = f"layer{s}"
            points += [
                (f"{stage}.{b}.relu1", "inner", (planes, first, first), stage),
                (f"{stage}.{b}.relu2", "inner", (planes, out, out), stage),
                (f"{stage}.{b}.relu3", "output", (planes * EXPANSION, out, out), stage),
            ]
            h = out
    points.append(("avgpool", "pool", (base_width * 8 * EXPANSION,), "pool"))
    network = [ProbePoint(i, *p) for i, p in enumerate(points, start=1)]
    return [input_point(input_size), *network] if with_input else network


def units_per_image(
    base_width: int, input_size: int, stride_in_1x1: bool = True, with_input: bool = False
) -> int:
    """Activation values of one image over all probe points (the input's too, if asked)."""
    points = resnet50_points(base_width, input_size, stride_in_1x1, with_input)
    return sum(p.units for p in points)


@dataclass(frozen=True)
class Depths:
    """Depth landmarks of a network's probe points (see the module docstring).

    ``shallow`` and ``deep``: (first, last) point numbers, inclusive; ``middle``
    and ``last``: point numbers; ``stage_starts``: {stage: its first point};
    ``ticks``: point numbers to label on a depth axis.
    """

    shallow: tuple[int, int]
    deep: tuple[int, int]
    middle: int
    last: int
    stage_starts: dict[str, int]
    ticks: tuple[int, ...]

    @property
    def table_depths(self) -> tuple[int, ...]:
        """The points a depth-by-depth table shows: shallow, middle, deep and last."""
        shallow = range(self.shallow[0], self.shallow[1] + 1)
        deep = range(self.deep[0], self.deep[1] + 1)
        return tuple(sorted({*shallow, self.middle, *deep, self.last}))

    @property
    def shallow_label(self) -> str:
        """``L01-L04``: the shallow points."""
        return self.label(self.shallow)

    @property
    def deep_label(self) -> str:
        """``L45-L49``: the deep points."""
        return self.label(self.deep)

    @staticmethod
    def label(span: tuple[int, int]) -> str:
        """``(1, 4)`` -> ``L01-L04``; ``(1, 1)`` -> ``L01``."""
        if span[0] == span[1]:
            return point_id(span[0])
        return f"{point_id(span[0])}-{point_id(span[1])}"


def depths(points: Sequence[ProbePoint]) -> Depths:
    """The depth landmarks of the network's ``points`` (forward order; an input point is
    left out: it is not a point of the network)."""
    points = [p for p in points if p.kind != INPUT]
    maps = [p for p in points if len(p.shape) > 1]
    span = max(1, len(maps) - 1)
    relative = {p.index: i / span for i, p in enumerate(maps)}
    shallow = [i for i, r in relative.items() if r <= SHALLOW_UP_TO]
    deep = [i for i, r in relative.items() if r >= DEEP_FROM]
    starts: dict[str, int] = {}
    for p in points:
        starts.setdefault(p.stage or p.name, p.index)
    halfway = next(i for i, r in relative.items() if r >= 0.5)
    middle = _block_start(points, next(k for k, p in enumerate(points) if p.index == halfway))
    last = points[-1].index
    ticks = [points[0].index]
    for start in [*sorted(starts.values()), last]:
        if start - ticks[-1] >= len(points) / 10:
            ticks.append(start)
    return Depths(
        shallow=(min(shallow), max(shallow)),
        deep=(min(deep), max(deep)),
        middle=middle,
        last=last,
        stage_starts=starts,
        ticks=tuple(ticks),
    )


def _block_start(points: Sequence[ProbePoint], k: int) -> int:
    """The first point of the block holding ``points[k]`` (its inner points come before
    its output); ``points[k]`` itself where it is in no block."""
    if points[k].kind in ("inner", "output"):
        while k > 0 and points[k - 1].kind == "inner" and points[k - 1].stage == points[k].stage:
            k -= 1
    return points[k].index


def depths_of_rows(rows: Sequence[Sequence]) -> Depths:
    """The depth landmarks of points given as plain rows (index, name, kind, shape,
    stage), as the workflow passes a network's points to its scripts."""
    return depths([ProbePoint(int(i), n, k, tuple(s), st) for i, n, k, s, st in rows])


def resnet50_depths() -> Depths:
    """The depth landmarks of the ResNet-50 topology (the same at any width and size)."""
    return depths(resnet50_points())


def stage_outputs(points: Sequence[ProbePoint]) -> list[int]:
    """The last block output of each stage and the pool: the default erasure points."""
    last: dict[str, int] = {}
    for p in points:
        if p.kind in ("output", "pool"):
            last[p.stage or p.name] = p.index
    return sorted(last.values())
