"""InfoGAN against known answers: the information terms by hand, the paper's networks, Q recovering the code, the
traversals' latents (resume is checked with every model's in test_train_loop)."""

import json
import math

import pytest
import torch
from conftest import TINY
from PIL import Image
from torch import nn

from genzoo.cli import main
from genzoo.data.preprocess import to_unit
from genzoo.errors import GenzooError
from genzoo.models.infogan import CONTINUOUS_TRAVERSAL, categorical_information, continuous_information
from genzoo.run import build_model, make_run_config

TINY_INFOGAN = TINY["infogan"]


def tiny_infogan(*overrides: str, image_shape=(1, 8, 8)):
    return build_model(make_run_config("infogan", "digits", overrides=[*TINY_INFOGAN, *overrides]), image_shape, 10)


def test_the_categorical_term_is_log_k_minus_the_cross_entropy():
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 0.0, 3.0]], dtype=torch.float64)
    categories = torch.tensor([0, 1])
    log_q = [2.0 - math.log(math.exp(2.0) + math.exp(0.5) + math.exp(-1.0)), 0.0 - math.log(2 + math.exp(3.0))]
    expected = sum(log_q) / 2 + math.log(3)
    assert categorical_information(logits, categories).item() == pytest.approx(expected, rel=1e-12)
    certain = torch.tensor([[50.0, 0.0, 0.0]], dtype=torch.float64)
    assert categorical_information(certain, torch.tensor([0])).item() == pytest.approx(math.log(3)), "at most H(c)"


def test_the_continuous_term_is_the_unit_gaussian_log_density_plus_the_uniform_entropy():
    mean = torch.tensor([[0.2, -0.5], [1.0, 0.0]], dtype=torch.float64)
    codes = torch.tensor([[0.5, 0.5], [-1.0, 0.25]], dtype=torch.float64)

    def log_density(c, m):
        return math.log(math.exp(-(c - m) ** 2 / 2) / math.sqrt(2 * math.pi))

    per_draw = [sum(log_density(c, m) + math.log(2) for c, m in zip(cs.tolist(), ms.tolist()))
                for cs, ms in zip(codes, mean)]
    assert continuous_information(mean, codes).item() == pytest.approx(sum(per_draw) / 2, rel=1e-12)


def test_q_reads_its_parameters_in_the_latents_layout():
    """Q's output is the logits of each categorical code in turn, then the continuous codes' means."""
    model = tiny_infogan("model.categorical_codes=[3,2]", "model.continuous_codes=2")
    model.code_posterior = nn.Identity()   # the features are Q's parameters
    parameters = torch.tensor([[2.0, 0.5, -1.0, 1.0, -1.0, 0.2, -0.5],
                               [0.0, 0.0, 3.0, -2.0, 2.0, 1.0, 0.0]])
    categories, continuous = torch.tensor([[0, 0], [1, 1]]), torch.tensor([[0.5, 0.5], [-1.0, 0.25]])
    terms = model.information(parameters, categories, continuous)
    first = categorical_information(parameters[:, :3], categories[:, 0])
    second = categorical_information(parameters[:, 3:5], categories[:, 1])
    assert terms["categorical"].item() == pytest.approx((first + second).item())
    assert terms["continuous"].item() == pytest.approx(continuous_information(parameters[:, 5:], continuous).item())
    assert terms["accuracy"].item() == pytest.approx((0.5 + 1.0) / 2), "argmax right for 1 of 2, then for 2 of 2"


