"""The probe points of a network and their capture (docs/protocol.md section 4).

``probe_points`` and ``point_capture`` serve every network: the built-in
ResNet-50 topology by the hooks below, any other by
``facecues.nets.discovery``, checked against the manifest a job's network
carries (``model.manifest``, set by ``facecues.nets.device.job_network``): a
job whose points differ from it does not run. The rest of this docstring is
the built-in one.

Every post-ReLU activation in forward order: the stem (relu(bn1(conv1)),
before max-pool); for each of the 16 Bottleneck blocks relu(bn1(conv1)),
relu(bn2(conv2)) and the block output relu(bn3(conv3) + shortcut); then the
global average pool. Points are numbered L01..L50 and named by their ResNet
position: ``relu``, ``layer1.0.relu1``, ``layer1.0.relu2``, ``layer1.0.relu3``
(block output), ..., ``avgpool``.

torchvision's Bottleneck calls ONE ReLU module three times, so a hook on it
would fire three times per block. The hooks here sit on ``bn1`` and ``bn2``
(and apply the ReLU to a copy) and on the block itself (whose output is
already post-ReLU); the order is then checked against a real forward pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import nn

from facecues.nets.architectures import network_input
from facecues.nets.discovery import capture as discovery_capture
from facecues.nets.discovery import discover
from facecues.nets.layout import N_POINTS, ProbePoint, input_point
from facecues.nets.manifest import check_points
from facecues.nets.resnet import Bottleneck, FaceResNet

__all__ = ["ProbePoint", "capture", "hook_sites", "point_capture", "probe_points"]


def hook_sites(model: nn.Module) -> list[tuple[str, str, nn.Module, bool]]:
    """(name, kind, module to hook, apply ReLU in the hook) in the network's forward order."""
    sites = [("relu", "stem", model.relu, False)]
    for stage in ("layer1", "layer2", "layer3", "layer4"):
        for b, block in enumerate(getattr(model, stage)):
            if not isinstance(block, Bottleneck):
                raise TypeError(f"{stage}.{b} is {type(block).__name__}, expected Bottleneck")
            prefix = f"{stage}.{b}"
            sites += [
                (f"{prefix}.relu1", "inner", block.bn1, True),
                (f"{prefix}.relu2", "inner", block.bn2, True),
                (f"{prefix}.relu3", "output", block, False),
            ]
    sites.append(("avgpool", "pool", model.avgpool, False))
    return sites


@contextmanager
def capture(
    model: nn.Module, indices: list[int] | None = None
) -> Iterator[dict[int, torch.Tensor]]:
    """Record probe-point activations during forward passes of ``model``.

    Yields a dict that each forward pass fills with ``{index: tensor}`` (the
    batch's activations, detached, NCHW; the pool as (N, C)), for the points in
    ``indices`` (1-based; all 50 by default; 0 is the input, taken by a
    pre-hook on the model). The stem hook sits on the stem's own ReLU module,
    which the stem calls exactly once.
    """
    sites = hook_sites(model)
    wanted = set(range(1, len(sites) + 1) if indices is None else indices)
    store: dict[int, torch.Tensor] = {}
    handles = []
    if 0 in wanted:
        handles.append(
            model.register_forward_pre_hook(lambda _m, args: store.__setitem__(0, args[0].detach()))
        )
    for i, (_, _, module, apply_relu) in enumerate(sites, start=1):
        if i not in wanted:
            continue

        def hook(_m, _inp, out, i=i, apply_relu=apply_relu):
            out = out.detach()
            if apply_relu:
                out = torch.relu(out)  # a new tensor: the block's in-place ReLU follows
            store[i] = out.flatten(1) if i == N_POINTS else out

        handles.append(module.register_forward_hook(hook))
    try:
        yield store
    finally:
        for h in handles:
            h.remove()


