"""Seeds and data order: everything random in a run follows from one seed and the step it is at."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch


def seed_everything(seed: int, deterministic: bool) -> None:
    """Seed Python, NumPy and torch; in deterministic mode also forbid nondeterministic kernels. With CUDA, cuBLAS gets
    the fixed workspace its deterministic mode needs, and the few CUDA kernels with no deterministic form (bilinear
    upsampling's backward, ...) warn rather than stop the run: bit-identical resume is the CPU's guarantee."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    warn_only = torch.cuda.is_available()
    if deterministic and warn_only:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    if (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()) != (
            deterministic, warn_only and deterministic):
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)


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
