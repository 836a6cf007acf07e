"""The DBM against enumeration: log Z exactly and by AIS, the mean-field bound, the Gibbs sampler; its phases."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from genzoo import run
from genzoo.likelihood.ais import BaseRatePath, annealing_schedule, log_partition_by_annealing
from genzoo.likelihood.exact import binary_states, log_partition_exact
from genzoo.models.dbm import DBMConfig, DeepBoltzmannMachine
from genzoo.nn.dbm import DBM
from genzoo.run import open_run
from genzoo.train.metrics_log import read_metrics

SIZES = (5, 4, 3)
DEEPER = (4, 3, 3, 2)   # three hidden layers: the odd ones (h1, h3) are summed out together


def tiny_dbm(seed: int, scale: float = 1.0, sizes: tuple[int, ...] = SIZES) -> DBM:
    g = torch.Generator().manual_seed(seed)
    dbm = DBM(sizes)
    for parameter in dbm.parameters():
        parameter.copy_(torch.randn(parameter.shape, generator=g) * scale)
    return dbm


def all_states_log_weights(dbm: DBM) -> tuple[torch.Tensor, torch.Tensor]:
    """Every joint state (v, h1, ..) of a tiny DBM and its -E, by brute force over all its bits."""
    states = binary_states(sum(dbm.sizes))
    layers = states.split(dbm.sizes, dim=1)
    weights = [w.double() for w in dbm.layer_weights]
    biases = [b.double() for b in dbm.layer_biases]
    negative_energy = sum(((a @ w) * b).sum(1) for a, w, b in zip(layers, weights, layers[1:]))
    negative_energy = negative_energy + sum(x @ b for x, b in zip(layers, biases))
    return states, negative_energy


def exact_log_likelihood(dbm: DBM, images: torch.Tensor) -> torch.Tensor:
    states, negative_energy = all_states_log_weights(dbm)
    log_z = torch.logsumexp(negative_energy, 0)
    v = states[:, :dbm.sizes[0]]
    return torch.stack([torch.logsumexp(negative_energy[(v == x).all(1)], 0) - log_z for x in images.double()])


@pytest.mark.parametrize("sizes", [SIZES, DEEPER])
def test_summing_out_the_odd_layers_gives_the_brute_force_log_partition(sizes):
    dbm = tiny_dbm(0, sizes=sizes)
    _, negative_energy = all_states_log_weights(dbm)
    assert abs(log_partition_exact(dbm) - torch.logsumexp(negative_energy, 0).item()) < 1e-9


@pytest.mark.parametrize("sizes", [SIZES, DEEPER])
def test_ais_matches_the_exact_log_partition_of_a_tiny_dbm_forward_and_reverse(sizes):
    dbm = tiny_dbm(1, sizes=sizes)
    data = torch.bernoulli(torch.full((200, sizes[0]), 0.3), generator=torch.Generator().manual_seed(2))
    result = log_partition_by_annealing(BaseRatePath.from_data(dbm, data), annealing_schedule(3000), 300, seed=0)
    exact = log_partition_exact(dbm)
    assert abs(result.log_partition.value - exact) < 0.1, (result.log_partition.value, exact)
    assert abs(result.reverse_log_partition.value - exact) < 0.1
    assert result.warning is None


@pytest.mark.parametrize("sizes", [SIZES, DEEPER])
def test_mean_field_climbs_to_a_bound_below_the_exact_log_likelihood(sizes):
    dbm = tiny_dbm(3, sizes=sizes)
    images = binary_states(sizes[0]).float()
    exact = exact_log_likelihood(dbm, images)
    log_z = log_partition_exact(dbm)
    bounds = [dbm.variational_bound(dbm.mean_field(images, steps)).double() - log_z for steps in (0, 1, 5, 50)]
    for looser, tighter in itertools.pairwise(bounds):
        assert (tighter >= looser - 1e-5).all()               # each round of updates is coordinate ascent
    assert (bounds[-1] <= exact + 1e-5).all()
    assert (exact - bounds[-1]).mean() > 0.01                 # strictly a bound: q is factorial, the posterior not


@pytest.mark.parametrize("steps", [0, 1, 4])
def test_the_bound_from_mean_field_inputs_equals_the_energy_at_the_means(steps):
    """The bound takes its energy from the inputs mean-field computed; it must be -E at the means plus H(q)."""
    dbm = tiny_dbm(3, sizes=DEEPER)
    q = dbm.mean_field(binary_states(DEEPER[0]).float(), steps)
    mu, weights, biases = q.means, dbm.layer_weights, dbm.layer_biases
    negative_energy = (sum(m @ b for m, b in zip(mu, biases))
                       + sum(((a @ w) * b).sum(-1) for a, w, b in zip(mu[:-1], weights, mu[1:])))
    entropy = sum(-(m * m.log() + (1 - m) * (1 - m).log()).sum(-1) for m in mu[1:])
    torch.testing.assert_close(dbm.variational_bound(q), negative_energy + entropy)


@pytest.mark.parametrize("odd_last", [False, True])
def test_gibbs_sweeps_sample_the_exact_visible_marginal(odd_last):
    """Either order of a sweep samples the DBM; the one that draws the odd layers last (the persistent chains') also
    gives their probabilities given the even layers it drew."""
    dbm = tiny_dbm(4, scale=0.7)
    g = torch.Generator().manual_seed(5)
    states = [torch.bernoulli(torch.full((20_000, size), 0.5), generator=g) for size in SIZES]
    for _ in range(60):
        if odd_last:
            states, probs = dbm.sweep_with_odd_probs(states, g)
            assert torch.equal(probs[1], dbm.conditional(states, 1)) and torch.equal(probs[0], states[0])
        else:
            states = dbm.gibbs_sweep(states, g)
    images = binary_states(SIZES[0]).float()
    exact = exact_log_likelihood(dbm, images).exp()
    codes = (states[0] * 2 ** torch.arange(SIZES[0] - 1, -1, -1)).sum(1).long()
    empirical = torch.bincount(codes, minlength=2 ** SIZES[0]).double() / len(codes)
    assert (empirical - exact).abs().max() < 0.01, (empirical - exact).abs().max()


def test_pretraining_doubles_the_right_inputs_and_composes_with_averaged_biases():
    model = DeepBoltzmannMachine(DBMConfig(layers=(4, 3), pretrain_fraction=0.5), (1, 1, 5), 10)
    model.total_steps = 8
    x = torch.bernoulli(torch.full((16, 1, 1, 5), 0.5))
    assert [(m.up, m.down) for m in model.pretraining] == [(2.0, 1.0), (1.0, 2.0)]
    phases = []
    for _ in range(8):
        phases.append(model.phase())
        if model.updates == 4:
            model.train_step(x, None)   # the first joint update composes the DBM, then updates it
            continue
        model.train_step(x, None)
    assert phases == ["pretrain layer 1/2"] * 2 + ["pretrain layer 2/2"] * 2 + ["joint"] * 4
    bottom, top = (m.rbm for m in model.pretraining)
    fresh = DeepBoltzmannMachine(DBMConfig(layers=(4, 3)), (1, 1, 5), 10)
    fresh.pretraining.load_state_dict(model.pretraining.state_dict())
    fresh.compose()
    assert torch.equal(fresh.dbm.layer_weights[0], bottom.weights)
    assert torch.equal(fresh.dbm.layer_weights[1], top.weights)
    assert torch.allclose(fresh.dbm.layer_biases[1], (bottom.hidden_bias + top.visible_bias) / 2)
    assert torch.equal(fresh.dbm.layer_biases[2], top.hidden_bias)


def test_a_trained_dbm_logs_its_phases_in_order_and_improves_in_the_joint_phase(tmp_path, tiny_config):
    cfg = tiny_config("dbm", "train.epochs=6", "model.lr=0.05", "model.joint_lr=0.01", "model.pretrain_fraction=0.5")
    _, trainer = run.train(cfg, tmp_path / "dbm", progress_bar=False)
    records = read_metrics(tmp_path / "dbm" / "metrics.jsonl")
    phases = [r["phase"] for r in records if r.get("split", "train") == "train"]
    steps = trainer.total_steps
    pretraining = round(steps * 0.5)
    assert phases == (["pretrain layer 1/2"] * (pretraining // 2)
                      + ["pretrain layer 2/2"] * (pretraining - pretraining // 2)
                      + ["joint"] * (steps - pretraining))
    joint = [r["variational_free_energy"] for r in records if r.get("split") == "validation"
             and "variational_free_energy" in r]
    assert joint[-1] < joint[0]
    model = open_run(tmp_path / "dbm").model
    assert model.sample(3, torch.Generator().manual_seed(0)).shape == (3, 1, 8, 8)
    assert (tmp_path / "dbm" / "samples" / "gibbs_chain.png").is_file()


def test_during_pretraining_the_dbm_samples_and_scores_the_dbm_its_stack_composes_into():
    """Not the all-zero DBM that joint training has yet to overwrite: every pixel 0.5 and log p(v) = -V log 2."""
    torch.manual_seed(0)
    images = torch.bernoulli(torch.rand(64, 1, 4, 4) * 0.2 + torch.linspace(0, 0.8, 16).reshape(1, 1, 4, 4))
    model = DeepBoltzmannMachine(DBMConfig(layers=(6, 4), lr=0.05), (1, 4, 4), 10)
    model.total_steps = 100
    for _ in range(10):
        model.train_step(images, None)
    assert model.phase() == "pretrain layer 1/2"
    composed = DBM(model.dbm.sizes)
    model.compose_into(composed)
    bound = model.log_likelihood(images, {}, seed=0)
    assert bound.method.endswith("log Z: exact")
    expected = (composed.variational_bound(composed.mean_field(images.flatten(1), 30)).double()
                - log_partition_exact(composed)).mean().item()
    assert bound.value == pytest.approx(expected, abs=1e-4)
    assert bound.value > -16 * math.log(2) + 1.0
    samples = model.sample(500, torch.Generator().manual_seed(1))
    data_means, sample_means = images.mean(0), samples.mean(0)
    assert (sample_means - data_means).abs().mean() < 0.5 * (data_means - 0.5).abs().mean()
