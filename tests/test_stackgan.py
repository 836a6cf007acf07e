"""StackGAN (Zhang et al. 2016) against known answers: Conditioning Augmentation's KL and draws, the matching-aware
loss by hand, Stage-II's input and output, the stage order and its resume, and captions through the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from test_captions import canvases
from test_cgan import TINY_CGAN
from test_cli import one_line_error
from test_train_loop import Crash, crash, fail_at

from genzoo import run
from genzoo.checkpoint import load_checkpoint
from genzoo.cli import main
from genzoo.data import Dataset
from genzoo.data.captions import CANVAS, parse_caption, random_captions
from genzoo.errors import GenzooError
from genzoo.evaluate.caption_match import load_region_checker
from genzoo.evaluate.features import load_feature_network, weights_dir
from genzoo.grid import to_uint8
from genzoo.models.stackgan import StackGAN
from genzoo.nn.conditioning_augmentation import ConditioningAugmentation, kl_to_standard_normal
from genzoo.nn.gan_losses import matching_aware_discriminator_loss
from genzoo.viz.text_to_image import PADDING, TEXT_WIDTH, caption_rows

TINY_STACKGAN = ["model.latent_dim=4", "model.embedding_dim=8", "model.condition_dim=4", "model.text_dim=4",
                 "model.stage1_generator_width=4", "model.stage1_discriminator_width=4",
                 "model.stage2_generator_width=4", "model.stage2_discriminator_width=4", "model.residual_blocks=1",
                 "train.batch_size=8", "train.log_every=1",
                 "model.stage1_fraction=0.5"]   # the tests below place the stage boundary at half the run
STEPS_PER_EPOCH = 6   # 48 training canvases, batch 8


def tiny_captioned() -> Dataset:
    return Dataset("mnist-captions", canvases(48, seed=1), canvases(20, seed=2), canvases(20, seed=3),
                   classes=[str(d) for d in range(10)] + ["empty"], provenance={})


@pytest.fixture
def captioned(monkeypatch):
    """Runs load a tiny synthetic mnist-captions (48 training canvases of random 'digits'), whatever the data dir."""
    data = tiny_captioned()
    monkeypatch.setattr(run, "load_dataset", lambda name, cfg, data_dir=None: data)
    return data


def stackgan_config(*overrides: str):
    return run.make_run_config("stackgan", "mnist-captions", overrides=[*TINY_STACKGAN, *overrides])


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A tiny stackgan trained 12 steps (6 of each stage) on the tiny captions."""
    path = tmp_path_factory.mktemp("stackgan") / "run"
    with pytest.MonkeyPatch.context() as patch:
        data = tiny_captioned()
        patch.setattr(run, "load_dataset", lambda name, cfg, data_dir=None: data)
        run.train(stackgan_config("train.epochs=2"), path, progress_bar=False)
    return path


def prepared_model(*overrides: str, total_steps: int = 10) -> StackGAN:
    model = run.build_model(stackgan_config(*overrides), (1, CANVAS, CANVAS), 11)
    model.total_steps = total_steps
    model.prepare(tiny_captioned(), seed=0)
    return model


# --- Conditioning Augmentation -----------------------------------------------------------------------------------

def test_kl_is_the_closed_form_of_two_diagonal_gaussians_per_dimension():
    mu = torch.tensor([[1.0, 0.0], [0.0, -2.0]], dtype=torch.float64)
    log_variance = torch.tensor([[0.0, math.log(4.0)], [math.log(0.25), 0.0]], dtype=torch.float64)
    # KL(N(m, s^2) || N(0, 1)) = (m^2 + s^2 - 1 - log s^2) / 2, per dimension
    by_hand = [(1 + 1 - 1 - 0) / 2, (0 + 4 - 1 - math.log(4)) / 2, (0 + 0.25 - 1 - math.log(0.25)) / 2, (4 + 1 - 1) / 2]
    assert kl_to_standard_normal(mu, log_variance).item() == pytest.approx(sum(by_hand) / 4, rel=1e-12)
    assert kl_to_standard_normal(torch.zeros(3, 5), torch.zeros(3, 5)).item() == 0


