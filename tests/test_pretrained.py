"""Shipped models: a run exported to safetensors and a card, opened as pretrained:NAME wherever a run is, checked
against its hash, listed, and fine-tuned from (train --init)."""

import argparse
import dataclasses
import json

import pytest
import torch
from conftest import TINY
from safetensors.torch import load_file
from test_stackgan import trained_run  # noqa: F401  (the fixture of a tiny trained stackgan)

import genzoo
import genzoo.pretrained
from genzoo.cli import main
from genzoo.errors import GenzooError
from genzoo.export import export_run
from genzoo.run import build_model, initialise_from, make_run_config, open_run, train

DCGAN_STEPS = 4
TINY_DCGAN = [argument for pair in TINY["dcgan"] for argument in ("--set", pair)]


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """An empty folder of shipped models in place of genzoo/pretrained/."""
    folder = tmp_path / "shipped"
    folder.mkdir()
    monkeypatch.setattr(genzoo.pretrained, "DIRECTORY", folder)
    return folder


@pytest.fixture(scope="module")
def dcgan_run(tmp_path_factory):
    """A tiny DCGAN trained a few steps on digits."""
    run_dir = tmp_path_factory.mktemp("dcgan") / "run"
    cfg = make_run_config("dcgan", "digits", overrides=[*TINY["dcgan"], f"train.max_steps={DCGAN_STEPS}"])
    train(cfg, run_dir, progress_bar=False)
    return run_dir


