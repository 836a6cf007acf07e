"""Layered Boltzmann machines: binary layers x_0 (the visible units) .. x_L, weights between neighbours only.

E(x) = -sum_l x_l.W_l.x_{l+1} - sum_l b_l.x_l (Salakhutdinov & Hinton 2009, eq. 1, there with L = 2).
Given the even layers the odd ones are independent, and the other way round, so Gibbs sampling
updates the two halves in turn and either half can be summed out in closed form: what exact
enumeration and AIS do. An RBM is the case L = 1; both expose ``layer_weights`` and ``layer_biases``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias, cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genzoo.devices import sample_bernoulli

# a layer's weights or biases: a list of tensors, or the nn.ParameterList a model holds them in
Tensors: TypeAlias = Sequence[Tensor] | nn.ParameterList


def layer_input(weights: Tensors, biases: Tensors, states: Sequence[Tensor | None], layer: int) -> Tensor:
    """b_l + x_{l-1}.W_{l-1} + W_l.x_{l+1}: the total input of layer ``layer`` from its neighbours' states; a state
    given as None adds nothing (``layer``'s own, or a neighbour whose input the bias already holds)."""
    total = biases[layer]
    if layer > 0 and (below := states[layer - 1]) is not None:
        total = torch.addmm(total, below, weights[layer - 1])
    if layer < len(weights) and (above := states[layer + 1]) is not None:
        total = torch.addmm(total, above, weights[layer].T)
    return total


@dataclass
class MeanField:
    """A factorial q(h | v): ``means`` [v, mu_1, .., mu_L], and ``from_below`` [b_l + mu_{l-1}.W_{l-1} for l = 1..L],
    each hidden layer's input from the layer below at the final means, the products the bound's energy is made of."""

    means: list[Tensor]
    from_below: list[Tensor]


def mean_field_sweeps(weights: Tensors, biases: Tensors, means: list[Tensor], sweeps: int,
                      visible_input: Tensor | None = None) -> MeanField:
    """``means`` after ``sweeps`` rounds of mu_l = sigmoid(input of l) over the hidden layers, bottom to top, with the
    visible means held fixed (Salakhutdinov & Hinton 2009, eq. 7); ``visible_input`` is b_1 + mu_0.W_0 where the
    caller has it."""
    # the visible means are held fixed, so their input to layer 1 is computed once, not once per round
    held = torch.addmm(biases[1], means[0], weights[0]) if visible_input is None else visible_input
    means, top = list(means), len(biases) - 1

    def from_below(layer: int) -> Tensor:
        return held if layer == 1 else torch.addmm(biases[layer], means[layer - 1], weights[layer - 1])

    inputs = [from_below(layer) for layer in range(1, top + 1)] if sweeps == 0 else []
    for _ in range(sweeps):
        inputs = []
        for layer in range(1, top + 1):
            inputs.append(from_below(layer))
            total = inputs[-1] if layer == top else torch.addmm(inputs[-1], means[layer + 1], weights[layer].T)
            means[layer] = torch.sigmoid(total)
    return MeanField(means, inputs)


def log_summed_out(weights: Tensors, biases: Tensors, states: Sequence[Tensor | None], parity: int) -> Tensor:
    """log sum over the layers of the other parity of exp(-E), for the given states of layers l with l % 2 == parity:
    sum_l b_l.x_l over the given layers plus sum_j softplus(input_j) over the units summed out."""
    terms = (cast(Tensor, states[layer]) @ biases[layer] if layer % 2 == parity
             else F.softplus(layer_input(weights, biases, states, layer)).sum(-1) for layer in range(len(biases)))
    return cast(Tensor, sum(terms))   # a tensor: one term per layer, added to 0


class DBM(nn.Module):
    """A deep Boltzmann machine with layer sizes ``sizes`` (visible first); parameters updated by closed-form
    statistics, not autograd."""

    def __init__(self, sizes: Sequence[int]):
        super().__init__()
        self.layer_weights = nn.ParameterList(nn.Parameter(torch.zeros(a, b), requires_grad=False)
                                              for a, b in zip(sizes[:-1], sizes[1:]))
        self.layer_biases = nn.ParameterList(nn.Parameter(torch.zeros(n), requires_grad=False) for n in sizes)

    @property
    def sizes(self) -> list[int]:
        return [len(b) for b in self.layer_biases]

    def conditional(self, states: Sequence[Tensor | None], layer: int) -> Tensor:
        """p(x_l = 1 | neighbours) = sigmoid(input of layer l)."""
        return torch.sigmoid(layer_input(self.layer_weights, self.layer_biases, states, layer))

    def gibbs_sweep(self, states: list[Tensor], generator: torch.Generator | None = None) -> list[Tensor]:
        """Odd layers given the even ones, then the even ones (visible included) given the odd: one sweep."""
        states = list(states)
        for parity in (1, 0):
            for layer in range(parity, len(states), 2):
                states[layer] = sample_bernoulli(self.conditional(states, layer), generator)
        return states

    def sweep_with_odd_probs(self, states: list[Tensor],
                             generator: torch.Generator | None = None) -> tuple[list[Tensor], list[Tensor]]:
        """One sweep the other way round, the even layers given the odd, then the odd given the even: (the new states,
        the same with each odd layer's probabilities in place of its sample). The second are the Rao-Blackwellised
        states for the model term of the gradient, and the sweep computes them anyway."""
        states = list(states)
        for layer in range(0, len(states), 2):
            states[layer] = sample_bernoulli(self.conditional(states, layer), generator)
        probs = list(states)
        for layer in range(1, len(states), 2):
            probs[layer] = self.conditional(states, layer)
            states[layer] = sample_bernoulli(probs[layer], generator)
        return states, probs

    def mean_field(self, v: Tensor, steps: int) -> MeanField:
        """The factorial q(h | v) that maximises the variational bound, by ``steps`` rounds of fixed-point updates
        mu_l = sigmoid(input of l) (Salakhutdinov & Hinton 2009, eq. 7), started from a bottom-up pass whose inner
        weights are doubled to stand in for the missing top-down input (Section 3.1)."""
        weights, biases = self.layer_weights, self.layer_biases
        visible_input = torch.addmm(biases[1], v, weights[0])
        doubled = 2 * visible_input - biases[1]   # b_1 + 2 v.W_0
        mu = [v, torch.sigmoid(doubled if len(weights) > 1 else visible_input)]
        for layer in range(2, len(biases)):
            doubling = 2.0 if layer < len(weights) else 1.0
            mu.append(torch.sigmoid(torch.addmm(biases[layer], mu[-1], weights[layer - 1], alpha=doubling)))
        return mean_field_sweeps(weights, biases, mu, steps, visible_input)

    def variational_bound(self, q: MeanField) -> Tensor:
        """E_q[-E(v, h)] + H(q) per row for the factorial q (means[0] = v): log p(v) + log Z is at least this
        (Salakhutdinov & Hinton 2009, eq. 6). The energy is multilinear, so its mean under q is the energy at the
        means: v.b_0 + sum_l mu_l.(b_l + mu_{l-1}.W_{l-1}), from the inputs mean-field computed."""
        negative_energy = q.means[0] @ self.layer_biases[0]
        negative_energy = negative_energy + sum((m * below).sum(-1) for m, below in zip(q.means[1:], q.from_below))
        entropy = sum(binary_entropy(m).sum(-1) for m in q.means[1:])
        return negative_energy + entropy


def statistics_difference(data: Sequence[Tensor], model: Sequence[Tensor]) -> list[Tensor]:
    """[<x_l x_{l+1}^T>_data - <x_l x_{l+1}^T>_model for each weight matrix, then <x_l>_data - <x_l>_model for each
    bias], each averaged over its rows: the log-likelihood gradient of a layered Boltzmann machine (Salakhutdinov &
    Hinton 2009, eq. 3; an RBM's, Hinton 2010, eq. 9, with two layers). One product and one fused update per matrix,
    a fifth faster than two products subtracted."""
    n, m = len(data[0]), len(model[0])
    weights = [torch.mm(a.T, b).div_(n).addmm_(c.T, d, alpha=-1 / m)
               for a, b, c, d in zip(data[:-1], data[1:], model[:-1], model[1:])]
    return weights + [x.mean(0) - y.mean(0) for x, y in zip(data, model)]


def binary_entropy(p: Tensor) -> Tensor:
    """-p log p - (1 - p) log (1 - p), elementwise, 0 at p in {0, 1}."""
    return -(torch.special.xlogy(p, p) + torch.special.xlogy(1 - p, 1 - p))