def probe_points(model: nn.Module, input_size: int, with_input: bool = False) -> list[ProbePoint]:
    """The probe points of ``model`` from one forward pass at ``input_size`` (after the
    input point ``L00`` when ``with_input``): a ``FaceResNet``'s 50, checked to fire once
    each in forward order; another network's by discovery (the user's point names or
    patterns: its ``probe_patterns``, set by ``load_network``)."""
    if not isinstance(model, FaceResNet):
        points = _discovered(model, input_size).probe_points()
        return [input_point(input_size), *points] if with_input else points
    sites = hook_sites(model)
    if len(sites) != N_POINTS:
        raise ValueError(f"expected {N_POINTS} probe points, the model has {len(sites)}")
    order: list[int] = []
    handles = [
        module.register_forward_hook(lambda *_, i=i: order.append(i))
        for i, (_, _, module, _) in enumerate(sites, start=1)
    ]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), capture(model) as acts:
            device = next(model.parameters()).device
            model(torch.zeros(1, 3, input_size, input_size, device=device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    if order != list(range(1, N_POINTS + 1)):
        raise RuntimeError(f"probe points fired out of forward order: {order}")
    points = [
        ProbePoint(i, name, kind, tuple(acts[i].shape[1:]), _stage(name))
        for i, (name, kind, _, _) in enumerate(sites, start=1)
    ]
    return [input_point(input_size), *points] if with_input else points


@contextmanager
def point_capture(
    model: nn.Module, indices: list[int], *, input_size: int
) -> Iterator[tuple[Callable, dict[int, torch.Tensor]]]:
    """Yields ``(run, acts)``: ``run(x)`` runs ``model`` on a batch and fills ``acts`` with
    ``{index: activations}`` (stored layout: NCHW, (N, D, T) for tokens, (N, D)) of the
    points ``indices`` (0: the input). A ``FaceResNet`` by ``capture``'s hooks; another
    network by ``facecues.nets.discovery.capture``."""
    if isinstance(model, FaceResNet):
        with capture(model, indices) as acts:
            yield model, acts
        return
    found = _discovered(model, input_size)
    inner = [i for i in indices if i != 0]
    with discovery_capture(model, found, inner) as (run, acts):

        def run_with_input(x):
            x = network_input(model, x)  # the input as the network receives it
            if 0 in indices:
                acts[0] = x.detach()
            run(x)

        yield run_with_input, acts


def _discovered(model: nn.Module, input_size: int):
    """The discovery of ``model``'s points (the user's names or patterns: its
    ``probe_patterns``, set by ``load_network``), checked against ``model.manifest``
    where the model carries one."""
    found = discover(model, input_size, getattr(model, "probe_patterns", None))
    manifest = getattr(model, "manifest", None)
    if manifest is not None:
        check_points(manifest, found.probe_points(), f"the {type(model).__name__} of this job")
    return found


def _stage(name: str) -> str:
    """``layer2.0.relu1`` -> ``layer2``; ``relu`` -> ``stem``; ``avgpool`` -> ``pool``."""
    return {"relu": "stem", "avgpool": "pool"}.get(name, name.partition(".")[0])


def run_from(model: nn.Module, index: int, x: torch.Tensor) -> torch.Tensor:
    """The pooled embedding from point ``index``'s activations ``x`` (a batch at the stem,
    a block output or the pool): the rest of ``model``'s forward pass, whose hooks (e.g.
    ``capture``'s) fire as in a whole pass. ``model.embed`` equals ``run_from`` of its
    own activations at any such point."""
    sites = hook_sites(model)
    name, kind, _, _ = sites[index - 1]
    if kind == "pool":
        return x.flatten(1)
    if kind not in ("stem", "output"):
        raise ValueError(f"run_from: point {index} ({name}) is not a whole module's output")
    if kind == "stem":  # the stem's max pooling, as in FaceResNet.embed
        x = model.maxpool(x.contiguous(memory_format=torch.channels_last)).contiguous()
    for i, (_, k, block, _) in enumerate(sites, start=1):
        if k == "output" and i > index:
            x = block(x)
    return torch.flatten(model.avgpool(x), 1)
