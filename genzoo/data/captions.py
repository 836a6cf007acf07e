"""MNIST with captions: canvases of real digits at named places, after Mansimov et al. 2016.

Mansimov, Parisotto, Ba & Salakhutdinov, "Generating Images from Captions with Attention" (ICLR 2016),
place MNIST digits on a 60x60 canvas and caption where they are. Here a 64x64 canvas (a Stage-II size
that halves exactly to 32x32 and 16x16 for Stage-I) is a 2x2 grid of 32x32 cells; one or two digits
sit in distinct cells with up to four pixels of jitter, never crossing into another cell, so each cell
holds exactly one known thing: a digit or nothing. The caption names every digit and its cell in one
of a few fixed templates with varied words ("the digit seven is at the top left and the digit two is at
the bottom right", "top left: 7; lower right corner: two"). The vocabulary is small and closed, and
:func:`parse_caption` reads any caption of this grammar, or a user's sentence in the same words, back
to the digits and places.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from genzoo.data.images import ImageSet
from genzoo.errors import GenzooError

CANVAS = 64
GRID = 2
CELL = CANVAS // GRID
DIGIT = 28
JITTER = CELL - DIGIT          # a digit's top-left corner moves 0..JITTER pixels inside its cell
MAX_DIGITS = 2
EMPTY = 10                     # the content of a cell without a digit
REGIONS = ("top left", "top right", "bottom left", "bottom right")   # cells in row-major order
REGION_CLASSES = [str(d) for d in range(10)] + ["empty"]
SPLIT_SIZES = {"train": 20_000, "validation": 2_000, "test": 2_000}

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
VERTICAL = {"top": 0, "upper": 0, "bottom": 1, "lower": 1}
HORIZONTAL = {"left": 0, "right": 1}
VERTICAL_WORDS = (("top", "upper"), ("bottom", "lower"))   # the two ways to say each row
CLAUSE_BREAKS = {"and", ";", ","}

# (one digit's clause, what joins two clauses); {a} is "a" or "an", {name} a number word or a numeral
TEMPLATES = (
    ("the digit {word} is at the {place}", " and "),
    ("{a} {name} at the {place}", " and "),
    ("{place}: {name}", "; "),
    ("there is {a} {name} in the {place}", " and "),
    ("the {place} holds the number {word}", " and "),
    ("{name} in the {place}", ", "),
)


def caption_canvases(digits: ImageSet, n: int, generator: torch.Generator) -> ImageSet:
    """``n`` captioned canvases built from ``digits`` (28x28, labels 0-9), drawn with ``generator`` alone.

    Labels are (n, 4) int64: the digit in each cell of :data:`REGIONS`, :data:`EMPTY` where there is none.
    """
    if tuple(digits.images.shape[1:]) != (1, DIGIT, DIGIT):
        raise GenzooError(f"captioned canvases are built from 1x{DIGIT}x{DIGIT} digits, not "
                          f"{'x'.join(map(str, digits.images.shape[1:]))}")
    if len(digits) == 0:
        raise GenzooError("no digits to place on the canvases: an MNIST split is empty "
                          "(is data.validation_fraction 0?)")
    count = 1 + (torch.rand(n, generator=generator) < 0.5).long()
    regions = torch.rand(n, GRID * GRID, generator=generator).argsort(dim=1)[:, :MAX_DIGITS]
    sources = torch.randint(len(digits), (n, MAX_DIGITS), generator=generator)
    offsets = torch.randint(0, JITTER + 1, (n, MAX_DIGITS, 2), generator=generator)
    wording = torch.randint(0, 2, (n, MAX_DIGITS, 3), generator=generator)
    templates = torch.randint(0, len(TEMPLATES), (n,), generator=generator)
    present = torch.arange(MAX_DIGITS) < count[:, None]
    regions, sources = regions.where(present, -1), sources.where(present, -1)
    images = paste_digits(digits.images, sources, regions, offsets)
    placed = digits.labels[sources.clamp(min=0)].where(present, -1)
    contents = torch.full((n, GRID * GRID), EMPTY, dtype=torch.int64)
    for slot in range(MAX_DIGITS):
        rows = present[:, slot].nonzero().squeeze(1)
        contents[rows, regions[rows, slot]] = placed[rows, slot]
    captions = [write_caption(r, d, w, t) for r, d, w, t in
                zip(regions.tolist(), placed.tolist(), wording.tolist(), templates.tolist())]
    return ImageSet(images, contents, captions)


def random_captions(n: int, generator: torch.Generator | None = None) -> list[str]:
    """``n`` captions of canvases never drawn: one or two digits (0-9 uniform) in distinct cells, worded as in
    :func:`caption_canvases`, for sampling a text-to-image model with no dataset at hand."""
    count = 1 + (torch.rand(n, generator=generator) < 0.5).long()
    regions = torch.rand(n, GRID * GRID, generator=generator).argsort(dim=1)[:, :MAX_DIGITS]
    digits = torch.randint(10, (n, MAX_DIGITS), generator=generator)
    wording = torch.randint(0, 2, (n, MAX_DIGITS, 3), generator=generator)
    templates = torch.randint(0, len(TEMPLATES), (n,), generator=generator)
    regions = regions.where(torch.arange(MAX_DIGITS) < count[:, None], -1)
    return [write_caption(r, d, w, t) for r, d, w, t in
            zip(regions.tolist(), digits.tolist(), wording.tolist(), templates.tolist())]


def paste_digits(digits: Tensor, sources: Tensor, regions: Tensor, offsets: Tensor) -> Tensor:
    """Canvases (n, 1, 64, 64) with ``digits[sources[i, k]]`` pasted into cell ``regions[i, k]`` at
    ``offsets[i, k]`` (dy, dx) from the cell's corner; slots with region -1 are left out. All canvases
    are pasted at once per slot by advanced indexing: no Python loop over images."""
    canvas = torch.zeros(len(sources), CANVAS, CANVAS)
    span = torch.arange(DIGIT)
    for slot in range(sources.shape[1]):
        rows = (regions[:, slot] >= 0).nonzero().squeeze(1)
        cell = regions[rows, slot]
        top = (cell // GRID) * CELL + offsets[rows, slot, 0]
        left = (cell % GRID) * CELL + offsets[rows, slot, 1]
        ys, xs = top[:, None] + span, left[:, None] + span
        canvas[rows[:, None, None], ys[:, :, None], xs[:, None, :]] = digits[sources[rows, slot], 0]
    return canvas.unsqueeze(1)


def write_caption(regions: list[int], digits: list[int], wording: list[list[int]], template: int) -> str:
    """The caption of one canvas: a clause per digit (region -1 ends the list) joined by the template's joiner.

    ``wording[k]`` picks, for clause k, "top"/"upper" (or "bottom"/"lower"), whether "corner" follows,
    and a number word or a numeral where the template allows either.
    """
    clause, joiner = TEMPLATES[template]
    parts = []
    for region, digit, (vertical, corner, numeral) in zip(regions, digits, wording):
        if region < 0:
            break
        row, column = divmod(region, GRID)
        place = f"{VERTICAL_WORDS[row][vertical]} {('left', 'right')[column]}" + (" corner" if corner else "")
        word = NUMBER_WORDS[digit]
        name = str(digit) if numeral else word
        article = "an" if digit == 8 else "a"   # "an eight", "an 8"
        parts.append(clause.format(word=word, name=name, a=article, place=place))
    return joiner.join(parts)


def caption_words(text: str) -> list[str]:
    """The words of a caption: NFKC-normalised and case-folded runs of letters, runs of digits, and single
    punctuation marks; every caption reader (the parser, the text encoder's tokeniser) splits text this way."""
    if not isinstance(text, str):
        raise GenzooError(f"a caption must be text, not {type(text).__name__}")
    return re.findall(r"[^\W\d_]+|\d+|[^\w\s]", unicodedata.normalize("NFKC", text).casefold())


def parse_caption(text: str) -> dict[int, int]:
    """The digit in each cell ``text`` mentions, as {region index: digit}, for captions of this grammar and
    sentences in the same words. Clauses are split at 'and', ';' and ','; each names one digit and one cell."""
    mentioned: dict[int, int] = {}
    clause: list[str] = []
    for word in [*caption_words(text), ";"]:
        if word not in CLAUSE_BREAKS:
            clause.append(word)
            continue
        if not clause:
            continue
        digits = [NUMBER_WORDS.index(w) if w in NUMBER_WORDS else int(w) for w in clause
                  if w in NUMBER_WORDS or (w.isdigit() and len(w) == 1)]
        rows = [VERTICAL[w] for w in clause if w in VERTICAL]
        columns = [HORIZONTAL[w] for w in clause if w in HORIZONTAL]
        if len(digits) != 1 or len(rows) != 1 or len(columns) != 1:
            raise GenzooError(f"cannot read the caption {text!r}: each part between 'and', ';' or ',' must name "
                              "one digit and one place, as in 'a 7 at the top left and a two at the bottom right'")
        region = rows[0] * GRID + columns[0]
        if mentioned.get(region, digits[0]) != digits[0]:
            raise GenzooError(f"the caption {text!r} puts two different digits at the {REGIONS[region]}")
        mentioned[region] = digits[0]
        clause = []
    if not mentioned:
        raise GenzooError("the caption is empty: describe the digits and where they are, e.g. 'a 7 at the top left'")
    return mentioned


def write_captioned_images(images: ImageSet, out: Path, n: int | None = None) -> int:
    """The first ``n`` canvases (all by default) as ``out/NNNNN.png``, with ``out/captions.txt`` (a caption a
    line, in file order) and ``out/captions.jsonl`` (file, caption, and each region's digit or null where it
    is empty); returns how many were written."""
    if images.captions is None:
        raise GenzooError("these images have no captions: write the mnist-captions dataset")
    n = len(images) if n is None else min(n, len(images))
    out = Path(out)
    pixels = (images.images[:n, 0] * 255).round().to(torch.uint8).numpy()
    records = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for i, (image, caption, contents) in enumerate(zip(pixels, images.captions, images.labels[:n].tolist())):
            name = f"{i:05d}.png"
            Image.fromarray(np.ascontiguousarray(image)).save(out / name)
            where = {region: (None if c == EMPTY else c) for region, c in zip(REGIONS, contents)}
            records.append(json.dumps({"file": name, "caption": caption, "regions": where}))
        (out / "captions.txt").write_text("".join(f"{c}\n" for c in images.captions[:n]))
        (out / "captions.jsonl").write_text("".join(f"{r}\n" for r in records))
    except OSError as err:
        raise GenzooError(f"cannot write to {out}: {err.strerror}") from None
    return n
