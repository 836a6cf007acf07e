"""Benchmarks that train for real and write their numbers, with provenance, to benchmarks/results/.

    python benchmarks/run.py vae_mnist      # MLP VAE on binarized MNIST, test log-likelihood by IWAE
    python benchmarks/run.py dcgan_mnist    # DCGAN throughput on MNIST and its grid after 5 epochs
    python benchmarks/run.py all

Data comes from genzoo's own search order (set GENZOO_DATA_DIR or --data-dir). Every result file
holds the command, git commit, seed, data checksums, wall time and machine that produced it, and
the README's results table is rewritten from the result files (benchmarks/table.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from genzoo import __version__
from genzoo.data import binarize, load_dataset
from genzoo.evaluate.iwae import iwae_bound
from genzoo.run import make_run_config, open_run, train
from genzoo.train.metrics_log import read_metrics
from genzoo.viz.grid import save_grid

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
RUNS = ROOT / "benchmarks" / "runs"
sys.path.insert(0, str(ROOT / "benchmarks"))
from table import write_readme_table  # noqa: E402

# Burda et al. 2015 ("Importance Weighted Autoencoders"), Table 1: VAE with one stochastic layer
# (k = 1 training), test log-likelihood estimated with k = 5000.
PUBLISHED_VAE_NLL = {"value": -86.76, "source": "Burda, Grosse & Salakhutdinov 2015, Table 1 (VAE, 1 stochastic "
                     "layer, k=1), IWAE estimate with k=5000"}

# two hidden layers of 500 tanh units, the width of Kingma & Welling 2014 (Section 5) for MNIST: on this
# budget they reach a higher validation ELBO than Burda et al.'s 200-200 (see the note in the README)
VAE_SETTINGS = ["data.binarize=dynamic", "model.architecture=mlp", "model.hidden=[500,500]", "model.activation=tanh",
                "train.sample_every=5000", "train.checkpoint_every=5000"]
IWAE_K = 5000


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "platform": platform.platform(), "python": platform.python_version(), "torch": torch.__version__,
            "genzoo": __version__}


def git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "HEAD") or "unknown"
    return commit + ("+uncommitted" if git("status", "--porcelain", "--untracked-files=no") else "")


COMMIT_AT_START = git_commit()


def provenance(seed: int, started: float, dataset) -> dict:
    return {"command": " ".join([Path(sys.executable).name, *sys.argv]), "commit": COMMIT_AT_START,
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "seed": seed,
            "wall_time_s": round(time.perf_counter() - started, 1), "machine": machine(),
            "data": {"name": dataset.name, **dataset.provenance}}


def write_result(name: str, result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    write_readme_table(RESULTS, ROOT / "README.md")
    print(json.dumps(result, indent=2))


def fresh_run_dir(name: str) -> Path:
    path = RUNS / name
    shutil.rmtree(path, ignore_errors=True)
    return path


def train_to_the_end(cfg, run_dir: Path, args: argparse.Namespace):
    """Train a fresh run; an interrupted benchmark writes no result."""
    outcome, trainer = train(cfg, run_dir, data_dir=args.data_dir, progress_bar=not args.quiet)
    if outcome != "finished":
        sys.exit(f"benchmark interrupted at step {trainer.progress.step}: no result written")
    return trainer


def vae_mnist(args: argparse.Namespace) -> None:
    """Train the MLP VAE on dynamically binarized MNIST; IWAE bound on the test set binarized once."""
    started = time.perf_counter()
    cfg = make_run_config("vae", "mnist", overrides=[*VAE_SETTINGS, f"train.seed={args.seed}"], epochs=args.epochs)
    run_dir = fresh_run_dir("vae_mnist")
    trainer = train_to_the_end(cfg, run_dir, args)
    model = open_run(run_dir).model
    test = binarize(trainer.dataset.test.images, torch.Generator().manual_seed(args.seed))
    evaluation_started = time.perf_counter()
    elbo = iwae_bound(model, test, k=1, generator_seed=args.seed)
    bound = iwae_bound(model, test, k=args.k, generator_seed=args.seed)
    validation = [r for r in read_metrics(run_dir / "metrics.jsonl") if r.get("split") == "validation"]
    write_result("vae_mnist", {
        "benchmark": "vae_mnist",
        "what": "MLP VAE trained on dynamically binarized MNIST (50,000 train images; 10,000 held out for "
                "validation); test log-likelihood in nats on the 10,000 test images binarized once (fixed, seed "
                f"{args.seed}); the IWAE value is a stochastic lower bound on log p(x), k={args.k}",
        "config": cfg.to_dict(),
        "training": {"epochs": args.epochs, "steps": trainer.progress.step,
                     "train_time_s": round(trainer.progress.elapsed, 1),
                     "validation_elbo_last_epoch": validation[-1]["elbo"] if validation else None},
        "test_log_likelihood": {"iwae": bound.to_dict(), "elbo": elbo.to_dict(),
                                "binarization": "test set: fixed (sampled once); training: dynamic",
                                "evaluation_time_s": round(time.perf_counter() - evaluation_started, 1)},
        "published": PUBLISHED_VAE_NLL,
        "provenance": provenance(args.seed, started, trainer.dataset),
    })


def dcgan_mnist(args: argparse.Namespace) -> None:
    """DCGAN on MNIST for 5 epochs: training throughput per epoch and the grid it ends with."""
    started = time.perf_counter()
    cfg = make_run_config("dcgan", "mnist", overrides=[f"train.seed={args.seed}", "train.sample_every=100000",
                                                       "train.checkpoint_every=100000", "train.log_every=100"],
                          epochs=args.gan_epochs)
    run_dir = fresh_run_dir("dcgan_mnist")
    trainer = train_to_the_end(cfg, run_dir, args)
    train_records = [r for r in read_metrics(run_dir / "metrics.jsonl") if r.get("split", "train") == "train"]
    per_epoch = []
    for epoch in range(args.gan_epochs):
        rows = [r for r in train_records if r["epoch"] == epoch]
        if len(rows) >= 2:   # images between the first and last logged step of the epoch, over that time
            per_epoch.append((rows[-1]["step"] - rows[0]["step"]) * cfg.train.batch_size
                             / (rows[-1]["time"] - rows[0]["time"]))
    grid = RESULTS / f"dcgan_mnist_epoch{args.gan_epochs}.png"
    save_grid(open_run(run_dir).model.sample(64, torch.Generator().manual_seed(args.seed)), grid, scale=2)
    write_result("dcgan_mnist", {
        "benchmark": "dcgan_mnist",
        "what": f"DCGAN trained {args.gan_epochs} epochs on MNIST (50,000 train images, batch "
                f"{cfg.train.batch_size}); throughput counts training images through one D and one G update "
                "(logging and sampling excluded: measured between logged steps)",
        "config": cfg.to_dict(),
        "throughput_images_per_s": {"median_over_epochs": round(statistics.median(per_epoch), 1),
                                    "per_epoch": [round(v, 1) for v in per_epoch]},
        "training": {"steps": trainer.progress.step, "train_time_s": round(trainer.progress.elapsed, 1),
                     "last_scalars": trainer.last_scalars},
        "grid": str(grid.relative_to(ROOT)),
        "provenance": provenance(args.seed, started, trainer.dataset),
    })


BENCHMARKS = {"vae_mnist": vae_mnist, "dcgan_mnist": dcgan_mnist}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", choices=[*BENCHMARKS, "all"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=100, help="VAE training epochs (budget)")
    parser.add_argument("--k", type=int, default=IWAE_K, help="importance samples for the IWAE bound")
    parser.add_argument("--gan-epochs", type=int, default=5)
    parser.add_argument("--data-dir")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    for name, bench in BENCHMARKS.items():
        if args.name in (name, "all"):
            bench(args)


if __name__ == "__main__":
    main()
