"""The importance-weighted lower bound on log p(x) (Burda et al. 2015, eq. 8), for models with an encoder."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from genzoo import progress
from genzoo.likelihood.estimate import Estimate
from genzoo.seeding import fixed_noise


@torch.no_grad()
def iwae_bound(model, images: Tensor, k: int, batch_size: int = 100, chunk: int = 500,
               generator_seed: int = 0, method: str = "IWAE lower bound") -> Estimate:
    """Mean over ``images`` of log (1/k) sum_i p(x, z_i)/q(z_i|x), z_i ~ q(z|x), in nats.

    ``model.log_weights(x, k)`` returns the (k, N) log weights. The k samples are drawn in chunks
    and combined with a running logsumexp, so memory stays bounded whatever k is. The bound tends
    to log p(x) from below as k grows; k = 1 is the ELBO. ``method`` names the estimate for its reader.
    """
    was_training = model.training
    model.eval()
    per_example = []
    with fixed_noise(generator_seed):
        for start in range(0, len(images), batch_size):
            progress.tick(f"{method}, k={k}: images", start, len(images))
            x = images[start:start + batch_size]
            total = torch.full((len(x),), -math.inf, dtype=torch.float64, device=x.device)
            for done in range(0, k, chunk):
                log_w = model.log_weights(x, min(chunk, k - done)).double()
                total = torch.logaddexp(total, torch.logsumexp(log_w, dim=0))
            per_example.append(total - math.log(k))
    model.train(was_training)
    return Estimate.mean_of(torch.cat(per_example), method, {"k": k})
