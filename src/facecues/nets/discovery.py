"""Probe points discovered from any network's forward pass (docs/protocol.md section 4).

Which points (the default; a user list of names or patterns replaces it):

- every **nonlinearity** output (the modules in ``NONLINEAR_MODULES``, the
  functions in ``NONLINEAR_FUNCTIONS``), but not gates (sigmoid,
  hard-sigmoid, softmax), whose outputs scale other tensors;
- every **block** output. A block is a module that is one of at least two
  adjacent siblings of the same class in an ``nn.Sequential`` or ``nn.ModuleList``
  (ResNet's Bottleneck, MobileNet's InvertedResidual, a ViT's encoder
  block) and not inside another block; its output is the last operation
  traced inside it;
- the **embedding**: the classifier head's input (the model's output when it
  has no head), looked through flatten, reshape, dropout and identity.

A point reached twice (a block ending in its ReLU) counts once, as the
nonlinearity. Points are in forward order, numbered from L01.

Names. FX node names (torchvision's ``NodePathTracer``: module paths, and
``_1``, ``_2`` for repeated names), except that a module called k > 1 times
has its calls numbered from 1 (``layer1.0.relu`` called three times gives
``layer1.0.relu1``, ``relu2``, ``relu3``: a Bottleneck's ReLU), a block
output that is no nonlinearity is named by the block (``features.3``), and
the embedding by the module it comes from (``avgpool``), or ``embedding``.
For the built-in ResNet-50 topology these are today's 50 names and ids.

Capture. Tracing uses torchvision's ``NodePathTracer`` with torch's own
leaf modules only: ``torchvision``'s feature extraction also makes every
``torchvision.ops`` module a leaf, which hides the activations inside
MobileNet's ``Conv2dNormActivation`` and a ViT's ``MLP``. The captured
values are copied the moment they are computed, so an in-place operation
later in the pass (``out += identity``, ``ReLU(inplace=True)``) cannot
change them. When tracing fails, forward hooks on the modules are the
fallback (``method == "hooks"``): functional nonlinearities are then
invisible, and the error that stopped tracing is kept in ``trace_error``.

Shapes, per image: a conv map (C, H, W) as it is; a token map (T, D) is
stored channels first, (D, T), so a filter is one of the D channels over
every token (the class token is position 0) and a neuron is (channel,
token); a vector (D,) as it is.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torchvision
from torch import fx, nn
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode
from torchvision.models.feature_extraction import NodePathTracer

from facecues.errors import FacecuesError
from facecues.nets.architectures import head_path
from facecues.nets.layout import ProbePoint

NONLINEAR_MODULES = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.RReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Hardswish,
    nn.Hardtanh,
    nn.Softplus,
    nn.Tanh,
)
NONLINEAR_FUNCTIONS = {
    F.relu,
    F.relu6,
    F.leaky_relu,
    F.prelu,
    F.elu,
    F.selu,
    F.celu,
    F.gelu,
    F.silu,
    F.mish,
    F.hardswish,
    F.hardtanh,
    F.softplus,
    torch.relu,
    torch.tanh,
    torch.nn.functional.tanh,
}
NONLINEAR_METHODS = {"relu", "relu_", "tanh", "tanh_"}
# What the embedding is looked through to find where it comes from.
PASS_MODULES = (nn.Flatten, nn.Dropout, nn.Identity)
PASS_FUNCTIONS = {torch.flatten, torch.reshape, F.dropout}
PASS_METHODS = {"flatten", "view", "reshape", "contiguous", "squeeze"}
EMBEDDING = "embedding"  # the embedding's name where no module names it


@dataclass(frozen=True)
class Found:
    """A discovered point: its name, kind, stage and the per-image shape."""

    name: str
    kind: str  # stem, inner, output (a block's), post (after the last block), pool
    stage: str
    shape: tuple[int, ...]


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
            ProbePoint(i, p.name, p.kind, p.shape, p.stage)
            for i, p in enumerate(self.points, start=1)
        ]


def per_image(t: torch.Tensor) -> torch.Tensor:
    """A batch of activations in the stored layout: (N, C, H, W) and (N, D) as they
    are, a token map (N, T, D) as (N, D, T)."""
    if t.dim() == 3:
        return t.transpose(1, 2)
    if t.dim() in (2, 4):
        return t
    raise FacecuesError(f"activations of shape {tuple(t.shape)}: expected 2, 3 or 4 dimensions")


def blocks(model: nn.Module) -> list[str]:
    """The paths of ``model``'s blocks (see the module docstring), outermost only."""
    found: list[str] = []
    for path, m in model.named_modules():
        if not isinstance(m, nn.Sequential | nn.ModuleList):
            continue
        if any(path == b or path.startswith(b + ".") for b in found):
            continue
        children = list(m.named_children())
        classes = [type(c) for _, c in children] + [None]
        for k, (name, child) in enumerate(children):
            neighbours = (classes[k - 1] if k else None, classes[k + 1])
            if type(child) in neighbours and not _is_torch_leaf(child):
                found.append(f"{path}.{name}" if path else name)
    return found


