"""Conditioning Augmentation (Zhang et al. 2016, Section 3.1): a Gaussian around the text embedding, not the
embedding itself, as the generator's condition, kept near N(0, I) by a KL penalty.

The embedding phi_t of a caption is a point in a high-dimensional space that few training captions fill, so a
generator fed phi_t directly sees a discontinuous manifold of conditions. Drawing the condition c from
N(mu(phi_t), Sigma(phi_t)) (Sigma diagonal) gives it many nearby conditions per caption, and the KL term to N(0, I)
keeps that manifold smooth and stops Sigma from collapsing to zero.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from genzoo.devices import normal


def kl_to_standard_normal(mu: Tensor, log_variance: Tensor) -> Tensor:
    """D_KL(N(mu, diag(exp(log_variance))) || N(0, I)) per dimension of c, averaged over the batch:
    (1/2K) sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2) for K dimensions, the regulariser of eq. 4 and eq. 6.

    Per dimension, as the authors' code computes it (a mean over the batch and the dimensions): the sum, the KL
    itself, is K = 128 times larger, and weighted by the paper's lambda = 1 it outweighs the adversarial loss so far
    that c carries next to no text (the trial is in docs/results.md)."""
    return 0.5 * (mu.square() + log_variance.exp() - 1 - log_variance).mean()


class ConditioningAugmentation(nn.Module):
    """A fully connected layer from phi_t to mu and log sigma^2, then c = mu + sigma * epsilon with epsilon ~ N(0, I)
    (Section 3.1, the reparameterisation that lets the gradient reach mu and sigma)."""

    def __init__(self, embedding_dim: int, condition_dim: int):
        super().__init__()
        self.condition_dim = condition_dim
        self.moments = nn.Linear(embedding_dim, 2 * condition_dim)

    def forward(self, embeddings: Tensor, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """(c, mu, log sigma^2), each (N, condition_dim); ``generator`` fixes epsilon, leaving the global RNG alone."""
        mu, log_variance = self.moments(embeddings).chunk(2, dim=1)
        epsilon = normal(mu.shape, mu.device, generator, dtype=mu.dtype)
        return mu + (0.5 * log_variance).exp() * epsilon, mu, log_variance
