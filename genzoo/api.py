"""genzoo from Python: load a trained model, draw samples, score a model or samples; the CLI's library calls, named.

    import genzoo
    model = genzoo.load("runs/dcgan")                      # a trained run, in eval mode
    model = genzoo.load("pretrained:dcgan-mnist")          # or a model genzoo ships ('genzoo pretrained')
    images = model.sample(64)                              # (64, C, H, W) in [0, 1]
    genzoo.evaluate(model, metrics=["fd", "kid"])          # {"fd": ..., "kid": {...}, ...}
    genzoo.evaluate(images, data="mnist", metrics=["fd"])  # samples from anywhere

Heavy modules (torch, the models) are imported inside the functions, so ``import genzoo`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from genzoo.models.base import GenerativeModel


def load(run: str | Path) -> GenerativeModel:
    """The model of a trained run directory (the --out of 'genzoo train') or of a shipped model ("pretrained:NAME",
    see 'genzoo pretrained'), ready to ``sample``; it keeps its run's config as ``model.run_config``, so
    :func:`evaluate` knows the data it was trained on."""
    from genzoo.run import open_run

    opened = open_run(run)
    opened.model.run_config = opened.config
    return opened.model