def _is_torch_leaf(m: nn.Module) -> bool:
    return m.__module__.startswith(("torch.nn", "torch.ao.nn")) and not isinstance(
        m, nn.Sequential | nn.ModuleList | nn.ModuleDict
    )


def _stage(block: str) -> str:
    return block.rpartition(".")[0] or block


# ---------------------------------------------------------------------------
# FX: trace once, find the points, capture by a graph returning copies of them.


class _Tracer(NodePathTracer):
    """torchvision's node-naming tracer with torch's own leaf modules only."""

    def __init__(self):
        super().__init__(autowrap_modules=(math, torchvision.ops))


def _trace(model: nn.Module) -> tuple[fx.Graph, dict[fx.Node, str]]:
    tracer = _Tracer()
    graph = tracer.trace(model)
    return graph, dict(tracer.node_to_qualname)


def _is_nonlinear(node: fx.Node, modules: dict[str, nn.Module]) -> bool:
    if node.op == "call_module":
        return isinstance(modules.get(node.target), NONLINEAR_MODULES)
    if node.op == "call_function":
        return node.target in NONLINEAR_FUNCTIONS
    return node.op == "call_method" and node.target in NONLINEAR_METHODS


def _passes(node: fx.Node, modules: dict[str, nn.Module]) -> bool:
    if node.op == "call_module":
        return isinstance(modules.get(node.target), PASS_MODULES)
    if node.op == "call_function":
        return node.target in PASS_FUNCTIONS
    return node.op == "call_method" and node.target in PASS_METHODS


def _head(graph: fx.Graph, modules: dict[str, nn.Module]) -> fx.Node | None:
    """The classifier head's call (a Linear whose output is the model's), if any."""
    node = _output_value(graph)
    while isinstance(node, fx.Node):
        if node.op == "call_module" and isinstance(modules.get(node.target), nn.Linear):
            return node
        if not _passes(node, modules):
            return None
        node = node.args[0]
    return None


def _output_value(graph: fx.Graph) -> fx.Node | None:
    out = next(n for n in graph.nodes if n.op == "output").args[0]
    return out if isinstance(out, fx.Node) else None


def _embedding(graph: fx.Graph, modules: dict[str, nn.Module]) -> tuple[fx.Node, fx.Node]:
    """(the node holding the embedding, the node it is looked through to)."""
    head = _head(graph, modules)
    value = head.args[0] if head is not None else _output_value(graph)
    if not isinstance(value, fx.Node):
        raise FacecuesError("the model's output is not one tensor: cannot find its embedding")
    source = value
    while _passes(source, modules) and isinstance(source.args[0], fx.Node):
        source = source.args[0]
    return value, source


