"""The datasets genzoo knows by name, loaded into seeded train, validation and test splits."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch

from genzoo.data import sources
from genzoo.data.captions import REGION_CLASSES, SPLIT_SIZES, caption_canvases
from genzoo.data.config import DataConfig
from genzoo.data.folder import read_image_folder
from genzoo.data.images import Dataset, ImageSet
from genzoo.data.preprocess import binarize
from genzoo.errors import GenzooError

DATASETS = {
    "mnist": "MNIST handwritten digits (LeCun et al. 1998): 28x28 grey, 60,000 train + 10,000 test, 10 classes",
    "fashion-mnist": "Fashion-MNIST clothing (Xiao, Rasul & Vollgraf 2017): 28x28 grey, 60,000 train "
                     "+ 10,000 test, 10 classes",
    "digits": "scikit-learn's handwritten digits (UCI, Alpaydin & Kaynak 1998): 8x8 grey, 1,797 images, "
              "10 classes, no download",
    "mnist-captions": "real MNIST digits placed on 64x64 canvases, one or two in a 2x2 grid, each canvas with an "
                      "English caption of which digit is where (after Mansimov et al. 2016): 20,000 train + "
                      "2,000 validation + 2,000 test, test digits from MNIST's test split only",
    "folder:PATH": "your PNG/JPEG images under PATH, one class per subfolder, resized to data.image_size",
}

FOLDER_PREFIX = "folder:"
CAPTIONED = "mnist-captions"
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
DIGIT_CLASSES = [str(d) for d in range(10)]

# independent random streams drawn from one seed
SPLIT_STREAM, TRAIN_STREAM, VALIDATION_STREAM, TEST_STREAM, *CANVAS_STREAMS = range(7)


def available_locally(name: str, data_dir: str | Path | None = None) -> bool:
    """Whether ``name`` loads without a download: its files are in a search folder (unchecked),
    it ships with scikit-learn (digits), or its folder exists (folder:PATH)."""
    if name in sources.CHECKSUMS:
        return sources.find_local(name, data_dir) is not None
    if name == CAPTIONED:
        return available_locally("mnist", data_dir)
    if name == "digits":
        return True
    if name.startswith(FOLDER_PREFIX):
        return Path(name[len(FOLDER_PREFIX):]).expanduser().is_dir()
    raise _unknown(name)


def load_dataset(name: str, cfg: DataConfig, data_dir: str | Path | None = None) -> Dataset:
    """Dataset ``name`` split by ``cfg.seed``, binarized once when ``cfg.binarize`` is "fixed".

    MNIST-style datasets hold out ``cfg.validation_fraction`` of their training set for validation;
    the others first hold out ``cfg.test_fraction`` for test, then the validation share of the rest.
    mnist-captions composes each split's canvases from the same split of MNIST, drawn with ``cfg.seed``.
    """
    split = _generator(cfg.seed, SPLIT_STREAM)
    if name in sources.CHECKSUMS:
        files, provenance = sources.read_dataset_files(name, data_dir)
        sets = _idx_splits(files, cfg, split)
        classes = FASHION_CLASSES if name == "fashion-mnist" else DIGIT_CLASSES
    elif name == "digits":
        from sklearn.datasets import load_digits  # here, as scikit-learn is slow to import
        digits = load_digits()
        pixels, labels = torch.from_numpy(digits.images).unsqueeze(1), torch.from_numpy(digits.target)
        sets = _three_splits(pixels, labels.long(), cfg, split, 16)
        classes, provenance = DIGIT_CLASSES, {"source": "scikit-learn load_digits"}
    elif name == CAPTIONED:
        digits = load_dataset("mnist", dataclasses.replace(cfg, binarize="none"), data_dir)
        sets = [caption_canvases(part, SPLIT_SIZES[which], _generator(cfg.seed, stream)) for part, which, stream
                in zip((digits.train, digits.validation, digits.test), SPLIT_SIZES, CANVAS_STREAMS)]
        classes, provenance = REGION_CLASSES, {**digits.provenance, "canvases": dict(SPLIT_SIZES), "seed": cfg.seed}
    elif name.startswith(FOLDER_PREFIX):
        root = Path(name[len(FOLDER_PREFIX):]).expanduser()
        folder_pixels, folder_labels, classes = read_image_folder(root, cfg.image_size, cfg.channels)
        sets = _three_splits(torch.from_numpy(folder_pixels), torch.from_numpy(folder_labels), cfg, split, 255)
        provenance = {"directory": str(root.resolve()), "images": len(folder_labels)}
    else:
        raise _unknown(name)
    if cfg.binarize == "fixed":
        streams = (TRAIN_STREAM, VALIDATION_STREAM, TEST_STREAM)
        sets = [dataclasses.replace(s, images=binarize(s.images, _generator(cfg.seed, k)))
                for s, k in zip(sets, streams)]
    train, validation, test = sets
    return Dataset(name, train, validation, test, classes=classes, provenance=provenance)


def _generator(seed: int, stream: int) -> torch.Generator:
    """A generator for one purpose, seeded from ``seed`` via NumPy's SeedSequence so streams don't overlap."""
    state = np.random.SeedSequence([seed, stream]).generate_state(1)[0]
    return torch.Generator().manual_seed(int(state))


def _hold_out(n: int, fraction: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Sorted indices (kept, held out) of a random ``round(fraction * n)`` of ``range(n)``."""
    order = torch.randperm(n, generator=generator)
    held = round(fraction * n)
    return order[held:].sort().values, order[:held].sort().values


def _idx_splits(files: dict[str, np.ndarray], cfg: DataConfig, generator: torch.Generator) -> list[ImageSet]:
    """MNIST-style files as train and validation (held out of the training file) and test sets."""
    def pixels_and_labels(prefix: str) -> tuple[torch.Tensor, torch.Tensor]:
        # copied: the arrays are read-only views of the decompressed files
        return (torch.from_numpy(files[f"{prefix}-images-idx3-ubyte"].copy()).unsqueeze(1),
                torch.from_numpy(files[f"{prefix}-labels-idx1-ubyte"].astype(np.int64)))

    pixels, labels = pixels_and_labels("train")
    train, validation = _hold_out(len(labels), cfg.validation_fraction, generator)
    test_pixels, test_labels = pixels_and_labels("t10k")
    return [_subset(pixels, labels, train, 255), _subset(pixels, labels, validation, 255),
            ImageSet(test_pixels.to(torch.float32).div_(255), test_labels)]


def _three_splits(pixels: torch.Tensor, labels: torch.Tensor, cfg: DataConfig, generator: torch.Generator,
                  scale: float) -> list[ImageSet]:
    rest, test = _hold_out(len(labels), cfg.test_fraction, generator)
    train, validation = _hold_out(len(rest), cfg.validation_fraction, generator)
    return [_subset(pixels, labels, idx, scale) for idx in (rest[train], rest[validation], test)]


def _subset(pixels: torch.Tensor, labels: torch.Tensor, idx: torch.Tensor, scale: float) -> ImageSet:
    """The images at ``idx`` as float32 in [0, 1], given pixel values in [0, scale]."""
    return ImageSet(pixels.index_select(0, idx).to(torch.float32).div_(scale), labels.index_select(0, idx))


def _unknown(name: str) -> GenzooError:
    return GenzooError(f"unknown dataset '{name}': choose one of {', '.join(DATASETS)}")
