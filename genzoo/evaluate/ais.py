"""Annealed importance sampling (Neal 2001) for log partition functions, with a reverse run as a check.

AIS moves chains from a tractable base distribution p_0 to the target p_K through intermediate
distributions f_k, reweighting as it goes; E[w] = Z_K / Z_0. Its log estimate is a stochastic
lower bound on log Z (Jensen). Run the other way, from samples of the target back to the base,
it gives a stochastic upper bound when those samples are exact (Grosse, Ghahramani & Adams 2015,
bidirectional Monte Carlo). Exact samples of an RBM are not available, so genzoo starts the reverse
chains from the forward chains' final states resampled by their weights: the reverse figure is then
only approximately an upper bound.
A wide gap between the two, or degenerate weights, says the annealing was too short to trust; a
small gap does not prove the estimate right (both runs can miss the same modes), which is why the
tests hold AIS to exact values on models small enough to enumerate.

The annealing itself is model-agnostic: a model supplies an :class:`AnnealingPath`. The RBM's
base-rate path (Salakhutdinov & Murray 2008, Section 4.1) lives here; the DBN and DBM reuse it or
supply their own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor

from genzoo.errors import GenzooError
from genzoo.evaluate.estimate import Estimate
from genzoo.nn.rbm import RBM, sample_bernoulli, smoothed_mean

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
    """A family f_beta from a tractable base (beta = 0) to the model (beta = 1), with MCMC moves for each beta."""

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
def anneal(path: AnnealingPath, betas: Tensor, state: Any, generator: torch.Generator) -> tuple[Tensor, Any]:
    """Carry ``state`` along ``betas``; returns the accumulated log weights and the final state."""
    log_weights = None
    for beta_from, beta_to in zip(betas[:-1].tolist(), betas[1:].tolist()):
        increment, state = path.step(state, beta_from, beta_to, generator)
        log_weights = increment.double() if log_weights is None else log_weights + increment
    return log_weights, state


@torch.no_grad()
def log_partition_by_annealing(path: AnnealingPath, betas: Tensor, chains: int, seed: int = 0,
                               reverse: bool = True) -> AISResult:
    """log Z of the model at the end of ``path`` by AIS with ``chains`` chains, and optionally the reverse check,
    started from the forward chains' final states resampled in proportion to their weights."""
    generator = torch.Generator().manual_seed(seed)
    budget = {"betas": len(betas) - 1, "chains": chains, "seed": seed}
    log_weights, final = anneal(path, betas, path.base_samples(chains, generator), generator)
    forward, ess = log_mean_exp_estimate(log_weights, path.log_base_partition(), 1, "AIS (stochastic lower bound)",
                                         budget)
    backward = None
    if reverse:   # importance resampling turns the weighted final states into approximate model samples
        chosen = torch.multinomial(torch.softmax(log_weights, 0), chains, replacement=True, generator=generator)
        reverse_weights, _ = anneal(path, betas.flip(0), final[chosen], generator)
        backward, _ = log_mean_exp_estimate(reverse_weights, path.log_base_partition(), -1,
                                            "reverse AIS (approximate upper bound)", budget)
    return AISResult(forward, backward, ess)


class RBMBaseRatePath:
    """f_beta(v) = exp((1 - beta) b_A.v) * exp(beta b.v) * prod_j (1 + exp(beta (c_j + (vW)_j))).

    Salakhutdinov & Murray 2008, eq. 15-17: the base is an RBM with no weights whose visible biases
    b_A match the data's pixel means (the "base-rate model"), so Z_A = 2^H prod_i (1 + exp(b_A,i)).
    The hidden units are summed out of the weights and sampled for the Gibbs move.
    """

    def __init__(self, rbm: RBM, base_visible_bias: Tensor | None = None):
        self.rbm = rbm
        self.base_bias = torch.zeros(rbm.visible) if base_visible_bias is None else base_visible_bias.float()
        self.bias_change = rbm.visible_bias - self.base_bias

    @classmethod
    def from_data(cls, rbm: RBM, images: Tensor, smoothing: float = 0.05) -> "RBMBaseRatePath":
        """The base-rate model fitted to ``images`` (N, V) by matching pixel means, smoothed away from 0 and 1."""
        mean = smoothed_mean(images.reshape(len(images), -1).double().sum(0), len(images), smoothing)
        return cls(rbm, torch.logit(mean).float())

    def log_base_partition(self) -> float:
        return self.rbm.hidden * math.log(2) + F.softplus(self.base_bias.double()).sum().item()

    def base_samples(self, chains: int, generator: torch.Generator) -> Tensor:
        return sample_bernoulli(torch.sigmoid(self.base_bias).expand(chains, -1), generator)

    def step(self, v: Tensor, beta_from: float, beta_to: float, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        rbm = self.rbm
        hidden_input = torch.addmm(rbm.hidden_bias, v, rbm.weights)
        # per-unit differences first, then a float64 sum: 14,500 float32 sums of hundreds of terms would drift
        increment = ((F.softplus(beta_to * hidden_input) - F.softplus(beta_from * hidden_input)).sum(1, dtype=torch.float64)
                     + (beta_to - beta_from) * (v @ self.bias_change).double())
        h = sample_bernoulli(hidden_input.mul_(beta_to).sigmoid_(), generator)
        visible_input = torch.addmm(self.base_bias + beta_to * self.bias_change, h, rbm.weights.T, alpha=beta_to)
        return increment, sample_bernoulli(visible_input.sigmoid_(), generator)


def log_partition_ais(rbm: RBM, betas: Tensor, chains: int, data: Tensor | None = None, seed: int = 0,
                      reverse: bool = True) -> AISResult:
    """log Z of an RBM by AIS from the base-rate model of ``data`` (Salakhutdinov & Murray 2008)."""
    path = RBMBaseRatePath.from_data(rbm, data) if data is not None else RBMBaseRatePath(rbm)
    return log_partition_by_annealing(path, betas, chains, seed, reverse)
