"""GPU check at paper scale: ResNet-50 face-ID training steps and probe-point extraction.

    python benchmarks/gpu_check.py                    # CUDA; about a minute
    python benchmarks/gpu_check.py --steps 5 --device cpu --size 64   # a smoke run

Random images and labels (no data loading, no disk), so the figures are the
network's own speed on the device:

- training: the training loop's step (``facecues.training.train``: AMP and
  channels_last on CUDA, SGD with momentum, label smoothing) on batches of
  ``--batch`` images, 8,631 identities (VGGFace2's training set), images/s;
- extraction: forward passes with all 50 probe points captured (the hooks of
  ``facecues.nets.probe_points.capture``) and copied to the host as float16, as
  ``extract`` does before writing HDF5 shards: images/s and GB/s to the host.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from facecues.nets.probe_points import capture, probe_points
from facecues.nets.resnet import FaceResNet

VGGFACE2_IDENTITIES = 8631


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def train_speed(dev: torch.device, size: int, batch: int, steps: int, warmup: int) -> float:
    """Images/s of training steps (AMP and channels_last on CUDA, as
    ``facecues.training.train`` runs them)."""
    cuda = dev.type == "cuda"
    model = FaceResNet(VGGFACE2_IDENTITIES, 64, stride_in_1x1=True).to(dev)
    if cuda:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    scaler = torch.amp.GradScaler("cuda", enabled=cuda)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    x = torch.randn(batch, 3, size, size, device=dev)
    y = torch.randint(0, VGGFACE2_IDENTITIES, (batch,), device=dev)
    if cuda:
        x = x.to(memory_format=torch.channels_last)
    model.train()
    for step in range(warmup + steps):
        if step == warmup:
            _sync(dev)
            t0 = time.perf_counter()
        with torch.autocast(dev.type, enabled=cuda):
            loss = criterion(model(x), y)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    _sync(dev)
    if not torch.isfinite(loss):
        raise RuntimeError(f"training loss is {loss.item()}")
    return steps * batch / (time.perf_counter() - t0)


@torch.no_grad()
def extract_speed(
    dev: torch.device, size: int, batch: int, steps: int, warmup: int
) -> tuple[float, float, int]:
    """Images/s and host GB/s of forward passes capturing all probe points as float16."""
    model = FaceResNet(0, 64, stride_in_1x1=True).to(dev).eval()
    units = sum(p.units for p in probe_points(model, size))
    x = torch.randn(batch, 3, size, size, device=dev)
    moved = 0
    with capture(model) as acts:
        for step in range(warmup + steps):
            if step == warmup:
                _sync(dev)
                t0, moved = time.perf_counter(), 0
            model(x)
            for a in acts.values():
                host = a.to(torch.float16).flatten(1).cpu()
                moved += host.numel() * host.element_size()
    secs = time.perf_counter() - t0
    return steps * batch / secs, moved / secs / 1e9, units


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--device", default="cuda")
    p.add_argument("--size", type=int, default=224, help="input size (paper: 224)")
    p.add_argument("--batch", type=int, default=256, help="training batch (paper: 256)")
    p.add_argument("--extract-batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    args = p.parse_args(argv)
    dev = torch.device(args.device)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "CPU"
    print(f"gpu check: torch {torch.__version__}, {name}, input {args.size} px", flush=True)
    ips = train_speed(dev, args.size, args.batch, args.steps, args.warmup)
    print(f"  training (batch {args.batch}, AMP on CUDA): {ips:,.0f} images/s", flush=True)
    if dev.type == "cuda":
        print(f"  peak GPU memory {torch.cuda.max_memory_allocated(dev) / 1e9:.1f} GB", flush=True)
    eps, gbs, units = extract_speed(dev, args.size, args.extract_batch, args.steps, args.warmup)
    print(
        f"  extraction (batch {args.extract_batch}, {units:,} units/image to the host as "
        f"float16): {eps:,.0f} images/s, {gbs:.1f} GB/s",
        flush=True,
    )


if __name__ == "__main__":
    main()
