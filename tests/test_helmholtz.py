"""The Helmholtz machine against exact answers: enumerated likelihood, the delta rule, importance weights."""

from __future__ import annotations

import pytest
import torch

from genzoo import run
from genzoo.data import binarize
from genzoo.errors import GenzooError
from genzoo.likelihood.exact import binary_states, log_marginal_exact
from genzoo.models.helmholtz import HelmholtzConfig, HelmholtzMachine
from genzoo.run import make_run_config, open_run

LAYERS = (3, 2)   # over 2x3 images: 2^6 images and 2^5 latent states, all enumerable


def tiny_machine(algorithm: str = "wake-sleep", samples: int = 5) -> HelmholtzMachine:
    torch.manual_seed(0)
    model = HelmholtzMachine(HelmholtzConfig(layers=LAYERS, algorithm=algorithm, samples=samples), (1, 2, 3), 10)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0, 1.5)   # strong weights: a posterior far from q's
    return model


def some_images(n: int, seed: int) -> torch.Tensor:
    return torch.bernoulli(torch.full((n, 6), 0.4), generator=torch.Generator().manual_seed(seed))


def bottom_up(x: torch.Tensor, h: torch.Tensor) -> list[torch.Tensor]:
    """States [x, h_1, h_2] shaped (S, N, .) for images x (N, 6) and latent states h (S, 5)."""
    return [x.expand(len(h), -1, -1)] + [part[:, None].expand(-1, len(x), -1) for part in h.split(LAYERS, dim=1)]


def delta_rule(layer: torch.nn.Linear, given: torch.Tensor, target: torch.Tensor,
               weights: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(dW, db) = mean over examples of sum over samples of w (target - sigmoid(W given + b)) given^T: the local
    delta rule of Hinton et al. 1995, each of the (K, N) samples weighted by ``weights`` (1 when None)."""
    error = target - torch.sigmoid(layer(given))
    if weights is not None:
        error = weights[..., None] * error
    n = given.shape[-2]
    return torch.einsum("...i,...j->ij", error, given) / n, error.flatten(0, -2).sum(0) / n


def assert_gradient_climbs(layer: torch.nn.Linear, step: tuple[torch.Tensor, torch.Tensor]) -> None:
    assert torch.allclose(-layer.weight.grad, step[0], atol=1e-6)
    assert torch.allclose(-layer.bias.grad, step[1], atol=1e-6)


def test_importance_sampled_estimate_converges_to_the_exact_log_likelihood():
    model = tiny_machine()
    images = binary_states(6, torch.float32)
    exact = log_marginal_exact(lambda x, h: model.log_joint(bottom_up(x, h)), images, sum(LAYERS))
    assert abs(torch.logsumexp(exact, 0).item()) < 1e-5   # p(x) sums to one over every image
    estimates = [model.log_likelihood(images.reshape(-1, 1, 2, 3), {"k": k}, seed=0) for k in (1, 100, 5000)]
    values = [e.value for e in estimates]
    assert values[0] < values[1] < values[2] and values[0] < exact.mean().item() - 1.0, values
    assert abs(values[2] - exact.mean().item()) < 0.02, (values, exact.mean().item())
    assert estimates[2].budget == {"k": 5000} and "stochastic lower bound" in estimates[2].method


def test_wake_and_sleep_updates_are_the_delta_rule():
    """Wake: h ~ q(h|x), p climbs log p(x, h); sleep: (h, x) ~ p, q climbs log q(h|x) (Hinton et al. 1995)."""
    model = tiny_machine()
    x = some_images(20, 1)
    torch.manual_seed(1)
    _, h1, h2 = (s[0] for s in model.recognition.sample(x[None])[0])
    torch.manual_seed(1)
    model.wake_phase(x, 1)[0].backward()
    top_down, bottom = model.generative.layers
    assert_gradient_climbs(bottom, delta_rule(bottom, h1, x))
    assert_gradient_climbs(top_down, delta_rule(top_down, h2, h1))
    assert torch.allclose(-model.prior.logits.grad, (h2 - torch.sigmoid(model.prior.logits)).mean(0))
    assert all(p.grad is None for p in model.recognition.parameters())

    model.zero_grad(set_to_none=True)
    torch.manual_seed(2)
    dream_x, dream_h1, dream_h2 = model.dream(20)
    torch.manual_seed(2)
    model.sleep_phase(20).backward()
    first, second = model.recognition.layers
    assert_gradient_climbs(first, delta_rule(first, dream_x, dream_h1))
    assert_gradient_climbs(second, delta_rule(second, dream_h1, dream_h2))
    assert all(p.grad is None for p in [*model.prior.parameters(), *model.generative.parameters()])


def test_reweighted_wake_phase_weighs_samples_by_their_normalised_importance_weights():
    model = tiny_machine("reweighted", samples=4)
    x = some_images(10, 2)
    torch.manual_seed(3)
    _, h1, h2 = model.recognition.sample(x.expand(4, -1, -1))[0]
    torch.manual_seed(3)
    generative_loss, recognition_loss, log_px = model.wake_phase(x, 4)
    (generative_loss + recognition_loss).backward()

    def probability(logits, units):   # prod_j of p_j or 1 - p_j, in float64
        on = torch.sigmoid(logits.double())
        return torch.where(units == 1, on, 1 - on).prod(-1)

    top_down, bottom = model.generative.layers
    first, second = model.recognition.layers
    p = probability(model.prior.logits, h2) * probability(top_down(h2), h1) * probability(bottom(h1), x)
    q = probability(first(x), h1) * probability(second(h1), h2)
    ratio = p / q                                     # (K, N)
    w = (ratio / ratio.sum(0)).float()
    assert torch.allclose(log_px.double(), ratio.mean(0).log(), atol=1e-5)
    assert_gradient_climbs(bottom, delta_rule(bottom, h1, x, w))
    assert_gradient_climbs(first, delta_rule(first, x.expand(4, -1, -1), h1, w))
    assert_gradient_climbs(second, delta_rule(second, h1, h2, w))


@pytest.mark.parametrize("algorithm", ["wake-sleep", "reweighted"])
def test_training_on_digits_raises_the_held_out_log_likelihood(tmp_path, tiny_config, algorithm):
    cfg = tiny_config("helmholtz", f"model.algorithm={algorithm}", "train.epochs=10", "train.log_every=50")
    untrained = run.build_model(cfg, (1, 8, 8), 10)
    _, trainer = run.train(cfg, tmp_path / "run", progress_bar=False)
    model = open_run(tmp_path / "run").model
    test = binarize(trainer.dataset.test.images, torch.Generator().manual_seed(0))
    before, after = (m.log_likelihood(test, {"k": 100}, 0).value for m in (untrained, model))
    assert after > before + 10, (before, after)
    samples = model.sample(5, torch.Generator().manual_seed(0))
    assert samples.shape == (5, 1, 8, 8) and 0 <= samples.min() and samples.max() <= 1


def test_grey_images_and_a_wake_sleep_without_sleep_are_refused():
    with pytest.raises(GenzooError, match="the helmholtz models binary images: drop data.binarize=none"):
        make_run_config("helmholtz", "digits", overrides=["data.binarize=none"])
    with pytest.raises(GenzooError, match="option of --set model.algorithm=reweighted"):
        make_run_config("helmholtz", "digits", overrides=["data.binarize=dynamic", "model.sleep_phase_q=false"])
