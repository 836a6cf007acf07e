"""Training quality, for real: small models trained on the 8x8 digits model held-out digits better than independent
pixels do. Each trains for tens of seconds, so they are marked slow: ``make test-slow`` runs them."""

import pytest
import torch

from genzoo.data import binarize, load_dataset
from genzoo.evaluate.suite import likelihood_images
from genzoo.nn.rbm import smoothed_mean
from genzoo.nn.sigmoid_belief import bernoulli_log_prob
from genzoo.run import make_run_config, open_run, train

pytestmark = pytest.mark.slow

# The demo's settings at a quarter of its epochs, with layers small enough for the likelihoods named in the margins'
# comments. The margins sit below what a run measured (RBM: -23.90 exact against -27.04 for independent pixels).
RUNS = {
    "rbm": (["train.epochs=50", "train.batch_size=50", "data.binarize=dynamic", "model.hidden=20",
             "model.persistent=true", "model.persistent_chains=50", "model.lr=0.05", "model.momentum_warmup=500",
             "train.sample_every=10000"], {}, 2.0),   # exact log-likelihood: 20 hidden units are enumerated
}


def independent_pixels(train_images: torch.Tensor, test_images: torch.Tensor) -> float:
    """Mean log-likelihood of binary test images under independent pixels at the binarized training set's means."""
    train_bits = binarize(train_images, torch.Generator().manual_seed(0)).flatten(1)
    logits = torch.logit(smoothed_mean(train_bits.sum(0), len(train_bits), 0.5))
    return bernoulli_log_prob(logits.expand(len(test_images), -1), test_images.flatten(1)).mean().item()


@pytest.mark.parametrize("model", RUNS)
def test_a_trained_model_beats_independent_pixels_on_held_out_digits(tmp_path, model):
    overrides, budget, margin = RUNS[model]
    cfg = make_run_config(model, "digits", overrides=overrides)
    train(cfg, tmp_path / model, progress_bar=False)
    data = load_dataset("digits", cfg.data)
    images, _ = likelihood_images(data.test.images, cfg.data.binarize, seed=0)
    estimate = open_run(tmp_path / model).model.log_likelihood(images, budget, 0)
    assert estimate.value > independent_pixels(data.train.images, images) + margin
