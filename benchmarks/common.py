"""What every benchmark shares: where runs and results live, the provenance stamped on each result, and
training a fresh run to its end."""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks.table import write_tables
from genzoo.provenance import git_commit, stamp
from genzoo.run import train

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
RUNS = ROOT / "benchmarks" / "runs"

COMMIT_AT_START = git_commit()


def command_line() -> list[str]:
    """The running command as one would type it again: ``python -m benchmarks.run NAME ...``."""
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    entry = ["-m", spec.name] if spec is not None else sys.argv[:1]
    return [Path(sys.executable).name, *entry, *sys.argv[1:]]


def provenance(seed: int, started: float, dataset) -> dict:
    return {**stamp(seed, started, command_line(), COMMIT_AT_START),
            "data": {"name": dataset.name, **dataset.provenance}}


def provenance_of_machine(seed: int, started: float) -> dict:
    """The provenance of a result that reads no dataset (a speed measured on synthetic images)."""
    return stamp(seed, started, [Path(sys.executable).name, *sys.argv], COMMIT_AT_START)


def write_result(name: str, result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    write_tables(RESULTS, ROOT)
    print(json.dumps(result, indent=2))


def write_seed_result(name: str, result: dict, across_seeds: Callable[[list[dict]], dict]) -> None:
    """Add one seed's result to ``name``.json, which holds every seed of a benchmark run more than once, replacing
    an earlier result of the same seed; ``across_seeds`` derives from all of them what the file says beside them
    (their spread, and the run chosen where one is)."""
    path = RESULTS / f"{name}.json"
    seed = result["provenance"]["seed"]
    earlier = json.loads(path.read_text())["seeds"] if path.exists() else []
    others = [r for r in earlier if r["provenance"]["seed"] != seed]
    seeds = sorted([*others, result], key=lambda r: r["provenance"]["seed"])
    write_result(name, {"benchmark": result["benchmark"], "model": result["model"], "dataset": result["dataset"],
                        "seeds": seeds, **across_seeds(seeds)})


def settings(result: dict) -> dict:
    """A result's config without its seed: what runs of one benchmark must share to be spread over seeds."""
    config = result.get("config") or next(iter(result["runs"].values()))["config"]
    return {**config, "train": {k: v for k, v in config["train"].items() if k != "seed"}}


def spread(seeds: list[dict], figures: dict[str, Callable[[dict], float | None]]) -> dict:
    """Each figure's mean, standard deviation (n - 1), minimum and maximum over the seeds run at the settings of the
    latest of them, where they measured it (a figure returns None for a result without it); runs at earlier
    settings stay in the file, outside the spread."""
    latest = settings(max(seeds, key=lambda r: r["provenance"]["date"]))
    alike = [r for r in seeds if settings(r) == latest]
    summary = {}
    for name, figure in figures.items():
        measured = [(r["provenance"]["seed"], value) for r in alike if (value := figure(r)) is not None]
        values = [value for _, value in measured]
        if values:
            summary[name] = {"mean": round(statistics.fmean(values), 6),
                             "std": round(statistics.stdev(values), 6) if len(values) > 1 else 0.0,
                             "min": min(values), "max": max(values), "seeds": [seed for seed, _ in measured]}
    return summary


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
