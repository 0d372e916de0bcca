"""Training a face-identification network (docs/protocol.md section 1).

A loop of named steps in the manner of torchvision's reference ``train.py``
(``load_data``, ``build_trainer``, ``train_one_epoch``, ``evaluate``):
identities sampled uniformly, softmax over the training identities, SGD with
momentum and a warm-up + cosine learning-rate schedule, channels_last, AMP
on CUDA, a checkpoint after every epoch and automatic resume from it, and a
per-epoch LFW verification accuracy in the log.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler
from tqdm import tqdm

from facecues.data.images import load_rgb, train_input
from facecues.data.lfw import load_lfw_pairs
from facecues.data.vggface2 import load_vggface2
from facecues.io import write_text
from facecues.nets.architectures import build_network
from facecues.nets.checkpoint import atomic_save, save_network
from facecues.nets.device import pick_device
from facecues.nets.resnet import FaceResNet
from facecues.training.verification import lfw_accuracy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Training hyper-parameters (config key ``train`` plus the architecture)."""

    base_width: int = 64
    stride_in_1x1: bool = True
    input_size: int = 224
    architecture: dict | None = None  # another network's entry (None: the built-in one)
    resize: int = 256
    bbox_scale: float = 1.0
    grayscale_p: float = 0.2
    lfw_crop: float = 0.6
    epochs: int = 30
    batch_size: int = 256
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    warmup_epochs: float = 1.0
    label_smoothing: float = 0.0
    workers: int = 0
    max_identities: int | None = None
    exclude_identities: tuple[str, ...] = ()


class FaceCrops(Dataset):
    """VGGFace2 training faces, augmented reproducibly per (seed, epoch, item)."""

    def __init__(self, vgg, cfg: TrainConfig, seed: int, keep: np.ndarray):
        self.vgg, self.cfg, self.seed, self.keep = vgg, cfg, seed, keep
        self.targets = vgg.labels[keep]
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.keep)

    def __getitem__(self, j: int):
        i = int(self.keep[j])
        rng = np.random.default_rng((self.seed, self.epoch, i))
        x = train_input(
            load_rgb(self.vgg.image_path(i)),
            tuple(int(v) for v in self.vgg.boxes[i]),
            rng,
            bbox_scale=self.cfg.bbox_scale,
            resize=self.cfg.resize,
            crop=self.cfg.input_size,
            grayscale_p=self.cfg.grayscale_p,
        )
        return x, int(self.targets[j])


class IdentityUniformSampler(Sampler[int]):
    """Each draw picks an identity uniformly, then one of its images uniformly.

    ``labels[j]`` is the class of dataset item j; one epoch is ``len(labels)`` draws.
    """

    def __init__(self, labels: np.ndarray, seed: int):
        self.labels = np.asarray(labels)
        self.classes, inverse = np.unique(self.labels, return_inverse=True)
        self.members = [np.flatnonzero(inverse == c) for c in range(len(self.classes))]
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.labels)

    def __iter__(self):
        rng = np.random.default_rng((self.seed, self.epoch, 7))
        ids = rng.integers(0, len(self.members), size=len(self.labels))
        for c in ids:
            m = self.members[c]
            yield int(m[rng.integers(0, len(m))])


def _lr_factor(step: int, steps_per_epoch: int, cfg: TrainConfig) -> float:
    """Linear warm-up over ``warmup_epochs``, then cosine decay to zero (closed form).

    Used through torch's ``LambdaLR``. Kept instead of ``SequentialLR(LinearLR,
    CosineAnnealingLR)``, the same schedule in exact arithmetic: those compute each
    factor recursively from the previous one, and at the default study's 62 steps per
    epoch 592 of its 620 learning rates came out 1e-16 to 4e-15 away (relative) from
    the closed form, enough for ten epochs of SGD to train visibly different networks.
    """
    warm = max(1, round(cfg.warmup_epochs * steps_per_epoch))
    total = cfg.epochs * steps_per_epoch
    if step < warm:
        return (step + 1) / warm
    return 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))


@dataclass
class TrainingData:
    """What ``load_data`` returns: the training faces, their loader and the LFW pairs."""

    vgg: object  # facecues.data.vggface2's dataset
    pairs: object  # facecues.data.lfw's pairs
    n_ids: int  # identities trained on: the first n_ids labels
    data: FaceCrops
    sampler: IdentityUniformSampler
    loader: DataLoader


