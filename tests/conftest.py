"""Shared fixtures: tiny configs on the bundled digits, so each test trains for a fraction of a second."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from genzoo.data import sources
from genzoo.data.idx import write_idx
from genzoo.run import make_run_config
from tests.browser import browser  # noqa: F401  (the headless chromium fixture of the page tests)

UNREACHABLE = "http://127.0.0.1:9/"
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

TINY = {
    "vae": ["model.hidden=[16]", "model.latent_dim=2", "train.batch_size=32"],
    "dcgan": ["model.generator_width=4", "model.discriminator_width=4", "model.latent_dim=4",
              "train.batch_size=32"],
    "gan": ["model.architecture=mlp", "model.generator_hidden=[16]", "model.discriminator_hidden=[16]",
            "model.latent_dim=4", "train.batch_size=32"],
    "wgan": ["model.generator_width=4", "model.critic_width=4", "model.latent_dim=4", "train.batch_size=32"],
    "wgan-gp": ["model.architecture=mlp", "model.hidden=[16]", "model.latent_dim=4", "train.batch_size=32"],
    "rbm": ["model.hidden=16", "model.persistent=true", "model.persistent_chains=32", "model.sample_steps=20",
            "model.momentum_warmup=30", "train.batch_size=32", "data.binarize=dynamic"],
    "dbm": ["model.layers=[16,12]", "model.persistent=true", "model.persistent_chains=32", "model.sample_steps=20",
            "model.momentum_warmup=30", "train.batch_size=32", "data.binarize=dynamic"],
    "dbn": ["model.layers=[16,12]", "model.persistent=true", "model.persistent_chains=32", "model.sample_steps=20",
            "model.momentum_warmup=30", "train.batch_size=32", "data.binarize=dynamic"],
    "helmholtz": ["model.layers=[16,8]", "model.lr=0.01", "train.batch_size=32", "data.binarize=dynamic"],
    "infogan": ["model.width=4", "model.hidden=16", "model.code_hidden=8", "model.noise_dim=4", "train.batch_size=32"],
}


@pytest.fixture
def tiny_config():
    """A run config for a tiny model on digits; extra ``--set`` pairs come after the tiny ones."""

    def make(model: str, *overrides: str):
        return make_run_config(model, "digits", overrides=[*TINY[model], "train.log_every=1", *overrides])

    return make


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """No user data folders, a private cache, no system folders and no network."""
    monkeypatch.delenv("GENZOO_DATA_DIR", raising=False)
    monkeypatch.setenv("GENZOO_CACHE_DIR", str(tmp_path / "cache"))
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(sources, "SYSTEM_DIRS", ())
    monkeypatch.setattr(sources, "MIRRORS", {name: (UNREACHABLE,) for name in sources.MIRRORS})


def fake_idx_files() -> dict[str, np.ndarray]:
    """A tiny MNIST look-alike: train image i is filled with 10 * i and has label i % 10."""
    train, test = np.arange(12), np.arange(12, 16)
    return {"train-images-idx3-ubyte": np.repeat(10 * train, 6).reshape(12, 2, 3).astype(np.uint8),
            "train-labels-idx1-ubyte": (train % 10).astype(np.uint8),
            "t10k-images-idx3-ubyte": np.repeat(10 * test, 6).reshape(4, 2, 3).astype(np.uint8),
            "t10k-labels-idx1-ubyte": (test % 10).astype(np.uint8)}


def write_fake_mnist(directory: Path, suffix: str = ".gz") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in fake_idx_files().items():
        write_idx(directory / f"{name}{suffix}", array)
    return directory


@pytest.fixture
def fake_checksums(tmp_path, monkeypatch):
    """Make the fake files the genuine MNIST as far as checksums go."""
    reference = write_fake_mnist(tmp_path / "reference", suffix="")
    checksums = {name: hashlib.sha256((reference / name).read_bytes()).hexdigest() for name in FILES}
    monkeypatch.setitem(sources.CHECKSUMS, "mnist", checksums)
    return checksums
