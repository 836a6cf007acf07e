"""Data-parallel training over ranks started by ``torchrun`` (gloo on the CPU, NCCL on CUDA).

Each epoch's seeded order is the one a single process would use; every global batch of ``train.batch_size`` images
is cut into equal shares, one per rank, so each image is used once per epoch and the ranks together see the batch
one process would. Each of the model's optimizers gets a step pre-hook that averages its parameters' gradients over
the ranks just before the step (one all-reduce per network and step, the explicit form of wrapping each network in
DistributedDataParallel on its own): G and D, InfoGAN's Q, each StackGAN stage, and the closed-form statistics of the
Boltzmann machines, which reach their parameters as gradients too. The mean of the ranks' per-share means is the
global batch's mean, so without batch norm the ranks compute what one process computes, up to float rounding.

Batch norm: on CUDA every BatchNorm becomes a SyncBatchNorm (statistics of the global batch). On the CPU, where
PyTorch has no SyncBatchNorm, each rank normalises its share with the share's statistics (what DDP does by default)
and the running statistics are averaged over the ranks after each step, so every rank holds the same model.

Each rank draws its own noise (rank 0 continues the single-process stream, rank r > 0 a stream derived from the seed
and r) and keeps its own persistent Gibbs chains (buffers named ``persistent_chains``). Rank 0 alone writes logs,
grids and checkpoints; a checkpoint holds every rank's RNG state and chains, so a run resumes exactly with the same
number of ranks, and its model is the ordinary one, which resumes or samples in one process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from genzoo.errors import GenzooError
from genzoo.models.base import GenerativeModel
from genzoo.parallel import mean_over_ranks, rank_seed

RANK_LOCAL_BUFFERS = "persistent_chains"   # each rank's own Gibbs chains


@dataclass
class Ranks:
    """This process's place among the ranks that train one run together; ``Ranks()`` is a single process."""

    rank: int = 0
    size: int = 1
    backend: str | None = None

    @property
    def main(self) -> bool:
        """Whether this process writes the run's files (rank 0)."""
        return self.rank == 0

    def check_batch(self, batch_size: int) -> None:
        if batch_size % self.size:
            raise GenzooError(f"train.batch_size={batch_size} does not split into {self.size} equal shares, one per "
                              f"rank: make it a multiple of {self.size}")

    def describe(self, batch_size: int) -> str:
        return (f"data-parallel over {self.size} ranks ({self.backend}): global batch {batch_size}, "
                f"{batch_size // self.size} images per rank and step")

    def shard(self, order: torch.Tensor, batch_size: int) -> tuple[torch.Tensor, int]:
        """This rank's order of the epoch and its batch size: its share of each global batch of ``order``."""
        if self.size == 1:
            return order, batch_size
        share = batch_size // self.size
        whole = len(order) // batch_size * batch_size
        mine = order[:whole].view(-1, self.size, share)[:, self.rank]
        return mine.reshape(-1), share

    def attach(self, model: GenerativeModel, seed: int) -> None:
        """Make the ranks' models one: rank 0's weights everywhere, batch norm synchronised, gradients averaged at
        each optimizer step; then give each rank its own noise."""
        if self.size == 1:
            return
        if model.device.type == "cuda":
            for name, child in list(model.named_children()):
                setattr(model, name, nn.SyncBatchNorm.convert_sync_batchnorm(child))
        for tensor in [*model.parameters(), *model.buffers()]:
            dist.broadcast(tensor.data, 0)
        for optimizer in model.optimizers.values():
            optimizer.register_step_pre_hook(self._average_gradients)
        if self.rank > 0:
            torch.manual_seed(self.rank_seed(seed))

    def rank_seed(self, seed: int) -> int:
        return rank_seed(seed, self.rank)

    def _average_gradients(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        mean_over_ranks([p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None])

    def after_step(self, model: GenerativeModel) -> None:
        """On the CPU, batch norm's running statistics averaged over the ranks (SyncBatchNorm keeps them equal on
        CUDA)."""
        if self.size == 1 or model.device.type == "cuda":
            return
        mean_over_ranks([buffer for module in model.modules() if isinstance(module, nn.modules.batchnorm._BatchNorm)
                         for buffer in (module.running_mean, module.running_var) if buffer is not None])

    def agree(self, scalars: dict[str, float], stop: bool, save: bool) -> tuple[dict[str, float], bool, bool]:
        """The step's scalars averaged over the ranks (the global batch's, for the means they are), and whether any
        rank was asked to stop or found a checkpoint due by the clock, so that all stop, and save, at the same step."""
        if self.size == 1:
            return scalars, stop, save
        values = torch.tensor([*scalars.values(), float(stop), float(save)], dtype=torch.float64, device=self.device)
        dist.all_reduce(values)
        averaged = (values[:-2] / self.size).tolist()
        return dict(zip(scalars, averaged)), values[-2].item() > 0, values[-1].item() > 0

    @property
    def device(self) -> torch.device:
        """Where collective operations on small tensors take place: the rank's GPU under NCCL, else the CPU."""
        return torch.device("cuda", torch.cuda.current_device()) if self.backend == "nccl" else torch.device("cpu")

    def local_states(self, model: GenerativeModel) -> list[dict[str, Any]] | None:
        """Every rank's RNG states and own chains (collective; rank 0 gets the list, the others None)."""
        if self.size == 1:
            return None
        state = {"rng": torch.get_rng_state(),
                 "buffers": {name: buffer.cpu() for name, buffer in model.named_buffers()
                             if name.endswith(RANK_LOCAL_BUFFERS)}}
        if model.device.type == "cuda":
            state["cuda_rng"] = torch.cuda.get_rng_state(model.device)
        gathered: list[Any] = [None] * self.size
        dist.all_gather_object(gathered, state)
        return gathered if self.main else None

    def restore(self, model: GenerativeModel, content: dict[str, Any], seed: int) -> None:
        """This rank's RNG and chains from a checkpoint written by as many ranks; from another number of ranks (or
        one process), rank 0 continues the checkpoint's stream and the others start their own from the seed."""
        if self.size == 1:
            return
        states = content.get("ranks")
        if states is None or len(states) != self.size:
            if self.rank > 0:
                torch.manual_seed(self.rank_seed(seed) + content["progress"]["step"])
            return
        mine = states[self.rank]
        torch.set_rng_state(mine["rng"])
        if "cuda_rng" in mine and model.device.type == "cuda":
            torch.cuda.set_rng_state(mine["cuda_rng"], model.device)
        buffers = dict(model.named_buffers())
        for name, value in mine["buffers"].items():
            buffers[name].copy_(value)

    def close(self) -> None:
        if self.size > 1 and dist.is_initialized():
            dist.destroy_process_group()


class NoLog:
    """The metrics log of a rank other than 0: rank 0 alone writes the run's files."""

    def write(self, record: dict[str, Any]) -> None:
        pass

    def close(self) -> None:
        pass


def ranks_from_environment(device: torch.device) -> tuple[Ranks, torch.device]:
    """The ranks torchrun started (WORLD_SIZE, RANK, LOCAL_RANK and the rendezvous in the environment), joined with
    gloo on the CPU or NCCL on CUDA, and this rank's device (cuda:LOCAL_RANK on CUDA); one process otherwise."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size == 1:
        return Ranks(), device
    if device.type == "mps":
        raise GenzooError("torchrun with --device mps: torch.distributed has no MPS backend; use cpu or cuda")
    if device.type == "cuda":
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if local >= torch.cuda.device_count():
            raise GenzooError(f"local rank {local} has no GPU of its own ({torch.cuda.device_count()} here): start "
                              "at most one process per GPU (--nproc_per_node)")
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend, timeout=timedelta(minutes=30))
    return Ranks(dist.get_rank(), dist.get_world_size(), backend), device
