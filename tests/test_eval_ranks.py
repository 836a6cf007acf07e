"""'genzoo eval' under torchrun: each rank draws its share of the samples from its own seed and embeds them, rank 0
gathers the features and alone scores and writes; its numbers are those of the ranks' samples scored together."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
import torch.multiprocessing as mp
from conftest import TINY
from test_distributed import free_port

from genzoo import parallel, run
from genzoo.cli import main
from genzoo.evaluate.features import load_feature_network
from genzoo.evaluate.suite import RealFeatures, draw_samples, evaluate_samples

N = 41   # an odd number: the ranks' shares differ by one
METRICS = ["fd", "kid", "pr", "dc", "modes"]


def join(rank: int, size: int, port: int) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(size),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)


def eval_rank(rank: int, size: int, port: int, run_dir: Path, out: Path) -> None:
    """One rank of 'torchrun -m genzoo eval RUN'."""
    join(rank, size, port)
    code = main(["eval", str(run_dir), "--metrics", ",".join(METRICS), "-n", str(N), "--out", str(out),
                 "--device", "cpu"])
    assert code == 0


def concatenate_rank(rank: int, size: int, port: int, out: Path) -> None:
    """Each rank holds rank + 2 rows of its rank number; the concatenation is saved by rank 0."""
    join(rank, size, port)
    torch.distributed.init_process_group("gloo")
    try:
        together = parallel.concatenate_over_ranks(torch.full((rank + 2, 3), float(rank)))
        shares = parallel.concatenate_over_ranks(torch.tensor(parallel.share(7)))
    finally:
        torch.distributed.destroy_process_group()
    if rank == 0:
        torch.save({"together": together, "shares": shares}, out)


def test_concatenating_uneven_shares_keeps_the_ranks_in_order(tmp_path):
    mp.start_processes(concatenate_rank, args=(2, free_port(), tmp_path / "c.pt"), nprocs=2, start_method="fork")
    saved = torch.load(tmp_path / "c.pt")
    assert torch.equal(saved["together"], torch.tensor([[0.0] * 3] * 2 + [[1.0] * 3] * 3))
    assert saved["shares"].tolist() == [0, 3, 3, 7]   # 7 items: rank 0 takes 3, rank 1 the other 4


def test_two_rank_eval_scores_the_ranks_samples_together_and_rank_0_alone_writes(tmp_path):
    cfg = run.make_run_config("vae", "digits", overrides=[*TINY["vae"], "train.max_steps=3"])
    run.train(cfg, tmp_path / "run", progress_bar=False)
    out = tmp_path / "eval.json"
    mp.start_processes(eval_rank, args=(2, free_port(), tmp_path / "run", out), nprocs=2, start_method="fork")
    written = json.loads(out.read_text())
    assert written["ranks"] == 2 and written["metrics"]["samples"] == N

    model = run.open_run(tmp_path / "run").model
    first = draw_samples(model, N // 2, 10, seed=0)[0]   # rank 0: the first 20, from the seed itself
    second = draw_samples(model, N - N // 2, 10, seed=parallel.rank_seed(0, 1))[0]   # rank 1: its own stream
    network = load_feature_network("digits")
    real = RealFeatures.of(network, run.load_dataset("digits", cfg.data))
    together = evaluate_samples(torch.cat([first, second]), real, METRICS)
    for key in ("fd", "precision", "recall", "density", "coverage", "classes_covered"):
        assert abs(written["metrics"][key] - together[key]) < 1e-4, key
    assert abs(written["metrics"]["kid"]["value"] - together["kid"]["value"]) < 1e-6
    one_process = evaluate_samples(draw_samples(model, N, 10, seed=0)[0], real, METRICS)
    assert one_process["fd"] != together["fd"]   # rank 1's samples are its own, not the tail of rank 0's stream
