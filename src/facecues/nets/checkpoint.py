"""Saving and loading networks: our own checkpoints and external state dicts (of the
built-in ResNet-50 topology or of any architecture entry)."""

from __future__ import annotations

import pickle
import re
from collections.abc import Mapping
from pathlib import Path

import torch

from facecues.errors import FacecuesError
from facecues.io import atomic_path
from facecues.nets.architectures import FaceNetwork, build_backbone
from facecues.nets.resnet import FaceResNet
from facecues.nets.spec import describe


def atomic_save(obj: object, path: str | Path) -> None:
    """torch.save to a temporary file in the same folder, then rename over ``path``."""
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def save_network(model, path: str | Path, **meta: object) -> None:
    """Save a trained network with the architecture needed to rebuild it: a
    ``FaceResNet`` as ``arch`` (its width and block), a ``FaceNetwork`` (or a bare
    backbone, with ``meta["architecture"]``) as its architecture entry and the backbone's
    state dict (the identity head under ``head``)."""
    if isinstance(model, FaceNetwork):
        state = {k.removeprefix("backbone."): v for k, v in model.backbone.state_dict().items()}
        head = model.fc.state_dict()
        atomic_save({"architecture": model.entry, "state_dict": state, "head": head, **meta}, path)
        return
    if not isinstance(model, FaceResNet):
        atomic_save({"state_dict": model.state_dict(), **meta}, path)
        return
    arch = {
        "num_classes": model.num_classes,
        "base_width": model.base_width,
        "stride_in_1x1": model.stride_in_1x1,
    }
    atomic_save({"arch": arch, "state_dict": model.state_dict(), **meta}, path)


def _strip_prefixes(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    for prefix in ("module.", "model.", "backbone."):
        if state and all(k.startswith(prefix) for k in state):
            state = {k[len(prefix) :]: v for k, v in state.items()}
    return state


def load_network(
    path: str | Path,
    *,
    base_width: int = 64,
    stride_in_1x1: bool = False,
    architecture=None,
    input_size: int = 224,
):
    """Load a network for probing, without its classification head.

    Accepts a facecues checkpoint (architecture stored inside), or a state
    dict, bare, with a ``module.`` prefix, or inside ``{"state_dict": ...}``:
    of a torchvision-style ResNet-50 described by ``base_width`` and
    ``stride_in_1x1``, or of the network of ``architecture`` (an entry of
    ``facecues.nets.architectures``; built at ``input_size``, its head's keys
    skipped). A mismatch raises one FacecuesError listing the missing,
    unexpected and mis-shaped keys.
    """
    path = Path(path)
    if not path.is_file():
        raise FacecuesError(f"model.checkpoint: {path} does not exist")
    try:
        # weights_only: a checkpoint is data; a pickle that would build other Python
        # objects (and could run code while doing so) is refused, never executed
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"GLOBAL (\S+)", str(e))
        if not found:
            lines = [ln.strip() for ln in str(e).splitlines() if "nsupported" in ln]
            raise FacecuesError(
                f"{path}: not a readable PyTorch checkpoint ({(lines or ['not a pickle'])[0]}); "
                "expected a file written by torch.save holding a state dict of tensors"
            ) from None
        raise FacecuesError(
            f"{path}: refused: this checkpoint asks to call or build {found[1]} besides "
            "tensors, which could run code when loaded; facecues loads checkpoints with "
            "torch.load(weights_only=True). Expected a state dict of tensors: save one with "
            "torch.save(model.state_dict(), path)"
        ) from None
    except Exception as e:  # noqa: BLE001 - any other unpickling failure is the user's file
        raise FacecuesError(
            f"{path}: not a readable PyTorch checkpoint ({e}); expected a file written by "
            "torch.save holding a state dict of tensors"
        ) from None
    if isinstance(obj, dict) and "arch" in obj and "state_dict" in obj:
        base_width = obj["arch"]["base_width"]
        stride_in_1x1 = obj["arch"]["stride_in_1x1"]
        architecture = None
    elif isinstance(obj, dict) and "architecture" in obj and "state_dict" in obj:
        architecture = obj["architecture"]
    state = obj.get("state_dict", obj) if isinstance(obj, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise FacecuesError(f"{path}: expected a state dict of tensors (or {{'state_dict': ...}})")
    state = _strip_prefixes(state)
    if architecture is not None and architecture.get("source", "facecues") != "facecues":
        model = build_backbone(architecture, input_size)
        head = getattr(model, "dropped_head", None)
        if head is not None:
            state = {k: v for k, v in state.items() if not k.startswith(head + ".")}
        what = f"a {describe(architecture)} network"
        model.probe_patterns = architecture.get("points")  # read by nets.probe_points
    else:
        if architecture is not None:
            kwargs = architecture.get("kwargs") or {}
            base_width = kwargs.get("base_width", base_width)
            stride_in_1x1 = kwargs.get("stride_in_1x1", stride_in_1x1)
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
        model = FaceResNet(0, base_width=base_width, stride_in_1x1=stride_in_1x1)
        what = f"a ResNet-50 with base width {base_width}"
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    shapes = sorted(
        f"{k}: file {tuple(state[k].shape)} vs model {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    )
    if missing or unexpected or shapes:
        parts = []
        for label, items in (("missing", missing), ("unexpected", unexpected), ("shape", shapes)):
            if items:
                more = f" (+{len(items) - 5} more)" if len(items) > 5 else ""
                parts.append(f"{label} keys: {', '.join(items[:5])}{more}")
        raise FacecuesError(f"{path}: not {what}: " + "; ".join(parts))
    model.load_state_dict(state)
    return model.eval()


def check_checkpoints(checkpoints: Mapping[str, str], model: Mapping) -> None:
    """Load every given checkpoint (``{name: path}``) as the jobs will, for the network of
    the config's ``model`` section (``base_width``, ``stride_in_1x1``, ``input_size``,
    ``architecture``): at workflow start-up, so that a file that does not load or does
    not fit the network stops the run before any job. One FacecuesError names each."""
    failed = []
    for name, path in checkpoints.items():
        try:
            load_network(
                path,
                base_width=model["base_width"],
                stride_in_1x1=model["stride_in_1x1"],
                architecture=model.get("architecture"),
                input_size=model["input_size"],
            )
        except FacecuesError as e:
            failed.append(f"checkpoint {name!r}: {e}")
    if failed:
        raise FacecuesError("\n".join(failed))