def test_augmented_conditions_have_the_mean_and_variance_the_layer_says():
    augmentation = ConditioningAugmentation(embedding_dim=3, condition_dim=2)
    with torch.no_grad():
        augmentation.moments.weight.zero_()
        augmentation.moments.bias.copy_(torch.tensor([1.5, -0.5, math.log(4.0), math.log(0.09)]))
    c, mu, log_variance = augmentation(torch.randn(200_000, 3), torch.Generator().manual_seed(0))
    assert torch.allclose(c.mean(0), torch.tensor([1.5, -0.5]), atol=0.01)
    assert torch.allclose(c.var(0), torch.tensor([4.0, 0.09]), rtol=0.02)
    assert torch.equal(mu[0], torch.tensor([1.5, -0.5]))
    assert torch.allclose(log_variance[0].exp(), torch.tensor([4.0, 0.09]))
    c.sum().backward()   # reparameterised: the draws pass gradients back to the layer
    assert augmentation.moments.bias.grad.abs().sum() > 0


def test_without_conditioning_augmentation_the_generators_are_given_the_embedding_itself():
    model = prepared_model("model.conditioning_augmentation=false")
    assert model.stage1_augmentation is None and model.stage2_augmentation is None
    embeddings = model.embed(["a 7 at the top left", "the digit two is at the bottom right"])
    given = []
    model.stage1_generator.register_forward_pre_hook(lambda module, inputs: given.append(inputs[0]))
    model.eval()
    with torch.no_grad():
        _, kl = model.stage1_images(torch.zeros(2, model.cfg.latent_dim), embeddings)
    assert kl.item() == 0 and torch.equal(given[0][:, model.cfg.latent_dim:], embeddings)
    condition, kl = model.condition(2, embeddings)
    assert condition is embeddings and kl.item() == 0


# --- the matching-aware discriminator -----------------------------------------------------------------------------

def test_matching_aware_loss_counts_mismatched_text_and_fakes_as_fake_half_each():
    real = torch.tensor([2.0, -1.0], dtype=torch.float64)
    mismatched = torch.tensor([0.5, 1.5, -3.0], dtype=torch.float64)
    fake = torch.tensor([-2.0, 0.0], dtype=torch.float64)

    def log_sigmoid(v):
        return math.log(1 / (1 + math.exp(-v)))

    real_term = -sum(log_sigmoid(v) for v in real.tolist()) / 2                # real image, its own text: real
    mismatched_term = -sum(log_sigmoid(-v) for v in mismatched.tolist()) / 3   # log(1 - D) = log sigmoid(-logit)
    fake_term = -sum(log_sigmoid(-v) for v in fake.tolist()) / 2
    by_hand = real_term + (mismatched_term + fake_term) / 2
    assert matching_aware_discriminator_loss(real, mismatched, fake).item() == pytest.approx(by_hand, rel=1e-12)


def test_mismatched_captions_show_something_else_and_reach_the_discriminator():
    model = prepared_model()
    seen = []
    model.stage1_discriminator.register_forward_hook(lambda module, inputs, output: seen.append(inputs))
    y = torch.tensor([0, 1, 2, 3])
    model.train_step(tiny_captioned().train.images[y], y)
    real, mismatched = seen[0], seen[2]   # D(real, own), D(fake, own), D(real, another caption), D(fake) for G
    contents = model.train_contents
    others = y.roll(1)
    kept = (contents[y] != contents[others]).any(dim=1)
    assert torch.equal(mismatched[1], model.train_embeddings[others[kept]])
    assert torch.equal(mismatched[0], real[0][kept])


# --- the auxiliary classifier of what each region holds ----------------------------------------------------------

def test_the_auxiliary_classifier_reads_each_region_of_the_maps_in_row_major_order():
    head = prepared_model().stage1_discriminator.contents
    maps = torch.zeros(1, head[1].in_channels, 4, 4)
    maps[..., :2, 2:] = 1.0   # only the top right quarter
    logits = head(maps)[0]
    bias = head[1].bias.detach()
    assert logits.shape == (11, 4)
    assert not torch.allclose(logits[:, 1], bias)
    assert torch.allclose(logits[:, [0, 2, 3]], bias[:, None].expand(-1, 3))


