"""Training one RBM by contrastive divergence (Hinton 2002) or persistent CD (Tieleman 2008).

The rbm model trains one of these, the dbn a stack of them and the dbm its pretraining modules. The
update is the closed-form statistic of the algorithm, not autograd: the gradient of the mean
log-likelihood is <v h^T>_data - <v h^T>_model (Hinton 2010, eq. 9), the model term taken after
k Gibbs sweeps from the data (CD-k) or from chains that persist between updates (PCD). Momentum,
weight decay and the initialisation follow Hinton's practical guide (2010, Sections 8-10); the
learning rate falls linearly over the module's training, as in Tieleman 2008.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from genzoo.config import option
from genzoo.devices import sample_bernoulli
from genzoo.nn.dbm import statistics_difference
from genzoo.nn.rbm import RBM, smoothed_mean
from genzoo.parallel import gather_over_ranks, sum_over_ranks


@dataclass
class ContrastiveDivergenceConfig:
    """The learning rule's settings, shared by every model that trains RBMs."""

    cd_steps: int = option(1, "Gibbs sweeps per update, the k of CD-k (Hinton 2002)", low=1)
    persistent: bool = option(True, "keep the negative chains between updates: PCD (Tieleman 2008), as every "
                              "benchmark trains; false restarts them at the data: CD-k (Hinton 2002)")
    persistent_chains: int = option(100, "number of persistent chains (Tieleman 2008: one per training case)",
                                    low=1)
    lr: float = option(0.01, "learning rate at the start; with momentum 0.9 a step of about 0.1 (Hinton 2010, "
                       "Section 4)", low=0.0)
    final_lr_fraction: float = option(0.0, "learning rate at the end of training as a fraction of lr, reached "
                                      "linearly (Tieleman 2008 decays to 0); extending a finished run with --resume "
                                      "stretches the schedule over the new length", low=0.0, high=1.0)
    momentum: float = option(0.9, "momentum after the warm-up (Hinton 2010, Section 9)", low=0.0, high=1.0)
    initial_momentum: float = option(0.5, "momentum during the warm-up (Hinton 2010, Section 9)", low=0.0, high=1.0)
    momentum_warmup: int = option(2500, "updates at initial_momentum (about 5 epochs of MNIST)", low=0)
    weight_decay: float = option(2e-4, "L2 penalty on the weights, not the biases (Hinton 2010, Section 10)",
                                 low=0.0)


class RunningMeans(nn.Module):
    """Means of binary units over all the data seen in training, kept for AIS's base-rate model."""

    sums: Tensor
    seen: Tensor

    def __init__(self, units: int):
        super().__init__()
        self.register_buffer("sums", torch.zeros(units, dtype=torch.float64))
        self.register_buffer("seen", torch.zeros((), dtype=torch.long))

    def observe(self, batch: Tensor) -> None:
        """Count a batch in; under data parallelism every rank's share of the global batch."""
        sums, seen = batch.sum(0).double(), torch.tensor(len(batch), device=self.seen.device)
        sum_over_ranks(sums, seen)
        self.sums += sums
        self.seen += seen

    def base_rate(self) -> Tensor:
        """The means so far (0.5 before any data), smoothed away from 0 and 1 so that their logits stay finite."""
        if self.seen == 0:
            return torch.full(self.sums.shape, 0.5, device=self.sums.device)
        return smoothed_mean(self.sums, int(self.seen.item()), 0.05).float()


class GradientAscent:
    """SGD climbing a log-likelihood gradient given in closed form: momentum that rises after a warm-up, weight decay
    on the weights only, and a learning rate falling linearly to ``final_lr_fraction`` of ``lr``."""

    def __init__(self, weights: Sequence[nn.Parameter], biases: Sequence[nn.Parameter],
                 cfg: ContrastiveDivergenceConfig):
        self.cfg = cfg
        self.parameters = [*weights, *biases]
        self.optimizer = torch.optim.SGD([{"params": list(weights), "weight_decay": cfg.weight_decay},
                                          {"params": list(biases), "weight_decay": 0.0}],
                                         lr=cfg.lr, momentum=cfg.initial_momentum, maximize=True,
                                         fused=True)

    def ascend(self, gradients: Sequence[Tensor], update: int, total: int | None) -> float:
        """Step ``update`` (counted from 0) of ``total`` along ``gradients`` (in the order weights, biases); returns
        the learning rate used."""
        cfg = self.cfg
        progress = min(update / total, 1.0) if total else 0.0
        lr = cfg.lr * (1 - (1 - cfg.final_lr_fraction) * progress)
        momentum = cfg.initial_momentum if update < cfg.momentum_warmup else cfg.momentum
        for group in self.optimizer.param_groups:
            group["lr"], group["momentum"] = lr, momentum
        for parameter, gradient in zip(self.parameters, gradients, strict=True):
            parameter.grad = gradient   # climbed: the optimizer maximizes
        self.optimizer.step()
        return lr


