"""Nearest-neighbour distances between feature sets, computed in chunks so that 10,000 x 50,000 fits in memory."""

from __future__ import annotations

import torch
from torch import Tensor

CHUNK = 2048


def pairwise_chunks(a: Tensor, b: Tensor, chunk: int = CHUNK):
    """(start, distances of a[start:start+chunk] to every row of b) in float32."""
    a, b = a.float(), b.float()
    for start in range(0, len(a), chunk):
        yield start, torch.cdist(a[start:start + chunk], b)


def kth_neighbour_distance(features: Tensor, k: int) -> Tensor:
    """Distance from each row to its k-th nearest other row of the same set (the row itself excluded)."""
    radii = torch.empty(len(features))
    for start, distances in pairwise_chunks(features, features):
        radii[start:start + len(distances)] = distances.topk(k + 1, dim=1, largest=False).values[:, k]
    return radii


def nearest_distance(queries: Tensor, references: Tensor) -> Tensor:
    """Distance from each query row to its nearest reference row."""
    nearest = torch.empty(len(queries))
    for start, distances in pairwise_chunks(queries, references):
        nearest[start:start + len(distances)] = distances.min(dim=1).values
    return nearest
