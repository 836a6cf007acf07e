"""Exact log-likelihoods by enumeration, for models small enough: the oracle the estimators are tested against."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import torch
from torch import Tensor

from genzoo.errors import GenzooError
from genzoo.nn.dbm import log_summed_out
from genzoo.nn.rbm import RBM, GaussianRBM

MAX_ENUMERATED_BITS = 20


def binary_states(bits: int, dtype: torch.dtype = torch.float64, device: torch.device | None = None) -> Tensor:
    """All 2**bits binary vectors as rows (2**bits, bits), in counting order, on ``device``."""
    if bits > MAX_ENUMERATED_BITS:
        raise GenzooError(f"cannot enumerate 2^{bits} states: exact computation stops at {MAX_ENUMERATED_BITS} bits")
    codes = torch.arange(2 ** bits, device=device).unsqueeze(1)
    return ((codes >> torch.arange(bits - 1, -1, -1, device=device)) & 1).to(dtype)


@torch.no_grad()
def log_partition_exact(machine, chunk: int = 8192) -> float:
    """log Z of a layered Boltzmann machine (an RBM or a DBM: ``layer_weights``, ``layer_biases``) in float64,
    enumerating the even or the odd layers, whichever have fewer units, and summing the others out in closed form."""
    weights = [w.double() for w in machine.layer_weights]
    biases = [b.double() for b in machine.layer_biases]
    sizes = [len(b) for b in biases]
    parity = 0 if sum(sizes[0::2]) <= sum(sizes[1::2]) else 1
    enumerated = list(range(parity, len(sizes), 2))
    terms = []
    for block in binary_states(sum(sizes[layer] for layer in enumerated), device=biases[0].device).split(chunk):
        states: list[Tensor | None] = [None] * len(sizes)
        for layer, part in zip(enumerated, block.split([sizes[layer] for layer in enumerated], dim=1)):
            states[layer] = part
        terms.append(log_summed_out(weights, biases, states, parity))
    return torch.logsumexp(torch.cat(terms), 0).item()


@torch.no_grad()
def log_partition_exact_gaussian(rbm: GaussianRBM) -> float:
    """log Z of a Gaussian-Bernoulli RBM: the Gaussian integral over v in closed form for each h, the hidden states
    enumerated: Z = (2 pi)^(V/2) sum_h exp(c.h + ||b + W h||^2 / 2 - ||b||^2 / 2)."""
    W, b, c = rbm.weights.double(), rbm.visible_bias.double(), rbm.hidden_bias.double()
    h = binary_states(rbm.hidden, device=W.device)
    terms = h @ c + ((h @ W.T + b).square().sum(1) - b.square().sum()) / 2
    return torch.logsumexp(terms, 0).item() + rbm.visible / 2 * math.log(2 * math.pi)


@torch.no_grad()
def log_likelihood_exact_rbm(rbm: RBM, v: Tensor) -> Tensor:
    """log p(v) = -F(v) - log Z for each row of ``v``, in float64."""
    return -copy.deepcopy(rbm).double().free_energy(v.double()) - log_partition_exact(rbm)


@torch.no_grad()
def log_marginal_exact(log_joint: Callable[[Tensor, Tensor], Tensor], x: Tensor, latent_bits: int) -> Tensor:
    """log p(x) = log sum_h p(x, h) over every binary latent h, for each row of ``x``.

    ``log_joint(x, h)`` takes x (N, D) and h (S, latent_bits) and returns log p(x, h) as (S, N).
    """
    return torch.logsumexp(log_joint(x, binary_states(latent_bits, x.dtype, x.device)).double(), dim=0)
