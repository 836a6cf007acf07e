"""The deep Boltzmann machine (Salakhutdinov & Hinton 2009): undirected layers, inference with top-down feedback.

Training has two stages. First, greedy pretraining of one RBM per layer, the bottom one with its
visible input doubled and the top one with its hidden input doubled (Section 3.1), composed into a
DBM whose every hidden layer then hears from both neighbours. Then joint training by the
stochastic approximation procedure (Algorithm 1): the data term from mean-field posteriors, the
model term from persistent Gibbs chains. The test log-likelihood is the mean-field lower bound per
image minus log Z from AIS (Section 4).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from genzoo.config import option
from genzoo.devices import sample_bernoulli
from genzoo.likelihood.estimate import Estimate
from genzoo.likelihood.partition import log_partition, minus_log_partition
from genzoo.models.base import GibbsChainModel, LayerwiseConfig, LayerwiseModel, prefixed
from genzoo.nn.contrastive_divergence import (
    ContrastiveDivergence,
    ContrastiveDivergenceConfig,
    GradientAscent,
    RunningMeans,
)
from genzoo.nn.dbm import DBM, statistics_difference
from genzoo.nn.rbm import RBM


@dataclass
class DBMConfig(LayerwiseConfig, ContrastiveDivergenceConfig):
    layers: tuple[int, ...] = option((500, 1000), "hidden layer sizes, bottom to top (Salakhutdinov & Hinton 2009: "
                                     "500-1000 on MNIST)", low=1)
    pretrain_fraction: float = option(0.25, "share of the run spent pretraining, split between the layers' "
                                      "RBMs by layer_shares; the rest trains the DBM jointly (a pretraining step "
                                      "costs about half a joint one at the defaults, and the joint phase starts "
                                      "from what it learns; the dbm_mnist benchmark pretrains for 0.3)",
                                      low=0.0, high=1.0)
    joint_lr: float = option(0.002, "learning rate at the start of joint training, falling linearly as lr does "
                             "(momentum and weight decay as above); larger rates diverged on MNIST once the momentum "
                             "rose to 0.9 (docs/results.md)",
                             low=0.0)
    mean_field_steps: int = option(3, "rounds of mean-field updates for the data term (Salakhutdinov & Hinton "
                                   "2009, Algorithm 1), from a doubled bottom-up start; 3 by default, so that "
                                   "more joint updates fit the default run (10 in the paper preset and the "
                                   "dbm_mnist benchmark)", low=1)
    gibbs_steps: int = option(1, "Gibbs sweeps of the persistent chains per update (the chains are "
                              "persistent_chains fantasy particles; the paper used 100)", low=1)
    sample_steps: int = option(300, "Gibbs sweeps before a chain's state is taken as a sample (as the dbm_mnist "
                               "benchmark samples)", low=1)


class DeepBoltzmannMachine(GibbsChainModel, LayerwiseModel):
    """A DBM of binary layers, pretrained greedily and then trained jointly; binarized images only (fixed by
    default)."""

    name = "dbm"
    summary = "deep Boltzmann machine, doubled-input pretraining, mean-field + PCD, AIS log-likelihood bound"
    paper = "Salakhutdinov & Hinton 2009, Deep Boltzmann Machines"
    departures = (
        "AIS runs over the even layers with the odd ones summed out, from hidden base rates as for the RBM",
    )
    Config = DBMConfig
    # batch: Salakhutdinov & Hinton 2009, Section 5; 90 epochs (a quarter pretraining, then 67.5 joint with 3
    # mean-field rounds), chosen on the validation split's recall (0.51 in a trial, where the former 40 epochs with 10
    # rounds gave 0.27) to train within 15 minutes on 2 cores; a grid every 10 epochs, since each runs the chains'
    # sweeps
    train_defaults = {"batch_size": 100, "epochs": 90, "sample_every": 5000}
    presets = {"paper": {"model": {"mean_field_steps": 10}}}
    binarization = "fixed"   # images binarized once, as Salakhutdinov & Hinton 2009
    pretraining: Sequence[ContrastiveDivergence]
    persistent_chains: Tensor

    def __init__(self, cfg: DBMConfig, image_shape: tuple[int, int, int], num_classes: int):
        super().__init__(cfg, image_shape, num_classes)
        sizes = [math.prod(self.image_shape), *cfg.layers]
        top = len(cfg.layers) - 1
        self.pretraining = nn.ModuleList(  # type: ignore[assignment]  # torch's ModuleList is not generic
            ContrastiveDivergence(RBM.initialised(visible, hidden), cfg, up=2.0 if i < top else 1.0,
                                  down=2.0 if i > 0 else 1.0)
            for i, (visible, hidden) in enumerate(zip(sizes[:-1], sizes[1:])))
        self.dbm = DBM(sizes)
        self.joint = GradientAscent(list(self.dbm.layer_weights), list(self.dbm.layer_biases),
                                    dataclasses.replace(cfg, lr=cfg.joint_lr))
        self.optimizers = {**{f"pretrain_layer{i + 1}": m.optimizer for i, m in enumerate(self.pretraining)},
                           "joint": self.joint.optimizer}
        self.pixel_means = RunningMeans(sizes[0])
        self.register_buffer("persistent_chains", torch.zeros(cfg.persistent_chains, sum(sizes)))
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))
        self.last_update: tuple[int, Tensor] | None = None   # its phase and batch, for monitoring_scalars

    def layerwise_steps(self) -> int:
        """The pretraining share of the run."""
        return round(self.total_steps * self.cfg.pretrain_fraction)

    def phase(self) -> str:
        index, layers = self.phase_index(), len(self.pretraining)
        return f"pretrain layer {index + 1}/{layers}" if index < layers else "joint"

    def train_step(self, x: Tensor, y: Tensor) -> dict[str, float]:
        v = x.flatten(1)
        self.pixel_means.observe(v)
        index, bounds = self.phase_index(), self.phase_bounds()
        self.last_update = index, v
        if index < len(self.pretraining):
            scalars = self.pretrain_step(index, v, bounds[index + 1] - bounds[index])
        else:
            if self.updates == bounds[index]:
                self.compose()
            scalars = self.joint_step(v, int(self.updates) - bounds[index], bounds[-1] - bounds[index])
        self.updates += 1
        return scalars

    @torch.no_grad()
    def pretrain_step(self, layer: int, v: Tensor, phase_length: int) -> dict[str, float]:
        """CD on the layer's RBM, its data sampled up through the (doubled) RBMs below."""
        for module in self.pretraining[:layer]:
            v = sample_bernoulli(module.hidden_probs(v))
        scalars = self.pretraining[layer].update(v, phase_length)
        return prefixed(f"pretrain_layer{layer + 1}", scalars)

    @torch.no_grad()
    def compose(self) -> None:
        """The pretrained RBMs as the DBM that joint training starts from; its chains started bottom-up."""
        self.compose_into(self.dbm)
        self.persistent_chains.copy_(torch.cat(self.bottom_up_start(self.dbm, len(self.persistent_chains)), 1))

    @torch.no_grad()
    def compose_into(self, dbm: DBM) -> None:
        """The pretraining RBMs as one DBM: their weights as they are (each doubled input is now shared by two
        neighbours), each hidden layer's bias the mean of the two RBMs' biases for it (Section 3.1)."""
        modules = self.pretraining
        for i, module in enumerate(modules):
            dbm.layer_weights[i].copy_(module.rbm.weights)
        dbm.layer_biases[0].copy_(modules[0].rbm.visible_bias)
        for layer in range(1, len(modules)):
            dbm.layer_biases[layer].copy_((modules[layer - 1].rbm.hidden_bias + modules[layer].rbm.visible_bias) / 2)
        dbm.layer_biases[-1].copy_(modules[-1].rbm.hidden_bias)

    def joint_training_begun(self) -> bool:
        """Whether the DBM has been composed: its persistent chains are started then, and all zero before."""
        return bool(self.persistent_chains.any())

    def current_dbm(self) -> DBM:
        """The DBM in training; before joint training, the DBM the pretraining stack composes into as it stands, so
        that samples and bounds taken while pretraining measure a real model, not the all-zero one (every pixel 0.5,
        log-likelihood -V log 2) that joint training has yet to overwrite."""
        if self.joint_training_begun():
            return self.dbm
        composed = DBM(self.dbm.sizes)
        self.compose_into(composed)
        return composed

    def bottom_up_start(self, dbm: DBM, n: int, generator: torch.Generator | None = None) -> list[Tensor]:
        """States to start Gibbs chains of ``dbm`` from: v from the pixels' base rate, each hidden layer sampled given
        the one below alone. Uniformly random hidden layers instead send a trained DBM's chains into a blurred mode
        that a thousand sweeps do not leave."""
        return self.bottom_up(dbm, sample_bernoulli(self.pixel_means.base_rate().expand(n, -1), generator), generator)

    def bottom_up(self, dbm: DBM, v: Tensor, generator: torch.Generator | None = None) -> list[Tensor]:
        """[v, h_1, ..., h_L]: each hidden layer of ``dbm`` sampled given the one below alone."""
        states = [v]
        for layer in range(1, len(dbm.sizes)):
            states.append(sample_bernoulli(torch.sigmoid(torch.addmm(dbm.layer_biases[layer], states[-1],
                                                                     dbm.layer_weights[layer - 1])), generator))
        return states

    def chain_states(self) -> list[Tensor]:
        return list(self.persistent_chains.split(self.dbm.sizes, dim=1))

    @torch.no_grad()
    def joint_step(self, v: Tensor, update: int, phase_length: int) -> dict[str, float]:
        """Salakhutdinov & Hinton 2009, Algorithm 1: mean-field for the data, persistent Gibbs chains for the model."""
        q = self.dbm.mean_field(v, self.cfg.mean_field_steps)
        states = self.chain_states()
        for _ in range(self.cfg.gibbs_steps):
            states, model_term = self.dbm.sweep_with_odd_probs(states)
        self.persistent_chains.copy_(torch.cat(states, 1))
        return {"lr": self.joint.ascend(statistics_difference(q.means, model_term), update, phase_length)}

    @torch.no_grad()
    def monitoring_scalars(self) -> dict[str, float]:
        """In pretraining, the layer's RBM's reconstruction error; in joint training, the variational free energy of
        the last batch (mean-field found again at the parameters the update left)."""
        if self.last_update is None:   # no update taken in this process yet
            return {}
        index, v = self.last_update
        if index < len(self.pretraining):
            return prefixed(f"pretrain_layer{index + 1}", self.pretraining[index].monitoring_scalars())
        q = self.dbm.mean_field(v, self.cfg.mean_field_steps)
        return {"variational_free_energy": -self.dbm.variational_bound(q).mean().item()}

    @torch.no_grad()
    def validation_scalars(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """The variational free energy -(E_q[-E] + H(q)) = -log p(v) - log Z + KL, once joint training has begun."""
        index = self.phase_index()
        if index < len(self.pretraining):
            v = x.flatten(1)
            for module in self.pretraining[:index]:
                v = sample_bernoulli(module.hidden_probs(v))
            scalars = self.pretraining[index].data_scalars(v)
            return prefixed(f"pretrain_layer{index + 1}", scalars)
        q = self.dbm.mean_field(x.flatten(1), self.cfg.mean_field_steps)
        return {"variational_free_energy": -self.dbm.variational_bound(q).mean().item()}

    @torch.no_grad()
    def gibbs_chain(self, n: int, snapshots: int, every: int, generator: torch.Generator | None = None) -> Tensor:
        """(snapshots, n, C, H, W): n chains of the current DBM from a bottom-up start, p(v | h_1) every ``every``
        sweeps."""
        dbm = self.current_dbm()
        states = self.bottom_up_start(dbm, n, generator)
        frames = []
        for _ in range(snapshots):
            for _ in range(every):
                states = dbm.gibbs_sweep(states, generator)
            frames.append(dbm.conditional(states, 0).reshape(n, *self.image_shape))
        return torch.stack(frames)

    @torch.no_grad()
    def pixel_sweep(self, v: Tensor, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """The hidden layers drawn bottom-up from v, then one sweep of the current DBM: (v sampled, p(v | h_1))."""
        dbm = self.current_dbm()
        states = dbm.gibbs_sweep(self.bottom_up(dbm, v, generator), generator)
        return states[0], dbm.conditional(states, 0)

    @torch.no_grad()
    def log_likelihood(self, images: Tensor, budget: dict[str, int], seed: int) -> Estimate:
        """The mean-field lower bound on log p(v) per image ('mean_field_steps', default 30) minus log Z, exact or
        by AIS ('betas', 'chains'); with AIS log Z the result is an estimate of a lower bound (Salakhutdinov &
        Hinton 2009, Section 4); of the current DBM, so during pretraining of the DBM the stack composes into."""
        steps = budget.get("mean_field_steps", 30)
        dbm = self.current_dbm()
        per_image = torch.cat([dbm.variational_bound(dbm.mean_field(chunk, steps)).double()
                               for chunk in images.flatten(1).split(1000)])
        chains = torch.cat(self.chain_states()[0::2], 1) if self.joint_training_begun() else None
        log_z = log_partition(dbm, torch.logit(self.pixel_means.base_rate()), budget, seed, chains)
        return minus_log_partition(per_image, log_z, f"mean-field lower bound ({steps} steps), log Z: {log_z.method}",
                                   {"mean_field_steps": steps})
