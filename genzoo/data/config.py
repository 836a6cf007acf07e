"""What a run asks of its data: splits, binarization and, for image folders, size and colour."""

from __future__ import annotations

from dataclasses import dataclass

from genzoo.config import MAX_SEED, option


@dataclass
class DataConfig:
    binarize: str = option("none", "none; fixed: sampled once with the seed (Salakhutdinov & Murray 2008); "
                           "dynamic: resampled every batch", choices=("none", "fixed", "dynamic"))
    validation_fraction: float = option(1 / 6, "share of the training images held out for validation "
                                        "(1/6 gives MNIST's usual 50,000/10,000)", low=0.0, high=0.5)
    test_fraction: float = option(0.2, "share held out for test where the dataset has no test split "
                                  "(digits, folder:)", low=0.0, high=0.5)
    seed: int = option(0, "seed of the validation split and of fixed binarization", low=0, high=MAX_SEED)
    image_size: int = option(32, "side in pixels that folder: images are resized to", low=4, high=1024)
    channels: int = option(1, "folder: images as grey (1) or RGB (3)", choices=(1, 3))