def _fx_points(
    model: nn.Module, patterns: Sequence[str] | None
) -> tuple[list[tuple[str, str, str]], dict[str, fx.Node], fx.Graph]:
    """(name, kind, stage) of the points in forward order, {name: node}, the graph."""
    graph, qualname = _trace(model)
    modules = dict(model.named_modules())
    names = _node_names(graph, qualname)
    order = [n for n in graph.nodes if n.op in ("call_module", "call_function", "call_method")]
    block_of: dict[fx.Node, str] = {}
    last_in_block: dict[str, fx.Node] = {}
    for node in order:
        q = qualname.get(node, "")
        for b in blocks(model):
            if q.startswith(b + "."):
                block_of[node] = b
                last_in_block[b] = node
    ends = {n: b for b, n in last_in_block.items()}
    value, source = _embedding(graph, modules)
    first_block = min((order.index(n) for n in block_of), default=len(order))

    def describe(node: fx.Node) -> tuple[str, str, str]:
        nonlinear = _is_nonlinear(node, modules)
        if node in (value, source) and (nonlinear or node is value):
            return (names[node] if nonlinear else _embedding_name(source)), "pool", "pool"
        if node in ends:
            return (names[node] if nonlinear else ends[node]), "output", _stage(ends[node])
        if node in block_of:
            return names[node], "inner", _stage(block_of[node])
        if order.index(node) < first_block:
            return names[node], "stem", "stem"
        return names[node], "post", "head"

    if patterns:
        candidates = {describe(n)[0]: n for n in order}
        nodes = [candidates[name] for name in _match(patterns, list(candidates))]
    else:
        nodes = [n for n in order if _is_nonlinear(n, modules) or n in ends or n is value]
        if source in nodes and value is not source:
            nodes.remove(value)  # the embedding is a point already (a nonlinearity's output)
    points = [describe(n) for n in nodes]
    return points, {p[0]: n for p, n in zip(points, nodes, strict=True)}, graph


def _embedding_name(source: fx.Node) -> str:
    return str(source.target) if source.op == "call_module" else "embedding"


def _node_names(graph: fx.Graph, qualname: dict[fx.Node, str]) -> dict[fx.Node, str]:
    """Each node's point name: its qualified name, a repeated module's calls numbered."""
    calls: dict[str, list[fx.Node]] = {}
    for node in graph.nodes:
        if node.op == "call_module":
            calls.setdefault(node.target, []).append(node)
    names = {n: q for n, q in qualname.items()}
    for target, nodes in calls.items():
        if len(nodes) > 1:
            sep = "" if target[-1].isalpha() else "_call"
            for k, node in enumerate(nodes, start=1):
                names[node] = f"{target}{sep}{k}"
    return names


def _match(patterns: Sequence[str], names: list[str]) -> list[str]:
    """The names matching any pattern (exact or fnmatch), in forward order; a pattern
    that matches nothing is an error naming it."""
    for p in patterns:
        if not any(n == p or fnmatch.fnmatchcase(n, p) for n in names):
            close = [n for n in names if p.split("*")[0] and n.startswith(p.split("*")[0][:6])]
            hint = f"; names starting alike: {', '.join(close[:8])}" if close else ""
            raise FacecuesError(f"probe point pattern {p!r} matches no point of the network{hint}")
    return [n for n in names if any(n == p or fnmatch.fnmatchcase(n, p) for p in patterns)]


def _copy_graph(model: nn.Module, graph: fx.Graph, wanted: dict[str, fx.Node]) -> fx.GraphModule:
    """A GraphModule computing only what the wanted nodes need, returning {name: copy}
    with each copy made right after its node."""
    graph = _clone_graph(graph, wanted)
    gm = fx.GraphModule(model, graph)
    gm.graph.eliminate_dead_code()
    gm.recompile()
    return gm


