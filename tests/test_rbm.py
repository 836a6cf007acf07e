"""The RBM's update against the exact log-likelihood gradient, and its training against a baseline."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from PIL import Image

from genzoo import run
from genzoo.data import binarize
from genzoo.errors import GenzooError
from genzoo.likelihood import exact as exact_module
from genzoo.likelihood.ais import GaussianVisiblePath, annealing_schedule, log_partition_by_annealing
from genzoo.likelihood.exact import binary_states, log_partition_exact, log_partition_exact_gaussian
from genzoo.models.rbm import RBMConfig, RestrictedBoltzmannMachine
from genzoo.nn.dbm import statistics_difference
from genzoo.nn.rbm import RBM, GaussianRBM
from genzoo.run import open_run


def tiny_rbm(seed: int) -> RBM:
    g = torch.Generator().manual_seed(seed)
    rbm = RBM(6, 4)
    rbm.weights.copy_(torch.randn(6, 4, generator=g))
    rbm.visible_bias.copy_(torch.randn(6, generator=g) * 0.5)
    rbm.hidden_bias.copy_(torch.randn(4, generator=g) * 0.5)
    return rbm


def exact_gradient(rbm: RBM, v_data: torch.Tensor) -> list[torch.Tensor]:
    """d/dtheta of the mean exact log-likelihood, by autograd through the enumerated partition function."""
    W, b, c = (p.detach().double().requires_grad_() for p in (rbm.weights, rbm.visible_bias, rbm.hidden_bias))

    def neg_free_energy(v):
        return v @ b + torch.nn.functional.softplus(v @ W + c).sum(1)

    log_z = torch.logsumexp(neg_free_energy(binary_states(rbm.visible)), 0)
    (neg_free_energy(v_data.double()).mean() - log_z).backward()
    return [W.grad, b.grad, c.grad]


def test_cd_with_long_chains_gives_the_exact_log_likelihood_gradient():
    rbm = tiny_rbm(0)
    g = torch.Generator().manual_seed(1)
    v_data = torch.bernoulli(torch.full((50, 6), 0.4), generator=g)
    v_model = v_data.repeat(400, 1)                   # 20,000 chains started at the data, as CD starts them
    for _ in range(100):                              # CD-100: the chains forget where they began
        _, v_model = rbm.gibbs_sweep(v_model, g)
    estimated = statistics_difference([v_data, rbm.hidden_probs(v_data)], [v_model, rbm.hidden_probs(v_model)])
    for got, want in zip(estimated, exact_gradient(rbm, v_data)):
        assert torch.allclose(got.double(), want, atol=0.02), (got, want)
    cd1_model = rbm.gibbs_sweep(v_data.repeat(400, 1), g)[1]
    cd1 = statistics_difference([v_data, rbm.hidden_probs(v_data)], [cd1_model, rbm.hidden_probs(cd1_model)])
    assert (cd1[0].double() - exact_gradient(rbm, v_data)[0]).abs().max() > 0.05   # CD-1 is biased


def test_a_trained_rbm_beats_independent_pixels_on_held_out_digits(tmp_path, tiny_config):
    cfg = tiny_config("rbm", "train.epochs=20", "model.lr=0.1", "train.log_every=50")
    _, trainer = run.train(cfg, tmp_path / "rbm", progress_bar=False)
    model = open_run(tmp_path / "rbm").model
    test = binarize(trainer.dataset.test.images, torch.Generator().manual_seed(0)).flatten(1)
    rbm_ll = model.log_likelihood(test, {}, 0)
    assert rbm_ll.method == "exact"
    train = binarize(trainer.dataset.train.images, torch.Generator().manual_seed(0)).flatten(1)
    p = (train.mean(0) * len(train) + 0.5) / (len(train) + 1)
    independent = (test * p.log() + (1 - test) * (1 - p).log()).sum(1).mean().item()
    assert rbm_ll.value > independent + 1.5, (rbm_ll.value, independent)
    assert rbm_ll.value == (-model.rbm.free_energy(test).double() - log_partition_exact(model.rbm)).mean().item()
    assert model.sample(5, torch.Generator().manual_seed(0)).shape == (5, 1, 8, 8)
    chain = Image.open(tmp_path / "rbm" / "samples" / "gibbs_chain.png")
    assert chain.size == (10 * (8 + 2) + 2, 10 * (8 + 2) + 2)   # ten chains of ten snapshots


def test_one_update_climbs_the_gradient_with_decay_on_the_weights_only():
    cfg = RBMConfig(hidden=3, lr=0.1, weight_decay=0.01, momentum_warmup=2, final_lr_fraction=0.5)
    model = RestrictedBoltzmannMachine(cfg, (1, 2, 2), 10)
    ascent = model.learner.ascent
    before = [p.clone() for p in (model.rbm.weights, model.rbm.visible_bias, model.rbm.hidden_bias)]
    gradients = (torch.full((4, 3), 0.2), torch.full((4,), -0.1), torch.full((3,), 0.3))
    ascent.ascend(gradients, 0, 4)
    assert torch.allclose(model.rbm.weights, before[0] + 0.1 * (gradients[0] - 0.01 * before[0]))
    assert torch.allclose(model.rbm.visible_bias, before[1] + 0.1 * gradients[1])
    assert torch.allclose(model.rbm.hidden_bias, before[2] + 0.1 * gradients[2])
    schedule = []
    for update in range(1, 4):
        ascent.ascend(gradients, update, 4)
        group = model.optimizers["rbm"].param_groups[0]
        schedule.append((round(group["lr"], 6), group["momentum"]))
    # updates 1, 2, 3 of 4: lr falls linearly towards 0.05; momentum switches after the 2 warm-up updates
    assert schedule == [(0.0875, 0.5), (0.075, 0.9), (0.0625, 0.9)]


def test_the_models_ais_log_likelihood_agrees_with_enumeration(monkeypatch):
    torch.manual_seed(0)
    model = RestrictedBoltzmannMachine(RBMConfig(hidden=10), (1, 3, 4), 10)
    model.rbm.weights.normal_(0, 1.0)
    images = torch.bernoulli(torch.full((300, 1, 3, 4), 0.3))
    model.train_step(images[:100], None)                    # sets the base rate from data
    exact = model.log_likelihood(images, {}, 0)
    monkeypatch.setattr(exact_module, "MAX_ENUMERATED_BITS", 4)   # too big to enumerate, as far as the model knows
    annealed = model.log_likelihood(images, {"betas": 2000, "chains": 200}, 0)
    assert exact.method == "exact" and annealed.method.startswith("AIS")
    assert abs(annealed.value - exact.value) < 0.05   # the same images: only log Z differs
    assert annealed.details["warning"] is None and annealed.budget == {"betas": 2000, "chains": 200}
    assert annealed.details["log_partition_method"].startswith("AIS")


def tiny_gaussian_rbm(visible: int, hidden: int, seed: int) -> GaussianRBM:
    g = torch.Generator().manual_seed(seed)
    rbm = GaussianRBM(visible, hidden)
    rbm.weights.copy_(torch.randn(visible, hidden, generator=g) * 0.5)
    rbm.visible_bias.copy_(torch.randn(visible, generator=g) * 0.5)
    rbm.hidden_bias.copy_(torch.randn(hidden, generator=g) * 0.5)
    return rbm


def test_gaussian_rbm_log_partition_matches_quadrature():
    rbm = tiny_gaussian_rbm(1, 3, 0)
    v = torch.linspace(-15, 15, 200_001).unsqueeze(1)
    density = torch.exp(-copy.deepcopy(rbm).double().free_energy(v.double()))
    integral = torch.trapezoid(density, v.squeeze(1).double()).item()
    assert abs(math.log(integral) - log_partition_exact_gaussian(rbm)) < 1e-6


def test_gaussian_rbm_ais_matches_the_exact_log_partition():
    rbm = tiny_gaussian_rbm(6, 4, 1)
    result = log_partition_by_annealing(GaussianVisiblePath(rbm), annealing_schedule(2000), 200, seed=0)
    exact = log_partition_exact_gaussian(rbm)
    assert abs(result.log_partition.value - exact) < 0.1 and abs(result.reverse_log_partition.value - exact) < 0.1


def test_gaussian_cd_with_long_chains_gives_the_exact_log_likelihood_gradient():
    rbm = tiny_gaussian_rbm(3, 4, 2)
    g = torch.Generator().manual_seed(3)
    v_data = rbm.visible_bias + torch.randn((50, 3), generator=g)
    v_model = v_data.repeat(400, 1)
    for _ in range(100):
        _, v_model = rbm.gibbs_sweep(v_model, g)
    estimated = statistics_difference([v_data, rbm.hidden_probs(v_data)], [v_model, rbm.hidden_probs(v_model)])
    W, b, c = (p.detach().double().requires_grad_() for p in (rbm.weights, rbm.visible_bias, rbm.hidden_bias))
    h = binary_states(4)
    log_z = torch.logsumexp(h @ c + ((h @ W.T + b).square().sum(1) - b.square().sum()) / 2, 0)
    vd = v_data.double()
    (((-(vd - b).square().sum(1) / 2 + torch.nn.functional.softplus(vd @ W + c).sum(1)).mean()) - log_z).backward()
    for got, want in zip(estimated, (W.grad, b.grad, c.grad)):
        assert torch.allclose(got.double(), want, atol=0.05), (got, want)


def test_a_gaussian_rbm_on_grey_digits_beats_independent_gaussian_pixels(tmp_path, tiny_config):
    cfg = tiny_config("rbm", "data.binarize=none", "model.visible=gaussian", "model.lr=0.01", "train.epochs=10")
    _, trainer = run.train(cfg, tmp_path / "grbm", progress_bar=False)
    model = open_run(tmp_path / "grbm").model
    test = trainer.dataset.test.images
    rbm_ll = model.log_likelihood(test, {}, 0)
    assert rbm_ll.method.startswith("log density of grey pixels") and "exact" in rbm_ll.method
    # the same unit-variance Gaussian per standardized pixel, centred on the pixel means: the RBM with no weights
    v = model.visible_units(test)
    independent = (-(v - v.mean(0)).square().sum(1) / 2 - 64 / 2 * math.log(2 * math.pi)
                   - 64 * math.log(model.pixel_scale.item())).mean().item()
    assert rbm_ll.value > independent + 2, (rbm_ll.value, independent)
    samples = model.sample(4, torch.Generator().manual_seed(0))
    assert samples.shape == (4, 1, 8, 8) and 0 <= samples.min() and samples.max() <= 1


def test_gaussian_units_refuse_binarized_data_and_binary_units_grey_data(tiny_config):
    with pytest.raises(GenzooError, match="model.visible=gaussian models grey images"):
        tiny_config("rbm", "model.visible=gaussian")
    with pytest.raises(GenzooError, match="binarize"):
        tiny_config("rbm", "data.binarize=none")
