"""Toy 2-D mixtures for watching mode collapse: the ring of 8 Gaussians and the 5x5 grid of 25.

The two targets are those of Metz et al. 2017 (unrolled GANs) and Srivastava et al. 2017 (VEEGAN,
Section 5); the geometry here is genzoo's: eight Gaussians of standard deviation 0.02 on a circle
of radius 2, and 25 at {-4, -2, 0, 2, 4}^2 with the same spread. Papers vary the radius and spread,
so compare scores only between runs on the same target. The scores are VEEGAN's: a sample is high
quality when it lies within three standard deviations of its nearest mode, and a mode is covered
when it receives at least ``min_samples`` high-quality samples (20 of 2,500 in the style of Lin et
al. 2018, PacGAN). Beside them, the KL to uniform of every sample's nearest mode, sharp or not, tells a generator
that spreads its mass over all the modes but has not yet sharpened them (near 0) from one that collapsed onto a few
(up to log of the modes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from genzoo.errors import GenzooError


@dataclass
class Toy2D:
    name: str
    centres: Tensor   # (modes, 2)
    std: float

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n points (n, 2), each from a mode chosen uniformly."""
        modes = torch.randint(len(self.centres), (n,), generator=generator)
        return self.centres[modes] + self.std * torch.randn(n, 2, generator=generator)

    def score(self, points: Tensor, min_samples: int = 20) -> dict:
        """modes covered, share of high-quality samples, KL(high-quality samples' modes || uniform) in nats (None
        when no sample is high quality), and KL(every sample's nearest mode || uniform)."""
        distances = torch.cdist(points.double(), self.centres.double())
        nearest, mode = distances.min(1)
        good = nearest <= 3 * self.std
        counts = torch.bincount(mode[good], minlength=len(self.centres))
        return {"modes_covered": int((counts >= min_samples).sum()), "modes": len(self.centres),
                "high_quality_share": good.double().mean().item(),
                "kl_to_uniform": self.kl_to_uniform(counts) if good.any() else None,
                "nearest_mode_kl_to_uniform": self.kl_to_uniform(torch.bincount(mode, minlength=len(self.centres))),
                "samples": len(points), "min_samples": min_samples}

    def kl_to_uniform(self, counts: Tensor) -> float:
        """KL(counts normalised || uniform over the modes) in nats, for counts (modes,) that are not all zero."""
        shares = counts.double() / counts.sum()
        present = shares > 0
        return (shares[present] * (shares[present] * len(self.centres)).log()).sum().item()


def ring8(std: float = 0.02, radius: float = 2.0) -> Toy2D:
    angles = torch.arange(8) * (2 * math.pi / 8)
    return Toy2D("ring8", radius * torch.stack([angles.cos(), angles.sin()], 1), std)


def grid25(std: float = 0.02, spacing: float = 2.0) -> Toy2D:
    ticks = (torch.arange(5) - 2) * spacing
    return Toy2D("grid25", torch.cartesian_prod(ticks, ticks).float(), std)


TARGETS = {"ring8": ring8, "grid25": grid25}


def toy_target(name: str) -> Toy2D:
    try:
        return TARGETS[name]()
    except KeyError:
        raise GenzooError(f"unknown toy target '{name}': choose {' or '.join(TARGETS)}") from None
