"""genzoo from Python: load a trained model, draw samples, score a model or samples; the CLI's library calls, named.

    import genzoo
    model = genzoo.load("runs/dcgan")                      # a trained run, in eval mode
    images = model.sample(64)                              # (64, C, H, W) in [0, 1]
    genzoo.evaluate(model, metrics=["fd", "kid"])          # {"fd": ..., "kid": {...}, ...}
    genzoo.evaluate(images, data="mnist", metrics=["fd"])  # samples from anywhere

Heavy modules (torch, the models) are imported inside the functions, so ``import genzoo`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from genzoo.errors import GenzooError

if TYPE_CHECKING:
    from genzoo.models.base import GenerativeModel

PRETRAINED = "pretrained:"


def load(run: str | Path) -> GenerativeModel:
    """The model of a trained run directory (the --out of 'genzoo train'), ready to ``sample``; it keeps its run's
    config as ``model.run_config``, so :func:`evaluate` knows the data it was trained on."""
    if str(run).startswith(PRETRAINED):
        raise GenzooError(f"genzoo ships no pretrained models yet ('{run}'): train one with 'genzoo train' and load "
                          "its run directory")
    from genzoo.run import open_run

    opened = open_run(run)
    opened.model.run_config = opened.config
    return opened.model
