"""The deep belief network: RBMs trained greedily, layer by layer (Hinton, Osindero & Teh 2006).

P(v, h_1, .., h_L) = P(h_{L-1}, h_L) prod_l P(h_{l-1} | h_l): the top two layers form an RBM and the
layers below are directed, each using the weights and visible biases of the RBM trained at that
level. Training has one phase per layer; layer l learns from samples of q(h_l | h_{l-1}) of the
frozen layers below. Generation is Gibbs sampling in the top RBM, then one top-down pass. The test
log-likelihood is the variational lower bound with log Z of the top RBM by AIS (Salakhutdinov &
Murray 2008, Section 5, eq. 21).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genzoo.config import option
from genzoo.errors import GenzooError
from genzoo.evaluate.estimate import Estimate
from genzoo.evaluate.partition import log_partition, minus_log_partition
from genzoo.models.base import GenerativeModel, require_binarized
from genzoo.nn.contrastive_divergence import ContrastiveDivergence, ContrastiveDivergenceConfig
from genzoo.nn.dbm import binary_entropy
from genzoo.nn.rbm import RBM, sample_bernoulli


@dataclass
class DBNConfig(ContrastiveDivergenceConfig):
    layers: tuple[int, ...] = option((500, 2000), "hidden layer sizes, bottom to top; the top two layers form an "
                                     "RBM (Salakhutdinov & Murray 2008: 500-2000 on MNIST)", low=1)
    sample_steps: int = option(1000, "Gibbs sweeps in the top RBM before the top-down pass", low=1)


class DBN(GenerativeModel):
    """A stack of RBMs trained greedily, each for an equal share of the run; binarized images only."""

    name = "dbn"
    summary = "deep belief network, greedy layer-wise RBMs, variational bound with AIS on the top RBM"
    Config = DBNConfig
    train_defaults = {"batch_size": 100}   # Salakhutdinov & Murray 2008, Section 4

    def __init__(self, cfg: DBNConfig, image_shape: tuple[int, int, int], num_classes: int):
        super().__init__(cfg, image_shape, num_classes)
        sizes = [math.prod(self.image_shape), *cfg.layers]
        self.learners = nn.ModuleList()
        for visible, hidden in zip(sizes[:-1], sizes[1:]):
            rbm = RBM(visible, hidden)
            rbm.weights.normal_(0, 0.01)   # Hinton 2010, Section 8
            self.learners.append(ContrastiveDivergence(rbm, cfg))
        self.optimizers = {f"layer{i + 1}": learner.optimizer for i, learner in enumerate(self.learners)}
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))

    @classmethod
    def resolve(cls, cfg: DBNConfig, binarized: bool) -> DBNConfig:
        require_binarized(cls.name, binarized)
        if len(cfg.layers) < 2:
            raise GenzooError("a dbn needs at least two hidden layers (e.g. --set model.layers=[500,2000]); "
                              "one is the rbm model")
        return cfg

    def phase_bounds(self) -> list[int]:
        """The update at which each layer starts, and the total: the run split equally between the layers."""
        if self.total_steps is None:
            raise GenzooError("a dbn trains its layers in phases of the run and needs its length: train it with "
                              "'genzoo train' (or set model.total_steps)")
        layers = len(self.learners)
        return [self.total_steps * i // layers for i in range(layers + 1)]

    def layer_in_training(self) -> int:
        bounds = self.phase_bounds()
        return max(i for i in range(len(self.learners)) if self.updates >= bounds[i])

    def phase(self) -> str:
        return f"layer {self.layer_in_training() + 1}/{len(self.learners)}"

    @torch.no_grad()
    def recognise(self, v: Tensor, layers: int, generator: torch.Generator | None = None) -> Tensor:
        """A sample of h_layers from q(h_l | h_{l-1}) of the lowest ``layers`` RBMs, starting at v."""
        for learner in self.learners[:layers]:
            v = sample_bernoulli(learner.hidden_probs(v), generator)
        return v

    def train_step(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """One CD-k or PCD update of the layer in training, on samples of the data passed up the frozen layers."""
        layer = self.layer_in_training()
        bounds = self.phase_bounds()
        scalars = self.learners[layer].update(self.recognise(x.flatten(1), layer), bounds[layer + 1] - bounds[layer])
        self.updates += 1
        return {f"layer{layer + 1}_{key}": value for key, value in scalars.items()}

    @torch.no_grad()
    def validation_scalars(self, x: Tensor, y: Tensor) -> dict[str, float]:
        layer = self.layer_in_training()
        scalars = self.learners[layer].data_scalars(self.recognise(x.flatten(1), layer))
        return {f"layer{layer + 1}_{key}": value for key, value in scalars.items()}

    @torch.no_grad()
    def generate_down(self, top_visible: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Images p(v | h_1) from probabilities of h_{L-1}: sample it, then sample each directed layer downwards."""
        h = sample_bernoulli(top_visible, generator)
        for learner in reversed(self.learners[:-1]):
            probs = learner.visible_mean(h)
            h = sample_bernoulli(probs, generator)
        return probs.reshape(len(probs), *self.image_shape)

    @torch.no_grad()
    def top_chain(self, n: int, snapshots: int, every: int, generator: torch.Generator | None = None) -> list[Tensor]:
        """p(h_{L-1} | h_L) of n Gibbs chains of the top RBM from its base rate, every ``every`` sweeps."""
        top = self.learners[-1]
        start = sample_bernoulli(top.base_rate().expand(n, -1), generator)
        return top.rbm.gibbs_snapshots(start, snapshots, every, generator)

    def sample(self, n: int, generator: torch.Generator | None = None, labels: Tensor | None = None) -> Tensor:
        return self.generate_down(self.top_chain(n, 1, self.cfg.sample_steps, generator)[0], generator)

    def figures(self, generator: torch.Generator) -> dict[str, tuple[Tensor, int]]:
        """Ten Gibbs chains of the top RBM, one per row, each snapshot shown through a top-down pass."""
        frames = self.top_chain(10, 10, max(1, self.cfg.sample_steps // 10), generator)
        images = torch.stack([self.generate_down(frame, generator) for frame in frames])
        return {"gibbs_chain": (images.transpose(0, 1).flatten(0, 1), 10)}

    @torch.no_grad()
    def unnormalised_bound(self, v: Tensor, samples: int, generator: torch.Generator | None = None) -> Tensor:
        """Per image, E_q[log p(v, h_1..h_{L-2} | h_{L-1}) - F_top(h_{L-1})] + H(q) by ``samples`` draws of the
        recognition pass q (the entropies in closed form given each layer's input): the bound plus log Z_top."""
        x = v.repeat(samples, 1)
        total = torch.zeros(len(x), dtype=torch.float64)
        for learner in self.learners[:-1]:
            probs = learner.hidden_probs(x)
            h = sample_bernoulli(probs, generator)
            total += binary_entropy(probs).sum(1, dtype=torch.float64)
            logits = torch.addmm(learner.rbm.visible_bias, h, learner.rbm.weights.T)
            total -= F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1, dtype=torch.float64)
            x = h
        total -= self.learners[-1].rbm.free_energy(x).double()
        return total.reshape(samples, len(v)).mean(0)

    def log_likelihood(self, images: Tensor, budget: dict[str, int], seed: int) -> Estimate:
        """The variational lower bound on log p(v) (Salakhutdinov & Murray 2008, eq. 21), q sampled 'samples' times
        per image (default 100), log Z of the top RBM exact or by AIS ('betas', 'chains')."""
        samples = budget.get("samples", 100)
        generator = torch.Generator().manual_seed(seed)
        v = images.flatten(1)
        per_image = torch.cat([self.unnormalised_bound(chunk, samples, generator)
                               for chunk in v.split(max(1, 10_000 // samples))])
        top = self.learners[-1]
        log_z = log_partition(top.rbm, torch.logit(top.base_rate()), budget, seed)
        return minus_log_partition(per_image, log_z, f"variational lower bound ({samples} samples of q per image), "
                                   f"log Z of the top RBM: {log_z.method}", {"samples": samples})
