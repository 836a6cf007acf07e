"""What every benchmark shares: where runs and results live, the provenance stamped on each result, and
training a fresh run to its end."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from genzoo.provenance import git_commit, stamp
from genzoo.run import train

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
RUNS = ROOT / "benchmarks" / "runs"
sys.path.insert(0, str(ROOT / "benchmarks"))
from table import write_readme_table  # noqa: E402

COMMIT_AT_START = git_commit()


def provenance(seed: int, started: float, dataset) -> dict:
    return {**stamp(seed, started, [Path(sys.executable).name, *sys.argv], COMMIT_AT_START),
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
