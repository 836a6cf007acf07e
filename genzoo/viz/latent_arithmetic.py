"""Vector arithmetic on a generator's latent space (Radford et al. 2015, Section 6.3, Figure 7): average the z of a few
chosen samples per concept, add and subtract the averages, and decode the result and its neighbours.

Samples are chosen by number from a sheet of candidates drawn with a seed, the same draws as ``genzoo sample``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, cast

import torch
from PIL import Image, ImageDraw
from torch import Tensor

from genzoo.data.preprocess import to_unit
from genzoo.devices import uniform
from genzoo.errors import GenzooError
from genzoo.grid import grid_image
from genzoo.models.base import GenerativeModel
from genzoo.registry import names

JITTER = 0.25     # the neighbours of the result add uniform noise of scale +-0.25 to its vector (Figure 7)
NEIGHBOURS = 8    # Figure 7 shows the result at the centre of a 3x3 block
CELL_PIXELS = 64  # images are scaled up to about this size in the pictures
MARGIN = 16       # room for a sign or a heading, in pixels


class LatentDecoder(Protocol):
    """What latent arithmetic needs of a model: latents z drawn with a generator, and z decoded to images."""

    def noise(self, n: int, generator: torch.Generator | None = None) -> Tensor: ...

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor: ...


@dataclass
class Arithmetic:
    """What the arithmetic produced, images in [0, 1]: each group's chosen samples, each group's mean z decoded,
    the signed sum of the means decoded, and NEIGHBOURS decodings of that sum plus small uniform noise."""

    groups: list[tuple[int, list[int]]]
    exemplars: list[Tensor]
    means: Tensor
    result: Tensor
    neighbours: Tensor


def decodes_latent_alone(cls: type[GenerativeModel]) -> bool:
    """Whether a model class decodes a latent vector z (it has ``noise`` and ``generate``) with no label or caption."""
    return (callable(getattr(cls, "noise", None)) and callable(getattr(cls, "generate", None))
            and not cls.conditional and not cls.text_conditioned)


def require_latent(model: GenerativeModel) -> None:
    """The one-line error for a model that decodes no latent vector z, or needs labels to decode one."""
    if not (callable(getattr(model, "noise", None)) and callable(getattr(model, "generate", None))):
        raise GenzooError(f"{model.name} has no latent vector z to do arithmetic on: use a run of a model with one "
                          f"({names(decodes_latent_alone)})")
    if model.conditional or getattr(model, "text_conditioned", False):
        raise GenzooError(f"{model.name} generates from a {'label' if model.conditional else 'caption'} as well as z: "
                          f"latent arithmetic needs an unconditional model ({names(decodes_latent_alone)})")


def parse_indices(text: str) -> list[int]:
    """A group written as comma-separated sample numbers, '3,5,9', as a list."""
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() for part in parts):
        raise GenzooError(f"group {text!r} is not a list of sample numbers: write them separated by commas, "
                          "e.g. --plus 3,5,9")
    return [int(part) for part in parts]


def expression(groups: list[tuple[int, list[int]]]) -> str:
    """The arithmetic in words, e.g. 'mean(3,5,9) - mean(4,8,12) + mean(1,2,7)'."""
    terms = [("-" if sign < 0 else "+", f"mean({','.join(map(str, indices))})") for sign, indices in groups]
    text = " ".join(f"{op} {term}" for op, term in terms)
    return text.removeprefix("+ ")


@torch.no_grad()
def latent_arithmetic(model: GenerativeModel, groups: list[tuple[int, list[int]]], seed: int,
                      candidates: int) -> Arithmetic:
    """Draw ``candidates`` latents with ``seed`` as ``genzoo sample`` does, average each group's (sign, indices),
    add the averages with their signs (+1 or -1) and decode, as Radford et al. 2015 do with three samples a concept."""
    require_latent(model)
    decoder = cast(LatentDecoder, model)
    if not groups:
        raise GenzooError("no groups to combine: give at least one, e.g. --plus 3,5,9")
    for _, indices in groups:
        if not indices:
            raise GenzooError("a group names no sample: give sample numbers such as --plus 3,5,9")
        outside = [i for i in indices if not 0 <= i < candidates]
        if outside:
            raise GenzooError(f"sample {outside[0]} is out of range: the {candidates} candidates are numbered 0 to "
                              f"{candidates - 1} (raise --candidates, keeping the same --seed)")
    generator = torch.Generator().manual_seed(seed)
    z = decoder.noise(candidates, generator)
    means = torch.stack([z[indices].mean(0) for _, indices in groups])
    signs = torch.tensor([float(sign) for sign, _ in groups], dtype=z.dtype, device=z.device)
    combined = (signs[:, None] * means).sum(0, keepdim=True)
    jitter = (uniform((NEIGHBOURS, z.shape[1]), z.device, generator, z.dtype) * 2 - 1) * JITTER

    def decode(latents: Tensor) -> Tensor:
        return to_unit(decoder.generate(latents))

    return Arithmetic(groups, [decode(z[indices]) for _, indices in groups], decode(means), decode(combined),
                      decode(combined + jitter))


def scale_for(images: Tensor) -> int:
    """The whole-number scale that brings an image's side to about CELL_PIXELS."""
    return max(1, round(CELL_PIXELS / images.shape[-1]))


