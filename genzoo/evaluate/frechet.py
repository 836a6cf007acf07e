"""Fréchet distance between Gaussians fitted to two feature sets (Heusel et al. 2017, eq. 6; Dowson & Landau 1982).

d^2 = |mu_1 - mu_2|^2 + tr(S_1) + tr(S_2) - 2 tr((S_1 S_2)^(1/2)). With genzoo's own feature
networks this is an "FD", not the FID of papers, which uses Inception-v3 features.
"""

from __future__ import annotations

import torch
from torch import Tensor


def gaussian_statistics(features: Tensor) -> tuple[Tensor, Tensor]:
    """Mean and unbiased covariance of (N, D) features, in float64."""
    features = features.double()
    return features.mean(0), torch.cov(features.T)


def symmetric_sqrt(matrix: Tensor) -> Tensor:
    """The PSD square root of a symmetric matrix by eigendecomposition, negative eigenvalues (round-off) set to 0."""
    values, vectors = torch.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def frechet_distance_from_statistics(mu_1: Tensor, cov_1: Tensor, mu_2: Tensor, cov_2: Tensor) -> float:
    """d^2 between N(mu_1, cov_1) and N(mu_2, cov_2), in float64.

    tr((S_1 S_2)^(1/2)) is computed as the sum of square roots of the eigenvalues of the symmetric
    PSD matrix S_1^(1/2) S_2 S_1^(1/2), which has the same spectrum as S_1 S_2; unlike the general
    matrix square root of S_1 S_2 (scipy's sqrtm) it never returns complex parts or NaN.
    """
    mu_1, cov_1, mu_2, cov_2 = (t.double() for t in (mu_1, cov_1, mu_2, cov_2))
    root_1 = symmetric_sqrt(cov_1)
    middle = root_1 @ cov_2 @ root_1
    trace_sqrt = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0).sqrt().sum()
    distance = (mu_1 - mu_2).square().sum() + cov_1.trace() + cov_2.trace() - 2 * trace_sqrt
    return max(distance.item(), 0.0)


def frechet_distance(features_1: Tensor, features_2: Tensor) -> float:
    """FD between two (N, D) feature sets."""
    return frechet_distance_from_statistics(*gaussian_statistics(features_1), *gaussian_statistics(features_2))