class ContrastiveDivergence(nn.Module):
    """An RBM with its negative chains, its update count, the visible statistics for its AIS base rate, and its SGD.

    ``up`` and ``down`` scale the input each layer receives from the other: the bottom module of a DBM
    is trained with its visible input counted twice (up = 2) and the top one with its hidden input
    counted twice (down = 2), so that halving the doubled inputs in the composed DBM corrects for
    each layer then hearing from two neighbours (Salakhutdinov & Hinton 2009, Section 3.1).
    """

    persistent_chains: Tensor
    updates: Tensor

    def __init__(self, rbm: RBM, cfg: ContrastiveDivergenceConfig, up: float = 1.0, down: float = 1.0):
        super().__init__()
        self.cfg, self.up, self.down = cfg, up, down
        self.rbm = rbm
        self.register_buffer("persistent_chains",
                             torch.bernoulli(torch.full((cfg.persistent_chains, rbm.visible), 0.5)))
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))
        self.visible_means = RunningMeans(rbm.visible)
        self.ascent = GradientAscent([rbm.weights], [rbm.visible_bias, rbm.hidden_bias], cfg)
        self.positive: Tensor | None = None   # v of the last update's batch
        self.negative: Tensor | None = None   # v of the last update's negative phase, where up-down sleeps from

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        return self.ascent.optimizer

    def hidden_input(self, v: Tensor) -> Tensor:
        return torch.addmm(self.rbm.hidden_bias, v, self.rbm.weights, alpha=self.up)

    def hidden_probs(self, v: Tensor) -> Tensor:
        return torch.sigmoid(self.hidden_input(v))

    def visible_mean(self, h: Tensor) -> Tensor:
        return self.rbm.visible_mean(h, self.down)

    def gibbs(self, v: Tensor, sweeps: int, generator: torch.Generator | None = None) -> Tensor:
        for _ in range(sweeps):
            h = sample_bernoulli(self.hidden_probs(v), generator)
            v = self.rbm.sample_visible(self.visible_mean(h), generator)
        return v

    def base_rate(self) -> Tensor:
        return self.visible_means.base_rate()

    def model_samples(self) -> Tensor | None:
        """The persistent chains, approximate samples of the model once PCD has run, for AIS's reverse check; None
        under CD, whose chains restart at the data."""
        return self.persistent_chains if self.cfg.persistent and self.updates > 0 else None

    def update(self, v_data: Tensor, total_updates: int | None) -> dict[str, float]:
        """One CD-k or PCD update from a batch of binary visible vectors; ``total_updates`` sets the lr schedule. Its
        negative state (the visible vectors after the k Gibbs sweeps) is kept in ``negative`` until the next one, and
        its batch in ``positive``, for ``monitoring_scalars``. Returns the learning rate it used."""
        if self.updates == 0:   # visible biases start at the first batch's means (Hinton 2010, Section 8)
            self.rbm.visible_bias.copy_(self.rbm.initial_visible_bias(gather_over_ranks(v_data)))
        self.visible_means.observe(v_data)
        start = self.persistent_chains if self.cfg.persistent else v_data
        v_model = self.gibbs(start, self.cfg.cd_steps)
        if self.cfg.persistent:
            self.persistent_chains.copy_(v_model)
        self.positive, self.negative = v_data, v_model
        data_probs, model_probs = self.hidden_probs(v_data), self.hidden_probs(v_model)
        gradients = statistics_difference([v_data, data_probs], [v_model, model_probs])
        lr = self.ascent.ascend(gradients, int(self.updates), total_updates)
        self.updates += 1
        return {"lr": lr}

    @torch.no_grad()
    def monitoring_scalars(self) -> dict[str, float]:
        """``data_scalars`` of the last update's batch, and for a plain RBM the free energy gap between that batch and
        the negative state, at the parameters the update left: a product and the free energies that the loop asks
        for only on the steps it logs, where computing them each update cost a seventh of it."""
        if self.positive is None or self.negative is None:
            return {}
        measured = self.data_scalars(self.positive)
        if "free_energy" in measured:
            measured["free_energy_gap"] = measured["free_energy"] - self.rbm.free_energy(self.negative).mean().item()
        return measured

    @torch.no_grad()
    def data_scalars(self, v: Tensor, hidden_input: Tensor | None = None) -> dict[str, float]:
        """Reconstruction error, and the mean free energy where the module is a plain RBM (a widening gap between
        training and validation free energy means overfitting, Hinton 2010, Section 6)."""
        hidden_input = self.hidden_input(v) if hidden_input is None else hidden_input
        reconstruction = self.visible_mean(torch.sigmoid(hidden_input))
        measured = {"reconstruction_error": (v - reconstruction).square().sum(1).mean().item()}
        if self.up == self.down == 1.0:
            measured["free_energy"] = self.rbm.free_energy(v, hidden_input).mean().item()
        return measured