def one_line_error(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("genzoo: error: "), err
    return err


def samples(model, seed=3):
    return model.sample(6, torch.Generator().manual_seed(seed))


def test_round_trip_gives_the_runs_samples_for_the_same_seed(dcgan_run, shipped):
    card = export_run(dcgan_run, shipped, "dcgan-digits")
    assert (shipped / "dcgan-digits.safetensors").stat().st_size == card["weights"]["bytes"]
    assert json.loads((shipped / "dcgan-digits.json").read_text())["weights"]["sha256"] == card["weights"]["sha256"]
    model = genzoo.load("pretrained:dcgan-digits")
    assert torch.equal(samples(model), samples(open_run(dcgan_run).model))
    assert model.run_config.dataset == "digits"
    opened = open_run("pretrained:dcgan-digits")
    assert opened.run_dir is None and opened.progress["step"] == DCGAN_STEPS and opened.figures == {}


def test_float16_storage_halves_the_weights_and_keeps_the_samples_close(dcgan_run, shipped):
    full = export_run(dcgan_run, shipped, "full")["weights"]
    half = export_run(dcgan_run, shipped, "half", storage="float16")["weights"]
    floats = 2 * sum(v.numel() for v in open_run(dcgan_run).model.state_dict().values() if v.is_floating_point())
    assert abs(full["bytes"] - half["bytes"] - floats) < 64 and half["dtypes"] == ["float16", "int64"]   # header
    difference = samples(genzoo.load("pretrained:half")) - samples(genzoo.load("pretrained:full"))
    assert 0 < difference.abs().max() < 0.02


def test_sampling_only_file_samples_alike_and_refuses_to_start_training(dcgan_run, shipped, capsys):
    card = export_run(dcgan_run, shipped, "g-only", omit=("discriminator.",), note="only G")
    stored = load_file(shipped / "g-only.safetensors")
    assert card["weights"]["omitted"] == ["discriminator."] and any(key.startswith("generator.") for key in stored)
    assert not any(key.startswith("discriminator.") for key in stored)
    assert torch.equal(samples(genzoo.load("pretrained:g-only")), samples(open_run(dcgan_run).model))
    err = one_line_error(capsys, ["train", "dcgan", "--data", "digits", "--init", "pretrained:g-only",
                                  "--out", str(shipped.parent / "ft"), *TINY_DCGAN])
    assert "ships without discriminator." in err
    with pytest.raises(GenzooError, match="nothing to omit under 'critic.'"):
        export_run(dcgan_run, shipped, "bad", omit=("critic.",))
    with pytest.raises(GenzooError, match="leaving out generator.* changes this dcgan's samples"):
        export_run(dcgan_run, shipped, "bad", omit=("generator.",))
    assert not (shipped / "bad.json").exists()


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete"])
def test_a_modified_or_missing_weights_file_is_refused_in_one_line(dcgan_run, shipped, capsys, damage):
    export_run(dcgan_run, shipped, "dcgan-digits")
    path = shipped / "dcgan-digits.safetensors"
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[-3] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
    else:
        path.unlink()
    err = one_line_error(capsys, ["sample", "pretrained:dcgan-digits", "-n", "4", "--out",
                                  str(shipped.parent / "g.png")])
    assert "dcgan-digits.safetensors" in err and ("SHA-256" in err or "cannot be read" in err)
    assert not (shipped.parent / "g.png").exists()


def test_unknown_name_lists_the_shipped_ones(dcgan_run, shipped, capsys):
    assert "none are shipped" in one_line_error(capsys, ["info", "pretrained:dcgan-mnist"])
    export_run(dcgan_run, shipped, "dcgan-digits")
    err = one_line_error(capsys, ["sample", "pretrained:dcgan-mnist", "--out", str(shipped.parent / "g.png")])
    assert "no shipped model 'dcgan-mnist'" in err and "dcgan-digits" in err


def test_listing_sample_info_and_eval_of_a_shipped_model(dcgan_run, shipped, capsys):
    assert main(["pretrained"]) == 0
    assert "no models are shipped" in capsys.readouterr().out
    card = export_run(dcgan_run, shipped, "dcgan-digits")
    card["figures"] = {"metrics": {"fd": 12.345, "classes_covered": 7, "classes": 10}}
    (shipped / "dcgan-digits.json").write_text(json.dumps(card))   # the card's figures are not in the hash
    assert main(["pretrained"]) == 0
    listing = capsys.readouterr().out
    assert "dcgan-digits" in listing and "dcgan on digits" in listing and "FD 12.35, 7/10 classes" in listing

    assert main(["sample", "pretrained:dcgan-digits", "-n", "9", "--out", str(shipped.parent / "g.png")]) == 0
    assert main(["arithmetic", "pretrained:dcgan-digits", "--candidates", "6", "--plus", "0,1", "--minus", "2",
                 "--out", str(shipped.parent / "sum.png")]) == 0
    assert (shipped.parent / "g.png").exists() and (shipped.parent / "sum.png").exists()
    capsys.readouterr()
    assert main(["info", "pretrained:dcgan-digits"]) == 0
    info = capsys.readouterr().out
    assert f"step {DCGAN_STEPS}" in info and "dcgan-digits.safetensors, float32" in info and "FD 12.35" in info

    before = sorted(path.name for path in shipped.iterdir())
    assert main(["eval", "pretrained:dcgan-digits", "--metrics", "fd", "-n", "50"]) == 0
    assert "FD" in capsys.readouterr().out.upper()
    assert sorted(path.name for path in shipped.iterdir()) == before   # nothing written into the package
    out = shipped.parent / "eval.json"
    assert main(["eval", "pretrained:dcgan-digits", "--metrics", "fd", "-n", "50", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["metrics"]["fd"] > 0


def test_init_starts_a_new_run_from_the_exported_weights(dcgan_run, shipped, capsys):
    export_run(dcgan_run, shipped, "dcgan-digits")
    cfg = make_run_config("dcgan", "digits", overrides=TINY["dcgan"])
    model = build_model(cfg, (1, 8, 8), 10)
    initialise_from(model, "pretrained:dcgan-digits")
    source = open_run(dcgan_run).model.state_dict()
    for key, value in model.state_dict().items():
        if key == "updates":
            assert int(value) == 0 and int(source[key]) == DCGAN_STEPS   # the new run's schedule starts afresh
        else:
            assert torch.equal(value, source[key]), key

    out = shipped.parent / "fine-tuned"
    assert main(["train", "dcgan", "--data", "digits", "--init", "pretrained:dcgan-digits", "--max-steps", "2",
                 "--out", str(out), "--quiet", *TINY_DCGAN]) == 0
    assert open_run(out).record["init"] == "pretrained:dcgan-digits"
    err = one_line_error(capsys, ["train", "dcgan", "--data", "digits", "--init", str(dcgan_run),
                                  "--out", str(shipped.parent / "wider"), "--max-steps", "2",
                                  *TINY_DCGAN, "--set", "model.generator_width=8"])
    assert "does not fit this run's config" in err
    assert "holds a dcgan, not a vae" in one_line_error(capsys, ["train", "vae", "--data", "digits", "--init",
                                                                 str(dcgan_run), "--out", str(shipped.parent / "v")])


def test_layerwise_boltzmann_models_refuse_init_in_one_line(dcgan_run, capsys, tmp_path):
    err = one_line_error(capsys, ["train", "dbn", "--data", "digits", "--init", str(dcgan_run), "--out",
                                  str(tmp_path / "dbn")])
    assert "trained layer by layer" in err and not (tmp_path / "dbn").exists()


def test_the_pretrained_benchmark_ships_rescored_files_within_the_budget(tmp_path, monkeypatch, shipped):
    from benchmarks import pretrained as benchmark

    vae = benchmark.Recipe("vae-digits", "vae", "digits", settings=tuple(TINY["vae"]), budget=(("k", 2),))
    dcgan = benchmark.Recipe("dcgan-digits", "dcgan", "digits", settings=tuple(TINY["dcgan"]),
                             omit=("discriminator.",), note="only G", optional=True)
    args = argparse.Namespace(seed=0, smoke=True, from_runs=None, data_dir=None, quiet=True)
    rows = benchmark.ship([vae, dcgan], args, shipped, tmp_path / "runs")
    assert sorted(rows) == sorted(genzoo.pretrained.names()) == ["dcgan-digits", "vae-digits"]
    assert not list(shipped.glob(".staging-*"))

    vae_card = json.loads((shipped / "vae-digits.json").read_text())
    decision = vae_card["storage_decision"]
    assert vae_card["weights"]["storage"] == ("float16" if decision["difference_nats"] <= decision["float32"]["stderr"]
                                              else "float32")
    figures = vae_card["figures"]["metrics"]
    assert figures["log_likelihood"] == decision[vae_card["weights"]["storage"]]
    rescored = genzoo.evaluate(genzoo.load("pretrained:vae-digits"), metrics=["fd", "nll"], n=100,
                               budget=dict(benchmark.SMOKE_BUDGET))
    assert rescored["fd"] == pytest.approx(figures["fd"], rel=1e-9)   # the figures are the shipped file's
    dcgan_card = json.loads((shipped / "dcgan-digits.json").read_text())
    assert dcgan_card["weights"]["storage"] == "float16" and dcgan_card["weights"]["omitted"] == ["discriminator."]
    assert dcgan_card["figures"]["sample_64_seconds"] < benchmark.SAMPLE_SECONDS

    reused = benchmark.ship([vae], argparse.Namespace(**{**vars(args), "from_runs": str(tmp_path / "runs")}), shipped,
                            tmp_path / "other-runs")
    assert reused["vae-digits"]["training"]["made_by"].startswith("reused: ")
    assert not (tmp_path / "other-runs").exists()

    small = tmp_path / "small"   # room for the vae alone: the optional dcgan is left out, a required one refused
    monkeypatch.setattr(benchmark, "SIZE_BUDGET", benchmark.size_of(shipped, ["vae-digits"]) + 1000)
    assert list(benchmark.ship([vae, dcgan], args, small, tmp_path / "runs")) == ["vae-digits"]
    with pytest.raises(SystemExit, match="over the"):
        benchmark.ship([dataclasses.replace(dcgan, optional=False)], args, small, tmp_path / "runs")
    assert genzoo.pretrained.names() == ["dcgan-digits", "vae-digits"] and sorted(
        path.name for path in small.iterdir()) == ["vae-digits.json", "vae-digits.safetensors"]


def test_a_stackgan_round_trip_keeps_its_text_encoder(trained_run, shipped):  # noqa: F811
    card = export_run(trained_run, shipped, "stackgan-tiny", storage="float16")
    assert card["extra_state"]["_extra_state"]["text_encoder"]["vocabulary"]   # in the card: no pickle
    captions = ["a 7 at the top left", "the digit two is at the bottom right"]
    generator = torch.Generator().manual_seed(0)
    shipped_stages = genzoo.load("pretrained:stackgan-tiny").generate_from_text(captions, generator)
    run_stages = open_run(trained_run).model.generate_from_text(captions, torch.Generator().manual_seed(0))
    for ours, theirs in zip(shipped_stages, run_stages):
        assert (ours - theirs).abs().max() < 0.05


def test_sampling_options_are_set_in_the_card_and_checked(tiny_config, tmp_path, shipped):
    run_dir = tmp_path / "rbm"
    train(tiny_config("rbm", "train.max_steps=3"), run_dir, progress_bar=False)
    card = export_run(run_dir, shipped, "rbm-digits", sampling={"sample_steps": 3})
    assert card["sampling_changed"] == {"sample_steps": 3} and card["run"]["model"]["sample_steps"] == 3
    model = genzoo.load("pretrained:rbm-digits")
    assert model.cfg.sample_steps == 3 and open_run(run_dir).model.cfg.sample_steps == 20
    with pytest.raises(GenzooError, match="sample_steps"):
        export_run(run_dir, shipped, "bad", sampling={"sample_steps": -1})
    assert not (shipped / "bad.json").exists()


def test_a_runs_figures_are_its_eval_json(dcgan_run, tmp_path):
    assert open_run(dcgan_run).figures == {} and open_run(dcgan_run).run_dir == dcgan_run
    assert main(["eval", str(dcgan_run), "--metrics", "fd", "-n", "50"]) == 0
    assert open_run(dcgan_run).figures["metrics"]["fd"] == json.loads((dcgan_run / "eval.json").read_text())[
        "metrics"]["fd"]
    (dcgan_run / "eval.json").write_text("{broken")
    assert open_run(dcgan_run).figures == {}
    (dcgan_run / "eval.json").unlink()


def test_a_seed_choice_halves_its_candidates_by_validation_and_equals_the_chosen_uninterrupted_run(tmp_path):
    from benchmarks import pretrained as benchmark

    recipe = benchmark.Recipe("infogan-digits", "infogan", "digits", settings=tuple(TINY["infogan"]),
                              seed_choice=benchmark.SeedChoice((0, 1, 2), ((1, 2), (2, 1))))
    args = argparse.Namespace(seed=0, smoke=True, from_runs=None, data_dir=None, quiet=True)
    run_dir, made_by, choice = benchmark.trained_run(recipe, args, tmp_path / "runs")
    first, second = choice["rounds"]
    assert sorted(first["validation_readings"]) == [0, 1, 2] and len(first["kept"]) == 2
    assert all(first["validation_readings"][seed] >= first["validation_readings"][other]
               for seed in first["kept"] for other in {0, 1, 2} - set(first["kept"]))
    assert sorted(second["validation_readings"]) == sorted(first["kept"])
    assert (first["steps"], second["steps"]) == (1, 2)
    readings = second["validation_readings"]
    assert second["kept"] == [choice["chosen_seed"]] == [max(readings, key=lambda seed: readings[seed])]
    chosen = open_run(run_dir)
    assert chosen.config.train.seed == choice["chosen_seed"] and f"train.seed={choice['chosen_seed']}" in made_by
    assert chosen.progress["step"] == benchmark.SMOKE_STEPS and chosen.progress["finished"]

    cfg, _ = benchmark.recipe_config(recipe, args, choice["chosen_seed"])   # the same seed, never interrupted
    train(cfg, tmp_path / "uninterrupted", progress_bar=False)
    straight = open_run(tmp_path / "uninterrupted").model.state_dict()
    for name, tensor in chosen.model.state_dict().items():
        assert torch.equal(tensor, straight[name]), name


def test_a_seed_choice_reuses_from_runs_a_candidate_still_at_its_first_round(tmp_path, monkeypatch):
    from benchmarks import pretrained as benchmark

    recipe = benchmark.Recipe("infogan-digits", "infogan", "digits", settings=tuple(TINY["infogan"]),
                              seed_choice=benchmark.SeedChoice((0, 1), ((1, 1),)))
    args = argparse.Namespace(seed=0, smoke=True, from_runs=None, data_dir=None, quiet=True)
    runs = tmp_path / "runs"
    _, _, first = benchmark.trained_run(recipe, args, runs)
    trained, train_fresh = [], benchmark.train_to_the_end
    monkeypatch.setattr(benchmark, "train_to_the_end",
                        lambda cfg, run_dir, given: trained.append(cfg.train.seed) or train_fresh(cfg, run_dir, given))
    _, _, again = benchmark.trained_run(recipe, argparse.Namespace(**{**vars(args), "from_runs": str(runs)}), runs)
    assert trained == [first["chosen_seed"]]   # the other seed's run stopped at the first round and is reused
    assert again["rounds"] == first["rounds"] and again["chosen_seed"] == first["chosen_seed"]
