"""Does a model copy its training set? Distances to the nearest training image, samples against held-out images.

A model that generalises puts its samples as far from the training images as unseen test images
are; a model that memorises puts many samples much closer. Distances are taken in the feature
network's space (a copy has distance 0 there too, and it is cheap enough for 10,000 x 50,000).
The comparison follows the nearest-neighbour test of Meehan, Chaudhuri & Dasgupta 2020, simplified.
"""

from __future__ import annotations

import torch
from torch import Tensor

from genzoo.evaluate.neighbours import nearest_distance


def memorisation(sample_features: Tensor, train_features: Tensor, test_features: Tensor) -> dict[str, float]:
    """Median nearest-train distances of samples and of test images, their ratio, and the share of samples
    closer to a training image than 99% of test images are (about 0.01 for a model that does not copy)."""
    samples = nearest_distance(sample_features, train_features)
    held_out = nearest_distance(test_features, train_features)
    threshold = torch.quantile(held_out, 0.01)
    return {"median_sample_to_train": samples.median().item(), "median_test_to_train": held_out.median().item(),
            "ratio": (samples.median() / held_out.median()).item(),
            "share_closer_than_test_1st_percentile": (samples < threshold).float().mean().item()}
