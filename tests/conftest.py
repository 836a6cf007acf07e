"""Shared fixtures: tiny configs on the bundled digits, so each test trains for a fraction of a second."""

from __future__ import annotations

import pytest

from genzoo.run import make_run_config

TINY = {
    "vae": ["model.hidden=[16]", "model.latent_dim=2", "train.batch_size=32"],
    "dcgan": ["model.generator_width=4", "model.discriminator_width=4", "model.latent_dim=4",
              "train.batch_size=32"],
}


@pytest.fixture
def tiny_config():
    """A run config for a tiny model on digits; extra ``--set`` pairs come after the tiny ones."""

    def make(model: str, *overrides: str):
        return make_run_config(model, "digits", overrides=[*TINY[model], "train.log_every=1", *overrides])

    return make
