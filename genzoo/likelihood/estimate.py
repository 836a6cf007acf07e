"""A number with its standard error and what produced it, the unit every evaluation reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch


@dataclass
class Estimate:
    value: float
    stderr: float
    n: int
    method: str
    budget: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)   # diagnostics, e.g. AIS's reverse estimate and warning

    @classmethod
    def mean_of(cls, per_example: torch.Tensor, method: str, budget: dict[str, Any]) -> Estimate:
        """The mean of per-example values, with the standard error of that mean."""
        values = per_example.double()
        stderr = values.std(correction=1).item() / len(values) ** 0.5 if len(values) > 1 else float("nan")
        return cls(values.mean().item(), stderr, len(values), method, budget)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.value:.2f} ± {self.stderr:.2f} ({self.method}, n={self.n})"
