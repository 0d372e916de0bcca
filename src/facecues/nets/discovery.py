"""Probe points discovered from any network's forward pass (docs/protocol.md section 4).

Which points (the default; a user list of names or patterns replaces it),
by one rule for every architecture family:

- the output of every **block** (``facecues.nets.blocks``: the repeated units,
  a residual, dense, MBConv or transformer block), the last operation traced
  inside it;
- every **nonlinearity** output (the modules in ``NONLINEAR_MODULES``, the
  functions in ``NONLINEAR_FUNCTIONS``), but not gates (sigmoid,
  hard-sigmoid, softmax), whose outputs scale other tensors: inside a block
  (``inner``), before the first (``stem``), between blocks outside any
  (``transition``: DenseNet's transitions) or after the last (``post``);
- the **stem**'s output where the stem has no nonlinearity (a patch
  embedding): the first block's input;
- the **embedding**: the classifier head's input (the model's output when it
  has no head), looked through flatten, reshape, dropout and identity (the
  global pool of a CNN).

A point reached twice (a block ending in its ReLU) counts once, as the
nonlinearity: the same graph node, or with hooks the same tensor, never by
equal values. Points are in forward order, numbered from L01.

Names. FX node names (torchvision's ``NodePathTracer``: module paths, and
``_1``, ``_2`` for repeated names), except that a module called k > 1 times
has its calls numbered from 1 (``layer1.0.relu`` called three times gives
``layer1.0.relu1``, ``relu2``, ``relu3``: a Bottleneck's ReLU), a block
output that is no nonlinearity is named by the block (``features.3``), and
the embedding by the module it comes from (``avgpool``), or ``embedding``.
For the built-in ResNet-50 topology these are today's 50 names and ids.

Discovery runs the network in eval mode (BatchNorm with its running
statistics) on seeded noise, never on a constant image. FX tracing finds the
points (``facecues.nets.fx_points``); where tracing fails, forward hooks are
the fallback (``method == "hooks"``, ``facecues.nets.hook_points``):
functional nonlinearities are then invisible, and the error that stopped
tracing is kept in ``trace_error``.

Layouts (``facecues.nets.point_layout``): each point's layout is recorded
(channels-first or channels-last map, token map, vector) and its values are
stored channels first whatever it is, (C, H, W), (D, T) or (D,), so that a
filter is one channel.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass

import torch
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp
from torch.utils.flop_counter import FlopCounterMode

from facecues.errors import FacecuesError
from facecues.nets.architectures import head_path
from facecues.nets.blocks import blocks
from facecues.nets.fx_points import copy_graph, fx_points, match
from facecues.nets.hook_points import hook_points, hook_record, points_of_batch
from facecues.nets.layout import ProbePoint
from facecues.nets.point_layout import (
    axes_by_kind,
    axis_by_sizes,
    axis_by_square,
    layout_name,
    stored,
)

#: The seed of discovery's noise input.
PROBE_SEED = 0


@dataclass(frozen=True)
class Found:
    """A discovered point: its name, kind, stage, the per-image shape as stored (channels
    first) and the layout the network computes it in."""

    name: str
    kind: str  # stem, inner, output (a block's), transition, post, pool
    stage: str
    shape: tuple[int, ...]
    layout: str


@dataclass(frozen=True)
class Discovery:
    """What discovery found: the points, how (``fx`` or ``hooks``) and, for hooks,
    why tracing failed."""

    points: tuple[Found, ...]
    method: str
    input_size: int
    trace_error: str = ""
    flops: int = 0  # of one image's forward pass (torch.utils.flop_counter)
    parameters: int = 0
    state_values: int = 0  # parameters and buffers: the values a checkpoint holds

    def probe_points(self) -> list[ProbePoint]:
        """The points as ``ProbePoint`` (L01 ... in forward order)."""
        return [
            ProbePoint(i, p.name, p.kind, p.shape, p.stage, p.layout)
            for i, p in enumerate(self.points, start=1)
        ]


def probe_input(model: nn.Module, height: int, width: int | None = None) -> torch.Tensor:
    """Discovery's input: one image of seeded standard-normal noise (``PROBE_SEED``), on
    the model's device; never a constant, on which distinct points can hold equal values."""
    p = next(iter(model.parameters()), None)
    device = p.device if p is not None else torch.device("cpu")
    g = torch.Generator().manual_seed(PROBE_SEED)
    return torch.randn(1, 3, height, width or height, generator=g).to(device)


