"""GAN and WGAN mechanics against known answers: the losses by hand, the penalty's closed form, clipping, n_critic."""

import json
import math

import pytest
import torch
from conftest import TINY
from torch import nn

from genzoo import run
from genzoo.errors import GenzooError
from genzoo.models.wgan import WGAN
from genzoo.nn.gan_losses import discriminator_loss, generator_loss
from genzoo.nn.wasserstein import gradient_penalty
from genzoo.run import build_model, make_run_config


def tiny_model(name: str, *overrides: str, image_shape=(1, 8, 8)):
    return build_model(make_run_config(name, "digits", overrides=[*TINY[name], *overrides]), image_shape, 10)


def test_gradient_penalty_of_a_linear_critic_is_its_closed_form_wherever_it_interpolates():
    """f(x) = w.x + b has gradient w everywhere, so the penalty is lambda (||w|| - 1)^2 for any eps."""
    torch.manual_seed(0)
    linear = nn.Linear(64, 1)
    critic = nn.Sequential(nn.Flatten(), linear)
    w = linear.weight.detach().flatten()
    for scale in (0.1, 1.0, 30.0):
        real, fake = torch.rand(20, 1, 8, 8), scale * torch.randn(20, 1, 8, 8)
        penalty = gradient_penalty(critic, real, fake, weight=10.0)
        assert penalty.item() == pytest.approx(10 * (w.norm().item() - 1) ** 2, rel=1e-5)
    penalty.backward()   # differentiable in the weights: d/dw lambda (||w|| - 1)^2 = 2 lambda (||w|| - 1) w / ||w||
    assert torch.allclose(linear.weight.grad.flatten(), 20 * (w.norm() - 1) * w / w.norm(), atol=1e-5)


@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_after_a_critic_step_every_critic_weight_is_within_the_clip(architecture):
    wgan = tiny_model("wgan", f"model.architecture={architecture}", "model.hidden=[16]", "model.critic_steps=1")
    clip = wgan.cfg.clip
    assert max(p.abs().max() for p in wgan.critic.parameters()) > clip, "some initial weights lie outside"
    wgan.train_step(torch.rand(16, 1, 8, 8), None)
    weights = torch.cat([p.detach().flatten() for p in wgan.critic.parameters()])
    assert weights.abs().max() <= clip and (weights.abs() == clip).any()


