"""Annealed importance sampling (Neal 2001) for log partition functions, with a reverse run as a check.

AIS moves chains from a tractable base distribution p_0 to the target p_K through intermediate
distributions f_k, reweighting as it goes; E[w] = Z_K / Z_0. Its log estimate is a stochastic
lower bound on log Z (Jensen). Run the other way, from samples of the target back to the base,
it gives a stochastic upper bound when those samples are exact (Grosse, Ghahramani & Adams 2015,
bidirectional Monte Carlo). Exact samples of an RBM are not available, so genzoo starts the reverse
chains from the model's persistent training chains where it has them, else from the forward chains'
final states resampled by their weights; either way the reverse figure is only approximately an
upper bound, and the second start cannot reveal modes the forward run missed (a DBM benchmark
showed forward and resampled-reverse runs agreeing on a log Z far too low).
A wide gap between the two, or degenerate weights, says the annealing was too short to trust; a
small gap does not prove the estimate right (both runs can miss the same modes), which is why the
tests hold AIS to exact values on models small enough to enumerate.

The annealing itself is model-agnostic: a model supplies an :class:`AnnealingPath`. The base-rate
path of RBMs and DBMs (Salakhutdinov & Murray 2008, Section 4.1) lives here; the DBN anneals its
top RBM with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol, cast

import torch
import torch.nn.functional as F
from torch import Tensor

from genzoo import progress
from genzoo.devices import normal, sample_bernoulli
from genzoo.errors import GenzooError
from genzoo.likelihood.estimate import Estimate
from genzoo.nn.dbm import layer_input, mean_field_sweeps
from genzoo.nn.rbm import smoothed_mean

# Salakhutdinov & Murray 2008, Section 4.2: 500 betas uniform on [0, 0.5], 4,000 on [0.5, 0.9] and
# 10,000 on [0.9, 1], 14,500 intermediate distributions in all
SCHEDULE = ((0.5, 500), (0.9, 4000), (1.0, 10000))
TRUST_GAP_NATS = 1.0
TRUST_ESS_FRACTION = 0.1


def annealing_schedule(total: int = 14_500) -> Tensor:
    """``total`` + 1 inverse temperatures from 0 to 1, spaced in Salakhutdinov & Murray's proportions."""
    if total < len(SCHEDULE):
        raise GenzooError(f"AIS needs at least {len(SCHEDULE)} intermediate distributions, got {total}")
    scale = total / sum(n for _, n in SCHEDULE)
    counts = [max(1, round(n * scale)) for _, n in SCHEDULE]
    counts[-1] += total - sum(counts)
    betas, start = [torch.zeros(1, dtype=torch.float64)], 0.0
    for (end, _), n in zip(SCHEDULE, counts):
        betas.append(torch.linspace(start, end, n + 1, dtype=torch.float64)[1:])
        start = end
    return torch.cat(betas)


class AnnealingPath(Protocol):
    """A family f_beta from a tractable base (beta = 0) to the model (beta = 1), with MCMC moves for each beta, on the
    model's ``device`` (its chains and their random numbers stay there)."""

    device: torch.device

    def log_base_partition(self) -> float:
        """log Z at beta = 0, known in closed form."""

    def base_samples(self, chains: int, generator: torch.Generator) -> Any:
        """Exact samples of the base distribution, one state per chain."""

    def step(self, state: Any, beta_from: float, beta_to: float,
             generator: torch.Generator) -> tuple[Tensor, Any]:
        """(log f_to(state) - log f_from(state) per chain, the state after one move that leaves f_to invariant)."""


@dataclass
class AISResult:
    """log Z from forward AIS, the reverse estimate that checks it, and the diagnostics."""

    log_partition: Estimate
    reverse_log_partition: Estimate | None
    effective_sample_size: float

    @property
    def gap(self) -> float:
        """Reverse minus forward estimate in nats: near 0 when the annealing was slow enough."""
        if self.reverse_log_partition is None:
            return float("nan")
        return self.reverse_log_partition.value - self.log_partition.value

    @property
    def warning(self) -> str | None:
        """Why the estimate should not be trusted, or None."""
        chains = self.log_partition.n
        if self.effective_sample_size < TRUST_ESS_FRACTION * chains:
            return (f"AIS weights are degenerate (effective sample size {self.effective_sample_size:.1f} of "
                    f"{chains} chains): use more intermediate distributions")
        if abs(self.gap) > TRUST_GAP_NATS:
            return (f"forward and reverse AIS disagree by {abs(self.gap):.2f} nats (more than {TRUST_GAP_NATS}): "
                    "the chains did not mix; use more intermediate distributions")
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"log_partition": self.log_partition.to_dict(),
                "reverse_log_partition": self.reverse_log_partition and self.reverse_log_partition.to_dict(),
                "gap_nats": self.gap, "effective_sample_size": self.effective_sample_size, "warning": self.warning}