def other_sizes(input_size: int) -> tuple[int, int]:
    """The layout probe's input size: as high, wider by at least 32 pixels, to a multiple
    of 32 (H != W, and every stride-32 map's width changes)."""
    return input_size, -(-(input_size + 32) // 32) * 32


def discover(model: nn.Module, input_size: int, patterns: Sequence[str] | None = None) -> Discovery:
    """The probe points of ``model`` at ``input_size`` pixels, by FX tracing or, where
    tracing fails, forward hooks; ``patterns``: the user's names or fnmatch patterns."""
    was_training = model.training
    model.eval()
    try:
        x = probe_input(model, input_size)
        with torch.no_grad(), FlopCounterMode(display=False) as flops:
            _run(model, x, model)
        sizes = {
            "flops": int(flops.get_total_flops()),
            "parameters": sum(p.numel() for p in model.parameters()),
            "state_values": sum(v.numel() for v in model.state_dict().values()),
        }
        try:
            names, wanted, graph = fx_points(model, patterns)
        except FacecuesError:
            raise
        except Exception as e:  # noqa: BLE001 - any tracing failure means: use hooks
            found = _discover_by_hooks(model, x, patterns, f"{type(e).__name__}: {e}")
            return dataclasses.replace(found, **sizes)
        found = _fx_found(model, graph, names, wanted, x)
        return Discovery(tuple(found), "fx", input_size, **sizes)
    finally:
        model.train(was_training)


def _fx_found(model, graph: fx.Graph, names, wanted: dict[str, fx.Node], x) -> list[Found]:
    """The points' stored shapes and layouts, from the graph run on the square probe and
    on one of other sizes (``facecues.nets.point_layout``)."""
    gm = fx.GraphModule(model, graph)
    with torch.no_grad():
        _propagate(gm, x, model)
    square = {n: tuple(wanted[n].meta["tensor_meta"].shape[1:]) for n, _, _ in names}
    by_kind = axes_by_kind(gm)
    kind_axis = {n: by_kind.get(wanted[n]) for n, _, _ in names}
    other = {}
    try:  # the layout probe, on a copy of the graph returning the points' values
        wide = probe_input(model, *other_sizes(x.shape[-1]))
        with torch.no_grad(), redirect_stderr(io.StringIO()):  # FX prints failed code
            values = copy_graph(model, graph, wanted)(wide)
        other = {n: tuple(v.shape[1:]) for n, v in values.items()}
    except Exception:  # noqa: BLE001 - a network that takes one input size only
        pass
    found = []
    for name, kind, stage in names:
        shape = square[name]
        axis = axis_by_sizes(shape, other.get(name))
        axis = axis or kind_axis[name] or axis_by_square(shape)
        layout = layout_name(name, shape, axis)
        found.append(Found(name, kind, stage, _stored_shape(shape, layout), layout))
    return found


def _stored_shape(shape: tuple[int, ...], layout: str) -> tuple[int, ...]:
    return tuple(stored(torch.empty((1, *shape), device="meta"), layout).shape[1:])


def _propagate(gm: fx.GraphModule, x: torch.Tensor, model: nn.Module) -> None:
    try:
        ShapeProp(gm).propagate(x)
    except Exception as e:  # noqa: BLE001 - the user's model refused this input
        _refused(model, x, e)


def _run(module: nn.Module, x: torch.Tensor, model: nn.Module):
    try:
        return module(x)
    except Exception as e:  # noqa: BLE001 - the user's model refused this input
        _refused(model, x, e)


def _refused(model: nn.Module, x: torch.Tensor, e: Exception):
    size = x.shape[-1]
    first = str(e).splitlines()[0] if str(e) else ""
    raise FacecuesError(
        f"{type(model).__name__} cannot take a {size}x{size} input ({type(e).__name__}: "
        f"{first}); set the network's input_size to one it accepts"
    ) from None


def _discover_by_hooks(model, x, patterns, error: str) -> Discovery:
    head = head_path(model, x.shape[-1])
    paths = blocks(model)
    with torch.no_grad():
        records = _run_hooks(model, x, head)
    points = hook_points(records, paths)
    if patterns:
        keep = set(match(patterns, [p[0] for p in points]))
        points = [p for p in points if p[0] in keep]
    other: dict[str, tuple] = {}
    try:
        with torch.no_grad():
            wide = hook_record(model, probe_input(model, *other_sizes(x.shape[-1])), head)
        other = {p[0]: tuple(wide[p[3]].value.shape[1:]) for p in hook_points(wide, paths)}
    except Exception:  # noqa: BLE001 - a network that takes one input size only
        pass
    found = []
    for name, kind, stage, i in points:
        shape = tuple(records[i].value.shape[1:])
        axis = axis_by_sizes(shape, other.get(name)) or axis_by_square(shape)
        layout = layout_name(name, shape, axis)
        found.append(Found(name, kind, stage, _stored_shape(shape, layout), layout))
    return Discovery(tuple(found), "hooks", x.shape[-1], error)


def _run_hooks(model, x, head):
    try:
        return hook_record(model, x, head)
    except Exception as e:  # noqa: BLE001
        _refused(model, x, e)


@contextmanager
def capture(
    model: nn.Module, discovery: Discovery, indices: Sequence[int] | None = None
) -> Iterator[tuple[nn.Module, dict[int, torch.Tensor]]]:
    """A callable that runs ``model`` and fills a dict ``{index: activations}`` (stored
    layout: channels first, ``point_layout.stored``) for the points in ``indices``
    (1-based; all by default).

    Yields ``(run, store)``: call ``run(x)``, then read ``store``.
    """
    wanted_idx = list(range(1, len(discovery.points) + 1)) if indices is None else list(indices)
    names = {i: discovery.points[i - 1].name for i in wanted_idx}
    layouts = {i: discovery.points[i - 1].layout for i in wanted_idx}
    store: dict[int, torch.Tensor] = {}
    if discovery.method == "fx":
        _, nodes, graph = fx_points(model, [names[i] for i in wanted_idx])
        gm = copy_graph(model, graph, {names[i]: nodes[names[i]] for i in wanted_idx})

        def run(x):
            out = gm(x)
            store.update({i: stored(out[names[i]], layouts[i]) for i in wanted_idx})

        yield run, store
        return

    head = head_path(model, discovery.input_size)
    paths = blocks(model)

    def run_hooks(x):
        found = points_of_batch(hook_record(model, x, head), paths, names)
        store.update({i: stored(t, layouts[i]) for i, t in found.items()})

    yield run_hooks, store