@pytest.mark.parametrize("stage", [1, 2])
@pytest.mark.parametrize("weight", [0.0, 0.5])
def test_each_stage_learns_real_contents_and_the_captions_by_its_own_content_weight(stage, weight):
    other = 2 if stage == 1 else 1
    model = prepared_model(f"model.stage{stage}_content_weight={weight}", f"model.stage{other}_content_weight=3",
                           total_steps=4)
    model.updates.fill_(0 if stage == 1 else 2)   # the stage boundary is at 2 of 4
    discriminator = model.networks(stage)["discriminator"]
    head = [p.detach().clone() for p in discriminator.contents.parameters()]
    seen = []
    discriminator.register_forward_hook(lambda module, inputs, output: seen.append(output))
    y = torch.tensor([0, 1, 2, 3])
    scalars = model.train_step(tiny_captioned().train.images[y], y)
    contents = model.train_contents[y]   # each caption's content, the real image's
    real, fake_for_generator = seen[0][1], seen[-1][1]
    assert scalars[f"stage{stage}_d_content"] == pytest.approx(F.cross_entropy(real, contents).item(), rel=1e-6)
    assert scalars[f"stage{stage}_g_content"] == pytest.approx(F.cross_entropy(fake_for_generator, contents).item(),
                                                                rel=1e-6)
    after = list(discriminator.contents.parameters())
    assert all(torch.equal(a, b) for a, b in zip(head, after)) == (weight == 0)   # weight 0: StackGAN's own D


# --- the two stages ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stage1_size", [16, 32])
def test_stage_two_draws_64_pixels_from_the_stage_one_image(stage1_size):
    model = prepared_model(f"model.stage1_size={stage1_size}")
    model.eval()
    embeddings = model.embed(["a 7 at the top left"] * 3)
    sketch, _ = model.stage1_images(model.noise(3), embeddings)
    assert sketch.shape == (3, 1, stage1_size, stage1_size)

    def refine(stage1):
        return model.stage2_images(stage1, embeddings, torch.Generator().manual_seed(0))[0]

    images = refine(sketch)
    assert images.shape == (3, 1, CANVAS, CANVAS) and images.abs().max() <= 1
    assert torch.equal(images, refine(sketch))
    enlarged = F.interpolate(sketch, size=(CANVAS, CANVAS), mode="bilinear", align_corners=False)
    assert torch.allclose(images, enlarged.clamp(-0.99, 0.99), atol=1e-5), "an untrained Stage-II keeps the sketch"
    blank, bright = refine(-torch.ones_like(sketch)), refine(torch.ones_like(sketch))
    assert (bright - blank).mean() > 1


def test_both_stages_at_the_means_of_their_conditions_keep_z_and_drop_the_draws(trained_run):
    model = run.open_run(trained_run).model
    texts = ["a 7 at the top left", "the digit two is at the bottom right"] * 2
    drawn_sketches, _ = model.generate_from_text(texts, torch.Generator().manual_seed(0))
    sketches, refined = model.generate_from_text(texts, torch.Generator().manual_seed(0), at_mean=True)
    assert not torch.equal(sketches, drawn_sketches)
    with torch.no_grad():
        embeddings = model.embed(texts)
        z = model.noise(len(texts), torch.Generator().manual_seed(0))
        mu1, mu2 = model.stage1_augmentation(embeddings)[1], model.stage2_augmentation(embeddings)[1]
        expected_sketches = torch.tanh(model.stage1_generator(torch.cat([z, mu1], dim=1)))
        enlarged = F.interpolate(expected_sketches, size=(CANVAS, CANVAS), mode="bilinear", align_corners=False)
        expected = torch.tanh(model.stage2_generator(expected_sketches, mu2) + torch.atanh(enlarged.clamp(-0.99, 0.99)))
    assert torch.allclose(sketches, (expected_sketches + 1) / 2, atol=1e-5)
    assert torch.allclose(refined, (expected + 1) / 2, atol=1e-5)


def test_stage_one_is_frozen_while_stage_two_trains():
    model = prepared_model(total_steps=4)
    model.updates.fill_(2)   # the stage boundary is at 2 of 4
    assert model.phase() == "Stage-II"
    stage1 = {name: tensor.clone() for name, tensor in model.state_dict().items() if name.startswith("stage1_")}
    stage2 = {name: tensor.clone() for name, tensor in model.state_dict().items() if name.startswith("stage2_")}
    model.train()
    data = tiny_captioned().train
    for step in range(2):
        y = torch.arange(8 * step, 8 * step + 8)
        assert set(model.train_step(data.images[y], y)) >= {"stage2_d_loss", "stage2_g_loss", "stage2_kl"}
    after = model.state_dict()
    assert any("running_mean" in name for name in stage1), "Stage-I has batch-norm statistics that could move"
    for name, tensor in stage1.items():
        assert torch.equal(after[name], tensor), name
    assert any(not torch.equal(after[name], tensor) for name, tensor in stage2.items())


