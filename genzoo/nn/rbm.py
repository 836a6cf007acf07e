"""The Bernoulli-Bernoulli restricted Boltzmann machine as an energy function: E(v, h) = -b.v - c.h - v.W.h.

Smolensky 1986; Hinton 2002. This module holds the parameters and the closed-form pieces that
training (CD/PCD), sampling and the evaluation suite's AIS all share: the free energy, the two
factorial conditionals and a Gibbs sweep. It holds no training rule.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def sample_bernoulli(probs: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Binary units on with probability ``probs``; a uniform draw compared with them, about 2.5 times faster on a
    CPU than torch.bernoulli, which matters in the 14,500 steps of AIS."""
    return (torch.rand(probs.shape, generator=generator) < probs).to(probs.dtype)


def smoothed_mean(sums: Tensor, count: int, smoothing: float) -> Tensor:
    """Pixel means from their sums over ``count`` images, pulled from 0 and 1 as if ``smoothing`` extra
    images were all on and as many all off, so that their logits stay finite."""
    return (sums + smoothing) / (count + 2 * smoothing)


class RBM(nn.Module):
    """``visible`` x ``hidden`` binary units; ``weights`` (V, H), ``visible_bias`` (V,), ``hidden_bias`` (H,)."""

    def __init__(self, visible: int, hidden: int):
        super().__init__()
        self.weights = nn.Parameter(torch.zeros(visible, hidden), requires_grad=False)
        self.visible_bias = nn.Parameter(torch.zeros(visible), requires_grad=False)
        self.hidden_bias = nn.Parameter(torch.zeros(hidden), requires_grad=False)

    @property
    def visible(self) -> int:
        return self.weights.shape[0]

    @property
    def hidden(self) -> int:
        return self.weights.shape[1]

    def hidden_input(self, v: Tensor) -> Tensor:
        """c + vW, the total input of each hidden unit."""
        return v @ self.weights + self.hidden_bias

    def free_energy(self, v: Tensor, hidden_input: Tensor | None = None) -> Tensor:
        """F(v) = -b.v - sum_j softplus(c_j + (vW)_j), so that p(v) = exp(-F(v)) / Z (Hinton 2010, eq. 25);
        pass ``hidden_input`` when it is already at hand."""
        hidden_input = self.hidden_input(v) if hidden_input is None else hidden_input
        return -v @ self.visible_bias - F.softplus(hidden_input).sum(-1)

    def hidden_probs(self, v: Tensor) -> Tensor:
        """p(h_j = 1 | v) = sigmoid(c_j + (vW)_j)."""
        return torch.sigmoid(self.hidden_input(v))

    def visible_probs(self, h: Tensor) -> Tensor:
        """p(v_i = 1 | h) = sigmoid(b_i + (W h)_i)."""
        return torch.sigmoid(h @ self.weights.T + self.visible_bias)

    def gibbs_sweep(self, v: Tensor, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """One block-Gibbs sweep v -> h -> v'; returns (h, v')."""
        h = sample_bernoulli(self.hidden_probs(v), generator)
        return h, sample_bernoulli(self.visible_probs(h), generator)
