"""The critic's side of the Wasserstein GAN: its estimate of W(P_r, P_g) and the two ways to keep it Lipschitz."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from genzoo.precision import outside_autocast


def wasserstein_estimate(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """E[f(x)] - E[f(G(z))]: the Kantorovich-Rubinstein dual (Arjovsky et al. 2017, eq. 3) at the critic f, up to
    the Lipschitz constant that clipping leaves it; the critic maximises it."""
    return real_scores.mean() - fake_scores.mean()


def gradient_penalty(critic: nn.Module, real: Tensor, fake: Tensor, weight: float) -> Tensor:
    """lambda E[(||grad f(x_hat)||_2 - 1)^2] at x_hat = eps x + (1 - eps) G(z), eps ~ U[0, 1] per example
    (Gulrajani et al. 2017, eq. 3 and Algorithm 1), differentiable in the critic's weights. Computed in
    float32 under mixed precision too: in float16 the per-example input gradients underflow, unscaled."""
    eps = torch.rand(len(real), *[1] * (real.dim() - 1), device=real.device)
    with outside_autocast(real.device):
        between = (eps * real.float() + (1 - eps) * fake.float()).requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(between).sum(), between, create_graph=True)
        return weight * ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


@torch.no_grad()
def clip_weights_(critic: nn.Module, bound: float) -> None:
    """Every parameter of the critic clamped to [-bound, bound] in place (Arjovsky et al. 2017, Algorithm 1, line 7)."""
    for parameter in critic.parameters():
        parameter.clamp_(-bound, bound)
