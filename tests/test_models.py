"""Model mechanics against known answers: exact likelihoods by quadrature, the DCGAN rules, update directions."""

import math

import pytest
import torch
from torch import nn

from genzoo.data import load_dataset
from genzoo.errors import GenzooError
from genzoo.likelihood.iwae import iwae_bound
from genzoo.models.dcgan import DCGAN
from genzoo.models.vae import VAE
from genzoo.nn.conv import stages
from genzoo.run import build_model, make_run_config


@pytest.fixture(scope="module")
def binary_digits():
    cfg = make_run_config("vae", "digits", overrides=["data.binarize=fixed"])
    return load_dataset("digits", cfg.data).test.images[:40]


def exact_log_likelihood_1d(vae: VAE, x: torch.Tensor) -> torch.Tensor:
    """log p(x) = log ∫ p(x|z) N(z; 0, 1) dz by the trapezoid rule on a fine grid (one latent unit)."""
    z = torch.linspace(-10, 10, 4001).unsqueeze(-1)
    with torch.no_grad():
        log_px_z = vae.likelihood(z).log_prob(x.flatten(1).unsqueeze(1)).sum(-1)   # (N, grid)
    log_joint = log_px_z + torch.distributions.Normal(0.0, 1.0).log_prob(z.squeeze(-1))
    dz = (z[1] - z[0]).item()
    weights = torch.full((len(z),), math.log(dz))
    weights[[0, -1]] = math.log(dz / 2)
    return torch.logsumexp(log_joint.double() + weights.double(), dim=1)


@pytest.mark.parametrize("likelihood", ["bernoulli", "continuous_bernoulli"])
def test_iwae_bound_approaches_the_exact_log_likelihood_from_below(binary_digits, likelihood):
    torch.manual_seed(0)
    cfg = make_run_config("vae", "digits", overrides=["model.latent_dim=1", "model.hidden=[32]",
                                                        f"model.likelihood={likelihood}"]).model
    vae = VAE(cfg, (1, 8, 8), 10)
    for _ in range(200):   # a partly trained model, so that q(z|x) is neither the prior nor exact
        vae.train_step(binary_digits, None)
    exact = exact_log_likelihood_1d(vae, binary_digits).mean().item()
    with torch.no_grad():
        elbo = torch.stack([vae.elbo(binary_digits)[0] for _ in range(200)]).mean().item()
    k1000 = iwae_bound(vae, binary_digits, k=1000)
    assert elbo < exact - 0.01, "the expected ELBO is a strict lower bound for an imperfect q"
    assert abs(k1000.value - exact) < 0.2 * (exact - elbo), (elbo, k1000.value, exact)
    assert k1000.stderr > 0 and k1000.budget == {"k": 1000} and k1000.n == len(binary_digits)


def test_iwae_chunks_and_batches_do_not_change_the_bound(binary_digits):
    torch.manual_seed(0)
    vae = VAE(make_run_config("vae", "digits", overrides=["model.likelihood=bernoulli"]).model, (1, 8, 8), 10)
    one = iwae_bound(vae, binary_digits, k=64, batch_size=40, chunk=64, generator_seed=3)
    # the same draws in another grouping give the same log-mean-exp up to rounding
    assert one.value == pytest.approx(iwae_bound(vae, binary_digits, k=64, batch_size=40, chunk=64,
                                                 generator_seed=3).value, abs=1e-9)
    assert iwae_bound(vae, binary_digits, k=64, chunk=16, generator_seed=3).value == pytest.approx(one.value, abs=0.5)


def test_iwae_leaves_the_global_random_state_and_the_mode_alone(binary_digits):
    vae = VAE(make_run_config("vae", "digits").model, (1, 8, 8), 10)
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    iwae_bound(vae, binary_digits, k=4)
    assert torch.equal(torch.rand(3), expected)
    assert vae.training


@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_vae_samples_are_images_in_the_unit_interval(architecture):
    cfg = make_run_config("vae", "mnist", overrides=[f"model.architecture={architecture}", "model.conv_width=4",
                                                     "model.hidden=[8]"])
    vae = build_model(cfg, (1, 28, 28), 10)
    samples = vae.sample(5, torch.Generator().manual_seed(1))
    assert samples.shape == (5, 1, 28, 28) and samples.min() >= 0 and samples.max() <= 1
    assert torch.equal(samples, vae.sample(5, torch.Generator().manual_seed(1)))


