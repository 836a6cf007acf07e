"""genzoo's own feature networks: small classifiers whose pooled activations replace Inception's.

Inception-v3 (Szegedy et al. 2016), the network behind published FID and Inception scores, sees
299x299 colour photographs; on 28x28 grey digits its features say little, and its weights cannot be
downloaded here. Each dataset gets a small convolutional classifier instead, trained by
:mod:`genzoo.train.classifier_training`; the 128 activations after global average pooling play
the role of Inception's pool3 features. Distances in this space are comparable with each other on
the same dataset and network, never with Inception-based FID from papers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from genzoo.checkpoint import load_checkpoint
from genzoo.errors import GenzooError

FEATURE_DIM = 128
SHIPPED = ("mnist", "fashion-mnist", "digits")
CANVASES = "mnist-captions"   # read by the region checker (genzoo.evaluate.caption_match), not by a FeatureNet


class FeatureNet(nn.Module):
    """Conv-BN-ReLU blocks (32, pool, 64, pool, 128, 128), global average pooling to 128 features, a linear
    classifier."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()

        def block(c_in: int, c_out: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]

        self.body = nn.Sequential(
            *block(channels, 32), nn.MaxPool2d(2, ceil_mode=True),
            *block(32, 64), nn.MaxPool2d(2, ceil_mode=True),
            *block(64, FEATURE_DIM), *block(FEATURE_DIM, FEATURE_DIM), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(FEATURE_DIM, num_classes))

    def forward(self, images: Tensor) -> Tensor:
        """Class logits for images in [0, 1]."""
        return self.head(self.features(images))

    def features(self, images: Tensor) -> Tensor:
        """The pooled (N, 128) activations for images in [0, 1]."""
        return self.body(images * 2 - 1)


@dataclass
class FeatureNetwork:
    """A trained :class:`FeatureNet` and its card: dataset, image shape, classes, accuracy, provenance."""

    net: FeatureNet
    card: dict[str, Any]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.card["image_shape"])

    @torch.no_grad()
    def embed(self, images: Tensor, batch_size: int = 1000) -> tuple[Tensor, Tensor]:
        """(features (N, 128), class probabilities (N, K)) of images in [0, 1], in float64 on the CPU; each batch is
        embedded on the network's device."""
        self.check_shape(images)
        self.net.eval()
        device = next(self.net.parameters()).device
        features, probs = [], []
        for start in range(0, len(images), batch_size):
            f = self.net.features(images[start:start + batch_size].to(device, torch.float32))
            features.append(f.double().cpu())
            probs.append(torch.softmax(self.net.head(f).double(), dim=1).cpu())
        return torch.cat(features), torch.cat(probs)

    def check_shape(self, images: Tensor) -> None:
        if tuple(images.shape[1:]) != self.image_shape:
            shape = "x".join(map(str, images.shape[1:]))
            raise GenzooError(f"images are {shape} but the {self.card['dataset']} feature network expects "
                              f"{'x'.join(map(str, self.image_shape))}: score samples against the data they model")


def weights_dir() -> Path:
    """The package folder of the shipped feature networks and their cards."""
    return Path(str(resources.files("genzoo.evaluate") / "weights"))


def load_feature_network(dataset: str, path: str | Path | None = None,
                         device: torch.device | None = None) -> FeatureNetwork:
    """The feature network for ``dataset``: the shipped one, or the file at ``path`` (from 'genzoo classifier'), on
    ``device`` (the CPU by default)."""
    given = path is not None
    if dataset == CANVASES:
        raise no_feature_network_for_canvases()
    if path is None:
        if dataset not in SHIPPED:
            raise GenzooError(f"genzoo ships no feature network for '{dataset}': train one with "
                              f"'genzoo classifier --data {dataset} --out classifier.pt' and pass "
                              "--classifier classifier.pt")
        path = weights_dir() / f"{dataset}.pt"
    content = load_checkpoint(Path(path))
    card = content["card"]
    if card.get("dataset") == CANVASES:
        raise no_feature_network_for_canvases()
    if given and not same_dataset(card["dataset"], dataset):
        raise GenzooError(f"{path} is the feature network of '{card['dataset']}', not of '{dataset}'")
    with torch.device("meta"):   # no random initialisation: it would draw from the global RNG of a training run
        net = FeatureNet(card["image_shape"][0], len(card["classes"]))
    net.load_state_dict(content["state"], assign=True)
    net.to(device or "cpu").eval()
    return FeatureNetwork(net, card)


def no_feature_network_for_canvases() -> GenzooError:
    return GenzooError("mnist-captions canvases have no feature network: their file from 'genzoo classifier' is the "
                       "region checker, which scores caption match and the FD of canvases; evaluate the stackgan run "
                       "itself with 'genzoo eval RUN' (images need their captions)")


def same_dataset(a: str, b: str) -> bool:
    """Whether two dataset names mean the same images (folder: paths compared once resolved)."""
    prefix = "folder:"
    if a.startswith(prefix) and b.startswith(prefix):
        return Path(a[len(prefix):]).expanduser().resolve() == Path(b[len(prefix):]).expanduser().resolve()
    return a == b


def read_card(dataset: str) -> dict[str, Any]:
    """The JSON card beside a shipped feature network: how it was trained and how accurate it is."""
    return json.loads((weights_dir() / f"{dataset}.json").read_text())
