"""Probe points found by forward hooks: the fallback where FX tracing fails.

Hooks sit on every nonlinearity module and every block (``facecues.nets.blocks``),
pre-hooks on the blocks (the input of the first block called is the stem's
output, a point where the stem has no nonlinearity) and one on the classifier head (its input is the
embedding). Functional nonlinearities are invisible here.

Two records are one point only when they are **the same tensor**: a block
whose output is the very tensor its last nonlinearity returned (a ResNet
block ending in its ReLU), unchanged since (same memory, same in-place version
counter), or an embedding that is a view of the point before it. Values are
never compared: equal values are not the same point.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from facecues.errors import FacecuesError
from facecues.nets.blocks import blocks, stage_of
from facecues.nets.fx_points import EMBEDDING, NONLINEAR_MODULES
from facecues.nets.layout import point_id

STEM = "stem"  # the name of the first block's input, where it is the stem's point


@dataclass
class Record:
    """One hooked value: the module path, its role (``nonlinear``, ``block``, ``stem`` or
    ``embedding``), a copy of the value and whether it is the tensor recorded before."""

    path: str
    role: str
    value: torch.Tensor
    same_as_previous: bool = False


class _Recorder:
    """Keeps the records of one pass and a weak reference to the last recorded tensor."""

    def __init__(self):
        self.records: list[Record] = []
        self._last = None
        self._version = -1

    def add(self, path: str, role: str, out) -> None:
        if not isinstance(out, torch.Tensor):
            return
        last = self._last() if self._last is not None else None
        same = last is not None and _same_tensor(last, out) and out._version == self._version
        self.records.append(Record(path, role, out.detach().clone(), same))
        self._last, self._version = weakref.ref(out), out._version


def _same_tensor(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether ``b`` is ``a`` or a view of the same memory holding the same values."""
    if a is b:
        return True
    shared = a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()
    return (
        shared
        and a.data_ptr() == b.data_ptr()
        and a.numel() == b.numel()
        and (a.is_contiguous() and b.is_contiguous())
    )


def hook_record(model: nn.Module, x: torch.Tensor, head: str | None) -> list[Record]:
    """Run ``model`` on ``x`` recording each nonlinearity and block call in order, the first
    block's input (role ``stem``) and the embedding: the input of ``head``
    (``architectures.head_path``), else the output."""
    rec = _Recorder()
    block_paths = blocks(model)
    handles = []
    for path, m in model.named_modules():
        if path and (isinstance(m, NONLINEAR_MODULES) or path in block_paths):
            role = "block" if path in block_paths else "nonlinear"
            handles.append(
                m.register_forward_hook(
                    lambda _m, _i, out, path=path, role=role: rec.add(path, role, out)
                )
            )
    for path in block_paths:  # the input of the first block the pass calls
        handles.append(
            model.get_submodule(path).register_forward_pre_hook(
                lambda _m, args, path=path: (
                    None
                    if rec.records and any(r.role in ("stem", "block") for r in rec.records)
                    else rec.add(path, "stem", args[0])
                )
            )
        )
    if head is not None:
        handles.append(
            model.get_submodule(head).register_forward_pre_hook(
                lambda _m, args: rec.add(EMBEDDING, EMBEDDING, args[0])
            )
        )
    try:
        out = model(x)
    finally:
        for h in handles:
            h.remove()
    if not any(r.role == EMBEDDING for r in rec.records):
        rec.add(EMBEDDING, EMBEDDING, out)
    return rec.records


def hook_points(records: Sequence[Record], block_paths: Sequence[str]) -> list[tuple]:
    """(name, kind, stage, record index) of the points: a repeated module's calls
    numbered; a block output or embedding that is the tensor of the point before it is
    that point (with the block's or the embedding's kind); the first block's input a point
    only where no nonlinearity comes before it."""
    counts: dict[str, int] = {}
    for r in records:
        counts[r.path] = counts.get(r.path, 0) + (r.role != "stem")
    seen: dict[str, int] = {}
    roles = [r.role for r in records]
    first_block = roles.index("block") if "block" in roles else len(records)
    last_block = len(roles) - 1 - roles[::-1].index("block") if "block" in roles else 0
    points: list[tuple] = []
    for i, r in enumerate(records):
        if r.role == "stem":
            if not points:  # no nonlinearity before the first block
                points.append((STEM, "stem", "stem", i))
            continue
        seen[r.path] = seen.get(r.path, 0) + 1
        name = r.path
        if counts[r.path] > 1:
            name = f"{r.path}{'' if r.path[-1].isalpha() else '_call'}{seen[r.path]}"
        if r.role in (EMBEDDING, "block"):
            kind, stage = ("pool", "pool") if r.role == EMBEDDING else ("output", stage_of(r.path))
            if r.same_as_previous and points and points[-1][3] == i - 1:
                points[-1] = (points[-1][0], kind, stage, points[-1][3])
            else:
                points.append((name, kind, stage, i))
            continue
        block = next((b for b in block_paths if r.path.startswith(b + ".")), None)
        if block is not None:
            points.append((name, "inner", stage_of(block), i))
        elif i < first_block:
            points.append((name, "stem", "stem", i))
        elif i < last_block:
            upcoming = next(rr.path for rr in records[i:] if rr.role == "block")
            points.append((name, "transition", stage_of(upcoming), i))
        else:
            points.append((name, "post", "head", i))
    return points


def points_of_batch(records: Sequence[Record], block_paths, wanted: dict[int, str]) -> dict:
    """{index: values} of the wanted points ({index: name}) in one batch's records; a point
    the batch did not compute is an error naming it and the branch the batch took."""
    found = {p[0]: records[p[3]].value for p in hook_points(records, block_paths)}
    missing = [(i, n) for i, n in wanted.items() if n not in found]
    if missing:
        i, name = missing[0]
        ran = ", ".join(found) or "none"
        raise FacecuesError(
            f"probe point {point_id(i)} ({name}) was not computed for this batch: the network took "
            f"another branch than at discovery (this batch ran the points {ran}); a network "
            "whose forward pass depends on its input needs its points named by hand "
            "(model.architecture.points) among those every input computes"
        )
    return {i: found[n] for i, n in wanted.items()}
