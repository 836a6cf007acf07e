"""Historical averaging (Salimans et al. 2016, Section 3.3): a player's loss gains ||theta - (1/t) sum_i theta[i]||^2,
which pulls its parameters towards their own past mean and so damps the oscillations of gradient descent on a game."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils import parameters_to_vector


class HistoricalAverage(nn.Module):
    """The mean (1/t) sum_{i=1..t} theta[i] of a network's parameters over the t steps recorded so far, theta[i]
    their value when step i began. The mean and t are buffers, so a checkpoint carries them and a resumed run goes on
    with the same average. The network's parameters are read, not owned: they are not this module's parameters."""

    mean: Tensor
    steps: Tensor

    def __init__(self, network: nn.Module):
        super().__init__()
        self.tracked = tuple(network.parameters())
        self.register_buffer("mean", torch.zeros(sum(p.numel() for p in self.tracked)))
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    def theta(self) -> Tensor:
        """The parameters as one vector, differentiable."""
        return parameters_to_vector(self.tracked)

    @torch.no_grad()
    def record(self) -> None:
        """Count the parameters' current value as theta[t + 1] in the mean."""
        self.steps += 1
        self.mean += (self.theta() - self.mean) / self.steps

    def distance(self) -> Tensor:
        """||theta - (1/t) sum_i theta[i]||^2, its gradient 2 (theta - mean): the past values are constants."""
        return (self.theta() - self.mean).square().sum()
