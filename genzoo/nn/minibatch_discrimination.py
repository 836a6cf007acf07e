"""Minibatch discrimination (Salimans et al. 2016, Section 3.2): D sees how close each example lies to the others of
its minibatch, so a generator collapsed onto one mode gives itself away by fakes that all resemble each other."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def minibatch_similarity(rows: Tensor) -> Tensor:
    """c_b(x_i, x_j) = exp(-||M_i,b - M_j,b||_L1) for every pair of examples and kernel: (N, B, C) -> (N, N, B)."""
    per_kernel = rows.transpose(0, 1)   # (B, N, C): the L1 distances kernel by kernel, without an (N, N, B, C) tensor
    return torch.exp(-torch.cdist(per_kernel, per_kernel, p=1)).permute(1, 2, 0)


def minibatch_features(rows: Tensor) -> Tensor:
    """o(x_i)_b = sum over j != i of c_b(x_i, x_j): (N, B, C) -> (N, B). The paper's sum also runs over j = i, which
    adds c_b(x_i, x_i) = 1 to every o(x_i)_b, a constant that the next layer's bias absorbs; without it, o counts the
    other examples only, and a batch of one example has o = 0."""
    return minibatch_similarity(rows).sum(1) - 1


class MinibatchDiscrimination(nn.Module):
    """f(x) (N, A), or maps that flatten to it, -> [f(x), o(x)] (N, A + B): the tensor T maps each f(x_i) to a matrix
    M_i (B x C), and o(x_i) is its closeness to the rest of the minibatch in each of the B kernels (Salimans et al.
    2016, Section 3.2).

    T is drawn with standard deviation 1 / sqrt(A), so that the entries of M start at the scale of f's and the
    kernels neither all read 0 (far apart) nor all read 1 (identical) before training.
    """

    def __init__(self, in_features: int, kernels: int, kernel_dims: int):
        super().__init__()
        self.kernels, self.kernel_dims = kernels, kernel_dims
        self.T = nn.Parameter(torch.randn(in_features, kernels * kernel_dims) / math.sqrt(in_features))

    def forward(self, features: Tensor) -> Tensor:
        features = features.flatten(1)
        rows = (features @ self.T).reshape(len(features), self.kernels, self.kernel_dims)
        return torch.cat([features, minibatch_features(rows)], dim=1)
