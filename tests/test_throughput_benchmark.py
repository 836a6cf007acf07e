"""The throughput benchmark's FLOP count, held to products counted by hand."""

from __future__ import annotations

import torch

from benchmarks.throughput import step_flops
from genzoo.nn.dbm import statistics_difference


def test_step_flops_counts_the_in_place_product_of_the_boltzmann_statistic():
    """<v h^T>_data - <v h^T>_model is one product and one in-place product (addmm_), 2 n V H FLOPs each; counting
    FlopCounterMode's formulas alone would miss the second."""
    n, visible, hidden = 10, 7, 5
    data = [torch.rand(n, visible), torch.rand(n, hidden)]
    model = [torch.rand(n, visible), torch.rand(n, hidden)]
    assert step_flops(lambda: statistics_difference(data, model)) == 2 * (2 * n * visible * hidden)


def test_step_flops_counts_a_linear_layer_forward_and_backward():
    """y = xW^T + b: 2 n I O forward; backward the weight's and the input's gradients, 2 n I O each."""
    n, inputs, outputs = 4, 6, 3
    layer = torch.nn.Linear(inputs, outputs)
    x = torch.rand(n, inputs, requires_grad=True)
    assert step_flops(lambda: layer(x).sum().backward()) == 3 * (2 * n * inputs * outputs)
