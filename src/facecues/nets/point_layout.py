"""How a point's values are laid out in the network, and their stored, channels-first form.

A point's **layout** (``facecues.nets.layout.LAYOUTS``) is found at discovery
from its channel axis, by three tests in turn:

1. **a probe with other sizes**: the network is run again on an input of
   another, non-square size (H != W); the channel axis is the one axis whose
   size did not change (spatial and token axes change with the input);
2. where that does not decide (a network that takes one input size only, a
   map with two axes that do not change), **the module kind**: the channel
   axis is followed through the traced graph from the op that sets it, a
   convolution, batch or group norm or pooling (axis 1) or a ``Linear`` or
   layer norm (the last axis), through permutes and transposes and through
   every op that keeps the number of axes and the channel axis's size
   (nonlinearities, additions, dropout, padding, slicing) or keeps every axis
   up to the channel axis (a reshape of the later ones: a ViT's patches);
3. where neither decides, **the square probe**: on the square input of
   discovery the two spatial axes of a map have one size; the channel axis is
   the other one.

A point no test decides is an error naming it (name its points by hand, or
use another input size). 4-d values are a channels-first map (channel axis
1) or a channels-last one (axis 3); 3-d values with the channel axis last are
a token map; 2-d values a vector.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping

import torch
from torch import fx, nn
from torch.nn import functional as F

from facecues.errors import FacecuesError
from facecues.nets.layout import CHW, HWC, TOKENS, VECTOR

#: Modules whose output has its channels on axis 1, and on the last axis.
CHANNELS_FIRST = (
    nn.modules.conv._ConvNd,
    nn.modules.batchnorm._BatchNorm,
    nn.GroupNorm,
    nn.modules.instancenorm._InstanceNorm,
    nn.modules.pooling._MaxPoolNd,
    nn.modules.pooling._AvgPoolNd,
    nn.modules.pooling._AdaptiveAvgPoolNd,
    nn.modules.pooling._AdaptiveMaxPoolNd,
)
CHANNELS_LAST = (nn.Linear, nn.LayerNorm, nn.MultiheadAttention)
FIRST_FUNCTIONS = {
    F.conv1d,
    F.conv2d,
    F.conv3d,
    F.batch_norm,
    F.group_norm,
    F.avg_pool2d,
    F.max_pool2d,
    F.adaptive_avg_pool2d,
    F.adaptive_max_pool2d,
}
LAST_FUNCTIONS = {F.linear, F.layer_norm}


def stored(t: torch.Tensor, layout: str) -> torch.Tensor:
    """A batch of a point's values (N, ...) in the network's ``layout``, channels first:
    (N, C, H, W), (N, D, T) or (N, D)."""
    if layout == HWC:
        return t.permute(0, 3, 1, 2)
    if layout == TOKENS:
        return t.transpose(1, 2)
    return t


def layout_name(point: str, shape: tuple[int, ...], axis: int | None) -> str:
    """The layout of values of per-image ``shape`` (batch axis left out) whose channel axis
    (counting the batch axis) is ``axis``; FacecuesError where none fits."""
    if len(shape) == 1:
        return VECTOR
    names = {(3, 1): CHW, (3, 3): HWC, (2, 2): TOKENS}
    found = names.get((len(shape), axis))
    if found is None:
        where = "undecided" if axis is None else f"axis {axis}"
        raise FacecuesError(
            f"probe point {point}: values of shape {shape} with their channels on {where}; "
            "expected a channels-first or channels-last map (C, H, W) / (H, W, C), a token map "
            "(T, D) or a vector: leave the point out by naming the points with "
            "model.architecture.points, or use another input size"
        )
    return found


def axis_by_sizes(square: tuple[int, ...], other: tuple[int, ...] | None) -> int | None:
    """The channel axis (counting the batch axis) of values of per-image shape ``square``
    (on the square input) and ``other`` (on an input of other sizes; None: not run): the
    only axis whose size did not change; else None."""
    if other is None or len(other) != len(square):
        return None
    same = [k for k, (a, b) in enumerate(zip(square, other, strict=True)) if a == b]
    return same[0] + 1 if len(same) == 1 else None


def axis_by_square(shape: tuple[int, ...]) -> int | None:
    """The channel axis of a map of per-image ``shape`` on a square input: the axis other
    than the two of one size; None where that does not decide."""
    if len(shape) != 3:
        return None
    if shape[1] == shape[2] != shape[0]:
        return 1
    if shape[0] == shape[1] != shape[2]:
        return 3
    return None


def axes_by_kind(gm: fx.GraphModule) -> dict[fx.Node, int]:
    """The channel axis (counting the batch axis) of every node of ``gm`` where its module
    kind tells it. Needs ``ShapeProp``'s ``tensor_meta`` on the nodes."""
    modules = dict(gm.named_modules())
    axes: dict[fx.Node, int] = {}
    for node in gm.graph.nodes:
        shape = _shape(node)
        if shape is None:
            continue
        axis = _set_axis(node, modules, len(shape))
        if axis is None:
            axis = _followed_axis(node, axes, shape)
        if axis is not None:
            axes[node] = axis
    return axes


def _shape(node: fx.Node) -> tuple[int, ...] | None:
    meta = node.meta.get("tensor_meta")
    shape = getattr(meta, "shape", None)
    return tuple(shape) if shape is not None else None


def _set_axis(node: fx.Node, modules: Mapping[str, nn.Module], ndim: int) -> int | None:
    """The channel axis ``node``'s own op sets (None: it passes one on, or none)."""
    if node.op == "call_module":
        m = modules.get(node.target)
        if isinstance(m, CHANNELS_FIRST):
            return 1
        if isinstance(m, CHANNELS_LAST):
            return ndim - 1
    if node.op == "call_function":
        if node.target in FIRST_FUNCTIONS:
            return 1
        if node.target in LAST_FUNCTIONS:
            return ndim - 1
    return None


def _followed_axis(node: fx.Node, axes: dict, shape: tuple[int, ...]) -> int | None:
    """The channel axis passed on to ``node`` from its inputs: moved by a permute or
    transpose, kept by an op that keeps the number of axes and the channel axis's size."""
    inputs = [a for a in node.all_input_nodes if a in axes]
    if not inputs:
        return None
    first = node.args[0] if node.args else None
    method = node.target if node.op == "call_method" else None
    if first in axes and (method == "permute" or node.target is torch.permute):
        dims = _ints(node.args[1:] if method else node.args[1])
        dims = [d % len(shape) for d in dims] if dims else None
        return dims.index(axes[first]) if dims and axes[first] in dims else None
    if first in axes and (method == "transpose" or node.target is torch.transpose):
        a, b = (d % len(shape) for d in node.args[1:3])
        return {a: b, b: a}.get(axes[first], axes[first])
    if node.target is operator.getitem and isinstance(node.args[1], int):
        return axes.get(first)  # an element of a module's tuple output
    for arg in inputs:
        before, axis = _shape(arg), axes[arg]
        if before is None or axis >= len(shape):
            continue
        if before[: axis + 1] == shape[: axis + 1]:
            return axis  # the axes up to the channels' kept (a reshape of the later ones)
        if len(before) == len(shape) and before[axis] == shape[axis]:
            return axis
    return None


def _ints(args) -> list[int] | None:
    dims = list(args[0]) if len(args) == 1 and isinstance(args[0], list | tuple) else list(args)
    return dims if all(isinstance(d, int) for d in dims) else None
