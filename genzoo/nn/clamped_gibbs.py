"""Gibbs sampling with some pixels clamped: the chain samples the rest from their conditional given the clamped
ones, the way a Boltzmann machine fills in a partly seen image (Hinton & Sejnowski 1986; Salakhutdinov & Hinton
2009, Section 5, complete images from their halves). One piece for every model that samples by Gibbs chains."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

Sweep = Callable[[Tensor], tuple[Tensor, Tensor]]   # binary pixels -> (a binary state, its mean) after one sweep


def clamped_gibbs(sweep: Sweep, v: Tensor, clamped: Tensor, sweeps: int) -> tuple[Tensor, Tensor]:
    """``sweeps`` sweeps from binary pixels v (n, pixels), the pixels where ``clamped`` (bool, same shape) is set
    held at their values in v throughout; returns the last binary state and its mean, both with the clamped pixels
    at their values."""
    fixed = v.clone()
    mean = v
    for _ in range(sweeps):
        state, mean = sweep(torch.where(clamped, fixed, v))
        v = torch.where(clamped, fixed, state)
    return v, torch.where(clamped, fixed, mean)
