"""Text-image match, measured: how often an image holds the digits at the places its caption says.

A region checker, trained on mnist-captions canvases whose cell contents are known exactly, names the digit
(or "empty") in each 32x32 cell of a 64x64 canvas. One small classifier reads every cell: the cells are
alike (a digit never crosses into another), so sharing its weights gives it four examples per canvas and
judges every place by the same standard. An image matches its caption when every cell the caption mentions
holds the digit it names (:func:`caption_match`); the rate on real test canvases is the ceiling that
generated Stage-I and Stage-II images are compared with. The checker is trained once by
:mod:`genzoo.train.caption_checker_training` and shipped with a card, like the feature networks, so that
every benchmark scores with the same weights.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genzoo.checkpoint import load_checkpoint
from genzoo.data.captions import CANVAS, CELL, EMPTY, GRID, REGION_CLASSES, parse_caption
from genzoo.errors import GenzooError
from genzoo.evaluate.features import weights_dir

DATASET = "mnist-captions"


class RegionNet(nn.Module):
    """Conv-BN-ReLU blocks (16, pool, 32, pool, 64, pool) and a linear map of the whole 4x4 map to 11 logits, a digit
    or empty; without global pooling its view spans the whole cell, as a digit's shape needs."""

    def __init__(self, num_classes: int = len(REGION_CLASSES)):
        super().__init__()

        def block(c_in: int, c_out: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]

        self.body = nn.Sequential(*block(1, 16), nn.MaxPool2d(2), *block(16, 32), nn.MaxPool2d(2), *block(32, 64),
                                  nn.MaxPool2d(2), nn.Flatten())
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(64 * (CELL // 8) ** 2, num_classes))

    def forward(self, cells: Tensor) -> Tensor:
        """Logits (B, 11) of 32x32 cells in [0, 1]."""
        return self.head(self.body(cells * 2 - 1))


def cells(images: Tensor) -> Tensor:
    """The GRID x GRID cells of canvases (N, C, 64, 64) as (N * GRID**2, C, 32, 32), canvas by canvas, row-major."""
    n, c = images.shape[:2]
    grid = images.reshape(n, c, GRID, CELL, GRID, CELL).permute(0, 2, 4, 1, 3, 5)
    return grid.reshape(n * GRID * GRID, c, CELL, CELL)


@dataclass
class RegionChecker:
    """A trained :class:`RegionNet` and its card: data, seed, accuracy and the commit that trained it."""

    net: RegionNet
    card: dict[str, Any]

    @torch.no_grad()
    def contents(self, images: Tensor, batch_size: int = 500) -> Tensor:
        """What the checker sees in each cell of grey square images in [0, 1], as (N, 4) int64 (10 is empty).

        Images of another side (a Stage-I 32x32 sample) are resized to 64x64 bilinearly first."""
        self.net.eval()
        found = [self.net(cells(part)).argmax(dim=1).view(len(part), GRID * GRID)
                 for part in canvas_batches(images, batch_size)]
        return torch.cat(found) if found else torch.empty(0, GRID * GRID, dtype=torch.int64)

    @torch.no_grad()
    def features(self, images: Tensor, batch_size: int = 500) -> Tensor:
        """Canvas features for a Fréchet distance, (N, 4 * 64) float64: each cell's penultimate activations (the 64
        maps of 4x4 the head reads) averaged over their 16 positions, the four cells side by side in row-major order.

        No feature network of genzoo's reads 64x64 canvases; this one was trained on exactly these cells, keeps where
        each thing is (a cell's features stay in their own slot), and is averaged within a cell as Inception's pool3
        and genzoo's feature networks are, which leaves 256 dimensions, few enough that the 2,000 test canvases fit
        a full-rank covariance (the unpooled 4 x 1,024 would not). Images are resized as :meth:`contents` does."""
        self.net.eval()
        found = []
        for part in canvas_batches(images, batch_size):
            maps = self.net.body(cells(part) * 2 - 1).view(len(part) * GRID * GRID, -1, (CELL // 8) ** 2)
            found.append(maps.mean(dim=2).view(len(part), -1).double())
        return torch.cat(found) if found else torch.empty(0, 0, dtype=torch.float64)


def canvas_batches(images: Tensor, batch_size: int) -> Iterator[Tensor]:
    """Batches of grey square images in [0, 1] at the canvas size, resized bilinearly (antialiased when shrinking)
    from any other side, e.g. a Stage-I sample of 16 or 32 pixels; a one-line error for other shapes."""
    if images.dim() != 4 or images.shape[1] != 1 or images.shape[2] != images.shape[3]:
        raise GenzooError(f"the region checker reads grey square images (N, 1, S, S), not {tuple(images.shape)}")
    for start in range(0, len(images), batch_size):
        part = images[start:start + batch_size].float()
        if part.shape[-1] != CANVAS:
            part = F.interpolate(part, size=(CANVAS, CANVAS), mode="bilinear", align_corners=False,
                                 antialias=part.shape[-1] > CANVAS)
        yield part


def load_region_checker(path: str | Path | None = None) -> RegionChecker:
    """The shipped region checker, or the one at ``path`` (from 'genzoo classifier --data mnist-captions')."""
    path = Path(path) if path is not None else weights_dir() / f"{DATASET}.pt"
    content = load_checkpoint(path)
    if content.get("card", {}).get("dataset") != DATASET or "state" not in content:
        raise GenzooError(f"{path} is not a region checker: train one with "
                          f"'genzoo classifier --data {DATASET} --out FILE'")
    with torch.device("meta"):   # no random initialisation: it would draw from the global RNG of a training run
        net = RegionNet()
    net.load_state_dict(content["state"], assign=True)
    return RegionChecker(net.eval(), content["card"])


def read_checker_card() -> dict[str, Any]:
    """The JSON card beside the shipped region checker."""
    return json.loads((weights_dir() / f"{DATASET}.json").read_text())


def caption_match(contents: Tensor, captions: Sequence[str]) -> dict[str, Any]:
    """Scores of what is in each cell (N, 4) against the captions meant for those images.

    caption_match: the share of images in which every cell the caption mentions holds the digit it names,
    the measure of "text-image match"; mentioned_cells: the share of mentioned cells that hold their digit;
    match_and_rest_empty: the share that also leave every unmentioned cell empty, as the canvases do.
    """
    if len(contents) != len(captions):
        raise GenzooError(f"{len(contents)} images but {len(captions)} captions: give one caption per image")
    if len(captions) == 0:
        raise GenzooError("no images to score: pass at least one image and its caption")
    wanted = torch.full_like(contents, -1)
    for i, caption in enumerate(captions):
        for region, digit in parse_caption(caption).items():
            wanted[i, region] = digit
    mentioned = wanted >= 0
    right = (contents == wanted) | ~mentioned
    rest_empty = (contents == EMPTY) | mentioned
    return {"caption_match": right.all(dim=1).double().mean().item(),
            "mentioned_cells": ((contents == wanted) & mentioned).sum().item() / mentioned.sum().item(),
            "match_and_rest_empty": (right & rest_empty).all(dim=1).double().mean().item(),
            "images": len(captions)}


def score_caption_match(images: Tensor, captions: Sequence[str],
                        checker: RegionChecker | None = None) -> dict[str, Any]:
    """:func:`caption_match` of images against their captions, as judged by ``checker`` (default: the shipped
    one), with what produced the numbers."""
    checker = checker or load_region_checker()
    result = caption_match(checker.contents(images), captions)
    result["checker"] = {k: checker.card.get(k) for k in ("dataset", "test_cell_accuracy", "test_caption_match",
                                                          "commit")}
    return result
