"""The DBN's bound against the exact log-likelihood of a tiny DBN, and its training in phases, one per layer."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from genzoo import run
from genzoo.errors import GenzooError
from genzoo.likelihood.exact import binary_states, log_partition_exact
from genzoo.models.dbn import DBN, DBNConfig
from genzoo.nn.dbm import binary_entropy
from genzoo.run import open_run
from genzoo.train.metrics_log import read_metrics


def tiny_dbn(seed: int, fine_tune_fraction: float = 0.0) -> DBN:
    """6 visible units, then 4 and 3 hidden, the layers given equal shares: small enough to enumerate."""
    torch.manual_seed(seed)
    model = DBN(DBNConfig(layers=(4, 3), layer_shares=(), fine_tune_fraction=fine_tune_fraction), (1, 2, 3), 10)
    for learner in model.learners:
        for parameter in learner.rbm.parameters():
            parameter.normal_(0, 1.0)
    return model


def exact_and_bound(model: DBN, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per image, log p(v) and the variational bound, both by enumerating h1."""
    bottom, top = (copy.deepcopy(learner.rbm).double() for learner in model.learners)
    v = v.double()
    h1 = binary_states(4)                                                  # (16, 4)
    logits = h1 @ bottom.weights.T + bottom.visible_bias                   # (16, 6)
    log_p_v_given_h = -F.binary_cross_entropy_with_logits(
        logits.unsqueeze(1).expand(-1, len(v), -1), v.expand(16, -1, -1), reduction="none").sum(-1)   # (16, N)
    log_prior = (-top.free_energy(h1) - log_partition_exact(top)).unsqueeze(1)                        # (16, 1)
    exact = torch.logsumexp(log_p_v_given_h + log_prior, 0)
    q_on = bottom.hidden_probs(v)                                          # (N, 4)
    log_q = (h1.unsqueeze(1) * q_on.log() + (1 - h1.unsqueeze(1)) * (1 - q_on).log()).sum(-1)     # (16, N)
    bound = (log_q.exp() * (log_p_v_given_h + log_prior - log_q)).sum(0)
    return exact, bound


def test_the_bound_never_exceeds_the_exact_log_likelihood_and_the_estimate_finds_it():
    model = tiny_dbn(0)
    v = torch.bernoulli(torch.full((40, 6), 0.4), generator=torch.Generator().manual_seed(1))
    exact, bound = exact_and_bound(model, v)
    assert (bound <= exact + 1e-9).all()
    assert (exact - bound).mean() > 0.05                                  # a real gap: q is not the posterior
    estimate = model.log_likelihood(v.reshape(40, 1, 2, 3), {"samples": 20_000}, 0)
    assert estimate.details["log_partition_method"] == "exact"
    assert abs(estimate.value - bound.mean().item()) < 0.03, (estimate.value, bound.mean().item())
    assert estimate.value < exact.mean().item()


def test_entropy_is_zero_at_certainty_and_log_two_at_a_coin_flip():
    assert torch.allclose(binary_entropy(torch.tensor([0.0, 1.0, 0.5])), torch.tensor([0.0, 0.0, 0.6931472]))


def test_each_layer_trains_in_its_own_phase_on_the_frozen_layers_below(tiny_config, tmp_path):
    model = tiny_dbn(0)
    model.total_steps = 6
    x = torch.bernoulli(torch.full((8, 1, 2, 3), 0.5))
    phases = []
    for _ in range(6):
        phases.append(model.phase())
        bottom_before = model.learners[0].rbm.weights.clone()
        top_before = model.learners[1].rbm.weights.clone()
        scalars = model.train_step(x, None)
        bottom_moved = not torch.equal(bottom_before, model.learners[0].rbm.weights)
        top_moved = not torch.equal(top_before, model.learners[1].rbm.weights)
        assert (bottom_moved, top_moved) == ((True, False) if phases[-1] == "layer 1/2" else (False, True))
        assert all(key.startswith(phases[-1].replace("layer ", "layer")[:6]) for key in scalars)
    assert phases == ["layer 1/2"] * 3 + ["layer 2/2"] * 3
    assert model.learners[1].updates == 3          # the top layer's lr schedule runs over its own phase