def log_mean_exp_estimate(log_weights: Tensor, offset: float, sign: int, method: str,
                          budget: dict[str, Any]) -> tuple[Estimate, float]:
    """offset + sign * log mean(w), with the delta-method standard error sd(w) / (sqrt(n) mean(w)), and the ESS."""
    log_weights = log_weights.double()
    n = len(log_weights)
    normalised = torch.exp(log_weights - log_weights.max())
    log_mean = torch.logsumexp(log_weights, 0).item() - math.log(n)
    stderr = (normalised.std(correction=1) / (normalised.mean() * math.sqrt(n))).item() if n > 1 else float("nan")
    ess = (normalised.sum() ** 2 / (normalised ** 2).sum()).item()
    return Estimate(offset + sign * log_mean, stderr, n, method, budget), ess


@torch.no_grad()
def anneal(path: AnnealingPath, betas: Tensor, state: Any, generator: torch.Generator,
           what: str = "AIS betas") -> tuple[Tensor, Any]:
    """Carry ``state`` along ``betas``; returns the accumulated log weights and the final state."""
    log_weights: Tensor | None = None
    for done, (beta_from, beta_to) in enumerate(zip(betas[:-1].tolist(), betas[1:].tolist())):
        progress.tick(what, done, len(betas) - 1)
        increment, state = path.step(state, beta_from, beta_to, generator)
        log_weights = increment.double() if log_weights is None else log_weights + increment
    return cast(Tensor, log_weights), state   # a schedule holds at least two betas


@torch.no_grad()
def log_partition_by_annealing(path: AnnealingPath, betas: Tensor, chains: int, seed: int = 0,
                               reverse: bool = True, model_samples: Tensor | None = None) -> AISResult:
    """log Z of the model at the end of ``path`` by AIS with ``chains`` chains, and optionally the reverse check,
    started from ``model_samples`` (states the model's own chains reached, e.g. persistent training chains: the
    closest genzoo has to exact samples, and independent of the forward run) or, without them, from the forward
    chains' final states resampled in proportion to their weights, which cannot reveal modes the forward run missed."""
    generator = torch.Generator(device=path.device).manual_seed(seed)
    budget = {"betas": len(betas) - 1, "chains": chains, "seed": seed}
    log_weights, final = anneal(path, betas, path.base_samples(chains, generator), generator,
                                f"AIS forward, {chains} chains, betas")
    forward, ess = log_mean_exp_estimate(log_weights, path.log_base_partition(), 1, "AIS (stochastic lower bound)",
                                         budget)
    backward = None
    if reverse:
        if model_samples is not None:
            start = model_samples.to(path.device)[torch.arange(chains, device=path.device) % len(model_samples)]
            method = "reverse AIS from the model's own chains (approximate upper bound)"
        else:   # importance resampling turns the weighted final states into approximate model samples
            chosen = torch.multinomial(torch.softmax(log_weights, 0), chains, replacement=True, generator=generator)
            start, method = final[chosen], "reverse AIS from resampled forward states (approximate upper bound)"
        reverse_weights, _ = anneal(path, betas.flip(0), start, generator, f"AIS reverse check, {chains} chains, betas")
        backward, _ = log_mean_exp_estimate(reverse_weights, path.log_base_partition(), -1, method, budget)
    return AISResult(forward, backward, ess)


