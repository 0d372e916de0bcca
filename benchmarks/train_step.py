"""Benchmark: one training step of each network of an architectures comparison, as a
ratio to the default study's ResNet.

A study's cost beyond the default is its training (two train jobs, each ten epochs of
these steps); its probing scales with its points. The step timed is the train job's
(``facecues.training.train``): ``build_trainer`` (the network, SGD, the schedule and the
memory format the loop uses: channels_last for the built-in ResNet on the CPU, the
network's own format for the others) and ``train_one_epoch`` over random batches (forward,
loss, backward, SGD step), on the CPU with one thread as the default study's train jobs
run (config.yaml ``train.threads``), at the study's input size and batch size. Data
loading, the same per image for every network, is left out, so the ratios are those of
the training arithmetic and a train job's ratio lies nearer 1.

Repeats are interleaved (each repeat times every network once, in turn) and each
network's ratio is the median over repeats of its time over the default network's time
in the same repeat, so a machine busy with other work slows both sides of a ratio alike.
The table also gives parameters and FLOPs per image as ``facecues plan`` counts them, and
the probe points found at start-up (facecues.nets discovery).

    python benchmarks/train_step.py                          # configs/architectures.yaml
    python benchmarks/train_step.py configs/iresnet100.yaml  # the default beside this one
    python benchmarks/train_step.py --repeat 9 --steps 8
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # before tqdm is imported: no progress bars

import torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from facecues.errors import FacecuesError  # noqa: E402
from facecues.plan.measured import REF_FLOPS  # noqa: E402
from facecues.plan.sizes import network_parameters, network_scale  # noqa: E402
from facecues.results.architectures import read_comparison  # noqa: E402
from facecues.study.study import Study, load_study  # noqa: E402
from facecues.training.train import TrainConfig, build_trainer, train_one_epoch  # noqa: E402

PRESET = ROOT / "configs/architectures.yaml"
IDENTITIES = 100  # the synthetic world's training identities (the classifier head's size)


def preset_configs(path: Path) -> list[tuple[str, Path | None]]:
    """(name, config file) of each study of comparison file ``path``; None: config.yaml."""
    studies, _ = read_comparison(path)
    out = []
    for s in studies:
        if len(s.configfiles) > 1:
            raise FacecuesError(f"{path}: studies.{s.name}: expected at most one config file")
        out.append((s.name, ROOT / s.configfiles[0] if s.configfiles else None))
    return out


def trainer_of(study: Study, batch_size: int):
    """The train job's trainer of ``study``'s network (seed 0) and its TrainConfig."""
    m, t = study.model, study.train  # as workflow/rules/common.smk passes them (ARCH)
    cfg = TrainConfig(
        base_width=m.base_width,
        stride_in_1x1=m.stride_in_1x1,
        input_size=m.input_size,
        architecture=None if study.built_in else dict(study.architecture),
        batch_size=batch_size,
        lr=t["lr"],
        epochs=t["epochs"],
    )
    return build_trainer(cfg, IDENTITIES, steps=100, seed=0, dev=torch.device("cpu")), cfg


def random_batches(n: int, batch_size: int, size: int) -> list[tuple]:
    """``n`` batches of random images and identity labels (seeded)."""
    g = torch.Generator().manual_seed(0)
    return [
        (
            torch.randn(batch_size, 3, size, size, generator=g),
            torch.randint(0, IDENTITIES, (batch_size,), generator=g),
        )
        for _ in range(n)
    ]


def seconds_per_step(trainer, batches) -> float:
    """Wall time of ``train_one_epoch`` over ``batches``, per batch."""
    t0 = time.perf_counter()
    train_one_epoch(trainer, batches, torch.device("cpu"), "bench")
    return (time.perf_counter() - t0) / len(batches)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("configs", nargs="*", type=Path, help="study configs (default: the preset's)")
    ap.add_argument("--preset", type=Path, default=PRESET, help="comparison file read by default")
    ap.add_argument("--repeat", type=int, default=7, help="interleaved repeats (median)")
    ap.add_argument("--steps", type=int, default=5, help="training steps per timing")
    ap.add_argument("--batch-size", type=int, default=64, help="the default study's 64")
    ap.add_argument("--threads", type=int, default=1, help="the default study's train.threads")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    named = [("default", None)] + [(c.stem, c) for c in args.configs]
    if not args.configs:
        named = preset_configs(args.preset)
        if named[0][1] is not None:
            raise FacecuesError(f"{args.preset}: expected the default study first")
    rows = []
    for name, config in named:
        study = load_study(config, write=False, root=ROOT)
        trainer, cfg = trainer_of(study, args.batch_size)
        batches = random_batches(args.steps, args.batch_size, cfg.input_size)
        seconds_per_step(trainer, batches[:2])  # warm-up: allocations, one-off kernels
        rows.append((name, study, trainer, batches, []))
    for _ in range(args.repeat):
        for row in rows:
            row[4].append(seconds_per_step(row[2], row[3]))

    base = rows[0][4]
    print(
        f"one training step, batch {args.batch_size}, {args.threads} thread(s), "
        f"{args.repeat} interleaved repeats of {args.steps} steps; torch {torch.__version__}"
    )
    print("| network | memory format | parameters | FLOPs/image | points | ms/step | ratio |")
    print("|---|---|--:|--:|--:|--:|--:|")
    for name, study, trainer, _, times in rows:
        ratio = statistics.median(t / b for t, b in zip(times, base, strict=True))
        params, _ = network_parameters(study, IDENTITIES)
        fmt = "channels_last" if trainer.memory_format == torch.channels_last else "contiguous"
        print(
            f"| {name} | {fmt} | {params / 1e6:.2f} M | "
            f"{network_scale(study) * REF_FLOPS / 1e6:.0f} M | {len(study.network_points)} | "
            f"{statistics.median(times) * 1e3:.0f} | {ratio:.2f} |"
        )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except FacecuesError as e:
        sys.exit(f"train_step: {e}")
