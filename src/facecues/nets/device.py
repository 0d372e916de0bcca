"""The device a job runs on, and the network a torch job of the workflow probes."""

from __future__ import annotations

import logging

import torch
from torch import nn

from facecues.nets.checkpoint import load_network
from facecues.nets.manifest import job_manifest

log = logging.getLogger(__name__)


def pick_device(requested: str | None = None) -> torch.device:
    """``requested`` if given ("cpu", "cuda", "cuda:1"), else CUDA when available, else CPU."""
    if requested:
        dev = torch.device(requested)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {requested!r} requested but CUDA is not available")
        return dev
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def job_network(path, model_cfg: dict, threads: int) -> tuple[nn.Module, torch.device]:
    """Load the network at ``path`` (config key ``model`` describes state dicts that are
    not facecues checkpoints), limit torch to the job's ``threads`` and pick the device.
    A discovered network carries its manifest (``model.manifest``): the points its
    capture must find (``facecues.nets.probe_points``)."""
    torch.set_num_threads(threads)
    model = load_network(
        path,
        base_width=model_cfg["base_width"],
        stride_in_1x1=model_cfg["stride_in_1x1"],
        architecture=model_cfg.get("architecture"),
        input_size=model_cfg["input_size"],
    )
    model.manifest = job_manifest(model_cfg)
    device = pick_device()
    log.info("network %s on %s, %d threads", path, device, threads)
    return model, device
