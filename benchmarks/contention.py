"""Two genzoo jobs sharing the cores: why they ran 10-30x slower than alone, not 2x, and what fixes it (issue 29).

    python -m benchmarks.contention                           # 200 GAN steps on MNIST, median of 5, ~15 min
    python -m benchmarks.contention --steps 20 --repeats 1 --out /tmp/contention.json   # a check that it runs

Each job is `genzoo train gan --data mnist --max-steps STEPS` in its own process; its figure is the training time it
reports (data loading and start-up excluded), the median over the repeats (and over both jobs when two run at once).
torch's CPU threads are libgomp's: an idle thread spins up to GOMP_SPINCOUNT iterations before it sleeps, 300,000
(about 3 ms) by default and none under OMP_WAIT_POLICY=PASSIVE. genzoo first ran with the default spin (issue 29's
10-30x), then passive (a job alone 1.4 times slower), and now sets a spin of 1,000 before torch loads; the settings
below recreate all three. Run on an otherwise quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import RESULTS, provenance
from genzoo.data import load_dataset
from genzoo.data.config import DataConfig

DEFAULT_SPIN = {"GOMP_SPINCOUNT": "300000"}   # libgomp's own default, what genzoo ran with before issue 29
PASSIVE = {"OMP_WAIT_POLICY": "PASSIVE"}       # genzoo's default after issue 29
SETTINGS = {   # name: (jobs at once, extra environment, extra arguments)
    "alone, libgomp's default spin (before issue 29)": (1, DEFAULT_SPIN, []),
    "two jobs, libgomp's default spin (before issue 29)": (2, DEFAULT_SPIN, []),
    "alone, passive waiting (after issue 29)": (1, PASSIVE, []),
    "two jobs, passive waiting (after issue 29)": (2, PASSIVE, []),
    "alone, a spin of 1,000 (genzoo's default now)": (1, {}, []),
    "two jobs, a spin of 1,000 (genzoo's default now)": (2, {}, []),
    "two jobs, a spin of 1,000, --threads 1": (2, {}, ["--threads", "1"]),
}
FINISHED = re.compile(r"finished (\d+) steps in ([\d.]+) s")


def run_jobs(jobs: int, env: dict[str, str], extra: list[str], steps: int, data_dir: str | None) -> list[float]:
    """Start ``jobs`` trainings at once; the training seconds each reports."""
    environment = dict(os.environ)
    for chosen in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):   # genzoo's own default, unless the setting overrides it
        environment.pop(chosen, None)
    environment.update(env)
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, "-m", "genzoo", "train", "gan", "--data", "mnist", "--max-steps", str(steps),
                   "--quiet", *(["--data-dir", data_dir] if data_dir else []), *extra]
        processes = [subprocess.Popen([*command, "--out", str(Path(scratch) / f"job{i}")], env=environment,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(jobs)]
        seconds = []
        for process in processes:
            out, err = process.communicate()
            found = FINISHED.search(out)
            if process.returncode != 0 or not found:
                sys.exit(f"a job failed ({process.returncode}): {err.strip().splitlines()[-1:]}")
            seconds.append(float(found[2]))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="GAN steps of each job")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each setting; the median is reported")
    parser.add_argument("--out", type=Path, default=RESULTS / "contention.json")
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    started = time.perf_counter()
    dataset = load_dataset("mnist", DataConfig(), args.data_dir)
    rows = {}
    for name, (jobs, env, extra) in SETTINGS.items():
        runs = [run_jobs(jobs, env, extra, args.steps, args.data_dir) for _ in range(args.repeats)]
        every = [s for seconds in runs for s in seconds]
        median = statistics.median(every)
        rows[name] = {"jobs": jobs, "environment": env, "arguments": extra, "median_s": round(median, 2),
                      "s_per_step": round(median / args.steps, 4), "runs_s": runs}
        print(f"{name:<52} {rows[name]['median_s']:8.2f} s", flush=True)
    result = {"benchmark": "contention", "command": f"genzoo train gan --data mnist --max-steps {args.steps}",
              "repeats": args.repeats, "settings": rows, "provenance": provenance(0, started, dataset)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
