"""'genzoo eval' and 'genzoo classifier' end to end on digits (shipped feature network, no download)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import TINY
from PIL import Image
from test_cli import one_line_error

from genzoo.cli import main
from genzoo.data import load_dataset
from genzoo.data.config import DataConfig
from genzoo.evaluate.features import SHIPPED, load_feature_network, read_card
from genzoo.train.classifier_training import random_shift
from genzoo.train.metrics_log import read_metrics

TINY_VAE = [arg for pair in TINY["vae"] for arg in ("--set", pair)]
TINY_DCGAN = [arg for pair in TINY["dcgan"] for arg in ("--set", pair)]
FAST = ["-n", "200", "--seed", "1"]


def digits_as_npz(path, split="train"):
    images = getattr(load_dataset("digits", DataConfig()), split).images
    np.savez(path, x=(images.numpy() * 255).round().astype(np.uint8))
    return path


def test_real_digits_score_like_the_real_test_set(tmp_path, capsys):
    samples = digits_as_npz(tmp_path / "real.npz")
    assert main(["eval", "--samples", str(samples), "--data", "digits", "--metrics", "fd,pr,dc,cs,modes,mem"]) == 0
    table = capsys.readouterr().out
    assert "FD (feature network)" in table and "precision / recall" in table
    result = json.loads((tmp_path / "real.eval.json").read_text())
    metrics = result["metrics"]
    assert metrics["precision"] > 0.8 and metrics["recall"] > 0.8 and metrics["classes_covered"] == 10
    assert metrics["cs"]["value"] > 6 and metrics["kl_to_data"] < 0.05
    assert "Inception" in result["feature_network"]["note"]
    # these "samples" are the training images themselves: the memorisation check must call them copies
    assert metrics["ratio"] < 0.1 and metrics["share_closer_than_test_1st_percentile"] > 0.9
    assert result["provenance"]["command"].startswith("genzoo eval") and "commit" in result["provenance"]

    noise = tmp_path / "noise.npz"
    np.savez(noise, x=np.random.default_rng(0).random((300, 8, 8)))           # floats, grey, no channel axis
    assert main(["eval", "--samples", str(noise), "--data", "digits", "--metrics", "fd,pr"]) == 0
    worse = json.loads((tmp_path / "noise.eval.json").read_text())["metrics"]
    assert worse["fd"] > 10 * metrics["fd"] and worse["precision"] < 0.1


def test_eval_a_vae_run_with_its_likelihood_and_a_dcgan_run_without(tmp_path, capsys):
    vae, dcgan = tmp_path / "vae", tmp_path / "dcgan"
    assert main(["train", "vae", "--data", "digits", "--max-steps", "20", "--out", str(vae), "--quiet", *TINY_VAE]) == 0
    assert main(["train", "dcgan", "--data", "digits", "--max-steps", "3", "--out", str(dcgan), "--quiet",
                 *TINY_DCGAN]) == 0
    assert main(["eval", str(vae), *FAST, "--k", "20", "--nll-images", "50"]) == 0
    assert "IWAE lower bound, k=20" in capsys.readouterr().out
    result = json.loads((vae / "eval.json").read_text())
    assert result["model"] == "vae" and result["step"] == 20 and result["metrics"]["samples"] == 200
    assert result["metrics"]["log_likelihood"]["value"] < 0 and result["metrics"]["log_likelihood"]["n"] == 50
    assert set(result["metrics"]["seconds"]) >= {"fd", "kid", "pr_dc", "features", "sampling"}

    assert main(["eval", str(dcgan), *FAST, "--metrics", "fd,kid,nll", "--out", str(tmp_path / "d.json")]) == 0
    result = json.loads((tmp_path / "d.json").read_text())["metrics"]
    assert "defines no likelihood" in result["log_likelihood"]["note"]
    assert result["fd"] > 0 and "precision" not in result


def test_an_rbm_on_fixed_binarization_is_scored_against_grey_images_and_exactly(tmp_path, capsys):
    out = tmp_path / "rbm"
    assert main(["train", "rbm", "--data", "digits", "--max-steps", "10", "--out", str(out), "--quiet",
                 "--set", "model.hidden=12", "--set", "model.sample_steps=10", "--set", "data.binarize=fixed"]) == 0
    assert main(["eval", str(out), *FAST, "--metrics", "fd,nll"]) == 0
    metrics = json.loads((out / "eval.json").read_text())["metrics"]
    assert metrics["log_likelihood"]["method"] == "exact" and "fixed" in metrics["log_likelihood"]["binarization"]
    assert metrics["reference"] == "digits test split (359 images)" and metrics["fd"] > 0


def test_scheduled_evaluation_logs_fd_and_the_bound_on_the_validation_split(tmp_path):
    out = tmp_path / "vae"
    assert main(["train", "vae", "--data", "digits", "--max-steps", "20", "--out", str(out), "--quiet", *TINY_VAE,
                 "--set", "train.eval_every=10", "--set", "train.eval_metrics=fd,nll",
                 "--set", "train.eval_samples=100"]) == 0
    rows = [r for r in read_metrics(out / "metrics.jsonl") if r.get("split") == "eval"]
    assert [r["step"] for r in rows] == [10, 20] and all(r["fd"] > 0 and r["log_likelihood"] < 0 for r in rows)


def test_a_classifier_for_a_folder_dataset_serves_eval(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for label, value in (("dark", 40), ("light", 220)):
        (tmp_path / "images" / label).mkdir(parents=True)
        for i in range(40):
            pixels = np.clip(rng.normal(value, 20, (12, 12)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / "images" / label / f"{i}.png")
    data = f"folder:{tmp_path / 'images'}"
    weights = tmp_path / "clf.pt"
    assert main(["classifier", "--data", data, "--set", "image_size=8", "--epochs", "3", "--out", str(weights),
                 "--quiet"]) == 0
    card = json.loads(weights.with_suffix(".json").read_text())
    assert card["image_shape"] == [1, 8, 8] and card["classes"] == ["dark", "light"] and card["training"]["seed"] == 0
    samples = tmp_path / "s.npz"
    np.savez(samples, x=np.full((30, 1, 8, 8), 230, np.uint8))
    assert main(["eval", "--samples", str(samples), "--data", data, "--classifier", str(weights),
                 "--metrics", "modes"]) == 0
    assert "classes covered" in capsys.readouterr().out
    err = one_line_error(capsys, ["eval", "--samples", str(samples), "--data", data, "--metrics", "fd"])
    assert "genzoo classifier" in err


@pytest.mark.parametrize("argv, message", [
    (["eval", "--metrics", "fd,bogus", "--samples", "x.npz", "--data", "digits"], "unknown metric 'bogus'"),
    (["eval", "--samples", "x.npz", "--data", "digits", "--metrics", "nll"], "needs a model"),
    (["eval"], "give a run directory"),
    (["eval", "--samples", "x.npz"], "--data DATASET"),
])
def test_eval_usage_mistakes_are_one_line(capsys, argv, message):
    assert message in one_line_error(capsys, argv)


def test_bad_sample_files_are_one_line(tmp_path, capsys):
    cases = {"no_x.npz": {"y": np.zeros(3)}, "shape.npz": {"x": np.zeros((4, 1, 28, 28), np.uint8)},
             "range.npz": {"x": np.full((4, 1, 8, 8), 3.0)}, "labels.npz": {"x": np.zeros((4, 8, 8)), "labels": [1]}}
    for name, arrays in cases.items():
        np.savez(tmp_path / name, **arrays)
        err = one_line_error(capsys, ["eval", "--samples", str(tmp_path / name), "--data", "digits"])
        assert name in err
    np.save(tmp_path / "plain.npy", np.zeros((4, 8, 8)))
    assert "not an .npz" in one_line_error(capsys, ["eval", "--samples", str(tmp_path / "plain.npy"),
                                                    "--data", "digits"])
    (tmp_path / "junk.npz").write_text("not an archive")
    assert "cannot read samples" in one_line_error(capsys, ["eval", "--samples", str(tmp_path / "junk.npz"),
                                                            "--data", "digits"])


def test_shipped_feature_networks_reach_their_accuracy_and_say_how_they_were_made():
    floors = {"mnist": 0.993, "fashion-mnist": 0.92, "digits": 0.95}
    for dataset in SHIPPED:
        card = read_card(dataset)
        assert card["test_accuracy"] >= floors[dataset], (dataset, card["test_accuracy"])
        assert card["command"].startswith("genzoo classifier") and card["training"]["seed"] == 0
        assert card["data_provenance"] and card["commit"]
        assert load_feature_network(dataset).card == card


def test_random_shift_moves_each_image_by_at_most_two_pixels():
    import torch
    image = torch.zeros(1, 1, 9, 9)
    image[0, 0, 4, 4] = 1
    moved = random_shift(image.repeat(200, 1, 1, 1), torch.Generator().manual_seed(0))
    rows, cols = moved[:, 0].nonzero()[:, 1], moved[:, 0].nonzero()[:, 2]
    assert moved.sum() == 200 and set(rows.tolist()) == set(range(2, 7)) == set(cols.tolist())