@dataclass
class Trainer:
    """The state a resumable checkpoint holds (with the torch RNG), and the loss."""

    model: nn.Module
    opt: torch.optim.Optimizer
    sched: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler
    criterion: nn.Module
    memory_format: torch.memory_format = torch.contiguous_format


def load_data(
    cfg: TrainConfig, vggface2_root: str | Path, lfw_root: str | Path, seed: int, dev
) -> TrainingData:
    """The training faces (the first ``max_identities`` identities), sampled by
    ``IdentityUniformSampler`` in batches of ``batch_size`` (the last partial one
    dropped), and the LFW pairs, whose identities must not be trained on."""
    vgg = load_vggface2(vggface2_root, exclude_identities=cfg.exclude_identities)
    pairs = load_lfw_pairs(lfw_root)
    overlap = set(vgg.identities) & {p.parent.name for p in pairs.path1 + pairs.path2}
    if overlap:
        raise ValueError(f"training and LFW identities overlap: {sorted(overlap)[:5]}")

    n_ids = len(vgg.identities)
    if cfg.max_identities is not None:
        n_ids = min(n_ids, cfg.max_identities)
    keep = np.flatnonzero(vgg.labels < n_ids)
    data = FaceCrops(vgg, cfg, seed, keep)
    sampler = IdentityUniformSampler(data.targets, seed)
    loader = DataLoader(
        data,
        batch_size=cfg.batch_size,
        sampler=sampler,
        num_workers=cfg.workers,
        drop_last=True,
        pin_memory=dev.type == "cuda",
    )
    if len(loader) == 0:
        raise ValueError(f"{len(keep)} training images < batch_size {cfg.batch_size}")
    log.info("%d identities, %d images, %d steps/epoch", n_ids, len(keep), len(loader))
    return TrainingData(vgg, pairs, n_ids, data, sampler, loader)


def build_trainer(cfg: TrainConfig, n_ids: int, steps: int, seed: int, dev) -> Trainer:
    """The network (initialised from ``torch.manual_seed(seed)``), channels_last where it
    helps and is safe, and its optimiser, learning-rate schedule (per step), AMP scaler
    (CUDA only) and loss."""
    torch.manual_seed(seed)
    if cfg.architecture is None:
        model = FaceResNet(n_ids, cfg.base_width, cfg.stride_in_1x1).to(dev)
    else:
        model = build_network(cfg.architecture, cfg.input_size, n_ids).to(dev)
    # channels_last on CUDA, and on the CPU for the built-in topology: 1.4x the images/s
    # of NCHW with one thread, 1.15x with two (default study, width 16, 64 px;
    # benchmarks/README.md, "Training on the CPU"). Another network keeps its format on the
    # CPU: torch 2.14.1's CPU backward corrupted the heap (SIGSEGV) on the iResNet's units
    # in channels_last (configs/networks/iresnet.py; tests/test_architectures.py).
    fmt = (
        torch.channels_last
        if dev.type == "cuda" or cfg.architecture is None
        else torch.contiguous_format
    )
    model = model.to(memory_format=fmt)
    opt = torch.optim.SGD(
        model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay
    )
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: _lr_factor(s, steps, cfg))
    scaler = torch.amp.GradScaler("cuda", enabled=dev.type == "cuda")
    criterion = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    return Trainer(model, opt, sched, scaler, criterion, fmt)


def _load_resume(resume: Path, meta: dict, trainer: Trainer, dev) -> tuple[int, list[dict]]:
    """The epochs done and the history so far: from ``resume`` (restoring ``trainer``
    and the torch RNG) if it was written for ``meta``, else (0, [])."""
    if not resume.exists():
        return 0, []
    ck = torch.load(resume, map_location=dev, weights_only=True)
    if ck["meta"] != meta:
        log.warning("ignoring %s: written for another configuration", resume)
        return 0, []
    trainer.model.load_state_dict(ck["model"])
    trainer.opt.load_state_dict(ck["optimizer"])
    trainer.sched.load_state_dict(ck["scheduler"])
    trainer.scaler.load_state_dict(ck["scaler"])
    torch.set_rng_state(ck["torch_rng"])
    log.info("resumed from %s after epoch %d", resume, ck["epoch"])
    return ck["epoch"], ck["history"]


