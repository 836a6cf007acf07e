"""The conditional GAN (Mirza & Osindero 2014): the label reaches both players, samples are of the class asked for,
the CLI's --label, and resume equals an uninterrupted run."""

import numpy as np
import pytest
import torch
from PIL import Image
from test_cli import one_line_error
from test_train_loop import Crash, assert_same_state, crash, fail_at, parameters

from genzoo import run
from genzoo.cli import main
from genzoo.errors import GenzooError
from genzoo.evaluate.suite import draw_samples
from genzoo.grid import grid_image
from genzoo.models.cgan import CGAN
from genzoo.run import build_model, make_run_config

TINY_CGAN = {"mlp": ["model.architecture=mlp", "model.generator_hidden=[8,6,16]", "model.discriminator_hidden=[12,4,8]",
                     "model.latent_dim=4", "train.batch_size=32"],
             "conv": ["model.architecture=conv", "model.generator_width=4", "model.discriminator_width=4",
                      "model.latent_dim=4", "train.batch_size=32"]}
ARCHITECTURES = list(TINY_CGAN)


def tiny_cgan(architecture: str, *overrides: str, image_shape=(1, 8, 8)) -> CGAN:
    return build_model(make_run_config("cgan", "digits", overrides=[*TINY_CGAN[architecture], *overrides]),
                       image_shape, 10)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_the_generator_draws_a_different_image_for_each_label_of_a_fixed_z(architecture):
    cgan = tiny_cgan(architecture)
    cgan.eval()
    z = cgan.noise(1).expand(10, -1)
    images = cgan.generate(z, torch.arange(10))
    assert images.shape == (10, 1, 8, 8)
    assert all(not torch.allclose(images[0], images[k]) for k in range(1, 10))
    assert torch.allclose(cgan.generate(z, torch.full((10,), 3)), images[3:4].expand(10, -1, -1, -1), atol=1e-6)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_the_discriminator_judges_an_image_given_its_label(architecture):
    cgan = tiny_cgan(architecture)
    cgan.eval()
    x = (torch.rand(1, 1, 8, 8) * 2 - 1).expand(10, -1, -1, -1)
    logits = cgan.discriminate(x, torch.arange(10))
    assert logits.shape == (10, 1) and len(logits.unique()) == 10


def test_the_conv_discriminator_sees_the_label_as_constant_maps_beside_the_image():
    cgan = tiny_cgan("conv")
    x, labels = torch.rand(3, 1, 8, 8), torch.tensor([0, 7, 9])
    given = cgan.discriminator_input(x, labels)
    assert given.shape == (3, 1 + 10, 8, 8) and torch.equal(given[:, :1], x)
    for i, label in enumerate(labels):
        assert (given[i, 1 + label] == 1).all() and given[i, 1:].sum() == 8 * 8


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_samples_are_of_the_labels_asked_for_or_of_every_class_in_turn(architecture):
    cgan = tiny_cgan(architecture)
    cgan.eval()
    labels = torch.tensor([3, 3, 0, 9, 5])
    samples = cgan.sample(5, torch.Generator().manual_seed(1), labels)
    z = cgan.noise(5, torch.Generator().manual_seed(1))
    assert torch.allclose(samples, (cgan.generate(z, labels) + 1) / 2)
    assert not torch.allclose(samples, cgan.sample(5, torch.Generator().manual_seed(1), labels.flip(0)))
    cycled = cgan.sample(12, torch.Generator().manual_seed(2))
    assert torch.equal(cycled, cgan.sample(12, torch.Generator().manual_seed(2), torch.arange(12) % 10))
    images, asked = draw_samples(cgan, 25, 10, seed=0, batch_size=7)   # what the evaluation's 'acc' scores
    assert torch.equal(asked, torch.arange(25) % 10) and images.shape == (25, 1, 8, 8)


def test_the_figure_has_a_row_per_class_and_the_same_z_down_each_column():
    cgan = tiny_cgan("conv")
    cgan.eval()
    images, columns = cgan.figures(torch.Generator().manual_seed(0))["classes"]
    assert columns == 10 and images.shape == (10 * 10, 1, 8, 8)
    z = cgan.noise(10, torch.Generator().manual_seed(0))
    for label in (0, 6):
        row = images[label * 10:(label + 1) * 10]
        assert torch.allclose(row, (cgan.generate(z, torch.full((10,), label)) + 1) / 2, atol=1e-6)


def test_sampling_labels_outside_the_classes_is_a_one_line_error():
    cgan = tiny_cgan("mlp")
    for labels in (torch.tensor([0, 10]), torch.tensor([-1, 2]), torch.tensor([1, 2, 3])):
        with pytest.raises(GenzooError, match="draws n=2 samples from n labels in 0..9") as err:
            cgan.sample(2, labels=labels)
        assert "\n" not in str(err.value)


def test_a_training_step_conditions_both_players_on_the_batch_labels():
    cgan = tiny_cgan("mlp", "model.feature_matching=true", "model.minibatch_kernels=4",
                     "model.historical_averaging=0.1")
    seen = []
    cgan.discriminator.register_forward_pre_hook(lambda module, inputs: seen.append(inputs[0][:, -10:].argmax(1)))
    y = torch.randint(10, (16,))
    scalars = cgan.train_step(torch.rand(16, 1, 8, 8), y)
    assert {"d_loss", "g_loss", "feature_distance", "generator_history_distance"} <= set(scalars)
    assert seen and all(torch.equal(labels, y) for labels in seen), "real and fake batches both carry the real labels"


