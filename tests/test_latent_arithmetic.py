"""Latent vector arithmetic against known answers: a generator linear in z commutes with averaging and signed sums;
the sample numbers pick the latents 'genzoo sample' draws with the same seed; bad input is one line."""

import numpy as np
import pytest
import torch
from conftest import TINY
from PIL import Image
from test_cli import one_line_error

from genzoo.cli import build_parser, main
from genzoo.errors import GenzooError
from genzoo.run import build_model, make_run_config
from genzoo.viz.latent_arithmetic import (
    JITTER,
    NEIGHBOURS,
    arithmetic_figure,
    candidate_sheet,
    expression,
    latent_arithmetic,
    parse_indices,
)

A_MINUS_B_PLUS_C = [(1, [3, 5, 9]), (-1, [4, 8, 12]), (1, [1, 2, 7])]


class LinearGenerator:
    """G(z) = W z + b as 4x4 images, z standard normal: a generator whose decodings average as its latents do."""

    name, conditional = "linear", False

    def __init__(self):
        generator = torch.Generator().manual_seed(0)
        self.weight = torch.randn(16, 16, generator=generator, dtype=torch.float64)
        self.bias = torch.randn(16, generator=generator, dtype=torch.float64)

    def noise(self, n, generator=None):
        return torch.randn(n, 16, generator=generator, dtype=torch.float64)

    def generate(self, z):
        return (z @ self.weight.T + self.bias).reshape(-1, 1, 4, 4)


def test_for_a_linear_generator_the_decoded_combination_is_the_combination_of_decoded_means():
    model = LinearGenerator()
    result = latent_arithmetic(model, A_MINUS_B_PLUS_C, seed=3, candidates=16)
    z = model.noise(16, torch.Generator().manual_seed(3))
    for (_, indices), exemplars, mean in zip(A_MINUS_B_PLUS_C, result.exemplars, result.means):
        assert torch.allclose(exemplars, (model.generate(z[indices]) + 1) / 2), "the samples the numbers name"
        assert torch.allclose(mean, exemplars.mean(0)), "G(mean z) = mean G(z)"
    assert torch.allclose(result.result[0], result.means[0] - result.means[1] + result.means[2])

    # each neighbour is the result's vector plus uniform noise within +-JITTER: recover it through W
    offsets = torch.linalg.solve(model.weight, 2 * (result.neighbours - result.result).flatten(1).T).T
    assert result.neighbours.shape == (NEIGHBOURS, 1, 4, 4)
    assert offsets.abs().max() <= JITTER + 1e-9 and offsets.abs().min() > 0 and offsets.abs().max() > JITTER / 2


def test_the_sample_numbers_pick_the_images_genzoo_sample_draws_with_the_same_seed():
    model = build_model(make_run_config("dcgan", "digits", overrides=TINY["dcgan"]), (1, 8, 8), 10).eval()
    result = latent_arithmetic(model, [(1, [0, 17]), (-1, [63])], seed=5, candidates=64)
    drawn = model.sample(64, torch.Generator().manual_seed(5))
    assert torch.allclose(result.exemplars[0], drawn[[0, 17]]) and torch.allclose(result.exemplars[1], drawn[[63]])
    single = latent_arithmetic(model, [(1, [17])], seed=5, candidates=64)
    assert torch.allclose(single.result, drawn[[17]]), "the mean of one latent is that latent"


def test_the_figure_and_the_candidate_sheet_are_pictures_of_the_right_size():
    model = LinearGenerator()
    model.sample = lambda n, generator: (model.generate(model.noise(n, generator)) + 1) / 2
    figure = arithmetic_figure(latent_arithmetic(model, A_MINUS_B_PLUS_C, seed=0, candidates=16))

    def side(n):   # n 4x4 images in a row, padded by 2 pixels, scaled 16 times to 64 pixels
        return (n * (4 + 2) + 2) * 16

    assert figure.size == (16 + side(3) + 16 + side(1), 16 + 3 * side(1) + 16 + side(3))
    sheet = np.asarray(candidate_sheet(model, 10, seed=0))
    assert sheet.shape == (side(3), side(4), 3), "ten candidates in rows of four"
    red = (sheet[..., 0] > 200) & (sheet[..., 1] < 100)
    cell = (4 + 2) * 16
    assert red[:cell, :cell].any() and red[2 * cell:3 * cell, cell:2 * cell].any(), "numbers 0 and 9 drawn"


def test_groups_keep_their_order_and_signs_on_the_command_line():
    args = build_parser().parse_args(["arithmetic", "run", "--plus", "3,5,9", "--minus", "4,8,12", "--plus", "1,2,7",
                                      "--out", "r.png"])
    groups = [(sign, parse_indices(text)) for sign, text in args.groups]
    assert groups == A_MINUS_B_PLUS_C
    assert expression(groups) == "mean(3,5,9) - mean(4,8,12) + mean(1,2,7)"
    assert expression([(-1, [2])]) == "- mean(2)"
    assert build_parser().parse_args(["arithmetic", "run", "--out", "c.png"]).groups == []


@pytest.mark.parametrize("groups, candidates, message", [
    ([(1, [3, 64])], 64, "sample 64 is out of range: the 64 candidates are numbered 0 to 63"),
    ([(1, [2]), (-1, [-1])], 64, "sample -1 is out of range"),
    ([(1, [])], 64, "a group names no sample"),
    ([], 64, "no groups to combine"),
])
def test_bad_groups_are_one_line_errors(groups, candidates, message):
    with pytest.raises(GenzooError, match=message) as err:
        latent_arithmetic(LinearGenerator(), groups, seed=0, candidates=candidates)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("text", ["", "3,,5", "3,-1", "a,b"])
def test_a_group_that_is_not_sample_numbers_is_a_one_line_error(text):
    with pytest.raises(GenzooError, match="is not a list of sample numbers"):
        parse_indices(text)


def test_arithmetic_from_the_command_line(tmp_path, capsys):
    gan, rbm = tmp_path / "dcgan", tmp_path / "rbm"
    for name, out in (("dcgan", gan), ("rbm", rbm)):
        settings = [arg for pair in TINY[name] for arg in ("--set", pair)]
        assert main(["train", name, "--data", "digits", "--max-steps", "2", "--out", str(out), "--quiet",
                     *settings]) == 0
    assert main(["arithmetic", str(gan), "--candidates", "20", "--seed", "1", "--out", str(tmp_path / "c.png")]) == 0
    assert Image.open(tmp_path / "c.png").size == ((5 * 10 + 2) * 8, (4 * 10 + 2) * 8), "rows of five 8x8 digits"
    assert main(["arithmetic", str(gan), "--seed", "1", "--plus", "3,5,9", "--minus", "4,8,12", "--plus", "1,2,7",
                 "--out", str(tmp_path / "r.png")]) == 0
    assert "wrote mean(3,5,9) - mean(4,8,12) + mean(1,2,7) to" in capsys.readouterr().out
    assert Image.open(tmp_path / "r.png").mode == "RGB"

    assert "sample 70 is out of range" in one_line_error(capsys, ["arithmetic", str(gan), "--plus", "70",
                                                                  "--out", str(tmp_path / "x.png")])
    assert "is not a list of sample numbers" in one_line_error(capsys, ["arithmetic", str(gan), "--minus", "",
                                                                        "--out", str(tmp_path / "x.png")])
    assert "rbm has no latent vector z" in one_line_error(capsys, ["arithmetic", str(rbm), "--out",
                                                                   str(tmp_path / "x.png")])
    assert "written as a .png" in one_line_error(capsys, ["arithmetic", str(gan), "--out", str(tmp_path / "x.jpg")])