def test_the_networks_are_the_papers_for_mnist():
    """Appendix C.1: G 74 -> 1024 -> 7x7x128 -> 64 x 14x14 -> 1 x 28x28; D's and Q's body 64 and 128 convolutions and
    1024 units; Q's head 128 units to 10 logits and 2 means; LeakyReLUs of slope 0.01; Adam at 2e-4 for D and Q,
    1e-3 for G (Q in D's optimizer and the slope as in the authors' code)."""
    model = build_model(make_run_config("infogan", "mnist"), (1, 28, 28), 10)

    def shapes(network):
        return [tuple(m.weight.shape) for m in network.modules()
                if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))]

    assert model.noise(5).shape == (5, 74)
    assert shapes(model.generator) == [(1024, 74), (6272, 1024), (128, 64, 4, 4), (64, 1, 4, 4)]
    assert shapes(model.body) == [(64, 1, 4, 4), (128, 64, 4, 4), (1024, 6272)]
    assert shapes(model.real_or_fake) == [(1, 1024)] and shapes(model.code_posterior) == [(128, 1024), (12, 128)]
    assert model.sample(3).shape == (3, 1, 28, 28)
    slopes = {m.negative_slope for net in (model.body, model.code_posterior) for m in net.modules()
              if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.01}   # the authors' code (openai/InfoGAN custom_ops.py); the paper states none
    lrs = {name: opt.defaults["lr"] for name, opt in model.optimizers.items()}
    assert lrs == {"discriminator": 2e-4, "generator": 1e-3}
    owned = {name: {id(p) for group in opt.param_groups for p in group["params"]}
             for name, opt in model.optimizers.items()}
    assert owned["discriminator"] == {id(p) for net in (model.body, model.real_or_fake, model.code_posterior)
                                      for p in net.parameters()}
    assert owned["generator"] == {id(p) for p in model.generator.parameters()}


def test_the_maps_are_a_quarter_of_the_image_side_and_other_sides_are_a_one_line_error():
    assert tiny_infogan(image_shape=(3, 16, 12)).sample(2).shape == (2, 3, 16, 12)
    with pytest.raises(GenzooError, match="image size 30x30 does not suit InfoGAN's networks") as err:
        tiny_infogan(image_shape=(1, 30, 30))
    assert "\n" not in str(err.value)
    with pytest.raises(GenzooError, match="leaves InfoGAN no code"):
        make_run_config("infogan", "digits", overrides=["model.categorical_codes=[]", "model.continuous_codes=0"])


def test_the_noise_is_the_whole_latent_drawn_from_the_priors():
    model = tiny_infogan("model.categorical_codes=[10,3]", "model.continuous_codes=2")
    z = model.noise(4000, torch.Generator().manual_seed(0))
    noise, first, second, continuous = z.split([4, 10, 3, 2], dim=1)
    for one_hot, k in ((first, 10), (second, 3)):
        assert torch.equal(one_hot.sum(1), torch.ones(4000)) and set(one_hot.unique().tolist()) == {0.0, 1.0}
        assert torch.allclose(one_hot.mean(0), torch.full((k,), 1 / k), atol=0.03)
    for uniform in (noise, continuous):
        assert uniform.min() >= -1 and uniform.max() <= 1 and abs(uniform.mean()) < 0.05
    assert torch.equal(z, model.noise(4000, torch.Generator().manual_seed(0)))


def test_the_categorical_traversal_changes_only_the_code_along_a_row():
    model = tiny_infogan("model.categorical_codes=[10,3]", "model.continuous_codes=2")
    draws = model.draw(6, torch.Generator().manual_seed(0))
    grid = model.traversal_latents(draws, 1, torch.arange(3)).reshape(6, 3, -1)   # the second categorical code
    noise_and_others = torch.cat([grid[..., :14], grid[..., 17:]], dim=-1)
    assert torch.equal(noise_and_others, noise_and_others[:, :1].expand_as(noise_and_others)), "fixed along a row"
    assert torch.equal(noise_and_others[:, 0], torch.cat([draws[0], model.latent(*draws)[:, 4:14], draws[2]], 1))
    assert torch.equal(grid[..., 14:17], torch.eye(3).expand(6, 3, 3)), "column j sets category j"

    continuous = model.traversal_latents(draws, 3, CONTINUOUS_TRAVERSAL).reshape(6, 9, -1)
    assert torch.equal(continuous[..., 18], CONTINUOUS_TRAVERSAL.expand(6, 9)) and continuous[0, 0, 18] == -2
    assert torch.equal(continuous[..., :18], model.latent(*draws)[:, None, :18].expand(6, 9, 18))


