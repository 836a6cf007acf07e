"""The two players' losses in the game of Goodfellow et al. 2014, eq. 1, from the discriminator's logits, the
discriminator's matching-aware form for text-conditioned models (Reed et al. 2016), and the feature-matching loss
that may replace the generator's (Salimans et al. 2016)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

GENERATOR_LOSSES = ("non-saturating", "minimax")


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor, real_label: float = 1.0) -> Tensor:
    """-E[log D(x)] - E[log(1 - D(G(z)))], the negated value function D maximises; with ``real_label`` < 1 the real
    images' target is smoothed and the fakes' stays 0 (one-sided label smoothing, Salimans et al. 2016, Section 3.4)."""
    return (F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, real_label))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def generator_loss(fake_logits: Tensor, kind: str) -> Tensor:
    """What G minimises: ``minimax`` is E[log(1 - D(G(z)))], its term of the value function (eq. 1);
    ``non-saturating`` is -E[log D(G(z))] (Section 3), the same fixed point with a gradient that does not
    vanish while D rejects the fakes: d/dl of log(1 - sigmoid(l)) is -D(G(z)), of -log sigmoid(l) is D(G(z)) - 1."""
    if kind == "minimax":
        return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def feature_matching_loss(real_features: Tensor, fake_features: Tensor) -> Tensor:
    """||E_x f(x) - E_z f(G(z))||^2, the squared distance between the mean features of real and generated images
    that G minimises under feature matching, f being D's last hidden layer (Salimans et al. 2016, Section 3.1)."""
    return (real_features.mean(0) - fake_features.mean(0)).square().sum()


def matching_aware_discriminator_loss(real_logits: Tensor, mismatched_logits: Tensor, fake_logits: Tensor,
                                      real_label: float = 1.0) -> Tensor:
    """GAN-CLS (Reed et al. 2016, Algorithm 1), the discriminator loss of StackGAN: a real image with matching text
    is real, and both a real image with mismatched text and a fake with matching text are fake, the two fake terms
    weighted one half: -log D(x, t) - (1/2) [log(1 - D(x, t')) + log(1 - D(G(z, t), t))]. It is the average of two
    games, real against mismatched and real against fake, each :func:`discriminator_loss`."""
    return 0.5 * (discriminator_loss(real_logits, mismatched_logits, real_label)
                  + discriminator_loss(real_logits, fake_logits, real_label))