@pytest.mark.parametrize("size, channels", [(28, 1), (32, 3), (64, 3)])
def test_dcgan_follows_the_papers_architecture_rules(size, channels):
    gan = DCGAN(make_run_config("dcgan", "mnist").model, (channels, size, size), 10)
    for network, activation, forbidden in ((gan.generator, nn.ReLU, nn.LeakyReLU),
                                           (gan.discriminator, nn.LeakyReLU, nn.ReLU)):
        kinds = [type(m) for m in network.modules()]
        assert nn.BatchNorm2d in kinds, "batch norm in both networks"
        assert nn.Linear not in kinds, "no fully connected hidden layers"
        assert not any(issubclass(k, (nn.MaxPool2d, nn.AvgPool2d)) for k in kinds), "strides, not pooling"
        assert activation in kinds and forbidden not in kinds
    first_conv = next(m for m in gan.discriminator.modules() if isinstance(m, nn.Conv2d))
    assert first_conv.stride == (2, 2)
    assert not isinstance(list(gan.discriminator)[1], nn.BatchNorm2d), "no batch norm on D's input layer"
    assert not isinstance(list(gan.generator)[-1], nn.BatchNorm2d), "no batch norm on G's output layer"
    assert gan.optimizers["generator"].defaults["lr"] == 2e-4
    assert gan.optimizers["generator"].defaults["betas"] == (0.5, 0.999)
    images = gan.sample(4)
    assert images.shape == (4, channels, size, size) and images.min() >= 0 and images.max() <= 1


def test_a_generator_update_raises_the_discriminators_belief_in_its_samples():
    torch.manual_seed(0)
    gan = DCGAN(make_run_config("dcgan", "digits").model, (1, 8, 8), 10)
    z = gan.noise(64)
    gan.eval()   # measure with fixed batch-norm statistics
    before = torch.sigmoid(gan.discriminator(torch.tanh(gan.generator(z)))).mean()
    gan.train()
    fake_loss = nn.functional.binary_cross_entropy_with_logits
    for _ in range(5):
        scores = gan.discriminator(torch.tanh(gan.generator(z)))
        gan._update("generator", fake_loss(scores, torch.ones_like(scores)))
    gan.eval()
    after = torch.sigmoid(gan.discriminator(torch.tanh(gan.generator(z)))).mean()
    assert after > before


def test_discriminator_step_separates_real_from_fake():
    torch.manual_seed(0)
    gan = DCGAN(make_run_config("dcgan", "digits").model, (1, 8, 8), 10)
    real = torch.rand(64, 1, 8, 8).round()
    scalars = [gan.train_step(real, None) for _ in range(30)]
    assert scalars[-1]["d_real"] > scalars[-1]["d_fake"]
    assert set(scalars[0]) == {"d_loss", "g_loss", "d_real", "d_fake"}


@pytest.mark.parametrize("size", [8, 16, 28, 32, 64])
def test_supported_sizes(size):
    base, n = stages(size)
    assert base * 2 ** n == size


@pytest.mark.parametrize("size", [10, 7, 48, 100])
def test_unsupported_sizes_are_a_clear_error(size):
    with pytest.raises(GenzooError, match=f"image size {size} does not suit"):
        stages(size)


def test_first_step_losses_match_an_undecided_discriminator():
    """With N(0, 0.02) weights D outputs logits near 0, so D's loss is 2 log 2 and the non-saturating
    generator loss -log D(G(z)) is log 2 (the saturating log(1 - D(G(z))) would be -log 2)."""
    torch.manual_seed(0)
    gan = DCGAN(make_run_config("dcgan", "digits").model, (1, 8, 8), 10)
    scalars = gan.train_step(torch.rand(64, 1, 8, 8), None)
    assert scalars["d_loss"] == pytest.approx(2 * math.log(2), abs=0.05)
    assert scalars["g_loss"] == pytest.approx(math.log(2), abs=0.05)
