"""The Improved-GAN techniques (Salimans et al. 2016) against hand computations: virtual batch norm, minibatch
discrimination, feature matching and historical averaging; checkpoints of the models without them still load."""

import math

import pytest
import torch
from test_gan import tiny_model
from test_train_loop import Crash, assert_same_state, crash, fail_at, parameters
from torch import nn

from genzoo import run
from genzoo.errors import GenzooError
from genzoo.models.gan import MinimaxGameConfig
from genzoo.nn.conv import conv_encoder, mlp
from genzoo.nn.gan_losses import feature_matching_loss
from genzoo.nn.historical_average import HistoricalAverage
from genzoo.nn.minibatch_discrimination import MinibatchDiscrimination, minibatch_features, minibatch_similarity
from genzoo.nn.virtual_batch_norm import VirtualBatchNorm
from genzoo.run import make_run_config

MINIBATCH = ["model.minibatch_kernels=6", "model.minibatch_kernel_dims=3"]
VIRTUAL = ["model.virtual_batch_norm=true", "model.reference_batch_size=5"]


def batch_norm_by_hand(values, weight, bias, eps):
    """Batch norm of (N, C, H, W) values with their own statistics, per channel over the batch and the positions."""
    mean = values.mean((0, 2, 3), keepdim=True)
    var = values.var((0, 2, 3), unbiased=False, keepdim=True)
    return (values - mean) / torch.sqrt(var + eps) * weight[:, None, None] + bias[:, None, None]


def test_virtual_batch_norm_is_batch_norm_over_the_reference_batch_and_the_example_itself():
    torch.manual_seed(0)
    vbn = VirtualBatchNorm(3, reference_size=4).double()
    with torch.no_grad():
        vbn.weight.copy_(torch.tensor([0.5, 2.0, -1.0]))
        vbn.bias.copy_(torch.tensor([0.1, 0.0, 3.0]))
    reference, examples = torch.randn(4, 3, 2, 2, dtype=torch.float64), 5 * torch.randn(3, 3, 2, 2, dtype=torch.float64)
    out = vbn(torch.cat([reference, examples]))
    weight, bias = vbn.weight.detach(), vbn.bias.detach()
    assert torch.allclose(out[:4], batch_norm_by_hand(reference, weight, bias, vbn.eps), atol=1e-12)
    for i, example in enumerate(examples):
        union = torch.cat([reference, example[None]])   # the R + 1 items whose statistics normalise the example
        assert torch.allclose(out[4 + i], batch_norm_by_hand(union, weight, bias, vbn.eps)[-1], atol=1e-12)


def test_an_example_normalised_by_virtual_batch_norm_does_not_depend_on_the_rest_of_its_batch():
    torch.manual_seed(0)
    vbn = VirtualBatchNorm(3, reference_size=4)
    reference, example = torch.randn(4, 3, 5, 5), torch.randn(1, 3, 5, 5)
    alone = vbn(torch.cat([reference, example]))[-1]
    crowded = vbn(torch.cat([reference, 10 * torch.randn(6, 3, 5, 5) + 3, example, example]))[-2]
    assert torch.allclose(alone, crowded, atol=1e-6)
    batch_norm = nn.BatchNorm2d(3)
    assert not torch.allclose(batch_norm(torch.cat([reference, example]))[-1],
                              batch_norm(torch.cat([reference, 10 * torch.randn(6, 3, 5, 5), example]))[-1], atol=1e-3)


def test_a_dcgan_with_virtual_batch_norm_generates_each_image_independently_of_the_others():
    dcgan = tiny_model("dcgan", *VIRTUAL)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in dcgan.generator.modules())
    assert dcgan.generator.reference.shape == (5, dcgan.cfg.latent_dim)
    z = dcgan.noise(9)
    together = dcgan.generate(z)
    for i in (0, 4, 8):
        assert torch.allclose(dcgan.generate(z[i:i + 1]), together[i:i + 1], atol=1e-6)
        assert torch.allclose(dcgan.generate(torch.cat([z[i:i + 1], 3 * z]))[:1], together[i:i + 1], atol=1e-6)
    dcgan.eval()
    assert torch.allclose(dcgan.generate(z), together, atol=1e-6), "no running statistics: sampling normalises alike"


def test_virtual_batch_norm_starts_from_the_dcgan_batch_norm_it_replaces():
    plain, virtual = tiny_model("dcgan"), tiny_model("dcgan", *VIRTUAL)
    assert torch.equal(plain.generator[2].weight, virtual.generator.network[2].weight)
    for name, tensor in plain.discriminator.state_dict().items():
        assert torch.equal(tensor, virtual.discriminator.state_dict()[name])


