"""The restricted Boltzmann machine trained by contrastive divergence (Hinton 2002) or persistent CD (Tieleman 2008).

The update is the closed-form statistic of the algorithm, not autograd: the gradient of the mean
log-likelihood is <v h^T>_data - <v h^T>_model (Hinton 2010, eq. 9), the model term taken after
k Gibbs sweeps from the data (CD-k) or from chains that persist between updates (PCD). Momentum,
weight decay and the initialisation follow Hinton's practical guide (2010, Sections 8-10); the
learning rate falls linearly over the run, as in Tieleman 2008.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from genzoo.config import option
from genzoo.errors import GenzooError
from genzoo.evaluate.ais import RBMBaseRatePath, annealing_schedule, log_partition_by_annealing
from genzoo.evaluate.estimate import Estimate
from genzoo.evaluate.exact import MAX_ENUMERATED_BITS, log_partition_exact
from genzoo.models.base import GenerativeModel
from genzoo.nn.rbm import RBM, sample_bernoulli, smoothed_mean


@dataclass
class RBMConfig:
    hidden: int = option(500, "hidden units (Salakhutdinov & Murray 2008: 500 on MNIST)", low=1)
    cd_steps: int = option(1, "Gibbs sweeps per update, the k of CD-k (Hinton 2002)", low=1)
    persistent: bool = option(False, "keep the negative chains between updates: PCD (Tieleman 2008)")
    persistent_chains: int = option(100, "number of persistent chains (Tieleman 2008: one per training case)",
                                    low=1)
    lr: float = option(0.01, "learning rate at the start; with momentum 0.9 a step of about 0.1 (Hinton 2010, Section 4)",
                       low=0.0)
    final_lr_fraction: float = option(0.0, "learning rate at the end of the run as a fraction of lr, reached "
                                      "linearly (Tieleman 2008 decays to 0); extending a finished run with --resume "
                                      "stretches the schedule over the new length", low=0.0, high=1.0)
    momentum: float = option(0.9, "momentum after the warm-up (Hinton 2010, Section 9)", low=0.0, high=1.0)
    initial_momentum: float = option(0.5, "momentum during the warm-up (Hinton 2010, Section 9)", low=0.0, high=1.0)
    momentum_warmup: int = option(2500, "updates at initial_momentum (about 5 epochs of MNIST)", low=0)
    weight_decay: float = option(2e-4, "L2 penalty on the weights, not the biases (Hinton 2010, Section 10)",
                                 low=0.0)
    sample_steps: int = option(1000, "Gibbs sweeps before a chain's state is taken as a sample", low=1)


class BernoulliRBM(GenerativeModel):
    """Binary visible and hidden units; trains on binarized images (``--set data.binarize=dynamic`` or fixed)."""

    name = "rbm"
    summary = "restricted Boltzmann machine, CD-k or persistent CD, AIS log-likelihood"
    Config = RBMConfig
    train_defaults = {"batch_size": 100}   # Salakhutdinov & Murray 2008, Section 4

    def __init__(self, cfg: RBMConfig, image_shape: tuple[int, int, int], num_classes: int):
        super().__init__(cfg, image_shape, num_classes)
        visible = math.prod(self.image_shape)
        self.rbm = RBM(visible, cfg.hidden)
        self.rbm.weights.normal_(0, 0.01)   # Hinton 2010, Section 8
        self.register_buffer("persistent_chains", torch.bernoulli(torch.full((cfg.persistent_chains, visible), 0.5)))
        self.register_buffer("pixel_sums", torch.zeros(visible, dtype=torch.float64))   # for the AIS base rate
        self.register_buffer("images_seen", torch.zeros((), dtype=torch.long))
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))
        params = self.rbm
        self.optimizers = {"rbm": torch.optim.SGD([
            {"params": [params.weights], "weight_decay": cfg.weight_decay},
            {"params": [params.visible_bias, params.hidden_bias], "weight_decay": 0.0}],
            lr=cfg.lr, momentum=cfg.initial_momentum)}

    @classmethod
    def resolve(cls, cfg: RBMConfig, binarized: bool) -> RBMConfig:
        if not binarized:
            raise GenzooError("the rbm models binary images: add --set data.binarize=dynamic (or fixed)")
        return cfg

    def train_step(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """One CD-k or PCD update of weights and biases from the batch's data and model statistics."""
        v_data = x.flatten(1)
        if self.updates == 0:   # visible biases start at log p/(1-p) of the first batch (Hinton 2010, Section 8)
            self.rbm.visible_bias.copy_(torch.logit(smoothed_mean(v_data.sum(0), len(v_data), 0.5)))
        self.pixel_sums += v_data.sum(0).double()
        self.images_seen += len(v_data)
        start = self.persistent_chains if self.cfg.persistent else v_data
        v_model = self.gibbs(start, self.cfg.cd_steps)
        if self.cfg.persistent:
            self.persistent_chains.copy_(v_model)
        data_input, model_input = self.rbm.hidden_input(v_data), self.rbm.hidden_input(v_model)
        measured = self._data_scalars(v_data, data_input)
        measured["free_energy_gap"] = measured["free_energy"] - self.rbm.free_energy(v_model, model_input).mean().item()
        self._ascend(log_likelihood_gradient(v_data, torch.sigmoid(data_input), v_model, torch.sigmoid(model_input)))
        return {**measured, "lr": self.optimizers["rbm"].param_groups[0]["lr"]}

    @torch.no_grad()
    def validation_scalars(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """Mean free energy (the training batches log it too: a widening gap means overfitting, Hinton 2010,
        Section 6) and reconstruction error."""
        v = x.flatten(1)
        return self._data_scalars(v, self.rbm.hidden_input(v))

    def _data_scalars(self, v: Tensor, hidden_input: Tensor) -> dict[str, float]:
        reconstruction = self.rbm.visible_probs(torch.sigmoid(hidden_input))
        return {"free_energy": self.rbm.free_energy(v, hidden_input).mean().item(),
                "reconstruction_error": (v - reconstruction).square().sum(1).mean().item()}

    def _ascend(self, gradients: tuple[Tensor, Tensor, Tensor]) -> None:
        """Gradient ascent with momentum and weight decay, at this update's learning rate and momentum."""
        cfg, opt = self.cfg, self.optimizers["rbm"]
        progress = self.updates.item() / self.total_steps if self.total_steps else 0.0
        lr = cfg.lr * (1 - (1 - cfg.final_lr_fraction) * min(progress, 1.0))
        momentum = cfg.initial_momentum if self.updates < cfg.momentum_warmup else cfg.momentum
        for group in opt.param_groups:
            group["lr"], group["momentum"] = lr, momentum
        for parameter, gradient in zip((self.rbm.weights, self.rbm.visible_bias, self.rbm.hidden_bias), gradients):
            parameter.grad = -gradient   # SGD descends; the log-likelihood is climbed
        opt.step()
        self.updates += 1

    def gibbs(self, v: Tensor, sweeps: int, generator: torch.Generator | None = None) -> Tensor:
        for _ in range(sweeps):
            _, v = self.rbm.gibbs_sweep(v, generator)
        return v

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, labels: Tensor | None = None) -> Tensor:
        """p(v|h) after ``sample_steps`` Gibbs sweeps of n independent chains started from the base rate."""
        return self.gibbs_chain(n, 1, self.cfg.sample_steps, generator)[0]

    def figures(self, generator: torch.Generator) -> dict[str, tuple[Tensor, int]]:
        """Ten Gibbs chains from the base rate, one per row, p(v|h) every sample_steps / 10 sweeps."""
        frames = self.gibbs_chain(10, 10, max(1, self.cfg.sample_steps // 10), generator)
        return {"gibbs_chain": (frames.transpose(0, 1).flatten(0, 1), 10)}

    @torch.no_grad()
    def gibbs_chain(self, n: int, snapshots: int, every: int, generator: torch.Generator | None = None) -> Tensor:
        """(snapshots, n, C, H, W): n chains from the base rate, p(v|h) recorded every ``every`` sweeps."""
        v = sample_bernoulli(self.base_rate().expand(n, -1), generator)
        frames = []
        for _ in range(snapshots):
            v = self.gibbs(v, every - 1, generator)
            h = sample_bernoulli(self.rbm.hidden_probs(v), generator)
            frames.append(self.rbm.visible_probs(h).reshape(n, *self.image_shape))
            v = sample_bernoulli(frames[-1].flatten(1), generator)
        return torch.stack(frames)

    def base_rate(self) -> Tensor:
        """Pixel means of the training data seen so far (0.5 before any), smoothed away from 0 and 1."""
        if self.images_seen == 0:
            return torch.full((self.rbm.visible,), 0.5)
        return smoothed_mean(self.pixel_sums, self.images_seen.item(), 0.05).float()

    @torch.no_grad()
    def log_likelihood(self, images: Tensor, budget: dict[str, int], seed: int) -> Estimate:
        """log p(v) = -F(v) - log Z, with log Z exact when the smaller layer has at most 20 units, else by AIS
        from the base-rate model (budget 'betas', default 14,500, and 'chains', default 100)."""
        v = images.flatten(1)
        free_energy = self.rbm.free_energy(v).double()
        if min(self.rbm.visible, self.rbm.hidden) <= MAX_ENUMERATED_BITS:
            log_z, log_z_stderr, details = log_partition_exact(self.rbm), 0.0, {"log_partition": "exact"}
            method, used = "exact", {}
        else:
            used = {"betas": budget.get("betas", 14_500), "chains": budget.get("chains", 100)}
            path = RBMBaseRatePath(self.rbm, torch.logit(self.base_rate()))
            ais = log_partition_by_annealing(path, annealing_schedule(used["betas"]), used["chains"], seed)
            log_z, log_z_stderr, details = ais.log_partition.value, ais.log_partition.stderr, ais.to_dict()
            method = "AIS estimate (log Z a stochastic lower bound, so log p(x) errs high)"
        estimate = Estimate.mean_of(-free_energy - log_z, method, used)
        estimate.stderr = math.hypot(estimate.stderr, log_z_stderr)
        estimate.details = details
        return estimate


def log_likelihood_gradient(v_data: Tensor, h_data: Tensor, v_model: Tensor,
                            h_model: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(dW, db, dc) = <v p(h|v)>_data - <v p(h|v)>_model, the RBM's log-likelihood gradient with the model
    expectation taken over ``v_model`` and the hidden units averaged analytically (Hinton 2010, eq. 9);
    ``h_data`` and ``h_model`` are p(h = 1 | v) of each."""
    weights = v_data.T @ h_data / len(v_data) - v_model.T @ h_model / len(v_model)
    return weights, v_data.mean(0) - v_model.mean(0), h_data.mean(0) - h_model.mean(0)
