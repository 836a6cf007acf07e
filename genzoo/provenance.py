"""What produced a number: the machine, the library versions and the git commit, recorded beside results."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from genzoo.version import __version__


def machine() -> dict:
    """CPU model, core count, torch threads (and how OpenMP's idle threads wait) and versions of the machine measuring
    now."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch_interop_threads": torch.get_num_interop_threads(),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "libgomp default"),
            "gomp_spincount": os.environ.get("GOMP_SPINCOUNT", "libgomp default"),
            "platform": platform.platform(), "python": platform.python_version(), "torch": str(torch.__version__),
            "genzoo": __version__}


def git_commit(root: Path | None = None) -> str:
    """HEAD of the git checkout holding genzoo, marked '+uncommitted' when tracked files differ, 'unknown' outside
    git; $GENZOO_GIT_COMMIT instead where set, for a copy of a checkout sent to another machine, whose own git (if
    any) does not know the commit it was copied from."""
    if os.environ.get("GENZOO_GIT_COMMIT"):
        return os.environ["GENZOO_GIT_COMMIT"]
    root = root or Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    commit = git("rev-parse", "HEAD") or "unknown"
    dirty = commit != "unknown" and git("status", "--porcelain", "--untracked-files=no")
    return commit + ("+uncommitted" if dirty else "")


def stamp(seed: int, started: float, command: list[str] | None = None, commit: str | None = None) -> dict:
    """Command, commit, date, seed, wall time since ``started`` (a perf_counter reading) and machine of a result."""
    command = command if command is not None else [Path(sys.argv[0]).name, *sys.argv[1:]]
    return {"command": " ".join(command), "commit": commit or git_commit(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "seed": seed,
            "wall_time_s": round(time.perf_counter() - started, 1), "machine": machine()}