def test_virtual_batch_norm_needs_a_generator_with_batch_norm():
    with pytest.raises(GenzooError, match="the gan MLP generator has none: use model.architecture=conv") as err:
        make_run_config("gan", "digits", overrides=["model.architecture=mlp", "model.virtual_batch_norm=true"])
    assert "\n" not in str(err.value)


def test_minibatch_similarity_and_features_by_hand():
    rows = torch.tensor([[[0.0, 1.0], [2.0, 0.0]],
                         [[0.5, 1.0], [2.0, 3.0]],
                         [[0.0, -1.0], [0.0, 0.0]]], dtype=torch.float64)   # M: N = 3 examples, B = 2, C = 2
    c = minibatch_similarity(rows)
    for i in range(3):
        for j in range(3):
            for b in range(2):
                assert c[i, j, b].item() == pytest.approx(math.exp(-sum(abs(rows[i, b, k] - rows[j, b, k])
                                                                       for k in range(2)).item()), rel=1e-12)
    assert c[0, 1, 0].item() == pytest.approx(math.exp(-0.5)) and c[0, 2, 1].item() == pytest.approx(math.exp(-2.0))
    o = minibatch_features(rows)
    for i in range(3):
        for b in range(2):
            assert o[i, b].item() == pytest.approx(sum(c[i, j, b].item() for j in range(3) if j != i), rel=1e-12)


def test_a_duplicate_entering_the_batch_raises_each_of_its_kernels_by_one():
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(in_features=4, kernels=3, kernel_dims=2)
    f = torch.randn(3, 4, dtype=torch.float64)
    layer.double()
    out = layer(f)
    assert torch.equal(out[:, :4], f), "f(x) goes through, o(x) beside it"
    rows = (f @ layer.T.detach()).reshape(3, 3, 2)
    assert torch.allclose(out[:, 4:], minibatch_features(rows))
    with_duplicate = layer(torch.cat([f, f[:1]]))
    assert torch.allclose(with_duplicate[0, 4:], out[0, 4:] + 1), "c_b(x, x) = exp(0) = 1 in every kernel"
    alone = layer(f[:1])[:, 4:]
    assert torch.equal(alone, torch.zeros(1, 3, dtype=torch.float64)), "alone in its batch, an example has o = 0"


def test_with_minibatch_discrimination_a_logit_depends_on_the_batch():
    for overrides, depends in (([], False), (MINIBATCH, True)):
        gan = tiny_model("gan", *overrides)
        x = torch.rand(5, 1, 8, 8) * 2 - 1
        once, twice = gan.discriminate(x, None)[0], gan.discriminate(torch.cat([x, x[:1]]), None)[0]
        assert torch.allclose(once, twice) != depends


@pytest.mark.parametrize("name, overrides", [("gan", []), ("gan", MINIBATCH), ("dcgan", []), ("dcgan", MINIBATCH)])
def test_the_discriminator_is_its_head_on_its_last_hidden_layer(name, overrides):
    model = tiny_model(name, *overrides)
    d = model.discriminator
    x = torch.rand(6, 1, 8, 8)
    h = d.hidden(x)
    for layer in d.head_layers:
        h = layer(h)
    assert torch.allclose(d(x), h) and h.shape == (6, 1)
    assert isinstance(d.body_layers[-1], nn.LeakyReLU), "f(x) is the activation of D's last hidden layer"
    assert d.features(x).shape == (6, 16 if name == "gan" else 4 * 4 * 4)   # 16 units; 4 maps of 4x4
    assert isinstance(d.head_layers[0], MinibatchDiscrimination) == bool(overrides)


def test_checkpoints_of_the_discriminators_from_before_the_options_still_load():
    """Without the options, D holds the same layers under the same names as the plain Sequential it used to be."""
    torch.manual_seed(0)
    dcgan, gan = tiny_model("dcgan"), tiny_model("gan")
    old_dcgan = conv_encoder(1, 8, 4, 1, batch_norm=True)
    old_gan = nn.Sequential(nn.Flatten(), mlp((64, 16, 1), "leaky_relu"))
    for old, new in ((old_dcgan, dcgan.discriminator), (old_gan, gan.discriminator)):
        assert list(old.state_dict()) == list(new.state_dict())
        old.load_state_dict(new.state_dict())
        old.train(new.training)
        x = torch.rand(7, 1, 8, 8)
        assert torch.equal(old(x), new(x))
    assert not any(getattr(MinimaxGameConfig(), key) for key in (
        "feature_matching", "minibatch_kernels", "historical_averaging", "virtual_batch_norm")), "all off by default"


