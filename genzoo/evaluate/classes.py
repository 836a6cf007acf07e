"""Scores read from the feature network's class probabilities: classifier score, label accuracy, mode coverage."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def classifier_score(probs: Tensor, splits: int = 10, seed: int = 0) -> dict:
    """exp(E_x KL(p(y|x) || p(y))), the Inception-score formula (Salimans et al. 2016, Section 4) with genzoo's
    classifier: mean and standard deviation over ``splits`` random disjoint splits, as the paper reports it.

    It runs from 1 (every sample the same blurry class mixture) to the number of classes (each
    sample confidently one class, all classes equally often). Not comparable with Inception scores.
    The splits are drawn at random, so samples stored class by class score the same as shuffled ones.
    """
    probs = probs.double().clamp(min=1e-12)
    probs = probs[torch.randperm(len(probs), generator=torch.Generator().manual_seed(seed))]
    scores = []
    for part in probs.chunk(min(splits, len(probs))):
        marginal = part.mean(0, keepdim=True)
        scores.append(math.exp((part * (part.log() - marginal.log())).sum(1).mean().item()))
    values = torch.tensor(scores)
    return {"value": values.mean().item(), "std": values.std(correction=1).item() if len(values) > 1 else float("nan"),
            "splits": len(values)}


def conditional_accuracy(probs: Tensor, requested: Tensor) -> float:
    """Share of a conditional model's samples that the classifier assigns to the label they were asked for."""
    return (probs.argmax(1) == requested).double().mean().item()


def class_histogram(probs: Tensor, num_classes: int) -> Tensor:
    """Share of samples per predicted class."""
    return torch.bincount(probs.argmax(1), minlength=num_classes).double() / len(probs)


def mode_coverage(sample_probs: Tensor, data_probs: Tensor, confidence: float = 0.9) -> dict:
    """Which classes the samples fall in, KL(samples || data) between the two class histograms in nats, and the
    share of samples the classifier names with at least ``confidence`` (MNIST's counterpart of a toy mixture's
    high-quality samples: Srivastava et al. 2017, Section 5).

    A class counts as covered when at least one sample lands in it, and the KL divergence of the
    sample histogram from the data's weighs how evenly (Metz et al. 2017, Section 3.3; the data's
    histogram is the classifier's on real images, so the classifier's own errors cancel).
    """
    num_classes = sample_probs.shape[1]
    samples, data = class_histogram(sample_probs, num_classes), class_histogram(data_probs, num_classes)
    present = samples > 0
    kl = (samples[present] * (samples[present].log() - data[present].clamp(min=1e-12).log())).sum().item()
    return {"classes_covered": int(present.sum()), "classes": num_classes, "kl_to_data": kl,
            "confident_share": (sample_probs.max(1).values >= confidence).double().mean().item(),
            "confidence": confidence,
            "histogram": [round(v, 5) for v in samples.tolist()]}
