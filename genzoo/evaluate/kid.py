"""Kernel Inception Distance: unbiased squared MMD with a cubic polynomial kernel (Bińkowski et al. 2018, Section 3).

k(x, y) = (x.y / d + 1)^3. Unlike FD, the estimator is unbiased, so its expectation is 0 when both
sets come from one distribution, whatever their size; it is averaged over random subsets and
reported with the standard deviation over those subsets, as in the paper.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor


@dataclass
class KID:
    value: float
    std: float
    subsets: int
    subset_size: int

    def to_dict(self) -> dict:
        return asdict(self)


def polynomial_kernel(x: Tensor, y: Tensor) -> Tensor:
    return (x @ y.T / x.shape[1] + 1) ** 3


def mmd2_unbiased(x: Tensor, y: Tensor) -> float:
    """The unbiased estimate of MMD^2 (Gretton et al. 2012, eq. 3) between two equal-size samples."""
    m = len(x)
    k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    within = (k_xx.sum() - k_xx.diagonal().sum() + k_yy.sum() - k_yy.diagonal().sum()) / (m * (m - 1))
    return (within - 2 * k_xy.mean()).item()


def kernel_inception_distance(features_1: Tensor, features_2: Tensor, subsets: int = 100, subset_size: int = 1000,
                              seed: int = 0) -> KID:
    """Mean and standard deviation of unbiased MMD^2 over ``subsets`` random subsets of each set, in float64."""
    features_1, features_2 = features_1.double(), features_2.double()
    size = min(subset_size, len(features_1), len(features_2))
    generator = torch.Generator().manual_seed(seed)
    values = torch.tensor([
        mmd2_unbiased(features_1[torch.randperm(len(features_1), generator=generator)[:size]],
                      features_2[torch.randperm(len(features_2), generator=generator)[:size]])
        for _ in range(subsets)], dtype=torch.float64)
    std = values.std(correction=1).item() if subsets > 1 else float("nan")
    return KID(values.mean().item(), std, subsets, size)
