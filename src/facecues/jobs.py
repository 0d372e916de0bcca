"""What the workflow's torch jobs share: the network to probe, the threads, the device."""

from __future__ import annotations

import logging

import torch

from .checkpoint import load_network
from .device import pick_device
from .model import FaceResNet

log = logging.getLogger(__name__)


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
