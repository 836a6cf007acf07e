"""Sample grids as PNG images, from tensors in [0, 1], with PIL and NumPy only."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from genzoo.outputs import write_atomically


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) floats in [0, 1] to uint8 of the same shape, rounding to the nearest level."""
    return (images.detach().clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()


def grid_image(images: torch.Tensor, columns: int | None = None, padding: int = 2, scale: int = 1) -> Image.Image:
    """Tile images (N, C, H, W) in [0, 1] into one picture, ``columns`` wide (square by default)."""
    pixels = to_uint8(images)
    n, c, h, w = pixels.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    canvas = np.full((rows * (h + padding) + padding, columns * (w + padding) + padding, c), 255, np.uint8)
    for i in range(n):
        r, col = divmod(i, columns)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        canvas[top:top + h, left:left + w] = pixels[i].transpose(1, 2, 0)
    picture = Image.fromarray(canvas[:, :, 0] if c == 1 else canvas)
    if scale <= 1:
        return picture
    return picture.resize((picture.width * scale, picture.height * scale), Image.Resampling.NEAREST)


def save_grid(images: torch.Tensor, path: Path, columns: int | None = None, scale: int = 1) -> None:
    """Write a grid PNG atomically, so a reader never sees half a picture."""
    picture = grid_image(images, columns, scale=scale)
    write_atomically(path, lambda f: picture.save(f, format="PNG"))


def png_bytes(images: torch.Tensor, columns: int | None = None, scale: int = 1) -> bytes:
    buffer = io.BytesIO()
    grid_image(images, columns, scale=scale).save(buffer, format="PNG")
    return buffer.getvalue()