def test_the_cgan_defaults_are_conv_networks_and_its_paper_preset_the_papers_mlps():
    assert make_run_config("cgan", "mnist").model.architecture == "conv"
    cfg = make_run_config("cgan", "mnist", preset="paper")
    assert cfg.preset == "paper" and cfg.train.batch_size == 100
    assert cfg.model.latent_dim == 100 and cfg.model.noise == "uniform"
    cgan = build_model(cfg, (1, 28, 28), 10)
    g_z, g_y = (branch[0] for branch in cgan.generator[0].branches)
    assert (g_z.in_features, g_z.out_features, g_y.in_features, g_y.out_features) == (100, 200, 10, 1000)
    assert (cgan.generator[1].in_features, cgan.generator[1].out_features, cgan.generator[3].out_features) == \
        (1200, 1200, 784)
    d_x, d_y = (branch[0] for branch in cgan.discriminator[0].branches)
    assert (d_x.in_features, d_x.out_features, d_y.in_features, d_y.out_features) == (784, 240, 10, 50)
    assert (cgan.discriminator[1].in_features, cgan.discriminator[1].out_features) == (290, 240)
    assert cgan.discriminator.features(cgan.discriminator_input(torch.zeros(2, 1, 28, 28), torch.arange(2))).shape \
        == (2, 240)


@pytest.mark.parametrize("pair, message", [
    ("model.generator_hidden=[200,1000]", "must give three layer sizes"),
    ("model.virtual_batch_norm=true", "the cgan MLP generator has none"),
    ("model.architecture=resnet", "choose one of mlp, conv")])
def test_bad_cgan_configs_are_one_line_errors(pair, message):
    with pytest.raises(GenzooError, match=message) as err:
        make_run_config("cgan", "digits", overrides=["model.architecture=mlp", pair])
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("architecture, overrides", [
    ("mlp", []), ("conv", ["model.virtual_batch_norm=true", "model.reference_batch_size=6"])])
def test_resume_equals_an_uninterrupted_run(tmp_path, monkeypatch, architecture, overrides):
    cfg = make_run_config("cgan", "digits", overrides=[*TINY_CGAN[architecture], "train.max_steps=14",
                                                       "train.checkpoint_every=5", *overrides])
    run.train(cfg, tmp_path / "straight", progress_bar=False)
    fail_at(monkeypatch, "cgan", 12, crash)
    with pytest.raises(Crash):
        run.train(cfg, tmp_path / "crashed", progress_bar=False)
    monkeypatch.undo()
    run.resume(tmp_path / "crashed", progress_bar=False)
    assert_same_state(parameters(tmp_path / "straight"), parameters(tmp_path / "crashed"))


def test_sample_label_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "run"
    tiny = [arg for pair in TINY_CGAN["mlp"] for arg in ("--set", pair)]
    assert main(["train", "cgan", "--data", "digits", "--max-steps", "3", "--out", str(out), "--quiet", *tiny]) == 0
    model = run.open_run(out).model

    assert main(["sample", str(out), "-n", "6", "--label", "3", "--out", str(tmp_path / "s.npz")]) == 0
    archive = np.load(tmp_path / "s.npz")
    assert (archive["labels"] == 3).all() and archive["x"].shape == (6, 1, 8, 8)
    expected = model.sample(6, torch.Generator().manual_seed(0), torch.full((6,), 3))
    assert np.array_equal(archive["x"], (expected * 255).round().to(torch.uint8).numpy())

    assert main(["sample", str(out), "-n", "4", "--label", "7", "--out", str(tmp_path / "g.png")]) == 0
    grid = grid_image(model.sample(4, torch.Generator().manual_seed(0), torch.full((4,), 7)))
    assert np.array_equal(np.asarray(Image.open(tmp_path / "g.png")), np.asarray(grid))

    assert main(["sample", str(out), "-n", "10", "--out", str(tmp_path / "all.npz")]) == 0
    assert np.array_equal(np.load(tmp_path / "all.npz")["labels"], np.arange(10))
    capsys.readouterr()
    for bad in ("10", "-1", "seven"):
        err = one_line_error(capsys, ["sample", str(out), "--label", bad, "--out", str(tmp_path / "x.png")])
        assert f"--label {bad}: the run's classes are 0 to 9 or their names" in err


def test_sample_label_by_class_name_and_on_an_unconditional_model(tmp_path, capsys):
    from genzoo.cli import class_index

    fashion = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    assert class_index("sneaker", fashion) == 7 and class_index("Ankle Boot", fashion) == 9
    assert class_index("0", fashion) == 0
    out = tmp_path / "gan"
    assert main(["train", "gan", "--data", "digits", "--max-steps", "1", "--out", str(out), "--quiet",
                 "--preset", "paper", "--set", "model.generator_hidden=[8]", "--set", "model.discriminator_hidden=[8]",
                 "--set", "train.batch_size=32"]) == 0
    capsys.readouterr()
    err = one_line_error(capsys, ["sample", str(out), "--label", "3", "--out", str(tmp_path / "x.png")])
    assert "gan is not a conditional model" in err and "cgan" in err