def test_a_run_trains_stage_one_for_its_share_then_stage_two(tmp_path, captioned):
    run.train(stackgan_config("train.epochs=3", "model.stage1_fraction=0.4"), tmp_path / "r", progress_bar=False)
    records = [json.loads(line) for line in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in records if "split" not in r]
    boundary = round(3 * STEPS_PER_EPOCH * 0.4)
    assert [r["phase"] for r in steps] == ["Stage-I"] * boundary + ["Stage-II"] * (3 * STEPS_PER_EPOCH - boundary)
    assert all("stage1_d_loss" in r and "stage2_d_loss" not in r for r in steps[:boundary])
    assert all("stage2_d_loss" in r and "stage1_d_loss" not in r for r in steps[boundary:])
    assert (tmp_path / "r" / "samples" / "stages.png").exists()


def same_state(a: dict, b: dict) -> bool:
    """Equal state dicts; of the extra state, the text encoder's vocabulary and sizes (its report has wall times)."""
    return a.keys() == b.keys() and all(
        torch.equal(a[k], b[k]) if isinstance(a[k], torch.Tensor) else a[k]["text_encoder"] == b[k]["text_encoder"]
        for k in a)


def test_resume_across_the_stage_boundary_equals_an_uninterrupted_run(tmp_path, monkeypatch, captioned):
    cfg = stackgan_config("train.epochs=2", "train.checkpoint_every=4")   # Stage-II from step 7
    run.train(cfg, tmp_path / "straight", progress_bar=False)
    fail_at(monkeypatch, "stackgan", 7, crash)
    with pytest.raises(Crash):
        run.train(cfg, tmp_path / "crashed", progress_bar=False)
    assert load_checkpoint(tmp_path / "crashed" / "checkpoint.pt")["progress"]["step"] == 4
    monkeypatch.undo()
    monkeypatch.setattr(run, "load_dataset", lambda name, cfg, data_dir=None: tiny_captioned())
    outcome, trainer = run.resume(tmp_path / "crashed", progress_bar=False)
    assert outcome == "finished" and trainer.progress.step == 2 * STEPS_PER_EPOCH
    straight, resumed = (load_checkpoint(tmp_path / d / "checkpoint.pt") for d in ("straight", "crashed"))
    assert same_state(straight["model"], resumed["model"])
    for name, state in straight["optimizers"].items():
        assert state["param_groups"] == resumed["optimizers"][name]["param_groups"], name
        assert state["param_groups"][0]["lr"] == pytest.approx(cfg.model.lr / 6), "each stage's last of 6 updates"
        for index, moments in state["state"].items():
            assert same_state(moments, resumed["optimizers"][name]["state"][index]), name
    records = (tmp_path / "crashed" / "metrics.jsonl").read_text().splitlines()
    phases = [json.loads(line).get("phase") for line in records]
    assert phases == ["Stage-I"] * 6 + ["Stage-II"] * 6


def test_the_text_encoder_is_trained_with_the_run_and_saved_in_it(trained_run):
    model = run.open_run(trained_run).model
    content = load_checkpoint(trained_run / "checkpoint.pt")["model"]
    assert "seven" in content["_extra_state"]["text_encoder"]["vocabulary"]
    assert content["_extra_state"]["report"]["validation"]["pairs"] == 20
    assert not any(p.requires_grad for p in model.text_encoder.parameters())
    again = run.open_run(trained_run).model
    assert torch.equal(model.embed(["a 3 in the lower left"]), again.embed(["a 3 in the lower left"]))
    assert model.embed(["a 3 in the lower left"]).norm() == pytest.approx(math.sqrt(model.cfg.embedding_dim))


def test_samples_of_drawn_captions_and_the_stage_figure(trained_run):
    model = run.open_run(trained_run).model
    images = model.sample(5, torch.Generator().manual_seed(0))
    assert images.shape == (5, 1, CANVAS, CANVAS) and images.min() >= 0 and images.max() <= 1
    assert torch.equal(images, model.sample(5, torch.Generator().manual_seed(0)))
    pictures, columns = model.figures(torch.Generator().manual_seed(0))["stages"]
    assert pictures.shape == (32, 1, CANVAS, CANVAS) and columns == 8