def test_feature_matching_loss_is_the_squared_distance_of_the_mean_features():
    real = torch.tensor([[1.0, 2.0, 0.0], [3.0, 0.0, 0.0]], dtype=torch.float64)   # means 2, 1, 0
    assert feature_matching_loss(real, real.flip(0)).item() == 0.0, "same features, in any order: nothing to match"
    fake = torch.tensor([[0.0, 1.0, 1.0], [1.0, 1.0, 1.0], [2.0, 1.0, 1.0]], dtype=torch.float64)   # means 1, 1, 1
    assert feature_matching_loss(real, fake).item() == pytest.approx((2 - 1) ** 2 + (1 - 1) ** 2 + (0 - 1) ** 2)
    fake.requires_grad_(True)
    feature_matching_loss(real, fake).backward()   # d/d fake_ij = 2 (mean fake_j - mean real_j) / 3
    assert torch.allclose(fake.grad, torch.tensor([[-2.0, 0.0, 2.0]], dtype=torch.float64).expand(3, 3) / 3)


@pytest.mark.parametrize("name", ["gan", "dcgan"])
def test_under_feature_matching_the_generator_minimises_the_feature_distance(name):
    model = tiny_model(name, "model.feature_matching=true")
    x, fakes, distances = torch.rand(8, 1, 8, 8), [], []
    model.generator.register_forward_hook(lambda module, inputs, output: fakes.append(torch.tanh(output).detach()))
    model.optimizers["generator"].register_step_pre_hook(lambda *_: distances.append(feature_distance()))

    def feature_distance():
        with torch.no_grad():   # D after its update, as G's step sees it
            return feature_matching_loss(model.features(x * 2 - 1, None), model.features(fakes[0], None)).item()

    scalars = model.train_step(x, None)
    assert scalars["g_loss"] == scalars["feature_distance"] == pytest.approx(distances[0], rel=1e-5)


def test_historical_average_is_the_mean_of_the_past_parameters_by_hand():
    torch.manual_seed(0)
    net = nn.Linear(3, 2)
    history = HistoricalAverage(net)
    assert list(history.state_dict()) == ["mean", "steps"], "its own buffers, not the network's parameters"
    optimizer = torch.optim.SGD(net.parameters(), lr=0.3)
    past = []
    for _ in range(4):
        theta = torch.cat([p.detach().flatten() for p in net.parameters()])
        past.append(theta)
        history.record()
        distance = history.distance()
        mean = torch.stack(past).mean(0)
        assert distance.item() == pytest.approx((theta - mean).square().sum().item(), rel=1e-5, abs=1e-12)
        optimizer.zero_grad()
        (distance + net(torch.randn(5, 3)).square().sum()).backward()
        optimizer.step()
    assert history.steps.item() == 4 and distance.item() > 0
    assert torch.allclose(history.mean, torch.stack(past).mean(0))
    net.zero_grad()
    history.distance().backward()   # the past values are constants: the gradient is 2 (theta - mean)
    theta = torch.cat([p.detach().flatten() for p in net.parameters()])
    assert torch.allclose(torch.cat([p.grad.flatten() for p in net.parameters()]), 2 * (theta - history.mean))


def test_historical_averaging_penalises_each_player_with_its_own_past():
    gan = tiny_model("gan", "model.historical_averaging=0.5", *MINIBATCH)
    started = {"discriminator": [], "generator": []}
    for _ in range(3):
        for player, thetas in started.items():
            thetas.append(torch.cat([p.detach().flatten() for p in getattr(gan, player).parameters()]))
        scalars = gan.train_step(torch.rand(8, 1, 8, 8), None)
    for player, thetas in started.items():   # G does not move during D's update: both start from the step's start
        assert torch.allclose(gan.history[player].mean, torch.stack(thetas).mean(0))
        expected = (thetas[-1] - torch.stack(thetas).mean(0)).square().sum().item()
        assert scalars[f"{player}_history_distance"] == pytest.approx(expected, rel=1e-4) and expected > 0


@pytest.mark.parametrize("name, overrides", [
    ("gan", ["model.historical_averaging=0.1"]),
    ("dcgan", [*VIRTUAL, "model.historical_averaging=0.1", *MINIBATCH, "model.feature_matching=true"])])
def test_resume_with_the_techniques_equals_an_uninterrupted_run(tmp_path, monkeypatch, tiny_config, name, overrides):
    cfg = tiny_config(name, "train.max_steps=14", "train.checkpoint_every=5", *overrides)
    run.train(cfg, tmp_path / "straight", progress_bar=False)
    fail_at(monkeypatch, name, 12, crash)
    with pytest.raises(Crash):
        run.train(cfg, tmp_path / "crashed", progress_bar=False)
    monkeypatch.undo()
    run.resume(tmp_path / "crashed", progress_bar=False)
    straight, resumed = parameters(tmp_path / "straight"), parameters(tmp_path / "crashed")
    assert_same_state(straight, resumed)
    assert straight["history.generator.steps"].item() == 14
    if name == "dcgan":
        assert "generator.reference" in straight