class BaseRatePath:
    """f_beta(x) = exp(-beta E(x) + (1 - beta) sum_l a_l.x_l), the odd layers summed out: AIS for RBMs and DBMs.

    Salakhutdinov & Murray 2008, eq. 15-17, and Salakhutdinov & Hinton 2009, Section 4, start from a
    base (beta = 0) with no weights, visible biases a_0 that match the data's pixel means (the
    "base-rate model") and uniform hidden layers. genzoo gives every hidden layer a base rate too:
    a_l is the input of layer l at the mean-field fixed point with the visible means held at
    sigmoid(a_0). With uniform hidden layers, half of a DBN's 2,000 top units are on at small beta and
    their mostly negative weights switch the visible layer off; the chains must then leave that empty
    state all at once near beta = 0.9, and 100,000 distributions left forward and reverse AIS 25 nats
    apart. With hidden base rates the base already looks like the model and no such jump remains.
    Z_0 = prod over all units of (1 + exp(a)). The chain's state is the even layers (visible first) side
    by side in one tensor; the odd layers, given them, are summed out of the weights and sampled for
    the Gibbs move. For an RBM the state is v.
    """

    def __init__(self, machine, base_visible_bias: Tensor | None = None, mean_field_rounds: int = 30):
        self.weights, self.biases = list(machine.layer_weights), list(machine.layer_biases)
        self.sizes = [len(b) for b in self.biases]
        self.device = self.biases[0].device
        visible = (torch.zeros(self.sizes[0], device=self.device) if base_visible_bias is None
                   else base_visible_bias.to(self.device, torch.float32))
        self.base_biases = self.layer_base_rates(visible, mean_field_rounds)
        self.bias_changes = [b - a for b, a in zip(self.biases, self.base_biases)]
        self.even_sizes = self.sizes[0::2]

    @classmethod
    def from_data(cls, machine, images: Tensor, smoothing: float = 0.05) -> BaseRatePath:
        """The base-rate model fitted to ``images`` (N, V) by matching pixel means, smoothed away from 0 and 1."""
        mean = smoothed_mean(images.reshape(len(images), -1).double().sum(0), len(images), smoothing)
        return cls(machine, torch.logit(mean).float())

    def layer_base_rates(self, visible_bias: Tensor, rounds: int) -> list[Tensor]:
        """[a_0, a_1, ..]: ``visible_bias``, then the inputs of the hidden layers at the mean-field fixed point with
        the visible means held at sigmoid(a_0), found by ``rounds`` sweeps from a bottom-up pass (one pass is exact for
        an RBM)."""
        means = [torch.sigmoid(visible_bias).unsqueeze(0)]
        for layer in range(1, len(self.sizes)):
            means.append(torch.sigmoid(torch.addmm(self.biases[layer], means[-1], self.weights[layer - 1])))
        means = mean_field_sweeps(self.weights, self.biases, means, rounds).means
        inputs = [visible_bias] + [layer_input(self.weights, self.biases, means, layer).squeeze(0)
                                   for layer in range(1, len(self.sizes))]
        return [a.detach().clone() for a in inputs]

    def log_base_partition(self) -> float:
        return sum(F.softplus(a.double()).sum().item() for a in self.base_biases)

    def base_samples(self, chains: int, generator: torch.Generator) -> Tensor:
        return torch.cat([sample_bernoulli(torch.sigmoid(self.base_biases[layer]).expand(chains, -1), generator)
                          for layer in range(0, len(self.sizes), 2)], 1)

    def step(self, state: Tensor, beta_from: float, beta_to: float,
             generator: torch.Generator) -> tuple[Tensor, Tensor]:
        layers: list[Tensor | None] = [None] * len(self.sizes)
        layers[0::2] = state.split(self.even_sizes, dim=1)
        increment = torch.zeros(len(state), dtype=torch.float64, device=state.device)
        for layer in range(0, len(layers), 2):
            increment += (beta_to - beta_from) * (layers[layer] @ self.bias_changes[layer]).double()
        for layer in range(1, len(layers), 2):   # odd layers: summed out for the weight, then sampled at beta_to
            total_input = layer_input(self.weights, self.biases, layers, layer)
            input_to = torch.lerp(self.base_biases[layer], total_input, beta_to)
            # per-unit differences first, then a float64 sum: 14,500 float32 sums of hundreds of terms would drift
            increment += (F.softplus(input_to) - F.softplus(torch.lerp(self.base_biases[layer], total_input, beta_from))
                          ).sum(1, dtype=torch.float64)
            layers[layer] = sample_bernoulli(input_to.sigmoid_(), generator)
        for layer in range(0, len(layers), 2):
            total_input = layer_input(self.weights, self.biases, layers, layer)
            layers[layer] = sample_bernoulli(torch.lerp(self.base_biases[layer], total_input, beta_to).sigmoid_(),
                                             generator)
        evens = cast(list[Tensor], layers[0::2])   # all given now
        return increment, evens[0] if len(evens) == 1 else torch.cat(evens, 1)


class GaussianVisiblePath:
    """f_beta(v) = exp(-||v - b||^2 / 2) prod_j (1 + exp((1 - beta) a_j + beta (c_j + (vW)_j))) for a
    Gaussian-Bernoulli RBM: the weights annealed in from a base N(b, I) x independent hidden units with base rates
    a = c + bW, their input at the visible mean (as BaseRatePath gives its hidden layers), so Z_0 = (2 pi)^(V/2)
    prod_j (1 + exp(a_j)). The Gibbs move at beta draws h ~ sigmoid(lerp(a, c + vW, beta)) and
    v ~ N(b + beta W h, I)."""

    def __init__(self, rbm):
        self.rbm = rbm
        self.device = rbm.weights.device
        self.hidden_base = rbm.hidden_input(rbm.visible_bias.unsqueeze(0)).squeeze(0).detach().clone()

    def log_base_partition(self) -> float:
        return self.rbm.visible / 2 * math.log(2 * math.pi) + F.softplus(self.hidden_base.double()).sum().item()

    def base_samples(self, chains: int, generator: torch.Generator) -> Tensor:
        return self.rbm.visible_bias + normal((chains, self.rbm.visible), self.device, generator)

    def step(self, v: Tensor, beta_from: float, beta_to: float, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        rbm = self.rbm
        hidden_input = rbm.hidden_input(v)
        input_to = torch.lerp(self.hidden_base, hidden_input, beta_to)
        increment = (F.softplus(input_to) - F.softplus(torch.lerp(self.hidden_base, hidden_input, beta_from))
                     ).sum(1, dtype=torch.float64)
        h = sample_bernoulli(input_to.sigmoid_(), generator)
        return increment, rbm.sample_visible(rbm.visible_mean(h, down=beta_to), generator)


def log_partition_ais(machine, betas: Tensor, chains: int, data: Tensor | None = None, seed: int = 0,
                      reverse: bool = True) -> AISResult:
    """log Z of an RBM or a DBM by AIS from the base-rate model of ``data`` (Salakhutdinov & Murray 2008)."""
    path = BaseRatePath.from_data(machine, data) if data is not None else BaseRatePath(machine)
    return log_partition_by_annealing(path, betas, chains, seed, reverse)
