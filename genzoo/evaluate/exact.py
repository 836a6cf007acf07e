"""Exact log-likelihoods by enumeration, for models small enough: the oracle the estimators are tested against."""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from genzoo.errors import GenzooError
from genzoo.nn.rbm import RBM

MAX_ENUMERATED_BITS = 20


def binary_states(bits: int, dtype: torch.dtype = torch.float64) -> Tensor:
    """All 2**bits binary vectors as rows (2**bits, bits), in counting order."""
    if bits > MAX_ENUMERATED_BITS:
        raise GenzooError(f"cannot enumerate 2^{bits} states: exact computation stops at {MAX_ENUMERATED_BITS} bits")
    codes = torch.arange(2 ** bits).unsqueeze(1)
    return ((codes >> torch.arange(bits - 1, -1, -1)) & 1).to(dtype)


@torch.no_grad()
def log_partition_exact(rbm: RBM, chunk: int = 8192) -> float:
    """log Z of an RBM, summing out the larger layer analytically and enumerating the smaller one, in float64."""
    W, b, c = rbm.weights.double(), rbm.visible_bias.double(), rbm.hidden_bias.double()
    if rbm.hidden <= rbm.visible:   # sum_h exp(c.h + sum_i softplus(b_i + (W h)_i))
        states, linear, field, bias = binary_states(rbm.hidden), c, W.T, b
    else:                           # sum_v exp(b.v + sum_j softplus(c_j + (v W)_j))
        states, linear, field, bias = binary_states(rbm.visible), b, W, c
    terms = [s @ linear + F.softplus(s @ field + bias).sum(1) for s in states.split(chunk)]
    return torch.logsumexp(torch.cat(terms), 0).item()


@torch.no_grad()
def log_likelihood_exact_rbm(rbm: RBM, v: Tensor) -> Tensor:
    """log p(v) = -F(v) - log Z for each row of ``v``, in float64."""
    return -copy.deepcopy(rbm).double().free_energy(v.double()) - log_partition_exact(rbm)


@torch.no_grad()
def log_marginal_exact(log_joint: Callable[[Tensor, Tensor], Tensor], x: Tensor, latent_bits: int) -> Tensor:
    """log p(x) = log sum_h p(x, h) over every binary latent h, for each row of ``x``.

    ``log_joint(x, h)`` takes x (N, D) and h (S, latent_bits) and returns log p(x, h) as (S, N).
    """
    return torch.logsumexp(log_joint(x, binary_states(latent_bits, x.dtype)).double(), dim=0)
