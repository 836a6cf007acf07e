"""The scaling benchmark's smoke path: 'python -m benchmarks.run throughput --quick --ranks 1,2' measures a model's
training images/s on one and on two gloo ranks and writes them beside the throughput figures (here to a temporary
results folder, never to benchmarks/results)."""

from __future__ import annotations

import argparse
import json

import benchmarks.common
import benchmarks.throughput
from benchmarks.run import rank_counts


def test_throughput_with_ranks_writes_the_scaling_beside_the_throughput(tmp_path, monkeypatch):
    monkeypatch.setattr(benchmarks.common, "RESULTS", tmp_path)
    monkeypatch.setattr(benchmarks.throughput, "RESULTS", tmp_path)
    monkeypatch.setattr(benchmarks.common, "write_tables", lambda results, root: None)
    monkeypatch.setattr(benchmarks.throughput, "benchmark_configurations",
                        lambda: {"vae": ("vae", ["model.hidden=[32]", "model.latent_dim=4", "train.batch_size=16"])})
    monkeypatch.setattr(benchmarks.throughput, "ais_seconds", lambda *args: {"median_s": 0.0, "betas": 0,
                                                                               "chains": 0})
    args = argparse.Namespace(device="cpu", quick=True, throughput_models=None, seed=0, ranks=rank_counts("1,2"))
    benchmarks.throughput.throughput(args)
    written = json.loads((tmp_path / "throughput_quick.json").read_text())["by_device"]["cpu"]
    assert written["models"]["vae"]["images_per_s"] > 0
    one, two = written["scaling"]["models"]["vae"]["1"], written["scaling"]["models"]["vae"]["2"]
    assert one["images_per_s"] > 0 and two["images_per_s"] > 0
    assert (one["global_batch"], two["global_batch"], two["images_per_rank_and_step"]) == (16, 16, 8)
    assert two["backend"] == "gloo" and two["threads_per_rank"] >= 1 and two["cores"] >= 1
    assert two["speed_up"] == round(two["images_per_s"] / one["images_per_s"], 3)
    assert written["scaling"]["ranks"] == [1, 2] and "threads" in written["scaling"]["what"]