def _save_resume(resume: Path, meta: dict, trainer: Trainer, epoch: int, history: list) -> None:
    """The checkpoint after ``epoch`` epochs (1-based), written atomically."""
    atomic_save(
        {
            "meta": meta,
            "epoch": epoch,
            "model": trainer.model.state_dict(),
            "optimizer": trainer.opt.state_dict(),
            "scheduler": trainer.sched.state_dict(),
            "scaler": trainer.scaler.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "history": history,
        },
        resume,
    )


def train_one_epoch(trainer: Trainer, loader: DataLoader, dev, desc: str) -> tuple[int, int, float]:
    """One pass over ``loader``, one SGD step (and schedule step) per batch, under
    autocast on CUDA. Returns (images seen, correctly classified, summed loss)."""
    model, opt, scaler = trainer.model, trainer.opt, trainer.scaler
    model.train()
    seen, correct, loss_sum = 0, 0, 0.0
    bar = tqdm(loader, desc=desc, mininterval=5)
    for x, y in bar:
        x, y = x.to(dev, non_blocking=True), y.to(dev, non_blocking=True)
        x = x.to(memory_format=trainer.memory_format)
        with torch.autocast(dev.type, enabled=dev.type == "cuda"):
            logits = model(x)
            loss = trainer.criterion(logits, y)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        trainer.sched.step()
        seen += len(y)
        loss_sum += loss.item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.3f}", refresh=False)
    return seen, correct, loss_sum


def evaluate(trainer: Trainer, pairs, cfg: TrainConfig, dev) -> float:
    """LFW verification accuracy of the network's embedding (facecues.training.verification)."""
    return lfw_accuracy(trainer.model, pairs, cfg.input_size, dev, cfg.lfw_crop)


def train_network(
    cfg: TrainConfig,
    vggface2_root: str | Path,
    lfw_root: str | Path,
    out_path: str | Path,
    log_tsv: str | Path,
    *,
    seed: int,
    threads: int = 1,
    device: str | None = None,
) -> None:
    """Train one network and write ``out_path`` (the final checkpoint) and ``log_tsv``.

    A resumable checkpoint ``<out_path>.resume`` is written after every epoch;
    if it exists when this starts with the same configuration and seed,
    training continues from it. It is removed once ``out_path`` is written.
    """
    torch.set_num_threads(threads)
    dev = pick_device(device)
    log.info("training seed %s on %s with %d threads", seed, dev, threads)
    d = load_data(cfg, vggface2_root, lfw_root, seed, dev)
    trainer = build_trainer(cfg, d.n_ids, len(d.loader), seed, dev)

    out_path, log_tsv = Path(out_path), Path(log_tsv)
    resume = out_path.with_name(out_path.name + ".resume")
    meta = json.loads(json.dumps({"config": asdict(cfg), "seed": seed}))  # tuples -> lists
    start, history = _load_resume(resume, meta, trainer, dev)

    for epoch in range(start, cfg.epochs):
        d.data.epoch = d.sampler.epoch = epoch
        t0 = time.time()
        desc = f"seed {seed} epoch {epoch + 1}/{cfg.epochs}"
        seen, correct, loss_sum = train_one_epoch(trainer, d.loader, dev, desc)
        secs = time.time() - t0
        row = {
            "epoch": epoch + 1,
            "loss": loss_sum / seen,
            "train_acc": correct / seen,
            "lfw_acc": evaluate(trainer, d.pairs, cfg, dev),
            "lr": trainer.opt.param_groups[0]["lr"],
            "seconds": secs,
            "images_per_s": seen / secs,
        }
        history.append(row)
        log.info(
            "epoch %(epoch)d loss %(loss).4f train_acc %(train_acc).4f lfw_acc %(lfw_acc).4f "
            "%(images_per_s).0f img/s",
            row,
        )
        _save_resume(resume, meta, trainer, epoch + 1, history)

    _write_history(history, log_tsv)
    save_network(
        trainer.model.cpu(),
        out_path,
        seed=seed,
        identities=list(d.vgg.identities[: d.n_ids]),
        input_size=cfg.input_size,
        lfw_acc=history[-1]["lfw_acc"] if history else float("nan"),
    )
    resume.unlink(missing_ok=True)


def _write_history(history: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = ["epoch", "loss", "train_acc", "lfw_acc", "lr", "seconds", "images_per_s"]
    lines = ["\t".join(cols)] + [
        "\t".join(f"{row[c]:.6g}" if isinstance(row[c], float) else str(row[c]) for c in cols)
        for row in history
    ]
    write_text(path, "\n".join(lines) + "\n")
