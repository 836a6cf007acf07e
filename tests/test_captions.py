"""MNIST with captions, the caption encoder and the caption match score: known answers on tiny data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from genzoo.cli import main
from genzoo.data import Dataset, ImageSet, load_dataset
from genzoo.data.captions import (
    CANVAS,
    CELL,
    DIGIT,
    EMPTY,
    GRID,
    REGIONS,
    SPLIT_SIZES,
    caption_canvases,
    caption_words,
    parse_caption,
)
from genzoo.data.config import DataConfig
from genzoo.errors import GenzooError
from genzoo.evaluate.caption_match import caption_match, cells, load_region_checker, score_caption_match
from genzoo.evaluate.features import weights_dir
from genzoo.nn.joint_embedding import (
    TextEncoderConfig,
    load_text_encoder,
    same_content,
    save_text_encoder,
    train_text_encoder,
)
from genzoo.nn.text_encoder import CanvasEncoder, TextEncoder, Tokeniser, joint_embedding_loss

SHARED_DATA = Path(os.environ.get("GENZOO_TEST_DATA", Path(__file__).parents[2] / "shared" / "data"))
needs_mnist = pytest.mark.skipif(not (SHARED_DATA / "mnist").is_dir(), reason="no shared copy of MNIST on this machine")


def synthetic_digits(n: int = 40, seed: int = 0) -> ImageSet:
    """Random 28x28 'digits', each different from every other, with labels cycling through 0-9."""
    generator = torch.Generator().manual_seed(seed)
    return ImageSet(torch.rand(n, 1, DIGIT, DIGIT, generator=generator), torch.arange(n) % 10)


def canvases(n: int, seed: int = 0, digits: ImageSet | None = None) -> ImageSet:
    return caption_canvases(digits or synthetic_digits(), n, torch.Generator().manual_seed(seed))


def windows(canvas: torch.Tensor, region: int) -> torch.Tensor:
    """Every 28x28 window inside one cell of a (1, 64, 64) canvas, as (25, 28, 28)."""
    row, column = divmod(region, GRID)
    cell = canvas[0, row * CELL:(row + 1) * CELL, column * CELL:(column + 1) * CELL]
    return cell.unfold(0, DIGIT, 1).unfold(1, DIGIT, 1).reshape(-1, DIGIT, DIGIT)


# --- the canvases and their captions -------------------------------------------------------------------------

def test_the_same_seed_gives_the_same_canvases_and_captions():
    a, b, other = canvases(50, seed=3), canvases(50, seed=3), canvases(50, seed=4)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels) and a.captions == b.captions
    assert a.captions != other.captions and not torch.equal(a.images, other.images)


def test_canvases_hold_one_or_two_digits_in_distinct_cells_and_nothing_else():
    data = canvases(400)
    assert data.images.shape == (400, 1, CANVAS, CANVAS) and data.labels.shape == (400, GRID * GRID)
    digits = (data.labels != EMPTY).sum(dim=1)
    assert set(digits.tolist()) == {1, 2} and 0.4 < (digits == 2).double().mean() < 0.6
    for canvas, contents in zip(data.images, data.labels):
        for region, content in enumerate(contents.tolist()):
            row, column = divmod(region, GRID)
            cell = canvas[0, row * CELL:(row + 1) * CELL, column * CELL:(column + 1) * CELL]
            assert (cell.abs().sum() == 0) == (content == EMPTY)


def test_each_pasted_digit_is_a_source_digit_of_the_label_its_cell_has():
    digits = synthetic_digits()
    data = canvases(100, digits=digits)
    for canvas, contents in zip(data.images, data.labels):
        for region, content in enumerate(contents.tolist()):
            if content == EMPTY:
                continue
            equal = (windows(canvas, region)[:, None] == digits.images[None, :, 0]).flatten(2).all(dim=2)
            matched = equal.any(dim=0).nonzero().squeeze(1)
            assert len(matched) == 1 and digits.labels[matched[0]] == content


def test_every_caption_parses_back_to_the_digits_and_places_on_its_canvas():
    data = canvases(2000)
    assert len(set(data.captions)) > 500
    for caption, contents in zip(data.captions, data.labels.tolist()):
        assert parse_caption(caption) == {r: d for r, d in enumerate(contents) if d != EMPTY}, caption


def test_captions_vary_their_wording_from_a_small_closed_vocabulary():
    words = {w for caption in canvases(2000).captions for w in caption_words(caption)}
    assert {"digit", "top", "upper", "bottom", "lower", "left", "right", "corner", "seven", "7", "an", ";"} <= words
    assert len(words) < 50


def test_user_sentences_in_the_same_words_parse_and_others_are_one_line_errors():
    assert parse_caption("Seven at the TOP LEFT, and an 8 in the lower right corner.") == {0: 7, 3: 8}
    assert parse_caption("ｔｏｐ ｒｉｇｈｔ： ｔｗｏ") == {1: 2}   # full-width letters, as NFKC reads them
    for text, reason in [("", "empty"), ("   ", "empty"), ("a seven", "one digit and one place"),
                         ("a 7 and a 2 at the top left", "one digit and one place"),
                         ("a 12 at the top left", "one digit and one place"),
                         ("a 7 at the top left and a 2 at the upper left", "two different digits")]:
        with pytest.raises(GenzooError, match=reason) as err:
            parse_caption(text)
        assert "\n" not in str(err.value)
    assert parse_caption("a 7 at the top left and a seven at the upper left") == {0: 7}


def test_canvases_need_some_28x28_digits():
    with pytest.raises(GenzooError, match="1x28x28"):
        caption_canvases(ImageSet(torch.zeros(4, 1, 8, 8), torch.zeros(4, dtype=torch.int64)), 5,
                         torch.Generator())
    with pytest.raises(GenzooError, match="split is empty"):
        caption_canvases(ImageSet(torch.zeros(0, 1, 28, 28), torch.zeros(0, dtype=torch.int64)), 5,
                         torch.Generator())


@pytest.fixture
def few_canvases(monkeypatch):
    """mnist-captions with 40 training, 20 validation and 30 test canvases, so it loads in a second."""
    for split, n in {"train": 40, "validation": 20, "test": 30}.items():
        monkeypatch.setitem(SPLIT_SIZES, split, n)


@needs_mnist
def test_test_canvases_use_only_mnist_test_digits(few_canvases):
    data = load_dataset("mnist-captions", DataConfig(), data_dir=SHARED_DATA)
    mnist = load_dataset("mnist", DataConfig(), data_dir=SHARED_DATA)
    assert (len(data.train), len(data.validation), len(data.test)) == (40, 20, 30)
    assert data.classes[EMPTY] == "empty" and data.test.captions is not None

    def pixels(image: torch.Tensor) -> bytes:
        return (image * 255).round().to(torch.uint8).numpy().tobytes()

    where = {}   # each MNIST digit's pixels -> (split, label)
    for name in ("train", "validation", "test"):
        split = getattr(mnist, name)
        where.update({pixels(image): (name, label) for image, label in zip(split.images[:, 0], split.labels.tolist())})
    for name in ("train", "validation", "test"):
        split = getattr(data, name)
        for canvas, contents in zip(split.images, split.labels.tolist()):
            for region, content in enumerate(contents):
                if content != EMPTY:
                    found = {where[key] for key in map(pixels, windows(canvas, region)) if key in where}
                    assert found == {(name, content)}


@needs_mnist
def test_fixed_binarization_keeps_the_captions(few_canvases):
    data = load_dataset("mnist-captions", DataConfig(binarize="fixed"), data_dir=SHARED_DATA)
    assert set(data.train.images.unique().tolist()) == {0.0, 1.0} and len(data.train.captions) == 40


@needs_mnist
def test_captions_command_writes_pngs_and_captions(few_canvases, tmp_path, capsys):
    assert main(["captions", "--out", str(tmp_path / "c"), "-n", "3", "--data-dir", str(SHARED_DATA)]) == 0
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == [
        "00000.png", "00001.png", "00002.png", "captions.jsonl", "captions.txt"]
    records = [json.loads(line) for line in (tmp_path / "c" / "captions.jsonl").read_text().splitlines()]
    assert [r["caption"] for r in records] == (tmp_path / "c" / "captions.txt").read_text().splitlines()
    for record in records:
        assert parse_caption(record["caption"]) == {REGIONS.index(k): v for k, v in record["regions"].items()
                                                    if v is not None}
    assert main(["list"]) == 0 and "mnist-captions" in capsys.readouterr().out


# --- the text encoder --------------------------------------------------------------------------------------

def test_tokeniser_maps_unknown_words_and_characters_to_the_unknown_token():
    tokeniser = Tokeniser(["a", "at", "left", "seven", "top"], max_tokens=8)
    ids, lengths = tokeniser(["a seven at the top left", "ＳＥＶＥＮ 🙂 семь"])
    assert ids[0].tolist() == [2, 5, 3, 1, 6, 4] and lengths.tolist() == [6, 3]
    assert ids[1, :3].tolist() == [5, 1, 1] and ids[1, 3:].eq(0).all()


def test_tokeniser_cuts_long_text_and_rejects_empty_text_in_one_line():
    tokeniser = Tokeniser(["seven"], max_tokens=8)
    ids, lengths = tokeniser(["seven " * 100_000])
    assert ids.shape == (1, 8) and lengths.tolist() == [8]
    for bad, reason in [([""], "caption 0 .* has no words"), (["seven", " \n "], "caption 1 .* has no words"),
                        ([], "no captions"), ([7], "must be text, not int")]:
        with pytest.raises(GenzooError, match=reason) as err:
            tokeniser(bad)
        assert "\n" not in str(err.value)


def test_any_nonempty_text_gets_a_finite_embedding():
    encoder = TextEncoder(Tokeniser(["seven", "top", "left"], 16), word_dim=4, hidden=5, embedding_dim=6)
    out = encoder.embed(["seven top left", "xyzzy", "七 在 左上", "top " * 5000, "!!", "\ud800\x00"])
    assert out.shape == (6, 6) and out.isfinite().all()


def test_joint_embedding_loss_is_zero_for_separated_pairs_and_skips_same_content_negatives():
    v = t = 2 * torch.eye(3)
    different = torch.eye(3, dtype=torch.bool)
    assert joint_embedding_loss(v, t, different) == 0
    # swapped captions: each image's own caption scores 0 and another scores 4, on both sides: (1 + 4 - 0) * 2
    assert joint_embedding_loss(v, t[[1, 0, 2]], different) == pytest.approx((5 + 5 + 0) / 3 * 2)
    assert joint_embedding_loss(v, t[[1, 0, 2]], torch.ones(3, 3, dtype=torch.bool)) == 0


def test_a_few_joint_embedding_steps_score_matched_pairs_above_shuffled_ones():
    data = canvases(32)
    torch.manual_seed(0)
    encoder = TextEncoder(Tokeniser.from_captions(data.captions, 32), word_dim=8, hidden=16, embedding_dim=16)
    images = CanvasEncoder((1, CANVAS, CANVAS), 16, width=8)
    optimizer = torch.optim.Adam([*encoder.parameters(), *images.parameters()], lr=3e-3)
    same = same_content(data.labels)
    shuffled = torch.roll(torch.arange(32), 1)

    def losses() -> tuple[float, float]:
        with torch.no_grad():
            v, t = images(data.images), encoder.embed(data.captions)
            return (joint_embedding_loss(v, t, same).item(),
                    joint_embedding_loss(v, t[shuffled], same[:, shuffled]).item())

    before = losses()
    for _ in range(30):
        loss = joint_embedding_loss(images(data.images), encoder.embed(data.captions), same)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    matched, mismatched = losses()
    assert matched < before[0] and matched < mismatched


def tiny_dataset() -> Dataset:
    return Dataset("mnist-captions", canvases(48, seed=1), canvases(20, seed=2), canvases(20, seed=3),
                   classes=[str(d) for d in range(10)] + ["empty"], provenance={})


TINY_ENCODER = TextEncoderConfig(embedding_dim=8, word_dim=4, hidden=6, canvas_width=4, epochs=2, batch_size=16)


def test_train_text_encoder_is_deterministic_leaves_the_global_rng_alone_and_round_trips(tmp_path):
    state = torch.random.get_rng_state()
    encoder, report = train_text_encoder(tiny_dataset(), TINY_ENCODER, seed=5)
    assert torch.equal(torch.random.get_rng_state(), state)
    again, _ = train_text_encoder(tiny_dataset(), TINY_ENCODER, seed=5)
    texts = ["a 7 at the top left", "zebra at the moon"]
    with torch.no_grad():
        assert torch.equal(encoder.embed(texts), again.embed(texts))
    assert report["steps"] == 6 and report["validation"]["pairs"] == 20 and report["vocabulary_size"] > 20
    save_text_encoder(tmp_path / "text.pt", encoder, report)
    loaded, loaded_report = load_text_encoder(tmp_path / "text.pt")
    with torch.no_grad():
        assert torch.equal(loaded.embed(texts), encoder.embed(texts))
    assert loaded_report == report


def test_the_text_encoder_needs_captions():
    digits = synthetic_digits()
    uncaptioned = Dataset("mnist", digits, digits, digits, classes=[str(d) for d in range(10)], provenance={})
    with pytest.raises(GenzooError, match="has no captions: use --data mnist-captions"):
        train_text_encoder(uncaptioned, TINY_ENCODER, seed=0)


@needs_mnist
def test_text_encoder_command_writes_an_encoder(few_canvases, tmp_path, capsys):
    out = tmp_path / "text.pt"
    assert main(["text-encoder", "--out", str(out), "--quiet", "--data-dir", str(SHARED_DATA),
                 *[a for pair in ("epochs=1", "hidden=4", "word_dim=4", "embedding_dim=4", "canvas_width=4")
                   for a in ("--set", pair)]]) == 0
    assert "text encoder written to" in capsys.readouterr().out
    encoder, report = load_text_encoder(out)
    assert report["command"].startswith("genzoo text-encoder")
    assert encoder.embed(["a 3 in the lower left"]).shape == (1, 4)


# --- the caption match score -------------------------------------------------------------------------------

def test_cells_come_in_row_major_order():
    canvas = torch.zeros(1, 1, CANVAS, CANVAS)
    for region in range(GRID * GRID):
        row, column = divmod(region, GRID)
        canvas[0, 0, row * CELL:(row + 1) * CELL, column * CELL:(column + 1) * CELL] = region
    assert cells(canvas).flatten(1).mean(dim=1).tolist() == [0, 1, 2, 3]


def test_match_is_one_for_canvases_with_their_own_captions_and_lower_with_others():
    data = canvases(300)
    own = caption_match(data.labels, data.captions)
    assert own == {"caption_match": 1.0, "mentioned_cells": 1.0, "match_and_rest_empty": 1.0, "images": 300}
    other = caption_match(data.labels, data.captions[1:] + data.captions[:1])
    assert other["caption_match"] < 0.1 and other["match_and_rest_empty"] <= other["caption_match"]
    wrong_digit = data.labels.clone()
    wrong_digit[0][wrong_digit[0] != EMPTY] = (wrong_digit[0][wrong_digit[0] != EMPTY] + 1) % 10
    assert caption_match(wrong_digit, data.captions)["caption_match"] == pytest.approx(299 / 300)
    extra = data.labels.clone()
    extra[0][extra[0] == EMPTY] = 3   # a digit where the caption says nothing: still a match, but not 'rest empty'
    assert caption_match(extra, data.captions)["caption_match"] == 1.0
    assert caption_match(extra, data.captions)["match_and_rest_empty"] == pytest.approx(299 / 300)
    with pytest.raises(GenzooError, match="300 images but 2 captions"):
        caption_match(data.labels, data.captions[:2])


@needs_mnist
@pytest.mark.skipif(not (weights_dir() / "mnist-captions.pt").exists(), reason="the region checker is not shipped")
def test_shipped_checker_reads_real_test_canvases(few_canvases):
    test = load_dataset("mnist-captions", DataConfig(), data_dir=SHARED_DATA).test
    checker = load_region_checker()
    assert (checker.contents(test.images) == test.labels).double().mean() > 0.97
    assert score_caption_match(test.images, test.captions, checker)["caption_match"] > 0.9
    assert score_caption_match(test.images, test.captions[1:] + test.captions[:1], checker)["caption_match"] < 0.3
    half = torch.nn.functional.avg_pool2d(test.images, 2)   # a Stage-I sized image is read after resizing
    assert checker.contents(half).shape == (30, 4)
    with pytest.raises(GenzooError, match="grey square images"):
        checker.contents(torch.zeros(2, 3, 64, 64))