def test_the_figures_are_one_traversal_per_code():
    model = tiny_infogan().eval()
    figures = model.figures(torch.Generator().manual_seed(0))
    assert {name: (images.shape, columns) for name, (images, columns) in figures.items()} == {
        "traversal_c1_categorical": ((100, 1, 8, 8), 10),
        "traversal_c2_continuous": ((90, 1, 8, 8), 9), "traversal_c3_continuous": ((90, 1, 8, 8), 9)}
    rows = figures["traversal_c1_categorical"][0].reshape(10, 10, -1)
    assert not torch.equal(rows[0, 0], rows[0, 1]) and not torch.equal(rows[0, 0], rows[1, 0])


def test_discriminators_update_climbs_the_information_bound_through_the_shared_body():
    """With D's logit blind to its features, D's loss gives the body no gradient: it moves only for L_I."""
    torch.manual_seed(0)
    moved = {}
    for weight in (0.0, 1.0):
        model = tiny_infogan(f"model.info_weight={weight}", f"model.continuous_info_weight={weight}")
        nn.init.zeros_(model.real_or_fake.weight)
        before = [p.detach().clone() for p in model.body.parameters()]
        model.train_step(torch.rand(16, 1, 8, 8), None)
        moved[weight] = any(not torch.equal(a, b) for a, b in zip(before, model.body.parameters()))
    assert moved == {0.0: False, 1.0: True}


def quadrant_squares(n: int, generator: torch.Generator) -> torch.Tensor:
    """Toy 8x8 images with four modes: a bright 4x4 square in one of the quadrants."""
    quadrant = torch.randint(4, (n,), generator=generator)
    rows, columns = torch.arange(8)[:, None] // 4, torch.arange(8)[None, :] // 4
    return ((rows * 2 + columns)[None] == quadrant[:, None, None]).float()[:, None]


def test_the_categorical_code_is_recovered_by_q_on_a_toy_problem():
    """After 250 steps on four-mode toy data, Q names the category c of G(z, c) for more than 90% of draws, and the
    bound on I(c; G(z, c)) has climbed a good part of the way to H(c) = log 4 (Q's head learns at D's slower rate,
    so its confidence trails its accuracy)."""
    model = tiny_infogan("model.categorical_codes=[4]", "model.continuous_codes=1", "model.hidden=32",
                         "model.code_hidden=16")
    generator = torch.Generator().manual_seed(0)
    data = quadrant_squares(4096, generator)
    for _ in range(250):
        scalars = model.train_step(data[torch.randint(len(data), (32,), generator=generator)], None)
    assert scalars["q_accuracy"] > 0.9 and scalars["info_categorical"] > 0.3 * math.log(4)
    with torch.no_grad():   # batch statistics, as in training: after 250 steps the running ones still lag
        noise, categories, continuous = model.draw(1000, torch.Generator().manual_seed(1))
        images = to_unit(model.generate(model.latent(noise, categories, continuous)))
    assert (model.classify(images) == categories).float().mean() > 0.9


def test_train_from_the_command_line_logs_the_information_and_writes_the_traversals(tmp_path):
    out = tmp_path / "run"
    settings = [arg for pair in [*TINY_INFOGAN, "train.log_every=1"] for arg in ("--set", pair)]
    assert main(["train", "infogan", "--data", "digits", "--max-steps", "3", "--out", str(out), "--quiet",
                 *settings]) == 0
    record = json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])
    assert {"d_loss", "g_loss", "info_categorical", "info_continuous", "q_accuracy"} <= set(record)
    assert 0 <= record["q_accuracy"] <= 1 and record["info_categorical"] <= math.log(10)
    cell = 8 + 2
    assert Image.open(out / "samples" / "traversal_c1_categorical.png").size == (10 * cell + 2, 10 * cell + 2)
    assert Image.open(out / "samples" / "traversal_c3_continuous.png").size == (9 * cell + 2, 10 * cell + 2)
