"""The supervised baseline of Table I (docs/protocol.md section 8, "Multitask"): each
trained face network, its identity head replaced by one logit per attribute,
fine-tuned on CelebA's train partition with a binary cross-entropy per
attribute; the epoch with the best mean validation accuracy is kept and
scored on the test partition.
"""

from __future__ import annotations

import copy
import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from facecues.data.celeba import PARTITIONS
from facecues.data.images import load_rgb, probe_input
from facecues.nets.architectures import embed, embedding_dim

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MultitaskConfig:
    """Fine-tuning hyper-parameters (config key ``multitask``)."""

    epochs: int = 5
    batch_size: int = 64
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 5e-4
    workers: int = 0


class AttributeImages(Dataset):
    """CelebA images (probe preprocessing, random horizontal flip when training) and
    their attribute targets in {0, 1}."""

    def __init__(self, celeba, rows, columns, size: int, flip: bool, seed: int = 0):
        self.celeba, self.rows, self.size, self.flip = celeba, np.asarray(rows), size, flip
        self.targets = torch.from_numpy((celeba.labels[self.rows][:, columns] > 0).astype("f4"))
        self.seed, self.epoch = seed, 0

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, j: int):
        x = probe_input(load_rgb(self.celeba.image_path(int(self.rows[j]))), self.size)
        if self.flip and np.random.default_rng((self.seed, self.epoch, j)).random() < 0.5:
            x = x.flip(-1)
        return x, self.targets[j]


class MultitaskNet(nn.Module):
    """A face network's trunk with one logit per attribute."""

    def __init__(self, trunk: nn.Module, n_attributes: int, input_size: int):
        super().__init__()
        self.trunk = trunk
        self.head = nn.Linear(embedding_dim(trunk, input_size), n_attributes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(embed(self.trunk, x))


@torch.no_grad()
def _accuracy(model: nn.Module, loader: DataLoader, device) -> np.ndarray:
    """Per-attribute accuracy (logit > 0 means present)."""
    model.eval()
    correct, n = 0, 0
    for x, t in loader:
        pred = (model(x.to(device)) > 0).float().cpu()
        correct = correct + (pred == t).sum(0)
        n += len(t)
    return (correct / n).numpy()


def finetune_multitask(
    trunk: nn.Module,
    celeba,
    attributes: list[str],
    cfg: MultitaskConfig,
    *,
    input_size: int,
    network: str,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> pd.DataFrame:
    """Fine-tune ``trunk`` (network ``network``) for ``attributes`` at once, the random
    draws (head, shuffling, flips) seeded by ``seed``; returns one row per attribute with
    the chosen epoch's validation and test accuracy."""
    log.info("fine-tuning network %s for %d attributes on %s", network, len(attributes), device)
    torch.manual_seed(seed)
    columns = [celeba.attr_index(a) for a in attributes]
    data = {
        name: AttributeImages(celeba, celeba.indices(p), columns, input_size, name == "train", seed)
        for name, p in PARTITIONS.items()
    }
    loaders = {
        name: DataLoader(
            d,
            batch_size=cfg.batch_size,
            shuffle=name == "train",
            num_workers=cfg.workers,
            drop_last=name == "train",
        )
        for name, d in data.items()
    }
    model = MultitaskNet(trunk, len(attributes), input_size).to(device)
    opt = torch.optim.SGD(
        model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay
    )
    steps = cfg.epochs * len(loaders["train"])
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps))
    )
    loss_fn = nn.BCEWithLogitsLoss()
    best, best_state, best_epoch = -1.0, None, 0
    for epoch in range(cfg.epochs):
        data["train"].epoch = epoch
        model.train()
        for x, t in tqdm(loaders["train"], desc=f"multitask epoch {epoch + 1}", mininterval=5):
            loss = loss_fn(model(x.to(device)), t.to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        val = _accuracy(model, loaders["val"], device)
        log.info("epoch %d loss %.4f mean val accuracy %.4f", epoch + 1, loss.item(), val.mean())
        if val.mean() > best:
            best, best_epoch, best_val = val.mean(), epoch + 1, val
            best_state = copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    test = _accuracy(model, loaders["test"], device)
    log.info("kept epoch %d: mean val %.4f, mean test %.4f", best_epoch, best, test.mean())
    return pd.DataFrame(
        {
            "network": network,
            "attribute": attributes,
            "selection": "multitask",
            "epoch": best_epoch,
            "val_accuracy": best_val,
            "test_accuracy": test,
        }
    )
