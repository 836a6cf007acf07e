"""Train the region checker behind the caption match score: the script of its shipped weights and card.

Every cell of the training canvases is an example (a digit or empty, known exactly). Cells are shifted
by up to two pixels, as the feature networks are; half of them are seen at half or quarter resolution
(average-pooled, then resized back bilinearly, as :meth:`RegionChecker.contents` resizes a 32x32 or 16x16
image), so that a Stage-I sample is judged on what it draws rather than on its blur; and all get a faint
random background of up to :data:`MAX_BACKGROUND`, so that a generator's not-quite-black canvas still
reads as empty where it drew nothing. The epoch with the best validation accuracy is kept; the test split
is used once, at the end, for the card's numbers: accuracy per cell, and the caption match of real test
canvases with their own captions (the ceiling, at 64x64 and pooled to each smaller side) and with another
canvas's caption (near the floor).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import Tensor

from genzoo.data import load_dataset
from genzoo.data.captions import CANVAS
from genzoo.data.config import DataConfig
from genzoo.evaluate.caption_match import DATASET, RegionChecker, RegionNet, caption_match, cells
from genzoo.provenance import git_commit
from genzoo.seeding import epoch_order, seed_everything
from genzoo.train.classifier_training import SHIFT, accuracy, random_shift, save_with_card

MAX_BACKGROUND = 0.1
RESOLUTION_FACTORS = (1, 1, 2, 4)   # drawn uniformly per cell: full resolution half the time
SIDES = (64, 32, 16)                # the ceilings on the card: real test canvases at these sides


def at_random_resolution(cells: Tensor, generator: torch.Generator) -> Tensor:
    """Each cell as it is or average-pooled by a factor from :data:`RESOLUTION_FACTORS` and resized back bilinearly."""
    factors = torch.tensor(RESOLUTION_FACTORS)[torch.randint(len(RESOLUTION_FACTORS), (len(cells),),
                                                             generator=generator)]
    out = cells.clone()
    for factor in sorted(set(RESOLUTION_FACTORS) - {1}):
        chosen = factors == factor
        out[chosen] = F.interpolate(F.avg_pool2d(cells[chosen], factor), size=cells.shape[-2:], mode="bilinear",
                                    align_corners=False)
    return out


def train_region_checker(out: Path, data_cfg: DataConfig | None = None, epochs: int = 8, batch_size: int = 128,
                         lr: float = 2e-3, seed: int = 0, data_dir: str | None = None, command: str = "",
                         log=print, device: torch.device | None = None) -> dict[str, Any]:
    """Fit a :class:`RegionNet` to the cells of mnist-captions on ``device`` (the CPU by default; the same draws on
    any device); write ``out`` (weights) and ``out`` with .json (its card)."""
    device = device or torch.device("cpu")
    started, commit = time.time(), git_commit()
    data_cfg = data_cfg or DataConfig()
    data = load_dataset(DATASET, data_cfg, data_dir)
    x, y = cells(data.train.images).to(device), data.train.labels.reshape(-1).to(device)
    seed_everything(seed, deterministic=True)
    net = RegionNet().to(device)
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=5e-4, fused=True)
    steps_per_epoch = len(y) // batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=epochs * steps_per_epoch)
    augment = torch.Generator().manual_seed(seed)
    validation_cells = cells(data.validation.images).to(device)
    validation_labels = data.validation.labels.reshape(-1).to(device)
    best: tuple[float, dict[str, Tensor], int] = (-1.0, {}, 0)   # validation accuracy, weights, epoch
    for epoch in range(epochs):
        net.train()
        order = epoch_order(len(y), seed, epoch)
        for chosen in order[:steps_per_epoch * batch_size].view(steps_per_epoch, batch_size):
            batch = at_random_resolution(random_shift(x[chosen], augment), augment)
            background = MAX_BACKGROUND * torch.rand(batch_size, 1, 1, 1, generator=augment)
            batch = (batch + (background * torch.rand(batch.shape, generator=augment)).to(device)).clamp(max=1)
            loss = F.cross_entropy(net(batch), y[chosen])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        validation = accuracy(net, validation_cells, validation_labels)
        log(f"epoch {epoch + 1}/{epochs}: validation cell accuracy {validation:.4f} ({time.time() - started:.0f} s)")
        if validation > best[0]:
            best = (validation, {k: v.clone() for k, v in net.state_dict().items()}, epoch + 1)
    net.load_state_dict(best[1])
    net.cpu()   # the test canvases and the weights written, on the CPU
    test = data.test
    captions = cast(list[str], test.captions)   # mnist-captions has a caption for every canvas
    checker = RegionChecker(net, {})
    found = checker.contents(test.images)
    own = caption_match(found, captions)
    by_side = {side: caption_match(checker.contents(F.avg_pool2d(test.images, CANVAS // side)), captions)
               for side in SIDES}
    other = caption_match(found, captions[1:] + captions[:1])
    card = {
        "dataset": DATASET,
        "image_shape": list(data.image_shape),
        "classes": list(data.classes),
        "test_cell_accuracy": (found == test.labels).double().mean().item(),
        "test_caption_match": own["caption_match"],
        "test_match_and_rest_empty": own["match_and_rest_empty"],
        "test_caption_match_with_another_caption": other["caption_match"],
        "test_caption_match_by_side": {str(side): result["caption_match"] for side, result in by_side.items()},
        "validation_cell_accuracy": best[0],
        "epoch_kept": best[2],
        "training": {"epochs": epochs, "batch_size": batch_size, "lr": lr, "optimizer": "AdamW, one-cycle schedule",
                     "weight_decay": 5e-4, "random_shift_pixels": SHIFT, "max_background": MAX_BACKGROUND,
                     "resolution_factors": list(RESOLUTION_FACTORS),
                     "seed": seed, "device": str(device), "data": dict(vars(data_cfg))},
        "data_provenance": data.provenance,
    }
    return save_with_card(out, net, card, command, commit, started)
