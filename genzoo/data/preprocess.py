"""Pixel transforms: between [0, 1] and [-1, 1], and stochastic binarization."""

from __future__ import annotations

import torch


def to_symmetric(x: torch.Tensor) -> torch.Tensor:
    """Map pixels from [0, 1] to [-1, 1], the range of tanh outputs."""
    return x * 2 - 1


def to_unit(x: torch.Tensor) -> torch.Tensor:
    """Map pixels from [-1, 1] back to [0, 1]."""
    return (x + 1) / 2


def binarize(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Each pixel set to 1 with probability equal to its intensity in [0, 1], else 0.

    Sampled once, this is the fixed binarization of MNIST (Salakhutdinov & Murray 2008, "On the
    quantitative analysis of deep belief networks"), and the seeded test split of dynamic binarization's likelihoods;
    torch.bernoulli's draw defines those sets, so it stays. The training loop's dynamic binarization, resampled every
    batch, draws the same law faster (genzoo.devices.sample_bernoulli).
    """
    if generator is None or generator.device == x.device:
        return torch.bernoulli(x, generator=generator)
    return torch.bernoulli(x.to(generator.device), generator=generator).to(x.device)
