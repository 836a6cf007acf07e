"""The deep belief network: RBMs trained greedily, layer by layer (Hinton, Osindero & Teh 2006).

P(v, h_1, .., h_L) = P(h_{L-1}, h_L) prod_l P(h_{l-1} | h_l): the top two layers form an RBM and the
layers below are directed, each using the weights and visible biases of the RBM trained at that
level. Training has one phase per layer; layer l learns from samples of q(h_l | h_{l-1}) of the
frozen layers below. An optional last phase fine-tunes the whole network by the up-down algorithm
(Hinton, Osindero & Teh 2006, Section 5 and Appendix B), with the recognition and generative
weights of the directed layers untied. Generation is Gibbs sampling in the top RBM, then one
top-down pass. The test log-likelihood is the variational lower bound with log Z of the top RBM by
AIS (Salakhutdinov & Murray 2008, Section 5, eq. 21).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from genzoo.config import option
from genzoo.devices import sample_bernoulli
from genzoo.likelihood.estimate import Estimate
from genzoo.likelihood.partition import log_partition, minus_log_partition
from genzoo.models.base import LayerwiseConfig, LayerwiseModel, prefixed
from genzoo.nn.contrastive_divergence import ContrastiveDivergence, ContrastiveDivergenceConfig, GradientAscent
from genzoo.nn.dbm import binary_entropy
from genzoo.nn.rbm import RBM
from genzoo.nn.sigmoid_belief import bernoulli_log_prob


@dataclass
class DBNConfig(LayerwiseConfig, ContrastiveDivergenceConfig):
    layers: tuple[int, ...] = option((500, 2000), "hidden layer sizes, bottom to top; the top two layers form an "
                                     "RBM (Salakhutdinov & Murray 2008: 500-2000 on MNIST)", low=1)
    layer_shares: tuple[float, ...] = option((2.0, 1.0), "relative share of the greedy updates for each layer, bottom "
                                             "to top: the bound follows the bottom RBM's likelihood, and the top "
                                             "RBM's step costs twice the bottom's; empty: equal shares", low=0.0)
    sample_steps: int = option(300, "Gibbs sweeps in the top RBM before the top-down pass (as the dbn_mnist "
                               "benchmark samples)", low=1)
    fine_tune_fraction: float = option(0.0, "share of the run spent on up-down fine-tuning after the greedy layers "
                                       "(Hinton, Osindero & Teh 2006, Appendix B); 0 keeps the greedy DBN",
                                       low=0.0, high=0.9)


class DBN(LayerwiseModel):
    """A stack of RBMs trained greedily, each for an equal share of the run; binarized images only (fixed by
    default)."""

    name = "dbn"
    summary = "deep belief network, greedy layer-wise RBMs, variational bound with AIS on the top RBM"
    paper = ("Hinton, Osindero & Teh 2006, A Fast Learning Algorithm for Deep Belief Nets; the bound of Salakhutdinov"
             " & Murray 2008")
    departures = (
        "the run is split between the layers by layer_shares, since the bound follows the bottom RBM's likelihood and"
        " a CPU budget is short",
        "each layer trains with the same CD/PCD rule as the RBM",
    )
    Config = DBNConfig
    # batch: Salakhutdinov & Murray 2008, Section 4; 90 epochs (60 for the 500-unit RBM, 30 for the 2000-unit one):
    # 8.3 minutes on 2 cores in the defaults benchmark; a grid every 10 epochs, since each runs the chains' sweeps
    train_defaults = {"batch_size": 100, "epochs": 90, "sample_every": 5000}
    binarization = "fixed"   # images binarized once, as Salakhutdinov & Murray 2008
    learners: Sequence[ContrastiveDivergence]
    untied: Tensor

    def __init__(self, cfg: DBNConfig, image_shape: tuple[int, int, int], num_classes: int):
        super().__init__(cfg, image_shape, num_classes)
        sizes = [math.prod(self.image_shape), *cfg.layers]
        self.learners = nn.ModuleList(  # type: ignore[assignment]  # torch's ModuleList is not generic
            ContrastiveDivergence(RBM.initialised(visible, hidden), cfg)
            for visible, hidden in zip(sizes[:-1], sizes[1:]))
        self.optimizers = {f"layer{i + 1}": learner.optimizer for i, learner in enumerate(self.learners)}
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))
        self.last_phase: int | None = None   # for monitoring_scalars
        self.wake: tuple[Tensor, Tensor] | None = None   # v and h_1 of the last up pass, for monitoring_scalars
        if cfg.fine_tune_fraction > 0:
            # p(h_{l-1} | h_l) of the directed layers: tied to the RBMs' weights until up-down fine-tuning unties them
            self.generative_weights = nn.ParameterList(nn.Parameter(torch.zeros(a, b), requires_grad=False)
                                                       for a, b in zip(sizes[:-2], sizes[1:-1]))
            self.generative_biases = nn.ParameterList(nn.Parameter(torch.zeros(a), requires_grad=False)
                                                      for a in sizes[:-2])
            self.up_down = GradientAscent([*self.generative_weights, *(m.rbm.weights for m in self.learners[:-1])],
                                          [*self.generative_biases, *(m.rbm.hidden_bias for m in self.learners[:-1])],
                                          cfg)
            self.optimizers["up_down"] = self.up_down.optimizer
            self.register_buffer("untied", torch.zeros((), dtype=torch.bool))

    def layerwise_steps(self) -> int:
        """The greedy share of the run, what up-down fine-tuning leaves."""
        return self.total_steps - round(self.total_steps * self.cfg.fine_tune_fraction)

    def phase(self) -> str:
        index, layers = self.phase_index(), len(self.learners)
        return f"layer {index + 1}/{layers}" if index < layers else "up-down"

    def generative_layer(self, layer: int) -> tuple[Tensor, Tensor]:
        """(weights, visible biases) of p(h_{l-1} | h_l) for directed layer ``layer`` (0 for p(v | h_1))."""
        if self.cfg.fine_tune_fraction > 0 and self.untied:
            return self.generative_weights[layer], self.generative_biases[layer]
        rbm = self.learners[layer].rbm
        return rbm.weights, rbm.visible_bias

    def generative_mean(self, layer: int, h: Tensor) -> Tensor:
        weights, bias = self.generative_layer(layer)
        return torch.sigmoid(torch.addmm(bias, h, weights.T))

    @torch.no_grad()
    def recognise(self, v: Tensor, layers: int, generator: torch.Generator | None = None) -> Tensor:
        """A sample of h_layers from q(h_l | h_{l-1}) of the lowest ``layers`` RBMs, starting at v."""
        for learner in self.learners[:layers]:
            v = sample_bernoulli(learner.hidden_probs(v), generator)
        return v

    def train_step(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """One CD-k or PCD update of the layer in training, on samples of the data passed up the frozen layers; or,
        in the last phase, one up-down update."""
        index, bounds = self.phase_index(), self.phase_bounds()
        self.last_phase = index
        top = len(self.learners) - 1
        if index < len(self.learners):   # the top RBM's lr schedule spans its greedy phase and fine-tuning
            length = bounds[-1] - bounds[top] if index == top else bounds[index + 1] - bounds[index]
            scalars = self.learners[index].update(self.recognise(x.flatten(1), index), length)
            scalars = prefixed(f"layer{index + 1}", scalars)
        else:
            scalars = self.up_down_step(x.flatten(1), int(self.updates) - bounds[index], bounds[-1] - bounds[index],
                                        bounds[-1] - bounds[top])
        self.updates += 1
        return scalars

    @torch.no_grad()
    def up_down_step(self, v: Tensor, update: int, phase_length: int, top_length: int) -> dict[str, float]:
        """Hinton, Osindero & Teh 2006, Appendix B: an up pass with the recognition weights trains the generative
        ones by the delta rule; the top RBM takes a CD step from the up pass's top state (its lr schedule spans its
        greedy phase and this one); the down pass starts from that CD step's negative state (their code's
        sleeppenstates = negpenstates), not from a chain of its own, and trains the recognition weights."""
        if not self.untied:
            for layer, learner in enumerate(self.learners[:-1]):
                self.generative_weights[layer].copy_(learner.rbm.weights)
                self.generative_biases[layer].copy_(learner.rbm.visible_bias)
            self.untied.fill_(True)
        directed, top = self.learners[:-1], self.learners[-1]
        wake = [v]
        for learner in directed:
            wake.append(sample_bernoulli(learner.hidden_probs(wake[-1])))
        scalars = prefixed("top", top.update(wake[-1], top_length))
        assert top.negative is not None   # the update just taken kept its negative state
        sleep = [top.negative]
        for layer in reversed(range(len(directed))):
            sleep.insert(0, sample_bernoulli(self.generative_mean(layer, sleep[0])))
        n = len(v)
        generative, recognition = [], []
        for layer, learner in enumerate(directed):
            below, above = wake[layer], wake[layer + 1]
            error = below - self.generative_mean(layer, above)
            generative.append((error.T @ above / n, error.mean(0)))
            below, above = sleep[layer], sleep[layer + 1]
            error = above - learner.hidden_probs(below)
            recognition.append((below.T @ error / n, error.mean(0)))
        gradients = ([g[0] for g in generative] + [r[0] for r in recognition]
                     + [g[1] for g in generative] + [r[1] for r in recognition])
        self.wake = v, wake[1]
        return {**scalars, "lr": self.up_down.ascend(gradients, update, phase_length)}

    @torch.no_grad()
    def monitoring_scalars(self) -> dict[str, float]:
        """The last update's RBM's reconstruction error and free energies; in up-down fine-tuning the top RBM's, and
        how well the generative weights reconstruct the batch from the up pass's first hidden layer."""
        index = self.last_phase
        if index is None:   # no update taken in this process yet
            return {}
        if index < len(self.learners):
            return prefixed(f"layer{index + 1}", self.learners[index].monitoring_scalars())
        assert self.wake is not None   # the up-down update just taken kept its up pass
        v, hidden = self.wake
        error = (v - self.generative_mean(0, hidden)).square().sum(1).mean().item()
        return {**prefixed("top", self.learners[-1].monitoring_scalars()), "wake_reconstruction_error": error}

    @torch.no_grad()
    def validation_scalars(self, x: Tensor, y: Tensor) -> dict[str, float]:
        layer = min(self.phase_index(), len(self.learners) - 1)
        scalars = self.learners[layer].data_scalars(self.recognise(x.flatten(1), layer))
        return prefixed(f"layer{layer + 1}", scalars)

    @torch.no_grad()
    def generate_down(self, top_visible: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Images p(v | h_1) from probabilities of h_{L-1}: sample it, then sample each directed layer downwards."""
        h = sample_bernoulli(top_visible, generator)
        for layer in reversed(range(len(self.learners) - 1)):
            probs = self.generative_mean(layer, h)
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

    @torch.no_grad()
    def pixel_sweep(self, v: Tensor, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """Up the recognition pass to h_{L-1}, one Gibbs sweep of the top RBM, down the directed layers: (v sampled,
        p(v | h_1))."""
        top = self.recognise(v, len(self.learners) - 1, generator)
        _, top = self.learners[-1].rbm.gibbs_sweep(top, generator)
        mean = self.generate_down(top, generator).flatten(1)
        return sample_bernoulli(mean, generator), mean

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
        total = torch.zeros(len(x), dtype=torch.float64, device=x.device)
        for layer, learner in enumerate(self.learners[:-1]):
            probs = learner.hidden_probs(x)
            h = sample_bernoulli(probs, generator)
            total += binary_entropy(probs).sum(1, dtype=torch.float64)
            weights, bias = self.generative_layer(layer)
            total += bernoulli_log_prob(torch.addmm(bias, h, weights.T), x).double()
            x = h
        total -= self.learners[-1].rbm.free_energy(x).double()
        return total.reshape(samples, len(v)).mean(0)

    def log_likelihood(self, images: Tensor, budget: dict[str, int], seed: int) -> Estimate:
        """The variational lower bound on log p(v) (Salakhutdinov & Murray 2008, eq. 21), q sampled 'samples' times
        per image (default 100), log Z of the top RBM exact or by AIS ('betas', 'chains')."""
        samples = budget.get("samples", 100)
        generator = torch.Generator(device=self.device).manual_seed(seed)
        v = images.flatten(1).to(self.device)
        per_image = torch.cat([self.unnormalised_bound(chunk, samples, generator)
                               for chunk in v.split(max(1, 10_000 // samples))])
        top = self.learners[-1]
        log_z = log_partition(top.rbm, torch.logit(top.base_rate()), budget, seed, top.model_samples())
        return minus_log_partition(per_image, log_z, f"variational lower bound ({samples} samples of q per image), "
                                   f"log Z of the top RBM: {log_z.method}", {"samples": samples})