def test_drawn_captions_are_of_the_grammar_and_follow_the_seed():
    captions = random_captions(200, torch.Generator().manual_seed(3))
    assert captions == random_captions(200, torch.Generator().manual_seed(3)) and len(set(captions)) > 150
    assert {len(parse_caption(c)) for c in captions} == {1, 2}


# --- data it can and cannot learn from ---------------------------------------------------------------------------

def test_a_conditional_model_of_one_label_per_image_refuses_captioned_canvases(tmp_path, captioned):
    cfg = run.make_run_config("cgan", "mnist-captions", overrides=[*TINY_CGAN["conv"], "train.max_steps=1"])
    with pytest.raises(GenzooError, match="cgan is conditioned on one class label per image, and mnist-captions has "
                                          "4 per image.*stackgan learns from its captions") as err:
        run.train(cfg, tmp_path / "cgan", progress_bar=False)
    assert "\n" not in str(err.value) and not (tmp_path / "cgan" / "checkpoint.pt").exists()


def test_stackgan_refuses_images_without_captions(tmp_path):
    with pytest.raises(GenzooError, match="digits has none: use --data mnist-captions"):
        run.train(run.make_run_config("stackgan", "digits", overrides=TINY_STACKGAN), tmp_path / "r",
                  progress_bar=False)


def test_no_feature_network_is_misread_from_the_region_checker():
    for args in (("mnist-captions",), ("mnist-captions", weights_dir() / "mnist-captions.pt")):
        with pytest.raises(GenzooError, match="region checker") as err:
            load_feature_network(*args)
        assert "\n" not in str(err.value)


@pytest.mark.skipif(not (weights_dir() / "mnist-captions.pt").exists(), reason="the region checker is not shipped")
def test_canvas_features_are_four_cells_of_pooled_checker_maps_at_any_side():
    checker = load_region_checker()
    canvases_ = canvases(6).images
    features = checker.features(canvases_)
    assert features.shape == (6, 4 * 64) and features.dtype == torch.float64
    moved = canvases_.roll(32, dims=-1)   # left and right cells swapped
    assert torch.allclose(checker.features(moved).view(6, 2, 2, 64).flip(2).reshape(6, -1), features, atol=1e-5)
    assert checker.features(torch.nn.functional.avg_pool2d(canvases_, 4)).shape == (6, 256)


# --- captions through the CLI --------------------------------------------------------------------------------------

def sheet_size(rows: int) -> tuple[int, int]:
    side = 2 * CANVAS
    return TEXT_WIDTH + 2 * (side + PADDING) + PADDING, 22 + rows * (side + PADDING) + PADDING


def test_sample_text_writes_stage_one_and_stage_two_side_by_side(trained_run, tmp_path, capsys):
    out = tmp_path / "three.png"
    three = "the digit three is at the bottom right"
    assert main(["sample", str(trained_run), "--text", three, "--out", str(out)]) == 0
    assert "Stage-I and Stage-II images of 1 caption side by side" in capsys.readouterr().out
    assert Image.open(out).size == sheet_size(1)
    texts = tmp_path / "captions.txt"
    texts.write_text("a 7 at the top left\n\n  \nlower right corner: two\n")
    assert main(["sample", str(trained_run), "--texts", str(texts), "-n", "2", "--out", str(tmp_path / "t.npz")]) == 0
    arrays = np.load(tmp_path / "t.npz")
    assert arrays["x"].shape == (4, 1, CANVAS, CANVAS) and arrays["stage1"].shape == (4, 1, 32, 32)
    assert list(arrays["captions"]) == ["a 7 at the top left"] * 2 + ["lower right corner: two"] * 2
    at_mean = tmp_path / "m.npz"
    assert main(["sample", str(trained_run), "--texts", str(texts), "-n", "2", "--at-mean", "--out", str(at_mean)]) == 0
    expected = run.open_run(trained_run).model.generate_from_text(
        ["a 7 at the top left"] * 2 + ["lower right corner: two"] * 2, torch.Generator().manual_seed(0), at_mean=True)
    assert np.array_equal(np.load(at_mean)["stage1"], to_uint8(expected[0]))
    assert not np.array_equal(np.load(at_mean)["stage1"], arrays["stage1"])


@pytest.mark.parametrize("text", ["a zebra is at the moon", "seven " * 20_000, "ｔｏｐ ｌｅｆｔ： ７",
                                  "七 在 左上 🙂", "!!", "\x00\x07 tab\tand newline\n"])