def candidate_sheet(model: GenerativeModel, candidates: int, seed: int) -> Image.Image:
    """The samples ``genzoo sample -n candidates --seed seed`` draws, in a grid, each numbered in its corner."""
    require_latent(model)
    images = model.sample(candidates, torch.Generator().manual_seed(seed))
    scale, padding = scale_for(images), 2
    columns = math.ceil(math.sqrt(candidates))
    sheet = grid_image(images, columns, padding=padding, scale=scale).convert("RGB")
    draw = ImageDraw.Draw(sheet)
    cell = (images.shape[-1] + padding) * scale
    for i in range(candidates):
        row, column = divmod(i, columns)
        draw.text((column * cell + padding * scale + 1, row * cell + padding * scale), str(i), fill=(255, 40, 40))
    return sheet


def draw_symbol(draw: ImageDraw.ImageDraw, symbol: str, x: int, y: int, half: int = 5) -> None:
    """'+', '-' or '=' as strokes centred on (x, y): legible at any size, whatever fonts Pillow has."""
    strokes = {"+": [(-half, 0, half, 0), (0, -half, 0, half)], "-": [(-half, 0, half, 0)],
               "=": [(-half, -3, half, -3), (-half, 3, half, 3)]}.get(symbol, [])
    for x0, y0, x1, y1 in strokes:
        draw.line((x + x0, y + y0, x + x1, y + y1), fill="black", width=2)


def arithmetic_figure(arithmetic: Arithmetic) -> Image.Image:
    """A row per group: its sign, its samples and, after a gap, their mean decoded; then '=' and the result at the
    centre of its 3x3 block of neighbours, as in Figure 7."""
    scale = scale_for(arithmetic.result)
    samples = [grid_image(images, len(images), scale=scale) for images in arithmetic.exemplars]
    means = [grid_image(mean[None], scale=scale) for mean in arithmetic.means]
    centred = torch.cat([arithmetic.neighbours[:NEIGHBOURS // 2], arithmetic.result,
                         arithmetic.neighbours[NEIGHBOURS // 2:]])
    result = grid_image(centred, 3, scale=scale)
    row = means[0].height
    mean_left = MARGIN + max(picture.width for picture in samples) + MARGIN
    figure = Image.new("RGB", (max(mean_left + means[0].width, MARGIN + result.width),
                               MARGIN + len(means) * row + MARGIN + result.height), "white")
    draw = ImageDraw.Draw(figure)
    draw.text((mean_left, 2), "mean", fill="black")
    for i, ((sign, _), picture, mean) in enumerate(zip(arithmetic.groups, samples, means)):
        top = MARGIN + i * row
        draw_symbol(draw, "-" if sign < 0 else "+" if i else "", MARGIN // 2, top + row // 2)
        figure.paste(picture, (MARGIN, top))
        figure.paste(mean, (mean_left, top))
    top = MARGIN + len(means) * row + MARGIN
    draw_symbol(draw, "=", MARGIN // 2, top + result.height // 2)
    figure.paste(result, (MARGIN, top))
    return figure


BOLDNESS_GROUP = 3   # samples averaged for each end of the boldness direction, as Radford et al. average three


def boldness_groups(model: GenerativeModel, candidates: int, seed: int) -> list[tuple[int, list[int]]]:
    """Groups that need no person to choose them: the candidate of median ink, plus the mean z of the
    BOLDNESS_GROUP boldest, minus that of the faintest (ink: mean brightness): the sample should come back bolder."""
    require_latent(model)
    ink = model.sample(candidates, torch.Generator().manual_seed(seed)).mean((1, 2, 3))
    order = ink.argsort().tolist()
    return [(1, [order[len(order) // 2]]), (1, order[-BOLDNESS_GROUP:]), (-1, order[:BOLDNESS_GROUP])]
