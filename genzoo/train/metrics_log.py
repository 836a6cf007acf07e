"""Scalars of a run as JSON lines (one record a line), mirrored to TensorBoard when it is installed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

try:
    from torch.utils.tensorboard import SummaryWriter
except ImportError:
    SummaryWriter = None  # type: ignore[assignment,misc]   # TensorBoard is optional


class MetricsLog:
    """Appends records to ``metrics.jsonl``; on resume, drops records past the checkpoint's step first."""

    def __init__(self, path: Path, keep_until_step: int | None):
        self.path = path
        kept = ([r for r in read_metrics(path) if r["step"] <= keep_until_step]
                if keep_until_step is not None else [])
        path.write_text("".join(json.dumps(r) + "\n" for r in kept))
        self.file = path.open("a")
        purge = None if keep_until_step is None else keep_until_step + 1   # drop events past the checkpoint
        self.tensorboard = (SummaryWriter(str(path.parent / "tensorboard"), purge_step=purge)
                            if SummaryWriter is not None else None)

    def write(self, record: dict[str, Any]) -> None:
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()
        if self.tensorboard:
            split = record.get("split", "train")
            for key, value in record.items():
                if isinstance(value, float) and key not in ("time",):
                    self.tensorboard.add_scalar(f"{split}/{key}", value, record["step"])

    def close(self) -> None:
        self.file.close()
        if self.tensorboard:
            self.tensorboard.close()


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """Every complete record of a metrics file; a line cut short by a crash is skipped."""
    if not path.is_file():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def watched_at_evaluations(records: list[dict[str, Any]], watched: str) -> list[list[float]]:
    """[step, mean of ``watched`` over the training steps since the previous scheduled evaluation, that evaluation's
    FD] for each scheduled evaluation with an FD that some training step precedes: the loss a user watches, beside
    the sample quality it should track."""
    train = [r for r in records if r.get("split", "train") == "train" and watched in r]
    points, previous = [], 0
    for evaluation in (r for r in records if r.get("split") == "eval" and "fd" in r):
        window = [r[watched] for r in train if previous < r["step"] <= evaluation["step"]]
        if window:
            points.append([evaluation["step"], sum(window) / len(window), evaluation["fd"]])
        previous = evaluation["step"]
    return points
