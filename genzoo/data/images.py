"""Image sets held in memory as tensors, served in batches by slicing, with no per-sample Python."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch


@dataclass
class ImageSet:
    """One split: ``images`` float32 (N, C, H, W) in [0, 1] and ``labels`` int64 (N,), or (N, R) with the
    content of each of R regions for mnist-captions, whose ``captions`` (N strings) describe each image."""

    images: torch.Tensor
    labels: torch.Tensor
    captions: list[str] | None = None

    def __len__(self) -> int:
        return self.images.shape[0]

    def to(self, device: torch.device) -> ImageSet:
        """The split with its images and labels held on ``device`` (a GPU's memory), so batches are sliced there."""
        return ImageSet(self.images.to(device), self.labels.to(device), self.captions)

    def batches(self, batch_size: int, order: torch.Tensor | None = None,
                start: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """(images, labels) batches of ``batch_size``, the last one smaller if need be.

        ``order`` (a permutation of ``range(len(self))``) picks the images of each batch, else they are
        taken in stored order; ``start`` is the index of the first batch yielded, to resume mid-epoch.
        """
        if order is not None:
            order = order.to(self.images.device)
        for first in range(start * batch_size, len(self), batch_size):
            if order is None:
                yield self.images[first:first + batch_size], self.labels[first:first + batch_size]
            else:
                chosen = order[first:first + batch_size]
                yield self.images.index_select(0, chosen), self.labels.index_select(0, chosen)


@dataclass
class Dataset:
    """A named dataset's train, validation and test splits, class names, and where it came from."""

    name: str
    train: ImageSet
    validation: ImageSet
    test: ImageSet
    classes: list[str]
    provenance: dict

    def to(self, device: torch.device) -> Dataset:
        """The dataset with every split held on ``device``."""
        return Dataset(self.name, self.train.to(device), self.validation.to(device), self.test.to(device), self.classes,
                       self.provenance)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of every image."""
        channels, height, width = self.train.images.shape[1:]
        return channels, height, width