def test_any_text_with_a_word_gets_an_image(trained_run, tmp_path, text):
    out = tmp_path / "s.png"
    assert main(["sample", str(trained_run), "--text", text, "--out", str(out)]) == 0
    assert Image.open(out).size == sheet_size(1)


def test_texts_without_words_or_unreadable_are_one_line_errors(trained_run, tmp_path, capsys):
    run_dir = str(trained_run)
    assert "caption 0 ('') has no words" in one_line_error(capsys, ["sample", run_dir, "--text", "", "--out", "x.png"])
    assert "has no words" in one_line_error(capsys, ["sample", run_dir, "--text", " \t ", "--out", "x.png"])
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00a 7")
    assert "is not UTF-8 text" in one_line_error(capsys, ["sample", run_dir, "--texts", str(binary), "--out", "x.png"])
    blank = tmp_path / "blank.txt"
    blank.write_text("\n \n")
    assert "holds no captions" in one_line_error(capsys, ["sample", run_dir, "--texts", str(blank), "--out", "x.png"])
    assert "cannot read --texts" in one_line_error(capsys, ["sample", run_dir, "--texts", str(tmp_path / "none"),
                                                            "--out", "x.png"])
    assert "--label is for class-conditional" in one_line_error(capsys, ["sample", run_dir, "--text", "a 7 at the top "
                                                                         "left", "--label", "7", "--out", "x.png"])
    assert "--at-mean sets the conditions of captions" in one_line_error(capsys, ["sample", run_dir, "--at-mean",
                                                                                "--out", "x.png"])


def test_text_is_refused_by_models_that_do_not_read_it(tmp_path, capsys, tiny_config):
    run.train(tiny_config("dcgan", "train.max_steps=1"), tmp_path / "dcgan", progress_bar=False)
    err = one_line_error(capsys, ["sample", str(tmp_path / "dcgan"), "--text", "a 7", "--out", str(tmp_path / "x.png")])
    assert "dcgan does not draw from captions" in err and "stackgan" in err


def test_the_caption_sheet_writes_any_caption_it_is_given():
    captions = ["a 7 at the top left", "", "x" * 10_000, "\ud800 \x00 七 🙂", "word " * 5000]
    picture = caption_rows(captions, torch.rand(5, 1, 16, 16), torch.rand(5, 1, 64, 64))
    assert picture.size == sheet_size(5)


def test_latent_arithmetic_is_refused_in_one_line(trained_run, tmp_path, capsys):
    err = one_line_error(capsys, ["arithmetic", str(trained_run), "--out", str(tmp_path / "a.png")])
    assert "stackgan generates from a caption as well as z" in err


# --- genzoo eval of a stackgan run ---------------------------------------------------------------------------------

@pytest.mark.skipif(not (weights_dir() / "mnist-captions.pt").exists(), reason="the region checker is not shipped")
def test_eval_of_a_stackgan_run_is_caption_match_and_fd_in_the_checkers_features(trained_run, monkeypatch, capsys):
    from genzoo.evaluate import suite
    from genzoo.evaluate.caption_match import score_caption_match
    from genzoo.evaluate.frechet import frechet_distance

    data = tiny_captioned()
    monkeypatch.setattr(suite, "load_dataset", lambda name, cfg, data_dir=None: data)
    assert main(["eval", str(trained_run), "--seed", "3"]) == 0
    table = capsys.readouterr().out
    assert "caption match, Stage-II" in table and "FD (region checker), Stage-I" in table and "higher" in table
    result = json.loads((trained_run / "eval.json").read_text())
    metrics, floor = result["metrics"], result["floor"]
    # the same numbers by hand: the model's images of the 20 test captions, drawn with the seed, and the checker
    checker = load_region_checker()
    model = run.open_run(trained_run).model
    stage1, stage2 = model.generate_from_text(data.test.captions, torch.Generator().manual_seed(3))
    by_hand = score_caption_match(stage2, data.test.captions, checker)["caption_match"]
    assert metrics["caption_match"]["Stage-II"]["caption_match"] == round(by_hand, 4)
    assert metrics["fd"]["Stage-I"] == round(frechet_distance(checker.features(stage1),
                                                              checker.features(data.test.images)), 4)
    real = score_caption_match(data.test.images, data.test.captions, checker)["caption_match"]
    assert floor["caption_match"]["caption_match"] == round(real, 4) and floor["images"] == 20
    assert "region checker" in one_line_error(capsys, ["eval", str(trained_run), "--metrics", "kid"])
