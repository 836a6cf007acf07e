"""Data-parallel scaling: training images/s of the benchmark configurations on 1, 2, ... ranks (issue 26).

Each rank count is one group of fresh processes (torch.multiprocessing, spawned), joined as torchrun joins them: gloo
on the CPU, NCCL on CUDA (one GPU per rank). Every rank trains its share of each global batch of synthetic images
as 'genzoo train' does under torchrun (gradients averaged at each optimizer step, scalars agreed, batch-norm
statistics averaged), and rank 0 times windows of steps after a warm-up: global images/s, the median over the
windows. One rank runs through the same harness, so the figures compare like with like. On the CPU the ranks share
the machine's cores: each rank gets cores // ranks torch threads, which is what limits the scaling there.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import tempfile
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from benchmarks.throughput import timed, training_steps
from genzoo.devices import resolve_device
from genzoo.train.distributed import ranks_from_environment


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def threads_per_rank(size: int) -> int:
    """The torch threads each of ``size`` ranks gets on the CPU: an equal share of the cores, at least one."""
    return max(1, (os.cpu_count() or 1) // size)


def measure_rank(rank: int, size: int, port: int, label: str, model_name: str, overrides: list[str],
                 device_name: str, budget: dict, seed: int, out: Path) -> None:
    """One rank: join the group, train, and (rank 0) write the global images/s of each timed window to ``out``."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(size),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(threads_per_rank(size))
    ranks, device = ranks_from_environment(resolve_device(device_name))
    try:
        steps, batch_size = training_steps(label, model_name, overrides, device, seed, ranks)
        steps(2)
        per_step = torch.tensor([timed(lambda: steps(2), device) / 2], dtype=torch.float64, device=ranks.device)
        if size > 1:   # every rank takes rank 0's counts of steps, so that their collectives pair up
            dist.broadcast(per_step, 0)
        steps(max(0, round(budget["warm_up_s"] / per_step.item())))
        per_window = max(1, round(budget["window_s"] / per_step.item()))
        rates = []
        for _ in range(budget["windows"]):
            if size > 1:
                dist.barrier()
            rates.append(per_window * batch_size / timed(lambda: steps(per_window), device))
        if ranks.main:
            out.write_text(json.dumps({"rates": rates, "steps_per_window": per_window, "batch_size": batch_size}))
    finally:
        ranks.close()


def scaling(configurations: dict[str, tuple[str, list[str]]], rank_counts: list[int], device: torch.device,
            budget: dict, seed: int) -> dict:
    """{label: {ranks: figures}} for each configuration and number of ranks, with what limits each figure."""
    rows: dict[str, dict] = {}
    gpus = torch.cuda.device_count() if device.type == "cuda" else 0
    for label, (model_name, overrides) in configurations.items():
        rows[label] = {}
        for size in rank_counts:
            if device.type == "cuda" and size > gpus:
                rows[label][str(size)] = {"skipped": f"{size} ranks need {size} GPUs, this machine has {gpus}"}
                continue
            with tempfile.TemporaryDirectory() as scratch:
                out = Path(scratch) / "rank0.json"
                mp.start_processes(measure_rank, args=(size, free_port(), label, model_name, overrides, str(device),
                                                       budget, seed, out), nprocs=size, start_method="spawn")
                measured = json.loads(out.read_text())
            rows[label][str(size)] = {
                "images_per_s": round(statistics.median(measured["rates"]), 1),
                "windows_images_per_s": [round(r, 1) for r in measured["rates"]],
                "steps_per_window": measured["steps_per_window"], "global_batch": measured["batch_size"],
                "images_per_rank_and_step": measured["batch_size"] // size,
                "backend": "nccl" if device.type == "cuda" else "gloo",
                **({"gpus": size} if device.type == "cuda" else
                   {"cores": os.cpu_count(), "threads_per_rank": threads_per_rank(size)}),
            }
            one = rows[label].get("1", {}).get("images_per_s")
            if one and size > 1:
                rows[label][str(size)]["speed_up"] = round(rows[label][str(size)]["images_per_s"] / one, 3)
            print(f"{label}, {size} rank{'s' if size > 1 else ''}: {rows[label][str(size)]['images_per_s']} images/s",
                  flush=True)
    return rows
