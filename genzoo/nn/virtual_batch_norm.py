"""Virtual batch normalization (Salimans et al. 2016, Section 3.5): batch norm whose statistics for an example are
those of a reference batch, chosen once and fixed, together with the example itself, so that a generated image does
not depend on the other images generated beside it."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class VirtualBatchNorm(nn.Module):
    """Batch norm over the reference batch and one example at a time. Its input is the reference batch's R rows
    stacked above the examples' rows: the reference rows are normalised with their own statistics, as the paper
    does, and each example with the mean and variance, per channel over every position, of the R + 1 items made of
    the reference batch and itself. No running statistics: training and sampling normalise alike."""

    def __init__(self, channels: int, reference_size: int, eps: float = 1e-5):
        super().__init__()
        self.channels, self.reference_size, self.eps = channels, reference_size, eps
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor) -> Tensor:
        values = x.reshape(len(x), self.channels, -1)   # (rows, channels, positions)
        reference, examples = values[:self.reference_size], values[self.reference_size:]
        reference_mean = reference.mean((0, 2), keepdim=True)
        reference_var = reference.var((0, 2), unbiased=False, keepdim=True)
        own_mean, own_var = examples.mean(2, keepdim=True), examples.var(2, unbiased=False, keepdim=True)
        w = 1 / (self.reference_size + 1)   # the example's share of the R + 1 items
        mean = w * own_mean + (1 - w) * reference_mean
        var = w * own_var + (1 - w) * reference_var + w * (1 - w) * (own_mean - reference_mean) ** 2   # of the union
        normalised = torch.cat([self.normalise(reference, reference_mean, reference_var),
                                self.normalise(examples, mean, var)])
        return normalised.reshape(x.shape)

    def normalise(self, values: Tensor, mean: Tensor, var: Tensor) -> Tensor:
        return (values - mean) * torch.rsqrt(var + self.eps) * self.weight[:, None] + self.bias[:, None]


class WithReferenceBatch(nn.Module):
    """A network whose VirtualBatchNorm layers read the reference batch: the fixed reference inputs, a buffer so that
    checkpoints carry them, go through it stacked above every batch, and only the batch's outputs come back."""

    reference: Tensor

    def __init__(self, network: nn.Module, reference: Tensor):
        super().__init__()
        self.network = network
        self.register_buffer("reference", reference)

    def forward(self, x: Tensor) -> Tensor:
        return self.network(torch.cat([self.reference, x]))[len(self.reference):]


def with_virtual_batch_norm(network: nn.Module, reference: Tensor) -> WithReferenceBatch:
    """``network`` with each of its batch-norm layers replaced by virtual batch norm over the reference inputs
    ``reference``, keeping the layer's scale and shift as they were initialised."""
    for parent in list(network.modules()):
        for name, layer in parent.named_children():
            if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
                virtual = VirtualBatchNorm(layer.num_features, len(reference), layer.eps)
                virtual.load_state_dict({"weight": layer.weight.detach(), "bias": layer.bias.detach()})
                setattr(parent, name, virtual)
    return WithReferenceBatch(network, reference)
