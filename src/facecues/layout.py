"""The 50 probe points' names and shapes, computed without torch.

Workflow start-up (and every cluster job, which re-reads the Snakefile) needs
the point ids and the activation sizes a config implies, and should not pay
for importing torch. ``facecues.probe_points`` discovers the same points from
a real model; a test checks that both agree.
"""

from __future__ import annotations

N_POINTS = 50
STAGE_BLOCKS = (3, 4, 6, 3)
EXPANSION = 4


def point_id(index: int) -> str:
    """``7 -> 'L07'``: the file and figure name of probe point ``index`` (1-based)."""
    return f"L{index:02d}"


def _down(h: int) -> int:
    """Spatial size after a stride-2 conv or pool with 'same' padding."""
    return (h - 1) // 2 + 1


def point_shapes(
    base_width: int, input_size: int, stride_in_1x1: bool = True
) -> list[tuple[str, str, tuple[int, ...]]]:
    """(ResNet position, kind, per-image shape) of the 50 points in forward order."""
    h = _down(input_size)
    points = [("relu", "stem", (base_width, h, h))]
    h = _down(h)  # max-pool
    for s, blocks in enumerate(STAGE_BLOCKS, start=1):
        planes = base_width * 2 ** (s - 1)
        for b in range(blocks):
            stride = 2 if (b == 0 and s > 1) else 1
            out = _down(h) if stride == 2 else h
            first = out if stride_in_1x1 else h
            points += [
                (f"layer{s}.{b}.relu1", "inner", (planes, first, first)),
                (f"layer{s}.{b}.relu2", "inner", (planes, out, out)),
                (f"layer{s}.{b}.relu3", "output", (planes * EXPANSION, out, out)),
            ]
            h = out
    points.append(("avgpool", "pool", (base_width * 8 * EXPANSION,)))
    return points


def units_per_image(base_width: int, input_size: int, stride_in_1x1: bool = True) -> int:
    """Activation values of one image over all 50 probe points."""
    total = 0
    for _, _, shape in point_shapes(base_width, input_size, stride_in_1x1):
        n = 1
        for d in shape:
            n *= d
        total += n
    return total
