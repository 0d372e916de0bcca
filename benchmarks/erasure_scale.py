"""Benchmark: one erasure job at the paper's width, on the default synthetic world's files.

    python benchmarks/erasure_scale.py --device cuda            # ResNet-50, 224 px
    python benchmarks/erasure_scale.py --device cpu --size 64 --base-width 16  # a smoke run

Renders the default synthetic world (``facecues.data.synthetic``, ~30 s) into
``--world`` unless it is there, then runs ``erase_attribute`` (the ``erasure``
job's function) for one attribute on an untrained ResNet-50 of ``--base-width``
at ``--size`` px: the paper's erasure points (L10, L22, L40, L49, L50), its
training sample of 1,024 images per class (fewer where the world has fewer)
and as many validation images, the eraser fitted on ``--fit-images`` images of
the training partition, and the world's LFW pairs. Prints the wall time, the
eraser chosen per point, the peak host memory and, on CUDA, the peak GPU
memory. The network is untrained, so the accuracies say nothing; the time and
memory are those of the job's code at that width.
"""

from __future__ import annotations

import argparse
import logging
import resource
import time
from pathlib import Path

import numpy as np
import torch

from facecues.data.celeba import load_celeba
from facecues.data.lfw import load_lfw_pairs
from facecues.data.synthetic.config import SyntheticConfig
from facecues.data.synthetic.world import write_world
from facecues.interventions.erasure import erase_attribute, extra_fit_rows
from facecues.nets.resnet import FaceResNet

POINTS = [10, 22, 40, 49, 50]


def balanced(rows: np.ndarray, labels: np.ndarray, per_class: int) -> np.ndarray:
    """The first ``per_class`` rows of each class."""
    return np.r_[rows[labels[rows] > 0][:per_class], rows[labels[rows] < 0][:per_class]]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--device", default="cuda")
    p.add_argument("--size", type=int, default=224, help="input size (paper: 224)")
    p.add_argument("--base-width", type=int, default=64, help="ResNet-50's is 64")
    p.add_argument("--world", type=Path, default=Path("/tmp/facecues_world"))
    p.add_argument("--attribute", default="Male")
    p.add_argument("--per-class", type=int, default=1024, help="training sample per class")
    p.add_argument("--fit-images", type=int, default=4096)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(a.threads)
    if not (a.world / "world.json").exists():
        t = time.perf_counter()
        write_world(a.world, SyntheticConfig(workers=min(8, a.threads)))
        print(f"world written to {a.world} in {time.perf_counter() - t:.0f} s")
    celeba = load_celeba(a.world / "celeba", check_images=False)
    labels = celeba.attribute(a.attribute)
    train = balanced(celeba.indices(0), labels, a.per_class)
    val = balanced(celeba.indices(1), labels, a.per_class)
    extra = extra_fit_rows(
        np.arange(len(celeba)), train, val, a.fit_images, np.random.default_rng(0)
    )
    pairs = load_lfw_pairs(a.world / "lfw")
    torch.manual_seed(0)
    model = FaceResNet(0, base_width=a.base_width, stride_in_1x1=True)
    device = torch.device(a.device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    t = time.perf_counter()
    rows, _ = erase_attribute(
        model,
        train=([celeba.image_path(i) for i in train], labels[train]),
        val=([celeba.image_path(i) for i in val], labels[val]),
        extra=([celeba.image_path(i) for i in extra], labels[extra]),
        pairs=pairs,
        points=POINTS,
        input_size=a.size,
        lfw_crop=0.6,
        device=device,
        network="untrained",
        attribute=a.attribute,
    )
    wall = time.perf_counter() - t
    print(
        f"erasure job: torch {torch.__version__}, {device}"
        f"{' ' + torch.cuda.get_device_name(device) if device.type == 'cuda' else ''}, "
        f"{a.size} px, base width {a.base_width}, {a.threads} threads"
    )
    print(
        f"  training sample {len(train)}, validation {len(val)}, eraser's sample "
        f"{len(train) + len(extra)}, LFW pairs {len(pairs.same)}"
    )
    for r in rows:
        print(f"  {r['point']} {r['name']}: {r['method']}")
    print(f"  wall {wall:.1f} s")
    print(f"  peak host memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.1f} GB")
    if device.type == "cuda":
        print(f"  peak GPU memory {torch.cuda.max_memory_allocated(device) / 2**30:.1f} GB")


if __name__ == "__main__":
    main()
