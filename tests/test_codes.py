import math

import pytest
import torch

from genzoo.evaluate.codes import infogan_codes, matched_accuracy, property_trend, slant, width


def test_matched_accuracy_ignores_the_codes_numbering():
    classes = torch.arange(10).repeat(20)
    renamed = (classes * 3 + 1) % 10                      # a permutation of the class numbers
    assert matched_accuracy(renamed, classes, 10, 10)["accuracy"] == 1.0
    wrong = renamed.clone()
    wrong[:40] = (wrong[:40] + 1) % 10                    # 40 of 200 moved to another code
    result = matched_accuracy(wrong, classes, 10, 10)
    assert result["accuracy"] == pytest.approx(160 / 200)
    assert result["code_to_class"][1] == 0                # code 1 holds class 0's samples


def bar(shear: float, columns: int = 3, size: int = 28) -> torch.Tensor:
    """A bar ``columns`` pixels wide from top to bottom whose centre moves ``shear`` pixels right per row down."""
    image = torch.zeros(1, size, size)
    for row in range(4, size - 4):
        centre = round(size / 2 + shear * (row - size / 2))
        image[0, row, centre - columns // 2:centre + columns // 2 + 1] = 1.0
    return image


def test_slant_is_zero_upright_and_follows_the_shear():
    assert slant(bar(0.0)[None]).item() == pytest.approx(0.0, abs=1e-6)
    leaning = slant(torch.stack([bar(0.25), bar(-0.25)]))
    assert leaning[0].item() == pytest.approx(0.25, abs=0.02) and leaning[1].item() == pytest.approx(-0.25, abs=0.02)


def test_width_of_a_uniform_bar_is_its_standard_deviation():
    for columns in (1, 3, 5):   # x uniform over `columns` pixels: variance (columns^2 - 1) / 12
        assert width(bar(0.0, columns)[None]).item() == pytest.approx(math.sqrt((columns ** 2 - 1) / 12), abs=1e-5)


def test_property_trend_tells_monotonic_from_not():
    values = torch.linspace(-2, 2, 5)
    rising = property_trend(values, torch.tensor([[0.0, 0.2], [0.5, 0.7], [1.0, 1.1], [1.5, 1.4], [2.0, 2.2]]))
    assert rising["monotonic"] and rising["spearman_rho"] == pytest.approx(1.0)
    bumpy = property_trend(values, torch.tensor([[0.0], [1.0], [0.5], [1.5], [2.0]]))
    assert not bumpy["monotonic"] and bumpy["spearman_rho"] == pytest.approx(0.9)


class ShearedBars:
    """A stand-in InfoGAN: one 3-way categorical code that sets the ink's intensity, (category + 1) / 3, and one
    continuous code that shears a bar by 0.2 pixel per row per unit of code; its latent is (noise, category, code)."""

    class cfg:
        categorical_codes, continuous_codes = (3,), 1

    def draw(self, n, generator=None):
        return (torch.rand(n, 1, generator=generator), torch.randint(3, (n, 1), generator=generator),
                torch.rand(n, 1, generator=generator) * 2 - 1)

    def latent(self, noise, categories, continuous):
        return torch.cat([noise, categories.float(), continuous], 1)

    def traversal_latents(self, draws, code, values):
        noise, categories, continuous = (part.repeat_interleave(len(values), 0) for part in draws)
        continuous[:, 0] = values.repeat(len(draws[0]))
        return self.latent(noise, categories, continuous)

    def classify(self, images):
        return (torch.round(images.amax((1, 2, 3)) * 3).long() - 1)[:, None]

    def generate(self, latents):
        images = torch.cat([bar(0.2 * code.item())[None] for code in latents[:, 2]])
        return images * (latents[:, 1, None, None, None] + 1) / 3 * 2 - 1


class IntensityReader:
    """A stand-in feature network that names class (category + 1) mod 3 from the ink's intensity."""

    card = {"classes": ["a", "b", "c"]}

    def embed(self, images):
        classes = torch.round(images.amax((1, 2, 3)) * 3).long() % 3
        return None, torch.eye(3)[classes]


def test_infogan_codes_recovers_a_renamed_category_and_the_slant_a_code_moves():
    report = infogan_codes(ShearedBars(), IntensityReader(), n=60, rows=4)
    assert report["categorical"]["accuracy"] == 1.0
    assert report["categorical"]["code_to_class"] == {0: 1, 1: 2, 2: 0}
    moved = report["continuous_c2"]
    assert moved["slant"]["monotonic"] and moved["slant"]["spearman_rho"] == pytest.approx(1.0)
    assert moved["slant"]["means"][0] == pytest.approx(-0.4, abs=0.03)   # code -2: 0.2 x -2 pixels per row
    assert not moved["width"]["monotonic"]                               # a bar widens both ways from upright


def test_infogan_codes_reads_real_images_with_q_against_their_labels():
    model, categories = ShearedBars(), torch.arange(3).repeat(10)
    images = torch.cat([bar(0.0)[None] * (c + 1) / 3 for c in categories])
    labels = (categories + 2) % 3                                          # each category one label, renamed
    labels[:6] = (labels[:6] + 1) % 3                                      # 6 of 30 labelled otherwise
    report = infogan_codes(model, IntensityReader(), n=30, rows=2, real=(images, labels),
                           validation=(images[6:], labels[6:]))
    assert report["categorical_read_by_q"]["accuracy"] == pytest.approx(24 / 30)
    assert report["categorical_read_by_q"]["code_to_class"] == {0: 2, 1: 0, 2: 1}
    assert report["categorical_read_by_q_on_validation"]["accuracy"] == 1.0               # the relabelled 6 left out
    unread = infogan_codes(model, IntensityReader(), n=30, rows=2)
    assert "categorical_read_by_q" not in unread and "categorical_read_by_q_on_validation" not in unread