def _clone_graph(graph: fx.Graph, wanted: dict[str, fx.Node]) -> fx.Graph:
    new = fx.Graph()
    env: dict[fx.Node, fx.Node] = {}
    copies: dict[str, fx.Node] = {}
    inverse: dict[fx.Node, list[str]] = {}
    for name, node in wanted.items():
        inverse.setdefault(node, []).append(name)
    for node in graph.nodes:
        if node.op == "output":
            continue
        env[node] = new.node_copy(node, lambda n: env[n])
        for name in inverse.get(node, []):
            copies[name] = new.call_function(torch.clone, (env[node],))
    new.output(copies)
    return new


# ---------------------------------------------------------------------------
# Hooks: the fallback where tracing fails.


def _hook_sites(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(path, module) of every nonlinearity and block module."""
    block_paths = set(blocks(model))
    return [
        (path, m)
        for path, m in model.named_modules()
        if path and (isinstance(m, NONLINEAR_MODULES) or path in block_paths)
    ]


def _hook_record(
    model: nn.Module, x: torch.Tensor, head: str | None
) -> list[tuple[str, str, torch.Tensor]]:
    """Run ``model`` on ``x`` recording (module path, role, output copy) of each
    nonlinearity and block call in order, and the embedding (role ``embedding``): the
    input of ``head`` (``architectures.head_path``), else the output."""
    records: list[tuple[str, str, torch.Tensor]] = []
    block_paths = set(blocks(model))
    handles = []
    for path, m in _hook_sites(model):
        role = "block" if path in block_paths else "nonlinear"

        def hook(_m, _inp, out, path=path, role=role):
            if isinstance(out, torch.Tensor):
                records.append((path, role, out.detach().clone()))

        handles.append(m.register_forward_hook(hook))
    if head is not None:
        handles.append(
            model.get_submodule(head).register_forward_pre_hook(
                lambda _m, args: records.append((EMBEDDING, EMBEDDING, args[0].detach().clone()))
            )
        )
    try:
        out = model(x)
    finally:
        for h in handles:
            h.remove()
    if not any(r[1] == "embedding" for r in records) and isinstance(out, torch.Tensor):
        records.append((EMBEDDING, EMBEDDING, out.detach().clone()))
    return records


def _hook_points(records, block_paths: Sequence[str]) -> list[tuple[str, str, str, int]]:
    """(name, kind, stage, record index) of the points: a repeated module's calls
    numbered, a block output equal to the nonlinearity just before it merged into it,
    the embedding merged into the point it equals."""
    counts: dict[str, int] = {}
    for path, _, _ in records:
        counts[path] = counts.get(path, 0) + 1
    seen: dict[str, int] = {}
    first_block = next((i for i, r in enumerate(records) if r[1] == "block"), len(records))
    points: list[tuple[str, str, str, int]] = []
    for i, (path, role, t) in enumerate(records):
        seen[path] = seen.get(path, 0) + 1
        name = path
        if counts[path] > 1:
            name = f"{path}{'' if path[-1].isalpha() else '_call'}{seen[path]}"
        last = points[-1] if points else None
        same = last is not None and _same(records[last[3]][2], t)
        if role in ("embedding", "block"):
            kind, stage = ("pool", "pool") if role == "embedding" else ("output", _stage(path))
            if same:  # the same values as the point before: that point, with this role
                points[-1] = (last[0], kind, stage, last[3])
            else:
                points.append((name, kind, stage, i))
        else:
            block = next((b for b in block_paths if path.startswith(b + ".")), None)
            if block is not None:
                points.append((name, "inner", _stage(block), i))
            elif i < first_block:
                points.append((name, "stem", "stem", i))
            else:
                points.append((name, "post", "head", i))
    return points


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.flatten(1).shape == b.flatten(1).shape and torch.equal(a.flatten(1), b.flatten(1))


# ---------------------------------------------------------------------------


def discover(model: nn.Module, input_size: int, patterns: Sequence[str] | None = None) -> Discovery:
    """The probe points of ``model`` at ``input_size`` pixels, by FX tracing or, where
    tracing fails, forward hooks; ``patterns``: the user's names or fnmatch patterns."""
    was_training = model.training
    model.eval()
    try:
        x = _probe_input(model, input_size)
        with torch.no_grad(), FlopCounterMode(display=False) as flops:
            _run(model, x, model)
        sizes = {
            "flops": int(flops.get_total_flops()),
            "parameters": sum(p.numel() for p in model.parameters()),
            "state_values": sum(v.numel() for v in model.state_dict().values()),
        }
        try:
            names, wanted, graph = _fx_points(model, patterns)
        except FacecuesError:
            raise
        except Exception as e:  # noqa: BLE001 - any tracing failure means: use hooks
            found = _discover_by_hooks(model, x, patterns, f"{type(e).__name__}: {e}")
            return dataclasses.replace(found, **sizes)
        gm = _copy_graph(model, graph, wanted)
        with torch.no_grad():
            acts = _run(gm, x, model)
        found = [
            Found(name, kind, stage, tuple(per_image(acts[name]).shape[1:]))
            for name, kind, stage in names
        ]
        return Discovery(tuple(found), "fx", input_size, **sizes)
    finally:
        model.train(was_training)


def _probe_input(model: nn.Module, input_size: int) -> torch.Tensor:
    p = next(iter(model.parameters()), None)
    device = p.device if p is not None else torch.device("cpu")
    return torch.zeros(1, 3, input_size, input_size, device=device)


def _run(module: nn.Module, x: torch.Tensor, model: nn.Module):
    try:
        return module(x)
    except Exception as e:  # noqa: BLE001 - the user's model refused this input
        size = x.shape[-1]
        raise FacecuesError(
            f"{type(model).__name__} cannot take a {size}x{size} input ({type(e).__name__}: "
            f"{str(e).splitlines()[0] if str(e) else ''}); set the network's input_size to "
            "one it accepts"
        ) from None


def _discover_by_hooks(model, x, patterns, error: str) -> Discovery:
    with torch.no_grad():
        records = _run_hooks(model, x)
    points = _hook_points(records, blocks(model))
    if patterns:
        keep = set(_match(patterns, [p[0] for p in points]))
        points = [p for p in points if p[0] in keep]
    found = [
        Found(name, kind, stage, tuple(per_image(records[i][2]).shape[1:]))
        for name, kind, stage, i in points
    ]
    return Discovery(tuple(found), "hooks", x.shape[-1], error)


def _run_hooks(model, x):
    try:
        return _hook_record(model, x, head_path(model, x.shape[-1]))
    except Exception as e:  # noqa: BLE001
        size = x.shape[-1]
        raise FacecuesError(
            f"{type(model).__name__} cannot take a {size}x{size} input ({type(e).__name__}: {e})"
        ) from None


@contextmanager
def capture(
    model: nn.Module, discovery: Discovery, indices: Sequence[int] | None = None
) -> Iterator[tuple[nn.Module, dict[int, torch.Tensor]]]:
    """A callable that runs ``model`` and fills a dict ``{index: activations}`` (stored
    layout, ``per_image``) for the points in ``indices`` (1-based; all by default).

    Yields ``(run, store)``: call ``run(x)``, then read ``store``.
    """
    wanted_idx = list(range(1, len(discovery.points) + 1)) if indices is None else list(indices)
    names = {i: discovery.points[i - 1].name for i in wanted_idx}
    store: dict[int, torch.Tensor] = {}
    if discovery.method == "fx":
        _, nodes, graph = _fx_points(model, [names[i] for i in wanted_idx])
        gm = _copy_graph(model, graph, {names[i]: nodes[names[i]] for i in wanted_idx})

        def run(x):
            out = gm(x)
            store.update({i: per_image(out[names[i]]) for i in wanted_idx})

        yield run, store
        return

    head = head_path(model, discovery.input_size)

    def run_hooks(x):
        records = _hook_record(model, x, head)
        by_name = {p[0]: records[p[3]][2] for p in _hook_points(records, blocks(model))}
        store.update({i: per_image(by_name[names[i]]) for i in wanted_idx})

    yield run_hooks, store
