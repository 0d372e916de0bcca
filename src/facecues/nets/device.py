"""The device a job runs on, and the network a torch job of the workflow probes."""

from __future__ import annotations

import logging

import torch

from facecues.nets.checkpoint import load_network
from facecues.nets.resnet import FaceResNet

log = logging.getLogger(__name__)


def pick_device(requested: str | None = None) -> torch.device:
    """``requested`` if given ("cpu", "cuda", "cuda:1"), else CUDA when available, else CPU."""
    if requested:
        dev = torch.device(requested)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {requested!r} requested but CUDA is not available")
        return dev
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def job_network(path, model_cfg: dict, threads: int) -> tuple[FaceResNet, torch.device]:
    """Load the network at ``path`` (config key ``model`` describes torchvision-style
    state dicts), limit torch to the job's ``threads`` and pick the device."""
    torch.set_num_threads(threads)
    model = load_network(
        path, base_width=model_cfg["base_width"], stride_in_1x1=model_cfg["stride_in_1x1"]
    )
    device = pick_device()
    log.info("network %s on %s, %d threads", path, device, threads)
    return model, device
