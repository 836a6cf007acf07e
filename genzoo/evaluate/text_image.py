"""Text-to-image evaluation on mnist-captions: caption match by the region checker and FD in its canvas features.

A text-conditioned model (StackGAN) draws one image per test caption; each stage's images are scored by how often
they hold the digits where their captions say (:func:`genzoo.evaluate.caption_match.caption_match`) and by the
Fréchet distance to the real test canvases in :meth:`RegionChecker.features`. The real canvases give the reference:
the real test canvases' own caption match (the ceiling) and the FD of as many real training canvases (the floor).
``genzoo eval`` and ``benchmarks/stackgan.py`` both call this module, so their numbers mean the same.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from genzoo.data import Dataset, ImageSet
from genzoo.errors import GenzooError
from genzoo.evaluate.caption_match import RegionChecker, score_caption_match
from genzoo.evaluate.frechet import frechet_distance
from genzoo.models.stackgan import STAGES

MATCH_KEYS = ("caption_match", "mentioned_cells", "match_and_rest_empty")
# both stages again with each condition at the mean of its Conditioning Augmentation rather than a draw
# (StackGAN.generate_from_text(at_mean=True)); z is drawn all the same
AT_MEAN = {stage: f"{stage}, conditions at their means" for stage in STAGES}
TEXT_METRICS = ("match", "fd")


def match(images: Tensor, captions: Sequence[str], checker: RegionChecker) -> dict[str, float]:
    """The checker's scores of images against their captions, rounded, without the checker's card."""
    scores = score_caption_match(images, captions, checker)
    return {key: round(scores[key], 4) for key in MATCH_KEYS}


def drawn_images(model, captions: Sequence[str], seed: int) -> dict[str, Tensor]:
    """Each stage's images of the captions, keyed by stage; with CA, also with the conditions at their means."""
    images = dict(zip(STAGES, model.generate_from_text(list(captions), torch.Generator().manual_seed(seed))))
    if model.cfg.conditioning_augmentation:
        images.update(zip(AT_MEAN.values(), model.generate_from_text(list(captions),
                                                                     torch.Generator().manual_seed(seed),
                                                                     at_mean=True)))
    return images


def captions_of(split: ImageSet) -> list[str]:
    if split.captions is None:
        raise GenzooError("text-to-image scores need captioned images: evaluate a run on mnist-captions")
    return split.captions


def real_reference(checker: RegionChecker, dataset: Dataset, n: int, seed: int) -> dict[str, Any]:
    """The real canvases' scores at ``n`` images: caption match of the first n test canvases (the ceiling) and the FD
    of n real training canvases, drawn with ``seed``, to them (the floor)."""
    test, train = dataset.test, dataset.train
    n = min(n, len(test), len(train))
    chosen = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))[:n]
    return {"caption_match": match(test.images[:n], captions_of(test)[:n], checker),
            "fd": round(frechet_distance(checker.features(train.images[chosen]),
                                         checker.features(test.images[:n])), 4),
            "images": n}


def score_stages(images: dict[str, Tensor], captions: Sequence[str], checker: RegionChecker,
                 real_features: Tensor | None, metrics: Sequence[str] = TEXT_METRICS) -> dict[str, Any]:
    """Caption match and, given the real canvases' features, FD of each stage's images: {metric: {stage: score}}."""
    scores: dict[str, Any] = {}
    if "match" in metrics:
        scores["caption_match"] = {stage: match(drawn, captions, checker) for stage, drawn in images.items()}
    if "fd" in metrics and real_features is not None:
        scores["fd"] = {stage: round(frechet_distance(checker.features(drawn), real_features), 4)
                        for stage, drawn in images.items()}
    return scores


def check_text_metrics(metrics: Sequence[str]) -> list[str]:
    """The metrics of ``metrics`` that a text-conditioned model is scored by; a one-line error for the others."""
    other = [m for m in metrics if m not in TEXT_METRICS]
    if other:
        raise GenzooError(f"--metrics {other[0]}: a text-conditioned model on mnist-captions is scored by "
                          f"{' and '.join(TEXT_METRICS)} (caption match and FD in the region checker's features); "
                          "drop the others")
    return list(metrics)


def evaluate_text_model(model, dataset: Dataset, checker: RegionChecker, metrics: Sequence[str] = TEXT_METRICS,
                        n: int | None = None, seed: int = 0) -> dict[str, Any]:
    """Score a text-conditioned model on the first ``n`` test captions (all of them by default)."""
    test = dataset.test
    n = min(n or len(test), len(test))
    captions = captions_of(test)[:n]
    started = time.perf_counter()
    images = drawn_images(model, captions, seed)
    drawn = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    real_features = checker.features(test.images[:n]) if "fd" in metrics else None
    scores = score_stages(images, captions, checker, real_features, metrics)
    return {"samples": n, "reference": f"{dataset.name} test split ({n} captions and canvases)", **scores,
            "seconds": {"sampling": drawn, "scoring": round(time.perf_counter() - started, 3)}}