def test_a_trained_dbn_samples_shows_its_chain_and_logs_its_phases(tmp_path, tiny_config):
    cfg = tiny_config("dbn", "train.epochs=2", "model.lr=0.05")
    run.train(cfg, tmp_path / "dbn", progress_bar=False)
    model = open_run(tmp_path / "dbn").model
    assert model.sample(3, torch.Generator().manual_seed(0)).shape == (3, 1, 8, 8)
    assert (tmp_path / "dbn" / "samples" / "gibbs_chain.png").is_file()
    records = [r for r in read_metrics(tmp_path / "dbn" / "metrics.jsonl") if r.get("split", "train") == "train"]
    assert {r["phase"] for r in records} == {"layer 1/2", "layer 2/2"}
    assert all(any(k.startswith(r["phase"].replace(" ", "")[:6]) for k in r) for r in records)


def test_up_down_fine_tuning_unties_the_weights_without_changing_the_model_until_it_learns():
    model = tiny_dbn(0, fine_tune_fraction=0.5)
    model.total_steps = 8
    x = torch.bernoulli(torch.full((8, 1, 2, 3), 0.5), generator=torch.Generator().manual_seed(2))
    for _ in range(4):
        model.train_step(x, None)
    assert model.phase() == "up-down" and not model.untied
    v = x.flatten(1)
    before = model.unnormalised_bound(v, 50, torch.Generator().manual_seed(3))
    rbm_weights = model.learners[0].rbm.weights.clone()
    model.cfg.lr = 0.0          # the untying alone (every update reads this config): weights start as the RBM's
    model.train_step(x, None)
    assert model.untied and torch.equal(model.generative_weights[0], rbm_weights)
    assert torch.equal(model.unnormalised_bound(v, 50, torch.Generator().manual_seed(3)), before)
    model.cfg.lr = 0.1
    model.train_step(x, None)
    assert not torch.equal(model.generative_weights[0], model.learners[0].rbm.weights)   # now they part ways


def test_layer_shares_give_the_bottom_layer_twice_the_top_layers_updates():
    model = DBN(DBNConfig(layers=(4, 3), layer_shares=(2.0, 1.0)), (1, 2, 3), 10)
    model.total_steps = 9
    x = torch.bernoulli(torch.full((8, 1, 2, 3), 0.5))
    phases = []
    for _ in range(9):
        phases.append(model.phase())
        model.train_step(x, None)
    assert phases == ["layer 1/2"] * 6 + ["layer 2/2"] * 3
    assert (model.learners[0].updates, model.learners[1].updates) == (6, 3)


def test_layer_shares_that_do_not_match_the_layers_are_refused_in_one_line():
    with pytest.raises(GenzooError, match=r"needs one positive share per layer of model.layers=\[500, 2000\]"):
        DBN.resolve(DBNConfig(layer_shares=(1.0, 1.0, 1.0)), binarized=True)
    with pytest.raises(GenzooError, match="one positive share per layer"):
        DBN.resolve(DBNConfig(layer_shares=(1.0, 0.0)), binarized=True)


def test_layer_shares_that_do_not_add_up_exactly_still_end_the_last_layer_at_the_greedy_phases_end():
    model = DBN(DBNConfig(layers=(4, 3, 2), layer_shares=(0.1, 0.2, 0.3)), (1, 2, 3), 10)
    for total in (9, 99_999):   # the old floor(total * sum / sum) gave 8 and 99,998
        model.total_steps = total
        bounds = model.phase_bounds()
        assert bounds[-2] == bounds[-1] == total and bounds == sorted(bounds)


def test_the_sleep_pass_starts_from_the_negative_state_of_the_top_rbms_cd_step():
    """Hinton, Osindero & Teh 2006, Appendix B: sleeppenstates = negpenstates; a second Gibbs chain of its own would
    be sampled afresh and miss the state the top RBM's update just used."""
    model = tiny_dbn(0, fine_tune_fraction=0.5)
    model.total_steps = 6
    x = torch.bernoulli(torch.full((8, 1, 2, 3), 0.5), generator=torch.Generator().manual_seed(2))
    for _ in range(3):
        model.train_step(x, None)
    assert model.phase() == "up-down"
    top, chains, top_down_inputs = model.learners[-1], [], []
    gibbs, generative_mean = top.gibbs, model.generative_mean

    def recorded_gibbs(*args, **kwargs):
        chains.append(gibbs(*args, **kwargs))
        return chains[-1]

    def recorded_generative_mean(layer, h):
        top_down_inputs.append(h)
        return generative_mean(layer, h)

    top.gibbs, model.generative_mean = recorded_gibbs, recorded_generative_mean
    model.train_step(x, None)
    assert len(chains) == 1, "one Gibbs run: the CD step's"
    assert any(torch.equal(h, chains[0]) for h in top_down_inputs), "the down pass starts from its end"
