"""The Bernoulli-Bernoulli restricted Boltzmann machine as an energy function: E(v, h) = -b.v - c.h - v.W.h.

Smolensky 1986; Hinton 2002. This module holds the parameters and the closed-form pieces that
training (CD/PCD), sampling and the evaluation suite's AIS all share: the free energy, the two
factorial conditionals and a Gibbs sweep. It holds no training rule.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genzoo.devices import normal, sample_bernoulli


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

    @classmethod
    def initialised(cls, visible: int, hidden: int) -> RBM:
        """An RBM to train by CD or PCD: small random weights from N(0, 0.01^2), zero biases (Hinton 2010,
        Section 8)."""
        rbm = cls(visible, hidden)
        rbm.weights.normal_(0, 0.01)
        return rbm

    @property
    def visible(self) -> int:
        return self.weights.shape[0]

    @property
    def hidden(self) -> int:
        return self.weights.shape[1]

    @property
    def layer_weights(self) -> list[Tensor]:
        """The weights as a one-layer stack, the view the evaluation suite's AIS and enumeration take."""
        return [self.weights]

    @property
    def layer_biases(self) -> list[Tensor]:
        return [self.visible_bias, self.hidden_bias]

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

    def visible_mean(self, h: Tensor, down: float = 1.0) -> Tensor:
        """E[v | h]: p(v_i = 1 | h) = sigmoid(b_i + (W h)_i), with the top-down input scaled by ``down``."""
        return torch.sigmoid(torch.addmm(self.visible_bias, h, self.weights.T, alpha=down))

    def sample_visible(self, mean: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """v ~ p(v | h) from its mean."""
        return sample_bernoulli(mean, generator)

    def initial_visible_bias(self, v: Tensor) -> Tensor:
        """Visible biases that reproduce the pixel means of ``v`` with no weights: log p/(1-p) (Hinton 2010,
        Section 8)."""
        return torch.logit(smoothed_mean(v.sum(0), len(v), 0.5))

    def gibbs_sweep(self, v: Tensor, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """One block-Gibbs sweep v -> h -> v'; returns (h, v')."""
        h = sample_bernoulli(self.hidden_probs(v), generator)
        return h, self.sample_visible(self.visible_mean(h), generator)

    def gibbs_snapshots(self, v: Tensor, snapshots: int, every: int,
                        generator: torch.Generator | None = None) -> list[Tensor]:
        """p(v | h) of chains started at ``v``, recorded every ``every`` sweeps, ``snapshots`` times."""
        frames = []
        for _ in range(snapshots):
            for _ in range(every - 1):
                _, v = self.gibbs_sweep(v, generator)
            h = sample_bernoulli(self.hidden_probs(v), generator)
            frames.append(self.visible_mean(h))
            v = self.sample_visible(frames[-1], generator)
        return frames


class GaussianRBM(RBM):
    """Real visible units of unit variance, binary hidden units: E(v, h) = ||v - b||^2 / 2 - c.h - v.W.h, for grey
    images standardized first (Hinton 2010, Section 13.2; Cho, Ilin & Raiko 2011 learn the variances too)."""

    def free_energy(self, v: Tensor, hidden_input: Tensor | None = None) -> Tensor:
        """F(v) = ||v - b||^2 / 2 - sum_j softplus(c_j + (vW)_j): p(v) = exp(-F(v)) / Z, a density."""
        hidden_input = self.hidden_input(v) if hidden_input is None else hidden_input
        return (v - self.visible_bias).square().sum(-1) / 2 - F.softplus(hidden_input).sum(-1)

    def visible_mean(self, h: Tensor, down: float = 1.0) -> Tensor:
        """E[v | h] = b + W h: p(v | h) is a unit-variance Gaussian around it."""
        return torch.addmm(self.visible_bias, h, self.weights.T, alpha=down)

    def sample_visible(self, mean: Tensor, generator: torch.Generator | None = None) -> Tensor:
        return mean + normal(mean.shape, mean.device, generator)

    def initial_visible_bias(self, v: Tensor) -> Tensor:
        return v.mean(0)