def test_generator_losses_are_the_papers_and_only_the_minimax_one_saturates():
    logits = torch.tensor([-12.0, -6.0, -1.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    d = torch.sigmoid(logits).detach()   # D(G(z))
    minimax, non_saturating = generator_loss(logits, "minimax"), generator_loss(logits, "non-saturating")
    assert minimax.item() == pytest.approx(torch.log(1 - d).mean().item(), rel=1e-12)
    assert non_saturating.item() == pytest.approx(-torch.log(d).mean().item(), rel=1e-12)

    (minimax_grad,) = torch.autograd.grad(minimax, logits)
    (non_saturating_grad,) = torch.autograd.grad(non_saturating, logits)
    n = len(logits)
    assert torch.allclose(minimax_grad, -d / n)              # d/dl log(1 - sigmoid(l)) = -D(G(z))
    assert torch.allclose(non_saturating_grad, (d - 1) / n)  # d/dl -log sigmoid(l) = D(G(z)) - 1
    # where D rejects a fake with confidence (D(G(z)) ~ 6e-6) the minimax gradient vanishes, the other does not
    assert abs(minimax_grad[0]) * n < 1e-5 and abs(non_saturating_grad[0]) * n > 0.99999


def test_one_sided_label_smoothing_smooths_the_real_target_only():
    real, fake = torch.tensor([-3.0, 0.5, 4.0], dtype=torch.float64), torch.tensor([-1.0, 2.0], dtype=torch.float64)
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    bce_against_09 = -(0.9 * torch.log(d_real) + 0.1 * torch.log(1 - d_real)).mean()
    fake_term = -torch.log(1 - d_fake).mean()
    assert discriminator_loss(real, fake, 0.9).item() == pytest.approx((bce_against_09 + fake_term).item(), rel=1e-12)
    assert discriminator_loss(real, fake).item() == pytest.approx((-torch.log(d_real).mean() + fake_term).item(),
                                                                  rel=1e-12)


class ConstantLogit(nn.Module):
    """A discriminator that says the same logit of every image, and that its optimizer does not own."""

    def __init__(self, logit: float):
        super().__init__()
        self.logit = nn.Parameter(torch.tensor([logit]))

    def forward(self, x):
        return self.logit.expand(len(x), 1)


@pytest.mark.parametrize("name", ["gan", "dcgan"])
@pytest.mark.parametrize("kind, expected", [("minimax", lambda d: math.log(1 - d)),
                                            ("non-saturating", lambda d: -math.log(d))])
def test_a_training_step_uses_the_configured_losses(name, kind, expected):
    gan = tiny_model(name, f"model.generator_loss={kind}", "model.real_label=0.9")
    gan.discriminator = ConstantLogit(-2.0)
    scalars = gan.train_step(torch.rand(8, 1, 8, 8), None)
    d = 1 / (1 + math.exp(2.0))
    assert scalars["d_loss"] == pytest.approx(-(0.9 * math.log(d) + 0.1 * math.log(1 - d)) - math.log(1 - d), rel=1e-5)
    assert scalars["g_loss"] == pytest.approx(expected(d), rel=1e-5)


@pytest.mark.parametrize("name, critic_steps", [("wgan", 5), ("wgan-gp", 3)])
def test_the_critic_takes_critic_steps_updates_per_generator_update(name, critic_steps):
    model = tiny_model(name, f"model.critic_steps={critic_steps}")
    steps = dict.fromkeys(model.optimizers, 0)
    for opt_name, opt in model.optimizers.items():
        opt.register_step_post_hook(lambda *_, key=opt_name: steps.update({key: steps[key] + 1}))
    seen = []
    model.critic.register_forward_pre_hook(lambda module, inputs: seen.append(len(inputs[0])))
    for _ in range(2):
        model.train_step(torch.rand(32, 1, 8, 8), None)
    assert steps == {"critic": 2 * critic_steps, "generator": 2}
    parts = [len(part) for part in torch.arange(32).tensor_split(critic_steps)]
    calls = 3 if name == "wgan-gp" else 2   # real, fake and, with the penalty, the interpolates
    per_step = [n for n in parts for _ in range(calls)] + [parts[0]]
    assert seen == 2 * per_step, "each critic update on its own part of the batch, the generator's on the largest"


@pytest.mark.parametrize("name", ["gan", "wgan-gp"])
@pytest.mark.parametrize("lr_decay, factors", [(True, [1, 3 / 4, 2 / 4, 1 / 4]), (False, [1, 1, 1, 1])])
def test_with_lr_decay_both_rates_fall_linearly_towards_zero_over_the_run(name, lr_decay, factors):
    one_critic_step = ["model.critic_steps=1"] if name == "wgan-gp" else []
    model = tiny_model(name, f"model.lr_decay={str(lr_decay).lower()}", *one_critic_step)
    model.total_steps = 4
    rates = []
    for _ in range(4):
        model.train_step(torch.rand(8, 1, 8, 8), None)
        rates.extend(opt.param_groups[0]["lr"] for opt in model.optimizers.values())
    assert rates == pytest.approx([model.cfg.lr * f for f in factors for _ in ("discriminator", "generator")])


def test_wgan_needs_a_batch_for_each_critic_update():
    with pytest.raises(GenzooError, match="cannot feed model.critic_steps=5 critic updates"):
        tiny_model("wgan").train_step(torch.rand(3, 1, 8, 8), None)


@pytest.mark.parametrize("name, overrides", [
    ("gan", []), ("wgan", []), ("wgan", ["model.architecture=mlp", "model.hidden=[16]"]), ("wgan-gp", []),
    ("wgan-gp", ["model.architecture=conv", "model.generator_width=4", "model.critic_width=4"])])
def test_tiny_models_train_on_digits_and_sample_images(tmp_path, tiny_config, name, overrides):
    run.train(tiny_config(name, "train.max_steps=6", *overrides), tmp_path / "r", progress_bar=False)
    images = run.open_run(tmp_path / "r").model.sample(10, torch.Generator().manual_seed(0))
    assert images.shape == (10, 1, 8, 8) and images.min() >= 0 and images.max() <= 1
    rows = [json.loads(line) for line in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()]
    if name != "gan":
        assert [r["step"] for r in rows if "wasserstein_estimate" in r] == list(range(1, 7))


def test_the_mlp_gan_samples_images_of_any_shape():
    gan = tiny_model("gan", image_shape=(3, 10, 12))
    images = gan.sample(4)
    assert images.shape == (4, 3, 10, 12) and images.min() >= 0 and images.max() <= 1
    assert set(gan.train_step(torch.rand(5, 3, 10, 12), None)) == {"d_loss", "g_loss", "d_real", "d_fake"}


def test_wgan_and_wgan_gp_defaults_are_the_papers():
    wgan = WGAN(make_run_config("wgan", "mnist").model, (1, 28, 28), 10)
    gp = build_model(make_run_config("wgan-gp", "mnist"), (1, 28, 28), 10)
    assert make_run_config("wgan", "mnist").train.batch_size == 5 * 64
    assert (wgan.cfg.clip, wgan.cfg.critic_steps, wgan.cfg.gradient_penalty) == (0.01, 5, 0.0)
    assert type(wgan.optimizers["critic"]) is torch.optim.RMSprop and wgan.optimizers["critic"].defaults["lr"] == 5e-5
    assert (gp.cfg.clip, gp.cfg.critic_steps, gp.cfg.gradient_penalty) == (None, 5, 10.0)
    for opt in gp.optimizers.values():
        assert type(opt) is torch.optim.Adam and opt.defaults["lr"] == 1e-4 and opt.defaults["betas"] == (0.0, 0.9)
    assert any(isinstance(m, nn.BatchNorm2d) for m in wgan.critic.modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in gp.critic.modules()), "no batch norm under the penalty"
    assert not any(isinstance(m, nn.Sigmoid) for m in gp.critic.modules())


@pytest.mark.parametrize("name, pair, message", [
    ("wgan", "model.clip=0", "model.clip=0.0 must be positive"),
    ("wgan", "model.clip=-0.01", "model.clip=-0.01 must be positive"),
    ("wgan", "model.clip=null", "leaves the critic unconstrained"),
    ("wgan-gp", "model.gradient_penalty=0", "leaves the critic unconstrained"),
    ("wgan", "model.critic_steps=0", "at least 1"),
    ("gan", "model.real_label=1.5", "at most 1.0"),
    ("dcgan", "model.generator_loss=wasserstein", "choose one of non-saturating, minimax"),
])
def test_bad_gan_configs_are_one_line_errors(name, pair, message):
    with pytest.raises(GenzooError, match=message) as err:
        make_run_config(name, "digits", overrides=[pair])
    assert "\n" not in str(err.value)
