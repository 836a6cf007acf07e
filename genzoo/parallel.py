"""The collective operations a model's closed-form update needs when it trains on several ranks (torchrun).

A Boltzmann machine's statistics are means over the batch; under data parallelism each rank holds a share of the
global batch, so the statistics that must be global (the data's pixel means, the first batch's visible biases) are
summed or gathered here. Outside torch.distributed, or with one rank, every function is the identity, so the models
stay the same code in one process. The training loop's own parallel logic is in genzoo.train.distributed; 'genzoo
eval' under torchrun spreads its samples over the ranks with :func:`share` and :func:`concatenate_over_ranks`.
"""

from __future__ import annotations

import torch
import torch.distributed as dist

RANK_SEED_STRIDE = 0x9E3779B97F4A7C15      # spreads the ranks' seeds apart (the golden ratio in 64 bits)


def world_size() -> int:
    """Ranks training together: 1 outside torch.distributed."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    """This process's rank: 0 outside torch.distributed."""
    return dist.get_rank() if world_size() > 1 else 0


def rank_seed(seed: int, index: int) -> int:
    """The seed of rank ``index``'s own random stream: ``seed`` itself for rank 0, so one process continues it."""
    return (seed + index * RANK_SEED_STRIDE) % 2**63


def share(n: int) -> tuple[int, int]:
    """[start, stop) of this rank's share of n items, the ranks' shares in order and at most one item apart."""
    return n * rank() // world_size(), n * (rank() + 1) // world_size()


def sum_over_ranks(*tensors: torch.Tensor) -> None:
    """Each tensor replaced, in place, by its sum over the ranks."""
    if world_size() > 1:
        for tensor in tensors:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)


def mean_over_ranks(tensors: list[torch.Tensor]) -> None:
    """Each tensor replaced, in place, by its mean over the ranks, in one all-reduce of them all flattened together."""
    if world_size() == 1 or not tensors:
        return
    flat = torch.cat([t.reshape(-1) for t in tensors])
    dist.all_reduce(flat)
    flat /= world_size()
    for tensor, averaged in zip(tensors, flat.split([t.numel() for t in tensors])):
        tensor.copy_(averaged.view_as(tensor))


def gather_over_ranks(tensor: torch.Tensor) -> torch.Tensor:
    """The ranks' tensors (of one shape) concatenated along the first dimension, rank 0's first: the global batch
    when each rank holds its share of it."""
    if world_size() == 1:
        return tensor
    parts = [torch.empty_like(tensor) for _ in range(world_size())]
    dist.all_gather(parts, tensor.contiguous())
    return torch.cat(parts)


def concatenate_over_ranks(tensor: torch.Tensor) -> torch.Tensor:
    """The ranks' tensors concatenated along the first dimension, rank 0's first, where the ranks' first dimensions
    may differ (each rank's :func:`share`): padded to the longest for the all-gather, then cut back."""
    if world_size() == 1:
        return tensor
    lengths = gather_over_ranks(torch.tensor([len(tensor)], device=tensor.device)).tolist()
    padded = torch.zeros(max(lengths), *tensor.shape[1:], dtype=tensor.dtype, device=tensor.device)
    padded[:len(tensor)] = tensor
    parts = gather_over_ranks(padded).split(max(lengths))
    return torch.cat([part[:length] for part, length in zip(parts, lengths)])
