"""How long and how a run trains, and how often it logs, samples and checkpoints."""

from __future__ import annotations

from dataclasses import dataclass

from genzoo.config import MAX_SEED, option
from genzoo.precision import PRECISIONS


@dataclass
class TrainConfig:
    epochs: int = option(10, "passes over the training split", low=1)
    batch_size: int = option(64, "images per step (each model sets its paper's value)", low=1)
    max_steps: int | None = option(None, "stop after this many steps in all, even inside an epoch", low=1)
    seed: int = option(0, "seed of initialisation, data order and sampling noise", low=0, high=MAX_SEED)
    deterministic: bool = option(True, "torch deterministic algorithms: a resumed run equals an uninterrupted one")
    log_every: int = option(50, "steps between lines of metrics.jsonl; a Boltzmann machine measures its reconstruction "
                               "error and free energies on these steps alone", low=1)
    sample_every: int = option(500, "steps between sample grids (one is also written at the end)", low=1)
    checkpoint_every: int = option(500, "steps between checkpoints (also written before the first step, at the end "
                                   "and on Ctrl-C)", low=1)
    checkpoint_minutes: float = option(5.0, "minutes of training after which a checkpoint is written even before "
                                       "checkpoint_every steps, so a kill loses at most this much work", low=0.0)
    progress_seconds: float = option(30.0, "seconds between plain progress lines on stderr where it is not a terminal "
                                     "(a log file, CI); a terminal gets a progress bar", low=0.1)
    grid_size: int = option(64, "images in each sample grid", low=1, high=1024)
    eval_every: int = option(0, "steps between evaluations with 'genzoo eval' metrics on the validation split, "
                             "logged as split 'eval' (0: never)", low=0)
    eval_metrics: str = option("fd", "comma-separated metrics for eval_every, e.g. fd,kid,pr,nll")
    eval_samples: int = option(1000, "samples drawn for each scheduled evaluation", low=10)
    eval_classifier: str | None = option(None, "feature network from 'genzoo classifier' for eval_every, where "
                                         "genzoo ships none for the dataset")
    precision: str = option("32", "32: float32; bf16 or 16-mixed (CUDA): the forward passes of a model trained by "
                            "autograd under autocast, its parameters and optimizer states in float32",
                            choices=PRECISIONS)
