"""Train a dataset's feature network, the script behind the shipped weights and 'genzoo classifier'.

The classifier is fitted on the training split with random shifts of up to two pixels, the epoch
with the best validation accuracy is kept, and the test split is touched once, at the end, to
report accuracy. Everything that decided the weights is written on the card beside them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genzoo.checkpoint import save_checkpoint
from genzoo.data import load_dataset
from genzoo.data.config import DataConfig
from genzoo.errors import GenzooError
from genzoo.evaluate.features import FeatureNet
from genzoo.provenance import git_commit, machine
from genzoo.seeding import epoch_order, seed_everything

SHIFT = 2


def random_shift(images: Tensor, generator: torch.Generator) -> Tensor:
    """Each image translated by its own random offset of up to SHIFT pixels, with zero fill."""
    n, _, h, w = images.shape
    padded = F.pad(images, (SHIFT, SHIFT, SHIFT, SHIFT))
    dy, dx = (torch.randint(0, 2 * SHIFT + 1, (2, n, 1), generator=generator))
    rows = (dy + torch.arange(h))[:, None, :, None]
    cols = (dx + torch.arange(w))[:, None, None, :]
    return padded[torch.arange(n)[:, None, None, None], torch.arange(images.shape[1])[None, :, None, None], rows, cols]


@torch.no_grad()
def accuracy(net: nn.Module, images: Tensor, labels: Tensor, batch_size: int = 1000) -> float:
    net.eval()
    correct = sum((net(images[i:i + batch_size]).argmax(1) == labels[i:i + batch_size]).sum().item()
                  for i in range(0, len(images), batch_size))
    return correct / len(images)


def save_with_card(out: Path, net: torch.nn.Module, card: dict[str, Any], command: str | None, commit: str,
                   started: float) -> dict[str, Any]:
    """The trained network's weights with its card (what it is, how it was trained, by which command and commit, on
    which machine, in how long), and the card beside them as JSON; returns the card."""
    card = {**card, "command": command, "commit": commit, "machine": machine(),
            "wall_time_s": round(time.time() - started, 1)}
    out = Path(out)
    save_checkpoint(out, {"card": card, "state": net.state_dict()})
    out.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def train_classifier(dataset: str, out: Path, data_cfg: DataConfig | None = None, epochs: int = 15,
                     batch_size: int = 128, lr: float = 2e-3, seed: int = 0, data_dir: str | None = None,
                     command: str = "", log=print, device: torch.device | None = None) -> dict[str, Any]:
    """Fit a :class:`FeatureNet` to ``dataset`` on ``device`` (the CPU by default; the same draws on any device);
    write ``out`` (weights) and ``out`` with .json (its card)."""
    device = device or torch.device("cpu")
    started, commit = time.time(), git_commit()   # the code that trains, not whatever HEAD is when it ends
    data_cfg = data_cfg or DataConfig()
    data = load_dataset(dataset, data_cfg, data_dir)
    if len(data.train) < 2 or len(data.validation) == 0 or len(data.test) == 0:
        raise GenzooError(f"{dataset} has {len(data.train)} training, {len(data.validation)} validation and "
                          f"{len(data.test)} test images after the hold-outs: a classifier needs all three "
                          "(more images, or a larger data.validation_fraction)")
    batch_size = min(batch_size, len(data.train))
    seed_everything(seed, deterministic=True)
    net = FeatureNet(data.image_shape[0], len(data.classes)).to(device)
    images, labels = data.train.images.to(device), data.train.labels.to(device)
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=5e-4, fused=True)
    steps_per_epoch = len(data.train) // batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=epochs * steps_per_epoch)
    shifts = torch.Generator().manual_seed(seed)
    best: tuple[float, dict[str, Tensor], int] = (-1.0, {}, 0)   # validation accuracy, weights, epoch
    for epoch in range(epochs):
        net.train()
        order = epoch_order(len(data.train), seed, epoch)
        for chosen in order[:steps_per_epoch * batch_size].view(steps_per_epoch, batch_size):
            x, y = images[chosen], labels[chosen]
            loss = F.cross_entropy(net(random_shift(x, shifts)), y, label_smoothing=0.05)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        validation = accuracy(net, data.validation.images.to(device), data.validation.labels.to(device))
        log(f"epoch {epoch + 1}/{epochs}: validation accuracy {validation:.4f} ({time.time() - started:.0f} s)")
        if validation > best[0]:
            best = (validation, {k: v.clone() for k, v in net.state_dict().items()}, epoch + 1)
    net.load_state_dict(best[1])
    net.cpu()   # the test split and the weights written, on the CPU
    card = {
        "dataset": dataset,
        "image_shape": list(data.image_shape),
        "classes": list(data.classes),
        "feature_dim": net.head[1].in_features,
        "test_accuracy": accuracy(net, data.test.images, data.test.labels),
        "validation_accuracy": best[0],
        "epoch_kept": best[2],
        "training": {"epochs": epochs, "batch_size": batch_size, "lr": lr, "optimizer": "AdamW, one-cycle schedule",
                     "weight_decay": 5e-4, "label_smoothing": 0.05, "random_shift_pixels": SHIFT, "seed": seed,
                     "device": str(device),
                     "data": {k: v for k, v in vars(data_cfg).items()}},
        "data_provenance": data.provenance,
    }
    return save_with_card(out, net, card, command, commit, started)
