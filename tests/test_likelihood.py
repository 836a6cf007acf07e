"""Likelihood estimators against exact answers on models small enough to enumerate."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from genzoo.errors import GenzooError
from genzoo.likelihood.ais import BaseRatePath, annealing_schedule, log_partition_ais, log_partition_by_annealing
from genzoo.likelihood.exact import binary_states, log_likelihood_exact_rbm, log_marginal_exact, log_partition_exact
from genzoo.likelihood.iwae import iwae_bound
from genzoo.nn.rbm import RBM


def random_rbm(visible: int, hidden: int, scale: float, seed: int) -> RBM:
    generator = torch.Generator().manual_seed(seed)
    rbm = RBM(visible, hidden)
    rbm.weights.copy_(scale * torch.randn(visible, hidden, generator=generator))
    rbm.visible_bias.copy_(torch.randn(visible, generator=generator) - 0.5)
    rbm.hidden_bias.copy_(torch.randn(hidden, generator=generator) - 0.5)
    return rbm


def brute_force_log_partition(rbm: RBM) -> float:
    v, h = binary_states(rbm.visible), binary_states(rbm.hidden)
    W, b, c = rbm.weights.double(), rbm.visible_bias.double(), rbm.hidden_bias.double()
    energy = -(v @ b)[:, None] - (h @ c)[None, :] - v @ W @ h.T
    return torch.logsumexp((-energy).flatten(), 0).item()


@pytest.mark.parametrize("visible, hidden", [(6, 4), (4, 6)])
def test_exact_log_partition_sums_the_smaller_layer_correctly(visible, hidden):
    rbm = random_rbm(visible, hidden, 1.0, 0)
    assert log_partition_exact(rbm) == pytest.approx(brute_force_log_partition(rbm), abs=1e-9)


def test_exact_rbm_likelihood_is_a_normalised_distribution():
    rbm = random_rbm(10, 5, 1.0, 1)
    assert torch.logsumexp(log_likelihood_exact_rbm(rbm, binary_states(10)), 0).item() == pytest.approx(0, abs=1e-9)


def test_schedule_has_salakhutdinov_and_murrays_shape():
    betas = annealing_schedule()
    assert len(betas) == 14_501 and betas[0] == 0 and betas[-1] == 1 and (betas.diff() > 0).all()
    assert (betas <= 0.5).sum() == 501 and (betas <= 0.9).sum() == 4501
    assert annealing_schedule(3).tolist() == [0, 0.5, 0.9, 1]
    with pytest.raises(GenzooError, match="at least 3"):
        annealing_schedule(2)


def test_ais_matches_the_exact_log_partition_of_a_tiny_rbm():
    rbm = random_rbm(12, 8, 1.0, 2)
    data = torch.bernoulli(torch.full((200, 12), 0.3), generator=torch.Generator().manual_seed(0))
    result = log_partition_ais(rbm, annealing_schedule(2000), chains=400, data=data, seed=0)
    exact = log_partition_exact(rbm)
    assert abs(result.log_partition.value - exact) < 0.05
    assert abs(result.reverse_log_partition.value - exact) < 0.05
    assert result.warning is None and result.log_partition.stderr < 0.05


def test_ais_says_when_its_annealing_is_too_short_to_trust():
    rbm = random_rbm(24, 14, 3.0, 3)   # strong weights: a rugged, multimodal distribution
    result = log_partition_ais(rbm, annealing_schedule(10), chains=50, seed=0)
    assert result.warning is not None
    assert result.log_partition.value < log_partition_exact(rbm)   # the stochastic lower bound, far below


def test_reverse_ais_from_model_samples_brackets_log_z_from_above():
    rbm = random_rbm(16, 10, 4.0, 4)   # rugged: 30 distributions are too few for either run
    states = binary_states(16).float()
    log_p = log_likelihood_exact_rbm(rbm, states)
    samples = states[torch.multinomial(log_p.exp(), 300, replacement=True,
                                       generator=torch.Generator().manual_seed(5))]   # exact samples of the model
    result = log_partition_by_annealing(BaseRatePath(rbm), annealing_schedule(30), 300, seed=0, model_samples=samples)
    exact = log_partition_exact(rbm)   # the bidirectional sandwich of Grosse et al. 2015
    assert result.log_partition.value < exact < result.reverse_log_partition.value
    assert result.reverse_log_partition.method.startswith("reverse AIS from the model")


class TinySigmoidBeliefNet(torch.nn.Module):
    """p(h) factorial Bernoulli over 4 bits, p(x|h) factorial Bernoulli over 8 pixels, q(h|x) factorial Bernoulli."""

    def __init__(self, seed: int):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.prior_logits = torch.randn(4, generator=g)
        self.decoder = torch.randn(4, 8, generator=g) * 2
        self.decoder_bias = torch.randn(8, generator=g)
        self.encoder = 0.3 * torch.randn(8, 4, generator=g)
        self.encoder_bias = 0.3 * torch.randn(4, generator=g)

    def log_joint(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """log p(x, h) as (S, N) for x (N, 8) and h (S, 4)."""
        x, h = x.double(), h.double()
        log_prior = -F.binary_cross_entropy_with_logits(self.prior_logits.double().expand_as(h), h,
                                                        reduction="none").sum(-1)
        logits = h @ self.decoder.double() + self.decoder_bias.double()                     # (S, 8)
        log_lik = -F.binary_cross_entropy_with_logits(logits[:, None].expand(-1, len(x), -1),
                                                      x[None].expand(len(h), -1, -1), reduction="none").sum(-1)
        return log_prior[:, None] + log_lik

    def log_weights(self, x: torch.Tensor, k: int) -> torch.Tensor:
        x = x.reshape(len(x), -1).double()
        logits = (x @ self.encoder.double() + self.encoder_bias.double()).expand(k, -1, -1)   # (k, N, 4)
        h = torch.bernoulli(torch.sigmoid(logits))
        log_q = -F.binary_cross_entropy_with_logits(logits, h, reduction="none").sum(-1)
        log_p = torch.stack([self.log_joint(x[n:n + 1], h[:, n]).squeeze(1) for n in range(len(x))], 1)
        return log_p - log_q


def test_iwae_bound_rises_with_k_towards_the_exact_log_likelihood():
    model = TinySigmoidBeliefNet(0)
    x = binary_states(8)[torch.randperm(256, generator=torch.Generator().manual_seed(0))[:40]]
    exact = log_marginal_exact(model.log_joint, x, 4).mean().item()
    bounds = [iwae_bound(model, x, k=k, chunk=1000, generator_seed=1).value for k in (1, 5, 50, 2000)]
    assert all(a < b for a, b in zip(bounds, bounds[1:])), bounds
    assert bounds[0] < exact - 0.5 and abs(bounds[-1] - exact) < 0.02
    assert math.isfinite(exact)


def test_ais_crosses_a_wide_rbm_whose_uniform_hidden_base_would_switch_the_visible_layer_off():
    """A DBN's top RBM in miniature: many hidden units with mostly negative weights, two strong patterns. From
    uniform hidden units the chains sit in the all-off state until a late jump, and AIS came out 13 nats low with
    no warning; from the hidden base rates it lands on the exact value."""
    generator = torch.Generator().manual_seed(0)
    patterns = (torch.rand(2, 16, generator=generator) < 0.3).float()
    rbm = RBM(16, 400)
    rbm.weights.copy_(-0.3 + 0.1 * torch.randn(16, 400, generator=generator))
    for k, pattern in enumerate(patterns):
        rbm.weights[:, 100 * k:100 * (k + 1)] += (2 * pattern - 1)[:, None]
    rbm.visible_bias.fill_(-2.0)
    rbm.hidden_bias.copy_(-1.5 - 0.5 * torch.rand(400, generator=generator))
    path = BaseRatePath.from_data(rbm, patterns.repeat(50, 1))
    result = log_partition_by_annealing(path, annealing_schedule(1000), 100, seed=0, reverse=False)
    assert abs(result.log_partition.value - log_partition_exact(rbm)) < 0.25
