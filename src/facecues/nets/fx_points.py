"""Probe points found in a network's FX graph (``facecues.nets.discovery`` says which).

Tracing names nodes as torchvision's feature extraction does
(``facecues.nets.node_paths``), with torch's own leaf modules only:
torchvision's feature extraction also makes every ``torchvision.ops`` module a
leaf, which hides the activations inside MobileNet's
``Conv2dNormActivation`` and a ViT's ``MLP``. Capture runs a copy of the graph
that returns a clone of each wanted value the moment it is computed, so an
in-place operation later in the pass (``out += identity``,
``ReLU(inplace=True)``) cannot change it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import fx, nn
from torch.nn import functional as F

from facecues.errors import FacecuesError
from facecues.nets.blocks import blocks, stage_of
from facecues.nets.node_paths import NodePathTracer

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
CALLS = ("call_module", "call_function", "call_method")


def trace(model: nn.Module) -> tuple[fx.Graph, dict[fx.Node, str]]:
    """The model's graph and each node's qualified name (its module path)."""
    tracer = NodePathTracer()
    graph = tracer.trace(model)
    return graph, dict(tracer.node_to_qualname)


def _is_op(node: fx.Node, modules: dict[str, nn.Module], module_types, functions, methods):
    """Whether ``node`` calls one of these modules, functions or tensor methods."""
    if node.op == "call_module":
        return isinstance(modules.get(node.target), module_types)
    if node.op == "call_function":
        return node.target in functions
    return node.op == "call_method" and node.target in methods


def is_nonlinear(node: fx.Node, modules: dict[str, nn.Module]) -> bool:
    return _is_op(node, modules, NONLINEAR_MODULES, NONLINEAR_FUNCTIONS, NONLINEAR_METHODS)


def _passes(node: fx.Node, modules: dict[str, nn.Module]) -> bool:
    return _is_op(node, modules, PASS_MODULES, PASS_FUNCTIONS, PASS_METHODS)


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


@dataclass
class _Places:
    """Where each node of the graph is: in which block, which block it ends, and the
    first block's input (the stem's output)."""

    order: list[fx.Node]
    block_of: dict[fx.Node, str]
    ends: dict[fx.Node, str]
    first_block: int  # position in ``order`` of the first node inside a block
    last_block: int  # and of the last
    stem_output: fx.Node | None
    next_stage: list[str]  # per position in ``order``: the stage of the next block


def _places(model: nn.Module, graph: fx.Graph, qualname: dict[fx.Node, str]) -> _Places:
    order = [n for n in graph.nodes if n.op in CALLS]
    paths = blocks(model)
    block_of: dict[fx.Node, str] = {}
    last_in_block: dict[str, fx.Node] = {}
    for node in order:
        q = qualname.get(node, "")
        b = next((b for b in paths if q.startswith(b + ".")), None)
        if b is not None:
            block_of[node] = b
            last_in_block[b] = node
    inside = [k for k, n in enumerate(order) if n in block_of]
    first, last = (inside[0], inside[-1]) if inside else (len(order), len(order))
    stem_output = None
    if inside:
        head = order[first]
        outer = [a for a in head.all_input_nodes if a not in block_of]
        stem_output = outer[0] if outer and outer[0].op != "placeholder" else None
    next_stage, upcoming = [""] * len(order), "head"
    for k in range(len(order) - 1, -1, -1):
        if order[k] in block_of:
            upcoming = stage_of(block_of[order[k]])
        next_stage[k] = upcoming
    ends = {n: b for b, n in last_in_block.items()}
    return _Places(order, block_of, ends, first, last, stem_output, next_stage)


def fx_points(
    model: nn.Module, patterns: Sequence[str] | None
) -> tuple[list[tuple[str, str, str]], dict[str, fx.Node], fx.Graph]:
    """(name, kind, stage) of the points in forward order, {name: node}, the graph."""
    graph, qualname = trace(model)
    modules = dict(model.named_modules())
    names = _node_names(graph, qualname)
    at = _places(model, graph, qualname)
    position = {n: k for k, n in enumerate(at.order)}
    value, source = _embedding(graph, modules)

    def describe(node: fx.Node) -> tuple[str, str, str]:
        nonlinear = is_nonlinear(node, modules)
        k = position[node]
        if node in (value, source) and (nonlinear or node is value):
            return (names[node] if nonlinear else _embedding_name(source)), "pool", "pool"
        if node in at.ends:
            return (names[node] if nonlinear else at.ends[node]), "output", stage_of(at.ends[node])
        if node in at.block_of:
            return names[node], "inner", stage_of(at.block_of[node])
        if k < at.first_block or node is at.stem_output:
            return names[node], "stem", "stem"
        if k < at.last_block:
            return names[node], "transition", at.next_stage[k]
        return names[node], "post", "head"

    if patterns:
        candidates = {describe(n)[0]: n for n in at.order}
        nodes = [candidates[name] for name in match(patterns, list(candidates))]
    else:
        stem = [n for n in at.order[: at.first_block] if is_nonlinear(n, modules)]
        nodes = [
            n
            for n in at.order
            if is_nonlinear(n, modules)
            or n in at.ends
            or n is value
            or (n is at.stem_output and not stem)
        ]
        if source in nodes and value is not source:
            nodes.remove(value)  # the embedding is a point already (a nonlinearity's output)
    points = [describe(n) for n in nodes]
    return points, {p[0]: n for p, n in zip(points, nodes, strict=True)}, graph


def _embedding_name(source: fx.Node) -> str:
    return str(source.target) if source.op == "call_module" else EMBEDDING


def _node_names(graph: fx.Graph, qualname: dict[fx.Node, str]) -> dict[fx.Node, str]:
    """Each node's point name: its qualified name, a repeated module's calls numbered."""
    calls: dict[str, list[fx.Node]] = {}
    for node in graph.nodes:
        if node.op == "call_module":
            calls.setdefault(node.target, []).append(node)
    names = dict(qualname)
    for target, nodes in calls.items():
        if len(nodes) > 1:
            sep = "" if target[-1].isalpha() else "_call"
            for k, node in enumerate(nodes, start=1):
                names[node] = f"{target}{sep}{k}"
    return names


def match(patterns: Sequence[str], names: list[str]) -> list[str]:
    """The names matching any pattern (exact or fnmatch), in forward order; a pattern
    that matches nothing is an error naming it."""
    for p in patterns:
        if not any(n == p or fnmatch.fnmatchcase(n, p) for n in names):
            close = [n for n in names if p.split("*")[0] and n.startswith(p.split("*")[0][:6])]
            hint = f"; names starting alike: {', '.join(close[:8])}" if close else ""
            raise FacecuesError(f"probe point pattern {p!r} matches no point of the network{hint}")
    return [n for n in names if any(n == p or fnmatch.fnmatchcase(n, p) for p in patterns)]


def copy_graph(model: nn.Module, graph: fx.Graph, wanted: dict[str, fx.Node]) -> fx.GraphModule:
    """A GraphModule computing only what the wanted nodes need, returning {name: copy}
    with each copy made right after its node."""
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
    gm = fx.GraphModule(model, new)
    gm.graph.eliminate_dead_code()
    gm.recompile()
    return gm
