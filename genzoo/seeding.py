"""Seeds and data order: everything random in a run follows from one seed and the step it is at."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch


def seed_everything(seed: int, deterministic: bool) -> None:
    """Seed Python, NumPy and torch; in deterministic mode also forbid nondeterministic kernels."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.are_deterministic_algorithms_enabled() != deterministic:
        torch.use_deterministic_algorithms(deterministic)


def epoch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The shuffled order of epoch ``epoch``: a function of (seed, epoch) alone, so a resumed run repeats it."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=generator)


@contextmanager
def fixed_noise(seed: int) -> Iterator[None]:
    """Draw from the global torch RNG seeded with ``seed`` inside the block, and restore its state after."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        yield


def seeded_generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)
