"""The Helmholtz machine: layers of stochastic binary units with a generative and a recognition network.

Trained by wake-sleep (Hinton, Dayan, Frey & Neal 1995) or by reweighted wake-sleep (Bornschein &
Bengio 2015, Algorithm 1). Both run one wake phase: K samples h_k ~ q(h|x), held fixed, weighted by
their self-normalised importance weights w_k ~ p(x, h_k) / q(h_k|x), and the generative network
climbs sum_k w_k log p(x, h_k). Wake-sleep is the case K = 1, where w = 1 and the gradient of
log p(x, h) is the local delta rule of Hinton et al. 1995; its recognition network learns only in
the sleep phase, from dreams (h, x) ~ p. Reweighted wake-sleep also climbs sum_k w_k log q(h_k|x)
in the wake phase, and keeps the sleep phase as an option. Test log-likelihood is the importance-
sampled estimate with q as proposal (Bornschein & Bengio 2015, Section 2), a stochastic lower bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from genzoo.config import option
from genzoo.errors import GenzooError
from genzoo.likelihood.estimate import Estimate
from genzoo.likelihood.iwae import iwae_bound
from genzoo.models.base import GenerativeModel, require_binarized
from genzoo.nn.sigmoid_belief import FactorialBernoulli, SigmoidBeliefChain


@dataclass
class HelmholtzConfig:
    layers: tuple[int, ...] = option((200, 200), "latent layer sizes, bottom to top; 200-200 is the smallest deep "
                                     "SBN/SBN architecture Bornschein & Bengio 2015 train on MNIST (their code, "
                                     "mnist/param-mnist-ws-200-200.py)", low=1)
    algorithm: str = option("wake-sleep", "wake-sleep (Hinton et al. 1995) or reweighted (reweighted wake-sleep, "
                            "Bornschein & Bengio 2015, Algorithm 1)", choices=("wake-sleep", "reweighted"))
    samples: int = option(5, "K, samples from q(h|x) per example in a reweighted wake phase (Bornschein & Bengio "
                          "2015 train with K = 5); wake-sleep draws one", low=1)
    sleep_phase_q: bool = option(True, "reweighted: also fit q to dreams (h, x) ~ p, beside the wake-phase q update "
                                 "(Bornschein & Bengio 2015 find wake and sleep q updates together best); "
                                 "wake-sleep always has its sleep phase")
    lr: float = option(1e-3, "Adam learning rate of both networks (Kingma & Ba 2015); 1e-3 is the step size of "
                       "Bornschein & Bengio's MNIST runs, whose code averages gradients with momentum 0.95 "
                       "instead", low=0.0)


class HelmholtzMachine(GenerativeModel):
    """Generative p(h_L) p(h_{L-1}|h_L) ... p(x|h_1) and recognition q(h_1|x) ... q(h_L|h_{L-1}), all sigmoid
    belief layers over binary units; trains on binarized images (fixed by default, or
    ``--set data.binarize=dynamic``)."""

    name = "helmholtz"
    summary = "Helmholtz machine, wake-sleep or reweighted wake-sleep, importance-sampled log-likelihood"
    paper = ("Hinton, Dayan, Frey & Neal 1995, The wake-sleep algorithm; Bornschein & Bengio 2015, Reweighted "
             "Wake-Sleep")
    departures = (
        "both algorithms on one network of stochastic binary layers, so that they can be compared at one budget",
    )
    Config = HelmholtzConfig
    # batch: Bornschein & Bengio's MNIST runs (mnist/param-mnist-200-200.py); 60 epochs: the helmholtz_mnist benchmark's
    # budget, 411 s of wake-sleep on 2 cores (reweighted, K = 5: 931 s)
    train_defaults = {"batch_size": 100, "epochs": 60}
    binarization = "fixed"   # images binarized once, as the helmholtz_mnist benchmark
    quick_budget = {"k": 50}

    def __init__(self, cfg: HelmholtzConfig, image_shape: tuple[int, int, int], num_classes: int):
        super().__init__(cfg, image_shape, num_classes)
        units = (math.prod(self.image_shape), *cfg.layers)   # x = h_0, h_1, ..., h_L
        self.prior = FactorialBernoulli(units[-1])
        self.generative = SigmoidBeliefChain(units[::-1])
        self.recognition = SigmoidBeliefChain(units)
        reweighted = cfg.algorithm == "reweighted"
        self.wake_samples = cfg.samples if reweighted else 1
        self.wake_phase_q = reweighted
        self.sleep_phase_q = cfg.sleep_phase_q or not reweighted
        self.optimizers = {
            "generative": torch.optim.Adam([*self.prior.parameters(), *self.generative.parameters()], lr=cfg.lr,
                                           fused=True),
            "recognition": torch.optim.Adam(self.recognition.parameters(), lr=cfg.lr, fused=True)}

    @classmethod
    def resolve(cls, cfg: HelmholtzConfig, binarized: bool) -> HelmholtzConfig:
        require_binarized(cls.name, binarized)
        if cfg.algorithm == "wake-sleep" and not cfg.sleep_phase_q:
            raise GenzooError("model.sleep_phase_q=false would leave wake-sleep's recognition network untrained: "
                              "it is an option of --set model.algorithm=reweighted")
        return cfg

    def log_joint(self, states: list[Tensor]) -> Tensor:
        """log p(x, h_1, ..., h_L) of states [x, h_1, ..., h_L] listed bottom up."""
        return self.prior.log_prob(states[-1]) + self.generative.log_prob(states[::-1])

    def importance_samples(self, x: Tensor, k: int) -> tuple[Tensor, Tensor]:
        """log p(x, h) and log q(h|x), each (k, N), for k samples h ~ q(h|x) per row of ``x`` (N, pixels)."""
        states, log_q = self.recognition.sample(x.expand(k, *x.shape))
        return self.log_joint(states), log_q

    def log_weights(self, x: Tensor, k: int) -> Tensor:
        """log p(x, h_k) - log q(h_k|x) for k samples h_k ~ q(h|x): shape (k, N), for the importance-sampled
        estimate."""
        log_p, log_q = self.importance_samples(x.flatten(1), k)
        return log_p - log_q

    def wake_phase(self, x: Tensor, k: int) -> tuple[Tensor, Tensor, Tensor]:
        """Losses -sum_k w_k log p(x, h_k) and -sum_k w_k log q(h_k|x), batch means, with h_k ~ q(h|x) and the
        normalised weights w_k held constant (Bornschein & Bengio 2015, Algorithm 1); and the per-example
        estimate log (1/k) sum_k p(x, h_k)/q(h_k|x). With k = 1, w = 1: the wake phase of Hinton et al. 1995."""
        log_p, log_q = self.importance_samples(x, k)
        log_w = (log_p - log_q).detach()
        w = torch.softmax(log_w, dim=0)
        return -(w * log_p).sum(0).mean(), -(w * log_q).sum(0).mean(), torch.logsumexp(log_w, 0) - math.log(k)

    def sleep_phase(self, n: int) -> Tensor:
        """-log q(h|x) averaged over n dreams (h, x) ~ p drawn ancestrally (Hinton et al. 1995, the sleep phase)."""
        with torch.no_grad():
            dreams = self.dream(n)
        return -self.recognition.log_prob(dreams).mean()

    def dream(self, n: int, generator: torch.Generator | None = None) -> list[Tensor]:
        """n ancestral samples from p as states [x, h_1, ..., h_L], bottom up."""
        states, _ = self.generative.sample(self.prior.sample(n, generator), generator)
        return states[::-1]

    def train_step(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """One wake phase and, where the algorithm has one, one sleep phase on as many dreams as the batch has images;
        each network takes one Adam step on its own losses."""
        generative_loss, wake_q_loss, log_px = self.wake_phase(x.flatten(1), self.wake_samples)
        recognition_loss = wake_q_loss if self.wake_phase_q else torch.zeros((), device=x.device)
        measured = {"log_px_estimate": log_px.mean().item(), "wake_log_joint": -generative_loss.item()}
        if self.sleep_phase_q:
            sleep_loss = self.sleep_phase(len(x))
            recognition_loss = recognition_loss + sleep_loss
            measured["sleep_log_q"] = -sleep_loss.item()
        for optimizer in self.optimizers.values():
            optimizer.zero_grad(set_to_none=True)
        (generative_loss + recognition_loss).backward()   # the two losses reach disjoint parameters
        for optimizer in self.optimizers.values():
            optimizer.step()
        return measured

    @torch.no_grad()
    def validation_scalars(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """The importance-sampled log p(x) estimate with the training K."""
        return {"log_px_estimate": self.wake_phase(x.flatten(1), self.wake_samples)[2].mean().item()}

    @torch.no_grad()
    def log_likelihood(self, images: Tensor, budget: dict[str, int], seed: int) -> Estimate:
        """log (1/k) sum_k p(x, h_k)/q(h_k|x), h_k ~ q(h|x), with k = budget['k'] (default 1,000); at k = 1 the
        variational lower bound E_q[log p(x, h) - log q(h|x)] (Hinton et al. 1995's free energy, negated)."""
        k = budget.get("k", 1000)
        method = ("variational lower bound (k = 1, one sample of q per image)" if k == 1 else
                  "importance-sampled estimate, q(h|x) as proposal (a stochastic lower bound)")
        return iwae_bound(self, images, k=k, generator_seed=seed, method=method)

    @torch.no_grad()
    def reconstruct(self, images: Tensor) -> Tensor:
        """p(x|h_1) for h_1 ~ q(h_1|x): the image passed up one recognition layer and back down."""
        h1 = self.recognition.sample(images.flatten(1))[0][1]
        return torch.sigmoid(self.generative.layers[-1](h1)).reshape(len(images), *self.image_shape)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, labels: Tensor | None = None) -> Tensor:
        """p(x|h_1) for h_1 drawn ancestrally from the top layer down."""
        h1 = self.dream(n, generator)[1]
        return torch.sigmoid(self.generative.layers[-1](h1)).reshape(n, *self.image_shape)
