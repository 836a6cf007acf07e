"""Threads: idle OpenMP threads spin briefly, then sleep (set before torch loads, unless the user chose), --threads sets
torch's thread count, and a run records the threads it trained with."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch
from test_cli import TINY_VAE

from genzoo.checkpoint import load_checkpoint
from genzoo.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("given, expected", [
    ({}, {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "1000"}),
    ({"OMP_WAIT_POLICY": "ACTIVE"}, {"OMP_WAIT_POLICY": "ACTIVE", "GOMP_SPINCOUNT": None}),
    ({"GOMP_SPINCOUNT": "300000"}, {"OMP_WAIT_POLICY": None, "GOMP_SPINCOUNT": "300000"}),
])
def test_importing_genzoo_sets_a_short_spin_before_torch_loads_unless_chosen(given, expected):
    """libgomp's threads spin 1,000 iterations, then sleep (benchmarks/contention.py); a user's choice of either
    variable is kept, and the other is then not set."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env["PYTHONPATH"] = ROOT
    env.update(given)
    code = ("import genzoo, os, sys; assert 'torch' not in sys.modules; "
            "print(os.environ.get('OMP_WAIT_POLICY'), os.environ.get('GOMP_SPINCOUNT'))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == [str(expected["OMP_WAIT_POLICY"]), str(expected["GOMP_SPINCOUNT"])]


def test_threads_option_sets_torch_threads_and_the_run_records_them(tmp_path, capsys):
    before = torch.get_num_threads()
    try:
        assert main(["train", "vae", "--data", "digits", "--max-steps", "2", "--out", str(tmp_path / "r"), "--quiet",
                     "--threads", "1", *TINY_VAE]) == 0
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    machine = load_checkpoint(tmp_path / "r" / "checkpoint.pt")["run"]["machine"]
    assert machine["torch_threads"] == 1 and machine["cores"] == os.cpu_count()
    assert main(["info", str(tmp_path / "r")]) == 0
    assert "1 torch threads" in capsys.readouterr().out
