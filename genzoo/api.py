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
from typing import TYPE_CHECKING, Any, Sequence

from genzoo.errors import GenzooError

if TYPE_CHECKING:
    import numpy as np
    from torch import Tensor

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


def evaluate(model_or_samples: GenerativeModel | Tensor | np.ndarray | str | Path, data: str | None = None,
             metrics: Sequence[str] | str | None = None, n: int = 10_000, seed: int = 0,
             budget: dict[str, int] | None = None, data_dir: str | None = None) -> dict[str, Any]:
    """The numbers of 'genzoo eval' as a dict ({"fd": ..., "kid": {...}, "log_likelihood": {...}, ...}).

    ``model_or_samples``: a model from :func:`load` (scored on its run's dataset, ``n`` samples; ``data`` must be
    left out), or samples from anywhere with ``data`` naming the dataset to score them against: a tensor or array
    (N, C, H, W) in [0, 1] (uint8 arrays in 0..255), or the path of an .npz holding ``x``. ``metrics``: names or a
    comma-separated string (see 'genzoo eval --help'); None: all that apply.
    """
    from genzoo.evaluate import suite
    from genzoo.models.base import GenerativeModel

    names = suite.parse_metrics(metrics) if isinstance(metrics, str) else (list(metrics) if metrics else None)
    if names:
        suite.parse_metrics(",".join(names))   # each name known
    if isinstance(model_or_samples, GenerativeModel):
        cfg = model_or_samples.run_config
        if cfg is None:
            raise GenzooError("evaluate needs to know the model's data: open it with genzoo.load(run_dir)")
        if data is not None and data != cfg.dataset:
            raise GenzooError(f"a model is scored on the dataset it trained on ({cfg.dataset}), not {data}: "
                              "drop data=")
        return suite.evaluate_trained(model_or_samples, cfg, names, n, seed, budget, data_dir=data_dir)["metrics"]
    if data is None:
        raise GenzooError("samples need data=DATASET to be scored against, e.g. data='mnist'")
    images, labels = _samples(model_or_samples, data)
    return suite.evaluate_sample_array(images, labels, data, names or suite.SAMPLE_METRICS, seed,
                                       data_dir=data_dir)["metrics"]


def _samples(samples: Any, data: str) -> tuple[Tensor, Tensor | None]:
    """Images in [0, 1] as float32 (N, C, H, W), and labels where an .npz holds them."""
    import numpy as np
    import torch

    from genzoo.evaluate import suite
    from genzoo.evaluate.features import load_feature_network

    if isinstance(samples, (str, Path)):
        return suite.read_samples(samples, load_feature_network(data).image_shape)
    if isinstance(samples, np.ndarray):
        samples = torch.from_numpy(samples.astype(np.float32) / 255 if samples.dtype == np.uint8 else samples)
    if not isinstance(samples, torch.Tensor) or samples.dim() != 4:
        raise GenzooError("samples must be a tensor or array (N, C, H, W) in [0, 1] or an .npz path")
    samples = samples.float()
    if not torch.isfinite(samples).all() or samples.min() < 0 or samples.max() > 1:
        raise GenzooError("samples must lie in [0, 1] (uint8 arrays in 0..255)")
    return samples, None
