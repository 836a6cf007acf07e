"""Precision, recall, density and coverage from k-nearest-neighbour balls around feature vectors.

Precision and recall (Kynkäänniemi et al. 2019, eq. 1-2): the share of generated samples inside
the real manifold (the union of balls reaching each real point's k-th neighbour), and the share of
real points inside the generated one. Density and coverage (Naeem et al. 2020, eq. 3-4) count how
many real balls hold each sample, and how many real balls hold any sample; they are less swayed by
outliers. Both papers' defaults: k = 3 for precision/recall, k = 5 for density/coverage.
"""

from __future__ import annotations

import torch
from torch import Tensor

from genzoo.evaluate.neighbours import kth_neighbour_distance, pairwise_chunks


def manifold_scores(real: Tensor, fake: Tensor, k_pr: int = 3, k_dc: int = 5) -> dict[str, float]:
    """precision, recall, density and coverage of ``fake`` against ``real`` (both (N, D) features)."""
    real_radii_pr, real_radii_dc = kth_neighbour_distance(real, k_pr), kth_neighbour_distance(real, k_dc)
    fake_radii = kth_neighbour_distance(fake, k_pr)
    fake_in_real = torch.zeros(len(fake), dtype=torch.bool)      # precision
    real_in_fake = torch.zeros(len(real), dtype=torch.bool)      # recall
    balls_holding = torch.zeros(len(fake))                        # density
    real_ball_used = torch.zeros(len(real), dtype=torch.bool)    # coverage
    for start, distances in pairwise_chunks(real, fake):
        rows = slice(start, start + len(distances))
        fake_in_real |= (distances <= real_radii_pr[rows, None]).any(0)
        real_in_fake[rows] = (distances <= fake_radii[None, :]).any(1)
        inside_dc = distances <= real_radii_dc[rows, None]
        balls_holding += inside_dc.sum(0)
        real_ball_used[rows] = inside_dc.any(1)
    return {"precision": fake_in_real.float().mean().item(), "recall": real_in_fake.float().mean().item(),
            "density": (balls_holding.sum() / (k_dc * len(fake))).item(),
            "coverage": real_ball_used.float().mean().item()}
