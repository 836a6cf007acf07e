"""Paths between two latent vectors: linear, and spherical (slerp), which keeps a Gaussian latent's norm where a
straight line through the prior's centre shrinks it (White 2016, Sampling Generative Networks, Section 2.2)."""

from __future__ import annotations

import torch
from torch import Tensor

KINDS = ("linear", "spherical")


def linear(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """(1 - t) a + t b for each t: (len(t), dim)."""
    return (1 - t)[:, None] * a + t[:, None] * b


def spherical(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """sin((1 - t) theta) / sin(theta) a + sin(t theta) / sin(theta) b, theta the angle between a and b (Shoemake
    1985); the linear path where a and b are (anti)parallel and the angle leaves no plane to turn in."""
    cosine = torch.dot(a, b) / (a.norm() * b.norm()).clamp_min(1e-12)
    theta = torch.arccos(cosine.clamp(-1, 1))
    if torch.sin(theta).abs() < 1e-6:
        return linear(a, b, t)
    weights_a = torch.sin((1 - t) * theta) / torch.sin(theta)
    weights_b = torch.sin(t * theta) / torch.sin(theta)
    return weights_a[:, None] * a + weights_b[:, None] * b


def interpolate(a: Tensor, b: Tensor, steps: int, kind: str = "linear") -> Tensor:
    """``steps`` latents from a to b inclusive along the ``kind`` path: (steps, dim)."""
    t = torch.linspace(0, 1, steps, dtype=a.dtype, device=a.device)
    return (spherical if kind == "spherical" else linear)(a, b, t)
