"""Nearest-neighbour distances between feature sets, computed in chunks so that 10,000 x 50,000 fits in memory."""

from __future__ import annotations

import torch
from torch import Tensor

CHUNK_ENTRIES = 2 ** 24   # 64 MiB of float32 distances at a time


def pairwise_chunks(a: Tensor, b: Tensor):
    """(start, distances of a[start:start+chunk] to every row of b) in float32, a bounded block at a time."""
    a, b = a.float(), b.float()
    chunk = max(1, CHUNK_ENTRIES // max(1, len(b)))
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
