"""Datasets as in-memory tensors: MNIST, Fashion-MNIST, scikit-learn's digits and image folders."""

from genzoo.data.catalogue import DATASETS, available_locally, load_dataset
from genzoo.data.idx import read_idx
from genzoo.data.images import Dataset, ImageSet
from genzoo.data.preprocess import binarize, to_symmetric, to_unit

__all__ = ["DATASETS", "Dataset", "ImageSet", "available_locally", "binarize", "load_dataset", "read_idx",
           "to_symmetric", "to_unit"]
