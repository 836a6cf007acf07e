"""A folder of PNG and JPEG images read into one array, with subfolder names as classes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from genzoo.errors import GenzooError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def image_files(root: Path) -> list[Path]:
    """Every PNG or JPEG under ``root``, recursively and sorted, skipping hidden files and folders."""
    return sorted(path for path in root.rglob("*")
                  if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()
                  and not any(part.startswith(".") for part in path.relative_to(root).parts))


def read_image_folder(root: str | Path, size: int, channels: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Images under ``root`` as uint8 (N, channels, size, size), their labels, and the class names.

    When every image lies in a subfolder, the top-level subfolder names (sorted) are the classes;
    otherwise all images form one class named after ``root``. Images are converted to grey ('L') or
    RGB and resized to a square with Lanczos filtering, without keeping their aspect ratio.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise GenzooError(f"image folder {root} does not exist: check the path after 'folder:'")
    files = image_files(root)
    if not files:
        raise GenzooError(f"image folder {root} holds no PNG or JPEG images: put images in it or in "
                          "one subfolder per class")
    groups = [path.relative_to(root).parts for path in files]
    if all(len(parts) > 1 for parts in groups):
        classes = sorted({parts[0] for parts in groups})
        label_of = {name: label for label, name in enumerate(classes)}
        labels = np.array([label_of[parts[0]] for parts in groups], dtype=np.int64)
    else:
        classes = [root.resolve().name or str(root)]
        labels = np.zeros(len(files), dtype=np.int64)
    mode = "L" if channels == 1 else "RGB"
    pixels = np.empty((len(files), size, size, channels), dtype=np.uint8)
    for i, path in enumerate(files):
        pixels[i] = _read_image(path, mode, size).reshape(size, size, channels)
    return pixels.transpose(0, 3, 1, 2), labels, classes


def _read_image(path: Path, mode: str, size: int) -> np.ndarray:
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert(mode).resize((size, size), Image.Resampling.LANCZOS))
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise GenzooError(f"cannot read image {path} ({err}): fix or remove it") from None
