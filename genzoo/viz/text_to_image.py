"""Text-to-image samples as one picture: a row per caption, the caption written beside its Stage-I image (enlarged to
Stage-II's side, pixels kept square) and its Stage-II image, as the lecture's StackGAN slide shows them."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont

from genzoo.grid import to_uint8

TEXT_WIDTH = 240       # pixels of the caption column
WRAP = 42              # characters per line of a caption
LINES = 5              # lines of a caption shown; longer ones end in an ellipsis
PADDING = 6
HEADER = 22


def shown(text: str) -> str:
    """A caption as the picture writes it: characters that cannot be printed (controls, lone surrogates) as '?',
    wrapped to WRAP characters and cut to LINES lines."""
    printable = "".join(c if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF else "?"
                        for c in text[:2 * WRAP * LINES])   # longer than LINES lines whatever its words
    return "\n".join(textwrap.wrap(printable, WRAP, max_lines=LINES, placeholder=" ...") or ["(no words)"])


def caption_rows(captions: Sequence[str], stage1: torch.Tensor, stage2: torch.Tensor, scale: int = 2) -> Image.Image:
    """The picture of ``captions`` with their Stage-I images (N, 1, s, s) and Stage-II images (N, 1, S, S) in [0, 1],
    each image drawn ``scale`` times its size."""
    side = stage2.shape[-1] * scale
    enlarged = F.interpolate(stage1, size=(side, side), mode="nearest")
    final = F.interpolate(stage2, size=(side, side), mode="nearest")
    width = TEXT_WIDTH + 2 * (side + PADDING) + PADDING
    picture = Image.new("L", (width, HEADER + len(captions) * (side + PADDING) + PADDING), 255)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default()
    columns = (PADDING, TEXT_WIDTH, TEXT_WIDTH + side + PADDING)
    titles = ("caption", f"Stage-I ({stage1.shape[-1]}x{stage1.shape[-1]})",
              f"Stage-II ({stage2.shape[-1]}x{stage2.shape[-1]})")
    for left, title in zip(columns, titles):
        draw.text((left, 4), title, fill=0, font=font)
    for i, caption in enumerate(captions):
        top = HEADER + i * (side + PADDING)
        draw.multiline_text((PADDING, top + 2), shown(caption), fill=0, font=font)
        for left, images in zip(columns[1:], (enlarged, final)):
            picture.paste(Image.fromarray(to_uint8(images[i])[0]), (left, top))
    return picture
