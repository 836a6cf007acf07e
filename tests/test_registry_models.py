"""Every registered model, as its defaults build it, trains through the loop with finite scalars and samples images in
[0, 1]: tests over the registry, so that a model added to it is covered without a test of its own; and the defaults
themselves: each model's length, presets and binarization, and the line a run starts with."""

from __future__ import annotations

import math

import pytest
import torch
from test_cli import one_line_error
from test_stackgan import tiny_captioned

from genzoo import run
from genzoo.cli import main
from genzoo.data import load_dataset
from genzoo.data.config import DataConfig
from genzoo.errors import GenzooError
from genzoo.registry import MODELS
from genzoo.train.metrics_log import read_metrics

STEPS = 4
# the loop's settings only: a small batch and a few steps; every model setting is its default
SHORT_RUN = ["train.batch_size=16", f"train.max_steps={STEPS}", "train.log_every=1", "train.grid_size=4"]


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_trains_from_its_defaults_with_finite_scalars_and_samples_in_the_unit_interval(
        name, tmp_path, monkeypatch):
    cls = MODELS[name]
    if cls.text_conditioned:   # a tiny synthetic mnist-captions in place of the real one
        data = tiny_captioned()
        monkeypatch.setattr(run, "load_dataset", lambda dataset, cfg, data_dir=None: data)
    dataset = "mnist-captions" if cls.text_conditioned else "digits"
    cfg = run.make_run_config(name, dataset, overrides=SHORT_RUN)
    outcome, trainer = run.train(cfg, tmp_path / name, progress_bar=False)
    assert outcome == "finished" and trainer.progress.step == STEPS
    steps = [r for r in read_metrics(tmp_path / name / "metrics.jsonl") if r.get("split", "train") == "train"]
    assert [r["step"] for r in steps] == list(range(1, STEPS + 1))
    for record in steps:
        scalars = {k: v for k, v in record.items() if k not in ("step", "epoch", "time", "phase")}
        assert scalars and all(math.isfinite(v) for v in scalars.values()), record
    model = run.open_run(tmp_path / name).model
    assert model.monitoring_scalars() == {}   # no step taken in this process: nothing to measure, and no error
    labels = torch.arange(6) % model.num_classes if model.conditional else None
    samples = model.sample(6, torch.Generator().manual_seed(0), labels)
    assert samples.shape == (6, *model.image_shape)
    assert torch.isfinite(samples).all() and samples.min() >= 0 and samples.max() <= 1


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_has_its_own_length_and_presets_that_build(name):
    cls = MODELS[name]
    assert cls.train_defaults["epochs"] >= 1
    dataset = "mnist-captions" if cls.text_conditioned else "mnist"
    default = run.make_run_config(name, dataset)
    assert default.preset == "default" and default.train.epochs == cls.train_defaults["epochs"]
    for preset, sections in cls.presets.items():
        cfg = run.make_run_config(name, dataset, preset=preset)
        assert cfg.preset == preset
        for section, values in sections.items():
            for key, value in values.items():
                got = getattr(getattr(cfg, section), key)
                assert (list(got) if isinstance(got, tuple) else got) == value, (section, key)
        assert cfg != default, "a preset changes something"


@pytest.mark.parametrize("name, binarization", [("rbm", "fixed"), ("dbn", "fixed"), ("dbm", "fixed"),
                                                 ("helmholtz", "fixed"), ("vae", "dynamic"), ("dcgan", "none")])
def test_each_model_picks_its_binarization_unless_the_run_sets_one(name, binarization):
    assert run.make_run_config(name, "mnist").data.binarize == binarization
    assert run.make_run_config(name, "mnist", overrides=["data.binarize=dynamic"]).data.binarize == "dynamic"


def test_grey_images_stay_grey_for_gaussian_units_and_are_refused_for_binary_ones():
    assert run.make_run_config("rbm", "mnist", overrides=["model.visible=gaussian"]).data.binarize == "none"
    with pytest.raises(GenzooError, match="the dbn models binary images: drop data.binarize=none") as err:
        run.make_run_config("dbn", "mnist", overrides=["data.binarize=none"])
    assert "\n" not in str(err.value)


def test_an_unknown_preset_is_a_one_line_error_naming_the_presets():
    with pytest.raises(GenzooError, match="the gan model has the presets default, paper"):
        run.make_run_config("gan", "mnist", preset="fast")
    with pytest.raises(GenzooError, match="the dcgan model has no preset but its defaults"):
        run.make_run_config("dcgan", "mnist", preset="paper")


def test_a_run_says_first_its_binarization_preset_and_steps_and_keeps_its_preset(tmp_path, capsys):
    out = tmp_path / "gan"
    assert main(["train", "gan", "--data", "digits", "--preset", "paper", "--max-steps", "2", "--set",
                 "model.generator_hidden=[8]", "--set", "model.discriminator_hidden=[8]", "--out", str(out),
                 "--quiet"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    per_epoch = len(load_dataset("digits", DataConfig()).train) // 128
    assert first == (f"gan on digits, grey images (data.binarize=none), preset paper, precision 32 (float32): 2 steps "
                     f"(8 epochs of {per_epoch} steps, batch 128, capped by train.max_steps=2)")
    opened = run.open_run(out)
    assert opened.config.preset == "paper" and opened.config.model.architecture == "mlp"
    assert main(["train", "gan", "--data", "digits", "--max-steps", "3", "--out", str(out), "--quiet",
                 "--resume"]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(
        f"precision 32 (float32): resuming at step 2 of 3 steps (8 epochs of {per_epoch} steps, batch 128, capped by "
        "train.max_steps=3)")
    assert one_line_error(capsys, ["train", "gan", "--data", "digits", "--out", str(out), "--resume", "--preset",
                                   "paper"]).startswith("genzoo: error: --config, --set, --preset, --init and "
                                                        "--precision cannot change")


def test_a_gan_saved_before_its_players_became_convolutional_reopens_as_the_mlp_it_trained():
    saved = run.make_run_config("gan", "mnist", preset="paper").to_dict()
    for key in ("architecture", "generator_width", "discriminator_width"):
        del saved["model"][key]
    del saved["preset"]
    assert run.run_config_from_dict(saved).model.architecture == "mlp"
