"""The restricted Boltzmann machine trained by contrastive divergence (Hinton 2002) or persistent CD (Tieleman 2008).

The learning rule lives in genzoo.nn.contrastive_divergence, shared with the DBN and the DBM's
pretraining; this module makes one RBM a model: sampling, the Gibbs-chain picture and the test
log-likelihood (exact, or by AIS from the base-rate model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from genzoo.config import option
from genzoo.devices import sample_bernoulli
from genzoo.errors import GenzooError
from genzoo.likelihood.estimate import Estimate
from genzoo.likelihood.partition import rbm_log_likelihood
from genzoo.models.base import GibbsChainModel, require_binarized
from genzoo.nn.contrastive_divergence import ContrastiveDivergence, ContrastiveDivergenceConfig
from genzoo.nn.rbm import RBM, GaussianRBM
from genzoo.parallel import gather_over_ranks


@dataclass
class RBMConfig(ContrastiveDivergenceConfig):
    hidden: int = option(500, "hidden units (Salakhutdinov & Murray 2008: 500 on MNIST)", low=1)
    visible: str = option("binary", "binary units for binarized images; gaussian (unit variance) for grey images, "
                          "standardized by the first batch's pixel means and overall standard deviation (Hinton "
                          "2010, Section 13.2, who advises a smaller learning rate should training diverge)",
                          choices=("binary", "gaussian"))
    sample_steps: int = option(1000, "Gibbs sweeps before a chain's state is taken as a sample", low=1)


class RestrictedBoltzmannMachine(GibbsChainModel):
    """Binary hidden units; binary visible units for binarized images (fixed by default, or ``--set
    data.binarize=dynamic``), or Gaussian ones for grey images (``--set model.visible=gaussian``)."""

    name = "rbm"
    summary = "restricted Boltzmann machine, CD-k or persistent CD, AIS log-likelihood"
    paper = ("Hinton 2002 (CD-k); Tieleman 2008 (PCD); Salakhutdinov & Murray 2008 (AIS); Hinton 2010 (practical "
             "guide, Gaussian units)")
    departures = (
        "AIS starts from a base-rate model with hidden base rates too, where Salakhutdinov & Murray leave the hidden "
        "units uniform: for wide RBMs the uniform base left forward and reverse AIS tens of nats apart",
        "log Z exactly by enumeration when a layer has at most 20 units, the oracle the tests hold AIS to",
    )
    Config = RBMConfig
    # batch: Salakhutdinov & Murray 2008, Section 4; 100 epochs: the rbm_mnist benchmark took 8 s an epoch on 2 cores
    train_defaults = {"batch_size": 100, "epochs": 100}
    quick_budget = {"betas": 500, "chains": 16}

    pixel_mean: Tensor
    pixel_scale: Tensor

    def __init__(self, cfg: RBMConfig, image_shape: tuple[int, int, int], num_classes: int):
        super().__init__(cfg, image_shape, num_classes)
        visible = math.prod(self.image_shape)
        rbm = (GaussianRBM if cfg.visible == "gaussian" else RBM).initialised(visible, cfg.hidden)
        self.learner = ContrastiveDivergence(rbm, cfg)
        self.optimizers = {"rbm": self.learner.optimizer}
        self.register_buffer("pixel_mean", torch.zeros(visible))   # standardization of grey images (gaussian)
        self.register_buffer("pixel_scale", torch.ones(()))

    @property
    def rbm(self) -> RBM:
        return self.learner.rbm

    @classmethod
    def default_binarization(cls, cfg: RBMConfig) -> str:
        """Binary units learn from images binarized once (as Salakhutdinov & Murray 2008); Gaussian ones from grey."""
        return "none" if cfg.visible == "gaussian" else "fixed"

    @classmethod
    def resolve(cls, cfg: RBMConfig, binarized: bool) -> RBMConfig:
        if cfg.visible == "binary":
            require_binarized(cls.name, binarized)
        elif binarized:
            raise GenzooError("model.visible=gaussian models grey images: drop data.binarize (or use visible=binary)")
        return cfg

    @property
    def gaussian(self) -> bool:
        return isinstance(self.rbm, GaussianRBM)

    def visible_units(self, x: Tensor) -> Tensor:
        """Images as visible vectors: as they are for binary units, standardized for Gaussian ones."""
        v = x.flatten(1)
        return (v - self.pixel_mean) / self.pixel_scale if self.gaussian else v

    def train_step(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """One CD-k or PCD update of weights and biases from the batch's data and model statistics."""
        if self.gaussian and self.learner.updates == 0:   # the global batch's statistics under data parallelism
            first = gather_over_ranks(x.flatten(1))
            self.pixel_mean.copy_(first.mean(0))
            self.pixel_scale.copy_(first.std().clamp_min(1e-3))
        return self.learner.update(self.visible_units(x), self.total_steps)

    def monitoring_scalars(self) -> dict[str, float]:
        """Reconstruction error, free energy and free energy gap of the last update's batch."""
        return self.learner.monitoring_scalars()

    @torch.no_grad()
    def validation_scalars(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """Mean free energy (the training batches log it too) and reconstruction error."""
        return self.learner.data_scalars(self.visible_units(x))

    @torch.no_grad()
    def gibbs_chain(self, n: int, snapshots: int, every: int, generator: torch.Generator | None = None) -> Tensor:
        """(snapshots, n, C, H, W): n chains from the base rate, p(v|h) recorded every ``every`` sweeps."""
        v = self.rbm.sample_visible(self.learner.base_rate().expand(n, -1), generator)
        frames = torch.stack(self.rbm.gibbs_snapshots(v, snapshots, every, generator))
        if self.gaussian:   # E[v | h] back in pixel units
            frames = (frames * self.pixel_scale + self.pixel_mean).clamp(0, 1)
        return frames.reshape(snapshots, n, *self.image_shape)

    @torch.no_grad()
    def pixel_sweep(self, v: Tensor, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """v -> h -> v: binary pixels sampled from E[v | h] (Gaussian units: E[v | h] in pixel units is the state)."""
        h = sample_bernoulli(self.rbm.hidden_probs(self.visible_units(v)), generator)
        mean = self.rbm.visible_mean(h)
        if self.gaussian:
            mean = (mean * self.pixel_scale + self.pixel_mean).clamp(0, 1)
            return mean, mean
        return sample_bernoulli(mean, generator), mean

    @torch.no_grad()
    def reconstruct(self, images: Tensor) -> Tensor:
        """E[v | h] at the hidden units' probabilities given the image: the mean-field reconstruction."""
        mean = self.rbm.visible_mean(self.rbm.hidden_probs(self.visible_units(images)))
        if self.gaussian:
            mean = mean * self.pixel_scale + self.pixel_mean
        return mean.clamp(0, 1).reshape(len(images), *self.image_shape)

    def log_likelihood(self, images: Tensor, budget: dict[str, int], seed: int) -> Estimate:
        """log p(v) = -F(v) - log Z, with log Z exact when the smaller layer has at most 20 units, else by AIS
        from the base-rate model (budget 'betas', default 14,500, and 'chains', default 100). For Gaussian units, the
        log density of the grey pixels: that of the standardized vector minus V log(scale)."""
        estimate = rbm_log_likelihood(self.rbm, torch.logit(self.learner.base_rate()),
                                      self.visible_units(images), budget, seed, self.learner.model_samples())
        if self.gaussian:
            estimate.value -= self.rbm.visible * math.log(self.pixel_scale.item())
            estimate.method = f"log density of grey pixels, continuous; {estimate.method}"
        return estimate
