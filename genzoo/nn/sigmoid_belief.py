"""Layers of stochastic binary units, each unit on with probability sigmoid(W s + b) of the layer before (Neal 1992).

A Helmholtz machine is two such chains over the same units: the generative one runs from a factorial
top layer down to the pixels, the recognition one from the pixels up (Hinton et al. 1995). States
carry any leading shape, (N, D) or (K, N, D), so K samples per example travel as one tensor.
"""

from __future__ import annotations

from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genzoo.devices import sample_bernoulli


def bernoulli_log_prob(logits: Tensor, units: Tensor) -> Tensor:
    """log prod_j Bernoulli(units_j; sigmoid(logits_j)), summed over the last dimension."""
    return -F.binary_cross_entropy_with_logits(logits, units.expand_as(logits), reduction="none").sum(-1)


class FactorialBernoulli(nn.Module):
    """Independent binary units with learned logits: the top layer's prior p(h_L)."""

    def __init__(self, units: int):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(units))

    def log_prob(self, units: Tensor) -> Tensor:
        return bernoulli_log_prob(self.logits.expand_as(units), units)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return sample_bernoulli(torch.sigmoid(self.logits).expand(n, -1), generator)


class SigmoidBeliefChain(nn.Module):
    """s_0 -> s_1 -> ... -> s_L with p(s_{i+1} | s_i) a sigmoid belief layer; ``sizes`` are the widths of s_0..s_L."""

    def __init__(self, sizes: tuple[int, ...]):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(given, units) for given, units in zip(sizes, sizes[1:]))

    def sample(self, start: Tensor, generator: torch.Generator | None = None) -> tuple[list[Tensor], Tensor]:
        """States [start, s_1, ..., s_L] drawn layer by layer, and log p(s_1, ..., s_L | start) of the draw."""
        states, log_prob = [start], torch.zeros(start.shape[:-1], device=start.device)
        for layer in self.layers:
            logits = layer(states[-1])
            states.append(sample_bernoulli(torch.sigmoid(logits), generator))
            log_prob = log_prob + bernoulli_log_prob(logits, states[-1])
        return states, log_prob

    def log_prob(self, states: list[Tensor]) -> Tensor:
        """log p(s_1, ..., s_L | s_0) of given states [s_0, ..., s_L]."""
        return cast(Tensor, sum(bernoulli_log_prob(layer(given), units)   # a sum of one tensor per layer
                                for layer, given, units in zip(self.layers, states, states[1:])))
